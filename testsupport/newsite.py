"""A small real news site for feed tests: WCXB article pages behind an RSS feed.

The pages are real (``../shared/corpora/wcxb-articles-dev``, CC-BY-4.0); the feed is
generated the way a CMS would write it, with guid, link, title, pubDate and a description.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from testsupport.corpus import WCXB, ground_truth
from testsupport.localserver import LocalServer


@dataclass(frozen=True)
class Page:
    file_id: str
    path: str
    title: str
    html: bytes
    summary: str


def corpus_page(file_id: str) -> Page:
    truth = ground_truth(file_id)["ground_truth"]
    html = gzip.decompress((WCXB / "dev" / "html" / f"{file_id}.html.gz").read_bytes())
    return Page(
        file_id=file_id,
        path=f"/news/{file_id}.html",
        title=truth["title"],
        html=html,
        summary=truth["main_content"][:300],
    )


def rss(server_url: str, items: list[tuple[str, str, str, str]], title: str = "Test News") -> bytes:
    """RSS 2.0 with (guid, link, title, description) items; links may be absolute."""
    entries = []
    for n, (guid, link, item_title, description) in enumerate(items):
        published = format_datetime(datetime(2025, 6, 1 + n % 28, 9, 0))
        entries.append(
            f"<item><guid isPermaLink='false'>{escape(guid)}</guid>"
            f"<link>{escape(link)}</link><title>{escape(item_title)}</title>"
            f"<pubDate>{published}</pubDate>"
            f"<description>{escape(description)}</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>{server_url}/</link>"
        f"<description>news</description>{''.join(entries)}</channel></rss>"
    ).encode()


def publish(server: LocalServer, pages: list[Page], feed_path: str = "/feed.xml") -> bytes:
    """Serve ``pages`` and a feed listing them; returns the feed bytes."""
    for page in pages:
        server.route(page.path, page.html, headers={"Content-Type": "text/html; charset=utf-8"})
    feed = rss(
        server.base_url,
        [(f"urn:test:{p.file_id}", server.url(p.path), p.title, p.summary) for p in pages],
    )
    server.route(feed_path, feed, headers={"Content-Type": "application/rss+xml"})
    return feed
