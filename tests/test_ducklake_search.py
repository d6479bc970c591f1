"""Full-text search on a DuckLake (no fts index): the same results, in the same order and
with the same scores, as on a DuckDB file holding the same articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import report_data

from presswatch.cli import main
from warehouse import search
from warehouse.reports import ReportFilter

QUERIES = [
    ("laming", None),  # one word, every seed
    ("fuel duty", None),  # AND
    ("hauliers OR valley", None),
    ("fuel NOT hauliers", None),
    ('"river peaked"', None),  # a phrase, verified in the text
    ('"peaked river"', None),  # ...not there in this order
    ("evacuate", None),  # stemming
    ("laming OR fuel", ReportFilter(until=report_data.date(2009, 3, 10))),
    ("fuel", ReportFilter(outlet="easton gazette")),
]


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, str]]:
    """The report test articles in an indexed DuckDB file and in a DuckLake (SQLite
    catalog); yields (file, lake, the lake's --db value)."""
    folder = tmp_path_factory.mktemp("search")
    file = report_data.build(folder / "w.duckdb")
    search.rebuild_index(file)
    db = f"ducklake:sqlite:{folder / 'lake' / 'catalog.sqlite'}"
    lake = report_data.build(Path(db))
    yield file, lake, db
    file.close()
    lake.close()


def _ranked(results: list[dict]) -> list[tuple[str, float]]:
    return [(r["id"], r["score"]) for r in results]


@pytest.mark.parametrize(("query", "filters"), QUERIES, ids=[q for q, _ in QUERIES])
def test_a_lake_ranks_like_the_indexed_file(
    both: tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, str],
    query: str,
    filters: ReportFilter | None,
) -> None:
    file, lake, _ = both
    expected = search.search(file, query, filters)
    found = search.search(lake, query, filters)
    assert _ranked(found) == _ranked(expected)
    assert [r["snippet"] for r in found] == [r["snippet"] for r in expected]
    assert expected or query == '"peaked river"'  # (the comparison is not of two empties)


def test_sampled_average_length_keeps_the_matches(
    both: tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above AVGDL_EXACT_MAX articles avgdl comes from a sample: the same articles match,
    only the scores move (here they must: a 2-in-8-ish sample is not the mean)."""
    file, lake, _ = both
    exact = search.search(lake, "laming")
    monkeypatch.setattr(search, "AVGDL_EXACT_MAX", 3)
    sampled = search.search(lake, "laming")
    assert (
        {r["id"] for r in sampled}
        == {r["id"] for r in exact}
        == {r["id"] for r in search.search(file, "laming")}
    )
    assert _ranked(sampled) != _ranked(exact)


def test_the_offline_stop_words_are_the_index_ones(
    both: tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, str],
) -> None:
    file, _, _ = both
    indexed = file.execute(f"SELECT sw FROM {search.FTS_SCHEMA}.stopwords").fetchall()
    assert set(search.fts_stopwords()) == {r[0] for r in indexed}
    assert "the" in search.fts_stopwords() and "fuel" not in search.fts_stopwords()


def test_search_command_on_a_lake(
    both: tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    file, _, db = both
    assert main(["search", "fuel OR laming", "--format", "json", "--db", db]) == 0
    results = json.loads(capsys.readouterr().out)
    expected = search.search(file, "fuel OR laming")
    assert [(r["id"], r["score"]) for r in results] == _ranked(expected)
    assert set(results[0]) == set(expected[0])  # the same JSON fields
    assert main(["search", "fuel", "--outlet", "Easton Gazette", "--reindex", "--db", db]) == 0
    captured = capsys.readouterr()
    assert "no search index" in captured.err and "Hauliers warn" in captured.out
