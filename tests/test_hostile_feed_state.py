"""Announcing many items is a set-based insert; backoff never overflows. Real DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from extractors.feed import FeedItem
from sources.feedlist import FeedSource
from warehouse import feed_state
from warehouse.db import open_connection


def item(n: int) -> FeedItem:
    return FeedItem(
        guid=f"g{n}",
        url=f"https://news.example/{n}",
        title=f"Item {n}",
        summary=None,
        content_html=None,
        author=None,
        published_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        language="en",
    )


def test_thousands_of_items_are_announced_once_each(tmp_path: Path) -> None:
    con = open_connection(tmp_path / "w.duckdb")
    [state] = feed_state.sync_feeds(con, [FeedSource(name="f", url="https://news.example/f")])
    items = [(item(n), item(n).url) for n in range(2_500)]
    items += items[:10]  # an item repeated in the same poll counts once

    def poll(announced: list) -> int:
        return feed_state.record_poll_success(
            con,
            "run",
            state,
            status="ok",
            etag=None,
            last_modified=None,
            body_hash="h",
            items=announced,
        )

    assert poll(items) == 2_500
    assert poll(items) == 0
    assert poll([*items, (item(9_999), None)]) == 1
    rows = con.execute(
        "SELECT count(*), count(DISTINCT item_key), min(published_at), max(status) FROM feed_items"
    ).fetchone()
    assert rows == (2_501, 2_501, datetime(2025, 1, 1, tzinfo=UTC), "pending")
    assert con.execute("SELECT items_seen FROM feeds").fetchone() == (2_501,)
    con.close()


def test_backoff_after_years_of_failures_does_not_overflow() -> None:
    assert feed_state.backoff_delay(100_000, 300.0, 6 * 3600.0) == 6 * 3600.0
    assert feed_state.backoff_delay(1, 300, 6 * 3600) == 300
    assert feed_state.backoff_delay(3, 300, 6 * 3600) == 1200
