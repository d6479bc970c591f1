"""Run the scheduled system locally: a Prefect server (SQLite), the ``presswatch`` process
work pool, the deployments of ``prefect.yaml`` and a worker, as background processes.

State lives in one folder (default ``.presswatch/``): ``prefect/`` is the server's
PREFECT_HOME (its SQLite database), ``logs/server.log`` and ``logs/worker.log`` are the
logs, ``run/*.pid`` the process ids that ``stop`` signals, ``run/server.url`` the API
address manual ``ingest`` commands use while the server runs (``adopt_running_server``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path(".presswatch")
DEFAULT_PORT = 4200
WORK_POOL = "presswatch"
PROCESSES = ("server", "worker")


class SchedulerError(Exception):
    """The scheduled system could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class SchedulerConfig:
    state_dir: Path = DEFAULT_STATE_DIR
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    project_dir: Path = Path()  # the folder holding prefect.yaml
    startup_timeout: float = 180.0
    worker_poll_seconds: float = 5.0

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def pid_file(self, name: str) -> Path:
        return self.state_dir / "run" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.state_dir / "logs" / f"{name}.log"

    def api_url_file(self) -> Path:
        """Where ``start`` records the API address of the server it started."""
        return self.state_dir / "run" / "server.url"

    def environment(self) -> dict[str, str]:
        """The environment every Prefect process of this system runs with."""
        return {
            **os.environ,
            # prefect.yaml's pull step runs flows in "{{ $PWD }}": the project folder, also
            # when the caller's own PWD is another folder or unset (not started by a shell)
            "PWD": str(self.project_dir.resolve()),
            "PREFECT_HOME": str((self.state_dir / "prefect").resolve()),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": str(self.worker_poll_seconds),
            "PREFECT_WORKER_PREFETCH_SECONDS": str(self.worker_poll_seconds),
        }


def _prefect() -> str:
    """The ``prefect`` executable installed beside this Python."""
    candidate = Path(sys.executable).with_name("prefect")
    return str(candidate) if candidate.exists() else "prefect"


def _pid(config: SchedulerConfig, name: str) -> int | None:
    try:
        pid = int(config.pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _launch(config: SchedulerConfig, name: str, args: list[str]) -> int:
    log = config.log_file(name)
    log.parent.mkdir(parents=True, exist_ok=True)
    config.pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [_prefect(), *args],
            cwd=config.project_dir,
            env=config.environment(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop signals it and its children
        )
    config.pid_file(name).write_text(str(process.pid))
    return process.pid


def _run(config: SchedulerConfig, args: list[str], what: str) -> str:
    result = subprocess.run(
        [_prefect(), *args],
        cwd=config.project_dir,
        env=config.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SchedulerError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def _answers(api_url: str, timeout: float) -> bool:
    """Whether the Prefect API at ``api_url`` answers its health check. The standard
    library's client, not httpx: every CLI command imports this module, and a local
    server is never reached through a proxy."""
    from urllib.error import URLError
    from urllib.request import ProxyHandler, build_opener

    try:
        with build_opener(ProxyHandler({})).open(f"{api_url}/health", timeout=timeout) as answer:
            return answer.status == 200
    except (URLError, OSError, ValueError):
        return False


def _wait_for_server(config: SchedulerConfig) -> None:
    deadline = time.monotonic() + config.startup_timeout
    while time.monotonic() < deadline:
        if _pid(config, "server") is None:
            raise SchedulerError(f"the Prefect server exited; see {config.log_file('server')}")
        if _answers(config.api_url, timeout=2):
            return
        time.sleep(1)
    raise SchedulerError(
        f"the Prefect server did not answer within {config.startup_timeout:.0f} s; "
        f"see {config.log_file('server')}"
    )


def start(config: SchedulerConfig) -> list[str]:
    """Start server, work pool, deployments and worker; returns progress lines."""
    if not (config.project_dir / "prefect.yaml").exists():
        raise SchedulerError(f"no prefect.yaml in {config.project_dir}")
    lines = []
    if _pid(config, "server") is None:
        _launch(
            config,
            "server",
            ["server", "start", "--host", config.host, "--port", str(config.port)],
        )
        lines.append(f"server starting on {config.ui_url} (log: {config.log_file('server')})")
    _wait_for_server(config)
    config.api_url_file().write_text(config.api_url, encoding="utf-8")
    lines.append(f"server up: {config.ui_url}")
    pools = _run(config, ["work-pool", "ls"], "listing work pools")
    if WORK_POOL not in pools:
        _run(config, ["work-pool", "create", WORK_POOL, "--type", "process"], "creating pool")
        lines.append(f"work pool {WORK_POOL} created")
    _run(config, ["--no-prompt", "deploy", "--all"], "deploying prefect.yaml")
    lines.append("deployments from prefect.yaml applied")
    if _pid(config, "worker") is None:
        _launch(config, "worker", ["worker", "start", "--pool", WORK_POOL, "--type", "process"])
        lines.append(f"worker started (log: {config.log_file('worker')})")
    return lines


def stop(config: SchedulerConfig, grace_seconds: float = 15.0) -> list[str]:
    """Stop the worker, then the server (SIGTERM, then SIGKILL after the grace period)."""
    lines = []
    for name in reversed(PROCESSES):
        pid = _pid(config, name)
        if pid is None:
            config.pid_file(name).unlink(missing_ok=True)
            continue
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and _pid(config, name) is not None:
            time.sleep(0.2)
        if _pid(config, name) is not None:
            os.killpg(pid, signal.SIGKILL)
        config.pid_file(name).unlink(missing_ok=True)
        if name == "server":
            config.api_url_file().unlink(missing_ok=True)
        lines.append(f"{name} stopped (pid {pid})")
    return lines or ["nothing was running"]


def status(config: SchedulerConfig) -> dict[str, int | None]:
    return {name: _pid(config, name) for name in PROCESSES}


def running_api_url(config: SchedulerConfig, timeout: float = 1.0) -> str | None:
    """The API address of this state folder's Prefect server when it is up and answering."""
    if _pid(config, "server") is None:
        return None
    try:
        api_url = config.api_url_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return api_url if _answers(api_url, timeout) else None


def adopt_running_server(config: SchedulerConfig) -> str | None:
    """Point this process's Prefect client at the scheduler's server, if one runs.

    A manual ``ingest`` then costs no temporary server start-up (most of a small run's
    time) and its flow run shows in the scheduler's UI. An explicit ``PREFECT_API_URL``
    wins. Must run before Prefect is imported: Prefect reads its settings then.
    Returns the address adopted, or None."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    api_url = running_api_url(config)
    if api_url:
        os.environ["PREFECT_API_URL"] = api_url
    return api_url
