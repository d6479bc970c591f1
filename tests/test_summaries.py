"""Coverage summaries (migration 007, ``warehouse.summaries``): maintained incrementally at
each dedupe step, they must always equal a full recomputation, and the report read from
them must equal the report computed from the core tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import report_data
from helpers import article, load_and_dedupe

from config.settings import Settings
from warehouse import reports, summaries, watchlists
from warehouse.rebuild import rebuild

TABLES = (
    "coverage_facts",
    "coverage_story_summary",
    "coverage_story_days",
    "coverage_outlet_summary",
    "coverage_day_summary",
)


def _contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: sorted(con.execute(f"FROM {t}").fetchall(), key=repr) for t in TABLES}


def _report(con: duckdb.DuckDBPyConnection, **options: Any) -> dict[str, Any]:
    report = reports.coverage_report(con, **options)
    report.pop("generated_at")
    return report


def _assert_consistent(con: duckdb.DuckDBPyConnection) -> None:
    """Fresh; equal to a full recomputation; reports equal to the live computation."""
    assert summaries.is_fresh(con)
    incremental = _contents(con)
    assert incremental["coverage_facts"], "the warehouse has articles"
    con.execute("BEGIN TRANSACTION")
    summaries.refresh(con, full=True)
    assert _contents(con) == incremental
    con.execute("ROLLBACK")
    for options in (
        {},
        {"limit": 2, "matches_per_watchlist": 1, "copies_per_story": 1},
        {"limit": 1, "matches_per_watchlist": 3, "copies_per_story": 0},
    ):
        assert _report(con, **options) == _report(con, use_summaries=False, **options)
    for section in reports.SECTIONS:  # as --format csv / parquet read them
        for limit in (None, 2):
            live = con.execute(*reports.section_sql(section, limit=limit)).fetchall()
            summary = con.execute(
                *reports.section_sql(section, limit=limit, summary=True)
            ).fetchall()
            assert summary == live, section
    scope = reports.build_scope(con)  # the copies of a scope: as report_copies lists them
    for per_story in (None, 1):
        macro = con.execute(
            *reports.section_sql("copies", per_story=per_story, limit=10_000)
        ).fetchall()
        assert con.execute(*reports.section_sql("copies", src=scope, per_story=per_story)
                           ).fetchall() == macro  # fmt: skip
    for filters in (
        reports.ReportFilter(since=date(2009, 3, 11)),
        reports.ReportFilter(outlet="Easton Gazette"),
        reports.ReportFilter(watch="fuel"),
    ):
        assert _report(con, filters=filters) == _report(con, filters=filters, use_summaries=False)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = report_data.build(tmp_path / "w.duckdb")  # one dedupe run per article
    watchlists.add(con, "fuel", ["fuel AND duty"])
    yield con
    con.close()


def test_incremental_runs_equal_full_recomputation(con: duckdb.DuckDBPyConnection) -> None:
    _assert_consistent(con)
    story_rows = con.execute("SELECT count(*) FROM coverage_story_summary").fetchone()[0]
    assert story_rows == con.execute("SELECT count(DISTINCT story_id) FROM stories").fetchone()[0]
    # A new run: a copy of an existing article from a new outlet, and a new story.
    body = con.execute("SELECT body_text FROM articles WHERE title LIKE 'Chancellor%'").fetchone()[
        0
    ]
    more = {
        "copy-1": article(body, title="Budget copy", published=date(2009, 3, 12), outlet="Wire"),
        "new-1": article(
            "Engineers reopened the swing bridge after a month of repairs to its gears. "
            "Traffic queued on both banks as the first lorries crossed. The council said the "
            "work came in under budget and thanked drivers for their patience.",
            title="Swing bridge reopens",
            published=date(2009, 3, 20),
            outlet="Westbury Post",
        ),
    }
    load_and_dedupe(con, more, source="run-2")
    assert con.execute("SELECT count(*) FROM duplicate_links").fetchone()[0] >= 1
    _assert_consistent(con)
    # A re-run with an updated article: new date and outlet move it to other keys.
    moved = dict(more)
    moved["new-1"] = article(
        more["new-1"].text + " A ribbon was cut.",
        title="Swing bridge reopens",
        published=date(2009, 3, 21),
        outlet="Northfield Herald",
    )
    load_and_dedupe(con, moved, source="run-2")
    _assert_consistent(con)
    # A re-run with nothing new leaves the summaries as they are.
    load_and_dedupe(con, moved, source="run-2")
    assert summaries.refresh(con).mode == "unchanged"
    _assert_consistent(con)
    # Watchlist edits: matches added over several days, then removed.
    watchlists.add(con, "bridge", ["bridge OR budget", "laming"])
    assert con.execute("SELECT count(*) FROM coverage_watch_days WHERE watchlist = 'bridge'"
                       ).fetchone()[0] >= 3  # fmt: skip
    _assert_consistent(con)
    watchlists.remove(con, "bridge", ["laming"])
    _assert_consistent(con)


def test_rebuild_and_writes_that_skip_the_refresh(con: duckdb.DuckDBPyConnection) -> None:
    rebuild(con, Settings())
    _assert_consistent(con)
    # A change no refresh saw (and no timestamp shows): the report notices and computes
    # live; the next refresh finds it by checksum.
    con.execute("DELETE FROM duplicate_links WHERE article_id IN "
                "(SELECT article_id FROM duplicate_links LIMIT 1)")  # fmt: skip
    con.execute("UPDATE articles SET outlet_id = NULL WHERE article_id IN "
                "(SELECT article_id FROM articles ORDER BY article_id LIMIT 1)")  # fmt: skip
    con.execute("UPDATE outlets SET name = 'Renamed Gazette' WHERE name = 'Easton Gazette'")
    con.execute("DELETE FROM watch_matches WHERE article_id IN "
                "(SELECT article_id FROM watch_matches LIMIT 1)")  # fmt: skip
    assert not summaries.is_fresh(con)
    assert _report(con) == _report(con, use_summaries=False)
    result = summaries.refresh(con)
    assert result.mode == "full-diff"
    assert result.articles_changed >= 1
    _assert_consistent(con)


def test_outlet_weights_are_read_live_on_both_paths(con: duckdb.DuckDBPyConnection) -> None:
    """A weight is no input of the summaries: setting one leaves them fresh, and the
    weighted figures read from them equal the live computation's."""
    before = _report(con)
    con.execute("UPDATE outlets SET weight = 4 WHERE name = 'Easton Gazette'")
    _assert_consistent(con)
    after = _report(con)
    easton = next(o for o in after["outlets"] if o["outlet"] == "Easton Gazette")
    assert (easton["weight"], easton["weighted_articles"]) == (4.0, 8.0)
    assert after["totals"]["weighted_articles"] == before["totals"]["weighted_articles"] + 6
    assert [s["articles"] for s in after["stories"]] == [s["articles"] for s in before["stories"]]
    assert after["stories"] != before["stories"]  # their weighted shares moved
