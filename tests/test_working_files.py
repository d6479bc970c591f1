"""Where presswatch keeps its working files: the rule, the old default, and git ignoring them.

Rule: ``--db``/``--feeds`` win, then ``PRESSWATCH_DB``/``PRESSWATCH_FEEDS``; otherwise the
files live in the data folder, ``$PRESSWATCH_HOME`` when set, else ``presswatch-data/`` in
the current directory. A warehouse or feed list at the old defaults
(``warehouse/presswatch.duckdb``, ``feeds.toml``) keeps being used while the data folder
has none.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from config.settings import data_home, resolve_db_path, resolve_feeds_path
from presswatch.cli import main
from tests.conftest import REPO_ROOT
from warehouse.location import locate


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory is an empty folder and no working-file variable is set."""
    for name in ("PRESSWATCH_HOME", "PRESSWATCH_DB", "PRESSWATCH_FEEDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_working_files_default_to_presswatch_data_in_the_current_directory(
    empty_folder: Path,
) -> None:
    assert data_home() == Path("presswatch-data")
    assert resolve_db_path() == Path("presswatch-data") / "presswatch.duckdb"
    assert resolve_feeds_path() == Path("presswatch-data") / "feeds.toml"
    warehouse = locate(resolve_db_path())
    assert warehouse.lock_file.parent == warehouse.snapshot_file.parent == Path("presswatch-data")


def test_presswatch_home_moves_the_data_folder(
    empty_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = empty_folder / "elsewhere"
    monkeypatch.setenv("PRESSWATCH_HOME", str(home))
    assert resolve_db_path() == home / "presswatch.duckdb"
    assert resolve_feeds_path() == home / "feeds.toml"


def test_explicit_paths_and_their_variables_win(
    empty_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_HOME", str(empty_folder / "home"))
    monkeypatch.setenv("PRESSWATCH_DB", "from-env.duckdb")
    monkeypatch.setenv("PRESSWATCH_FEEDS", "from-env.toml")
    assert resolve_db_path() == Path("from-env.duckdb")
    assert resolve_feeds_path() == Path("from-env.toml")
    assert resolve_db_path("given.duckdb") == Path("given.duckdb")
    assert resolve_feeds_path("given.opml") == Path("given.opml")


def test_files_at_the_old_defaults_keep_being_found(empty_folder: Path) -> None:
    (empty_folder / "warehouse").mkdir()
    (empty_folder / "warehouse" / "presswatch.duckdb").write_bytes(b"")
    (empty_folder / "feeds.toml").write_text("")
    assert resolve_db_path() == Path("warehouse") / "presswatch.duckdb"
    assert resolve_feeds_path() == Path("feeds.toml")

    (empty_folder / "presswatch-data").mkdir()
    (empty_folder / "presswatch-data" / "presswatch.duckdb").write_bytes(b"")
    (empty_folder / "presswatch-data" / "feeds.toml").write_text("")
    assert resolve_db_path() == Path("presswatch-data") / "presswatch.duckdb"
    assert resolve_feeds_path() == Path("presswatch-data") / "feeds.toml"


def test_the_old_defaults_are_not_used_when_presswatch_home_is_set(
    empty_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (empty_folder / "warehouse").mkdir()
    (empty_folder / "warehouse" / "presswatch.duckdb").write_bytes(b"")
    monkeypatch.setenv("PRESSWATCH_HOME", "chosen")
    assert resolve_db_path() == Path("chosen") / "presswatch.duckdb"


def test_feeds_add_in_an_empty_folder_creates_the_data_folder(empty_folder: Path) -> None:
    assert main(["feeds", "add", "Example", "https://example.com/rss.xml"]) == 0
    assert "https://example.com/rss.xml" in (
        empty_folder / "presswatch-data" / "feeds.toml"
    ).read_text(encoding="utf-8")
    assert not (empty_folder / "feeds.toml").exists()


@pytest.mark.parametrize(
    "path",
    [
        "presswatch-data/presswatch.duckdb",
        "presswatch-data/presswatch.duckdb.lock",
        "presswatch-data/feeds.toml",
        "warehouse/presswatch.duckdb",
        "warehouse/presswatch.duckdb.lock",
        "warehouse/presswatch.duckdb.snapshot.duckdb",
        "feeds.toml",
    ],
)
def test_working_files_are_git_ignored(path: str) -> None:
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to ignore")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO_ROOT, check=False
    )
    assert result.returncode == 0, f"{path} is not git-ignored"
