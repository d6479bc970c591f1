"""The ``ingest_feeds`` flow against a real HTTP server on 127.0.0.1 and a real DuckDB file."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.localserver import LocalServer, conditional, stalling
from testsupport.newsite import corpus_page, publish, rss
from warehouse import reports
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

PAGES = ["0004", "0005", "0010"]


@pytest.fixture(autouse=True)
def fast_network_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.setenv("PRESSWATCH_RETRY_BASE", "0")  # failed pages are due again at once
    monkeypatch.delenv("PRESSWATCH_ALLOWED_HOSTS", raising=False)


def feed_file(tmp_path: Path, *urls: str, allowed: tuple[str, ...] = ("127.0.0.1",)) -> Path:
    path = tmp_path / "feeds.toml"
    feeds = tuple(
        FeedSource(name=f"feed {n}", url=url, outlet="Test News") for n, url in enumerate(urls)
    )
    save_feed_list(FeedList(feeds=feeds, allowed_hosts=allowed), path)
    return path


def rows(db_path: Path, sql: str) -> list[tuple]:
    with connection(db_path, read_only=True) as con:
        return con.execute(sql).fetchall()


def articles(db_path: Path) -> list[dict]:
    with connection(db_path, read_only=True) as con:
        return reports.list_articles(con)


def counts(db_path: Path) -> dict[str, int]:
    tables = ["articles", "feed_items", "duplicate_links", "story_members", "stories", "feeds"]
    with connection(db_path, read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_feed_articles_are_fetched_extracted_and_listed_with_their_url(
    tmp_path: Path, db_path: Path
) -> None:
    pages = [corpus_page(p) for p in PAGES]
    with LocalServer() as server:
        publish(server, pages)
        summary = ingest_feeds(
            feeds=str(feed_file(tmp_path, server.url("/feed.xml"))), db=str(db_path)
        )
        user_agents = {r.headers.get("user-agent", "") for r in server.requests}
    assert summary.articles_added == 3 and summary.errors == 0
    listed = {a["url"]: a for a in articles(db_path)}
    assert set(listed) == {server.url(p.path) for p in pages}
    for page in pages:
        article = listed[server.url(page.path)]
        assert article["title"] == page.title
        assert article["extraction_method"].startswith("trafilatura")
        assert article["outlet"] == "Test News"
        assert len(article["text"]) > 500
    assert all(ua.startswith("presswatch/") for ua in user_agents)
    health = rows(db_path, "SELECT last_status, consecutive_failures, items_seen FROM feeds")
    assert health == [("ok", 0, 3)]


def test_a_rerun_polls_conditionally_and_fetches_no_page_again(
    tmp_path: Path, db_path: Path
) -> None:
    pages = [corpus_page(p) for p in PAGES]
    with LocalServer() as server:
        publish(server, pages)
        feed = rss(
            server.base_url, [(f"g{p.file_id}", server.url(p.path), p.title, "") for p in pages]
        )
        server.route("/cached.xml", conditional(feed, etag='"v1"'))
        server.route("/static.xml", feed, headers={"Content-Type": "application/rss+xml"})
        config = feed_file(tmp_path, server.url("/cached.xml"), server.url("/static.xml"))
        ingest_feeds(feeds=str(config), db=str(db_path))
        before = counts(db_path)
        page_requests = len([r for r in server.requests if r.path.startswith("/news/")])
        second = ingest_feeds(feeds=str(config), db=str(db_path))
        assert len([r for r in server.requests if r.path.startswith("/news/")]) == page_requests
        conditional_headers = server.requests_for("/cached.xml")[-1].headers
    assert page_requests == 3  # two feeds announce the same three URLs: fetched once each
    assert conditional_headers.get("if-none-match") == '"v1"'
    assert second.articles_added == 0 and second.items_seen == 0
    assert counts(db_path) == before
    statuses = dict(rows(db_path, "SELECT url LIKE '%cached%', last_status FROM feeds"))
    assert statuses == {True: "not_modified", False: "unchanged"}


def test_failed_pages_keep_the_feed_text_and_are_retried_next_run(
    tmp_path: Path, db_path: Path
) -> None:
    good = corpus_page("0004")
    with LocalServer() as server:
        server.route("/news/missing.html", b"gone", status=404)
        server.route("/news/broken.html", b"oops", status=500)
        server.route("/news/slow.html", stalling(5, good.html))
        server.route("/news/huge.html", b"<html><body>" + b"x" * 11_000_000 + b"</body></html>")
        bomb = gzip.compress(b"<p>" + b"a" * 20_000_000 + b"</p>")
        server.route("/news/bomb.html", bomb, headers={"Content-Encoding": "gzip"})
        names = ["missing", "broken", "slow", "huge", "bomb"]
        feed = rss(
            server.base_url,
            [
                (n, server.url(f"/news/{n}.html"), f"Story {n}", f"Summary of {n}. " * 5)
                for n in names
            ],
        )
        server.route("/feed.xml", feed, headers={"Content-Type": "application/rss+xml"})
        config = feed_file(tmp_path, server.url("/feed.xml"))
        first = ingest_feeds(feeds=str(config), db=str(db_path))
        reasons = dict(rows(db_path, "SELECT title, last_reason FROM feed_items"))
        methods = {a["title"]: a["extraction_method"] for a in articles(db_path)}
        logged = rows(db_path, "SELECT DISTINCT reason FROM fetch_log WHERE kind = 'page'")

        # The site recovers: the next run fetches the real pages and replaces the feed text.
        for name in names:
            server.route(
                f"/news/{name}.html", good.html.replace(b"</title>", f" {name}</title>".encode())
            )
        second = ingest_feeds(feeds=str(config), db=str(db_path))
    assert first.articles_added == 5 and first.errors == 5
    assert reasons == {
        "Story missing": "http_404",
        "Story broken": "http_500",
        "Story slow": "timeout",
        "Story huge": "too_large",
        "Story bomb": "too_large",
    }
    assert set(methods.values()) == {"feed-summary"}
    assert {r[0] for r in logged} == set(reasons.values())
    assert second.articles_added == 0 and second.articles_updated == 5
    assert {a["extraction_method"] for a in articles(db_path)} <= {
        "trafilatura",
        "trafilatura+fallback",
    }
    assert rows(db_path, "SELECT DISTINCT status FROM feed_items") == [("extracted",)]
    assert rows(db_path, "SELECT count(*) FROM ingest_errors WHERE resolved_at IS NULL") == [(0,)]


def test_feed_errors_are_recorded_with_backoff_and_retry_after(
    tmp_path: Path, db_path: Path
) -> None:
    with LocalServer() as server:
        server.route("/limited.xml", b"slow down", status=429, headers={"Retry-After": "120"})
        server.route("/gone.xml", b"", status=404)
        server.route("/page.xml", b"<html><body><p>Not a feed</p></body></html>")
        server.route("/stall.xml", stalling(5))
        config = feed_file(
            tmp_path,
            *(server.url(p) for p in ("/limited.xml", "/gone.xml", "/page.xml", "/stall.xml")),
        )
        summary = ingest_feeds(feeds=str(config), db=str(db_path))
        limited_requests = len(server.requests_for("/limited.xml"))
        again = ingest_feeds(feeds=str(config), db=str(db_path))
        assert len(server.requests_for("/limited.xml")) == limited_requests  # still waiting
    assert summary.errors == 4
    health = {
        r[0].rsplit("/", 1)[1]: r[1:]
        for r in rows(
            db_path,
            "SELECT url, last_status, consecutive_failures, "
            "date_diff('second', last_polled_at, next_poll_at) FROM feeds",
        )
    }
    # The 429 feed waits out its Retry-After; the others (backoff base 0 here) were retried.
    assert health["limited.xml"][:2] == ("http_429", 1) and health["limited.xml"][2] >= 119
    assert health["gone.xml"][:2] == ("http_404", 2)
    assert health["page.xml"][:2] == ("not_a_feed", 2)
    assert health["stall.xml"][:2] == ("timeout", 2)
    assert limited_requests == 1  # a long Retry-After is not retried within the run
    assert again.errors == 3
    errors = rows(db_path, "SELECT stage, reason FROM ingest_errors WHERE resolved_at IS NULL")
    assert ("fetch_feed", "http_429") in errors and ("parse_feed", "not_a_feed") in errors


def test_items_pointing_at_private_addresses_are_refused_unless_allow_listed(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = corpus_page("0005")
    with LocalServer() as server:
        server.route("/news/internal.html", page.html)
        port = server.port
        targets = {
            "loopback": f"http://127.0.0.1:{port}/news/internal.html",
            "metadata": "http://169.254.169.254/latest/meta-data/",
            "file": "file:///etc/passwd",
            "private-name": f"http://vm:{port}/news/internal.html",  # /etc/hosts: 127.0.0.1
        }
        feed = rss(
            f"http://localhost:{port}",
            [(k, v, f"Item {k}", f"Summary text of {k}. " * 4) for k, v in targets.items()],
        )
        server.route("/feed.xml", feed, headers={"Content-Type": "application/rss+xml"})
        config = feed_file(tmp_path, f"http://localhost:{port}/feed.xml", allowed=("localhost",))
        ingest_feeds(feeds=str(config), db=str(db_path))
        refused = dict(rows(db_path, "SELECT guid, last_reason FROM feed_items"))
        assert not server.requests_for("/news/internal.html")

        monkeypatch.setenv("PRESSWATCH_ALLOWED_HOSTS", "127.0.0.0/8,vm")
        ingest_feeds(feeds=str(config), db=str(db_path))
        after = dict(rows(db_path, "SELECT guid, status FROM feed_items"))
        assert len(server.requests_for("/news/internal.html")) == 2
    assert refused == {
        "loopback": "blocked_address",
        "metadata": "blocked_address",
        "file": refused["file"],
        "private-name": "blocked_address",
    }
    assert refused["file"] in {"blocked_scheme", "no_url"}  # feedparser may drop file: links
    assert after["loopback"] == after["private-name"] == "extracted"
    assert after["metadata"] != "extracted"
    texts = " ".join(a["text"] for a in articles(db_path))
    assert "root:x:0:0" not in texts


def test_malformed_and_mis_encoded_feeds_are_still_used(tmp_path: Path, db_path: Path) -> None:
    with LocalServer() as server:
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Caf\u00e9"
            "</title><item><title>Caf\u00e9 \u201cnews\u201d</title><guid>c1</guid>"
            "<description>Caf\u00e9 owners welcome the new rules. &nbsp; Unclosed <b>bold"
            "</description></item></channel></rss>"
        ).encode("cp1252")
        server.route(
            "/wrong.xml", body, headers={"Content-Type": "application/rss+xml; charset=utf-8"}
        )
        server.route(
            "/none.xml",
            body.replace(b"utf-8", b"windows-1252"),
            headers={"Content-Type": "text/xml"},
        )
        config = feed_file(tmp_path, server.url("/wrong.xml"), server.url("/none.xml"))
        ingest_feeds(feeds=str(config), db=str(db_path))
    titles = [r[0] for r in rows(db_path, "SELECT title FROM feed_items ORDER BY feed_id")]
    assert len(titles) == 2
    assert "Caf\u00e9 \u201cnews\u201d" in titles
    bozo = rows(db_path, "SELECT bozo_reason FROM feeds WHERE url LIKE '%wrong%'")
    assert bozo[0][0]  # the wrong charset is recorded
    assert all(a["extraction_method"] == "feed-summary" for a in articles(db_path))


def test_feeds_option_accepts_an_opml_file(tmp_path: Path, db_path: Path, monkeypatch) -> None:
    page = corpus_page("0010")
    monkeypatch.setenv("PRESSWATCH_ALLOWED_HOSTS", "127.0.0.1")
    with LocalServer() as server:
        publish(server, [page])
        opml = tmp_path / "subscriptions.opml"
        opml.write_text(
            "<?xml version='1.0'?><opml version='2.0'><head><title>subs</title></head><body>"
            "<outline text='News'><outline type='rss' text='Test' "
            f"xmlUrl='{server.url('/feed.xml')}'/>"
            "</outline></body></opml>",
            encoding="utf-8",
        )
        summary = ingest_feeds(feeds=str(opml), db=str(db_path))
    assert summary.articles_added == 1
    assert isinstance(duckdb.__version__, str)
