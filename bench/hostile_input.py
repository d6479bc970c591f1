"""Hostile input benchmark: peak memory and wall time of the attacks issue 16 names.

Scenarios, each run in a fresh Python process so that its peak resident memory (``ru_maxrss``
of that process, DuckDB's native memory included) is its own:

* ``many-items``: a feed of N items (default 100,000; about 9.5 MB, under the 10 MB limit) is
  parsed by ``extractors.feed.parse_feed`` and its items announced into a new DuckDB
  warehouse by ``warehouse.feed_state.record_poll_success``, as one poll of ``ingest_feeds``
  does, with the default cap of items per poll.
* ``many-items-uncapped``: the same with the cap lifted to N, so that every item is announced
  (what memory does with the item count when a user raises the cap).
* ``entity-expansion``: a 200 KB feed defining one large internal entity referenced many
  times (about 700 million characters if expanded), parsed by ``parse_feed``.
* ``slow-headers``: ``sources.http.fetch`` against a server on 127.0.0.1 that sends its
  response headers one byte every ``--header-interval`` seconds (default 1 s), with a total
  timeout of ``--total-timeout`` seconds (default 5 s): the wall time is the cut.

    .venv/bin/python bench/hostile_input.py [--items 100000] [--only SCENARIO ...]
        [--header-interval 1] [--total-timeout 5]

Prints figures only, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCENARIOS = ("many-items", "many-items-uncapped", "entity-expansion", "slow-headers")


def many_items_feed(count: int) -> bytes:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><link>http://n.example/{i}</link><pubDate>"
        f"{(start + timedelta(seconds=i)).strftime('%d %b %Y %H:%M:%S Z')}</pubDate></item>"
        for i in range(count)
    )
    return f'<rss version="2.0"><channel><title>Many</title>{items}</channel></rss>'.encode()


def entity_expansion_feed(target_bytes: int = 200_000) -> bytes:
    """One 100 KB entity, referenced in the rest of the 200 KB: ~7,000 references."""
    entity = "x" * 100_000
    references = (target_bytes - len(entity)) // 5 // 10
    items = "".join(
        f"<item><guid>g{i}</guid><title>t{i}</title><description>{'&big;' * references}"
        "</description></item>"
        for i in range(10)
    )
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "{entity}">\n]>\n'
        f'<rss version="2.0"><channel><title>Bomb</title>{items}</channel></rss>'
    ).encode()


def run_many_items(count: int, capped: bool) -> dict[str, object]:
    from config.settings import FetchSettings
    from extractors.feed import parse_feed
    from sources.feedlist import FeedSource
    from warehouse import feed_state
    from warehouse.db import open_connection

    body = many_items_feed(count)
    cap = FetchSettings().max_items_per_poll if capped else count
    started = time.monotonic()
    parsed = parse_feed(body, max_items=cap)
    parsed_at = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        con = open_connection(Path(folder) / "bench.duckdb")
        source = FeedSource(name="many", url="https://news.example/feed.xml")
        [state] = feed_state.sync_feeds(con, [source])
        announced = feed_state.record_poll_success(
            con,
            "bench",
            state,
            status="ok",
            etag=None,
            last_modified=None,
            body_hash="x",
            items=[(item, item.url) for item in parsed.items],
        )
        con.close()
    return {
        "feed_bytes": len(body),
        "items_in_feed": count,
        "items_announced": announced,
        "parse_s": round(parsed_at - started, 2),
        "announce_s": round(time.monotonic() - parsed_at, 2),
        "limits_applied": list(parsed.limits_applied),
    }


def run_entity_expansion() -> dict[str, object]:
    from extractors.feed import parse_feed

    body = entity_expansion_feed()
    started = time.monotonic()
    parsed = parse_feed(body)
    text = sum(len(item.summary or "") + len(item.title or "") for item in parsed.items)
    return {
        "feed_bytes": len(body),
        "parse_s": round(time.monotonic() - started, 2),
        "decoded_chars": text,
        "limits_applied": list(parsed.limits_applied),
    }


def run_slow_headers(interval: float, total_timeout: float) -> dict[str, object]:
    from sources.http import FetchError, FetchPolicy, fetch
    from sources.urls import parse_allowed_hosts
    from testsupport.localserver import LocalServer, slow_headers

    policy = FetchPolicy(
        connect_timeout=10,
        read_timeout=20,
        total_timeout=total_timeout,
        allow=parse_allowed_hosts("127.0.0.1"),
    )
    with LocalServer() as server:
        server.route("/slow", slow_headers(interval))
        started = time.monotonic()
        try:
            fetch(server.url("/slow"), policy=policy)
            outcome = "fetched"
        except FetchError as error:
            outcome = error.reason
        elapsed = time.monotonic() - started
    return {
        "header_byte_interval_s": interval,
        "total_timeout_s": total_timeout,
        "outcome": outcome,
        "fetch_s": round(elapsed, 2),
    }


def run_scenario(args: argparse.Namespace) -> None:
    """In the child process: run one scenario, print its figures as one JSON line."""
    started = time.monotonic()
    if args.scenario == "many-items":
        figures = run_many_items(args.items, capped=True)
    elif args.scenario == "many-items-uncapped":
        figures = run_many_items(args.items, capped=False)
    elif args.scenario == "entity-expansion":
        figures = run_entity_expansion()
    else:
        figures = run_slow_headers(args.header_interval, args.total_timeout)
    figures["wall_s"] = round(time.monotonic() - started, 2)
    # ru_maxrss is in KiB on Linux.
    figures["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--header-interval", type=float, default=1.0)
    parser.add_argument("--total-timeout", type=float, default=5.0)
    parser.add_argument("--scenario", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        run_scenario(args)
        return
    for scenario in args.only:
        command = [
            sys.executable,
            __file__,
            "--scenario",
            scenario,
            "--items",
            str(args.items),
            "--header-interval",
            str(args.header_interval),
            "--total-timeout",
            str(args.total_timeout),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            print(f"{scenario}: failed (exit {result.returncode})\n{result.stderr[-2000:]}")
            continue
        figures = json.loads(lines[-1])
        print(f"{scenario}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
