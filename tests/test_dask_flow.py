"""The feed flow's parallel paths store the same warehouse content as the default path (a
local process pool here: several batches, two cores): extraction on a local 2-worker Dask
cluster, and deduplication as pages load, with fingerprints from the worker processes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.settings import TaskRunnerSettings
from flows import ingest_feeds as feed_flow
from flows.ingest_feeds import ingest_feeds
from flows.task_runner import make_runner
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.localserver import LocalServer
from testsupport.newsite import Page, corpus_page, rss
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

ORIGINALS = ["0004", "0005", "0010", "0011", "0012", "0013"]
SYNDICATED = ["0004", "0010", "0012"]  # republished by a second outlet, new headline


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.setenv("PRESSWATCH_PAGE_BATCH_SIZE", "3")  # 9 pages: 3 extraction tasks
    monkeypatch.setenv("PRESSWATCH_WORKERS", "2")
    monkeypatch.delenv("PRESSWATCH_DASK_ADDRESS", raising=False)
    monkeypatch.delenv("PRESSWATCH_ALLOWED_HOSTS", raising=False)


def serve_site(server: LocalServer) -> Path:
    """Two outlets' feeds: originals, and syndicated copies of three of them."""
    originals = [corpus_page(p) for p in ORIGINALS]
    copies = [
        Page(
            p.file_id,
            f"/wire/{p.file_id}.html",
            f"Wire: {p.title}",
            p.html.replace(b"<title>", b"<title>Wire: ", 1),
            p.summary,
        )
        for p in originals
        if p.file_id in SYNDICATED
    ]
    for name, pages in (("news", originals), ("wire", copies)):
        for page in pages:
            server.route(page.path, page.html)
        items = [(f"{name}-{p.file_id}", server.url(p.path), p.title, p.summary) for p in pages]
        server.route(
            f"/{name}.xml",
            rss(server.base_url, items, title=name),
            headers={"Content-Type": "application/rss+xml"},
        )
    return server.url("/news.xml"), server.url("/wire.xml")


def warehouse_content(db_path: Path) -> dict[str, object]:
    """Articles, copy links and stories, keyed by URL (ids of stories are run-specific)."""
    with connection(db_path, read_only=True) as con:
        articles = con.execute(
            "SELECT url, title, body_text, extraction_method, published_at, language "
            "FROM articles ORDER BY url"
        ).fetchall()
        links = con.execute(
            "SELECT d.url, c.url FROM duplicate_links l "
            "JOIN articles d ON d.article_id = l.article_id "
            "JOIN articles c ON c.article_id = l.canonical_id ORDER BY 1"
        ).fetchall()
        members = con.execute(
            "SELECT m.story_id, a.url FROM story_members m "
            "JOIN articles a USING (article_id) ORDER BY 2"
        ).fetchall()
    stories: dict[str, set[str]] = {}
    for story_id, url in members:
        stories.setdefault(story_id, set()).add(url)
    return {
        "articles": articles,
        "links": links,
        "stories": sorted(sorted(urls) for urls in stories.values()),
    }


def run(tmp_path: Path, feeds: tuple[str, str], name: str) -> tuple[object, dict[str, object]]:
    config = tmp_path / f"{name}.toml"
    sources = tuple(FeedSource(name=f"{name} {n}", url=url) for n, url in enumerate(feeds))
    save_feed_list(FeedList(feeds=sources, allowed_hosts=("127.0.0.1",)), config)
    db = tmp_path / f"{name}.duckdb"
    summary = ingest_feeds(feeds=str(config), db=str(db))
    return summary, warehouse_content(db)


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def recording(logger: str) -> Iterator[RecordingHandler]:
    """The messages logged to ``logger`` inside the block."""
    handler = RecordingHandler()
    logging.getLogger(logger).addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger(logger).removeHandler(handler)


def test_the_runner_setting_picks_the_runner() -> None:
    local = TaskRunnerSettings(kind="local", workers=2)
    assert type(make_runner(local, batches=1)).__name__ == "ThreadPoolTaskRunner"
    assert type(make_runner(local, batches=3)).__name__ == "ProcessPoolTaskRunner"
    one = TaskRunnerSettings(kind="local", workers=1)
    assert type(make_runner(one, batches=40)).__name__ == "ThreadPoolTaskRunner"
    dask = TaskRunnerSettings(kind="dask", workers=2)
    assert type(make_runner(dask, batches=1)).__name__ == "DaskTaskRunner"
    remote = make_runner(TaskRunnerSettings(kind="dask", dask_address="tcp://10.0.0.9:8786"), 1)
    assert remote.address == "tcp://10.0.0.9:8786"


def test_feed_flow_on_a_local_dask_cluster_stores_what_the_default_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with recording("prefect.task_runner.dask") as dask_log, LocalServer() as server:
        feeds = serve_site(server)
        monkeypatch.setenv("PRESSWATCH_TASK_RUNNER", "local")
        default_summary, default = run(tmp_path, feeds, "default")
        assert not dask_log.messages
        monkeypatch.setenv("PRESSWATCH_TASK_RUNNER", "dask")
        dask_summary, on_dask = run(tmp_path, feeds, "dask")
    assert any("LocalCluster" in m for m in dask_log.messages)
    assert default_summary.articles_added == dask_summary.articles_added == 9
    assert default_summary.errors == dask_summary.errors == 0
    assert {method for *_, method, _, _ in default["articles"]} <= {
        "trafilatura",
        "trafilatura+fallback",
    }
    assert len(default["links"]) == len(SYNDICATED)  # every wire copy found its original
    assert on_dask == default


def test_deduping_as_pages_load_stores_what_one_dedupe_at_the_end_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fingerprints are computed by the worker processes and taken by every dedupe."""
    with recording("prefect.task_runs") as dedupe_log, LocalServer() as server:
        feeds = serve_site(server)
        _, at_the_end = run(tmp_path, feeds, "at-the-end")
        dedupe_log.messages.clear()
        monkeypatch.setattr(feed_flow, "DEDUPE_EVERY", 2)  # after each batch of 3 pages
        summary, as_they_load = run(tmp_path, feeds, "as-they-load")
    dedupes = [
        tuple(map(int, found.groups()))
        for m in dedupe_log.messages
        if (found := re.match(r"dedupe: (\d+) article\(s\) checked \((\d+) fingerprinted", m))
    ]
    assert dedupes == [(3, 3), (3, 3), (3, 3)]  # after batches 1 and 2, and at the end
    assert summary.duplicates_linked == len(SYNDICATED)
    assert as_they_load == at_the_end
