"""Running a benchmark set through the real warehouse path (loader + dedupe_articles)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from extractors.models import ExtractedArticle
from warehouse import loader
from warehouse.db import open_connection
from warehouse.dedupe import dedupe_articles


@dataclass
class Item:
    ref: str
    article: ExtractedArticle
    kind: str  # e.g. "original", "copy:<transformation>", "negative:<group kind>"
    group: str  # the true cluster (copy group or story) this item belongs to


def load_and_dedupe(
    items: Sequence[Item],
    db_path: Path,
    batch: int,
    seed: int,
    settings: Settings | None = None,
    *,
    by_day: bool = False,
) -> dict[str, tuple[str, str]]:
    """Load ``items`` in shuffled batches, dedupe each batch as a flow run would.

    ``by_day``: in publication-day order, shuffled within a day (as feeds deliver them);
    otherwise fully shuffled. Returns ref -> (ref of its canonical, or itself; story id).
    """
    order = list(items)
    random.Random(seed).shuffle(order)
    if by_day:
        order.sort(key=lambda i: i.article.published_at)
    settings = settings or Settings()
    con = open_connection(db_path)
    try:
        source_id = loader.ensure_source(con, "bench", "bench")
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            run_id = loader.start_run(con, "bench", "bench")
            result = loader.load_articles(
                con, source_id, run_id, [loader.ArticleInput(i.ref, i.article) for i in chunk]
            )
            dedupe_articles(con, result.changed, settings)
        rows = con.execute(
            """SELECT a.source_ref, coalesce(c.source_ref, a.source_ref), m.story_id
               FROM articles a LEFT JOIN duplicate_links d ON d.article_id = a.article_id
               LEFT JOIN articles c ON c.article_id = d.canonical_id
               LEFT JOIN story_members m ON m.article_id = a.article_id"""
        ).fetchall()
    finally:
        con.close()
    return {r[0]: (r[1], r[2]) for r in rows}
