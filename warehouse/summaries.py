"""Coverage summaries: per-story, per-outlet and per-day aggregates kept up to date at
ingestion time, so the unfiltered coverage report reads a few small tables instead of
aggregating every article (migration 007).

``coverage_facts`` holds each article's narrow facts (story, outlet, dates, copy link)
and ``coverage_watch_facts`` the keys of the watchlist matches; the summary tables
aggregate them. ``refresh`` (called at the end of every dedupe step)
finds the articles whose facts changed, rewrites their rows, and recomputes only the
stories, days and outlets those rows belong to (before and after the change); changed
watchlist matches (found by comparing the keys) make their articles' days recomputed.

Which facts changed: candidates are the articles, story members and copy links written
since the last refresh (their timestamps); a changed fact that left no timestamp (a
deleted link, say) is caught by checksums: each input table's ``bit_xor`` of row hashes
must equal the same checksum over ``coverage_facts``. If it does not, every article's
facts are compared (a full diff, still recomputing only the affected keys).

The report trusts the summaries only while the stored checksums equal the live tables'
(``is_fresh``, ~0.1 s at 1M articles); otherwise it computes live, so a writer that
skipped the refresh makes the report slower, never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb

FACTS_VIEW = "coverage_facts_overview"
_FACT_COLUMNS = (
    "article_id",
    "story_id",
    "outlet_id",
    "outlet",
    "published_at",
    "first_seen_at",
    "canonical_id",
    "score",
)
# Each table is read through {only} (a filter on article_id, or nothing): on each one, so
# a refresh of a few articles does not hash-join the whole story and copy tables.
_CURRENT_FACTS = """
    SELECT a.article_id, m.story_id, a.outlet_id, o.name AS outlet, a.published_at,
           a.first_seen_at, d.canonical_id, d.score
    FROM (SELECT * FROM articles {only}) a
    LEFT JOIN outlets o ON o.outlet_id = a.outlet_id
    LEFT JOIN (SELECT article_id, story_id FROM story_members {only}) m
        ON m.article_id = a.article_id
    LEFT JOIN (SELECT article_id, canonical_id, score FROM duplicate_links {only}) d
        ON d.article_id = a.article_id"""
# bit_xor of row hashes: order-independent, so the inputs and coverage_facts compare.
_INPUT_SUMS = """
    SELECT
        (SELECT coalesce(bit_xor(hash(article_id, outlet_id, published_at, first_seen_at)), 0)
         FROM articles),
        (SELECT coalesce(bit_xor(hash(article_id, story_id)), 0) FROM story_members),
        (SELECT coalesce(bit_xor(hash(article_id, canonical_id, score)), 0)
         FROM duplicate_links),
        (SELECT coalesce(bit_xor(hash(outlet_id, name)), 0) FROM outlets),
        (SELECT coalesce(bit_xor(hash(watchlist, query, article_id)), 0) FROM watch_matches)"""
_FACT_SUMS = """
    SELECT
        coalesce(bit_xor(hash(article_id, outlet_id, published_at, first_seen_at)), 0),
        coalesce(bit_xor(hash(article_id, story_id)) FILTER (WHERE story_id IS NOT NULL), 0),
        coalesce(bit_xor(hash(article_id, canonical_id, score))
                 FILTER (WHERE canonical_id IS NOT NULL), 0)
    FROM coverage_facts"""

_DAY = "CAST(seen_or_published_at AS DATE)"
_OUTLET = "coalesce(outlet, '(unknown)')"

# The aggregates of report_stories / report_timeline / report_outlets / report_days (005,
# 007) over coverage_facts_overview; {where} restricts them to the keys being recomputed.
_STORY_SQL = f"""
    WITH v AS (SELECT * FROM {FACTS_VIEW} WHERE story_id IS NOT NULL {{where}}),
    per_outlet AS (
        SELECT story_id, outlet, count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies
        FROM v WHERE outlet IS NOT NULL GROUP BY 1, 2),
    names AS (
        SELECT story_id, count(*) AS outlets,
               string_agg(outlet, ', ' ORDER BY outlet) AS outlet_names,
               string_agg(outlet, ', ' ORDER BY outlet) FILTER (WHERE copies > 0) AS copied_by
        FROM per_outlet GROUP BY 1),
    agg AS (
        SELECT story_id,
               min(first_seen_at)                               AS first_seen,
               min(published_at)                                AS first_published,
               count(*)                                         AS articles,
               count(*) FILTER (WHERE duplicate_of IS NULL)     AS distinct_articles,
               count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies,
               max(seen_or_published_at)                        AS last_seen,
               count(DISTINCT {_DAY})                           AS days_active,
               (min({{{{'at': seen_or_published_at, 'id': article_id}}}})
                   FILTER (WHERE duplicate_of IS NULL)).id      AS original_id
        FROM v GROUP BY 1)
    SELECT agg.story_id, agg.first_seen, agg.first_published, agg.articles,
           agg.distinct_articles, agg.copies, coalesce(names.outlets, 0), names.outlet_names,
           agg.last_seen, agg.days_active, agg.original_id, names.copied_by
    FROM agg LEFT JOIN names ON names.story_id = agg.story_id"""
_STORY_DAYS_SQL = f"""
    SELECT story_id, {_DAY} AS day, count(*),
           count(*) FILTER (WHERE duplicate_of IS NULL),
           count(*) FILTER (WHERE duplicate_of IS NOT NULL),
           count(DISTINCT outlet)
    FROM {FACTS_VIEW} WHERE story_id IS NOT NULL {{where}} GROUP BY 1, 2"""
_OUTLET_SQL = f"""
    WITH copied AS (
        SELECT canonical_id, count(*) AS copies FROM coverage_facts
        WHERE canonical_id IS NOT NULL GROUP BY 1)
    SELECT {_OUTLET} AS outlet, count(*),
           count(*) FILTER (WHERE duplicate_of IS NULL),
           count(*) FILTER (WHERE duplicate_of IS NOT NULL),
           count(DISTINCT story_id), min(seen_or_published_at), max(seen_or_published_at),
           count(k.canonical_id), coalesce(sum(k.copies), 0)
    FROM {FACTS_VIEW} v LEFT JOIN copied k ON k.canonical_id = v.article_id
    WHERE true {{where}} GROUP BY 1"""
_DAY_SQL = f"""
    SELECT {_DAY} AS day, count(*),
           count(*) FILTER (WHERE duplicate_of IS NULL),
           count(DISTINCT story_id), count(DISTINCT outlet),
           count(*) FILTER (WHERE duplicate_of IS NOT NULL)
    FROM {FACTS_VIEW} WHERE true {{where}} GROUP BY 1"""
_WATCH_DAYS_SQL = f"""
    SELECT w.watchlist, {_DAY} AS day, count(DISTINCT w.article_id),
           count(DISTINCT w.article_id) FILTER (WHERE duplicate_of IS NULL)
    FROM coverage_watch_facts w JOIN {FACTS_VIEW} f ON f.article_id = w.article_id
    WHERE true {{where}} GROUP BY 1, 2"""
_WATCH_KEYS = "watchlist, query, article_id"
# summary table -> (its SQL, the key column, the key's expression over the facts view)
_SUMMARIES = {
    "coverage_story_summary": (_STORY_SQL, "story_id", "story_id"),
    "coverage_story_days": (_STORY_DAYS_SQL, "story_id", "story_id"),
    "coverage_outlet_summary": (_OUTLET_SQL, "outlet", _OUTLET),
    "coverage_day_summary": (_DAY_SQL, "day", _DAY),
    "coverage_watch_days": (_WATCH_DAYS_SQL, "day", _DAY),
}


@dataclass(frozen=True)
class RefreshResult:
    mode: str  # 'unchanged', 'incremental', 'full-diff' or 'rebuild'
    articles_changed: int
    stories: int  # keys recomputed
    days: int
    outlets: int


def _input_sums(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int, int, int]:
    return tuple(con.execute(_INPUT_SUMS).fetchone())  # type: ignore[return-value]


def is_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the summaries reflect the live tables exactly (checksums match)."""
    state = con.execute(
        "SELECT articles_sum, members_sum, links_sum, outlets_sum, watch_sum "
        "FROM coverage_summary_state WHERE id = 1"
    ).fetchone()
    return state is not None and tuple(state) == _input_sums(con)


def refresh(con: duckdb.DuckDBPyConnection, *, full: bool = False) -> RefreshResult:
    """Bring the summaries up to date (in the caller's transaction, if any); ``full``
    recomputes everything from scratch."""
    started = datetime.now(UTC)
    sums = _input_sums(con)
    state = con.execute(
        "SELECT refreshed_at, articles_sum, members_sum, links_sum, outlets_sum, watch_sum "
        "FROM coverage_summary_state WHERE id = 1"
    ).fetchone()
    if full or state is None:
        result = _rebuild(con)
    elif tuple(state[1:]) == sums:
        result = RefreshResult("unchanged", 0, 0, 0, 0)
    else:
        since = state[0]
        con.execute(
            """CREATE OR REPLACE TEMP TABLE summary_candidates AS
               SELECT article_id FROM articles WHERE updated_at >= $since
               UNION SELECT article_id FROM story_members WHERE assigned_at >= $since
               UNION SELECT article_id FROM duplicate_links WHERE linked_at >= $since""",
            {"since": since},
        )
        mode, changed = "incremental", 0
        con.execute("CREATE OR REPLACE TEMP TABLE summary_touched AS FROM coverage_facts LIMIT 0")
        if tuple(state[1:5]) != sums[:4]:
            changed = _apply_changes(con, "SELECT article_id FROM summary_candidates")
            # Outlet names leave no timestamp: when outlets changed (usually a new one),
            # or the checksums show a change the timestamps missed, compare every article.
            if state[4] != sums[3] or tuple(con.execute(_FACT_SUMS).fetchone()) != sums[:3]:
                changed += _apply_changes(
                    con,
                    "SELECT article_id FROM coverage_facts UNION SELECT article_id FROM articles",
                )
                mode = "full-diff"
        _apply_watch_changes(con, since, changed=state[5] != sums[4], total=sums[4])
        result = _recompute_touched(con, mode, changed)
    con.execute("DELETE FROM coverage_summary_state")
    con.execute("INSERT INTO coverage_summary_state VALUES (1, ?, ?, ?, ?, ?, ?)", [started, *sums])
    return result


def _rebuild(con: duckdb.DuckDBPyConnection) -> RefreshResult:
    con.execute("DELETE FROM coverage_facts")
    # In date order: the day-keyed recomputations of a refresh then skip most row groups.
    con.execute(
        f"INSERT INTO coverage_facts {_CURRENT_FACTS.format(only='')} "
        "ORDER BY coalesce(a.published_at, a.first_seen_at), a.article_id"
    )
    con.execute("DELETE FROM coverage_watch_facts")
    con.execute(f"INSERT INTO coverage_watch_facts SELECT {_WATCH_KEYS} FROM watch_matches")
    for table, (sql, _key, _expr) in _SUMMARIES.items():
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {sql.format(where='')}")
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _SUMMARIES]
    total = con.execute("SELECT count(*) FROM coverage_facts").fetchone()[0]
    return RefreshResult("rebuild", total, counts[0], counts[3], counts[2])


def _apply_changes(con: duckdb.DuckDBPyConnection, candidates: str) -> int:
    """Rewrite the coverage_facts rows that differ from the live tables among the
    ``candidates`` (a SELECT of article ids); the old and new versions of those rows are
    added to ``temp.summary_touched``. Returns how many articles changed."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE summary_ids AS {candidates}")
    ids = "(SELECT article_id FROM summary_ids)"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE summary_new AS "
        + _CURRENT_FACTS.format(only=f"WHERE article_id IN {ids}")
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE summary_old AS "
        f"SELECT * FROM coverage_facts WHERE article_id IN {ids}"
    )
    differs = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in _FACT_COLUMNS[1:])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE summary_changed AS
            SELECT coalesce(n.article_id, o.article_id) AS article_id
            FROM summary_new n FULL JOIN summary_old o ON o.article_id = n.article_id
            WHERE n.article_id IS NULL OR o.article_id IS NULL OR {differs}"""
    )
    changed = "SELECT article_id FROM summary_changed"
    con.execute(
        f"INSERT INTO summary_touched SELECT * FROM summary_old WHERE article_id IN ({changed})"
    )
    con.execute(f"DELETE FROM coverage_facts WHERE article_id IN ({changed})")
    con.execute(
        f"INSERT INTO coverage_facts SELECT * FROM summary_new WHERE article_id IN ({changed})"
    )
    con.execute(
        f"INSERT INTO summary_touched SELECT * FROM summary_new WHERE article_id IN ({changed})"
    )
    return con.execute("SELECT count(*) FROM summary_changed").fetchone()[0]


def _apply_watch_changes(
    con: duckdb.DuckDBPyConnection, since: datetime, *, changed: bool, total: int
) -> None:
    """When watch_matches changed, rewrite the coverage_watch_facts rows of the articles
    matched since ``since`` or rewritten since (their matches were replaced); if the
    checksum still differs (a removed query), of every article whose matches differ.
    The ids go to ``temp.summary_watch_touched``."""
    con.execute("CREATE OR REPLACE TEMP TABLE summary_watch_touched (article_id VARCHAR)")
    if not changed:
        return
    con.execute(
        """INSERT INTO summary_watch_touched
           SELECT article_id FROM watch_matches WHERE matched_at >= ?
           UNION SELECT article_id FROM summary_candidates""",
        [since],
    )
    _replace_watch_facts(con)
    current = con.execute(
        f"SELECT coalesce(bit_xor(hash({_WATCH_KEYS})), 0) FROM coverage_watch_facts"
    ).fetchone()[0]
    if current != total:
        con.execute(
            f"""INSERT INTO summary_watch_touched SELECT DISTINCT article_id FROM (
                    (SELECT {_WATCH_KEYS} FROM watch_matches
                     EXCEPT ALL SELECT {_WATCH_KEYS} FROM coverage_watch_facts)
                    UNION ALL
                    (SELECT {_WATCH_KEYS} FROM coverage_watch_facts
                     EXCEPT ALL SELECT {_WATCH_KEYS} FROM watch_matches))"""
        )
        _replace_watch_facts(con)


def _replace_watch_facts(con: duckdb.DuckDBPyConnection) -> None:
    touched = "(SELECT article_id FROM summary_watch_touched)"
    con.execute(f"DELETE FROM coverage_watch_facts WHERE article_id IN {touched}")
    con.execute(
        f"INSERT INTO coverage_watch_facts SELECT {_WATCH_KEYS} FROM watch_matches "
        f"WHERE article_id IN {touched}"
    )


# The temporary table of keys to recompute (see _recompute_touched), by summary table.
_KEY_TABLES = {
    "coverage_story_summary": "summary_keys_story",
    "coverage_story_days": "summary_keys_story",
    "coverage_outlet_summary": "summary_keys_outlet",
    "coverage_day_summary": "summary_keys_day",
    "coverage_watch_days": "summary_keys_watch_day",
}


def _midnight(day: date) -> datetime:
    """The start of ``day`` in UTC, the time zone every warehouse connection uses."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _recompute_touched(con: duckdb.DuckDBPyConnection, mode: str, changed: int) -> RefreshResult:
    """Recompute the summary rows of the stories, days and outlets of the touched facts
    (both versions), the outlets of the originals they copy (their copy counts), and the
    watchlist days of the touched facts and matches."""
    ts = "coalesce(published_at, first_seen_at)"
    keys = {
        "summary_keys_story": "SELECT story_id FROM summary_touched WHERE story_id IS NOT NULL",
        "summary_keys_day": f"SELECT CAST({ts} AS DATE) FROM summary_touched",
        "summary_keys_watch_day": f"""SELECT CAST({ts} AS DATE) FROM summary_touched
            UNION SELECT CAST({ts} AS DATE) FROM coverage_facts
            WHERE article_id IN (SELECT article_id FROM summary_watch_touched)""",
        "summary_keys_outlet": """SELECT coalesce(outlet, '(unknown)') FROM (
            SELECT outlet FROM summary_touched
            UNION SELECT f.outlet FROM coverage_facts f
            WHERE f.article_id IN (SELECT canonical_id FROM summary_touched))""",
    }
    for name, sql in keys.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT * FROM ({sql}) k(key)")
    for table, (sql, key, expr) in _SUMMARIES.items():
        name = _KEY_TABLES[table]
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT key FROM {name})")
        where, params = f"AND {expr} IN (SELECT key FROM {name})", []
        if key == "day":  # a date range first: TIMESTAMPTZ -> DATE casts are slow (ICU)
            low, high = con.execute(f"SELECT min(key), max(key) FROM {name}").fetchone()
            if low is None:
                continue
            where = f"AND seen_or_published_at >= ? AND seen_or_published_at < ? {where}"
            params = [_midnight(low), _midnight(high + timedelta(days=1))]
        con.execute(f"INSERT INTO {table} {sql.format(where=where)}", params)
    counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in keys}
    return RefreshResult(
        mode,
        changed,
        counts["summary_keys_story"],
        counts["summary_keys_day"],
        counts["summary_keys_outlet"],
    )
