"""The scheduled system end to end: a real `prefect server start`, the deployments of
prefect.yaml, a process worker, runs triggered and scheduled, artifacts and warehouse checked.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from presswatch import scheduler
from sources.feedlist import FeedList, FeedSource, save_feed_list
from tests.conftest import REPO_ROOT, SEEDS
from testsupport.localserver import LocalServer
from testsupport.newsite import corpus_page, publish

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class System:
    def __init__(self, config: scheduler.SchedulerConfig, db: Path, feeds: Path) -> None:
        self.config = config
        self.db = db
        self.feeds = feeds

    def prefect(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [scheduler._prefect(), *args],
            cwd=REPO_ROOT,
            env=self.config.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    def api(self, path: str, body: dict) -> list[dict]:
        response = httpx.post(f"{self.config.api_url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def flow_runs(self, deployment_name: str) -> list[dict]:
        deployments = self.api(
            "/deployments/filter", {"deployments": {"name": {"any_": [deployment_name]}}}
        )
        assert len(deployments) == 1
        return self.api(
            "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [deployments[0]["id"]]}}}
        )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    work = tmp_path_factory.mktemp("scheduled")
    db, feeds = work / "warehouse.duckdb", work / "feeds.toml"
    overrides = {
        "PRESSWATCH_DB": str(db),
        "PRESSWATCH_FEEDS": str(feeds),
        "PRESSWATCH_ALLOWED_HOSTS": "127.0.0.1",
        "PRESSWATCH_HOST_DELAY": "0",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    config = scheduler.SchedulerConfig(
        state_dir=work / ".presswatch",
        port=_free_port(),
        project_dir=REPO_ROOT,
        worker_poll_seconds=2,
    )
    try:
        scheduler.start(config)
        yield System(config, db, feeds)
    finally:
        scheduler.stop(config)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert scheduler.status(config) == {"server": None, "worker": None}


def _artifact_keys(system: System) -> set[str]:
    return {a["key"] for a in system.api("/artifacts/filter", {}) if a.get("key")}


def test_triggered_seed_and_feed_deployments_load_the_warehouse(
    system: System, tmp_path: Path
) -> None:
    import duckdb

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    system.prefect("deployment", "run", "ingest_seeds/seeds", "--param", f"path={seeds}", "--watch")
    with LocalServer() as server:
        publish(server, [corpus_page("0004"), corpus_page("0010")])
        save_feed_list(
            FeedList(feeds=(FeedSource(name="local", url=server.url("/feed.xml")),)), system.feeds
        )
        system.prefect("deployment", "run", "ingest_feeds/feeds", "--watch")
    system.prefect("deployment", "run", "coverage_report/daily-report", "--watch")

    with duckdb.connect(str(system.db), read_only=True) as con:
        by_method = dict(
            con.execute(
                "SELECT extraction_method LIKE 'trafilatura%', count(*) FROM articles GROUP BY 1"
            ).fetchall()
        )
        runs = con.execute("SELECT flow, status FROM ingestion_runs ORDER BY started_at").fetchall()
    assert by_method == {False: 5, True: 2}
    # The feed deployment's own schedule may also fire while a slow machine runs this test:
    # every run after the seed run is a completed feed run, and there is at least one.
    assert runs[0] == ("ingest_seeds", "completed")
    assert runs[1:] and set(runs[1:]) == {("ingest_feeds", "completed")}
    keys = _artifact_keys(system)
    assert {
        "presswatch-seed-coverage",
        "presswatch-feed-coverage",
        "presswatch-daily-coverage",
        "presswatch-feed-coverage-table",
    } <= keys


def _interval(run: dict) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(run["start_time"]),
        datetime.fromisoformat(run["end_time"]),
    )


def test_a_scheduled_deployment_fires_and_overlapping_runs_wait(
    system: System, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    name = "every-few-seconds"
    system.prefect(
        "--no-prompt",
        "deploy",
        "flows/ingest_seeds.py:ingest_seeds",
        "--name",
        name,
        "--pool",
        scheduler.WORK_POOL,
        "--interval",
        "3",  # shorter than a run takes, so runs would overlap without the limit
        "--concurrency-limit",
        "1",
        "--collision-strategy",
        "ENQUEUE",
        "--param",
        f"path={seeds}",
    )
    deadline = time.monotonic() + 240
    completed: list[dict] = []
    while time.monotonic() < deadline:
        completed = [
            r for r in system.flow_runs(name) if (r.get("state") or {}).get("type") == "COMPLETED"
        ]
        if len(completed) >= 3:
            break
        time.sleep(2)
    system.prefect("deployment", "delete", f"ingest_seeds/{name}")
    assert len(completed) >= 3, "the schedule did not fire three runs in time"
    assert all(r["auto_scheduled"] for r in completed)
    intervals = sorted(_interval(r) for r in completed)
    for (_, end), (next_start, _) in itertools.pairwise(intervals):
        assert next_start >= end, "two runs of the deployment ran at the same time"


def test_a_manual_ingest_runs_on_the_scheduler_server_and_shows_in_its_ui(
    system: System, tmp_path: Path
) -> None:
    seeds, db = tmp_path / "seeds", tmp_path / "manual.duckdb"
    shutil.copytree(SEEDS, seeds)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    started = subprocess.run(
        [sys.executable, "-m", "presswatch.cli", "ingest", "seeds", str(seeds), "--db", str(db)],
        cwd=system.config.state_dir.parent,  # where `scheduler start` keeps .presswatch/
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
    assert f"scheduler's Prefect server {system.config.api_url}" in started.stderr
    manual_runs = system.api(
        "/flow_runs/filter",
        {
            "flows": {"name": {"any_": ["ingest_seeds"]}},
            "flow_runs": {"deployment_id": {"is_null_": True}},
        },
    )
    assert [(r.get("state") or {}).get("type") for r in manual_runs] == ["COMPLETED"]
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
