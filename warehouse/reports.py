"""Read side of the warehouse: rows for reports and listings, as plain dicts.

The SQL views (``coverage_by_story`` etc.) are the report definitions; these functions only
select from them so the CLI, the Prefect artifacts and a user's own SQL see the same numbers.
"""

from __future__ import annotations

from typing import Any

import duckdb

REPORT_VIEWS = ("coverage_by_story", "coverage_by_outlet", "coverage_by_day")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def coverage_by_story(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(
        con,
        "SELECT story_id, label, first_seen, first_published, articles, distinct_articles, "
        "copies, outlets, outlet_names FROM coverage_by_story "
        "ORDER BY articles DESC, first_seen, story_id",
    )


def coverage_by_outlet(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, "SELECT * FROM coverage_by_outlet ORDER BY articles DESC, outlet")


def coverage_by_day(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, "SELECT * FROM coverage_by_day ORDER BY day")


def coverage_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NULL),
                  count(DISTINCT story_id), count(DISTINCT outlet)
           FROM article_overview"""
    ).fetchone()
    return {"articles": row[0], "distinct_articles": row[1], "stories": row[2], "outlets": row[3]}


def list_articles(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every article with the public JSON fields of ``presswatch articles``."""
    return _rows(
        con,
        """SELECT article_id AS id, source_ref AS source, url, title, outlet, author,
                  published_at, first_seen_at, language, extraction_method,
                  duplicate_of, duplicate_score, story_id, body_text AS text
           FROM article_overview ORDER BY seen_or_published_at, article_id""",
    )


def open_errors(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(
        con,
        "SELECT item_ref, stage, reason, detail, attempts, last_at FROM ingest_errors "
        "WHERE resolved_at IS NULL ORDER BY last_at DESC, item_ref",
    )


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict[str, Any]]:
    return _rows(
        con,
        "SELECT run_id, flow, target, started_at, finished_at, status, items_seen, "
        "articles_added, articles_updated, articles_unchanged, errors, duplicates_linked, "
        "stories_touched, message FROM ingestion_runs ORDER BY started_at DESC LIMIT ?",
        [limit],
    )
