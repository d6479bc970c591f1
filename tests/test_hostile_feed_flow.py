"""Hostile feeds through ``ingest_feeds``: real HTTP server on 127.0.0.1, real DuckDB, Prefect."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from sources.http import MAX_RETRY_AFTER_SECONDS
from tests.test_hostile_feed import entity_bomb, rss_items
from testsupport.localserver import LocalServer

pytestmark = pytest.mark.usefixtures("prefect_server")

HEALTHY = (
    b'<rss version="2.0"><channel><title>Healthy</title>'
    b"<item><guid>h1</guid><title>Council approves harbour plan</title>"
    b"<description>The council approved the harbour plan on Monday after a long debate "
    b"about costs, ferries and the fish market.</description></item></channel></rss>"
)


@pytest.fixture(autouse=True)
def fast_network_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.delenv("PRESSWATCH_ALLOWED_HOSTS", raising=False)


def feed_file(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "feeds.toml"
    feeds = tuple(FeedSource(name=f"feed {n}", url=url) for n, url in enumerate(urls))
    save_feed_list(FeedList(feeds=feeds, allowed_hosts=("127.0.0.1",)), path)
    return path


def rows(db_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_an_absurd_retry_after_is_capped_and_the_healthy_feed_still_loads(
    tmp_path: Path, db_path: Path
) -> None:
    with LocalServer() as server:
        server.route("/absurd.xml", b"", status=503, headers={"Retry-After": "9" * 20})
        server.route("/healthy.xml", HEALTHY, headers={"Content-Type": "application/rss+xml"})
        config = feed_file(tmp_path, server.url("/absurd.xml"), server.url("/healthy.xml"))
        summary = ingest_feeds(feeds=str(config), db=str(db_path))
    assert summary.items_seen == 1
    assert rows(db_path, "SELECT count(*) FROM articles") == [(1,)]
    statuses = sorted(rows(db_path, "SELECT url LIKE '%absurd%', last_status FROM feeds"))
    assert statuses == [(False, "ok"), (True, "http_503")]
    waits = dict(
        rows(
            db_path,
            "SELECT url LIKE '%absurd%', date_diff('second', last_polled_at, next_poll_at) "
            "FROM feeds WHERE next_poll_at IS NOT NULL",
        )
    )
    assert MAX_RETRY_AFTER_SECONDS - 5 <= waits[True] <= MAX_RETRY_AFTER_SECONDS


def test_an_entity_bomb_is_neutralised_and_recorded(tmp_path: Path, db_path: Path) -> None:
    with LocalServer() as server:
        server.route("/bomb.xml", entity_bomb(30_000, 3_300))
        ingest_feeds(feeds=str(feed_file(tmp_path, server.url("/bomb.xml"))), db=str(db_path))
    longest = rows(db_path, "SELECT max(length(summary)) FROM feed_items")[0][0]
    assert longest < 50_000
    logged = rows(db_path, "SELECT reason, detail FROM fetch_log WHERE kind = 'feed'")
    assert logged == [
        ("limits_applied", "removed the DOCTYPE's internal subset (entity declarations)")
    ]


def test_items_per_poll_are_capped_newest_first_and_the_cap_is_recorded(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_MAX_ITEMS_PER_POLL", "10")
    with LocalServer() as server:
        server.route("/many.xml", rss_items(50))
        summary = ingest_feeds(
            feeds=str(feed_file(tmp_path, server.url("/many.xml"))), db=str(db_path)
        )
    assert summary.items_seen == 10
    titles = sorted(r[0] for r in rows(db_path, "SELECT title FROM feed_items"))
    assert titles == sorted(f"t{i}" for i in range(40, 50))
    logged = rows(db_path, "SELECT reason, detail FROM fetch_log WHERE kind = 'feed'")
    assert logged == [("limits_applied", "took the newest 10 of 50 items")]
