"""Full-text search: the fts extension loads offline from its wheel, BM25 ranking, the
boolean syntax, articles newer than the index, filters and the ``presswatch search`` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import report_data
from helpers import article, load_and_dedupe

from presswatch.cli import EXIT_ERROR, main
from warehouse import search
from warehouse.reports import ReportFilter

RESULT_FIELDS = {"id", "title", "outlet", "score", "snippet"}


@pytest.fixture
def indexed(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = report_data.build(tmp_path / "w.duckdb")
    search.rebuild_index(con)
    yield con
    con.close()


def _titles(results: list[dict]) -> list[str]:
    return [r["title"] for r in results]


def test_the_extension_loads_from_the_wheel_with_downloads_disabled(tmp_path: Path) -> None:
    """A fresh process with extension auto-install/auto-load off and an empty home: the
    only way fts can load is from the file inside site-packages."""
    path = search.fts_extension_path()
    assert path.is_file() and "site-packages" in str(path)
    script = (
        "import duckdb\n"
        "from warehouse.search import load_fts\n"
        "con = duckdb.connect()\n"
        "con.execute('SET autoinstall_known_extensions = false')\n"
        "con.execute('SET autoload_known_extensions = false')\n"
        "load_fts(con)\n"
        "print(con.execute(\"SELECT stem('reports', 'porter')\").fetchone()[0])\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "report"
    assert not (home / ".duckdb").exists()  # nothing was downloaded or installed


def test_ranked_results_with_snippets(indexed: duckdb.DuckDBPyConnection) -> None:
    results = search.search(indexed, "fuel duty")
    assert _titles(results) == [
        "Chancellor raises fuel duty in spring budget",
        "Hauliers warn over fuel duty rise",
    ] or _titles(results) == [
        "Hauliers warn over fuel duty rise",
        "Chancellor raises fuel duty in spring budget",
    ]
    assert all(set(r) >= RESULT_FIELDS for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert all("fuel duty" in r["snippet"].lower() for r in results)
    assert {r["outlet"] for r in results} == {"Northfield Herald", "Easton Gazette"}


def test_boolean_queries_phrases_and_stemming(indexed: duckdb.DuckDBPyConnection) -> None:
    seeds = set(report_data.seed_articles())
    assert len(search.search(indexed, "laming")) == len(seeds)
    # implicit AND: both words must occur
    assert _titles(search.search(indexed, "fuel hauliers")) == ["Hauliers warn over fuel duty rise"]
    # OR and NOT
    either = _titles(search.search(indexed, "hauliers OR valley"))
    assert sorted(either) == [
        "Hauliers warn over fuel duty rise",
        "Valley residents evacuated as river peaks",
    ]
    assert _titles(search.search(indexed, "fuel NOT hauliers")) == [
        "Chancellor raises fuel duty in spring budget"
    ]
    # a phrase must appear as written; the words alone are not enough
    assert _titles(search.search(indexed, '"river peaked"')) == [
        "Valley residents evacuated as river peaks"
    ]
    assert search.search(indexed, '"peaked river"') == []
    # stemming: a word finds its inflections
    assert _titles(search.search(indexed, "evacuate")) == [
        "Valley residents evacuated as river peaks"
    ]
    assert search.search(indexed, "the") == []  # stop words alone find nothing


def test_articles_newer_than_the_index_are_found_and_rebuild_policy(
    indexed: duckdb.DuckDBPyConnection,
) -> None:
    before = search.index_status(indexed)
    assert before.exists and before.delta == 0 and not before.needs_rebuild
    load_and_dedupe(
        indexed,
        {
            "late": article(
                "Hauliers blockaded the fuel depot on Friday in protest at the duty rise. "
                "Police said the protest was peaceful. Drivers queued for hours.",
                title="Hauliers blockade fuel depot",
                outlet="Easton Gazette",
            )
        },
        source="late",
    )
    status = search.index_status(indexed)
    assert status.delta == 1 and status.needs_rebuild  # small warehouses rebuild at once
    from_delta = search.search(indexed, "hauliers fuel")
    assert sorted(_titles(from_delta)) == [
        "Hauliers blockade fuel depot",
        "Hauliers warn over fuel duty rise",
    ]
    assert search.refresh_index(indexed) is not None
    assert search.index_status(indexed).delta == 0
    rebuilt = search.search(indexed, "hauliers fuel")
    assert sorted(_titles(rebuilt)) == sorted(_titles(from_delta))
    # delta scores use the index's statistics: the same order either way
    assert _titles(rebuilt) == _titles(from_delta)


def test_postings_give_the_same_results_and_the_fts_scores(
    indexed: duckdb.DuckDBPyConnection,
) -> None:
    """Search reads ``postings`` (terms sorted by term) when the index has them, else the
    index's own ``terms``: same results; single-word scores equal fts's ``match_bm25``."""
    queries = [
        "laming",
        "fuel",
        "fuel duty",
        "hauliers OR valley",
        "fuel NOT hauliers",
        '"river peaked"',
    ]
    with_postings = {q: search.search(indexed, q) for q in queries}
    assert all(with_postings[q] for q in queries)
    for word in ("laming", "fuel"):
        expected = indexed.execute(
            f"SELECT article_id, round(score, 4) FROM (SELECT article_id, "
            f"{search.FTS_SCHEMA}.match_bm25(article_id, ?) AS score FROM articles) "
            "WHERE score IS NOT NULL",
            [word],
        ).fetchall()
        found = {(r["id"], r["score"]) for r in with_postings[word]}
        assert found == {(a, float(s)) for a, s in expected}
    indexed.execute(f"DROP TABLE {search.FTS_SCHEMA}.postings")
    assert {q: search.search(indexed, q) for q in queries} == with_postings
    assert search.refresh_index(indexed) is None  # fresh index: only the postings rebuilt
    assert indexed.execute(f"SELECT count(*) FROM {search.FTS_SCHEMA}.postings").fetchone()[0] > 0


def test_filters(indexed: duckdb.DuckDBPyConnection) -> None:
    only = search.search(indexed, "fuel", ReportFilter(outlet="easton gazette"))
    assert _titles(only) == ["Hauliers warn over fuel duty rise"]
    dated = search.search(
        indexed, "laming OR fuel", ReportFilter(until=report_data.date(2009, 3, 10))
    )
    assert _titles(dated) == ["Chancellor raises fuel duty in spring budget"]


def test_search_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(report_data.build_closed(tmp_path / "w.duckdb"))
    # no index yet: the command builds it
    assert main(["search", "laming report", "--format", "json", "--db", db]) == 0
    captured = capsys.readouterr()
    assert "search index built" in captured.err
    results = json.loads(captured.out)
    assert len(results) == 5 and all(set(r) >= RESULT_FIELDS for r in results)
    assert all(r["score"] > 0 and r["snippet"] for r in results)

    out = tmp_path / "hits.json"
    assert main(["search", "fuel", "--outlet", "Easton Gazette", "--format", "json",
                 "--out", str(out), "--db", db]) == 0  # fmt: skip
    assert [r["title"] for r in json.loads(out.read_text())] == [
        "Hauliers warn over fuel duty rise"
    ]

    assert main(["search", "fuel OR laming", "--limit", "2", "--db", db]) == 0
    table = capsys.readouterr().out
    assert "Search: fuel OR laming (2 best)" in table

    assert main(["search", "NOT laming", "--db", db]) == EXIT_ERROR
    assert "at least one word" in capsys.readouterr().err
    assert main(["search", '"unclosed', "--db", db]) == EXIT_ERROR
    assert "unterminated quote" in capsys.readouterr().err
    assert main(["search", "laming", "--reindex", "--db", db]) == 0
    assert "search index built" in capsys.readouterr().err
