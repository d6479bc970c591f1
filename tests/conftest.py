"""Shared fixtures: real DuckDB files, a real Prefect test server (one per session)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Prefect reads its settings when first imported: give the test session its own home and
# the generous start-up timeout the temporary server needs on small machines.
_PREFECT_HOME = tempfile.mkdtemp(prefix="presswatch-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PRESSWATCH_DB", None)
os.environ.pop("PRESSWATCH_FEEDS", None)
# Default working files (warehouse, feeds.toml) of a test that names none go to a folder of
# the session's own, never into the checkout or a developer's data folder.
_PRESSWATCH_HOME = tempfile.mkdtemp(prefix="presswatch-test-home-")
os.environ["PRESSWATCH_HOME"] = _PRESSWATCH_HOME
atexit.register(shutil.rmtree, _PRESSWATCH_HOME, ignore_errors=True)

# Prefect binds its console log handler to the sys.stderr of the moment it first configures
# logging (when prefect.main is imported). Configure it now, under pytest's session-wide
# capture, so that a test's `capsys` stream (closed when that test ends) is never the one
# every later flow run writes to.
import prefect.main  # noqa: E402, F401

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS = REPO_ROOT / "seeds"
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A real temporary Prefect server for the whole session (slow to start, so shared)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    """A private copy of the project's seeds (tests may add or break files in it)."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder
