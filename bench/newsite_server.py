"""Serve the WCXB article pages behind generated RSS feeds on 127.0.0.1 (benchmark helper).

Every page of ``<corpus>/html/*.html.gz`` is served decompressed at ``/<host><path>`` of
its original URL (query string dropped; a page without a URL at ``/unknown/<id>.html``).
The pages are split round-robin over K RSS 2.0 feeds ``/feeds/<n>.xml`` (and the same feeds
without any ``pubDate`` at ``/feeds/undated/<n>.xml``). Each item carries what a real CMS
feed carries:

* ``guid`` (``wcxb:<file id>``, not a permalink) and ``link`` (the local page URL);
* ``title``: the ground-truth headline (a CMS writes the headline it stores);
* ``pubDate``: the ground-truth publication day at 12:00 UTC, omitted when the ground
  truth has no full date (we do not know it, and a wrong date would be worse than none);
* ``description``: the page's own ``<meta name=description>``/``og:description``, else
  the first 200 characters of the ground-truth body (only used if the page fails).

Run as a separate process so the server's threads do not compete with the measured code
for the GIL::

    python bench/newsite_server.py --manifest /tmp/site.json [--limit N] [--feeds K]

It writes the manifest (base URL, feed URLs, one record per page) once it listens, and
serves until its stdin closes or it receives SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

import lxml.html

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from testsupport.localserver import LocalServer  # noqa: E402

DEFAULT_CORPUS = Path(
    os.environ.get("WCXB_CORPUS", REPO_ROOT.parent / "shared" / "corpora" / "wcxb-articles-dev")
)
DESCRIPTION_CHARS = 200
# Characters left as they are in a served path (RFC 3986 pchar plus "/").
PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class SitePage:
    file_id: str
    original_url: str | None
    path: str  # as requested on the wire (percent-encoded)
    url: str  # absolute local URL, as written in the feed
    feed: int
    title: str | None
    published: str | None  # ground truth, YYYY-MM-DD when known
    description_from: str  # "page-meta" or "ground-truth"


def corpus_records(corpus: Path, limit: int | None) -> list[tuple[str, dict]]:
    """(file id, ground-truth record) for the first ``limit`` pages of ``corpus/dev``."""
    files = sorted((corpus / "dev" / "ground-truth").glob("*.json"))[:limit]
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


def local_path(file_id: str, original_url: str | None) -> str:
    if not original_url:
        return f"/unknown/{file_id}.html"
    parts = urlsplit(original_url)
    path = quote(unquote(parts.path or "/"), safe=PATH_SAFE)
    return f"/{parts.hostname}{path if path.startswith('/') else '/' + path}"


def page_description(html: bytes) -> str | None:
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    for xpath in (
        "//meta[@name='description']/@content",
        "//meta[@property='og:description']/@content",
    ):
        values = [" ".join(v.split()) for v in tree.xpath(xpath) if v and v.strip()]
        if values:
            return values[0][:500]
    return None


def pub_date(day: str | None) -> str | None:
    if not day or len(day) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(day[:10])
    except ValueError:
        return None
    return format_datetime(parsed.replace(hour=12, tzinfo=UTC))


def rss(base_url: str, title: str, items: list[dict]) -> bytes:
    entries = []
    for item in items:
        parts = [
            f"<guid isPermaLink='false'>{escape(item['guid'])}</guid>",
            f"<link>{escape(item['link'])}</link>",
        ]
        if item["title"]:
            parts.append(f"<title>{escape(item['title'])}</title>")
        if item["pubDate"]:
            parts.append(f"<pubDate>{item['pubDate']}</pubDate>")
        if item["description"]:
            parts.append(f"<description>{escape(item['description'])}</description>")
        entries.append(f"<item>{''.join(parts)}</item>")
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>{base_url}/</link>"
        f"<description>WCXB benchmark feed</description>{''.join(entries)}</channel></rss>"
    ).encode()


def publish_site(
    server: LocalServer, corpus: Path, limit: int | None, feeds: int
) -> tuple[list[str], list[SitePage]]:
    """Route every page and ``feeds`` feeds on ``server`` (each also undated, at
    ``/feeds/undated/<n>.xml``); returns (feed URLs, pages)."""
    pages: list[SitePage] = []
    feed_items: list[list[dict]] = [[] for _ in range(feeds)]
    for n, (file_id, record) in enumerate(corpus_records(corpus, limit)):
        truth = record.get("ground_truth") or {}
        html = gzip.decompress((corpus / "dev" / "html" / f"{file_id}.html.gz").read_bytes())
        path = local_path(file_id, record.get("url"))
        server.route(path, html, headers={"Content-Type": "text/html"})
        description = page_description(html)
        description_from = "page-meta"
        if not description:
            description = (truth.get("main_content") or "")[:DESCRIPTION_CHARS] or None
            description_from = "ground-truth"
        page = SitePage(
            file_id=file_id,
            original_url=record.get("url"),
            path=path,
            url=server.url(path),
            feed=n % feeds,
            title=truth.get("title"),
            published=truth.get("publish_date"),
            description_from=description_from,
        )
        pages.append(page)
        feed_items[page.feed].append(
            {
                "guid": f"wcxb:{file_id}",
                "link": page.url,
                "title": page.title,
                "pubDate": pub_date(page.published),
                "description": description,
            }
        )
    feed_urls = []
    for n, items in enumerate(feed_items):
        feed_path = f"/feeds/{n}.xml"
        server.route(
            feed_path,
            rss(server.base_url, f"WCXB feed {n}", items),
            headers={"Content-Type": "application/rss+xml; charset=utf-8"},
        )
        feed_urls.append(server.url(feed_path))
        server.route(
            f"/feeds/undated/{n}.xml",
            rss(server.base_url, f"WCXB feed {n}", [{**i, "pubDate": None} for i in items]),
            headers={"Content-Type": "application/rss+xml; charset=utf-8"},
        )
    return feed_urls, pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--feeds", type=int, default=8)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    with LocalServer("127.0.0.1") as server:
        feed_urls, pages = publish_site(server, args.corpus, args.limit, args.feeds)
        manifest = {
            "base_url": server.base_url,
            "feeds": feed_urls,
            "pages": [asdict(p) for p in pages],
            "pid": os.getpid(),
        }
        tmp = args.manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        tmp.replace(args.manifest)
        stop.wait()
        requests = server.requests
    pages_requested = sum(1 for r in requests if not r.path.startswith("/feeds/"))
    print(f"newsite_server: served {len(requests)} requests ({pages_requested} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
