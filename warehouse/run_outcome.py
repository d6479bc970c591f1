"""What one ingestion run did, read back from the warehouse for the end-of-run summary:
the feeds it polled and how each fared (``fetch_log``), the configured feeds it skipped as
not due yet (``feeds.next_poll_at``), and the inputs that failed (open ``ingest_errors``
this run touched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

FEED_STAGES = ("fetch_feed", "parse_feed")


@dataclass(frozen=True)
class FeedFailure:
    name: str
    url: str
    reason: str
    status: int | None
    detail: str
    next_poll_at: datetime | None


@dataclass(frozen=True)
class FeedNotDue:
    name: str
    url: str
    next_poll_at: datetime | None
    consecutive_failures: int
    last_status: str | None


@dataclass(frozen=True)
class InputFailure:
    item_ref: str
    stage: str
    reason: str
    detail: str


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    feeds_polled: int
    feeds_failed: tuple[FeedFailure, ...]
    feeds_not_due: tuple[FeedNotDue, ...]
    input_failures: tuple[InputFailure, ...]

    @property
    def anything_failed(self) -> bool:
        return bool(self.feeds_failed or self.input_failures)


def run_outcome(
    con: duckdb.DuckDBPyConnection, run_id: str, configured_feed_urls: Sequence[str] = ()
) -> RunOutcome:
    """The outcome of run ``run_id``; ``configured_feed_urls`` are the feeds the run was
    given (those it did not poll were not due)."""
    polled = con.execute(
        """SELECT l.url, l.outcome, l.status, l.reason, l.detail, f.name, f.next_poll_at
           FROM fetch_log l LEFT JOIN feeds f ON f.url = l.url
           WHERE l.run_id = ? AND l.kind = 'feed' ORDER BY l.logged_at, l.url""",
        [run_id],
    ).fetchall()
    failed = tuple(
        FeedFailure(
            name=name or url,
            url=url,
            reason=reason or outcome,
            status=status,
            detail=detail or "",
            next_poll_at=next_poll_at,
        )
        for url, outcome, status, reason, detail, name, next_poll_at in polled
        if outcome in ("error", "refused")
    )
    polled_urls = {row[0] for row in polled}
    not_polled = [url for url in dict.fromkeys(configured_feed_urls) if url not in polled_urls]
    not_due = tuple(
        FeedNotDue(*row)
        for row in con.execute(
            """SELECT name, url, next_poll_at, consecutive_failures, last_status FROM feeds
               WHERE url IN (SELECT unnest(?)) ORDER BY next_poll_at NULLS FIRST, name""",
            [not_polled],
        ).fetchall()
    )
    inputs = tuple(
        InputFailure(ref, stage, reason, detail or "")
        for ref, stage, reason, detail in con.execute(
            """SELECT item_ref, stage, reason, detail FROM ingest_errors
               WHERE last_run_id = ? AND resolved_at IS NULL
                 AND stage NOT IN (SELECT unnest(?))
               ORDER BY stage, reason, item_ref""",
            [run_id, list(FEED_STAGES)],
        ).fetchall()
    )
    return RunOutcome(run_id, len(polled), failed, not_due, inputs)
