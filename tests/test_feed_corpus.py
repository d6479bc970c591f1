"""Every file of feedparser's own test corpus, served over HTTP and ingested by the flow.

1,092 well-formed, ill-formed and oddly encoded documents (BSD-2, ../shared/corpora/
feedparser-tests). Each is served with the HTTP headers its ``Header:`` comment lines
declare, as feedparser's own harness does. The run must finish, every feed must end with
a recorded status, and every announced item must be an article or carry a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.corpus import FEEDPARSER_TESTS as CORPUS
from testsupport.corpus import require_corpus
from testsupport.localserver import LocalServer
from warehouse.db import connection

HEADER_LINE = re.compile(rb"^Header:\s+([^:]+):(.*)$", re.MULTILINE)

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]


def _declared_headers(body: bytes) -> dict[str, str]:
    headers = {"Content-Type": "application/xml"}
    for name, value in HEADER_LINE.findall(body[:4000]):
        headers[name.decode("latin-1").strip()] = value.decode("latin-1").strip()
    return headers


def test_every_corpus_file_goes_through_the_feed_flow(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_corpus(CORPUS)
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    assert len(files) > 1000
    with LocalServer() as server:
        sources = []
        for n, path in enumerate(files):
            body = path.read_bytes()
            route = f"/corpus/{n}"
            server.route(route, body, headers=_declared_headers(body))
            sources.append(FeedSource(name=f"{n} {path.name}", url=server.url(route)))
        config = tmp_path / "feeds.toml"
        save_feed_list(FeedList(feeds=tuple(sources), allowed_hosts=("127.0.0.1",)), config)
        summary = ingest_feeds(feeds=str(config), db=str(db_path))

    with connection(db_path, read_only=True) as con:
        statuses = dict(
            con.execute("SELECT last_status, count(*) FROM feeds GROUP BY 1").fetchall()
        )
        unhandled = con.execute(
            "SELECT item_ref, reason, detail FROM ingest_errors "
            "WHERE reason IN ('feed_parse_error', 'extraction_failed')"
        ).fetchall()
        unaccounted = con.execute(
            "SELECT count(*) FROM feed_items WHERE status <> 'extracted' AND last_reason IS NULL"
        ).fetchone()[0]
        items = con.execute("SELECT count(*) FROM feed_items").fetchone()[0]
        articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert sum(statuses.values()) == len(files)
    assert None not in statuses  # every feed was polled and got a status
    assert statuses.get("ok", 0) > 1000
    assert set(statuses) <= {"ok", "not_a_feed", "http_304"}
    assert unhandled == []
    assert unaccounted == 0
    assert items > 500 and articles > 0
    assert summary.items_seen == items
