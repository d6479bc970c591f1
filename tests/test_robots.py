"""robots.txt obeyed for article pages: a disallowed page is recorded with that reason and
never requested; robots.txt is cached per site with its own expiry; the user agent is
configurable and is the name robots.txt groups are matched against."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from sources.http import FetchPolicy, FetchResult, fetch
from sources.robots import RobotsCache
from sources.urls import parse_allowed_hosts
from testsupport.localserver import LocalServer
from warehouse.db import connection

POLICY = FetchPolicy(allow=parse_allowed_hosts("127.0.0.1"), total_timeout=5)
PAGE = (
    "<html><head><title>{0}</title></head><body><article><h1>{0}</h1>"
    + "<p>The harbour authority approved the new ferry timetable after a long debate. " * 10
    + "</p></article></body></html>"
)


def test_cache_keeps_robots_txt_until_it_expires() -> None:
    now = [0.0]
    with LocalServer() as server:
        server.route("/robots.txt", b"User-agent: *\nDisallow: /private/\n")

        def get(url: str) -> FetchResult:
            return fetch(url, policy=POLICY)

        cache = RobotsCache(get, max_age_seconds=60, clock=lambda: now[0])
        assert cache.refusal(server.url("/private/a"), "presswatch/1") is not None
        assert cache.refusal(server.url("/public/a"), "presswatch/1") is None
        now[0] = 59
        cache.refusal(server.url("/x"), "presswatch/1")
        assert len(server.requests_for("/robots.txt")) == 1
        now[0] = 61
        server.route("/robots.txt", b"User-agent: *\nDisallow:\n")
        assert cache.refusal(server.url("/private/a"), "presswatch/1") is None
        assert len(server.requests_for("/robots.txt")) == 2


def test_robots_txt_500_refuses_and_404_allows() -> None:
    with LocalServer() as failing, LocalServer() as missing:
        failing.route("/robots.txt", b"down", status=500)
        cache = RobotsCache(lambda url: fetch(url, policy=POLICY))
        assert "unreachable" in (cache.refusal(failing.url("/a"), "presswatch") or "")
        assert cache.refusal(missing.url("/a"), "presswatch") is None


@pytest.mark.usefixtures("prefect_server")
def test_flow_records_disallowed_pages_without_fetching_them(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "3")
    monkeypatch.setenv("PRESSWATCH_USER_AGENT", "harbourbot/2.0 (+https://harbour.example)")
    with LocalServer() as server:
        server.route("/robots.txt", b"User-agent: harbourbot\nDisallow: /members/\n")
        for path in ("/news/open", "/members/closed"):
            server.route(path, PAGE.format(f"Ferry story {path}").encode())
        items = "".join(
            f"<item><title>Ferry {path}</title><link>{server.url(path)}</link>"
            f"<description>Ferry timetable news</description></item>"
            for path in ("/news/open", "/members/closed")
        )
        server.route(
            "/feed.xml",
            f'<rss version="2.0"><channel><title>Harbour</title>{items}</channel></rss>'.encode(),
            headers={"Content-Type": "application/rss+xml"},
        )
        config = tmp_path / "feeds.toml"
        source = FeedSource(name="harbour", url=server.url("/feed.xml"), outlet="Harbour")
        save_feed_list(FeedList(feeds=(source,), allowed_hosts=("127.0.0.1",)), config)
        ingest_feeds(feeds=str(config), db=str(db_path))
        assert server.requests_for("/members/closed") == []
        assert len(server.requests_for("/news/open")) == 1
        agents = {r.headers["user-agent"] for r in server.requests}
    assert agents == {"harbourbot/2.0 (+https://harbour.example)"}
    with connection(db_path, read_only=True) as con:
        reasons = dict(con.execute("SELECT url, last_reason FROM feed_items").fetchall())
        logged = con.execute(
            "SELECT outcome, reason FROM fetch_log WHERE url = ?", [server.url("/members/closed")]
        ).fetchall()
    assert reasons[server.url("/members/closed")] == "disallowed_by_robots"
    assert reasons[server.url("/news/open")] is None
    assert logged == [("refused", "disallowed_by_robots")]
