"""A feed run killed with SIGKILL mid-way, then run again, leaves what a clean run leaves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.localserver import Exchange, LocalServer
from testsupport.newsite import Page, rss, written_page
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

PAGE_NUMBERS = range(1, 41)
PAGE_DELAY = 0.15  # slow enough to kill the run while pages are still being fetched


def _slow_page(page: Page):
    def handle(exchange: Exchange) -> None:
        exchange.sleep(PAGE_DELAY)
        exchange.respond(200, page.html, {"Content-Type": "text/html; charset=utf-8"})

    return handle


def _site(server: LocalServer, tmp_path: Path) -> Path:
    pages = [written_page(n) for n in PAGE_NUMBERS]
    for page in pages:
        server.route(page.path, _slow_page(page))
    halves = [pages[::2], pages[1::2]]
    sources = []
    for n, half in enumerate(halves):
        items = [(f"g{p.file_id}", server.url(p.path), p.title, p.summary) for p in half]
        server.route(
            f"/feed{n}.xml", rss(server.base_url, items), headers={"Content-Type": "text/xml"}
        )
        sources.append(FeedSource(name=f"feed {n}", url=server.url(f"/feed{n}.xml")))
    config = tmp_path / "feeds.toml"
    save_feed_list(FeedList(feeds=tuple(sources), allowed_hosts=("127.0.0.1",)), config)
    return config


def _snapshot(db_path: Path) -> dict[str, object]:
    """Content that must match; run ids and timestamps legitimately differ."""
    with connection(db_path, read_only=True) as con:
        stories = con.execute(
            "SELECT list(article_id ORDER BY article_id) FROM story_members GROUP BY story_id"
        ).fetchall()
        return {
            "articles": con.execute(
                "SELECT article_id, url, title, content_hash, extraction_method FROM articles "
                "ORDER BY 1"
            ).fetchall(),
            "items": con.execute(
                "SELECT feed_id, item_key, status, article_id FROM feed_items ORDER BY 1, 2"
            ).fetchall(),
            "links": con.execute(
                "SELECT article_id, canonical_id FROM duplicate_links ORDER BY 1"
            ).fetchall(),
            "stories": sorted(s[0] for s in stories),
            "pending_dedupe": con.execute(
                "SELECT count(*) FROM articles WHERE dedupe_pending"
            ).fetchone(),
            "feeds": con.execute("SELECT url, etag, body_hash FROM feeds ORDER BY 1").fetchall(),
        }


@pytest.mark.parametrize("kill_after_pages", [1, 20])
def test_sigkill_then_rerun_equals_a_clean_run(
    tmp_path: Path, kill_after_pages: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    with LocalServer() as server:
        config = _site(server, tmp_path)
        clean_db, killed_db = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
        ingest_feeds(feeds=str(config), db=str(clean_db))

        served_before = len(server.requests)
        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "presswatch.cli", "ingest", "feeds"),
                *("--feeds", str(config), "--db", str(killed_db)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            pages_served = sum(r.path.startswith("/news/") for r in server.requests[served_before:])
            if pages_served >= kill_after_pages:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the run finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

        ingest_feeds(feeds=str(config), db=str(killed_db))
    assert _snapshot(killed_db) == _snapshot(clean_db)
