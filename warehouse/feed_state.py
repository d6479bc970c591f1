"""Feed state in the warehouse: monitored feeds and their health, announced items, fetch log.

Crash safety rests on two transactions per feed and per batch:
* a poll's new validators (ETag, Last-Modified, body hash) are committed together with
  every item the feed announced, so a run killed after a poll never loses those items
  behind a 304 on the next poll;
* a batch of articles is committed together with its items' new status, so a killed run
  leaves its items 'pending' and the next run picks them up, and re-loading is idempotent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from config.settings import PollingSettings, RevisionSettings
from extractors.feed import DEFAULT_MAX_ITEMS, FeedItem, ParsedFeed, parse_feed
from extractors.models import ExtractionError
from sources.feedlist import FeedSource
from sources.http import FetchError, FetchResult
from sources.urls import canonical_url
from warehouse import loader
from warehouse.db import transaction
from warehouse.polling import IntervalDecision, next_interval

# Item statuses (see migration 003).
PENDING, EXTRACTED, FEED_CONTENT, FAILED = "pending", "extracted", "feed_content", "failed"
# An extracted item whose feed entry changed within the revisit window: its page is
# fetched again, and a changed headline or body becomes a revision (migration 014).
REVISIT = "revisit"
WEB_SOURCE = ("web", "articles announced by feeds")


@dataclass(frozen=True)
class FeedState:
    feed_id: str
    url: str
    name: str
    outlet: str | None
    poll_interval_minutes: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    consecutive_failures: int
    next_poll_at: datetime | None
    current_interval_minutes: int | None = None  # adaptive polling; starts at the configured

    def due(self, now: datetime) -> bool:
        return self.next_poll_at is None or self.next_poll_at <= now


@dataclass(frozen=True)
class PendingItem:
    """An announced item whose article still has to be (re)fetched or loaded."""

    feed_id: str
    item_key: str
    article_ref: str
    url: str | None
    title: str | None
    summary: str | None
    content_html: str | None
    author: str | None
    published_at: datetime | None
    language: str | None
    outlet: str | None
    page_attempts: int
    revisit: bool = False  # the article is stored; the page is fetched again for changes


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one pending item in this run."""

    item: PendingItem
    status: str  # EXTRACTED, FEED_CONTENT or FAILED
    article: loader.ArticleInput | None
    reason: str | None = None
    detail: str = ""


def feed_id_for(url: str) -> str:
    return loader.stable_id("feed", url)


def article_ref_for(item: FeedItem, canonical: str | None) -> str:
    """Articles are identified by canonical URL across feeds, else by guid, else by content."""
    if canonical:
        return canonical
    return f"item:{item.identity}"


def web_source_id(con: duckdb.DuckDBPyConnection) -> str:
    kind, reference = WEB_SOURCE
    return loader.ensure_source(con, kind, reference, name="web")


# --- feeds -------------------------------------------------------------------------------


def sync_feeds(con: duckdb.DuckDBPyConnection, sources: Sequence[FeedSource]) -> list[FeedState]:
    """Upsert the configured feeds and return their current state (config order)."""
    with transaction(con):
        for source in sources:
            outlet_id = loader.ensure_outlet(con, source.outlet)
            loader.ensure_source(con, "feed", source.url, name=source.name, outlet=source.outlet)
            con.execute(
                """MERGE INTO feeds USING (SELECT CAST(? AS VARCHAR) AS feed_id,
                     CAST(? AS VARCHAR) AS url, CAST(? AS VARCHAR) AS name,
                     CAST(? AS VARCHAR) AS outlet_id, CAST(? AS VARCHAR[]) AS tags,
                     CAST(? AS INTEGER) AS poll_interval_minutes) AS new
                   ON feeds.feed_id = new.feed_id
                   WHEN MATCHED AND (feeds.name IS DISTINCT FROM new.name
                       OR feeds.outlet_id IS DISTINCT FROM new.outlet_id
                       OR feeds.tags IS DISTINCT FROM new.tags
                       OR feeds.poll_interval_minutes IS DISTINCT FROM new.poll_interval_minutes)
                     THEN UPDATE SET name = new.name, outlet_id = new.outlet_id,
                       tags = new.tags, poll_interval_minutes = new.poll_interval_minutes,
                       current_interval_minutes = CASE WHEN feeds.poll_interval_minutes
                         IS DISTINCT FROM new.poll_interval_minutes
                         THEN new.poll_interval_minutes ELSE feeds.current_interval_minutes END,
                       interval_reason = CASE WHEN feeds.poll_interval_minutes
                         IS DISTINCT FROM new.poll_interval_minutes
                         THEN 'configured' ELSE feeds.interval_reason END
                   WHEN NOT MATCHED THEN INSERT (feed_id, url, name, outlet_id, tags,
                     poll_interval_minutes, current_interval_minutes, interval_reason)
                     VALUES (new.feed_id, new.url, new.name, new.outlet_id, new.tags,
                     new.poll_interval_minutes, new.poll_interval_minutes, 'configured')""",
                [
                    feed_id_for(source.url),
                    source.url,
                    source.name,
                    outlet_id,
                    list(source.tags),
                    source.poll_interval_minutes,
                ],
            )
    rows = con.execute(
        """SELECT f.feed_id, f.url, f.name, o.name, f.poll_interval_minutes, f.etag,
                  f.last_modified, f.body_hash, f.consecutive_failures, f.next_poll_at,
                  f.current_interval_minutes
           FROM feeds f LEFT JOIN outlets o ON o.outlet_id = f.outlet_id
           WHERE f.feed_id IN (SELECT unnest(?))""",
        [[feed_id_for(s.url) for s in sources]],
    ).fetchall()
    states = {r[0]: FeedState(*r) for r in rows}
    return [states[feed_id_for(s.url)] for s in sources]


# Doublings of the backoff before the cap surely applies (2**60 is far beyond any cap);
# without a bound, 2**n for a feed failing for years overflows a float.
_MAX_DOUBLINGS = 60


def backoff_delay(consecutive_failures: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff: base, 2x base, 4x base... capped."""
    doublings = min(_MAX_DOUBLINGS, max(0, consecutive_failures - 1))
    return min(max_seconds, base_seconds * 2**doublings)


def record_poll_success(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    state: FeedState,
    *,
    status: str,
    etag: str | None,
    last_modified: str | None,
    body_hash: str | None,
    title: str | None = None,
    bozo_reason: str | None = None,
    items: Sequence[tuple[FeedItem, str | None]] = (),
    polling: PollingSettings | None = None,
    revisit_days: int | None = None,
) -> int:
    """Store the poll's validators and announce ``items`` (item, canonical url) atomically.

    A feed with a configured interval is next due after its adapted interval
    (``warehouse.polling``); one without is due every run. Returns how many items were
    new to this feed.
    """
    now = datetime.now(UTC)
    with transaction(con):
        new_items = _announce_items(con, run_id, state.feed_id, items, now)
        _mark_revisits(con, state.feed_id, items, now, revisit_days)
        interval = _adapted_interval(state, len(items), new_items, polling)
        next_poll = now + timedelta(minutes=interval.minutes) if interval else None
        con.execute(
            """UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?,
                 title = coalesce(?, title), last_polled_at = ?, last_success_at = ?,
                 last_status = ?, last_error = NULL, bozo_reason = ?,
                 consecutive_failures = 0, next_poll_at = ?, items_seen = items_seen + ?,
                 current_interval_minutes = ?, interval_reason = ?
               WHERE feed_id = ?""",
            [
                etag,
                last_modified,
                body_hash,
                title,
                now,
                now,
                status,
                bozo_reason,
                next_poll,
                new_items,
                interval.minutes if interval else None,
                interval.reason if interval else None,
                state.feed_id,
            ],
        )
        source_id = loader.stable_id("feed", state.url)
        loader.resolve_failures(con, source_id, [state.url])
    return new_items


def _mark_revisits(
    con: duckdb.DuckDBPyConnection,
    feed_id: str,
    items: Sequence[tuple[FeedItem, str | None]],
    now: datetime,
    revisit_days: int | None,
) -> None:
    """Items first seen within the revisit window whose title, date, summary or content
    changed since their article was extracted are marked for another page fetch, with the
    feed's new text stored as their hints."""
    days = revisit_days if revisit_days is not None else RevisionSettings.from_env().revisit_days
    if days <= 0 or not items:
        return
    since = now - timedelta(days=days)
    for item, _ in items:
        con.execute(
            """UPDATE feed_items SET status = 'revisit', title = ?, summary = ?,
                 content_html = ?, published_at = ?, next_attempt_at = NULL
               WHERE feed_id = ? AND item_key = ? AND status = 'extracted'
                 AND first_seen_at >= ?
                 AND (title IS DISTINCT FROM ? OR summary IS DISTINCT FROM ?
                      OR content_html IS DISTINCT FROM ?
                      OR published_at IS DISTINCT FROM CAST(? AS TIMESTAMPTZ))""",
            [
                item.title,
                item.summary,
                item.content_html,
                item.published_at,
                feed_id,
                item.identity,
                since,
                item.title,
                item.summary,
                item.content_html,
                item.published_at,
            ],
        )


def _adapted_interval(
    state: FeedState, announced: int, new: int, polling: PollingSettings | None
) -> IntervalDecision | None:
    if not state.poll_interval_minutes:
        return None
    if state.body_hash is None:
        # A feed's first successful poll finds every item new by definition: that says
        # nothing about how fast it publishes, so it starts at its configured interval.
        return IntervalDecision(state.poll_interval_minutes, "first poll: configured interval")
    bounds = polling or PollingSettings.from_env()
    return next_interval(
        state.current_interval_minutes or state.poll_interval_minutes,
        announced=announced,
        new=new,
        floor_minutes=bounds.floor_minutes,
        ceiling_minutes=bounds.ceiling_minutes,
    )


_ITEM_COLUMNS = [
    "feed_id",
    "item_key",
    "article_ref",
    "guid",
    "url",
    "canonical_url",
    "title",
    "summary",
    "content_html",
    "author",
    "published_at",
    "language",
    "first_seen_at",
    "run_id",
    "status",
]
_TIMESTAMP_COLUMNS = {"published_at", "first_seen_at"}
# Items announced per statement: a few MB of parameters, whatever the feed's size.
ANNOUNCE_CHUNK = 1_000
# Insert what is not there yet, as one set per chunk: the columns arrive as parallel lists
# (unnest zips them), an item repeated in the chunk counts once (its first occurrence), and
# NOT EXISTS rather than a key, since a DuckLake table has none. One statement per item in
# one transaction took DuckDB to 18.8 GiB at 100,000 items.
_ANNOUNCE_ITEMS = (
    f"INSERT INTO feed_items ({', '.join(_ITEM_COLUMNS)}) "
    f"SELECT {', '.join(_ITEM_COLUMNS)} FROM (SELECT "
    + ", ".join(
        f"unnest(?::{'TIMESTAMPTZ' if c in _TIMESTAMP_COLUMNS else 'VARCHAR'}[]) AS {c}"
        for c in _ITEM_COLUMNS
    )
    + ") AS new WHERE NOT EXISTS (SELECT 1 FROM feed_items f"
    " WHERE f.feed_id = new.feed_id AND f.item_key = new.item_key)"
)


def _announce_items(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    feed_id: str,
    items: Sequence[tuple[FeedItem, str | None]],
    now: datetime,
) -> int:
    """Insert the items this feed has not announced before; returns how many were new."""
    new_items = 0
    seen: set[str] = set()
    for start in range(0, len(items), ANNOUNCE_CHUNK):
        rows = []
        for item, canonical in items[start : start + ANNOUNCE_CHUNK]:
            if item.identity in seen:
                continue
            seen.add(item.identity)
            rows.append(_item_row(run_id, feed_id, item, canonical, now))
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            new_items += con.execute(_ANNOUNCE_ITEMS, columns).fetchone()[0]
    return new_items


def _item_row(
    run_id: str, feed_id: str, item: FeedItem, canonical: str | None, now: datetime
) -> tuple[object, ...]:
    """One item's values in ``_ITEM_COLUMNS`` order."""
    return (
        feed_id,
        item.identity,
        article_ref_for(item, canonical),
        item.guid,
        item.url,
        canonical,
        item.title,
        item.summary,
        item.content_html,
        item.author,
        item.published_at,
        item.language,
        now,
        run_id,
        PENDING,
    )


def record_poll_failure(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    state: FeedState,
    *,
    stage: str,
    reason: str,
    detail: str,
    retry_after: float | None,
    backoff_base_seconds: float,
    backoff_max_seconds: float,
) -> datetime:
    """Count the failure, schedule the next poll (Retry-After wins over backoff)."""
    now = datetime.now(UTC)
    failures = state.consecutive_failures + 1
    delay = backoff_delay(failures, backoff_base_seconds, backoff_max_seconds)
    if retry_after is not None:
        delay = max(delay, retry_after)
    next_poll = now + timedelta(seconds=delay)
    with transaction(con):
        con.execute(
            """UPDATE feeds SET last_polled_at = ?, last_status = ?, last_error = ?,
                 consecutive_failures = ?, next_poll_at = ? WHERE feed_id = ?""",
            [now, reason, detail[:2000], failures, next_poll, state.feed_id],
        )
        source_id = loader.stable_id("feed", state.url)
        loader.record_failures(
            con, source_id, run_id, [loader.FailedInput(state.url, stage, reason, detail)]
        )
    return next_poll


# --- items -------------------------------------------------------------------------------


def items_to_fetch(con: duckdb.DuckDBPyConnection, now: datetime) -> list[PendingItem]:
    """Announced items whose article is missing or came from the feed's own text and whose
    retry time has come, oldest first; one row per article (the first feed that announced it).
    An item that used up its attempts has no retry time and stays recorded as it is."""
    rows = con.execute(
        """SELECT i.feed_id, i.item_key, i.article_ref, i.url, i.title, i.summary,
                  i.content_html, i.author, i.published_at, i.language, o.name, i.page_attempts,
                  i.status = ?
           FROM feed_items i
           JOIN feeds f ON f.feed_id = i.feed_id
           LEFT JOIN outlets o ON o.outlet_id = f.outlet_id
           WHERE i.status IN (?, ?) OR (i.status IN (?, ?) AND i.next_attempt_at <= ?)
           QUALIFY row_number() OVER (PARTITION BY i.article_ref
                                      ORDER BY i.first_seen_at, i.feed_id) = 1
           ORDER BY i.first_seen_at, i.feed_id, i.item_key""",
        [REVISIT, PENDING, REVISIT, FEED_CONTENT, FAILED, now],
    ).fetchall()
    return [PendingItem(*r) for r in rows]


def mark_already_loaded(con: duckdb.DuckDBPyConnection) -> int:
    """Items whose article another feed (or an earlier item) already extracted from its page
    are not fetched again: they point at that article."""
    with transaction(con):
        updated = con.execute(
            """UPDATE feed_items SET status = 'extracted', article_id = a.article_id,
                 next_attempt_at = NULL
               FROM articles a
               WHERE a.source_ref = feed_items.article_ref
                 AND a.extraction_method NOT LIKE 'feed-%'
                 AND feed_items.status NOT IN ('extracted', 'revisit')"""
        ).fetchone()  # the row count (DuckLake has no RETURNING for updates)
    return int(updated[0])


def record_item_outcomes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    outcomes: Sequence[ItemOutcome],
    *,
    max_page_attempts: int,
    retry_base_seconds: float,
    retry_max_seconds: float,
) -> loader.LoadResult:
    """Load the batch's articles and update its items' status, in one transaction."""
    now = datetime.now(UTC)
    with transaction(con):
        source_id = web_source_id(con)
        articles = [o.article for o in outcomes if o.article is not None]
        result = loader.insert_articles(con, source_id, run_id, articles)
        for outcome in outcomes:
            _update_item(
                con,
                outcome,
                source_id,
                now,
                max_page_attempts,
                retry_base_seconds,
                retry_max_seconds,
            )
        failures = [
            loader.FailedInput(o.item.url or o.item.article_ref, "fetch_page", o.reason, o.detail)
            for o in outcomes
            if o.reason
        ]
        loader.record_failures(con, source_id, run_id, failures)
        loader.resolve_failures(
            con,
            source_id,
            [o.item.url for o in outcomes if o.status == EXTRACTED and o.item.url],
        )
    return result


def _update_item(
    con: duckdb.DuckDBPyConnection,
    outcome: ItemOutcome,
    source_id: str,
    now: datetime,
    max_page_attempts: int,
    retry_base_seconds: float,
    retry_max_seconds: float,
) -> None:
    item = outcome.item
    attempts = item.page_attempts + (0 if outcome.status == EXTRACTED else 1)
    next_attempt = None
    if outcome.status != EXTRACTED and attempts < max_page_attempts:
        delay = backoff_delay(attempts, retry_base_seconds, retry_max_seconds)
        next_attempt = now + timedelta(seconds=delay)
    article_id = (
        loader.stable_id(source_id, item.article_ref) if outcome.article is not None else None
    )
    # Every item announcing this article follows it (several feeds may carry one URL).
    con.execute(
        """UPDATE feed_items SET status = ?, page_attempts = ?, last_reason = ?,
             next_attempt_at = ?, article_id = coalesce(?, article_id)
           WHERE article_ref = ? AND status <> 'extracted'""",
        [
            outcome.status,
            attempts,
            outcome.reason,
            next_attempt,
            article_id,
            item.article_ref,
        ],
    )


def log_fetches(con: duckdb.DuckDBPyConnection, run_id: str, entries: Sequence[dict]) -> None:
    """Append fetch log rows (dicts with the fetch_log columns except logged_at/run_id)."""
    if not entries:
        return
    now = datetime.now(UTC)
    con.executemany(
        """INSERT INTO fetch_log (logged_at, run_id, kind, url, outcome, status, reason, detail,
             retryable, elapsed_ms, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            [
                now,
                run_id,
                e["kind"],
                e["url"],
                e["outcome"],
                e.get("status"),
                e.get("reason"),
                (e.get("detail") or "")[:2000],
                e.get("retryable"),
                e.get("elapsed_ms"),
                e.get("bytes"),
            ]
            for e in entries
        ],
    )


def feed_health(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cursor = con.execute(
        """SELECT f.name, f.url, o.name AS outlet, f.last_success_at, f.last_polled_at,
                  f.last_status, f.consecutive_failures, f.next_poll_at,
                  f.current_interval_minutes AS poll_interval_minutes,
                  coalesce(f.interval_reason, CASE WHEN f.poll_interval_minutes IS NULL
                    THEN 'no interval configured: polled every run' END) AS interval_reason,
                  f.items_seen,
                  (SELECT count(*) FROM feed_items i WHERE i.feed_id = f.feed_id
                     AND i.status <> 'extracted') AS items_pending,
                  f.bozo_reason, f.last_error
           FROM feeds f LEFT JOIN outlets o ON o.outlet_id = f.outlet_id
           ORDER BY f.name"""
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# --- one feed poll -------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Failed feeds wait ``base_seconds`` doubling per failure, up to ``max_seconds``."""

    base_seconds: float
    max_seconds: float


@dataclass(frozen=True)
class PollRecord:
    """What recording one feed poll did, and what the flow should log about it."""

    new_items: int
    failed: bool
    notes: list[tuple[int, str]]  # (logging level, message)


def log_entry(kind: str, url: str, outcome: str, **fields: object) -> dict:
    """One ``fetch_log`` row (see ``log_fetches``)."""
    return {"kind": kind, "url": url, "outcome": outcome, **fields}


def canonical_or_none(url: str | None) -> str | None:
    """The canonical form of ``url``, or None when there is none or it is not a web URL."""
    if not url:
        return None
    try:
        return canonical_url(url)
    except ValueError:
        return None


def record_poll(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    state: FeedState,
    result: FetchResult | None,
    error: FetchError | None,
    backoff: Backoff,
    max_items: int = DEFAULT_MAX_ITEMS,
    *,
    parsed: ParsedFeed | None = None,
) -> PollRecord:
    """Record one poll of a feed: its fetch log, its health and (unless the feed is
    unchanged) its parsed items, at most ``max_items`` of them (newest first). A failed
    fetch or an unusable feed backs off; a feed that had to be bounded says how in its
    fetch log row (reason ``limits_applied``).

    ``parsed`` is given for a news-sitemap source (read with its children by the flow);
    it is recorded even when the root file is unchanged, since its children may not be."""
    if error is not None:
        return _record_fetch_failure(con, run_id, state, error, backoff)
    assert result is not None
    body_hash = hashlib.sha256(result.body).hexdigest() if not result.not_modified else None
    entry = {
        "status": result.status,
        "elapsed_ms": int(result.elapsed_seconds * 1000),
        "bytes": len(result.body),
    }
    if result.not_modified or (body_hash == state.body_hash and parsed is None):
        outcome = "not_modified" if result.not_modified else "unchanged"
        log_fetches(con, run_id, [log_entry("feed", state.url, outcome, **entry)])
        record_poll_success(
            con,
            run_id,
            state,
            status=outcome,
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=state.body_hash,
        )
        note = f"feed {state.name}: {outcome.replace('_', ' ')}"
        return PollRecord(0, False, [(logging.INFO, note)])
    try:
        parsed = parsed or parse_feed(
            result.body,
            content_type=result.headers.get("content-type"),
            content_location=result.headers.get("content-location"),
            base_url=result.final_url,
            max_items=max_items,
        )
    except ExtractionError as unusable:
        log_fetches(
            con,
            run_id,
            [log_entry("feed", state.url, "error", reason=unusable.reason, detail=unusable.detail)],
        )
        record_poll_failure(
            con,
            run_id,
            state,
            stage="parse_feed",
            reason=unusable.reason,
            detail=unusable.detail,
            retry_after=None,
            backoff_base_seconds=backoff.base_seconds,
            backoff_max_seconds=backoff.max_seconds,
        )
        note = f"feed {state.name} is not usable: {unusable}"
        return PollRecord(0, True, [(logging.WARNING, note)])
    if parsed.limits_applied:
        entry.update(reason="limits_applied", detail="; ".join(parsed.limits_applied))
    log_fetches(con, run_id, [log_entry("feed", state.url, "ok", **entry)])
    new_items = record_poll_success(
        con,
        run_id,
        state,
        status="ok",
        etag=result.etag,
        last_modified=result.last_modified,
        body_hash=body_hash,
        title=parsed.title,
        bozo_reason=parsed.bozo_reason,
        items=[(item, canonical_or_none(item.url)) for item in parsed.items],
    )
    return PollRecord(new_items, False, _parsed_notes(state, parsed, new_items))


def _record_fetch_failure(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    state: FeedState,
    error: FetchError,
    backoff: Backoff,
) -> PollRecord:
    log_fetches(
        con,
        run_id,
        [
            log_entry(
                "feed",
                state.url,
                "refused" if error.reason.startswith("blocked") else "error",
                status=error.status,
                reason=error.reason,
                detail=error.detail,
                retryable=error.retryable,
            )
        ],
    )
    next_poll = record_poll_failure(
        con,
        run_id,
        state,
        stage="fetch_feed",
        reason=error.reason,
        detail=error.detail,
        retry_after=error.retry_after,
        backoff_base_seconds=backoff.base_seconds,
        backoff_max_seconds=backoff.max_seconds,
    )
    note = f"feed {state.name} failed ({error}); next poll {next_poll}"
    return PollRecord(0, True, [(logging.WARNING, note)])


def _parsed_notes(state: FeedState, parsed: ParsedFeed, new_items: int) -> list[tuple[int, str]]:
    notes = []
    if parsed.bozo_reason:
        notes.append(
            (logging.WARNING, f"feed {state.name} is malformed but usable: {parsed.bozo_reason}")
        )
    notes += [
        (logging.WARNING, f"feed {state.name} was bounded: {limit}")
        for limit in parsed.limits_applied
    ]
    notes.append((logging.INFO, f"feed {state.name}: {len(parsed.items)} item(s), {new_items} new"))
    return notes
