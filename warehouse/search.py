"""Full-text search over article titles and bodies: DuckDB's fts extension, offline.

* The extension comes from the ``duckdb-extension-fts`` wheel (a pinned dependency) and is
  loaded from its file inside site-packages, so search works without network access.
* ``PRAGMA create_fts_index`` builds a static BM25 index (schema ``fts_main_articles``);
  DuckDB does not update it as articles are loaded. ``search_index_state.watermark``
  records the newest ``updated_at`` it covers. Articles updated after it are the *delta*:
  they are searched directly (pre-filtered by substring, tokenised and stemmed exactly as
  the index does, scored with the index's BM25 statistics) so results are always complete.
* ``refresh_index`` rebuilds the index when the delta is worth it (policy below); the
  ingestion flows call it at the end of their dedupe step.
* The index's ``terms`` table (one row per token, ~90M rows at 1M articles) is in document
  order, so finding a term's documents scans all of it (~0.5 s). Each build also writes
  ``postings``, the same (termid, docid) rows sorted by term: a query reads only the row
  groups of its terms (zone maps), ~0.01 s.
* A DuckLake has no index (the fts extension cannot store one in a lake), so there every
  article is delta: the same SQL runs with the index's parts switched off and the BM25
  statistics computed without it. ``num_docs`` is the article count; a query term's ``df``
  is counted exactly in the pre-filtered candidates (every article holding a scored stem
  passes the substring pre-filter); ``avgdl`` is exact up to ``AVGDL_EXACT_MAX`` articles
  and above that taken from a fixed sample (articles whose id hashes to 0 modulo a step
  giving ~``AVGDL_EXACT_MAX`` of them: deterministic, so a query ranks the same each
  time). The stop words are the fts extension's own list, read once per process from a
  throwaway index in memory. Up to ``AVGDL_EXACT_MAX`` articles the lake ranks exactly as
  the indexed DuckDB file; above it scores can differ by the sample's error in ``avgdl``.

Query syntax is the watchlist syntax (``textanalysis.query``). A single word matches its
inflections (the index stems: ``report`` finds "reports"); a quoted phrase or a word that
splits into several (``Baby-P``) must appear as that exact word sequence; NOT excludes.
Stop words ("the", "of") carry no score.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from textanalysis.query import (
    And,
    Document,
    Node,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    all_terms,
    positive_terms,
)
from textanalysis.query import snippet as make_snippet
from warehouse import ducklake, summaries
from warehouse.reports import ReportFilter

FTS_SCHEMA = "fts_main_articles"
# Keep digits in index terms ("G20", "2009"); the default drops them.
_IGNORE = r"(\\.|[^a-z0-9])+"
_TOKENIZE_SQL = (
    "string_split_regex(regexp_replace(lower(strip_accents(CAST({} AS VARCHAR))), "
    "'(\\\\.|[^a-z0-9])+', ' ', 'g'), '\\s+')"
)
_K, _B = 1.2, 0.75
# Rebuild policy: below this many articles a rebuild takes a few seconds, so any change
# triggers one; above it, once the delta reaches this share of the indexed articles or
# this many articles (searching the delta directly costs ~0.1 s per 1,000 articles).
REBUILD_ALWAYS_BELOW = 50_000
REBUILD_DELTA_SHARE = 0.05
REBUILD_DELTA_MAX = 5_000
# On a DuckLake (no index): above this many articles ``avgdl`` comes from a sample of about
# this size (counting the tokens of 1,000 articles costs ~0.25 s CPU at each query).
AVGDL_EXACT_MAX = 1_000


class SearchError(Exception):
    """Search cannot run: bad query, missing extension or index."""


# --- the extension -----------------------------------------------------------------------


def fts_extension_path() -> Path:
    """The ``fts.duckdb_extension`` file shipped in the duckdb-extension-fts wheel."""
    root = Path(str(resources.files("duckdb_extension_fts")))
    exact = root / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if exact.is_file():
        return exact
    found = sorted(root.rglob("fts.duckdb_extension"))
    if not found:
        raise SearchError(
            f"the fts extension is missing from {root}: reinstall duckdb-extension-fts"
        )
    return found[-1]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    loaded = con.execute(
        "SELECT count(*) FROM duckdb_extensions() WHERE extension_name = 'fts' AND loaded"
    ).fetchone()[0]
    if not loaded:
        path = str(fts_extension_path()).replace("'", "''")
        con.execute(f"LOAD '{path}'")


@functools.cache
def fts_stopwords() -> tuple[str, ...]:
    """The stop words ``create_fts_index`` uses by default (english), for searching without
    an index: the extension keeps its list inside, so build a one-row index in memory and
    read its ``stopwords`` table."""
    con = duckdb.connect()
    try:
        load_fts(con)
        con.execute("CREATE TABLE t AS SELECT 1 AS id, 'x' AS body")
        con.execute("PRAGMA create_fts_index('t', 'id', 'body')")
        rows = con.execute("SELECT sw FROM fts_main_t.stopwords ORDER BY sw").fetchall()
    finally:
        con.close()
    return tuple(r[0] for r in rows)


def _stopwords_sql(indexed: bool) -> str:
    """A subquery of the stop words: the index's own, or (no index) the extension's list."""
    if indexed:
        return f"(SELECT sw FROM {FTS_SCHEMA}.stopwords)"
    words = ", ".join("'" + w.replace("'", "''") + "'" for w in fts_stopwords())
    return f"(SELECT unnest([{words}]))"


# --- the index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexStatus:
    exists: bool
    built_at: datetime | None
    watermark: datetime | None
    indexed: int  # articles in the index
    build_seconds: float | None
    articles: int  # articles in the warehouse
    delta: int  # articles updated since the index was built (searched directly)

    @property
    def needs_rebuild(self) -> bool:
        if not self.exists:
            return True
        if self.delta == 0:
            return False
        return self.articles < REBUILD_ALWAYS_BELOW or self.delta >= min(
            REBUILD_DELTA_MAX, max(1, REBUILD_DELTA_SHARE * self.indexed)
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _fts_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'docs' "
            "AND database_name = current_database()",
            [FTS_SCHEMA],
        ).fetchone()[0]
    )


def index_status(con: duckdb.DuckDBPyConnection) -> IndexStatus:
    state = con.execute(
        "SELECT built_at, watermark, articles, build_seconds FROM search_index_state WHERE id = 1"
    ).fetchone()
    exists = state is not None and _fts_exists(con)
    watermark = state[1] if exists else None
    total, delta = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE ? IS NULL OR updated_at > ?) FROM articles",
        [watermark, watermark],
    ).fetchone()
    return IndexStatus(
        exists=exists,
        built_at=state[0] if exists else None,
        watermark=watermark,
        indexed=state[2] if exists else 0,
        build_seconds=state[3] if exists else None,
        articles=total,
        delta=delta if exists else total,
    )


def rebuild_index(con: duckdb.DuckDBPyConnection) -> float:
    """Build the BM25 index over every article (title and body); returns seconds taken.

    Needs a writable connection; the caller holds the writer lock, so nothing is loaded
    while it runs and the watermark is exact."""
    load_fts(con)
    started = time.perf_counter()
    watermark, count = con.execute("SELECT max(updated_at), count(*) FROM articles").fetchone()
    con.execute(
        f"PRAGMA create_fts_index('articles', 'article_id', 'title', 'body_text', "
        f"overwrite = 1, ignore = '{_IGNORE}')"
    )
    build_postings(con)
    seconds = time.perf_counter() - started
    con.execute(
        "INSERT OR REPLACE INTO search_index_state VALUES (1, ?, ?, ?, ?)",
        [datetime.now(UTC), watermark, count, seconds],
    )
    return seconds


def build_postings(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)write ``postings``: the index's term occurrences sorted by term."""
    con.execute(f"DROP TABLE IF EXISTS {FTS_SCHEMA}.postings")
    con.execute(
        f"CREATE TABLE {FTS_SCHEMA}.postings AS SELECT termid, docid "
        f"FROM {FTS_SCHEMA}.terms ORDER BY termid, docid"
    )


def _has_postings(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? "
            "AND table_name = 'postings' AND database_name = current_database()",
            [FTS_SCHEMA],
        ).fetchone()[0]
    )


def refresh_index(con: duckdb.DuckDBPyConnection, force: bool = False) -> float | None:
    """Rebuild the index if the policy says so (or ``force``); returns the build seconds,
    or None when the index was fresh enough (or the warehouse is a DuckLake: no index).
    An index built before ``postings`` existed gets them (they derive from its terms)."""
    if ducklake.is_lake(con):
        return None
    status = index_status(con)
    if force or status.needs_rebuild:
        return rebuild_index(con)
    if status.exists and not _has_postings(con):
        build_postings(con)
    return None


# --- queries -----------------------------------------------------------------------------


@dataclass
class _Leaf:
    stems: list[str]  # index terms the leaf needs (stop words removed)
    exact: bool  # the stems decide the leaf (a single word); else verify on the text


class _Compiler:
    """Turns a query tree into SQL over ``stems`` (the query terms a document contains)."""

    def __init__(self, leaves: dict[Term, _Leaf]) -> None:
        self.leaves = leaves
        self.params: list[Any] = []

    def compile(self, node: Node, over: bool = True) -> str:
        """An over- (or under-) approximation of ``node``: every matching document
        satisfies the over-approximation; every document satisfying the under-
        approximation matches."""
        if isinstance(node, Term):
            leaf = self.leaves[node]
            if not leaf.stems:
                return "true" if over else "false"
            if not leaf.exact and not over:
                return "false"
            self.params.append(leaf.stems)
            return "list_has_all(stems, ?)"
        if isinstance(node, Not):
            return f"(NOT {self.compile(node.child, not over)})"
        joiner = " AND " if isinstance(node, And) else " OR "
        assert isinstance(node, And | Or)
        return "(" + joiner.join(self.compile(c, over) for c in node.children) + ")"


def _stems(con: duckdb.DuckDBPyConnection, words: Sequence[str], stopwords: str) -> dict[str, list]:
    """word -> its index terms: tokenised, ``stopwords`` (a subquery) dropped, Porter-stemmed."""
    rows = con.execute(
        f"""SELECT w, list(stem(t, 'porter')) FILTER (WHERE t <> '' AND t NOT IN {stopwords})
            FROM (SELECT w, unnest({_TOKENIZE_SQL.format("w")}) AS t FROM unnest(?) u(w))
            GROUP BY w""",
        [list(words)],
    ).fetchall()
    return {w: list(s or []) for w, s in rows}


def _evaluate(node: Node, leaves: dict[Term, _Leaf], stems: set[str], doc: Document) -> bool:
    if isinstance(node, Term):
        leaf = leaves[node]
        if leaf.exact:
            return all(s in stems for s in leaf.stems)
        return doc.has(node)
    if isinstance(node, Not):
        return not _evaluate(node.child, leaves, stems, doc)
    results = (_evaluate(c, leaves, stems, doc) for c in node.children)
    return all(results) if isinstance(node, And) else any(results)


def search(
    con: duckdb.DuckDBPyConnection,
    text: str,
    filters: ReportFilter | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Articles matching ``text``, best BM25 score first: id, title, outlet, score, snippet,
    published_or_seen, url, story_id, duplicate_of."""
    query = _parse_query(text)
    indexed = not ducklake.is_lake(con)  # a DuckLake has no index: every article is delta
    load_fts(con)  # (stem() on both)
    status = index_status(con)
    if indexed and not status.exists:
        raise SearchError("no search index yet: run an ingestion or `presswatch search --reindex`")
    leaves = _leaves(con, query, indexed)
    scored = sorted({s for t in positive_terms(query.tree) for s in leaves[t].stems})
    if not scored:
        return []  # only stop words to look for
    every = sorted({s for leaf in leaves.values() for s in leaf.stems})
    compiler = _Compiler(leaves)
    condition = compiler.compile(query.tree)
    # Filters read the coverage summaries' narrow per-article facts while they are fresh.
    fresh = filters is not None and filters.active and summaries.is_fresh(con)
    sql, params = _search_sql(
        every,
        scored,
        status,
        condition,
        compiler.params,
        (filters, summaries.FACTS_VIEW if fresh else None),
        _postings(con, every) if indexed else None,
    )
    sql += " LIMIT 100000"  # a phrase is verified in at most this many ranked candidates
    return _ranked_results(con, (sql, params), query, leaves, limit)


def _parse_query(text: str) -> Query:
    """The boolean query in ``text``; it must look for at least one word."""
    try:
        query = Query.parse(text)
    except QueryError as exc:
        raise SearchError(f"cannot parse query {text!r}: {exc}") from exc
    if not positive_terms(query.tree):
        raise SearchError("a search needs at least one word that is not negated with NOT")
    return query


def _leaves(con: duckdb.DuckDBPyConnection, query: Query, indexed: bool) -> dict[Term, _Leaf]:
    """Each term of the query with the stems of its words (stop words have none)."""
    words = sorted({w for term in all_terms(query.tree) for w in term.words})
    stems_of = _stems(con, words, _stopwords_sql(indexed))
    leaves: dict[Term, _Leaf] = {}
    for term in all_terms(query.tree):
        stems = [s for w in term.words for s in stems_of.get(w, [])]
        leaves[term] = _Leaf(sorted(set(stems)), exact=len(term.words) == 1)
    return leaves


def _postings(con: duckdb.DuckDBPyConnection, every: list[str]) -> tuple[str, list[int]]:
    """The index's table of (termid, docid) rows and the term ids of the query's stems."""
    termids = [
        r[0]
        for r in con.execute(
            f"SELECT termid FROM {FTS_SCHEMA}.dict WHERE term IN (SELECT unnest(?))", [every]
        ).fetchall()
    ]
    table = f"{FTS_SCHEMA}.postings" if _has_postings(con) else f"{FTS_SCHEMA}.terms"
    return table, termids


def _ranked_results(
    con: duckdb.DuckDBPyConnection,
    ranking: tuple[str, list[Any]],
    query: Query,
    leaves: dict[Term, _Leaf],
    limit: int,
) -> list[dict[str, Any]]:
    """The first ``limit`` hits of the ranking query (SQL, parameters) that really match:
    read page by page, a term of several words (a phrase) verified in the article's text."""
    needs_text = any(not leaf.exact for leaf in leaves.values())
    page = max(limit * 5, 200) if needs_text else limit
    results: list[dict[str, Any]] = []
    database = con.execute("SELECT current_database()").fetchone()[0]
    ranked = con.execute(*ranking)  # ranked once, read page by page
    reader = con.cursor()  # a second cursor: a query on ``con`` would end ``ranked``
    try:
        reader.execute(f'USE "{database}"')  # (a lake's new cursor starts in memory)
        while len(results) < limit:
            rows = ranked.fetchmany(page)
            if not rows:
                break
            details = _details(reader, [r[0] for r in rows])
            for article_id, score, stems in rows:
                article = details[article_id]
                doc = Document(f"{article['title'] or ''}\n{article['body_text']}")
                if needs_text and not _evaluate(query.tree, leaves, set(stems), doc):
                    continue
                results.append(_result(article_id, score, article, query))
                if len(results) == limit:
                    break
            if len(rows) < page:
                break
    finally:
        reader.close()
    return results


def _result(article_id: str, score: float, article: dict[str, Any], query: Query) -> dict[str, Any]:
    """One search result (the JSON fields of ``presswatch search``)."""
    return {
        "id": article_id,
        "title": article["title"],
        "outlet": article["outlet"],
        "score": round(float(score), 4),
        "snippet": make_snippet(article["body_text"], positive_terms(query.tree), inflected=True),
        "published_or_seen": article["published_or_seen"],
        "url": article["url"],
        "story_id": article["story_id"],
        "duplicate_of": article["duplicate_of"],
    }


def _details(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Title, outlet, date, body... of a page of results: article_overview's columns, with
    the same literal IN list on each table (index lookups; through the view, the story
    and copy tables would be scanned whole)."""
    if not ids:
        return {}
    listed = f"IN ({', '.join('?' * len(ids))})"
    cursor = con.execute(
        f"""SELECT a.article_id, a.title, o.name AS outlet,
                   coalesce(a.published_at, a.first_seen_at) AS published_or_seen, a.url,
                   m.story_id, d.canonical_id AS duplicate_of, a.body_text
            FROM (SELECT * FROM articles WHERE article_id {listed}) a
            LEFT JOIN outlets o ON o.outlet_id = a.outlet_id
            LEFT JOIN (SELECT article_id, story_id FROM story_members
                       WHERE article_id {listed}) m ON m.article_id = a.article_id
            LEFT JOIN (SELECT article_id, canonical_id FROM duplicate_links
                       WHERE article_id {listed}) d ON d.article_id = a.article_id""",
        ids * 3,
    )
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def _search_sql(
    every: list[str],
    scored: list[str],
    status: IndexStatus,
    condition: str,
    condition_params: list[Any],
    filtering: tuple[ReportFilter | None, str | None],
    postings: tuple[str, list[int]] | None,
) -> tuple[str, list[Any]]:
    """Index hits (articles not updated since the build) plus delta hits, one ranking.
    ``filtering``: the filters and the table of articles they read (None: the default,
    article_overview); ``postings``: the table of (termid, docid) rows to read and the
    query's term ids, written as literals so the scan skips the row groups without them,
    or None without an index (a DuckLake): every article is delta, and the statistics
    the index would hold are computed here (module docstring)."""
    filters, source = filtering
    indexed = postings is not None
    stopwords = _stopwords_sql(indexed)
    params: list[Any] = [every, [s in scored for s in every]]
    # In DOUBLE: with DECIMAL literals the arithmetic runs in DECIMAL, ~3x slower.
    bm25 = (
        "CASE WHEN scored THEN log(((st.num_docs - df + 0.5::DOUBLE) / (df + 0.5::DOUBLE)) + 1) "
        f"* (tf * {_K + 1}::DOUBLE) / (tf + {_K}::DOUBLE * ({1 - _B}::DOUBLE + {_B}::DOUBLE "
        "* len / st.avgdl)) ELSE 0 END"
    )
    # Delta articles must contain a prefix of each... at least one scored stem (substring
    # of the folded text: a Porter stem differs from its word only in the last letters).
    prefixes = sorted({s[: max(3, len(s) - 2)] for s in scored})
    delta_filter = " OR ".join("contains(lower(strip_accents(x.t)), ?)" for _ in prefixes)
    newer = "coalesce(?, '-infinity'::TIMESTAMPTZ)"  # after the watermark (all if none)
    filter_sql = ""
    filter_params: list[Any] = []
    if filters is not None and filters.active:
        call, filter_params = filters.macro_call("report_articles", source)
        filter_sql = f" AND h.article_id IN (SELECT article_id FROM {call})"
    if postings is not None:
        table, termids = postings
        in_terms = ", ".join(str(int(t)) for t in termids) or "NULL"
        index_ctes = f"""
        q AS (SELECT d.termid, d.term, d.df, qs.scored
              FROM {FTS_SCHEMA}.dict d JOIN qs USING (term)),
        st AS (SELECT num_docs, avgdl FROM {FTS_SCHEMA}.stats),
        idx_tf AS (
            SELECT t.docid, q.term, any_value(q.df) AS df, any_value(q.scored) AS scored,
                   count(*) AS tf
            FROM {table} t JOIN q USING (termid)
            WHERE t.termid IN ({in_terms}) GROUP BY t.docid, q.term),
        idx_docs AS (  -- the query's condition first: fewer documents to look up and score
            SELECT docid, stems FROM (
                SELECT docid, list(term) AS stems FROM idx_tf GROUP BY docid)
            WHERE {condition}),
        idx_hits AS (
            SELECT docs.name AS article_id, sum({bm25}) AS score, any_value(stems) AS stems
            FROM idx_docs JOIN idx_tf USING (docid) JOIN {FTS_SCHEMA}.docs docs USING (docid), st
            GROUP BY docs.name),
        delta_ids AS (SELECT article_id FROM articles WHERE updated_at > {newer}),"""
        params += [*condition_params, status.watermark]
        document_frequencies, df_cte = f"{FTS_SCHEMA}.dict", ""
        hits = """
            SELECT * FROM idx_hits WHERE article_id NOT IN (SELECT article_id FROM delta_ids)
            UNION ALL
            SELECT * FROM delta_hits"""
    else:
        # avgdl over every article, or over a fixed sample of ~AVGDL_EXACT_MAX of them.
        step = -(-status.articles // AVGDL_EXACT_MAX)
        sample = f"WHERE hash(article_id) % {step} = 0" if step > 1 else ""
        index_ctes = f"""
        sampled AS (
            SELECT coalesce(title, '') || ' ' || body_text AS t FROM articles {sample}),
        st AS (
            SELECT (SELECT count(*) FROM articles) AS num_docs,
                   (SELECT count(*) FROM (
                        SELECT unnest({_TOKENIZE_SQL.format("t")}) AS w FROM sampled)
                    WHERE w <> '' AND w NOT IN {stopwords})
                   / (SELECT count(*) FROM sampled) AS avgdl),"""
        # df counted in the candidates: every article holding a scored stem is one.
        document_frequencies = "delta_df"
        df_cte = """delta_df AS (
            SELECT term, count(DISTINCT article_id) AS df
            FROM delta_tokens WHERE term IN (SELECT term FROM qs) GROUP BY term),
        """
        hits = "SELECT * FROM delta_hits"
    sql = f"""
        WITH qs AS (SELECT unnest(?::VARCHAR[]) AS term, unnest(?::BOOLEAN[]) AS scored),
        {index_ctes}
        delta AS (  -- the date test on the scan itself: text is read for the delta only
            SELECT x.article_id, x.t FROM (
                SELECT article_id, coalesce(title, '') || ' ' || body_text AS t
                FROM articles WHERE updated_at > {newer}) x
            WHERE {delta_filter}),
        delta_tokens AS (
            SELECT article_id, stem(w, 'porter') AS term FROM (
                SELECT article_id, unnest({_TOKENIZE_SQL.format("t")}) AS w FROM delta)
            WHERE w <> '' AND w NOT IN {stopwords}),
        {df_cte}delta_len AS (SELECT article_id, count(*) AS len FROM delta_tokens GROUP BY 1),
        delta_tf AS (
            SELECT dt.article_id, dt.term, coalesce(any_value(d.df), 0) AS df,
                   any_value(qs.scored) AS scored, count(*) AS tf
            FROM delta_tokens dt JOIN qs USING (term)
            LEFT JOIN {document_frequencies} d ON d.term = dt.term
            GROUP BY dt.article_id, dt.term),
        delta_hits AS (
            SELECT article_id, sum({bm25}) AS score, list(term) AS stems
            FROM delta_tf JOIN delta_len USING (article_id), st GROUP BY article_id),
        hits AS ({hits})
        SELECT h.article_id, h.score, h.stems FROM hits h
        WHERE h.score > 0 AND {condition}{filter_sql}
        ORDER BY h.score DESC, h.article_id"""
    params += [status.watermark, *prefixes]
    params += condition_params + filter_params
    return sql, params
