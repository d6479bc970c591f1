"""``presswatch report coverage``: the JSON and CSV schemas, filters, Parquet and --out, and
the report macros agreeing with the views they extend."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
import report_data

from presswatch.cli import EXIT_ERROR, main
from warehouse import reports

# The documented schema (README, "Coverage report: JSON and CSV").
TOP_KEYS = {
    "schema_version", "generated_at", "filters", "totals", "stories", "outlets", "days",
    "timeline", "copies", "watchlists", "mentions", "matches",
}  # fmt: skip
TOTALS = ["articles", "distinct_articles", "stories", "outlets", "copies", "days", "first_day",
          "last_day", "revised_articles"]  # fmt: skip
COLUMNS = {
    "story": ["story_id", "label", "first_seen", "first_published", "articles",
              "distinct_articles", "copies", "outlets", "outlet_names", "last_seen",
              "days_active", "original_id", "original_title", "original_outlet", "copied_by"],
    "outlet": ["outlet", "articles", "originals", "copies", "stories", "first_article",
               "last_article", "originals_copied", "times_copied"],
    "day": ["day", "articles", "distinct_articles", "stories", "outlets", "copies"],
    "timeline": ["story_id", "day", "articles", "distinct_articles", "copies", "outlets"],
    "copies": ["story_id", "original_id", "original_title", "original_outlet", "original_at",
               "copy_id", "copy_title", "copy_outlet", "copy_at", "score", "lag_hours"],
    "mentions": ["watchlist", "day", "articles", "distinct_articles"],
    "matches": ["watchlist", "query", "article_id", "title", "outlet", "published_or_seen",
                "story_id", "duplicate_of", "snippet"],
}  # fmt: skip
VIEWS = {"story": "coverage_by_story", "outlet": "coverage_by_outlet", "day": "coverage_by_day"}


@pytest.fixture
def db(tmp_path: Path) -> str:
    con = report_data.build(tmp_path / "w.duckdb")
    from warehouse import watchlists

    watchlists.add(con, "fuel", ["fuel AND duty"])
    con.close()
    return str(tmp_path / "w.duckdb")


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["report", "coverage", "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_schema(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "--db", db)
    assert set(report) == TOP_KEYS
    assert report["schema_version"] == reports.COVERAGE_SCHEMA_VERSION
    assert list(report["totals"]) == TOTALS
    assert report["totals"]["articles"] == 8
    assert report["totals"]["distinct_articles"] == 8 - report["totals"]["copies"]
    for key, by in (("stories", "story"), ("outlets", "outlet"), ("days", "day"),
                    ("timeline", "timeline"), ("copies", "copies"), ("mentions", "mentions"),
                    ("matches", "matches")):  # fmt: skip
        assert report[key], key
        # the JSON stories also say how many independent origins each has (migration 010)
        expected = [*COLUMNS[by], "independent_origins"] if by == "story" else COLUMNS[by]
        assert all(list(row) == expected for row in report[key]), key
    assert report["filters"] == {k: None for k in ("since", "until", "outlet", "story", "watch")}
    seeds_story = max(report["stories"], key=lambda s: s["articles"])
    assert seeds_story["original_id"] and seeds_story["original_title"]
    assert seeds_story["copies"] >= 1
    assert {c["copy_id"] for c in report["copies"]} == {
        c["copy_id"]
        for c in report["copies"]
        if c["story_id"] in {s["story_id"] for s in report["stories"]}
    }
    assert sum(t["articles"] for t in report["timeline"]) == sum(
        s["articles"] for s in report["stories"]
    )
    assert sum(d["articles"] for d in report["days"]) == 8
    assert report["watchlists"] == [{"name": "fuel", "queries": ["fuel AND duty"], "articles": 2}]


def test_macros_agree_with_the_views(db: str) -> None:
    con = duckdb.connect(db, read_only=True)
    try:
        for by, view in VIEWS.items():
            view_columns = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
            assert COLUMNS[by][: len(view_columns)] == view_columns, by
            cols = ", ".join(view_columns)
            macro = reports._SECTION_MACRO[reports.BY_SECTION[by]]
            assert sorted(con.execute(f"SELECT {cols} FROM {view}").fetchall(), key=str) == sorted(
                con.execute(f"SELECT {cols} FROM {macro}()").fetchall(), key=str
            ), by
    finally:
        con.close()


def test_filters(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    march = _json(capsys, "--since", "2009-03-11", "--until", "2009-03-12", "--db", db)
    assert march["totals"]["articles"] == 2  # the second budget article and seed 003
    assert march["filters"]["since"] == "2009-03-11"
    assert {d["day"] for d in march["days"]} == {"2009-03-11", "2009-03-12"}

    easton = _json(capsys, "--outlet", "easton gazette", "--db", db)
    assert easton["totals"]["articles"] == 2
    assert [o["outlet"] for o in easton["outlets"]] == ["Easton Gazette"]

    full = _json(capsys, "--db", db)
    biggest = max(full["stories"], key=lambda s: s["articles"])
    by_id = _json(capsys, "--story", biggest["story_id"], "--db", db)
    assert [s["story_id"] for s in by_id["stories"]] == [biggest["story_id"]]
    assert by_id["totals"]["articles"] == biggest["articles"]
    by_words = _json(capsys, "--story", biggest["label"].split()[-1], "--db", db)
    assert biggest["story_id"] in {s["story_id"] for s in by_words["stories"]}

    watched = _json(capsys, "--watch", "fuel", "--db", db)
    assert watched["totals"]["articles"] == 2

    nothing = _json(capsys, "--since", "2030-01-01", "--db", db)
    assert nothing["totals"]["articles"] == 0 and nothing["stories"] == []

    assert main(["report", "coverage", "--since", "2009-03-12", "--until", "2009-03-11",
                 "--db", db]) == EXIT_ERROR  # fmt: skip
    assert "is after --until" in capsys.readouterr().err


def test_limit_keeps_the_biggest_stories(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    full = _json(capsys, "--db", db)
    top = _json(capsys, "--limit", "1", "--db", db)
    assert top["stories"] == full["stories"][:1]
    assert {t["story_id"] for t in top["timeline"]} == {full["stories"][0]["story_id"]}
    assert top["totals"] == full["totals"]


@pytest.mark.parametrize("by", list(COLUMNS))
def test_csv_sections(db: str, by: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "coverage", "--format", "csv", "--by", by, "--db", db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and list(rows[0]) == COLUMNS[by]


def test_parquet_and_out_files(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "stories.parquet"
    assert (
        main(["report", "coverage", "--format", "parquet", "--out", str(target), "--db", db]) == 0
    )
    con = duckdb.connect()
    parquet = con.execute(f"SELECT * FROM '{target}'")
    columns = [d[0] for d in parquet.description]
    rows = parquet.fetchall()
    assert columns == COLUMNS["story"]
    report = _json(capsys, "--db", db)
    assert len(rows) == len(report["stories"])
    typed = con.execute(f"SELECT typeof(first_seen), typeof(articles) FROM '{target}' LIMIT 1")
    assert typed.fetchone() == ("TIMESTAMP WITH TIME ZONE", "BIGINT")

    days = tmp_path / "days.parquet"
    assert main(["report", "coverage", "--format", "parquet", "--by", "day", "--out", str(days),
                 "--since", "2009-03-10", "--db", db]) == 0  # fmt: skip
    assert con.execute(f"SELECT min(day) FROM '{days}'").fetchone() == (date(2009, 3, 10),)

    assert main(["report", "coverage", "--format", "parquet", "--db", db]) == EXIT_ERROR
    assert "--out" in capsys.readouterr().err

    for fmt in ("json", "csv", "table", "html"):
        out = tmp_path / f"report.{fmt}"
        assert main(["report", "coverage", "--format", fmt, "--out", str(out), "--db", db]) == 0
        text = out.read_text(encoding="utf-8")
        assert text, fmt
        assert capsys.readouterr().out == "", fmt  # nothing on stdout when --out is given
    assert json.loads((tmp_path / "report.json").read_text())["totals"]["articles"] == 8
    assert "8 articles" in (tmp_path / "report.table").read_text()
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_table_output(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "coverage", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "8 articles" in out and "Stories" in out and "Watchlists" in out
