"""Hostile seed folders through ``ingest_seeds``: real Prefect server, real DuckDB file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from flows.ingest_seeds import ingest_seeds
from warehouse import reports
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

HARBOUR = (
    "Harbour plan approved after long debate\n\n"
    "The council approved the harbour plan on Monday after a debate about ferries, costs and "
    "the future of the fish market, which traders said had waited years for repairs.\n"
)
SCHOOLS = (
    "New school year starts with fewer teachers\n\n"
    "Head teachers across the county said the new school year began with dozens of posts "
    "unfilled, and that classes in mathematics and science were the hardest to staff.\n"
)


def sources(db_path: Path) -> set[str]:
    with connection(db_path, read_only=True) as con:
        return {a["source"] for a in reports.list_articles(con)}


def open_errors(db_path: Path) -> dict[str, str]:
    with connection(db_path, read_only=True) as con:
        return {e["item_ref"]: e["reason"] for e in reports.open_errors(con)}


def test_a_hostile_folder_loads_every_good_file_and_records_the_rest(
    seed_folder: Path, db_path: Path
) -> None:
    (seed_folder / "a").mkdir()
    (seed_folder / "b").mkdir()
    (seed_folder / "a" / "same.txt").write_text(HARBOUR)
    (seed_folder / "b" / "same.txt").write_text(SCHOOLS)
    with open(os.path.join(os.fsencode(seed_folder), b"caf\xe9.txt"), "wb") as handle:
        handle.write(HARBOUR.encode())
    (seed_folder / "leak.txt").symlink_to("/proc/self/status")
    os.mkfifo(seed_folder / "pipe.txt")

    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))

    assert summary.articles_added == 7  # five seeds, a/same.txt and b/same.txt
    assert {"a/same.txt", "b/same.txt"} <= sources(db_path)
    assert open_errors(db_path) == {
        "caf\\xe9.txt": "bad_file_name",
        "leak.txt": "symlink",
        "pipe.txt": "special_file",
    }
    with connection(db_path, read_only=True) as con:
        texts = con.execute("SELECT body_text FROM articles").fetchall()
    assert not any("VmRSS" in text for (text,) in texts)  # /proc/self/status never read


def test_a_manifest_that_is_not_utf8_is_recorded_and_the_seeds_still_load(
    seed_folder: Path, db_path: Path
) -> None:
    (seed_folder / "manifest.csv").write_bytes(b"file,outlet\n000_x.txt,Caf\xe9 Times\n")
    summary = ingest_seeds(path=str(seed_folder), db=str(db_path))
    assert summary.articles_added == 5
    assert open_errors(db_path) == {"manifest.csv": "bad_manifest"}


def test_a_seed_moved_into_a_subfolder_keeps_its_identity(seed_folder: Path, db_path: Path) -> None:
    """Warehouses loaded when identities were bare names keep their articles."""
    name = "002_bc942663c4818a72.txt"
    ingest_seeds(path=str(seed_folder), db=str(db_path))
    (seed_folder / "moved").mkdir()
    shutil.move(seed_folder / name, seed_folder / "moved" / name)
    again = ingest_seeds(path=str(seed_folder), db=str(db_path))
    assert (again.articles_added, again.articles_unchanged) == (0, 5)
    assert name in sources(db_path)


def test_follow_symlinks_loads_links_inside_the_folder_only(
    seed_folder: Path, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from presswatch.cli import EXIT_PARTIAL, main

    (tmp_path / "outside.txt").write_text(SCHOOLS)
    (seed_folder / "alias.txt").symlink_to(seed_folder / "002_bc942663c4818a72.txt")
    (seed_folder / "escape.txt").symlink_to(tmp_path / "outside.txt")
    with capsys.disabled():  # Prefect's log handlers must not keep this test's capture
        code = main(
            ["ingest", "seeds", str(seed_folder), "--follow-symlinks", "--db", str(db_path)]
        )
    assert code == EXIT_PARTIAL  # everything loaded, with one input refused
    assert "alias.txt" in sources(db_path)
    assert open_errors(db_path) == {"escape.txt": "outside_root"}
