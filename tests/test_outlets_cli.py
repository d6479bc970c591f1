"""``presswatch outlets ...`` on a real DuckDB warehouse: aliases reach the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.models import ExtractedArticle
from presswatch.cli import EXIT_ERROR, main
from warehouse import loader
from warehouse.db import connection

BODY = (
    "The harbour authority approved the new ferry timetable on Tuesday after a long debate "
    "about fares, winter sailings and the repair of the old northern pier"
)


@pytest.fixture
def warehouse(db_path: Path) -> Path:
    with connection(db_path) as con:
        source_id = loader.ensure_source(con, "seed_folder", "/seeds")
        run_id = loader.start_run(con, "ingest_seeds", "/seeds")
        inputs = [
            loader.ArticleInput(
                f"{n}.txt",
                ExtractedArticle(
                    title=f"Story {n}", text=f"{BODY} {words}.", method="plaintext", outlet=name
                ),
            )
            for n, (name, words) in enumerate(
                [
                    ("Reuters", "one"),
                    ("reuters.com", "two two"),
                    ("Reuters UK", "three three three"),
                    ("Daily Example", "four"),
                ]
            )
        ]
        loader.load_articles(con, source_id, run_id, inputs)
    return db_path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def outlet_counts(capsys: pytest.CaptureFixture[str], db: str) -> dict[str, int]:
    articles = run_json(capsys, "articles", "--db", db)
    counts: dict[str, int] = {}
    for article in articles:
        counts[article["outlet"]] = counts.get(article["outlet"], 0) + 1
    return counts


def test_alias_unalias_and_weights_through_the_cli(
    warehouse: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(warehouse)
    assert outlet_counts(capsys, db) == {
        "Reuters": 1,
        "reuters.com": 1,
        "Reuters UK": 1,
        "Daily Example": 1,
    }

    assert main(["outlets", "alias", "Reuters", "reuters.com", "Reuters UK", "--db", db]) == 0
    assert outlet_counts(capsys, db) == {"Reuters": 3, "Daily Example": 1}
    report = run_json(capsys, "report", "coverage", "--db", db)
    assert {o["outlet"]: o["articles"] for o in report["outlets"]} == {
        "Reuters": 3,
        "Daily Example": 1,
    }
    listed = run_json(capsys, "outlets", "list", "--db", db)
    assert [(o["name"], o["aliases"], o["articles"]) for o in listed] == [
        ("Daily Example", [], 1),
        ("Reuters", ["Reuters UK", "reuters.com"], 3),
    ]

    assert main(["outlets", "unalias", "Reuters UK", "--db", db]) == 0
    assert outlet_counts(capsys, db)["Reuters UK"] == 1

    assert main(["outlets", "weight", "reuters.com", "2.5", "--db", db]) == 0
    weights = tmp_path / "weights.csv"
    weights.write_text("outlet,weight\nDaily Example,0.5\n", encoding="utf-8")
    assert main(["outlets", "import-weights", str(weights), "--db", db]) == 0
    listed = run_json(capsys, "outlets", "list", "--db", db)
    assert {o["name"]: o["weight"] for o in listed} == {
        "Daily Example": 0.5,
        "Reuters": 2.5,
        "Reuters UK": None,
    }


def test_mistakes_get_one_line_and_change_nothing(
    warehouse: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(warehouse)
    bad = tmp_path / "weights.csv"
    bad.write_text("outlet,weight\nReuters,1\nDaily Example,lots\n", encoding="utf-8")
    for argv, message in [
        (["outlets", "unalias", "Nobody"], "is not an alias"),
        (["outlets", "weight", "Nobody", "1"], "no outlet named"),
        (["outlets", "alias", "Reuters", "REUTERS"], "own name"),
        (["outlets", "import-weights", str(bad)], "is not a number"),
        (["outlets", "import-weights", str(tmp_path / "missing.csv")], "cannot read"),
    ]:
        capsys.readouterr()
        assert main([*argv, "--db", db]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1, err
    listed = run_json(capsys, "outlets", "list", "--db", db)
    assert all(o["weight"] is None and o["aliases"] == [] for o in listed)
