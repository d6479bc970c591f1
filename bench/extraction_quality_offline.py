"""Offline extraction quality: plain trafilatura vs ``extract_html`` on the WCXB corpus.

For every page of the corpus (gzipped HTML plus a ground-truth JSON with title, date and
main content), score

* the baseline: ``trafilatura.extract(html, url=url)`` with default options for the body,
  ``trafilatura.extract_metadata(html, default_url=url)`` for title and date;
* ours: ``extractors.html.extract_html(html, url=url)``.

Body: word-level precision, recall and F1 (``testsupport/scoring.py``), averaged per page over
the pages whose ground truth has a body; a page where extraction fails scores 0.
Title: whitespace-normalised exact match. Date: same day, over the pages whose ground
truth has a full date. Prints figures only, asserts nothing.

    python bench/extraction_quality_offline.py [--limit N] [--workers 2] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from statistics import fmean

import trafilatura
from scoring import as_day, same_day, score_text, title_match

from extractors.html import extract_html
from extractors.models import ExtractionError

DEFAULT_CORPUS = Path(os.environ.get("WCXB_CORPUS", "/work/shared/corpora/wcxb-articles-dev/dev"))
SYSTEMS = ("baseline", "extract_html")


@dataclass(frozen=True)
class Page:
    html_path: Path
    url: str | None
    title: str | None
    published: str | None
    body: str


@dataclass(frozen=True)
class Outcome:
    """One system's result on one page."""

    text: str
    title: str | None
    published: object
    seconds: float
    failed: bool
    method: str


@dataclass(frozen=True)
class PageResult:
    page: Page
    outcomes: dict[str, Outcome]


def load_pages(corpus: Path, limit: int | None) -> list[Page]:
    truth_files = sorted((corpus / "ground-truth").glob("*.json"))[:limit]
    return [_load_page(corpus, path) for path in truth_files]


def _load_page(corpus: Path, truth_file: Path) -> Page:
    record = json.loads(truth_file.read_text(encoding="utf-8"))
    truth = record["ground_truth"]
    return Page(
        html_path=corpus / "html" / f"{truth_file.stem}.html.gz",
        url=record.get("url"),
        title=truth.get("title"),
        published=truth.get("publish_date"),
        body=truth.get("main_content") or "",
    )


def run_baseline(html: bytes, url: str | None) -> Outcome:
    start = time.perf_counter()
    try:
        text = trafilatura.extract(html, url=url)
        metadata = trafilatura.extract_metadata(html, default_url=url)
    except Exception:  # a crash is a failed page, like None
        text, metadata = None, None
    return Outcome(
        text=text or "",
        title=metadata.title if metadata else None,
        published=metadata.date if metadata else None,
        seconds=time.perf_counter() - start,
        failed=not text,
        method="trafilatura",
    )


def run_extract_html(html: bytes, url: str | None) -> Outcome:
    start = time.perf_counter()
    try:
        article = extract_html(html, url=url)
    except ExtractionError as error:
        return Outcome("", None, None, time.perf_counter() - start, True, error.reason)
    return Outcome(
        text=article.text,
        title=article.title,
        published=article.published_at,
        seconds=time.perf_counter() - start,
        failed=False,
        method=article.method,
    )


def evaluate_page(page: Page) -> PageResult:
    html = gzip.decompress(page.html_path.read_bytes())
    outcomes = {
        "baseline": run_baseline(html, page.url),
        "extract_html": run_extract_html(html, page.url),
    }
    return PageResult(page, outcomes)


def _quiet_libraries() -> None:
    """trafilatura and htmldate warn on every page they discard; the table is enough."""
    for name in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def evaluate(pages: list[Page], workers: int) -> Iterator[PageResult]:
    with Pool(workers, initializer=_quiet_libraries) as pool:
        yield from pool.imap(evaluate_page, pages, chunksize=4)


def summarize(results: list[PageResult], system: str) -> dict[str, float]:
    with_body = [r for r in results if r.page.body]
    with_title = [r for r in results if r.page.title]
    with_date = [r for r in results if as_day(r.page.published)]
    text_scores = [score_text(r.outcomes[system].text, r.page.body) for r in with_body]
    return {
        "precision": fmean(score[0] for score in text_scores),
        "recall": fmean(score[1] for score in text_scores),
        "f1": fmean(score[2] for score in text_scores),
        "title": fmean(title_match(r.outcomes[system].title, r.page.title) for r in with_title),
        "date": fmean(same_day(r.outcomes[system].published, r.page.published) for r in with_date)
        if with_date
        else float("nan"),
        "failed": sum(r.outcomes[system].failed for r in results),
        "seconds": fmean(r.outcomes[system].seconds for r in results),
    }


def print_report(results: list[PageResult], wall_seconds: float, workers: int) -> None:
    pages = len(results)
    print(
        f"pages: {pages}  (body scored on {sum(bool(r.page.body) for r in results)}, "
        f"title on {sum(bool(r.page.title) for r in results)}, "
        f"date on {sum(bool(as_day(r.page.published)) for r in results)})"
    )
    print(
        f"{'system':<14}{'P':>8}{'R':>8}{'F1':>8}{'title':>8}{'date':>8}{'failed':>8}{'s/page':>9}"
    )
    for system in SYSTEMS:
        s = summarize(results, system)
        print(
            f"{system:<14}{s['precision']:>8.4f}{s['recall']:>8.4f}{s['f1']:>8.4f}"
            f"{s['title']:>8.4f}{s['date']:>8.4f}{s['failed']:>8d}{s['seconds']:>9.3f}"
        )
    methods = Counter(result.outcomes["extract_html"].method for result in results)
    print("extract_html methods/errors:", ", ".join(f"{k}={v}" for k, v in sorted(methods.items())))
    print(f"wall time: {wall_seconds:.1f} s on {workers} workers", end=" ")
    print(f"({wall_seconds / pages:.3f} s/page)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    args = parser.parse_args(argv)

    pages = load_pages(args.corpus, args.limit)
    if not pages:
        print(f"no ground-truth files under {args.corpus}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    results = list(evaluate(pages, args.workers))
    print_report(results, time.perf_counter() - start, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
