"""What each extraction runner costs before any work: from starting the runner to the
result of a first (empty) ``extract-pages`` task, and for a second one (steady state), in
a flow run under Prefect's temporary server (its start-up excluded).

    .venv/bin/python bench/runner_startup.py [--repeat 3]

Prints figures only, asserts nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="presswatch-bench-prefect-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import argparse  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

from prefect import flow  # noqa: E402

from config.settings import TaskRunnerSettings  # noqa: E402
from flows.ingest_feeds import extract_pages  # noqa: E402
from flows.task_runner import extraction_runner  # noqa: E402

RUNNERS = {
    "in-process (workers=1)": TaskRunnerSettings(kind="local", workers=1),
    "process pool, 2": TaskRunnerSettings(kind="local", workers=2),
    "Dask LocalCluster, 2": TaskRunnerSettings(kind="dask", workers=2),
}


@flow(name="bench-runner-startup")
def measure(name: str) -> tuple[float, float, float]:
    """(first task, second task, runner shut down) in seconds."""
    started = time.perf_counter()
    with extraction_runner(batches=10, settings=RUNNERS[name]) as runner:
        runner.submit(extract_pages, {"pages": []}).result()
        first = time.perf_counter() - started
        again = time.perf_counter()
        runner.submit(extract_pages, {"pages": []}).result()
        second = time.perf_counter() - again
        closing = time.perf_counter()
    return first, second, time.perf_counter() - closing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from prefect.testing.utilities import prefect_test_harness

    try:
        with prefect_test_harness(server_startup_timeout=180):
            measure("in-process (workers=1)")  # warm-up: first flow run, imports
            print(f"{'runner':<24}{'first task s':>14}{'next task s':>13}{'shutdown s':>12}  load")
            for name in RUNNERS:
                for _ in range(args.repeat):
                    first, second, shutdown = measure(name)
                    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
                    print(f"{name:<24}{first:>14.2f}{second:>13.2f}{shutdown:>12.2f}  {load}")
    finally:
        shutil.rmtree(os.environ["PREFECT_HOME"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
