"""Loading extracted articles, failures and run records into the warehouse, idempotently.

An article's id is a hash of (source, source_ref), so loading the same input twice finds
the same row: unchanged content is counted and skipped, changed content updates the row.
Failures are upserted per (source, item, stage) with an attempt counter and are marked
resolved when a later run loads the item.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import duckdb

from extractors import dates, outlets
from extractors.models import ExtractedArticle
from textanalysis.folding import normalise
from warehouse.db import transaction

# Articles loaded from a feed's own text ('feed-content', 'feed-summary') rather than a page.
FEED_TEXT_METHOD_PREFIX = "feed-"


@dataclass(frozen=True)
class ArticleInput:
    """One extracted article and where it came from."""

    source_ref: str  # seed file name, or the feed item's identity
    article: ExtractedArticle
    canonical_url: str | None = None
    feed_id: str | None = None  # the feed that announced it: its dates are judged together


@dataclass(frozen=True)
class FailedInput:
    item_ref: str
    stage: str
    reason: str
    detail: str = ""


@dataclass
class LoadResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        """Articles whose text is new to the warehouse and must go through dedup."""
        return self.added + self.updated


@dataclass(frozen=True)
class RunCounts:
    items_seen: int = 0
    articles_added: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    errors: int = 0
    duplicates_linked: int = 0
    stories_touched: int = 0


def stable_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalise(name)).strip("-") or "unknown"


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(normalise(text).split()).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _as_timestamp(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


# --- runs --------------------------------------------------------------------------------


def start_run(
    con: duckdb.DuckDBPyConnection,
    flow: str,
    target: str,
    prefect_flow_run_id: str | None = None,
) -> str:
    run_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO ingestion_runs (run_id, flow, target, started_at, status, "
        "prefect_flow_run_id) VALUES (?, ?, ?, ?, 'running', ?)",
        [run_id, flow, target, _now(), prefect_flow_run_id],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    counts: RunCounts,
    *,
    status: str = "completed",
    message: str | None = None,
) -> None:
    con.execute(
        """UPDATE ingestion_runs SET finished_at = ?, status = ?, items_seen = ?,
           articles_added = ?, articles_updated = ?, articles_unchanged = ?, errors = ?,
           duplicates_linked = ?, stories_touched = ?, message = ? WHERE run_id = ?""",
        [
            _now(),
            status,
            counts.items_seen,
            counts.articles_added,
            counts.articles_updated,
            counts.articles_unchanged,
            counts.errors,
            counts.duplicates_linked,
            counts.stories_touched,
            message,
            run_id,
        ],
    )


# --- sources and outlets -----------------------------------------------------------------


def ensure_outlet(
    con: duckdb.DuckDBPyConnection, name: str | None, domain: str | None = None
) -> str | None:
    """The id of the outlet called ``name`` (the slug of the name), created if new; the
    outlet records ``domain`` when it has none yet. Aliases are not resolved here."""
    if not name or not name.strip():
        return None
    outlet_id = slug(name)
    con.execute(  # MERGE, not ON CONFLICT: a DuckLake table has no key to conflict on
        """MERGE INTO outlets USING (SELECT CAST(? AS VARCHAR) AS outlet_id,
             CAST(? AS VARCHAR) AS name, CAST(? AS VARCHAR) AS domain) AS new
           ON outlets.outlet_id = new.outlet_id
           WHEN MATCHED AND outlets.domain IS NULL AND new.domain IS NOT NULL
             THEN UPDATE SET domain = new.domain
           WHEN NOT MATCHED THEN INSERT (outlet_id, name, domain)
             VALUES (new.outlet_id, new.name, new.domain)""",
        [outlet_id, name.strip(), domain],
    )
    return outlet_id


def source_id_of(kind: str, reference: str) -> str:
    """The id ``ensure_source`` gives the source ``(kind, reference)``."""
    return stable_id(kind, reference)


def ensure_source(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    reference: str,
    *,
    name: str | None = None,
    outlet: str | None = None,
) -> str:
    source_id = source_id_of(kind, reference)
    outlet_id = ensure_outlet(con, outlet)
    con.execute(
        """MERGE INTO sources USING (SELECT CAST(? AS VARCHAR) AS source_id,
             CAST(? AS VARCHAR) AS kind, CAST(? AS VARCHAR) AS reference,
             CAST(? AS VARCHAR) AS name, CAST(? AS VARCHAR) AS outlet_id,
             CAST(? AS TIMESTAMPTZ) AS created_at) AS new
           ON sources.source_id = new.source_id
           WHEN MATCHED AND (sources.name IS DISTINCT FROM new.name
                             OR sources.outlet_id IS DISTINCT FROM new.outlet_id)
             THEN UPDATE SET name = new.name, outlet_id = new.outlet_id
           WHEN NOT MATCHED THEN INSERT VALUES (new.source_id, new.kind, new.reference,
             new.name, new.outlet_id, new.created_at)""",
        [source_id, kind, reference, name, outlet_id, _now()],
    )
    return source_id


# --- articles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredText:
    """What the loader compares of a stored article to tell whether it is unchanged: the
    hash of its body and its headline."""

    content_hash: str
    title: str | None

    def matches(self, digest: str, title: str | None) -> bool:
        return (self.content_hash, self.title) == (digest, title)

    def unchanged(self, article: ExtractedArticle) -> bool:
        """Whether loading ``article`` over this one would find it unchanged (and write
        nothing): what lets a flow skip analysing it before it is loaded."""
        return self.matches(content_hash(article.text), article.title)


def stored_texts(
    con: duckdb.DuckDBPyConnection, source_id: str, source_refs: Iterable[str]
) -> dict[str, StoredText]:
    """By source ref, the stored text of the articles of ``source_id`` under ``source_refs``."""
    rows = con.execute(
        "SELECT source_ref, content_hash, title FROM articles WHERE source_id = ? "
        "AND source_ref IN (SELECT unnest(?::VARCHAR[]))",
        [source_id, list(source_refs)],
    ).fetchall()
    return {ref: StoredText(digest, title) for ref, digest, title in rows}


def load_articles(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    run_id: str,
    inputs: Iterable[ArticleInput],
) -> LoadResult:
    """Insert new articles, update changed ones, skip unchanged ones; one transaction."""
    with transaction(con):
        return insert_articles(con, source_id, run_id, inputs)


def insert_articles(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    run_id: str,
    inputs: Iterable[ArticleInput],
) -> LoadResult:
    """``load_articles`` inside the caller's transaction."""
    result = LoadResult()
    items = list(inputs)
    # One lookup for the batch (on DuckLake each query costs a catalog round trip).
    known: dict[str, _Stored] = {
        row[0]: _Stored(*row[1:])
        for row in con.execute(
            "SELECT article_id, content_hash, title, extraction_method FROM articles "
            "WHERE article_id IN (SELECT unnest(?::VARCHAR[]))",
            [[stable_id(source_id, item.source_ref) for item in items]],
        ).fetchall()
    }
    context = _batch_context(con, source_id, run_id, items)
    for item in items:
        _load_one(con, source_id, run_id, item, result, known, context)
    _write_dates(con, result.updated, context.date_rows)
    _resolve_errors(con, source_id, result.changed + result.unchanged)
    return result


# How many of the feed's latest dated items describe it (median, stamping).
FEED_PROFILE_ITEMS = 500


@dataclass
class _BatchContext:
    """What every article of a batch is loaded with: the feed's date profile, the fetch
    window, the outlet aliases and the outlets known by domain."""

    now: datetime
    fetched_from: datetime | None
    feeds: dict[str | None, dates.FeedDates]
    aliases: dict[str, str]
    outlet_by_domain: dict[str, str]
    # article_dates rows of the batch's added and updated articles, written at the end
    date_rows: list[tuple] = field(default_factory=list)


def _batch_context(
    con: duckdb.DuckDBPyConnection, source_id: str, run_id: str, items: list[ArticleInput]
) -> _BatchContext:
    started = con.execute(
        "SELECT started_at FROM ingestion_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    return _BatchContext(
        now=_now(),
        fetched_from=started[0] if started else None,
        feeds=_feed_profiles(con, source_id, items),
        aliases=dict(con.execute("SELECT alias_id, outlet_id FROM outlet_aliases").fetchall()),
        outlet_by_domain=dict(
            con.execute(
                "SELECT domain, min(outlet_id) FROM outlets WHERE domain IS NOT NULL GROUP BY 1"
            ).fetchall()
        ),
    )


def _feed_profiles(
    con: duckdb.DuckDBPyConnection, source_id: str, items: list[ArticleInput]
) -> dict[str | None, dates.FeedDates]:
    """Per feed of the batch (None: items without one), the profile of its dates: the
    median of the dates of its latest announced items (``feed_items``, else this batch's),
    and whether this batch's items share one minute (the feed stamps them)."""
    batch: dict[str | None, list[datetime]] = {}
    for item in items:
        values = [c.value for c in item.article.dates if c.source in dates.FEED_SOURCES]
        batch.setdefault(item.feed_id, []).extend(values)
    feed_ids = [f for f in batch if f is not None]
    stored: dict[str | None, list[datetime]] = {}
    if feed_ids:
        rows = con.execute(
            """SELECT feed_id, published_at FROM feed_items
               WHERE published_at IS NOT NULL AND feed_id IN (SELECT unnest(?::VARCHAR[]))
               QUALIFY row_number() OVER (PARTITION BY feed_id ORDER BY published_at DESC) <= ?""",
            [feed_ids, FEED_PROFILE_ITEMS],
        ).fetchall()
        for feed_id, value in rows:
            stored.setdefault(feed_id, []).append(value)
    if batch.get(None):  # items of no known feed: the source's earlier feed dates
        rows = con.execute(
            """SELECT d.value FROM article_dates d
               WHERE d.source = ? AND d.article_id IN (
                 SELECT article_id FROM articles WHERE source_id = ?)
               ORDER BY d.value DESC LIMIT ?""",
            [dates.FEED_PUBLISHED, source_id, FEED_PROFILE_ITEMS],
        ).fetchall()
        stored[None] = [row[0] for row in rows] + batch[None]
    profiles = {}
    for feed_id, values in batch.items():
        every = stored.get(feed_id) or values
        if every:
            profiles[feed_id] = dates.FeedDates(
                median=dates.feed_dates(every).median, stamped=dates.feed_dates(values).stamped
            )
    return profiles


def _outlet_ids(
    con: duckdb.DuckDBPyConnection, article: ExtractedArticle, context: _BatchContext
) -> tuple[str | None, str | None, str | None]:
    """(given outlet id, canonical outlet id, canonical id of the credited agency).

    A site name or configured outlet records the page's registered domain; an article
    whose only outlet is that domain joins the outlet known by it."""
    domain = outlets.registered_domain(article.url)
    given = None
    if article.outlet_source == outlets.DOMAIN and article.outlet:
        given = context.outlet_by_domain.get(article.outlet)
    if given is None:
        recorded_domain = domain if article.outlet_source != outlets.DOMAIN else article.outlet
        given = ensure_outlet(con, article.outlet, recorded_domain)
        if given is not None and recorded_domain:
            context.outlet_by_domain.setdefault(recorded_domain, given)
    wire = ensure_outlet(con, article.wire_credit)
    return (
        given,
        context.aliases.get(given, given) if given else None,
        context.aliases.get(wire, wire) if wire else None,
    )


def _date_rows(
    article_id: str,
    choice: dates.DateChoice,
    claims: Sequence[dates.DateClaim],
    first_seen: datetime | None,
    now: datetime,
) -> list[tuple]:
    """The article's ``article_dates`` rows (its first-seen date only when it is new)."""
    distrusted = dict(choice.distrusted)
    rows = [
        (article_id, c.source, c.value, c.earliest, c.precision, distrusted.get(c), now)
        for c in claims
    ]
    if first_seen is not None:
        rows.append((article_id, dates.FIRST_SEEN, first_seen, None, dates.DAY, None, now))
    return rows


def _write_dates(
    con: duckdb.DuckDBPyConnection, updated: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Replace the date claims of the batch's articles in two statements (an updated
    article keeps its first-seen row)."""
    if updated:
        con.execute(
            "DELETE FROM article_dates WHERE source <> ? "
            "AND article_id IN (SELECT unnest(?::VARCHAR[]))",
            [dates.FIRST_SEEN, list(updated)],
        )
    if rows:
        columns = list(zip(*rows, strict=True))
        con.execute(
            """INSERT INTO article_dates (article_id, source, value, earliest, precision,
                 distrusted, recorded_at)
               SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::TIMESTAMPTZ[]),
                      unnest(?::TIMESTAMPTZ[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
                      unnest(?::TIMESTAMPTZ[])""",
            [list(column) for column in columns],
        )


@dataclass(frozen=True)
class _Stored(StoredText):
    """What the loader compares of an article already stored, and how it was extracted."""

    method: str

    def is_extracted_page(self) -> bool:
        return not self.method.startswith(FEED_TEXT_METHOD_PREFIX)


def _load_one(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    run_id: str,
    item: ArticleInput,
    result: LoadResult,
    known: dict[str, _Stored],
    context: _BatchContext,
) -> None:
    """Insert or update one article; ``known`` (id -> the articles already stored) is kept
    up to date, so an item repeated in the batch is seen as stored. A changed headline or
    body of a page-extracted article keeps the replaced text as a revision."""
    article = item.article
    article_id = stable_id(source_id, item.source_ref)
    digest = content_hash(article.text)
    existing = known.get(article_id)
    stored = _Stored(digest, article.title, article.method)
    known[article_id] = stored
    if existing is not None and existing.matches(digest, article.title):
        result.unchanged.append(article_id)
        return
    if existing is not None and existing.is_extracted_page() and stored.is_extracted_page():
        _keep_revision(con, article_id)
    given_outlet_id, outlet_id, wire_outlet_id = _outlet_ids(con, article, context)
    if article.dates:
        choice = dates.choose_published(
            article.dates,
            now=context.now,
            feed=context.feeds.get(item.feed_id),
            fetched_from=context.fetched_from,
        )
    else:  # an input that states a date without saying where it came from
        choice = dates.DateChoice(_as_timestamp(article.published_at), None)
    now = _now()
    values = [
        item.source_ref,
        article.url,
        item.canonical_url,
        outlet_id,
        article.title,
        article.author,
        choice.value,
        article.language,
        article.dateline,
        article.text,
        digest,
        article.method,
        choice.source,
        article.outlet_source,
        given_outlet_id,
        article.wire_credit,
        wire_outlet_id,
        article.byline,
        now,
    ]
    if existing is not None:
        con.execute(
            """UPDATE articles SET source_ref = ?, url = ?, canonical_url = ?, outlet_id = ?,
               title = ?, author = ?, published_at = ?, language = ?, dateline = ?,
               body_text = ?, content_hash = ?, extraction_method = ?, published_source = ?,
               outlet_source = ?, given_outlet_id = ?, wire_credit = ?, wire_outlet_id = ?,
               byline = ?, updated_at = ?, dedupe_pending = true
               WHERE article_id = ?""",
            [*values, article_id],
        )
        result.updated.append(article_id)
        # the same article earlier in this batch: its claims are replaced too
        context.date_rows[:] = [
            r for r in context.date_rows if r[0] != article_id or r[1] == dates.FIRST_SEEN
        ]
        context.date_rows += _date_rows(article_id, choice, article.dates, None, now)
    else:
        con.execute(
            """INSERT INTO articles (source_ref, url, canonical_url, outlet_id, title, author,
               published_at, language, dateline, body_text, content_hash, extraction_method,
               published_source, outlet_source, given_outlet_id, wire_credit, wire_outlet_id,
               byline, updated_at, article_id, source_id, first_seen_at, run_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [*values, article_id, source_id, now, run_id],
        )
        result.added.append(article_id)
        context.date_rows += _date_rows(article_id, choice, article.dates, now, now)


def _keep_revision(con: duckdb.DuckDBPyConnection, article_id: str) -> None:
    """Copy the article's current text into ``article_revisions`` before it is replaced."""
    con.execute(
        """INSERT INTO article_revisions (article_id, revision, title, body_text, content_hash,
             published_at, text_seen_at, replaced_at)
           SELECT a.article_id,
                  1 + (SELECT count(*) FROM article_revisions r WHERE r.article_id = a.article_id),
                  a.title, a.body_text, a.content_hash, a.published_at, a.updated_at, ?
           FROM articles a WHERE a.article_id = ?""",
        [_now(), article_id],
    )


# --- failures ----------------------------------------------------------------------------


def record_failures(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    run_id: str,
    failures: Sequence[FailedInput],
) -> None:
    now = _now()
    for failure in failures:
        con.execute(
            """MERGE INTO ingest_errors USING (SELECT CAST(? AS VARCHAR) AS source_id,
                 CAST(? AS VARCHAR) AS item_ref, CAST(? AS VARCHAR) AS stage,
                 CAST(? AS VARCHAR) AS reason, CAST(? AS VARCHAR) AS detail,
                 CAST(? AS TIMESTAMPTZ) AS at, CAST(? AS VARCHAR) AS run_id) AS new
               ON ingest_errors.source_id = new.source_id
                  AND ingest_errors.item_ref = new.item_ref AND ingest_errors.stage = new.stage
               WHEN MATCHED THEN UPDATE SET reason = new.reason, detail = new.detail,
                 attempts = ingest_errors.attempts + 1, last_at = new.at,
                 last_run_id = new.run_id, resolved_at = NULL
               WHEN NOT MATCHED THEN INSERT (source_id, item_ref, stage, reason, detail,
                 attempts, first_at, last_at, last_run_id) VALUES (new.source_id,
                 new.item_ref, new.stage, new.reason, new.detail, 1, new.at, new.at, new.run_id)""",
            [
                source_id,
                failure.item_ref,
                failure.stage,
                failure.reason,
                failure.detail[:2000],
                now,
                run_id,
            ],
        )


def _resolve_errors(
    con: duckdb.DuckDBPyConnection, source_id: str, article_ids: Sequence[str]
) -> None:
    if not article_ids:
        return
    con.execute(
        """UPDATE ingest_errors SET resolved_at = ?
           WHERE source_id = ? AND resolved_at IS NULL AND item_ref IN (
             SELECT source_ref FROM articles WHERE article_id IN (SELECT unnest(?)))""",
        [_now(), source_id, list(article_ids)],
    )


def pending_dedupe(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Articles loaded (or changed) whose dedupe has not completed, oldest first."""
    rows = con.execute(
        "SELECT article_id FROM articles WHERE dedupe_pending "
        "ORDER BY coalesce(published_at, first_seen_at), first_seen_at, article_id"
    ).fetchall()
    return [r[0] for r in rows]


def resolve_failures(
    con: duckdb.DuckDBPyConnection, source_id: str, item_refs: Sequence[str]
) -> None:
    """Mark errors of items that were processed successfully (e.g. seen again unchanged)."""
    if item_refs:
        con.execute(
            "UPDATE ingest_errors SET resolved_at = ? WHERE source_id = ? "
            "AND resolved_at IS NULL AND item_ref IN (SELECT unnest(?))",
            [_now(), source_id, list(item_refs)],
        )
