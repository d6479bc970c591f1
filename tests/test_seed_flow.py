"""The ``ingest_seeds`` Prefect flow on a real temporary Prefect server and DuckDB file."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from flows.ingest_seeds import ingest_seeds
from warehouse import reports
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def _articles(db_path: Path) -> dict[str, dict]:
    with connection(db_path, read_only=True) as con:
        return {a["source"]: a for a in reports.list_articles(con)}


def test_seed_flow_loads_five_articles_four_distinct_one_story(
    seed_folder: Path, db_path: Path
) -> None:
    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))
    assert (summary.items_seen, summary.articles_added, summary.errors) == (5, 5, 0)
    assert summary.totals == {"articles": 5, "distinct_articles": 4, "stories": 1, "outlets": 2}

    articles = _articles(db_path)
    by_prefix = {name[:3]: a for name, a in articles.items()}
    copies = {k for k, a in by_prefix.items() if a["duplicate_of"]}
    assert copies == {"001"}  # the later-loaded version links to 000 (ties: first seen)
    assert by_prefix["001"]["duplicate_of"] == by_prefix["000"]["id"]
    assert len({a["story_id"] for a in articles.values()}) == 1
    assert by_prefix["003"]["outlet"] == "Reuters"
    assert by_prefix["002"]["outlet"] == "The Independent"


def test_running_the_seed_flow_twice_adds_no_rows_and_says_so(
    seed_folder: Path, db_path: Path
) -> None:
    ingest_seeds(path=str(seed_folder), db=str(db_path))
    with connection(db_path, read_only=True) as con:
        counts_before = _table_counts(con)
    second = ingest_seeds(path=str(seed_folder), db=str(db_path))
    assert (second.articles_added, second.articles_updated, second.articles_unchanged) == (0, 0, 5)
    with connection(db_path, read_only=True) as con:
        assert _table_counts(con) == {**counts_before, "ingestion_runs": 2}
        last = reports.recent_runs(con, 1)[0]
    assert last["status"] == "completed"
    assert last["articles_unchanged"] == 5
    assert "nothing new" in last["message"]


def _table_counts(con) -> dict[str, int]:
    tables = [
        "articles",
        "outlets",
        "sources",
        "duplicate_links",
        "stories",
        "story_members",
        "shingle_index",
        "article_terms",
        "ingest_errors",
        "ingestion_runs",
    ]
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_bad_inputs_are_recorded_and_the_rest_still_loads(seed_folder: Path, db_path: Path) -> None:
    (seed_folder / "empty.txt").write_bytes(b"")
    (seed_folder / "binary.txt").write_bytes(gzip.compress(b"not text at all" * 100))
    (seed_folder / "huge.txt").write_bytes(
        b"A headline\n\n" + b"Words and more words. " * 1_000_000
    )
    (seed_folder / "no_title.txt").write_bytes(b"...\n\n---\n\n***")
    (seed_folder / "cp1252.txt").write_bytes(
        "Caf\u00e9 owners \u201cwelcome\u201d the new rules\n\n"
        "Owners of caf\u00e9s across the city said on Monday that they \u201cwelcome\u201d the "
        "new licensing rules, which take effect next month after a long consultation.\n\n"
        "The council said the changes would cut paperwork for small businesses.".encode("cp1252")
    )
    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))
    assert summary.articles_added == 6  # five seeds + the cp1252 article
    with connection(db_path, read_only=True) as con:
        errors = {e["item_ref"]: e["reason"] for e in reports.open_errors(con)}
        assert errors == {
            "empty.txt": "empty_input",
            "binary.txt": "binary_content",
            "huge.txt": "too_large",
            "no_title.txt": errors["no_title.txt"],
        }
        assert errors["no_title.txt"] in {"no_title", "no_body"}
        run = reports.recent_runs(con, 1)[0]
    assert run["errors"] == 4
    cafe = _articles(db_path)["cp1252.txt"]
    assert cafe["title"] == "Caf\u00e9 owners \u201cwelcome\u201d the new rules"


def test_a_rerun_retries_what_failed(seed_folder: Path, db_path: Path) -> None:
    broken = seed_folder / "later.txt"
    broken.write_bytes(b"")
    ingest_seeds(path=str(seed_folder), db=str(db_path))
    shutil.copy(seed_folder / "002_bc942663c4818a72.txt", broken)
    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))
    assert summary.articles_added == 1 and summary.errors == 0
    with connection(db_path, read_only=True) as con:
        assert reports.open_errors(con) == []
        attempts = con.execute("SELECT attempts, resolved_at IS NOT NULL FROM ingest_errors")
        assert attempts.fetchall() == [(1, True)]
    # The fixed file is an exact copy of seed 002, so dedup links it.
    assert _articles(db_path)["later.txt"]["duplicate_of"] is not None


def test_the_flow_publishes_a_coverage_artifact(seed_folder: Path, db_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))
    with connection(db_path, read_only=True) as con:
        flow_run_id = con.execute(
            "SELECT prefect_flow_run_id FROM ingestion_runs WHERE run_id = ?", [summary.run_id]
        ).fetchone()[0]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["presswatch-seed-coverage"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )
    assert len(artifacts) == 1
    assert "**5** articles, **4** distinct" in artifacts[0].data
