"""The dedupe step shared by every ingestion flow: link copies, then group stories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from presswatch.settings import Settings
from warehouse.db import transaction
from warehouse.dedup import DuplicateLink, link_copies
from warehouse.stories import assign_stories


@dataclass(frozen=True)
class DedupeResult:
    links: list[DuplicateLink]
    stories_touched: set[str]


def dedupe_articles(
    con: duckdb.DuckDBPyConnection, article_ids: Sequence[str], settings: Settings
) -> DedupeResult:
    """Copies first, because a copy always joins its canonical's story; one transaction."""
    with transaction(con):
        links = link_copies(con, article_ids, settings.dedup)
        stories = assign_stories(con, article_ids, settings.stories)
        con.execute(
            "UPDATE articles SET dedupe_pending = false WHERE article_id IN (SELECT unnest(?))",
            [list(article_ids)],
        )
    return DedupeResult(links, stories)
