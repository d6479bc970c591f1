"""The ``ingest_seeds`` Prefect flow on a real temporary Prefect server and DuckDB file."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from flows.ingest_seeds import ingest_seeds
from warehouse import reports
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def _articles(db_path: Path) -> dict[str, dict]:
    with connection(db_path, read_only=True) as con:
        return {a["source"]: a for a in reports.list_articles(con)}


def test_seed_flow_loads_five_articles_four_distinct_in_one_story(
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
    # 000, 001, 003, 004 are March 2009 by the manifest; 002's date is unknown (it is
    # first seen today), so its distance in time is unknown and similarity places it.
    assert len({a["story_id"] for a in by_prefix.values()}) == 1
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


def test_manifest_dates_and_outlets_reach_the_warehouse(seed_folder: Path, db_path: Path) -> None:
    ingest_seeds(path=str(seed_folder), db=str(db_path))
    with connection(db_path, read_only=True) as con:
        rows = con.execute(
            """SELECT a.source_ref[:3], CAST(a.published_at AS DATE), a.published_source,
                      a.outlet_source, a.dateline, a.wire_credit
               FROM articles a ORDER BY 1"""
        ).fetchall()
        claims = con.execute(
            "SELECT source, precision FROM article_dates d JOIN articles a USING (article_id) "
            "WHERE a.source_ref LIKE '000%' ORDER BY source"
        ).fetchall()
    by_prefix = {r[0]: r[1:] for r in rows}
    assert by_prefix["003"] == (date(2009, 3, 12), "manifest", "manifest", "LONDON", "Reuters")
    assert by_prefix["004"][:2] == (date(2009, 3, 11), "manifest")
    assert by_prefix["000"][:2] == (date(2009, 3, 11), "manifest")  # a range: its last day
    assert by_prefix["002"][:3] == (None, None, "manifest")  # no date is known
    assert claims == [("first_seen", "day"), ("manifest", "range")]


def test_readme_watch_example_returns_the_baby_p_story(
    seed_folder: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from presswatch.cli import main

    assert main(["ingest", "seeds", str(seed_folder), "--db", str(db_path)]) == 0
    assert main(["watch", "add", "Baby P", '"baby p"', "--db", str(db_path)]) == 0
    capsys.readouterr()
    argv = ["report", "coverage", "--since", "2009-02-01", "--until", "2009-03-31"]
    assert main([*argv, "--watch", "Baby P", "--format", "json", "--db", str(db_path)]) == 0
    report = json.loads(capsys.readouterr().out)

    assert len(report["stories"]) == 1
    story = report["stories"][0]
    # 000, 001, 003 and 004 are dated February-March 2009 and mention Baby P; 002 has no
    # known date, so the period filter leaves it out.
    assert (story["articles"], story["distinct_articles"]) == (4, 3)  # 001 copies 000

    assert main([*argv, "--watch", "Baby P", "--format", "json", "--db", str(db_path)]) == 0
    capsys.readouterr()
    later = ["report", "coverage", "--since", "2009-04-01", "--until", "2009-12-31"]
    assert main([*later, "--watch", "Baby P", "--format", "json", "--db", str(db_path)]) == 0
    assert json.loads(capsys.readouterr().out)["stories"] == []


# A changed seed: German text under a manifest entry that declares English, so only a
# language detection run on it gives ``de`` (a confident detection wins over a declaration).
GERMAN_SEED = (
    "Gemeinderat beschließt neue Regeln für den Schutz von Kindern\n\n"
    "Der Gemeinderat hat am Donnerstag nach langer Debatte neue Regeln für die Jugendämter "
    "beschlossen. Jede Sozialarbeiterin soll künftig höchstens zwölf Familien betreuen, und "
    "jeder offene Fall wird innerhalb von sechs Monaten noch einmal geprüft.\n\n"
    "Die Opposition begrüßte den Beschluss, verlangte aber mehr Geld für die Ausbildung und "
    "eine unabhängige Aufsicht, die dem Rat jedes Jahr einen Bericht vorlegen soll."
).encode()
CHANGED_SEED = "004_36be78516b3c1e7e.txt"  # declared "en" in the manifest


def _flow_run_state(db_path: Path, run_id: str) -> tuple[str, str]:
    """(flow name, state type) of the Prefect flow run the warehouse recorded for ``run_id``."""
    from prefect.client.orchestration import get_client

    with connection(db_path, read_only=True) as con:
        flow_run_id = con.execute(
            "SELECT prefect_flow_run_id FROM ingestion_runs WHERE run_id = ?", [run_id]
        ).fetchone()[0]
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        flow = client.read_flow(flow_run.flow_id)
    return flow.name, flow_run.state.type.value


def test_a_rerun_analyses_only_the_changed_seed_and_is_a_flow_run(
    seed_folder: Path, db_path: Path
) -> None:
    ingest_seeds(path=str(seed_folder), db=str(db_path))
    (seed_folder / CHANGED_SEED).write_bytes(GERMAN_SEED)
    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))

    assert (summary.articles_added, summary.articles_updated) == (0, 1)
    assert summary.articles_unchanged == 4
    assert _flow_run_state(db_path, summary.run_id) == ("ingest_seeds", "COMPLETED")
    changed = _articles(db_path)[CHANGED_SEED]
    assert changed["title"] == "Gemeinderat beschließt neue Regeln für den Schutz von Kindern"
    assert changed["language"] == "de"
    with connection(db_path, read_only=True) as con:
        pending = con.execute(
            "SELECT dedupe_pending FROM articles WHERE source_ref = ?", [CHANGED_SEED]
        ).fetchone()[0]
    assert pending is False  # deduped with its new text
    assert changed["story_id"] is not None


def test_the_extract_step_analyses_only_what_the_warehouse_does_not_hold() -> None:
    from extractors.seed import extract_seed
    from flows.ingest_seeds import SeedBytes, extract
    from sources.seeds import SeedMetadata
    from warehouse.loader import StoredText, content_hash

    declared_english = SeedMetadata(language="en")
    seeds = [SeedBytes(name, name, GERMAN_SEED, declared_english) for name in ("a.txt", "b.txt")]
    as_stored = extract_seed("a.txt", GERMAN_SEED, declared_english)
    stored = {"a.txt": StoredText(content_hash(as_stored.text), as_stored.title)}

    extracted = extract.fn(seeds, stored)

    languages = {a.source_ref: a.article.language for a in extracted.articles}
    assert languages == {"a.txt": "en", "b.txt": "de"}  # a.txt: not detected again
    assert extracted.unanalysed == {"a.txt"}
    assert len(extracted.fingerprints) == 1
    edited = {"a.txt": StoredText(stored["a.txt"].content_hash, "An older headline")}
    assert extract.fn(seeds, edited).unanalysed == frozenset()  # a changed headline counts


def test_a_seed_changed_under_the_run_after_extraction_is_still_analysed(
    seed_folder: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a DuckLake runs overlap: the text the extract step compared with may be replaced
    before the load step runs. The window is made here by showing the extract step the
    file's new text as if it were stored; the load step finds the old one."""
    from extractors.seed import extract_seed
    from flows import ingest_seeds as seed_flow
    from sources.seeds import scan_seed_folder
    from warehouse.loader import StoredText, content_hash

    ingest_seeds(path=str(seed_folder), db=str(db_path))
    (seed_folder / CHANGED_SEED).write_bytes(GERMAN_SEED)
    metadata = {s.identity: s.metadata for s in scan_seed_folder(seed_folder).files}
    new = extract_seed(CHANGED_SEED, GERMAN_SEED, metadata[CHANGED_SEED])
    real = seed_flow.stored_seed_texts

    def stale_view(*args: object) -> dict[str, StoredText]:
        texts = real(*args)
        return {**texts, CHANGED_SEED: StoredText(content_hash(new.text), new.title)}

    monkeypatch.setattr(seed_flow, "stored_seed_texts", stale_view)
    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))

    assert (summary.articles_updated, summary.articles_unchanged) == (1, 4)
    assert _articles(db_path)[CHANGED_SEED]["language"] == "de"
