"""A small news site for feed tests: article pages behind an RSS feed.

``corpus_page`` serves real pages (``../shared/corpora/wcxb-articles-dev``, CC-BY-4.0; the
test is skipped without them); ``written_page`` serves a page of local-news prose written
for the tests, for tests whose point is the pipeline's behaviour rather than extraction
quality. The feed is generated the way a CMS would write it, with guid, link, title,
pubDate and a description.
"""

from __future__ import annotations

import gzip
import random
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


_SUBJECTS = (
    "The council",
    "A spokesperson for the hospital trust",
    "Residents of the old quarter",
    "The county inspector",
    "Local traders",
    "The transport minister",
    "Campaigners outside the town hall",
    "The harbour master",
    "Parents at the primary school",
    "The chief constable",
)
_VERBS = ("said", "warned", "confirmed", "argued", "announced", "suggested", "insisted")
_TOPICS = (
    "the new bus route",
    "the plans for the library",
    "the flood defences along the river",
    "next year's school budget",
    "the repairs to the swing bridge",
    "the market's longer opening hours",
    "the review of parking charges",
    "the extension of the cycle lanes",
    "the sale of the old fire station",
    "the winter gritting schedule",
)
_OUTCOMES = (
    "would be delayed until the spring",
    "had cost far more than anyone expected",
    "needed another round of public consultation",
    "was proving popular with young families",
    "would be decided at next month's meeting",
    "had drawn hundreds of letters from readers",
    "could not go ahead without government money",
    "was the best news the town had heard in years",
)


def written_page(number: int) -> Page:
    """A plausible local-news article page, the same for the same ``number``."""
    rng = random.Random(number)
    topic = rng.choice(_TOPICS)
    title = f"{topic.removeprefix('the ').capitalize()} {rng.choice(_OUTCOMES)} (report {number})"

    def sentence() -> str:
        outcome = rng.choice(_OUTCOMES)
        return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} that {rng.choice(_TOPICS)} {outcome}."

    paragraphs = [" ".join(sentence() for _ in range(4)) for _ in range(6)]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = (
        f"<html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        "<footer>The Riverside Courier, written for presswatch's tests</footer></body></html>"
    )
    return Page(
        file_id=f"w{number:04d}",
        path=f"/news/w{number:04d}.html",
        title=title,
        html=html.encode(),
        summary=paragraphs[0][:300],
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
