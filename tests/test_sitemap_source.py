"""News sitemaps as a source: reading an index within its bounds (real local server), and
a sitemap source through the real ``ingest_feeds`` flow into a real DuckDB file."""

from __future__ import annotations

import gzip
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.settings import SitemapSettings
from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from sources.http import FetchPolicy, fetch
from sources.sitemap_source import SitemapRead, read_sitemap_source
from sources.urls import parse_allowed_hosts
from testsupport.localserver import LocalServer
from testsupport.sites import news_sitemap_xml
from warehouse.db import connection

NOW = datetime.now(UTC)
POLICY = FetchPolicy(allow=parse_allowed_hosts("127.0.0.1"), total_timeout=5)
XML = {"Content-Type": "application/xml"}
DEFAULTS = SitemapSettings()


def index(*children: tuple[str, datetime | None]) -> bytes:
    entries = "".join(
        f"<sitemap><loc>{url}</loc>"
        + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for url, lastmod in children
    )
    return f"<sitemapindex>{entries}</sitemapindex>".encode()


def read(server: LocalServer, path: str, settings: SitemapSettings = DEFAULTS) -> SitemapRead:
    root = fetch(server.url(path), policy=POLICY)
    return read_sitemap_source(
        root, policy=POLICY, settings=settings, now=NOW, slot=lambda url: nullcontext()
    )


def test_index_children_are_followed_and_old_entries_dropped() -> None:
    with LocalServer() as server:
        fresh = news_sitemap_xml(
            [(server.url("/a"), "A", NOW - timedelta(hours=1)),
             (server.url("/old"), "Old", NOW - timedelta(days=9))]
        )  # fmt: skip
        server.route("/news-1.xml.gz", gzip.compress(fresh), headers=XML)
        server.route("/stale.xml", news_sitemap_xml([(server.url("/s"), "S", NOW)]), headers=XML)
        server.route(
            "/index.xml",
            index(
                (server.url("/news-1.xml.gz"), NOW),
                (server.url("/stale.xml"), NOW - timedelta(days=30)),
            ),
            headers=XML,
        )
        result = read(server, "/index.xml")
        assert server.requests_for("/stale.xml") == []  # lastmod older than the age bound
    assert [e.url for e in result.entries] == [server.url("/a")]
    assert result.entries[0].news_title == "A"
    assert result.skipped == () and result.files_read == 2


def test_loops_bombs_and_failures_are_skipped_with_their_reason() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 3_000_000 + b"</urlset>")
    with LocalServer() as server:
        good = news_sitemap_xml([(server.url("/a"), "A", NOW)])
        server.route("/good.xml", good, headers=XML)
        server.route("/bomb.xml.gz", bomb, headers=XML)
        server.route("/broken.xml", b"oops", status=500)
        server.route("/html.xml", b"<html><body>hi</body></html>", headers=XML)
        server.route(
            "/index.xml",
            index(
                (server.url("/index.xml"), None),  # itself
                (server.url("/bomb.xml.gz"), None),
                (server.url("/broken.xml"), None),
                (server.url("/html.xml"), None),
                (server.url("/good.xml"), None),
            ),
            headers=XML,
        )
        result = read(server, "/index.xml", SitemapSettings(max_total_bytes=1_000_000))
    reasons = {url.rsplit("/", 1)[1]: reason for url, reason in result.skipped}
    assert reasons == {
        "index.xml": "loop",
        "bomb.xml.gz": "too_large",
        "broken.xml": "http_500",
        "html.xml": "not_a_sitemap",
    }
    assert [e.url for e in result.entries] == [server.url("/a")]
    assert "skipped 4 sitemap file(s)" in (result.problems() or "")


def test_file_count_and_depth_are_bounded() -> None:
    with LocalServer() as server:
        for n in range(5):
            sitemap = news_sitemap_xml([(server.url(f"/a{n}"), f"A{n}", NOW)])
            server.route(f"/s{n}.xml", sitemap, headers=XML)
        server.route("/deep.xml", index((server.url("/deeper.xml"), None)), headers=XML)
        server.route("/deeper.xml", index((server.url("/s0.xml"), None)), headers=XML)
        children = [(server.url(f"/s{n}.xml"), None) for n in range(5)]
        server.route("/index.xml", index(*children), headers=XML)
        server.route("/nested.xml", index((server.url("/deep.xml"), None)), headers=XML)
        few = read(server, "/index.xml", SitemapSettings(max_files=3))
        shallow = read(server, "/nested.xml", SitemapSettings(max_depth=2))
    assert len(few.entries) == 3 and few.files_read == 4
    assert [reason for _, reason in few.skipped] == ["too_many_files"] * 2
    assert shallow.entries == () and [r for _, r in shallow.skipped] == ["too_deep"]


ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "<p>The council met on Tuesday to discuss the new bridge across the river. " * 12
    + "</p></article></body></html>"
)


@pytest.mark.usefixtures("prefect_server")
def test_a_news_sitemap_source_flows_into_the_warehouse(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "3")
    with LocalServer() as server:
        entries = []
        for n in range(3):
            title = f"Bridge story number {n}"
            server.route(f"/story/{n}", ARTICLE.format(title=title).encode())
            entries.append((server.url(f"/story/{n}"), title, NOW - timedelta(hours=n)))
        server.route("/news.xml", news_sitemap_xml(entries[:2]), headers=XML)
        server.route("/more.xml", news_sitemap_xml(entries[1:]), headers=XML)
        server.route(
            "/index.xml",
            index((server.url("/news.xml"), NOW), (server.url("/more.xml"), NOW)),
            headers=XML,
        )
        config = tmp_path / "feeds.toml"
        source = FeedSource(name="courier", url=server.url("/index.xml"), outlet="Courier")
        save_feed_list(FeedList(feeds=(source,), allowed_hosts=("127.0.0.1",)), config)
        first = ingest_feeds(feeds=str(config), db=str(db_path))
        second = ingest_feeds(feeds=str(config), db=str(db_path), force=True)
    assert first.articles_added == 3 and first.errors == 0
    assert second.articles_added == 0 and second.items_seen == 0  # nothing duplicated
    with connection(db_path, read_only=True) as con:
        items = con.execute(
            "SELECT url, title, published_at FROM feed_items ORDER BY url"
        ).fetchall()
        titles = {row[0] for row in con.execute("SELECT title FROM articles").fetchall()}
    assert [row[1] for row in items] == [e[1] for e in entries]
    assert titles == {e[1] for e in entries}
