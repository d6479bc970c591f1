"""Revisions: a feed item that changes within the revisit window makes its page fetched
again; a changed headline or body is stored as a revision (old text kept with its dates),
the article holds the newest text, `articles --revisions ID` shows both, reports count it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.models import ExtractedArticle
from flows.ingest_feeds import ingest_feeds
from presswatch.cli import main
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.localserver import LocalServer
from warehouse import loader, reports
from warehouse.db import connection

BODY = "<p>{0} The ferry timetable was approved after a long debate in the council.</p>" * 8
PAGE = "<html><head><title>{0}</title></head><body><article><h1>{0}</h1>{1}</article></body></html>"


def article(title: str, text: str, method: str) -> ExtractedArticle:
    return ExtractedArticle(title=title, text=text, method=method)


def revisions(db_path: Path) -> list[tuple]:
    with connection(db_path, read_only=True) as con:
        return con.execute(
            "SELECT revision, title, body_text FROM article_revisions ORDER BY revision"
        ).fetchall()


def test_loader_keeps_replaced_page_text_but_not_feed_text(db_path: Path) -> None:
    def load(title: str, text: str, method: str) -> loader.LoadResult:
        with connection(db_path) as con:
            source = loader.ensure_source(con, "web", "test", name="test")
            run = loader.start_run(con, "test", "test")
            item = loader.ArticleInput("ref-1", article(title, text, method), None)
            return loader.load_articles(con, source, run, [item])

    load("Ferry", "the feed's short summary", "feed-summary")
    assert load("Ferry", "the page text, first version", "trafilatura").updated
    assert revisions(db_path) == []  # feed text replaced by the page: not a revision
    assert load("Ferry delayed", "the page text, first version", "trafilatura").updated
    assert load("Ferry delayed", "the page text, corrected", "trafilatura").updated
    assert load("Ferry delayed", "the page text, corrected", "trafilatura").unchanged
    assert revisions(db_path) == [
        (1, "Ferry", "the page text, first version"),
        (2, "Ferry delayed", "the page text, first version"),
    ]


@pytest.mark.usefixtures("prefect_server")
def test_a_changed_feed_item_is_refetched_and_its_revision_kept(
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "3")

    def publish(server: LocalServer, title: str, body: str) -> None:
        server.route("/story/1", PAGE.format(title, BODY.format(body)).encode())
        server.route("/story/2", PAGE.format("Harbour", BODY.format("Steady.")).encode())
        items = "".join(
            f"<item><title>{t}</title><link>{server.url(path)}</link><guid>{path}</guid></item>"
            for t, path in ((title, "/story/1"), ("Harbour", "/story/2"))
        )
        server.route(
            "/feed.xml",
            f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode(),
            headers={"Content-Type": "application/rss+xml"},
        )

    with LocalServer() as server:
        config = tmp_path / "feeds.toml"
        source = FeedSource(name="harbour", url=server.url("/feed.xml"), outlet="Harbour")
        save_feed_list(FeedList(feeds=(source,), allowed_hosts=("127.0.0.1",)), config)
        publish(server, "Ferry approved", "First.")
        ingest_feeds(feeds=str(config), db=str(db_path))
        publish(server, "Ferry approved after delay", "Corrected.")
        second = ingest_feeds(feeds=str(config), db=str(db_path), force=True)
        fetched = {p: len(server.requests_for(p)) for p in ("/story/1", "/story/2")}
    assert fetched == {"/story/1": 2, "/story/2": 1}  # only the changed item is re-fetched
    assert second.articles_updated == 1 and second.articles_added == 0
    with connection(db_path, read_only=True) as con:
        (article_id,) = con.execute(
            "SELECT article_id FROM articles WHERE title LIKE 'Ferry%'"
        ).fetchone()
        current = con.execute(
            "SELECT title, body_text FROM articles WHERE article_id = ?", [article_id]
        ).fetchone()
        totals = reports.report_totals(con)
    assert current[0] == "Ferry approved after delay" and "Corrected." in current[1]
    ((number, old_title, old_text),) = revisions(db_path)
    assert (number, old_title) == (1, "Ferry approved") and "First." in old_text
    assert totals["revised_articles"] == 1
    capsys.readouterr()
    assert (
        main(["articles", "--revisions", article_id, "--db", str(db_path), "--format", "json"]) == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert [r["revision"] for r in shown] == ["1", "current"]
    assert (
        shown[0]["replaced_at"] is not None and shown[0]["text_seen_at"] < shown[1]["text_seen_at"]
    )
    assert main(["articles", "--revisions", "nope", "--db", str(db_path)]) == 1
