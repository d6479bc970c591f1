"""DuckLake maintenance on a real lake after real flow runs: fewer files and snapshots,
the same reports and search results; and the automatic policy at the end of a run."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from flows.ingest_seeds import ingest_seeds
from presswatch.cli import EXIT_ERROR, main
from tests.conftest import SEEDS
from warehouse import ducklake, reports, search
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

SECTIONS = ("report_stories", "report_outlets", "report_copies", "story_timeline")
QUERIES = ("police", "baby NOT council", '"social services"')


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("PRESSWATCH_DATA_PATH", raising=False)
    return f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}"


def _ingest(tmp_path: Path, lake: str, *folders: int) -> None:
    """A seed-flow run per folder number; folder ``n`` holds three copies of the seeds: 15
    new articles, more rows than DuckLake inlines in its catalog (10), so Parquet files."""
    for n in folders:
        folder = tmp_path / f"seeds-{n}"
        if not folder.exists():
            folder.mkdir()
            for seed in SEEDS.glob("*.txt"):
                for copy in "abc":
                    shutil.copy(seed, folder / f"{copy}{seed.name}")
        ingest_seeds(path=str(folder), db=lake)


def _everything(lake: str) -> dict[str, object]:
    """What readers see: every article, the report sections, search results."""
    with connection(Path(lake), read_only=True) as con:
        seen: dict[str, object] = {"articles": reports.list_articles(con)}
        for section in SECTIONS:
            source = f"{section}()" if section.startswith("report_") else section
            seen[section] = sorted(map(repr, con.execute(f"SELECT * FROM {source}").fetchall()))
        for query in QUERIES:
            seen[query] = search.search(con, query)
    return seen


def _parquet_files(lake: str) -> int:
    return len(list((Path(lake.split(":", 2)[2]).parent / "catalog.files").rglob("*.parquet")))


def test_maintenance_compacts_a_lake_and_changes_no_result(
    tmp_path: Path, lake: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ducklake.MAINTAIN_EVERY_ENV, "0")  # no automatic maintenance
    _ingest(tmp_path, lake, 0, 1, 2)
    before = _everything(lake)
    assert len(before["articles"]) == 45 and all(before[q] for q in QUERIES)
    files_before = _parquet_files(lake)

    assert main(["lake", "maintain", "--db", lake, "--older-than", "0s", "--format", "json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["after"]["snapshots"] < done["before"]["snapshots"] // 4
    live_before = done["before"]["data_files"] + done["before"]["delete_files"]
    live_after = done["after"]["data_files"] + done["after"]["delete_files"]
    assert live_after < live_before
    assert done["files_merged"] > 0 and done["files_deleted"] > 0
    assert _parquet_files(lake) < files_before  # replaced files left the disk
    assert _everything(lake) == before

    # --older-than keeps recent history: nothing is expired or deleted a second time
    assert main(["lake", "maintain", "--db", lake, "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["snapshots_expired"], again["files_deleted"]) == (0, 0)
    assert _everything(lake) == before


def test_a_flow_run_maintains_the_lake_when_the_policy_says_so(
    tmp_path: Path, lake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ducklake.MAINTAIN_EVERY_ENV, "0")
    _ingest(tmp_path, lake, 0)
    with connection(Path(lake), read_only=True) as con:
        commits = ducklake.commits_since_maintenance(con)
        assert not ducklake.maintenance_due(con)
    monkeypatch.setenv(ducklake.MAINTAIN_EVERY_ENV, str(commits + 1000))
    _ingest(tmp_path, lake, 0)  # the same folder again: a few commits, not due
    with connection(Path(lake), read_only=True) as con:
        assert ducklake.commits_since_maintenance(con) > commits
        assert not ducklake.maintenance_due(con)
    inlined = _inlined_rows(lake)
    assert inlined > 0
    monkeypatch.setenv(ducklake.MAINTAIN_EVERY_ENV, str(commits))
    _ingest(tmp_path, lake, 1)  # past the threshold: maintained at the end of the run
    with connection(Path(lake), read_only=True) as con:
        assert ducklake.commits_since_maintenance(con) <= 2  # (the lease's release)
    assert _inlined_rows(lake) < inlined  # flushed to Parquet (bar the last commits')
    assert len(_everything(lake)["articles"]) == 30


def _inlined_rows(lake: str) -> int:
    """Rows DuckLake holds inlined in the (SQLite) catalog rather than in Parquet files."""
    with sqlite3.connect(lake.split(":", 2)[2]) as catalog:
        tables = catalog.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name GLOB 'ducklake_inlined_data_[0-9]*'"
        ).fetchall()
        return sum(catalog.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for (t,) in tables)


def test_maintain_refuses_a_duckdb_file(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lake", "maintain", "--db", str(db_path)]) == EXIT_ERROR
    assert "needs a DuckLake" in capsys.readouterr().err


def test_durations() -> None:
    assert ducklake.parse_duration("90s") == timedelta(seconds=90)
    assert ducklake.parse_duration("1.5h") == timedelta(minutes=90)
    assert ducklake.parse_duration("7d") == timedelta(days=7)
    with pytest.raises(ValueError, match="not a duration"):
        ducklake.parse_duration("1 week")
