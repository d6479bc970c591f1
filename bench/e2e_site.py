"""A generated news site for the end-to-end benchmark: the WCXB dev pages replicated with
variations, plus syndicated copies, behind many RSS feeds on 127.0.0.1.

Article ``i`` of the site is one of:

* ``original`` (the first 793): a WCXB dev page as it is;
* ``variant``: the same real page (markup, furniture, size: what extraction costs) with
  70% of its words of four letters or more replaced from the corpus vocabulary, a
  different article for the dedupe (it shares almost no 4-word shingle with the page);
* ``copy`` (``--copy-share`` of the articles after the first 793): a syndicated copy of an
  earlier original or variant as ``testsupport/synth.py`` models one: 2% of the words edited, a
  new headline prefix, an "originally appeared" line. The dedupe should link it.

Pages are generated once per (articles, seed, copy share) into a cache folder, gzipped,
and served with ``Content-Encoding: gzip``. Feeds hold 25 articles each (article ``i`` in
feed ``i % feeds``), with guid, link, headline (also as the description) and
publication day. Generation uses
every core (minutes for 10k pages) and happens before anything is timed::

    python bench/e2e_site.py --articles 10000 --manifest /tmp/site.json [--cache DIR]

serves until stdin closes or SIGTERM/SIGINT, after writing the manifest (feed URLs, one
record per article).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import signal
import sys
import threading
from functools import cache
from html import unescape
from multiprocessing import get_context
from pathlib import Path
from xml.sax.saxutils import escape

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
for entry in (str(REPO_ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from newsite_server import pub_date  # noqa: E402
from synth import load_pages, outlet_name  # noqa: E402

from testsupport.localserver import Exchange, LocalServer  # noqa: E402

CORPUS = Path(
    os.environ.get("WCXB_CORPUS", REPO_ROOT.parent / "shared" / "corpora" / "wcxb-articles-dev")
)
ARTICLES_PER_FEED = 25
VARIANT_RATE = 0.7
COPY_RATE = 0.02
_HIDDEN = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->)", re.S | re.I)
_TEXT = re.compile(r">([^<]+)<")
_WORD = re.compile(r"[^\W\d_]{4,}")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)


@cache
def vocabulary() -> tuple[str, ...]:
    words = {w for p in load_pages(CORPUS / "dev") for w in _WORD.findall(p.text)}
    return tuple(sorted(words))


@cache
def corpus() -> tuple[tuple[str, str | None], ...]:
    """(file id, ground-truth publication day) of every dev page, in file order."""
    records = []
    for path in sorted((CORPUS / "dev" / "ground-truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8")).get("ground_truth") or {}
        records.append((path.stem, truth.get("publish_date")))
    return tuple(records)


def original_html(file_id: str) -> str:
    raw = gzip.decompress((CORPUS / "dev" / "html" / f"{file_id}.html.gz").read_bytes())
    return raw.decode("utf-8", "surrogateescape")


def vary(html: str, rng: random.Random, rate: float) -> str:
    """Replace ``rate`` of the visible words (not scripts, styles or markup)."""
    words = vocabulary()

    def text(match: re.Match[str]) -> str:
        replaced = _WORD.sub(
            lambda w: rng.choice(words) if rng.random() < rate else w.group(0), match.group(1)
        )
        return f">{replaced}<"

    parts = _HIDDEN.split(html)
    return "".join(p if i % 2 else _TEXT.sub(text, p) for i, p in enumerate(parts))


def title_of(html: str) -> str | None:
    match = _TITLE.search(html)
    return " ".join(match.group(1).split()) or None if match else None


def plan(articles: int, seed: int, copy_share: float) -> list[dict]:
    """What each article is (kind, corpus page, copied article), decided up front so a
    site of N articles is the first N of any larger one."""
    pages = corpus()
    rng = random.Random(seed)
    records: list[dict] = []
    sources: list[int] = []  # originals and variants so far
    for i in range(articles):
        if i < len(pages):
            record = {"kind": "original", "page": i, "source": None}
        elif rng.random() < copy_share:
            source = records[rng.choice(sources)]
            record = {"kind": "copy", "page": source["page"], "source": source["id"]}
        else:
            record = {"kind": "variant", "page": rng.randrange(len(pages)), "source": None}
        if record["kind"] != "copy":
            sources.append(i)
        records.append({"id": i, **record})
    return records


def build(job: tuple[dict, dict, int, str]) -> dict:
    """Write one article's page (``base``: itself, or the article it copies); return its
    manifest record."""
    record, base, seed, folder = job
    rng = random.Random(f"{seed}:{record['id']}")
    file_id, day = corpus()[base["page"]]
    html = original_html(file_id)
    if base["kind"] == "variant":  # a copy regenerates its source: same seed, same text
        html = vary(html, random.Random(f"{seed}:{base['id']}"), VARIANT_RATE)
    if record["kind"] == "copy":
        html = vary(html, rng, COPY_RATE)
        outlet = outlet_name(rng)
        html = _TITLE.sub(lambda m: f"<title>Update: {m.group(1)}</title>", html, count=1)
        line = f"<p>This article originally appeared on {escape(outlet)}.</p>"
        html = re.sub(r"</body>", line + "</body>", html, count=1, flags=re.I)
        if line not in html:
            html += line
    path = Path(folder) / f"{record['id']}.html.gz"
    path.write_bytes(gzip.compress(html.encode("utf-8", "surrogateescape"), compresslevel=5))
    return {**record, "file_id": file_id, "title": title_of(html), "day": day}


def generate(articles: int, seed: int, copy_share: float, cache_dir: Path) -> list[dict]:
    """Build (or reuse) the site's pages in ``cache_dir``; returns the article records."""
    folder = cache_dir / f"site-{articles}-{seed}-{copy_share}"
    manifest = folder / "articles.json"
    if manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    records = plan(articles, seed, copy_share)
    jobs = [
        (r, records[r["source"]] if r["source"] is not None else r, seed, str(folder))
        for r in records
    ]
    with get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        built = pool.map(build, jobs, chunksize=16)
    manifest.write_text(json.dumps(built), encoding="utf-8")
    return built


def rss(base_url: str, title: str, items: list[dict]) -> bytes:
    entries = []
    for item in items:
        parts = [
            f"<guid isPermaLink='false'>e2e:{item['id']}</guid>",
            f"<link>{escape(item['url'])}</link>",
        ]
        if item["title"]:  # as it stood in the page's <title>, entities and all
            title = escape(unescape(item["title"]))
            # The description a CMS writes; here the headline (used only if the page fails).
            parts.append(f"<title>{title}</title><description>{title}</description>")
        if pub_date(item["day"]):
            parts.append(f"<pubDate>{pub_date(item['day'])}</pubDate>")
        entries.append(f"<item>{''.join(parts)}</item>")
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>{base_url}/</link>"
        f"<description>presswatch e2e benchmark</description>{''.join(entries)}"
        "</channel></rss>"
    ).encode()


def page_handler(path: Path):
    def handler(exchange: Exchange) -> None:
        exchange.respond(
            200,
            path.read_bytes(),
            {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        )

    return handler


def publish(server: LocalServer, records: list[dict], folder: Path) -> list[str]:
    feeds = max(1, -(-len(records) // ARTICLES_PER_FEED))
    items: list[list[dict]] = [[] for _ in range(feeds)]
    for record in records:
        path = f"/news/{record['id']}.html"
        server.route(path, page_handler(folder / f"{record['id']}.html.gz"))
        record["url"] = server.url(path)
        items[record["id"] % feeds].append(record)
    urls = []
    for n, feed_items in enumerate(items):
        path = f"/feeds/{n}.xml"
        server.route(
            path,
            rss(server.base_url, f"e2e feed {n}", feed_items),
            headers={"Content-Type": "application/rss+xml; charset=utf-8"},
        )
        urls.append(server.url(path))
    return urls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--copy-share", type=float, default=0.25)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/presswatch-e2e-site"))
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args(argv)

    records = generate(args.articles, args.seed, args.copy_share, args.cache)
    if args.generate_only:
        return 0
    folder = args.cache / f"site-{args.articles}-{args.seed}-{args.copy_share}"
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    with LocalServer("127.0.0.1") as server:
        feeds = publish(server, records, folder)
        manifest = {"base_url": server.base_url, "feeds": feeds, "articles": records}
        tmp = args.manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        tmp.replace(args.manifest)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
