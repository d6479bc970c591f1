"""Settings are read and checked in ``config.settings``; a bad value is one clear error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import (
    PREFECT_DEFAULTS,
    FetchSettings,
    LakeSettings,
    SettingsError,
    TaskRunnerSettings,
    validate_environment,
)
from presswatch.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("PRESSWATCH_HTTP_TIMEOUT", "abc", "a number of seconds"),
        ("PRESSWATCH_HOST_DELAY", "-1", "a number of seconds"),
        ("PRESSWATCH_RETRY_BASE", "nan", "a number of seconds"),
        ("PRESSWATCH_PAGE_BATCH_SIZE", "0", "a whole number, 1 or more"),
        ("PRESSWATCH_PAGE_BATCH_SIZE", "2.5", "a whole number, 1 or more"),
        ("PRESSWATCH_WORKERS", "0", "a positive integer"),
        ("PRESSWATCH_TASK_RUNNER", "threads", "'local' or 'dask'"),
        ("PRESSWATCH_LEASE_SECONDS", "soon", "a number of seconds"),
        ("PRESSWATCH_LEASE_WAIT", "-5", "a number of seconds"),
        ("PRESSWATCH_LAKE_MAINTAIN_EVERY", "often", "a whole number, 0 or more"),
    ],
)
def test_an_invalid_value_names_the_setting_and_the_accepted_values(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, accepted: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        validate_environment()
    assert name in str(raised.value)
    assert accepted in str(raised.value)
    assert repr(value) in str(raised.value)


def test_values_from_the_environment_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("PRESSWATCH_PAGE_BATCH_SIZE", "7")
    monkeypatch.setenv("PRESSWATCH_LAKE_MAINTAIN_EVERY", "0")
    monkeypatch.setenv("PRESSWATCH_LEASE_SECONDS", "12.5")
    monkeypatch.setenv("PRESSWATCH_WORKERS", "3")
    fetch = FetchSettings.from_env()
    assert (fetch.total_timeout, fetch.read_timeout, fetch.connect_timeout) == (5.0, 5.0, 5.0)
    assert fetch.page_batch_size == 7
    lake = LakeSettings.from_env()
    assert (lake.maintain_every, lake.lease_seconds) == (0, 12.5)
    assert TaskRunnerSettings.from_env().workers == 3


def test_unset_and_empty_values_mean_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "")
    monkeypatch.delenv("PRESSWATCH_LAKE_MAINTAIN_EVERY", raising=False)
    assert FetchSettings.from_env() == FetchSettings()
    assert LakeSettings.from_env().maintain_every == LakeSettings().maintain_every


def test_the_cli_says_one_line_and_exits_1_on_an_invalid_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PRESSWATCH_PAGE_BATCH_SIZE", "0")
    assert main(["runs", "--db", str(tmp_path / "w.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PRESSWATCH_PAGE_BATCH_SIZE" in err
    assert "Traceback" not in err


def _prefect_setting_after_import(module: str, env: dict[str, str]) -> str:
    """The temporary server's start-up timeout in a fresh process importing ``module``."""
    code = (
        f"import {module}\n"
        "from prefect.settings import get_current_settings\n"
        "print(get_current_settings().server.ephemeral.startup_timeout_seconds)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _environment_without_prefect_defaults() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in PREFECT_DEFAULTS}


def test_importing_the_flows_package_sets_nothing() -> None:
    code = f"import os, flows; print(sorted(k for k in os.environ if k in {set(PREFECT_DEFAULTS)}))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=_environment_without_prefect_defaults(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]", done.stderr


def test_a_flow_entry_point_gives_the_temporary_server_the_long_start_up_timeout() -> None:
    env = _environment_without_prefect_defaults()
    assert _prefect_setting_after_import("flows.ingest_seeds", env) == "180"
    # Prefect already imported before the flow module: the defaults still reach it.
    assert _prefect_setting_after_import("prefect, flows.coverage_report", env) == "180"
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "240"  # explicit settings win
    assert _prefect_setting_after_import("flows.ingest_feeds", env) == "240"
