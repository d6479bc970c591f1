"""The ``presswatch`` command, called in-process with the session's Prefect test server."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from presswatch.cli import EXIT_ERROR, EXIT_LOCKED, main

pytestmark = pytest.mark.usefixtures("prefect_server")

ARTICLE_FIELDS = {
    "id",
    "source",
    "url",
    "title",
    "outlet",
    "published_at",
    "duplicate_of",
    "story_id",
    "text",
    # issue 14: where the date and outlet came from, and provenance
    "published_source",
    "outlet_source",
    "dateline_place",
    "wire_credit",
    "byline",
    "agency_original_id",
}
SEED_TITLES = {
    "000": "Failed: Baby P report slams councils",
    "001": "Social Services Failing To Implement Climbie Refoms, Baby P Report To Show",
    "002": "Lord Laming warns over social services' failings",
    "003": 'Government accepts 58-point "Baby P" report',
    "004": "What will Lord Laming have found?",
}
FURNITURE = [
    "Click to follow",
    "The Independent Online",
    "REUTERS/Stephen Hird",
    "Editing by",
    "Westminster blog spy",
    "Keeping one eye on the rest of the web",
    "thoughts on",
    "Mommy Dreadful",  # text of a reader comment under 004
    "Ed Miliband edges ahead",  # a headline from the list above 000's own
]


@pytest.fixture
def loaded_db(seed_folder: Path, db_path: Path) -> Path:
    assert main(["ingest", "seeds", str(seed_folder), "--db", str(db_path)]) == 0
    return db_path


def test_articles_json_has_the_public_fields_real_titles_and_clean_bodies(
    loaded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["articles", "--format", "json", "--db", str(loaded_db)]) == 0
    articles = json.loads(capsys.readouterr().out)
    assert len(articles) == 5
    for item in articles:
        assert set(item) >= ARTICLE_FIELDS
        assert item["title"] == SEED_TITLES[item["source"][:3]]
        for furniture in FURNITURE:
            assert furniture not in item["text"], (item["source"], furniture)
    reuters = next(a for a in articles if a["source"].startswith("003"))
    assert (reuters["dateline_place"], reuters["wire_credit"]) == ("LONDON", "Reuters")
    assert (reuters["published_source"], reuters["outlet_source"]) == ("manifest", "manifest")
    ids = {a["source"][:3]: a["id"] for a in articles}
    assert {a["source"][:3]: a["duplicate_of"] for a in articles} == {
        "000": None,
        "001": ids["000"],
        "002": None,
        "003": None,
        "004": None,
    }


def test_report_coverage_in_every_format(
    loaded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["report", "coverage", "--format", "json", "--db", str(loaded_db)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["articles"] == 5
    # March 2009 (000, 001, 003, 004 by the seeds' manifest) and the undated 002
    stories = [(s["articles"], s["distinct_articles"]) for s in report["stories"]]
    assert stories == [(4, 3), (1, 1)]

    assert main(["report", "coverage", "--format", "csv", "--db", str(loaded_db)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["articles"], r["distinct_articles"]) for r in rows] == [("4", "3"), ("1", "1")]

    assert main(["report", "coverage", "--db", str(loaded_db)]) == 0
    table = capsys.readouterr().out
    assert "5 articles, 4 distinct after deduplication, in 2 stories" in table


def test_db_path_comes_from_the_environment(
    seed_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("PRESSWATCH_DB", str(target))
    assert main(["ingest", "seeds", str(seed_folder)]) == 0
    assert target.exists()


def test_missing_seed_path_is_a_clear_error(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ingest", "seeds", str(tmp_path / "nowhere"), "--db", str(db_path)])
    assert code == EXIT_ERROR
    assert "does not exist" in capsys.readouterr().err


def test_report_on_a_missing_warehouse_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", "coverage", "--db", str(tmp_path / "none.duckdb")])
    assert code == EXIT_ERROR
    assert "presswatch ingest seeds" in capsys.readouterr().err


def test_readers_during_a_write_get_the_snapshot_or_a_clear_message(
    loaded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from warehouse.readers_copy import snapshot_path

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, time
                con = duckdb.connect({str(loaded_db)!r})
                print("locked", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        capsys.readouterr()
        # The last run left a snapshot: readers get an answer, told where it comes from.
        assert main(["report", "coverage", "--format", "json", "--db", str(loaded_db)]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["totals"]["articles"] == 5
        assert "showing the snapshot" in captured.err
        # Without a snapshot: a one-line message and its own exit code, no traceback.
        snapshot_path(loaded_db).unlink()
        assert main(["articles", "--db", str(loaded_db)]) == EXIT_LOCKED
        err = capsys.readouterr().err
        assert "being written by another process" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()
