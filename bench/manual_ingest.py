"""What a manual `presswatch ingest seeds` of five unchanged seed files costs, end to end
(a new process, as a user runs it), without and with a running `presswatch scheduler`.

Without the scheduler every run starts and stops Prefect's temporary server; with it the
run uses the scheduler's server (found through its state folder in the current directory).

    .venv/bin/python bench/manual_ingest.py [--repeat 3]

Wall seconds and CPU seconds (the command and its child processes, e.g. the temporary
server; the scheduler's own processes are not counted). Prints figures only, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from presswatch import scheduler  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ingest(work: Path, env: dict[str, str]) -> tuple[float, float]:
    """One `presswatch ingest seeds` in ``work``: (wall s, CPU s)."""
    command = [str(REPO_ROOT / ".venv" / "bin" / "presswatch"), "ingest", "seeds", "seeds"]
    cpu, wall = _children_cpu(), time.perf_counter()
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"ingest failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return wall, cpu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _report(label: str, runs: list[tuple[float, float]]) -> None:
    walls = ", ".join(f"{wall:.2f}" for wall, _ in runs)
    print(
        f"{label:<34} wall median {statistics.median(w for w, _ in runs):6.2f} s ({walls}); "
        f"CPU median {statistics.median(c for _, c in runs):5.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="presswatch-bench-manual-"))
    shutil.copytree(REPO_ROOT / "seeds", work / "seeds")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PRESSWATCH_"))}
    env["PREFECT_HOME"] = str(work / "prefect-home")  # the temporary server's, not yours
    env["PRESSWATCH_DB"] = str(work / "warehouse.duckdb")
    try:
        _ingest(work, env)  # the first run loads the five files; the measured runs find them
        _report("without the scheduler", [_ingest(work, env) for _ in range(args.repeat)])
        config = scheduler.SchedulerConfig(
            state_dir=work / ".presswatch", port=_free_port(), project_dir=REPO_ROOT
        )
        os.environ.update({"PRESSWATCH_DB": env["PRESSWATCH_DB"]})
        try:
            scheduler.start(config)
            _report("with the scheduler running", [_ingest(work, env) for _ in range(args.repeat)])
        finally:
            scheduler.stop(config)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
