"""Read side of the warehouse: rows for reports and listings, as plain dicts.

The SQL views (``coverage_by_story`` etc.) and ``report_*`` macros are the report
definitions, so the CLI, the Prefect artifacts and a user's own SQL see the same numbers.
The coverage report reads the same figures from the coverage summaries
(``warehouse.summaries``) while those are fresh; tests/test_summaries.py holds the two
ways equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from warehouse import summaries

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


def revised_articles(con: duckdb.DuckDBPyConnection, src: str | None = None) -> int:
    """Articles with at least one revision, among ``src`` (a scope table) or all."""
    scope = f" WHERE article_id IN (SELECT article_id FROM {src})" if src else ""
    row = con.execute(f"SELECT count(DISTINCT article_id) FROM article_revisions{scope}").fetchone()
    return int(row[0])


def article_revisions(con: duckdb.DuckDBPyConnection, article_id: str) -> list[dict[str, Any]]:
    """An article's texts, oldest first: each revision it replaced, then the current one
    (``revision`` "current"); ``text_seen_at`` is when a text was stored, ``replaced_at``
    when a newer one replaced it. Empty when no article has that id."""
    return _rows(
        con,
        """SELECT CAST(revision AS VARCHAR) AS revision, title, published_at, text_seen_at,
                  replaced_at, body_text AS text
           FROM article_revisions WHERE article_id = ?
           UNION ALL
           SELECT 'current', title, published_at, updated_at, NULL, body_text
           FROM articles WHERE article_id = ?
           ORDER BY text_seen_at, revision""",
        [article_id, article_id],
    )


def list_articles(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every article with the public JSON fields of ``presswatch articles``: where its
    date and outlet came from, and its provenance (migration 010)."""
    return _rows(
        con,
        """SELECT v.article_id AS id, v.source_ref AS source, v.url, v.title, v.outlet,
                  v.author, v.published_at, v.first_seen_at, v.language, v.extraction_method,
                  v.duplicate_of, v.duplicate_score, v.story_id, v.body_text AS text,
                  a.published_source, a.outlet_source, p.dateline_place, p.wire_credit,
                  p.byline, p.agency_original_id
           FROM article_overview v
           JOIN articles a                ON a.article_id = v.article_id
           LEFT JOIN article_provenance p ON p.article_id = v.article_id
           ORDER BY v.seen_or_published_at, v.article_id""",
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
    ``watch`` a watchlist name (articles matching any of its queries); ``language`` an
    article language (``de``, or ``und`` for undetermined; ``de`` also matches ``de-AT``).
    """

    since: date | None = None
    until: date | None = None
    outlet: str | None = None
    story: str | None = None
    watch: str | None = None
    language: str | None = None

    def macro_call(self, macro: str, src: str | None = None) -> tuple[str, list[Any]]:
        """``report_x(since := ?, ...)`` and its parameters; ``src`` names the table of
        articles the macro reads (default ``article_overview``).

        The language filter is applied to ``report_articles`` only (the other sections
        read a scope of already filtered articles: ``build_scope``, ``report_section``),
        around the macro rather than inside it, so the report macros keep their signature.
        """
        sql = f"{macro}(since := ?, until := ?, outlet_name := ?, story := ?, watch := ?"
        params: list[Any] = [self.since, self.until, self.outlet, self.story, self.watch]
        if src:
            sql += ", src := ?"
            params.append(src)
        sql += ")"
        if self.language is not None:
            if macro != "report_articles":
                raise ValueError(f"{macro} cannot filter by language: read a scope table")
            sql = (
                f"(SELECT * FROM {sql} WHERE article_id IN (SELECT article_id FROM articles "
                "WHERE lower(language) = lower(?) OR lower(language) LIKE lower(?) || '-%'))"
            )
            params += [self.language, self.language]
        return sql, params

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
# ``--by`` names (singular, as the CLI always had them) -> sections.
BY_SECTION = {
    "story": "stories",
    "outlet": "outlets",
    "day": "days",
    "timeline": "timeline",
    "copies": "copies",
    "mentions": "mentions",
    "matches": "matches",
}


def section_sql(
    section: str,
    filters: ReportFilter | None = None,
    *,
    stories: list[str] | None = None,
    limit: int | None = None,
    src: str | None = None,
    per_story: int | None = None,
    summary: bool = False,
) -> tuple[str, list[Any]]:
    """The SELECT (and its parameters) behind one report section. With ``src`` (a table
    of already filtered articles, see ``build_scope``) the filters are not applied again.
    ``summary`` (unfiltered, fresh coverage summaries: see ``use_summaries``) reads the
    summary tables, or the summaries' per-article facts for the other sections."""
    if section not in _SECTION_MACRO:
        raise ValueError(f"unknown report section {section!r}")
    if section == "copies" and src and stories is None and not limit:
        return _copies_sql(src, per_story), []
    scope_filters = ReportFilter() if src else (filters or ReportFilter())
    if summary and section in _SUMMARY_SECTIONS:
        call, params = f"({_SUMMARY_SECTIONS[section]}) summary", []
    else:
        source = summaries.FACTS_VIEW if summary else src
        call, params = scope_filters.macro_call(_SECTION_MACRO[section], source)
    where = ""
    if stories is not None and section in ("stories", "timeline", "copies"):
        where = " WHERE story_id IN (SELECT unnest(?))"
        params.append(list(stories))
    if per_story and section in ("timeline", "copies", "matches"):
        key = "watchlist" if section == "matches" else "story_id"
        where += (
            f" QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY "
            f"{_SECTION_ORDER[section]}) <= {int(per_story)}"
        )
    sql = f"SELECT * FROM {call}{where} ORDER BY {_SECTION_ORDER[section]}"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _copies_sql(src: str, per_story: int | None) -> str:
    """report_copies over the scope table ``src`` (same rows and order), each story's
    first ``per_story`` copies picked before the titles are joined: two joins on the
    articles' titles for the rows shown, not for every copy."""
    keep = ""
    if per_story:
        keep = (
            "QUALIFY row_number() OVER (PARTITION BY c.story_id ORDER BY "
            f"original_at, original_id, copy_at, copy_id) <= {int(per_story)}"
        )
    return f"""
        WITH ranked AS (
            SELECT c.story_id, c.duplicate_of AS original_id,
                   coalesce(o.published_at, o.first_seen_at) AS original_at,
                   o.outlet_id AS original_outlet_id, c.article_id AS copy_id,
                   c.outlet AS copy_outlet, c.seen_or_published_at AS copy_at,
                   c.duplicate_score AS score
            FROM {src} c JOIN articles o ON o.article_id = c.duplicate_of
            {keep})
        SELECT r.story_id, r.original_id, ot.title AS original_title,
               oo.name AS original_outlet, r.original_at, r.copy_id, ct.title AS copy_title,
               r.copy_outlet, r.copy_at, r.score,
               round(date_diff('second', r.original_at, r.copy_at) / 3600.0, 2) AS lag_hours
        FROM ranked r
        JOIN articles ot     ON ot.article_id = r.original_id
        JOIN articles ct     ON ct.article_id = r.copy_id
        LEFT JOIN outlets oo ON oo.outlet_id = r.original_outlet_id
        ORDER BY {_SECTION_ORDER["copies"]}"""


def use_summaries(
    con: duckdb.DuckDBPyConnection, filters: ReportFilter | None = None, src: str | None = None
) -> bool:
    """Whether a section can read the coverage summaries: no filter, no scope table, and
    the summaries are fresh (``warehouse.summaries.is_fresh``)."""
    return src is None and not (filters and filters.active) and summaries.is_fresh(con)


def report_section(
    con: duckdb.DuckDBPyConnection,
    section: str,
    filters: ReportFilter | None = None,
    *,
    stories: list[str] | None = None,
    limit: int | None = None,
    src: str | None = None,
    per_story: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of one report section; ``stories`` restricts story-keyed sections to those ids,
    ``per_story`` keeps the first N rows of each story (timeline, copies)."""
    if filters is not None and filters.language is not None and src is None:
        src = build_scope(con, filters)  # (the language filter applies to articles only)
    summary = use_summaries(con, filters, src)
    return _rows(
        con,
        *section_sql(
            section,
            filters,
            stories=stories,
            limit=limit,
            src=src,
            per_story=per_story,
            summary=summary,
        ),
    )


# The stories section from coverage_story_summary: report_stories' columns, in its order.
_SUMMARY_STORIES = """
    WITH top AS (
        SELECT * FROM coverage_story_summary
        ORDER BY articles DESC, first_seen, story_id {limit})
    SELECT top.story_id, s.label, top.first_seen, top.first_published, top.articles,
           top.distinct_articles, top.copies, top.outlets, top.outlet_names, top.last_seen,
           top.days_active, top.original_id, o.title AS original_title,
           oo.name AS original_outlet, top.copied_by
    FROM top
    JOIN stories s       ON s.story_id = top.story_id
    LEFT JOIN articles o ON o.article_id = top.original_id
    LEFT JOIN outlets oo ON oo.outlet_id = o.outlet_id
    ORDER BY top.articles DESC, top.first_seen, top.story_id"""
# Sections an unfiltered report reads from the summary tables (columns as the macros').
_SUMMARY_SECTIONS = {
    "stories": _SUMMARY_STORIES.format(limit=""),
    "outlets": "FROM coverage_outlet_summary",
    "days": "FROM coverage_day_summary",
    "timeline": "FROM coverage_story_days",
}

SCOPE_TABLE = "report_scope"
# What the report macros read from article_overview (bodies and titles stay behind).
_SCOPE_COLUMNS = (
    "article_id, outlet, published_at, first_seen_at, seen_or_published_at, duplicate_of, "
    "duplicate_score, story_id"
)


def build_scope(
    con: duckdb.DuckDBPyConnection, filters: ReportFilter | None = None, source: str | None = None
) -> str:
    """Materialise the filtered articles (without their bodies) in a temporary table, so
    a whole report joins article_overview (or ``source``, a table or view with its
    columns, e.g. the coverage summaries' facts) once instead of once per section."""
    call, params = (filters or ReportFilter()).macro_call("report_articles", source)
    con.execute(f"DROP TABLE IF EXISTS temp.{SCOPE_TABLE}")
    con.execute(f"CREATE TEMP TABLE {SCOPE_TABLE} AS SELECT {_SCOPE_COLUMNS} FROM {call}", params)
    return SCOPE_TABLE


def build_top_scope(con: duckdb.DuckDBPyConnection, src: str, limit: int) -> str:
    """The articles (of ``src``) of the ``limit`` biggest stories, ranked as the stories
    section orders them: a report of the top stories aggregates only their articles."""
    con.execute(f"DROP TABLE IF EXISTS temp.{SCOPE_TABLE}_top")
    con.execute(
        f"""CREATE TEMP TABLE {SCOPE_TABLE}_top AS
            SELECT * FROM query_table(?) WHERE story_id IN (
                SELECT story_id FROM query_table(?) WHERE story_id IS NOT NULL
                GROUP BY story_id
                ORDER BY count(*) DESC, min(first_seen_at), story_id LIMIT {int(limit)})""",
        [src, src],
    )
    return f"{SCOPE_TABLE}_top"


def export_parquet(
    con: duckdb.DuckDBPyConnection,
    section: str,
    path: str,
    filters: ReportFilter | None = None,
    *,
    limit: int | None = None,
) -> None:
    """Write one section to a Parquet file with DuckDB's COPY (typed columns)."""
    if filters is not None and filters.language is not None:  # as in report_section
        sql, params = section_sql(section, limit=limit, src=build_scope(con, filters))
    else:
        sql, params = section_sql(
            section, filters, limit=limit, summary=use_summaries(con, filters)
        )
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet)", params)


def report_totals(
    con: duckdb.DuckDBPyConnection, filters: ReportFilter | None = None, src: str | None = None
) -> dict[str, Any]:
    """The ``coverage_totals`` keys (articles, distinct_articles, stories, outlets) for the
    filtered articles, plus copies, days and the date range."""
    scope_filters = ReportFilter() if src else (filters or ReportFilter())
    call, params = scope_filters.macro_call("report_articles", src)
    row = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NULL),
                   count(DISTINCT story_id), count(DISTINCT outlet),
                   count(*) FILTER (WHERE duplicate_of IS NOT NULL),
                   count(DISTINCT CAST(seen_or_published_at AS DATE)),
                   CAST(min(seen_or_published_at) AS DATE),
                   CAST(max(seen_or_published_at) AS DATE),
                   count(*) FILTER (WHERE article_id IN
                     (SELECT article_id FROM article_revisions))
            FROM (SELECT article_id, story_id, outlet, duplicate_of, seen_or_published_at
                  FROM {call})""",
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
        "revised_articles": row[8],
    }


def watchlist_summary(
    con: duckdb.DuckDBPyConnection, filters: ReportFilter | None = None, src: str | None = None
) -> list[dict[str, Any]]:
    """Each watchlist with its queries and how many (filtered) articles match it."""
    scope_filters = ReportFilter() if src else (filters or ReportFilter())
    call, params = scope_filters.macro_call("report_articles", src)
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


def _recent_matches(con: duckdb.DuckDBPyConnection, src: str, per_watchlist: int) -> list[dict]:
    """report_matches rows of each watchlist's N most recent articles: picked first on
    the narrow columns, so titles and snippets are read for those rows only."""
    picked = con.execute(
        f"""SELECT DISTINCT article_id FROM (
                SELECT m.watchlist, m.article_id FROM watch_matches m
                JOIN {src} v ON v.article_id = m.article_id
                QUALIFY dense_rank() OVER (PARTITION BY m.watchlist
                        ORDER BY v.seen_or_published_at DESC, m.article_id)
                    <= {int(per_watchlist)})"""
    ).fetchall()
    ids = [row[0] for row in picked]
    if not ids:
        return []
    call, params = ReportFilter().macro_call("report_matches", src)
    rows = _rows(
        con,
        f"SELECT * FROM {call} WHERE article_id IN ({', '.join('?' * len(ids))}) "
        f"QUALIFY dense_rank() OVER (PARTITION BY watchlist ORDER BY published_or_seen DESC, "
        f"article_id) <= {int(per_watchlist)} ORDER BY {_SECTION_ORDER['matches']}",
        [*params, *ids],
    )
    return rows


def coverage_report(
    con: duckdb.DuckDBPyConnection,
    filters: ReportFilter | None = None,
    *,
    limit: int | None = None,
    matches_per_watchlist: int | None = None,
    copies_per_story: int | None = None,
    progress: Callable[[str], None] | None = None,
    use_summaries: bool = True,
) -> dict[str, Any]:
    """The whole coverage report (the documented JSON schema).

    ``limit`` keeps the N biggest stories (their timeline and copies follow);
    ``matches_per_watchlist`` keeps each watchlist's N most recent matches;
    ``copies_per_story`` each story's N earliest copies (0: none).
    While the coverage summaries are fresh (``warehouse.summaries``), an unfiltered
    report reads them and a filtered one reads their per-article facts; else (or with
    ``use_summaries=False``) everything is computed from the core tables.
    """
    filters = filters or ReportFilter()
    step = progress or (lambda _name: None)
    step("selecting articles")
    fresh = use_summaries and summaries.is_fresh(con)
    summary = fresh and not filters.active
    if summary:
        sections = _summary_sections(con, limit, copies_per_story, step)
    else:
        src = build_scope(con, filters, summaries.FACTS_VIEW if fresh else None)
        sections = _live_sections(con, src, limit, copies_per_story, step)
    _add_independent_origins(con, sections["stories"])
    days = sections["days"]
    totals = {  # the report_totals keys, from the sections already computed
        "articles": sum(d["articles"] for d in days),
        "distinct_articles": sum(d["distinct_articles"] for d in days),
        "stories": sections.pop("story_count"),
        "outlets": sum(1 for o in sections["outlets"] if o["outlet"] != "(unknown)"),
        "copies": sum(d["copies"] for d in days),
        "days": len(days),
        "first_day": days[0]["day"] if days else None,
        "last_day": days[-1]["day"] if days else None,
        "revised_articles": revised_articles(con, None if summary else src),
    }
    if summary:
        mentions, watch, matches = _summary_watch(con, matches_per_watchlist, step)
    else:
        step("mentions")
        mentions = report_section(con, "mentions", src=src)
        step("watchlists")
        watch = watchlist_summary(con, src=src)
        step("matches")
        if matches_per_watchlist:
            matches = _recent_matches(con, src, matches_per_watchlist)
        else:
            matches = report_section(con, "matches", src=src)
    return {
        "schema_version": COVERAGE_SCHEMA_VERSION,
        "generated_at": datetime.now(UTC),
        "filters": filters.as_dict(),
        "totals": totals,
        "stories": sections["stories"],
        "outlets": sections["outlets"],
        "days": sections["days"],
        "timeline": sections["timeline"],
        "copies": sections["copies"],
        "watchlists": watch,
        "mentions": mentions,
        "matches": matches,
    }


def _add_independent_origins(con: duckdb.DuckDBPyConnection, stories: list[dict[str, Any]]) -> None:
    """Give each story row its ``independent_origins`` (view ``story_origins``, migration
    010: originals counted once per credited agency, over the whole story)."""
    ids = [story["story_id"] for story in stories]
    origins = (
        dict(
            con.execute(
                "SELECT story_id, independent_origins FROM story_origins "
                "WHERE story_id IN (SELECT unnest(?::VARCHAR[]))",
                [ids],
            ).fetchall()
        )
        if ids
        else {}
    )
    for story in stories:
        story["independent_origins"] = origins.get(story["story_id"], 0)


def _live_sections(
    con: duckdb.DuckDBPyConnection,
    src: str,
    limit: int | None,
    copies_per_story: int | None,
    step: Callable[[str], None],
) -> dict[str, Any]:
    """Story, outlet, day, timeline and copy sections aggregated from the articles of
    ``src`` (a scope table, see ``build_scope``)."""
    step("stories")
    story_src = build_top_scope(con, src, limit) if limit else src
    sections: dict[str, Any] = {"stories": report_section(con, "stories", src=story_src)}
    for name in ("outlets", "days", "timeline", "copies"):
        step(name)
        if name == "copies" and copies_per_story == 0:
            sections[name] = []
            continue
        per_story = copies_per_story if name == "copies" else None
        section_src = story_src if name in ("timeline", "copies") else src
        sections[name] = report_section(con, name, src=section_src, per_story=per_story)
    count = con.execute(f"SELECT count(DISTINCT story_id) FROM {src}").fetchone()[0]
    sections["story_count"] = count
    return sections


def _summary_sections(
    con: duckdb.DuckDBPyConnection,
    limit: int | None,
    copies_per_story: int | None,
    step: Callable[[str], None],
) -> dict[str, Any]:
    """The sections of an unfiltered report, read from the coverage summaries."""
    step("stories")
    top = f"LIMIT {int(limit)}" if limit else ""
    stories = _rows(con, _SUMMARY_STORIES.format(limit=top))
    ids = [s["story_id"] for s in stories]
    only = " WHERE story_id IN (SELECT unnest(?))" if limit else ""
    params = [ids] if limit else []
    step("outlets")
    outlets = _rows(con, f"{_SUMMARY_SECTIONS['outlets']} ORDER BY {_SECTION_ORDER['outlets']}")
    step("days")
    days = _rows(con, f"{_SUMMARY_SECTIONS['days']} ORDER BY {_SECTION_ORDER['days']}")
    step("timeline")
    timeline = _rows(
        con, f"FROM coverage_story_days{only} ORDER BY {_SECTION_ORDER['timeline']}", params
    )
    step("copies")
    copies: list[dict[str, Any]] = []
    if copies_per_story != 0:
        con.execute(f"DROP TABLE IF EXISTS temp.{SCOPE_TABLE}_top")
        con.execute(
            f"CREATE TEMP TABLE {SCOPE_TABLE}_top AS SELECT {_SCOPE_COLUMNS} "
            f"FROM {summaries.FACTS_VIEW}{only or ' WHERE story_id IS NOT NULL'}",
            params,
        )
        copies = report_section(con, "copies", src=f"{SCOPE_TABLE}_top", per_story=copies_per_story)
    count = con.execute("SELECT count(*) FROM coverage_story_summary").fetchone()[0]
    return {
        "stories": stories,
        "outlets": outlets,
        "days": days,
        "timeline": timeline,
        "copies": copies,
        "story_count": count,
    }


def _summary_watch(
    con: duckdb.DuckDBPyConnection,
    matches_per_watchlist: int | None,
    step: Callable[[str], None],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Mentions, watchlists and matches of an unfiltered report from the summaries (the
    rows report_mentions / watchlist_summary / report_matches give). An article has one
    day, so a watchlist's article count is the sum of its days'."""
    step("mentions")
    mentions = _rows(con, f"FROM coverage_watch_days ORDER BY {_SECTION_ORDER['mentions']}")
    step("watchlists")
    watch = _rows(
        con,
        """SELECT w.name,
                  (SELECT list(q.query ORDER BY q.created_at, q.query) FROM watch_queries q
                   WHERE q.watchlist = w.name) AS queries,
                  coalesce(n.articles, 0) AS articles
           FROM watchlists w
           LEFT JOIN (SELECT watchlist, CAST(sum(articles) AS BIGINT) AS articles
                      FROM coverage_watch_days GROUP BY 1) n ON n.watchlist = w.name
           ORDER BY w.name""",
    )
    for row in watch:
        row["queries"] = list(row["queries"] or [])
    step("matches")
    matched = "SELECT article_id FROM coverage_watch_facts"
    if matches_per_watchlist:
        # Each watchlist's most recent days holding N matched articles hold its N latest.
        matched = f"""
            WITH cum AS (
                SELECT watchlist, day, sum(articles) OVER (
                    PARTITION BY watchlist ORDER BY day DESC) AS total
                FROM coverage_watch_days),
            cut AS (
                SELECT watchlist, coalesce(max(day) FILTER (
                    WHERE total >= {int(matches_per_watchlist)}), min(day)) AS since
                FROM cum GROUP BY 1)
            SELECT w.article_id FROM coverage_watch_facts w
            JOIN cut ON cut.watchlist = w.watchlist
            JOIN coverage_facts f ON f.article_id = w.article_id
            WHERE coalesce(f.published_at, f.first_seen_at) >= CAST(cut.since AS TIMESTAMPTZ)"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {SCOPE_TABLE} AS
            SELECT {_SCOPE_COLUMNS} FROM {summaries.FACTS_VIEW}
            WHERE article_id IN ({matched})"""
    )
    if matches_per_watchlist:
        matches = _recent_matches(con, SCOPE_TABLE, matches_per_watchlist)
    else:
        matches = report_section(con, "matches", src=SCOPE_TABLE)
    return mentions, watch, matches
