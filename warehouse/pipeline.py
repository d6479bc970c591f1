"""The dedupe step shared by every ingestion flow: link copies, then group stories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from presswatch.settings import Settings
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
    con.execute("BEGIN TRANSACTION")
    try:
        links = link_copies(con, article_ids, settings.dedup)
        stories = assign_stories(con, article_ids, settings.stories)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return DedupeResult(links, stories)
