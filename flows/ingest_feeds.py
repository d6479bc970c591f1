"""``ingest_feeds``: poll feeds -> record announced items -> fetch pages -> extract and
fingerprint them -> load in batches -> dedupe -> report.

Network and parsing are separate steps so each can be retried on its own: a feed fetch
that fails transiently is retried by Prefect within the run; whatever still fails is
recorded (feed health, ``fetch_log``, ``ingest_errors``) and retried on later runs with
per-feed backoff. Items are committed as soon as their feed is parsed, and articles as
soon as their batch is extracted, so a run killed at any moment loses nothing.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

import httpx
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import task_run

from config.settings import (
    FetchSettings,
    SitemapSettings,
    TaskRunnerSettings,
    allowed_hosts_from_env,
    apply_prefect_defaults,
    resolve_db_path,
    resolve_feeds_path,
)
from extractors.feed import ParsedFeed
from extractors.feed_content import article_from_feed_item
from extractors.html import FeedHints, extract_html
from extractors.models import ExtractedArticle, ExtractionError
from extractors.sitemap_items import parsed_feed_from_sitemap
from flows.coverage_artifacts import coverage_report
from flows.dedupe_step import DEDUPE_EVERY, Deduped, dedupe_loaded
from flows.fingerprints_ahead import fingerprints_of, with_language
from flows.run_record import RunSummary, finish_run, warehouse_run
from flows.search_index import refresh_search
from flows.task_runner import extraction_runner
from sources.feedlist import FeedList, load_feed_list
from sources.http import FetchError, FetchPolicy, FetchResult, fetch, http_client
from sources.politeness import HostThrottle
from sources.robots import RobotsCache
from sources.sitemap_source import read_sitemap_source
from sources.sitemaps import SitemapError, looks_like_sitemap
from sources.urls import parse_allowed_hosts
from textanalysis.fingerprints import Analysis
from warehouse import feed_state as feed_store
from warehouse import loader
from warehouse.db import WarehouseError, connection
from warehouse.location import WarehouseLocation, locate

apply_prefect_defaults()  # prefect.yaml names this module: a process may start here

FEED_RETRIES = 2
# Within a run, Prefect retries a transient feed failure only when the server does not ask
# for a longer pause than this; a longer Retry-After becomes the feed's next poll time.
MAX_IN_RUN_RETRY_AFTER = 10.0
# Page batches fetched, being extracted or waiting to be loaded at once: enough to keep
# every extraction worker busy while the next batches download, few enough that memory
# does not grow with the number of pages due. Extraction runs where ``flows.task_runner``
# puts it: one batch at a time in this process by default (threads only trade the GIL:
# unbounded threaded extraction used 1.8x the CPU of a plain loop and once died in native
# code), or in parallel in worker processes or on Dask. See README "Scaling out".
FETCH_AHEAD_PER_WORKER = 2


@dataclass(frozen=True)
class FeedPoll:
    """The network half of polling one feed."""

    state: feed_store.FeedState
    result: FetchResult | None = None
    error: FetchError | None = None
    parsed: ParsedFeed | None = None  # set for a news-sitemap source, read in the fetch task


@dataclass(frozen=True)
class FeedOutcome:
    new_items: int
    failed: bool


@dataclass(frozen=True)
class PageBatch:
    outcomes: list[feed_store.ItemOutcome]
    fetch_log: list[dict]


def fetch_policy(feed_list: FeedList, settings: FetchSettings) -> FetchPolicy:
    """Allowed hosts come from the feed list's ``allowed_hosts`` and $PRESSWATCH_ALLOWED_HOSTS."""
    return FetchPolicy(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        total_timeout=settings.total_timeout,
        max_bytes=settings.max_bytes,
        max_redirects=settings.max_redirects,
        **({"user_agent": settings.user_agent} if settings.user_agent else {}),
        allow=parse_allowed_hosts([*feed_list.allowed_hosts, *allowed_hosts_from_env()]),
    )


@lru_cache(maxsize=8)
def _throttle(per_host: int, delay: float, global_limit: int) -> HostThrottle:
    """One throttle per process, so concurrent tasks share the politeness limits."""
    return HostThrottle(per_host=per_host, min_delay=delay, global_limit=global_limit)


@lru_cache(maxsize=8)
def _robots(policy: FetchPolicy, throttle: HostThrottle, max_age_seconds: float) -> RobotsCache:
    """One robots.txt cache per process (and policy), kept across batches and runs."""

    def get(url: str) -> FetchResult:
        with throttle.slot(url):
            return fetch(url, policy=policy)

    return RobotsCache(get, max_age_seconds=max_age_seconds)


# --- feeds -------------------------------------------------------------------------------


@task(name="fetch-feed", retries=FEED_RETRIES, retry_delay_seconds=1, cache_policy=NO_CACHE)
def fetch_feed(
    state: feed_store.FeedState, policy: FetchPolicy, settings: FetchSettings
) -> FeedPoll:
    """GET the feed with its validators. Raises (so Prefect retries) only on transient errors."""
    throttle = _throttle(
        settings.per_host_concurrency, settings.host_delay, settings.global_concurrency
    )
    try:
        with throttle.slot(state.url):
            result = fetch(
                state.url, policy=policy, etag=state.etag, last_modified=state.last_modified
            )
    except FetchError as error:
        short_pause = error.retry_after is None or error.retry_after <= MAX_IN_RUN_RETRY_AFTER
        if error.retryable and short_pause and task_run.run_count <= FEED_RETRIES:
            raise
        return FeedPoll(state, error=error)
    return _as_sitemap_source(FeedPoll(state, result=result), policy, throttle)


# Source-type dispatch: a source whose response is a news sitemap or sitemap index is read
# as one (its children fetched within bounds) and its entries become the feed's items.
def _as_sitemap_source(poll: FeedPoll, policy: FetchPolicy, throttle: HostThrottle) -> FeedPoll:
    result = poll.result
    if result is None or result.not_modified or not looks_like_sitemap(result.body):
        return poll
    try:
        read = read_sitemap_source(
            result,
            policy=policy,
            settings=SitemapSettings.from_env(),
            now=datetime.now(UTC),
            slot=throttle.slot,
        )
    except SitemapError as unusable:
        return FeedPoll(poll.state, error=FetchError(unusable.reason, detail=unusable.detail))
    return replace(poll, parsed=parsed_feed_from_sitemap(read))


@task(name="record-feed", cache_policy=NO_CACHE)
def record_feed(
    warehouse: WarehouseLocation, run_id: str, poll: FeedPoll, settings: FetchSettings
) -> FeedOutcome:
    """Parse the feed (unless unchanged) and store its health and items."""
    with connection(warehouse) as con:
        recorded = feed_store.record_poll(
            con,
            run_id,
            poll.state,
            poll.result,
            poll.error,
            feed_store.Backoff(settings.retry_base_seconds, settings.retry_max_seconds),
            parsed=poll.parsed,
            max_items=settings.max_items_per_poll,
        )
    logger = get_run_logger()
    for level, message in recorded.notes:
        logger.log(level, message)
    return FeedOutcome(new_items=recorded.new_items, failed=recorded.failed)


def _poll_of(state: feed_store.FeedState, future: PrefectFuture[FeedPoll]) -> FeedPoll:
    """The poll's result; a task that failed unexpectedly becomes a recorded feed error, so
    that one feed's failure never stops the others."""
    try:
        return future.result()
    except Exception as error:
        return FeedPoll(state, error=FetchError("unexpected_error", detail=_describe(error)))


def _record_each(
    warehouse: WarehouseLocation, run_id: str, poll: FeedPoll, settings: FetchSettings
) -> FeedOutcome:
    """``record_feed``, with an unexpected failure (a parser bug, an absurd value) recorded as
    that feed's error instead of ending the run; warehouse problems still end it."""
    try:
        return record_feed(warehouse, run_id, poll, settings)
    except WarehouseError:
        raise
    except Exception as error:
        failed = FetchError("unexpected_error", detail=_describe(error))
        return record_feed(warehouse, run_id, FeedPoll(poll.state, error=failed), settings)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# --- pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedPage:
    """The network half of one item: the page, or why there is none."""

    item: feed_store.PendingItem
    result: FetchResult | None = None
    error: FetchError | None = None
    elapsed_ms: int = 0


@dataclass(frozen=True)
class PageToExtract:
    """What extraction needs of a fetched page: its bytes, its URL and the feed's hints."""

    body: bytes
    url: str
    hints: FeedHints


@dataclass(frozen=True)
class ExtractionFailure:
    """An ``ExtractionError`` as a plain record (the exception does not survive pickling)."""

    reason: str
    detail: str


@dataclass(frozen=True)
class ExtractedPages:
    """``extract_pages``' answer: one entry per page, and the articles' fingerprints."""

    results: list[ExtractedArticle | ExtractionFailure]
    fingerprints: dict[bytes, Analysis]


def _fetch_one(
    item: feed_store.PendingItem,
    policy: FetchPolicy,
    throttle: HostThrottle,
    client: httpx.Client,
    robots: RobotsCache | None,
) -> FetchedPage:
    if not item.url:
        return FetchedPage(item)
    started = time.monotonic()
    refusal = robots.refusal(item.url, policy.user_agent) if robots is not None else None
    if refusal is not None:  # recorded with the reason, never fetched
        return FetchedPage(item, error=FetchError("disallowed_by_robots", detail=refusal))
    try:
        with throttle.slot(item.url):
            result = fetch(item.url, policy=policy, client=client)
    except FetchError as error:
        return FetchedPage(item, error=error, elapsed_ms=_ms_since(started))
    return FetchedPage(item, result=result, elapsed_ms=_ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


@task(name="fetch-pages", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def fetch_pages(
    items: list[feed_store.PendingItem], policy: FetchPolicy, settings: FetchSettings
) -> list[FetchedPage]:
    """Fetch a batch of pages concurrently, within the politeness limits (shared by every
    batch of this process)."""
    throttle = _throttle(
        settings.per_host_concurrency, settings.host_delay, settings.global_concurrency
    )
    with (
        http_client() as client,
        ThreadPoolExecutor(max_workers=settings.global_concurrency) as pool,
    ):
        robots = (
            _robots(policy, throttle, settings.robots_max_age_seconds)
            if settings.obey_robots
            else None
        )
        return list(pool.map(lambda i: _fetch_one(i, policy, throttle, client, robots), items))


@task(name="extract-pages", cache_policy=NO_CACHE)
def extract_pages(pages: list[PageToExtract]) -> ExtractedPages:
    """Extract and fingerprint a batch of pages: a pure function of the bytes, run
    wherever the flow's extraction runner puts it (this process, a process pool, a Dask
    worker)."""
    extracted: list[ExtractedArticle | ExtractionFailure] = []
    for page in pages:
        try:
            extracted.append(with_language(extract_html(page.body, url=page.url, hints=page.hints)))
        except ExtractionError as error:
            extracted.append(ExtractionFailure(error.reason, error.detail))
    articles = (e for e in extracted if isinstance(e, ExtractedArticle))
    return ExtractedPages(extracted, fingerprints_of(articles))


def _to_extract(page: FetchedPage) -> PageToExtract:
    item = page.item
    assert page.result is not None
    hints = FeedHints(
        title=item.title,
        author=item.author,
        published_at=item.published_at,
        language=item.language,
        outlet=item.outlet,
    )
    return PageToExtract(page.result.body, page.result.final_url, hints)


def _outcome(
    page: FetchedPage, extracted: ExtractedArticle | ExtractionFailure | None
) -> tuple[feed_store.ItemOutcome, dict | None]:
    """The item's outcome and its fetch log entry; the feed's own text when the page failed."""
    item = page.item
    if not item.url:
        return _fallback(item, "no_url", "the item has no link"), None
    failure = page.error if page.error is not None else extracted
    if isinstance(failure, FetchError | ExtractionFailure):
        entry = feed_store.log_entry(
            "page",
            item.url,
            "refused" if failure.reason.startswith(("blocked", "disallowed")) else "error",
            status=getattr(failure, "status", None),
            reason=failure.reason,
            detail=failure.detail,
            retryable=getattr(failure, "retryable", False),
            elapsed_ms=page.elapsed_ms,
        )
        if item.revisit:  # the stored article stays as it is; the reason is recorded
            kept = feed_store.ItemOutcome(
                item, feed_store.EXTRACTED, None, failure.reason, failure.detail
            )
            return kept, entry
        return _fallback(item, failure.reason, failure.detail), entry
    result = page.result
    assert result is not None and isinstance(extracted, ExtractedArticle)
    article = replace(extracted, url=item.url, outlet=item.outlet or extracted.outlet)
    entry = feed_store.log_entry(
        "page",
        item.url,
        "ok",
        status=result.status,
        elapsed_ms=int(result.elapsed_seconds * 1000),
        bytes=len(result.body),
    )
    article_input = loader.ArticleInput(
        item.article_ref,
        article,
        feed_store.canonical_or_none(item.url),
        feed_id=item.feed_id,
    )
    return feed_store.ItemOutcome(item, feed_store.EXTRACTED, article_input), entry


def _fallback(item: feed_store.PendingItem, reason: str, detail: str) -> feed_store.ItemOutcome:
    try:
        article = with_language(article_from_feed_item(item, outlet=item.outlet))
    except ExtractionError:
        return feed_store.ItemOutcome(item, feed_store.FAILED, None, reason, detail)
    article_input = loader.ArticleInput(
        item.article_ref,
        article,
        feed_store.canonical_or_none(item.url),
        feed_id=item.feed_id,
    )
    return feed_store.ItemOutcome(item, feed_store.FEED_CONTENT, article_input, reason, detail)


def page_batch(
    fetched: list[FetchedPage], extracted: list[ExtractedArticle | ExtractionFailure]
) -> PageBatch:
    """Pair the fetched pages with their extractions (in order, fetched pages only)."""
    remaining = iter(extracted)
    results = [_outcome(p, next(remaining) if p.result is not None else None) for p in fetched]
    return PageBatch([o for o, _ in results], [e for _, e in results if e is not None])


@task(name="load", cache_policy=NO_CACHE)
def load_batch(
    warehouse: WarehouseLocation, run_id: str, batch: PageBatch, settings: FetchSettings
) -> loader.LoadResult:
    with connection(warehouse) as con:
        result = feed_store.record_item_outcomes(
            con,
            run_id,
            batch.outcomes,
            max_page_attempts=settings.max_page_attempts,
            retry_base_seconds=settings.retry_base_seconds,
            retry_max_seconds=settings.retry_max_seconds,
        )
        feed_store.log_fetches(con, run_id, batch.fetch_log)
    fallbacks = sum(o.status != feed_store.EXTRACTED for o in batch.outcomes)
    get_run_logger().info(
        "load: %d added, %d updated, %d unchanged, %d from feed text or failed",
        len(result.added),
        len(result.updated),
        len(result.unchanged),
        fallbacks,
    )
    return result


def _batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass
class PagesIngested:
    loaded: loader.LoadResult
    page_errors: int  # pages that fell back to the feed's text or failed
    deduped: Deduped


def _ingest_pages(
    warehouse: WarehouseLocation,
    run_id: str,
    pending: list[feed_store.PendingItem],
    policy: FetchPolicy,
    settings: FetchSettings,
) -> PagesIngested:
    """Fetch (threads here), extract and fingerprint (the extraction runner), load (here,
    in order) and dedupe (here, every ``DEDUPE_EVERY`` loaded articles and at the end),
    with a bounded number of batches in flight so memory stays flat however many pages
    are due."""
    runner_settings = TaskRunnerSettings.from_env()
    todo = deque(_batches(pending, settings.page_batch_size))
    window = FETCH_AHEAD_PER_WORKER * runner_settings.resolved_workers + 2
    fetching: deque[PrefectFuture[list[FetchedPage]]] = deque()
    extracting: deque[tuple[list[FetchedPage], PrefectFuture | None]] = deque()
    loaded = loader.LoadResult()
    page_errors = 0
    deduped = Deduped()
    ready: dict[bytes, Analysis] = {}  # fingerprints of the articles loaded since a dedupe
    since_dedupe = 0
    with extraction_runner(len(todo), runner_settings) as runner:
        while todo or fetching or extracting:
            while todo and len(fetching) + len(extracting) < window:
                fetching.append(fetch_pages.submit(todo.popleft(), policy, settings))
            if fetching:  # the oldest fetched batch goes to extraction
                fetched = fetching.popleft().result()
                pages = [_to_extract(p) for p in fetched if p.result is not None]
                future = runner.submit(extract_pages, {"pages": pages}) if pages else None
                extracting.append((fetched, future))
            # Load extracted batches oldest first; wait for one only when nothing else can
            # move: no batch is being fetched and the window is full or nothing is left.
            while extracting and (
                extracting[0][1] is None
                or extracting[0][1].wrapped_future.done()
                or (not fetching and (not todo or len(extracting) >= window))
            ):
                fetched, future = extracting.popleft()
                extracted = future.result() if future is not None else ExtractedPages([], {})
                batch = page_batch(fetched, extracted.results)
                page_errors += sum(o.reason is not None for o in batch.outcomes)
                result = load_batch(warehouse, run_id, batch, settings)
                loaded.added += result.added
                loaded.updated += result.updated
                loaded.unchanged += result.unchanged
                ready.update(extracted.fingerprints)
                since_dedupe += len(result.changed)
                # Unchanged pages' fingerprints count too: what waits in memory is bounded.
                # (With nothing left to fetch, the dedupe waits until the workers are gone.)
                more = todo or fetching or extracting
                if more and max(since_dedupe, len(ready)) >= DEDUPE_EVERY:
                    deduped += dedupe_loaded(warehouse, ready)
                    since_dedupe = 0
    deduped += dedupe_loaded(warehouse, ready)  # the rest, and whatever a killed run left
    return PagesIngested(loaded, page_errors, deduped)


# --- flow --------------------------------------------------------------------------------


@flow(name="ingest_feeds")
def ingest_feeds(
    feeds: str | None = None, db: str | None = None, force: bool = False
) -> RunSummary:
    """Poll the feeds listed in ``feeds`` (TOML or OPML; default $PRESSWATCH_FEEDS or
    feeds.toml) and load their new articles into the warehouse at ``db``.

    Feeds backing off after failures (or asked to wait by Retry-After) are skipped until
    their next poll time unless ``force`` is set.
    """
    logger = get_run_logger()
    feeds_path = resolve_feeds_path(feeds)
    feed_list = load_feed_list(feeds_path)
    settings = FetchSettings.from_env()
    policy = fetch_policy(feed_list, settings)
    warehouse = locate(resolve_db_path(db))  # resolved once, passed on
    with warehouse_run(warehouse, "ingest_feeds", str(feeds_path)) as run_id:
        with connection(warehouse) as con:
            states = feed_store.sync_feeds(con, feed_list.feeds)
        now = datetime.now(UTC)
        due = [s for s in states if force or s.due(now)]
        logger.info("%d feed(s) configured, %d due", len(states), len(due))
        polls = fetch_feed.map(due, policy=unmapped(policy), settings=unmapped(settings))
        feed_outcomes = [
            _record_each(warehouse, run_id, _poll_of(state, future), settings)
            for state, future in zip(due, polls, strict=True)
        ]

        with connection(warehouse) as con:
            feed_store.mark_already_loaded(con)
            pending = feed_store.items_to_fetch(con, datetime.now(UTC))
        logger.info("%d page(s) to fetch", len(pending))
        pages = _ingest_pages(warehouse, run_id, pending, policy, settings)
        refresh_search(warehouse)
        totals = coverage_report(warehouse, "presswatch-feed-coverage")
        counts = loader.RunCounts(
            items_seen=sum(o.new_items for o in feed_outcomes),
            articles_added=len(pages.loaded.added),
            articles_updated=len(pages.loaded.updated),
            articles_unchanged=len(pages.loaded.unchanged),
            errors=sum(o.failed for o in feed_outcomes) + pages.page_errors,
            duplicates_linked=pages.deduped.links,
            stories_touched=len(pages.deduped.stories),
        )
        finish_run(warehouse, run_id, counts)
    return RunSummary(run_id=run_id, totals=totals, **counts.__dict__)
