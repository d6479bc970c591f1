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
from helpers import load_and_dedupe
from rich.cells import cell_len
from rich.console import Console

from extractors.models import ExtractedArticle
from presswatch.cli import EXIT_ERROR, main
from reporting import markdown, output, terminal
from warehouse import reports, watchlists
from warehouse.db import open_connection

# The documented schema (README, "Coverage report: JSON and CSV").
TOP_KEYS = {
    "schema_version", "generated_at", "filters", "totals", "stories", "outlets", "days",
    "timeline", "copies", "watchlists", "mentions", "matches", "previous_period",
}  # fmt: skip
TOTALS = ["articles", "distinct_articles", "stories", "outlets", "copies", "days", "first_day",
          "last_day", "revised_articles", "weighted_articles"]  # fmt: skip
COLUMNS = {
    "story": ["story_id", "label", "first_seen", "first_published", "articles",
              "distinct_articles", "copies", "outlets", "outlet_names", "last_seen",
              "days_active", "original_id", "original_title", "original_outlet", "copied_by",
              "original_url", "weighted_articles", "share", "weighted_share"],
    "outlet": ["outlet", "articles", "originals", "copies", "stories", "first_article",
               "last_article", "originals_copied", "times_copied", "weight",
               "weighted_articles", "share", "weighted_share"],
    "day": ["day", "articles", "distinct_articles", "stories", "outlets", "copies"],
    "timeline": ["story_id", "day", "articles", "distinct_articles", "copies", "outlets"],
    "copies": ["story_id", "original_id", "original_title", "original_outlet", "original_at",
               "copy_id", "copy_title", "copy_outlet", "copy_at", "score", "lag_hours",
               "original_url", "copy_url"],
    "mentions": ["watchlist", "day", "articles", "distinct_articles"],
    "matches": ["watchlist", "query", "article_id", "title", "outlet", "published_or_seen",
                "story_id", "duplicate_of", "snippet", "url"],
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
    assert report["filters"] == {
        k: None for k in ("since", "until", "outlet", "story", "watch", "language")
    }
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
    assert report["watchlists"] == [
        {
            "name": "fuel",
            "queries": ["fuel AND duty"],
            "articles": 2,
            "distinct_articles": 2,
            "share_of_voice": 1.0,
            "distinct_share_of_voice": 1.0,
        }
    ]


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


# --- outside text is text: markup, control sequences, formulas, HTML, wildcards ---------

HOSTILE_TITLE = "Mayor [/bold] quits \x1b]0;pwned\x07 <img src=https://beacon.example/p.gif>"
FORMULA_TITLE = '=HYPERLINK("https://evil.example","Click")'
BODY = (
    "The harbour authority approved the new ferry terminal after a long inquiry into noise "
    "and traffic. Residents said the decision ignored their objections. Work starts in May "
    "and the terminal opens next year, the authority said in a statement on Tuesday."
)


def _hostile_articles() -> dict[str, ExtractedArticle]:
    return {
        "hostile-1": ExtractedArticle(
            title=HOSTILE_TITLE, text=BODY, method="test", published_at=date(2024, 5, 2),
            outlet="Harbour News", url="javascript:alert(document.cookie)",
        ),
        "formula-1": ExtractedArticle(
            title=FORMULA_TITLE, text="Councillors voted on the budget for the new library "
            "wing on Monday evening. The vote was close and the chair used a casting vote. "
            "Building starts in spring and the wing opens in two years, officers said.",
            method="test", published_at=date(2024, 5, 3), outlet="+Plus Weekly",
            url="https://plus.example/library?a=1&b=2",
        ),
    }  # fmt: skip


@pytest.fixture
def hostile_db(tmp_path: Path) -> str:
    path = tmp_path / "hostile.duckdb"
    con = open_connection(path)
    load_and_dedupe(con, _hostile_articles(), source="hostile")
    watchlists.add(con, "ferry", ["ferry", "harbour"])
    watchlists.add(con, "library", ["library"])
    con.close()
    return str(path)


@pytest.mark.parametrize("command", [["articles"], ["report", "coverage"], ["search", "ferry"]])
def test_outside_text_prints_as_text_never_as_markup_or_control(
    hostile_db: str,
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # wide enough to show whole titles
    assert main([*command, "--db", hostile_db]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "\x1b" not in captured.out and "\x07" not in captured.out  # no raw control
    assert "[/bold]" in captured.out  # printed as the text it is
    assert "\\x1b" in captured.out  # shown escaped


def test_csv_cells_that_would_run_as_formulas_are_neutralised(
    hostile_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for by in ("story", "outlet", "matches", "copies"):
        assert main(["report", "coverage", "--format", "csv", "--by", by, "--db", hostile_db]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        for row in rows:
            for value in row.values():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), (by, value)
    assert (
        main(["report", "coverage", "--format", "csv", "--by", "matches", "--db", hostile_db]) == 0
    )
    titles = [r["title"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))]
    assert "'" + FORMULA_TITLE in titles
    assert (
        main(["report", "coverage", "--format", "csv", "--by", "outlet", "--db", hostile_db]) == 0
    )
    outlets = [r["outlet"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))]
    assert "'+Plus Weekly" in outlets
    assert output.csv_safe("-2+3") == "'-2+3" and output.csv_safe(-2) == -2
    assert [output.csv_safe(lead + "x") for lead in "=+-@\t\r"] == [
        "'" + lead + "x" for lead in "=+-@\t\r"
    ]


def test_markdown_artifact_renders_outside_text_escaped(hostile_db: str) -> None:
    con = duckdb.connect(hostile_db, read_only=True)
    try:
        text = markdown.render(reports.coverage_report(con))
    finally:
        con.close()
    assert "<img" not in text and "&lt;img src=https://beacon" in text
    assert "javascript:" not in text
    assert "\x1b" not in text
    assert "\\[/bold\\]" in text  # brackets cannot open a link
    # The library article links to its page; the hostile one has no link at all.
    assert "](https://plus.example/library?a=1&b=2)" in text
    # Matched by both queries, the ferry article is listed once, with both.
    assert text.count("**Mayor") == 1 and "matched ferry, harbour" in text


@pytest.mark.parametrize("pattern", ["%", "_", "%%", "M_yor%"])
def test_story_filter_wildcards_match_nothing(
    hostile_db: str, pattern: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _json(capsys, "--story", pattern, "--db", hostile_db)
    assert report["stories"] == [] and report["totals"]["articles"] == 0
    assert _json(capsys, "--story", "mayor", "--db", hostile_db)["totals"]["articles"] > 0


def test_terminal_report_fits_80_columns(db: str) -> None:
    con = duckdb.connect(db, read_only=True)
    try:
        watchlists_report = reports.coverage_report(con)
        rows = reports.list_articles(con)
    finally:
        con.close()
    for width in (80, 60, 30):  # 30: too narrow for a table, rows go vertical
        buffer = io.StringIO()
        console = Console(file=buffer, width=width, color_system=None)
        terminal.coverage_table(console, watchlists_report, 20)
        output.print_table(console, "Articles", rows, ["id", "source", "title", "outlet",
                           "published_at", "duplicate_of", "story_id"])  # fmt: skip
        wide = {"title": "東京で大規模な火災が発生し、多くの住民が避難しました。" * 2, "n": 3}
        output.print_table(console, "Wide characters", [wide, wide])
        lines = buffer.getvalue().splitlines()
        assert max(cell_len(line) for line in lines) <= width, width
        assert any("…" in line for line in lines)  # long titles cut with an ellipsis
        vertical = [line for line in lines if line.lstrip().startswith("story: ")]
        assert bool(vertical) == (width == 30), width
    assert any(line.startswith("Coverage: 8 articles,") for line in lines)


def test_summary_lines_break_between_phrases() -> None:
    phrases = ["12,345 articles", "9,876 distinct after deduplication", "in 321 stories",
               "from 45 known outlets"]  # fmt: skip
    for width in range(20, 100):
        lines = output.pack_phrases(phrases, width, lead="Coverage: ")
        joined = " ".join(lines)
        assert joined == "Coverage: " + ", ".join(phrases)
        for phrase in phrases:
            assert any(phrase in line for line in lines), (width, phrase)
        assert all(len(line) <= width for line in lines if ", " in line), width


def test_share_of_voice_weights_and_watchlists(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    con = duckdb.connect(db)
    try:
        con.execute("UPDATE outlets SET weight = 3 WHERE name = 'Northfield Herald'")
        watchlists.add(con, "rivals", ["flood OR river", "fuel"])
    finally:
        con.close()
    report = _json(capsys, "--db", db)
    herald = next(o for o in report["outlets"] if o["outlet"] == "Northfield Herald")
    gazette = next(o for o in report["outlets"] if o["outlet"] == "Easton Gazette")
    assert (herald["articles"], herald["weight"], herald["weighted_articles"]) == (1, 3.0, 3.0)
    assert report["totals"]["weighted_articles"] == 10.0  # 8 articles, one weighing 3
    assert herald["share"] == 0.125 and herald["weighted_share"] == 0.3
    assert gazette["weighted_share"] == 0.2
    budget = next(s for s in report["stories"] if s["label"].startswith("Chancellor"))
    assert budget["weighted_articles"] == 4.0 and budget["weighted_share"] == 0.4
    assert sum(s["share"] for s in report["stories"]) == pytest.approx(1.0)
    voice = {w["name"]: w for w in report["watchlists"]}
    assert (voice["fuel"]["articles"], voice["rivals"]["articles"]) == (2, 3)
    assert voice["fuel"]["share_of_voice"] == 0.4 and voice["rivals"]["share_of_voice"] == 0.6
    assert sum(w["distinct_share_of_voice"] for w in voice.values()) == pytest.approx(1.0)
    csv_out = main(["report", "coverage", "--format", "csv", "--by", "outlet", "--db", db])
    assert csv_out == 0
    rows = {r["outlet"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["Northfield Herald"]["weighted_share"] == "0.3"


def test_copies_count_once_in_a_watchlists_share(tmp_path: Path) -> None:
    con = report_data.build(tmp_path / "w.duckdb")
    try:
        watchlists.add(con, "baby p", ['"baby p"'])
        (row,) = [w for w in reports.coverage_report(con)["watchlists"] if w["name"] == "baby p"]
        copies = con.execute(
            "SELECT count(*) FROM watch_matches m JOIN duplicate_links d USING (article_id) "
            "WHERE m.watchlist = 'baby p'"
        ).fetchone()[0]
    finally:
        con.close()
    assert copies >= 1
    assert row["distinct_articles"] == row["articles"] - copies


def test_previous_period_of_the_same_length(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "--since", "2009-03-12", "--until", "2009-03-14", "--db", db)
    assert report["previous_period"] == {
        "first_day": "2009-03-09", "last_day": "2009-03-11", "days": 3, "articles": 2,
        "distinct_articles": 2,
    }  # fmt: skip
    assert _json(capsys, "--db", db)["previous_period"] is None  # all time has no "before"


def test_only_http_and_file_links_are_followed() -> None:
    from reporting.cells import plain, safe_link

    for url in ("https://a.example/x?y=1&z=2", "http://a.example", "file:///srv/seeds/a.txt"):
        assert safe_link(url) == url
    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x",
                "//a.example/x", "https:/a.example", "https://a.example/\x1b[2J", "a b",
                "https://a.example/ x", None, 3):  # fmt: skip
        assert safe_link(url) is None, url
    assert plain("a\x1b]0;t\x07b\u202ec\td\ne") == "a\\x1b]0;t\\x07b\\u202ec\td\ne"


def test_summary_paragraph_names_period_counts_leaders_and_change(db: str) -> None:
    from reporting.model import summary_paragraph

    con = duckdb.connect(db, read_only=True)
    try:
        since, until = date(2009, 3, 11), date(2009, 3, 14)
        report = reports.coverage_report(con, reports.ReportFilter(since=since, until=until))
    finally:
        con.close()
    text = summary_paragraph(report)
    assert text.startswith("Between 11 Mar 2009 and 14 Mar 2009, presswatch found 3 articles")
    assert "(3 distinct, 0 copies) in 3 stories from 2 known outlets." in text
    assert "Most coverage came from Easton Gazette (2)," in text
    assert "“Valley residents evacuated as river peaks” (1 article)" in text
    assert text.endswith("That is up 200% on the previous 4 days (1 article).")
