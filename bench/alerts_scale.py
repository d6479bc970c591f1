"""What the alert step costs an ingestion run on a warehouse of N (default 100k) articles.

    python bench/alerts_scale.py [--articles 100000] [--db /tmp/presswatch-alerts.duckdb]
                                 [--query time] [--reuse]

1. Generates the warehouse (``bench/scale_data.py``) unless ``--reuse``, and matches a
   watchlist of one common word against it (``watch add``'s backfill).
2. An instant subscription dated before every article, with no age limit: the first
   pass decides an alert for every matching story (the worst case: real subscriptions
   only see articles loaded after them and at most 72 hours old), then a second pass
   finds nothing new: the cost every ingestion run pays.
3. The spike check and a digest over the last day.

Deliveries are not attempted (deciding is what scales with the warehouse). Prints
wall-clock seconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import generate

from alerts import engine
from config.settings import AlertSettings
from warehouse import alerts as state
from warehouse import watchlists
from warehouse.db import open_connection


def timed(label: str, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/presswatch-alerts.duckdb"))
    parser.add_argument("--query", default="time", help="the watchlist's query")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    if not args.reuse:
        print("generate:", generate(args.db, args.articles))
    con = open_connection(args.db)
    if not state.watchlist_exists(con, "bench"):
        timed("watch add (backfill)", lambda: watchlists.add(con, "bench", [args.query]))
    matches, stories = con.execute(
        """SELECT count(DISTINCT m.article_id), count(DISTINCT s.story_id)
           FROM watch_matches m JOIN story_members s USING (article_id)
           WHERE m.watchlist = 'bench'"""
    ).fetchone()
    total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"warehouse: {total:,} articles; watchlist: {matches:,} matching in {stories:,} stories")

    name = f"bench-{os.getpid()}"
    engine.new_subscription(con, name, "bench", emails=["desk@example.org"])
    con.execute(
        "UPDATE alert_subscriptions SET created_at = ?, digest_through = ? WHERE name = ?",
        [datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC), name],
    )
    now = con.execute("SELECT max(coalesce(published_at, first_seen_at)) FROM articles").fetchone()[
        0
    ]
    settings = AlertSettings(instant_max_age_hours=1e7)
    run = engine.AlertRun()
    timed(
        "instant, first pass (an alert per story)",
        lambda: engine.decide_instant(con, now, settings, run),
    )
    print(f"  alerts decided: {len(run.decided):,}")
    run = engine.AlertRun()
    timed(
        "instant, steady state (nothing new)",
        lambda: engine.decide_instant(con, now, settings, run),
    )
    print(f"  alerts decided: {len(run.decided):,}")
    run = engine.AlertRun()
    timed("spikes", lambda: engine.decide_spikes(con, now, settings, run))
    print(f"  spike alerts: {len(run.decided):,}")
    sub = state.subscription(con, name)
    assert sub is not None
    found = timed(
        "digest stories, last day",
        lambda: state.digest_stories(con, sub, now - timedelta(days=1), now),
    )
    print(f"  stories: {len(found):,}")
    engine.remove_subscription(con, name)
    con.close()


if __name__ == "__main__":
    main()
