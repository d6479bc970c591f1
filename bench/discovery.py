"""Discovery benchmark: does ``sources discover`` find every feed and news sitemap planted
on local sites, and nothing that is not one?

Set-up: ``--sites`` LocalServers on 127.0.0.1 (default 20), each dressed by
``testsupport.sites.plant_site`` with one of its conventions in turn (link tags, JSON Feed
behind ``<base href>``, common paths only, robots.txt naming a sitemap index with a gzipped
child, decoys, no feed at all, robots.txt disallowing a declared feed, redirecting feed
paths) and its own seed, so item counts and dates differ between sites of one convention.
Each site is discovered with the real HTTP client (``PRESSWATCH_HOST_DELAY``-style spacing
of 0 s: every site shares the host 127.0.0.1).

Prints, per convention and in total: sources planted, found, missed, extra (found but not
planted), item counts and newest dates that disagree with what was planted, requests made,
and requests to paths robots.txt forbids (must be 0). Asserts nothing.

    .venv/bin/python bench/discovery.py [--sites 20] [--workers 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.source_check import inspect_document
from sources.discovery import Discovery, discover
from sources.http import FetchPolicy
from sources.urls import parse_allowed_hosts
from testsupport.localserver import LocalServer
from testsupport.sites import CONVENTIONS, PlantedSite, plant_site

POLICY = FetchPolicy(allow=parse_allowed_hosts("127.0.0.1"), total_timeout=10)


def score(site: PlantedSite, result: Discovery) -> Counter[str]:
    found = {f.url: f for f in result.found}
    figures: Counter[str] = Counter(
        planted=len(site.expected),
        found=len(set(found) & site.expected),
        missed=len(site.expected - set(found)),
        extra=len(set(found) - site.expected),
        requests=len(site.server.requests),
        forbidden_requests=sum(len(site.server.requests_for(p)) for p in site.forbidden),
        failed_sites=int(result.failure is not None),
    )
    for url in set(found) & site.expected:
        planted_count = site.feeds.get(url, site.sitemaps.get(url))
        figures["wrong_counts"] += found[url].item_count != planted_count
        figures["wrong_dates"] += found[url].newest_item_at != site.newest.get(url)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with ExitStack() as stack:
        sites = [
            plant_site(stack.enter_context(LocalServer()), CONVENTIONS[i % len(CONVENTIONS)], i)
            for i in range(args.sites)
        ]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.workers) as pool:
            results = list(
                pool.map(
                    lambda s: discover(s.server.url("/"), policy=POLICY, inspect=inspect_document),
                    sites,
                )
            )
        elapsed = time.perf_counter() - started
        per_convention: dict[str, Counter[str]] = {}
        for site, result in zip(sites, results, strict=True):
            per_convention.setdefault(site.convention, Counter()).update(score(site, result))
    columns = ["planted", "found", "missed", "extra", "wrong_counts", "wrong_dates"]
    columns += ["requests", "forbidden_requests", "failed_sites"]
    print(f"{'convention':22}" + "".join(f"{c:>{len(c) + 2}}" for c in columns))
    total: Counter[str] = Counter()
    for convention, figures in per_convention.items():
        total.update(figures)
        print(f"{convention:22}" + "".join(f"{figures[c]:>{len(c) + 2}}" for c in columns))
    print(f"{'total':22}" + "".join(f"{total[c]:>{len(c) + 2}}" for c in columns))
    recall = total["found"] / total["planted"] if total["planted"] else 1.0
    found_any = total["found"] + total["extra"]
    precision = total["found"] / found_any if found_any else 1.0
    print(
        f"\n{args.sites} sites in {elapsed:.2f} s: recall {recall:.3f}, precision {precision:.3f}"
    )


if __name__ == "__main__":
    main()
