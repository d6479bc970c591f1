"""Dates and outlets benchmark: same-day date accuracy and outlet coverage of the articles
the warehouse stores for the WCXB dev pages behind local RSS feeds.

Set-up: ``bench/newsite_server.py``'s site, in this process on 127.0.0.1: every dev page at
``/<host><path>``, split over K feeds, each feed once with the ground-truth day as
``pubDate`` (12:00 UTC; omitted where the ground truth has no full date) and once with no
dates at all (``/feeds/undated/<n>.xml``). The feeds name no outlet, so every outlet comes
from the page (site name) or its URL (registered domain).

What runs is what the feed flow runs per page: parse the feed (``extractors.feed``), fetch
each linked page, ``extract_html`` with the item's hints (title, author, date), the
article's URL set to the item's link, then ``warehouse.loader.load_articles`` per feed into
a temporary DuckDB warehouse, with a run, as the flow does. Each page is extracted once;
for the undated feeds its feed date claim is dropped, which is exactly what an undated
item changes (``extract_html`` uses the hinted date only as that claim). The stored
``published_at`` and outlet are read back from the warehouse and scored against the
ground truth (same day; only pages whose ground truth has a full date).

For comparison, the previous rule (the page's htmldate day, else the feed's date) is
scored on the same claims.

    .venv/bin/python bench/dates_outlets.py [--limit N] [--feeds K]

Prints figures only, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for entry in (str(REPO_ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from newsite_server import DEFAULT_CORPUS, SitePage, publish_site  # noqa: E402

from extractors import dates  # noqa: E402
from extractors.feed import FeedItem, parse_feed  # noqa: E402
from extractors.html import FeedHints, extract_html  # noqa: E402
from extractors.models import ExtractedArticle, ExtractionError  # noqa: E402
from extractors.outlets import registered_domain  # noqa: E402
from testsupport.localserver import LocalServer  # noqa: E402
from testsupport.scoring import as_day  # noqa: E402
from warehouse import loader  # noqa: E402
from warehouse.db import connection  # noqa: E402


@dataclass(frozen=True)
class Extracted:
    feed_url: str
    item: FeedItem
    article: ExtractedArticle | None


def fetch_items(client: httpx.Client, feed_url: str) -> list[FeedItem]:
    response = client.get(feed_url)
    response.raise_for_status()
    parsed = parse_feed(
        response.content, content_type=response.headers.get("content-type"), base_url=feed_url
    )
    return list(parsed.items)


def extract_all(client: httpx.Client, feed_urls: list[str]) -> list[Extracted]:
    extracted = []
    for feed_url in feed_urls:
        for item in fetch_items(client, feed_url):
            hints = FeedHints(
                title=item.title,
                author=item.author,
                published_at=item.published_at,
                language=item.language,
            )
            article = None
            if item.url:
                page = client.get(item.url)
                try:
                    article = replace(
                        extract_html(page.content, url=str(page.url), hints=hints), url=item.url
                    )
                except ExtractionError:
                    article = None
            extracted.append(Extracted(feed_url, item, article))
    return extracted


def undated(article: ExtractedArticle) -> ExtractedArticle:
    """The article as an item without a pubDate gives it: no feed claim (and no date
    chosen from one)."""
    claims = tuple(c for c in article.dates if c.source not in dates.FEED_SOURCES)
    chosen = dates.choose_published(claims, now=datetime.now(UTC)).value
    return replace(article, dates=claims, published_at=chosen.date() if chosen else None)


def previous_rule(article: ExtractedArticle) -> date | None:
    """Before issue 14: htmldate's day when it has one, else the feed's date."""
    by_source = {c.source: c.value for c in article.dates}
    chosen = by_source.get(dates.HTMLDATE) or by_source.get(dates.FEED_PUBLISHED)
    return chosen.date() if chosen else None


def load_and_read(
    db_path: Path, extracted: list[Extracted], dated: bool
) -> dict[str, tuple[date | None, str | None, str | None, str | None]]:
    """Load every article per feed as the flow does; (published day, published source,
    outlet, outlet source) per item link."""
    with connection(db_path) as con:
        for feed_url in dict.fromkeys(e.feed_url for e in extracted):
            source_id = loader.ensure_source(con, "feed", feed_url, name=feed_url)
            run_id = loader.start_run(con, "bench_dates_outlets", feed_url)
            inputs = [
                loader.ArticleInput(
                    e.item.identity,
                    e.article if dated else undated(e.article),
                    e.item.url,
                    feed_id=feed_url,
                )
                for e in extracted
                if e.feed_url == feed_url and e.article is not None
            ]
            loader.load_articles(con, source_id, run_id, inputs)
        rows = con.execute(
            """SELECT a.url, CAST(a.published_at AS DATE), a.published_source, o.name,
                      a.outlet_source
               FROM articles a LEFT JOIN outlets o ON o.outlet_id = a.outlet_id"""
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def score(
    pages: list[SitePage], stored: dict, extracted: list[Extracted], dated: bool, label: str
) -> None:
    by_link = {e.item.url: e.article for e in extracted if e.article is not None}
    dated_pages = [p for p in pages if as_day(p.published) is not None and p.url in by_link]
    right = wrong = missing = previous_right = 0
    sources: Counter[str] = Counter()
    for page in dated_pages:
        truth = as_day(page.published)
        day, source, _, _ = stored.get(page.url, (None, None, None, None))
        sources[source or "(none)"] += 1
        if day is None:
            missing += 1
        elif day == truth:
            right += 1
        else:
            wrong += 1
        article = by_link[page.url]
        if previous_rule(article if dated else undated(article)) == truth:
            previous_right += 1
    n = len(dated_pages)
    print(f"\n{label}: {n} articles whose ground truth has a full date")
    print(f"  same day        {right / n:.3f}  ({right}/{n})")
    print(f"  wrong day       {wrong / n:.3f}  ({wrong})   no date {missing / n:.3f} ({missing})")
    print(f"  previous rule   {previous_right / n:.3f}  (htmldate's day, else the feed's)")
    print("  chosen from     " + ", ".join(f"{s} {c}" for s, c in sources.most_common()))


def per_source(pages: list[SitePage], extracted: list[Extracted]) -> None:
    """Each page source alone, where the page has it: how often it names the right day."""
    by_link = {e.item.url: e.article for e in extracted if e.article is not None}
    hits: Counter[str] = Counter()
    present: Counter[str] = Counter()
    for page in pages:
        truth = as_day(page.published)
        article = by_link.get(page.url)
        if truth is None or article is None:
            continue
        for claim in article.dates:
            if claim.source not in dates.FEED_SOURCES:
                present[claim.source] += 1
                hits[claim.source] += claim.value.date() == truth
    print("\neach page source alone (same day where present):")
    for source, n in present.most_common():
        print(f"  {source:<24} {hits[source] / n:.3f}  ({hits[source]}/{n})")


def outlet_coverage(pages: list[SitePage], stored: dict) -> None:
    total = len(stored)
    known = sum(1 for v in stored.values() if v[2])
    sources = Counter(v[3] or "(none)" for v in stored.values())
    print(f"\noutlet coverage (feeds name no outlet): {known / total:.3f} ({known}/{total})")
    print("  from            " + ", ".join(f"{s} {c}" for s, c in sources.most_common()))
    print(f"  distinct outlets {len({v[2] for v in stored.values() if v[2]})}")
    # The pages are served from 127.0.0.1: an article without a site name or canonical link
    # has no domain here, where on the web its own URL would give one.
    original = {p.url: p.original_url for p in pages}
    unnamed = [url for url, v in stored.items() if not v[2]]
    recoverable = sum(1 for url in unnamed if registered_domain(original.get(url)))
    print(
        f"  served from their real URLs, {recoverable} of the {len(unnamed)} without an outlet "
        f"would get their registered domain: {(known + recoverable) / total:.3f}"
    )


def dump_claims(path: Path, pages: list[SitePage], extracted: list[Extracted]) -> None:
    """Each page's ground-truth day and date claims, as JSON lines (for analysis)."""
    truth = {p.url: p.published for p in pages}
    with path.open("w", encoding="utf-8") as out:
        for e in extracted:
            if e.article is None:
                continue
            claims = [[c.source, c.value.isoformat(), c.precision] for c in e.article.dates]
            out.write(
                json.dumps({"url": e.item.url, "truth": truth.get(e.item.url), "claims": claims})
                + "\n"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--feeds", type=int, default=8)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--dump", type=Path, help="write each page's date claims (JSON lines)")
    args = parser.parse_args(argv)

    with (
        LocalServer("127.0.0.1") as server,
        httpx.Client(timeout=120) as client,
        tempfile.TemporaryDirectory(prefix="presswatch-bench-dates-") as work,
    ):
        feed_urls, pages = publish_site(server, args.corpus, args.limit, args.feeds)
        started = time.perf_counter()
        extracted = extract_all(client, feed_urls)
        seconds = time.perf_counter() - started
        ok = sum(1 for e in extracted if e.article is not None)
        print(f"pages: {len(pages)}, extracted {ok} in {seconds:.0f} s")
        dated_store = load_and_read(Path(work) / "dated.duckdb", extracted, dated=True)
        undated_store = load_and_read(Path(work) / "undated.duckdb", extracted, dated=False)
    score(pages, dated_store, extracted, True, "feed-dated (pubDate = ground-truth day)")
    score(pages, undated_store, extracted, False, "undated feed (no pubDate)")
    per_source(pages, extracted)
    outlet_coverage(pages, dated_store)
    if args.dump:
        dump_claims(args.dump, pages, extracted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
