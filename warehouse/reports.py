"""Read side of the warehouse: rows for reports and listings, as plain dicts.

The SQL views (``coverage_by_story`` etc.) are the report definitions; these functions only
select from them so the CLI, the Prefect artifacts and a user's own SQL see the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

REPORT_VIEWS = ("coverage_by_story", "coverage_by_outlet", "coverage_by_day")

# Version of the documented JSON/CSV schema of ``presswatch report coverage`` (README).
# Additions keep the number; a removal or rename would bump it.
COVERAGE_SCHEMA_VERSION = 2


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


# --- filtered coverage report ------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    """Which articles a report covers; ``None`` means no restriction.

    ``since``/``until`` are inclusive days of the article's date (published, else first
    seen); ``outlet`` an outlet name (any case); ``story`` a story id or words of its label;
    ``watch`` a watchlist name (articles matching any of its queries).
    """

    since: date | None = None
    until: date | None = None
    outlet: str | None = None
    story: str | None = None
    watch: str | None = None

    def macro_call(self, macro: str) -> tuple[str, list[Any]]:
        """``report_x(since := ?, ...)`` and its parameters."""
        sql = f"{macro}(since := ?, until := ?, outlet_name := ?, story := ?, watch := ?)"
        return sql, [self.since, self.until, self.outlet, self.story, self.watch]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def active(self) -> bool:
        return any(v is not None for v in asdict(self).values())


# Order of the rows of each section; every section's columns are documented in the README.
_SECTION_ORDER = {
    "stories": "articles DESC, first_seen, story_id",
    "outlets": "articles DESC, outlet",
    "days": "day",
    "timeline": "story_id, day",
    "copies": "story_id, original_at, original_id, copy_at, copy_id",
    "mentions": "watchlist, day",
    "matches": "watchlist, published_or_seen DESC, article_id, query",
}
_SECTION_MACRO = {
    "stories": "report_stories",
    "outlets": "report_outlets",
    "days": "report_days",
    "timeline": "report_timeline",
    "copies": "report_copies",
    "mentions": "report_mentions",
    "matches": "report_matches",
}
SECTIONS = tuple(_SECTION_MACRO)


def report_section(
    con: duckdb.DuckDBPyConnection,
    section: str,
    filters: ReportFilter | None = None,
    *,
    stories: list[str] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of one report section; ``stories`` restricts story-keyed sections to those ids."""
    call, params = (filters or ReportFilter()).macro_call(_SECTION_MACRO[section])
    where = ""
    if stories is not None and section in ("stories", "timeline", "copies"):
        where = " WHERE story_id IN (SELECT unnest(?))"
        params.append(list(stories))
    sql = f"SELECT * FROM {call}{where} ORDER BY {_SECTION_ORDER[section]}"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return _rows(con, sql, params)


def report_totals(
    con: duckdb.DuckDBPyConnection, filters: ReportFilter | None = None
) -> dict[str, Any]:
    """The ``coverage_totals`` keys (articles, distinct_articles, stories, outlets) for the
    filtered articles, plus copies, days and the date range."""
    call, params = (filters or ReportFilter()).macro_call("report_articles")
    row = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NULL),
                   count(DISTINCT story_id), count(DISTINCT outlet),
                   count(*) FILTER (WHERE duplicate_of IS NOT NULL),
                   count(DISTINCT CAST(seen_or_published_at AS DATE)),
                   CAST(min(seen_or_published_at) AS DATE),
                   CAST(max(seen_or_published_at) AS DATE)
            FROM (SELECT story_id, outlet, duplicate_of, seen_or_published_at FROM {call})""",
        params,
    ).fetchone()
    return {
        "articles": row[0],
        "distinct_articles": row[1],
        "stories": row[2],
        "outlets": row[3],
        "copies": row[4],
        "days": row[5],
        "first_day": row[6],
        "last_day": row[7],
    }


def watchlist_summary(
    con: duckdb.DuckDBPyConnection, filters: ReportFilter | None = None
) -> list[dict[str, Any]]:
    """Each watchlist with its queries and how many (filtered) articles match it."""
    call, params = (filters or ReportFilter()).macro_call("report_articles")
    rows = _rows(
        con,
        f"""WITH f AS (SELECT article_id FROM {call})
            SELECT w.name,
                   (SELECT list(q.query ORDER BY q.created_at, q.query) FROM watch_queries q
                    WHERE q.watchlist = w.name) AS queries,
                   (SELECT count(DISTINCT m.article_id) FROM watch_matches m
                    JOIN f ON f.article_id = m.article_id WHERE m.watchlist = w.name)
                       AS articles
            FROM watchlists w ORDER BY w.name""",
        params,
    )
    for row in rows:
        row["queries"] = list(row["queries"] or [])
    return rows


def coverage_report(
    con: duckdb.DuckDBPyConnection,
    filters: ReportFilter | None = None,
    *,
    limit: int | None = None,
    matches_per_watchlist: int | None = None,
) -> dict[str, Any]:
    """The whole coverage report (the documented JSON schema).

    ``limit`` keeps the N biggest stories (their timeline and copies follow);
    ``matches_per_watchlist`` keeps each watchlist's N most recent matches.
    """
    filters = filters or ReportFilter()
    stories = report_section(con, "stories", filters, limit=limit)
    story_ids = [s["story_id"] for s in stories] if limit else None
    matches = report_section(con, "matches", filters)
    if matches_per_watchlist:
        kept: dict[str, int] = {}
        trimmed = []
        for row in matches:
            kept[row["watchlist"]] = kept.get(row["watchlist"], 0) + 1
            if kept[row["watchlist"]] <= matches_per_watchlist:
                trimmed.append(row)
        matches = trimmed
    return {
        "schema_version": COVERAGE_SCHEMA_VERSION,
        "generated_at": datetime.now(UTC),
        "filters": filters.as_dict(),
        "totals": report_totals(con, filters),
        "stories": stories,
        "outlets": report_section(con, "outlets", filters),
        "days": report_section(con, "days", filters),
        "timeline": report_section(con, "timeline", filters, stories=story_ids),
        "copies": report_section(con, "copies", filters, stories=story_ids),
        "watchlists": watchlist_summary(con, filters),
        "mentions": report_section(con, "mentions", filters),
        "matches": matches,
    }
