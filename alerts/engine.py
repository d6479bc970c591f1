"""Alerts end to end: validate subscriptions, decide what to send, deliver, record.

``after_ingest`` is the ingestion flows' last step (instant and spike alerts, then every
due delivery, retries included); ``send_digests`` is the digest deployment's. Both catch
every delivery problem and record it: an alert that cannot be delivered never fails a
run. Each decision is recorded before any send (see ``warehouse.alerts`` for the protocol
and its one duplicate window).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import httpx

from alerts import compose, rules
from alerts.deliver import DeliveryError, post_webhook, send_email
from config.settings import (
    ALLOWED_HOSTS_ENV,
    AlertSettings,
    SettingsError,
    SmtpSettings,
    allowed_hosts_from_env,
)
from sources.urls import AllowList, FetchError, check_url_allowed, parse_allowed_hosts
from warehouse import alerts as state
from warehouse.alerts import Delivery, Subscription

PUNCTUAL_KINDS = ("instant", "spike")  # held back by quiet hours; digests and tests are not


class AlertError(ValueError):
    """A subscription that cannot be added or used; the message is one line for the user."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def allow_list() -> AllowList:
    """Hosts a webhook may reach despite a private address: ``PRESSWATCH_ALLOWED_HOSTS``,
    the same operator allow-list feeds use."""
    try:
        return parse_allowed_hosts(allowed_hosts_from_env())
    except ValueError as exc:
        raise SettingsError(f"{ALLOWED_HOSTS_ENV}: {exc}") from None


@dataclass(frozen=True)
class Channels:
    """Everything delivery needs besides the warehouse."""

    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    settings: AlertSettings = field(default_factory=AlertSettings)
    allow: AllowList = field(default_factory=AllowList.empty)

    @classmethod
    def from_env(cls) -> Channels:
        return cls(SmtpSettings.from_env(), AlertSettings.from_env(), allow_list())


# --- subscriptions -----------------------------------------------------------------------


def new_subscription(
    con: duckdb.DuckDBPyConnection,
    name: str,
    watchlist: str,
    *,
    emails: Sequence[str] = (),
    webhooks: Sequence[str] = (),
    mode: str = "instant",
    digest_at: str | None = None,
    timezone: str = "UTC",
    min_articles: int = 1,
    quiet: str | None = None,
    allow: AllowList | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Check everything a user typed and store the subscription; ``AlertError`` says what
    is wrong in one line."""
    name = name.strip()
    if not name:
        raise AlertError("an alert needs a name")
    if state.subscription(con, name) is not None:
        raise AlertError(f"an alert named {name!r} exists: remove it first or pick another name")
    if not state.watchlist_exists(con, watchlist):
        raise AlertError(
            f"no watchlist named {watchlist!r}: "
            f"create it first with `presswatch watch add {watchlist} QUERY`"
        )
    if mode not in rules.MODES:
        raise AlertError(f"--mode must be instant or digest, not {mode!r}")
    if not emails and not webhooks:
        raise AlertError("give at least one --email or --webhook")
    for address in emails:
        if not rules.valid_email(address):
            raise AlertError(f"{address!r} is not an email address")
    for url in webhooks:
        try:
            check_url_allowed(url, allow if allow is not None else allow_list())
        except FetchError as exc:
            raise AlertError(f"webhook {url!r} refused: {exc}") from None
    if min_articles < 1:
        raise AlertError("--min-articles must be at least 1")
    try:
        rules.zone(timezone)
        if digest_at is not None:
            digest_at = f"{rules.parse_hhmm(digest_at):%H:%M}"
        if quiet is not None:
            quiet = str(rules.QuietHours.parse(quiet))
    except rules.RuleError as exc:
        raise AlertError(str(exc)) from None
    if mode == "digest" and digest_at is None:
        digest_at = "07:00"
    created = now or now_utc()
    sub = Subscription(
        name=name,
        watchlist=watchlist,
        emails=tuple(dict.fromkeys(emails)),
        webhooks=tuple(dict.fromkeys(webhooks)),
        mode=mode,
        digest_at=digest_at,
        timezone=timezone,
        min_articles=min_articles,
        quiet=quiet,
        created_at=created,
        digest_through=created,
    )
    state.insert_subscription(con, sub)
    return sub


def remove_subscription(con: duckdb.DuckDBPyConnection, name: str) -> int:
    if state.subscription(con, name) is None:
        raise AlertError(f"no alert named {name!r} (see `presswatch alerts list`)")
    return state.delete_subscription(con, name)


# --- deciding ----------------------------------------------------------------------------


@dataclass
class AlertRun:
    """What one pass decided and delivered (the flows log it, the CLI prints it)."""

    decided: list[str] = field(default_factory=list)  # alert ids recorded by this pass
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    postponed: int = 0
    deferred: int = 0  # not attempted: their endpoint did not answer earlier in the pass
    problems: list[str] = field(default_factory=list)  # subscriptions that could not run

    def describe(self) -> str:
        text = (
            f"{len(self.decided)} alert(s) decided; deliveries: {self.sent} sent, "
            f"{self.retrying} to retry, {self.failed} failed, {self.postponed} held for quiet "
            f"hours, {self.deferred} left for the next run (endpoint down)"
        )
        return text + "".join(f"; {p}" for p in self.problems)


def _usable(con: duckdb.DuckDBPyConnection, sub: Subscription, run: AlertRun) -> bool:
    if state.watchlist_exists(con, sub.watchlist):
        return True
    problem = f"alert {sub.name!r}: watchlist {sub.watchlist!r} no longer exists"
    if problem not in run.problems:
        run.problems.append(problem)
    return False


def decide_instant(
    con: duckdb.DuckDBPyConnection, now: datetime, settings: AlertSettings, run: AlertRun
) -> None:
    """One alert per story newly matching each instant subscription's watchlist. Articles
    published long before they were loaded (an archive, a backfill) are not news: they
    wait for the digest (``AlertSettings.instant_max_age_hours``)."""
    published_since = now - timedelta(hours=settings.instant_max_age_hours)
    for sub in state.subscriptions(con):
        if sub.mode != "instant" or not _usable(con, sub, run):
            continue
        decisions = [
            state.Decision(compose.instant_alert(sub, story), story.member_ids, sub.targets)
            for story in state.new_stories(con, sub, published_since)
        ]
        run.decided += state.record_alerts(con, decisions, now)


def decide_spikes(
    con: duckdb.DuckDBPyConnection, now: datetime, settings: AlertSettings, run: AlertRun
) -> None:
    """Spike alerts for instant subscriptions against the documented rule (``rules.spike``):
    the watchlist's volume first; while the watchlist is spiking (or alerted a spike within
    the cooldown) its stories stay silent, since one burst is one alert. Otherwise each
    story matching the watchlist is checked. One alert per topic per cooldown."""
    hours, days = settings.spike_window_hours, settings.spike_baseline_days
    windows = days * 24 // hours
    cooldown_start = now - timedelta(hours=settings.spike_cooldown_hours)

    def check(counts: list[int]) -> rules.Spike | None:
        return rules.spike(
            counts[0],
            counts[1:],
            settings.spike_min_count,
            settings.spike_min_z,
            settings.spike_min_history,
        )

    for sub in state.subscriptions(con):
        if sub.mode != "instant" or not _usable(con, sub, run):
            continue
        topic = f"watchlist:{sub.watchlist}"
        found = check(state.watchlist_volume(con, sub.watchlist, now, hours, windows))
        if state.recent_alert(con, sub.name, "spike", topic, cooldown_start):
            continue
        if found is not None:
            what = f"watchlist {sub.watchlist!r}"
            alert = compose.spike_alert(sub, topic, what, found, hours, days, now)
            if state.record_alert(con, alert, (), sub.targets, now):
                run.decided.append(alert.alert_id)
            continue
        stories = state.story_volumes(con, sub.watchlist, now, hours, windows)
        for story_id, counts in stories.items():
            topic = f"story:{story_id}"
            found = check(counts)
            if found is None or state.recent_alert(con, sub.name, "spike", topic, cooldown_start):
                continue
            news = state.story_news(con, story_id)
            if news is None:
                continue
            what = f"story {news.label!r}"
            alert = compose.spike_alert(sub, topic, what, found, hours, days, now, story_id)
            if state.record_alert(con, alert, news.member_ids, sub.targets, now):
                run.decided.append(alert.alert_id)


def decide_digests(con: duckdb.DuckDBPyConnection, now: datetime, run: AlertRun) -> None:
    """A digest for each subscription whose local digest time has passed since its last
    period ended, covering [end of last period, now). An empty period moves on silently."""
    for sub in state.subscriptions(con):
        if sub.digest_at is None or not _usable(con, sub, run):
            continue
        start = sub.digest_through or sub.created_at
        tz = rules.zone(sub.timezone)
        if not rules.digest_due(now, rules.parse_hhmm(sub.digest_at), tz, start):
            continue
        stories = state.digest_stories(con, sub, start, now)
        if not stories:
            state.advance_digest(con, sub.name, now)
            continue
        alert = compose.digest(sub, stories, start, now)
        article_ids = [a.article_id for s in stories for a in s.new_articles]
        if state.record_alert(con, alert, article_ids, sub.targets, now, digest_through=now):
            run.decided.append(alert.alert_id)


# --- delivering --------------------------------------------------------------------------


UNREACHABLE_REASONS = frozenset({"smtp_unreachable", "timeout", "connection_error"})


def _endpoint(delivery: Delivery) -> str:
    if delivery.channel == "email":
        return "smtp"
    try:
        url = httpx.URL(delivery.target)
    except httpx.InvalidURL:
        return delivery.target
    return f"{url.host}:{url.port}"


def _attempt(delivery: Delivery, channels: Channels) -> None:
    if delivery.channel == "email":
        send_email(delivery, channels.smtp)
    else:
        post_webhook(
            delivery,
            allow=channels.allow,
            secret=channels.settings.webhook_secret,
            timeout_seconds=channels.settings.webhook_timeout_seconds,
        )


def deliver_due(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    channels: Channels,
    run: AlertRun,
    alert_ids: Sequence[str] | None = None,
    clock: Callable[[], datetime] = now_utc,
) -> None:
    """Attempt every due delivery once and record each result as soon as it is known.

    Once an endpoint (the SMTP server, a webhook's host) does not answer, the other
    deliveries to it wait untouched for the next run instead of each paying the timeout:
    a dead server costs a run one timeout, not one per message."""
    subs = {s.name: s for s in state.subscriptions(con)}
    settings = channels.settings
    unreachable: set[str] = set()
    for delivery in state.due_deliveries(con, now, alert_ids):
        sub = subs.get(delivery.subscription)
        if sub is not None and sub.quiet and delivery.kind in PUNCTUAL_KINDS:
            until = rules.QuietHours.parse(sub.quiet).until(now, rules.zone(sub.timezone))
            if until is not None:
                state.postpone(con, delivery, until)
                run.postponed += 1
                continue
        endpoint = _endpoint(delivery)
        if endpoint in unreachable:
            run.deferred += 1
            continue
        try:
            _attempt(delivery, channels)
        except DeliveryError as exc:
            if exc.reason in UNREACHABLE_REASONS:
                unreachable.add(endpoint)
            attempts = delivery.attempts + 1
            retry = None
            if exc.retryable and attempts < settings.max_attempts:
                retry = rules.retry_delay(
                    attempts, settings.retry_base_seconds, settings.retry_max_seconds
                )
            state.record_failure(con, delivery, clock(), str(exc), retry)
            if retry is None:
                run.failed += 1
            else:
                run.retrying += 1
            continue
        state.record_sent(con, delivery, clock())
        run.sent += 1


def after_ingest(
    con: duckdb.DuckDBPyConnection, channels: Channels, now: datetime | None = None
) -> AlertRun:
    """The ingestion flows' alert step: instant and spike alerts, then every due delivery
    (this run's and earlier failures whose backoff has passed)."""
    now = now or now_utc()
    run = AlertRun()
    decide_instant(con, now, channels.settings, run)
    decide_spikes(con, now, channels.settings, run)
    deliver_due(con, now, channels, run)
    return run


def send_digests(
    con: duckdb.DuckDBPyConnection, channels: Channels, now: datetime | None = None
) -> AlertRun:
    """The digest deployment's pass: due digests, then every due delivery."""
    now = now or now_utc()
    run = AlertRun()
    decide_digests(con, now, run)
    deliver_due(con, now, channels, run)
    return run


def send_check(
    con: duckdb.DuckDBPyConnection, name: str, channels: Channels, now: datetime | None = None
) -> AlertRun:
    """``alerts test NAME``: a test message to every recipient now, recorded in the log."""
    sub = state.subscription(con, name)
    if sub is None:
        raise AlertError(f"no alert named {name!r} (see `presswatch alerts list`)")
    now = now or now_utc()
    run = AlertRun()
    alert = compose.check_message(sub, now)
    state.record_alert(con, alert, (), sub.targets, now)
    run.decided.append(alert.alert_id)
    deliver_due(con, now, channels, run, alert_ids=[alert.alert_id])
    return run
