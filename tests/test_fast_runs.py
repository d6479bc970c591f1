"""Manual ingests find the Prefect server of a running `presswatch scheduler`.

The end-to-end check (a manual ingest shows in the scheduler's server) is in
tests/test_scheduler.py; these tests cover how the server is found and when it is not used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from presswatch import scheduler
from testsupport.localserver import LocalServer


def _config(tmp_path: Path) -> scheduler.SchedulerConfig:
    return scheduler.SchedulerConfig(state_dir=tmp_path / "state")


def _record(config: scheduler.SchedulerConfig, pid: int, api_url: str) -> None:
    config.pid_file("server").parent.mkdir(parents=True, exist_ok=True)
    config.pid_file("server").write_text(str(pid))
    config.api_url_file().write_text(api_url)


def test_no_scheduler_state_means_no_server(tmp_path: Path) -> None:
    assert scheduler.running_api_url(_config(tmp_path)) is None


def test_a_recorded_server_that_answers_is_used(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with LocalServer() as server:
        server.route("/api/health", b"true", headers={"Content-Type": "application/json"})
        _record(config, os.getpid(), server.url("/api"))
        assert scheduler.running_api_url(config) == server.url("/api")


def test_a_server_whose_process_is_gone_is_not_used(tmp_path: Path) -> None:
    config = _config(tmp_path)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    with LocalServer() as server:
        server.route("/api/health", b"true", headers={"Content-Type": "application/json"})
        _record(config, int(finished.stdout), server.url("/api"))
        assert scheduler.running_api_url(config) is None


def test_a_server_that_does_not_answer_is_not_used(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with LocalServer() as server:
        server.route("/api/health", b"starting", status=503)
        _record(config, os.getpid(), server.url("/api"))
        assert scheduler.running_api_url(config) is None
        _record(config, os.getpid(), "http://127.0.0.1:9/api")  # nothing listens there
        assert scheduler.running_api_url(config) is None


def test_the_server_is_adopted_only_when_no_prefect_api_is_configured(
    tmp_path: Path, monkeypatch
) -> None:
    config = _config(tmp_path)
    with LocalServer() as server:
        server.route("/api/health", b"true", headers={"Content-Type": "application/json"})
        _record(config, os.getpid(), server.url("/api"))
        monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example/api")
        assert scheduler.adopt_running_server(config) is None
        assert os.environ["PREFECT_API_URL"] == "http://prefect.example/api"
        monkeypatch.delenv("PREFECT_API_URL")
        assert scheduler.adopt_running_server(config) == server.url("/api")
        assert os.environ["PREFECT_API_URL"] == server.url("/api")
