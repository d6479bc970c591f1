"""Watchlists: named sets of boolean queries, matched against every article at load time.

* ``match_articles`` runs inside the dedupe step for each new or changed article: the
  article is tokenised once and every query is evaluated on it (``textanalysis.query``); a
  match is stored in ``watch_matches`` with a snippet around the first hit.
* Adding a query matches it against the articles already loaded (``backfill``): a SQL
  pre-filter keeps the articles that contain every required word as a substring (a
  necessary condition), then the same evaluator decides, so both paths agree exactly.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from textanalysis.query import And, Document, Node, Not, Or, Query, QueryError, Term, positive_terms
from textanalysis.query import snippet as make_snippet
from warehouse import summaries

# Articles whose text holds characters that case-fold or NFKC-normalise into ASCII letters
# (ß -> ss, ligatures, full-width forms) are always candidates: a substring test on
# lower() could miss them.
_FOLDING_CHARS = r"[ßẞ\x{FB00}-\x{FB06}\x{FF01}-\x{FF5E}]"
_BACKFILL_CHUNK = 20_000
_LOOKUP_CHUNK = 100


class WatchlistError(ValueError):
    """An unknown watchlist or query, or a query that does not parse."""


@dataclass(frozen=True)
class WatchQuery:
    watchlist: str
    query: Query

    @property
    def text(self) -> str:
        return self.query.text


def _now() -> datetime:
    return datetime.now(UTC)


def parse_query(text: str) -> Query:
    try:
        return Query.parse(text)
    except QueryError as exc:
        raise WatchlistError(f"cannot parse query {text!r}: {exc}") from exc


def queries(con: duckdb.DuckDBPyConnection, watchlist: str | None = None) -> list[WatchQuery]:
    sql = "SELECT watchlist, query FROM watch_queries"
    params: list[Any] = []
    if watchlist is not None:
        sql += " WHERE watchlist = ?"
        params.append(watchlist)
    rows = con.execute(sql + " ORDER BY watchlist, created_at, query", params).fetchall()
    return [WatchQuery(name, Query.parse(text)) for name, text in rows]


# --- editing -----------------------------------------------------------------------------


def add(
    con: duckdb.DuckDBPyConnection,
    name: str,
    texts: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Add queries to watchlist ``name`` (created if new) and match them against every
    loaded article; returns query -> matching articles. Existing queries are kept."""
    name = name.strip()
    if not name:
        raise WatchlistError("a watchlist needs a name")
    if not texts:
        raise WatchlistError("give at least one query")
    parsed = [parse_query(t.strip()) for t in texts]
    existing = {q.text for q in queries(con, name)}
    new = [q for q in dict.fromkeys(parsed, None) if q.text not in existing]
    now = _now()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(  # MERGE, not ON CONFLICT: a DuckLake table has no key
            """MERGE INTO watchlists USING (VALUES (?, CAST(? AS TIMESTAMPTZ)))
                 AS new(name, created_at) ON watchlists.name = new.name
               WHEN NOT MATCHED THEN INSERT VALUES (new.name, new.created_at)""",
            [name, now],
        )
        for query in new:
            con.execute("INSERT INTO watch_queries VALUES (?, ?, ?)", [name, query.text, now])
        counts = backfill(con, [WatchQuery(name, q) for q in new], progress=progress)
        summaries.refresh(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def remove(con: duckdb.DuckDBPyConnection, name: str, texts: Sequence[str] = ()) -> int:
    """Remove queries from a watchlist, or the whole watchlist when none are given;
    returns the number of queries removed."""
    known = {q.text for q in queries(con, name)}
    exists = con.execute("SELECT count(*) FROM watchlists WHERE name = ?", [name]).fetchone()[0]
    if not exists:
        raise WatchlistError(f"no watchlist named {name!r}")
    unknown = [t for t in texts if t not in known]
    if unknown:
        raise WatchlistError(f"watchlist {name!r} has no query {unknown[0]!r}")
    doomed = list(texts) if texts else sorted(known)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM watch_matches WHERE watchlist = ? AND query IN (SELECT unnest(?))",
            [name, doomed],
        )
        con.execute(
            "DELETE FROM watch_queries WHERE watchlist = ? AND query IN (SELECT unnest(?))",
            [name, doomed],
        )
        if not texts:
            con.execute("DELETE FROM watch_matches WHERE watchlist = ?", [name])
            con.execute("DELETE FROM watchlists WHERE name = ?", [name])
        summaries.refresh(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(doomed)


def list_watchlists(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One row per query: watchlist, query, matching articles, last match's article date."""
    cursor = con.execute(
        """SELECT w.name AS watchlist, q.query, count(DISTINCT m.article_id) AS articles,
                  max(coalesce(a.published_at, a.first_seen_at)) AS last_article,
                  coalesce(q.created_at, w.created_at) AS created_at
           FROM watchlists w
           LEFT JOIN watch_queries q ON q.watchlist = w.name
           LEFT JOIN watch_matches m ON m.watchlist = w.name AND m.query = q.query
           LEFT JOIN articles a ON a.article_id = m.article_id
           GROUP BY ALL ORDER BY w.name, created_at, q.query"""
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# --- matching ----------------------------------------------------------------------------


def _match_rows(
    watch_queries: Sequence[WatchQuery], rows: Iterable[tuple[str, str | None, str]]
) -> list[tuple[str, str, str, str]]:
    """(watchlist, query, article_id, snippet) for every query matching every row."""
    found = []
    for article_id, title, body in rows:
        doc = Document(f"{title or ''}\n{body}")
        for wq in watch_queries:
            if wq.query.matches(doc):
                terms = positive_terms(wq.query.tree)
                found.append((wq.watchlist, wq.text, article_id, make_snippet(body, terms)))
    return found


def _insert_matches(con: duckdb.DuckDBPyConnection, found: list[tuple[str, str, str, str]]) -> None:
    if not found:
        return
    import numpy as np  # imported late: the report commands import this module

    _pandas_absent()
    columns = list(zip(*found, strict=True))
    batch = {
        "watchlist": np.array(columns[0], dtype=object),
        "query": np.array(columns[1], dtype=object),
        "article_id": np.array(columns[2], dtype=object),
        "snippet": np.array(columns[3], dtype=object),
    }
    con.register("watch_match_batch", batch)
    try:
        con.execute(
            "INSERT INTO watch_matches SELECT watchlist, query, article_id, snippet, ? "
            "FROM watch_match_batch",
            [_now()],
        )
    finally:
        con.unregister("watch_match_batch")


def match_articles(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> int:
    """Match new or changed articles against every watchlist (in the caller's transaction);
    replaces their previous matches; returns the number of matches written."""
    if not article_ids:
        return 0
    watch_queries = queries(con)
    ids = list(article_ids)
    con.execute("DELETE FROM watch_matches WHERE article_id IN (SELECT unnest(?))", [ids])
    if not watch_queries:
        return 0
    rows = []
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        # A literal IN list lets DuckDB look the rows up in the primary-key index instead
        # of scanning every article's body.
        rows += con.execute(
            "SELECT article_id, title, body_text FROM articles WHERE article_id IN "
            f"({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
    found = _match_rows(watch_queries, rows)
    _insert_matches(con, found)
    return len(found)


def _prefilter(node: Node) -> tuple[str, list[str]]:
    """A SQL condition on ``t`` (lower-cased title and body) that every article matching
    ``node`` satisfies: each required ASCII word must occur as a substring."""
    if isinstance(node, Term):
        words = [w for w in node.words if w.isascii()]
        if not words:
            return "true", []
        return "(" + " AND ".join("contains(t, ?)" for _ in words) + ")", words
    if isinstance(node, Not):
        return "true", []
    parts = [_prefilter(child) for child in node.children]
    joiner = " AND " if isinstance(node, And) else " OR "
    assert isinstance(node, And | Or)
    return "(" + joiner.join(p[0] for p in parts) + ")", [w for p in parts for w in p[1]]


def backfill(
    con: duckdb.DuckDBPyConnection,
    watch_queries: Sequence[WatchQuery],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Match ``watch_queries`` against every loaded article (caller's transaction): one
    scan for all of them, each candidate article tokenised once."""
    counts = {wq.text: 0 for wq in watch_queries}
    if not watch_queries:
        return counts
    conditions, params = [], []
    for wq in watch_queries:
        condition, words = _prefilter(wq.query.tree)
        conditions.append(condition)
        params += words
        con.execute(
            "DELETE FROM watch_matches WHERE watchlist = ? AND query = ?", [wq.watchlist, wq.text]
        )
    cursor = con.execute(
        f"""SELECT article_id, title, body_text FROM (
                SELECT article_id, title, body_text,
                       lower(coalesce(title, '') || ' ' || body_text) AS t
                FROM articles)
            WHERE ({" OR ".join(conditions)}) OR regexp_matches(t, '{_FOLDING_CHARS}')""",
        params,
    )
    found: list[tuple[str, str, str, str]] = []
    while chunk := cursor.fetchmany(_BACKFILL_CHUNK):
        found.extend(_match_rows(watch_queries, chunk))
        if progress:
            progress(len(chunk), len(found))
    _insert_matches(con, found)  # after the scan: an insert would end the open result
    for _watchlist, text, _article, _snippet in found:
        counts[text] += 1
    return counts


def _pandas_absent() -> None:
    """DuckDB probes ``import pandas`` for every Python string it converts; when pandas is
    not installed that failed import is retried each time (~10x slower inserts). Record
    the absence once so the probe is a dictionary lookup."""
    if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
        sys.modules["pandas"] = None  # type: ignore[assignment]
