"""The one summary printed at the end of every ``presswatch ingest``: what was polled,
what was skipped as not due (and when it is due), what failed and how to fix the common
failures, and what was loaded. Pure: plain data in, lines of text out."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from config.settings import ALLOWED_HOSTS_ENV
from warehouse.run_outcome import FeedFailure, FeedNotDue, RunOutcome

SHOWN_PER_GROUP = 10  # names listed per reason before "and N more"


@dataclass(frozen=True)
class LoadCounts:
    """The articles a run loaded (from the flow's summary)."""

    seen: int
    added: int
    updated: int
    unchanged: int
    copy_links: int


def fix_for(reason: str, feeds: list[FeedFailure]) -> str | None:
    """What a user does about a feed failing for ``reason``; None when nothing is needed."""
    if reason == "blocked_address":
        hosts = ", ".join(sorted({urlsplit(f.url).hostname or f.url for f in feeds}))
        return (
            f"presswatch refuses private and local addresses; to allow {hosts}, add it to "
            f"`allowed_hosts = [...]` in feeds.toml or to {ALLOWED_HOSTS_ENV} "
            f"(comma-separated), e.g. {ALLOWED_HOSTS_ENV}={hosts.replace(', ', ',')}"
        )
    if reason == "blocked_scheme" or reason == "invalid_url":
        return (
            "only http(s) feed URLs are fetched: fix it with "
            "`presswatch feeds update NAME --url URL`"
        )
    if reason in ("http_404", "http_410"):
        return (
            "the feed is gone from that address: find its new URL and "
            "`presswatch feeds update NAME --url URL`, or `presswatch feeds remove NAME`"
        )
    if reason in ("http_401", "http_403"):
        return "the server refuses presswatch: the feed may need a login or block robots"
    if reason == "not_a_feed":
        return (
            "the URL answers with something that is not RSS or Atom (often the site's web page): "
            "use the feed's own URL, `presswatch feeds update NAME --url URL`"
        )
    if reason == "timeout":
        return (
            "the server did not answer in time; it is retried with backoff "
            "(PRESSWATCH_HTTP_TIMEOUT raises the limit for slow servers)"
        )
    if reason == "connection_error":
        return "could not connect: check the host name and the network; retried with backoff"
    if reason == "http_429" or reason.startswith("http_5"):
        return "the server is busy or failing; presswatch retries it at the time shown"
    return None


def summary_lines(
    flow_name: str, counts: LoadCounts, outcome: RunOutcome, now: datetime
) -> list[str]:
    """The run's summary, one idea per line (nothing to break mid-phrase)."""
    lines = [f"{flow_name} run {outcome.run_id}"]
    if outcome.feeds_polled or outcome.feeds_not_due or flow_name == "ingest_feeds":
        lines.append(
            f"feeds: {outcome.feeds_polled} polled, {len(outcome.feeds_not_due)} not due, "
            f"{len(outcome.feeds_failed)} failed"
        )
    lines += _not_due_lines(outcome.feeds_not_due, now)
    lines += _feed_failure_lines(outcome.feeds_failed, now)
    lines.append(
        f"articles: {counts.added} added, {counts.updated} updated, {counts.unchanged} "
        f"unchanged, {len(outcome.input_failures)} failed ({counts.seen} input(s) seen, "
        f"{counts.copy_links} copy link(s))"
    )
    lines += _input_failure_lines(outcome)
    if outcome.anything_failed:
        lines.append(
            "everything that worked was loaded; failures are retried on the next run "
            "(`presswatch errors` lists them)"
        )
    return lines


def summary_record(flow_name: str, counts: LoadCounts, outcome: RunOutcome) -> dict[str, Any]:
    """The summary for scripts (``--format json``): the same facts as ``summary_lines``,
    each failed feed with its ``fix`` (null when nothing is to be done)."""
    return {
        "flow": flow_name,
        "run_id": outcome.run_id,
        "items_seen": counts.seen,
        "articles_added": counts.added,
        "articles_updated": counts.updated,
        "articles_unchanged": counts.unchanged,
        "articles_failed": len(outcome.input_failures),
        "duplicates_linked": counts.copy_links,
        "feeds_polled": outcome.feeds_polled,
        "feeds_not_due": [asdict(feed) for feed in outcome.feeds_not_due],
        "feeds_failed": [
            {**asdict(feed), "fix": fix_for(feed.reason, [feed])} for feed in outcome.feeds_failed
        ],
        "input_failures": [asdict(failure) for failure in outcome.input_failures],
        "anything_failed": outcome.anything_failed,
    }


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "now"
    minutes = round((moment - now).total_seconds() / 60)
    stamp = f"{moment:%Y-%m-%d %H:%M} UTC"
    if minutes <= 0:
        return f"{stamp} (now)"
    if minutes < 120:
        return f"{stamp} (in {minutes} min)"
    return f"{stamp} (in {minutes / 60:.1f} h)"


def _not_due_lines(feeds: tuple[FeedNotDue, ...], now: datetime) -> list[str]:
    if not feeds:
        return []
    lines = ["  not due yet (waiting out their poll interval or a backoff after failures):"]
    for feed in feeds[:SHOWN_PER_GROUP]:
        why = (
            f"backing off after {feed.consecutive_failures} failure(s), last {feed.last_status}"
            if feed.consecutive_failures
            else "poll interval"
        )
        lines.append(f"    {feed.name}: due {_when(feed.next_poll_at, now)}, {why}")
    lines += _more(len(feeds))
    lines.append("    `presswatch ingest feeds --force` polls them now")
    return lines


def _feed_failure_lines(failures: tuple[FeedFailure, ...], now: datetime) -> list[str]:
    by_reason: dict[str, list[FeedFailure]] = {}
    for failure in failures:
        by_reason.setdefault(failure.reason, []).append(failure)
    lines = []
    for reason, feeds in by_reason.items():
        lines.append(f"  failed, {reason}: {len(feeds)} feed(s)")
        for feed in feeds[:SHOWN_PER_GROUP]:
            lines.append(f"    {feed.name} ({feed.url}): next poll {_when(feed.next_poll_at, now)}")
        lines += _more(len(feeds))
        fix = fix_for(reason, feeds)
        if fix:
            lines.append(f"    fix: {fix}")
    return lines


def _input_failure_lines(outcome: RunOutcome) -> list[str]:
    reasons = Counter((f.stage, f.reason) for f in outcome.input_failures)
    lines = []
    for (stage, reason), count in sorted(reasons.items()):
        examples = [
            f.item_ref for f in outcome.input_failures if (f.stage, f.reason) == (stage, reason)
        ]
        shown = ", ".join(examples[:3]) + (f" and {count - 3} more" if count > 3 else "")
        lines.append(f"  failed, {stage} {reason}: {count} ({shown})")
    return lines


def _more(total: int) -> list[str]:
    return [f"    ... and {total - SHOWN_PER_GROUP} more"] if total > SHOWN_PER_GROUP else []
