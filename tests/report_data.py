"""Warehouses for the report, search, watchlist and HTML tests: the five seeds (through the
real extract -> load -> dedupe path, no Prefect) plus a few dated articles from other
outlets, so date and outlet filters and the charts have something to separate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
from helpers import article, load_and_dedupe

from extractors.seed import extract_seed
from sources.seeds import discover_seed_files
from warehouse.db import open_connection

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# The fixture's own dates, not the seeds' manifest: seed 003 (Reuters) is dated so it falls
# in its own day; the rest are undated (the report tests count on these days).
SEED_DATES = {"003": date(2009, 3, 12)}

EXTRA = {
    "budget-1": article(
        "The chancellor set out a budget on Wednesday that raises fuel duty and freezes "
        "income tax thresholds for two more years. Economists said the plan would squeeze "
        "household incomes through the winter. The opposition called it a tax rise by stealth "
        "and promised to vote against the finance bill. Markets were calm after the speech.",
        title="Chancellor raises fuel duty in spring budget",
        published=date(2009, 3, 10),
        outlet="Northfield Herald",
    ),
    "budget-2": article(
        "Fuel duty rises by two pence a litre from April under the spring budget, and income "
        "tax thresholds stay frozen. Hauliers warned that the increase would be passed on to "
        "shoppers. The Treasury said the measures raise four billion pounds a year. Analysts "
        "expect inflation to edge up as a result of the duty rise.",
        title="Hauliers warn over fuel duty rise",
        published=date(2009, 3, 11),
        outlet="Easton Gazette",
    ),
    "floods-1": article(
        "Flood warnings remain in place across the valley after two days of heavy rain. "
        "Residents of low-lying streets were moved to a school hall overnight. The river "
        "peaked at its highest level since records began, the environment agency said. "
        "Volunteers filled sandbags in the market square.",
        title="Valley residents evacuated as river peaks",
        published=date(2009, 3, 14),
        outlet="Easton Gazette",
    ),
}


def seed_articles(folder: Path = SEEDS) -> dict[str, object]:
    items = {}
    for seed in discover_seed_files(folder):
        extracted = extract_seed(seed.name, seed.path.read_bytes(), seed.metadata)
        day = SEED_DATES.get(seed.name[:3])
        items[seed.name] = replace(extracted, published_at=day, dates=())
    return items


def build(path: Path, *, extra: bool = True) -> duckdb.DuckDBPyConnection:
    """A warehouse at ``path`` holding the seeds (and the extra articles); left open."""
    con = open_connection(path)
    load_and_dedupe(con, seed_articles(), source="seeds")
    if extra:
        load_and_dedupe(con, dict(EXTRA), source="extra")
    return con


def build_closed(path: Path, *, extra: bool = True) -> Path:
    build(path, extra=extra).close()
    return path
