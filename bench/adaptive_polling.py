"""Adaptive polling on a simulated week: requests made and items found, against fixed
intervals.

Simulated feeds (seeded, minute resolution, one week): *wire* publishes about one item a
minute in the day and one every 10 minutes at night, its feed showing the newest 10 items;
*newsroom* about 40 items a day in office hours (newest 20 shown); *daily* one item each
morning (newest 10); *dead* nothing. An item is found when some poll sees it in the feed
window before newer items push it out. Each feed is polled

- adaptively (``warehouse.polling.next_interval``, the rule the warehouse applies), starting
  at the configured 60 minutes, between the floor and the ceiling;
- at a fixed 60 minutes (the configured interval);
- at a fixed interval equal to the floor (finds the most a fixed schedule can);
- at the longest fixed interval that still finds as many items as adaptive polling did.

Prints per feed and strategy: requests, items found of published, and for adaptive the
smallest and largest interval used. Asserts nothing.

    .venv/bin/python bench/adaptive_polling.py [--floor 5] [--ceiling 1440] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warehouse.polling import next_interval

WEEK = 7 * 24 * 60
START_MINUTES = 60


@dataclass(frozen=True)
class SimulatedFeed:
    name: str
    window: int  # items the feed document shows
    published: list[int]  # minute of each item, ascending


@dataclass(frozen=True)
class Outcome:
    requests: int
    found: int
    smallest: int
    largest: int


def _poisson_minutes(rng: random.Random, rate_per_minute: Callable[[int], float]) -> list[int]:
    return [m for m in range(WEEK) if rng.random() < rate_per_minute(m)]


def feeds(seed: int) -> list[SimulatedFeed]:
    rng = random.Random(seed)

    def wire(m: int) -> float:
        return 0.9 if 6 <= (m // 60) % 24 < 22 else 0.1

    def newsroom(m: int) -> float:
        return 40 / (10 * 60) if 8 <= (m // 60) % 24 < 18 and (m // 1440) % 7 < 5 else 0.0

    daily = [day * 1440 + 7 * 60 + rng.randint(0, 30) for day in range(7)]
    return [
        SimulatedFeed("wire", 10, _poisson_minutes(rng, wire)),
        SimulatedFeed("newsroom", 20, _poisson_minutes(rng, newsroom)),
        SimulatedFeed("daily", 10, daily),
        SimulatedFeed("dead", 10, []),
    ]


def simulate(feed: SimulatedFeed, next_wait: Callable[[int, int, int], int]) -> Outcome:
    """Poll ``feed`` for a week; ``next_wait(current, announced, new)`` gives the next wait."""
    seen: set[int] = set()
    minute, interval, requests = 0, START_MINUTES, 0
    smallest = largest = interval
    while minute < WEEK:
        requests += 1
        visible = [i for i, at in enumerate(feed.published) if at <= minute][-feed.window :]
        new = [i for i in visible if i not in seen]
        seen.update(new)
        interval = next_wait(interval, len(visible), len(new))
        smallest, largest = min(smallest, interval), max(largest, interval)
        minute += interval
    return Outcome(requests, len(seen), smallest, largest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--floor", type=int, default=5)
    parser.add_argument("--ceiling", type=int, default=24 * 60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    def adaptive(current: int, announced: int, new: int) -> int:
        return next_interval(
            current,
            announced=announced,
            new=new,
            floor_minutes=args.floor,
            ceiling_minutes=args.ceiling,
        ).minutes

    strategies: dict[str, Callable[[int, int, int], int]] = {
        "adaptive": adaptive,
        f"fixed {START_MINUTES} min": lambda current, announced, new: START_MINUTES,
        f"fixed {args.floor} min (floor)": lambda current, announced, new: args.floor,
    }
    totals = {name: [0, 0] for name in strategies}
    published = 0
    header = f"{'feed':10}{'strategy':22}{'requests':>10}{'found':>8}{'published':>11}"
    print(header + f"{'interval range (min)':>24}")
    for feed in feeds(args.seed):
        published += len(feed.published)
        for name, wait in strategies.items():
            outcome = simulate(feed, wait)
            totals[name][0] += outcome.requests
            totals[name][1] += outcome.found
            span = f"{outcome.smallest}-{outcome.largest}" if name == "adaptive" else ""
            print(
                f"{feed.name:10}{name:22}{outcome.requests:>10}{outcome.found:>8}"
                f"{len(feed.published):>11}{span:>24}"
            )
    print()
    for name, (requests, found) in totals.items():
        print(f"{'all':10}{name:22}{requests:>10}{found:>8}{published:>11}")
    matched = _longest_fixed_matching(args.seed, args.floor, totals["adaptive"][1])
    if matched is not None:
        minutes, requests, found = matched
        print(f"{'all':10}{f'fixed {minutes} min':22}{requests:>10}{found:>8}{published:>11}")
        print(
            f"\nthe longest fixed interval finding as many items as adaptive polling is "
            f"{minutes} min: {requests} requests against {totals['adaptive'][0]}"
        )


def _longest_fixed_matching(seed: int, floor: int, target: int) -> tuple[int, int, int] | None:
    """(minutes, requests, found) of the longest fixed interval finding >= ``target`` items."""
    best = None
    for minutes in range(floor, START_MINUTES + 1):
        outcomes = [simulate(feed, lambda c, a, n, m=minutes: m) for feed in feeds(seed)]
        found = sum(o.found for o in outcomes)
        if found >= target:
            best = (minutes, sum(o.requests for o in outcomes), found)
    return best


if __name__ == "__main__":
    main()
