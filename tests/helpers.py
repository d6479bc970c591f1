"""Small builders shared by warehouse tests (real DuckDB files, no mocks)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from extractors.models import ExtractedArticle
from presswatch.settings import Settings
from warehouse import loader
from warehouse.db import open_connection
from warehouse.pipeline import dedupe_articles


def article(
    text: str,
    title: str = "A headline",
    published: date | None = None,
    outlet: str | None = None,
) -> ExtractedArticle:
    return ExtractedArticle(
        title=title, text=text, method="test", published_at=published, outlet=outlet
    )


def load_and_dedupe(
    con: duckdb.DuckDBPyConnection,
    items: dict[str, ExtractedArticle],
    source: str = "test-source",
) -> dict[str, str]:
    """Load ``items`` (ref -> article) in order, one batch each, as ingestion would.

    Returns ref -> article id.
    """
    source_id = loader.ensure_source(con, "test", source)
    ids = {}
    for ref, item in items.items():
        run_id = loader.start_run(con, "test", source)
        result = loader.load_articles(con, source_id, run_id, [loader.ArticleInput(ref, item)])
        dedupe_articles(con, result.changed, Settings())
        ids[ref] = loader.stable_id(source_id, ref)
    return ids


def fresh_db(path: Path) -> duckdb.DuckDBPyConnection:
    return open_connection(path)
