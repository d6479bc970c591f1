"""Where the flows' CPU-heavy tasks run: the one place that knows about processes and Dask.

The flows submit their extraction tasks (pure functions: page or file bytes in, articles
and their dedup fingerprints out) to the runner ``extraction_runner`` yields, and never
look at which one it is:

* ``local`` (default), one process (``PRESSWATCH_WORKERS=1``) or a run too small to pay
  for starting processes: a one-thread runner in the flow's own process. One thread, not
  many: extraction is CPU-bound Python, and threads only trade the GIL (see README,
  "Benchmarks: feed ingestion").
* ``local`` with N > 1 workers: Prefect's ``ProcessPoolTaskRunner`` with N processes.
* ``dask``: prefect-dask's ``DaskTaskRunner``, on the scheduler at
  ``PRESSWATCH_DASK_ADDRESS``, or on a temporary ``LocalCluster`` of N one-thread worker
  processes.

Fetching stays in the flow's threads (politeness limits are per process), and DuckDB
writes, the dedupe's index lookups and reports stay in the flow's process: the warehouse
has one writer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from config.settings import TaskRunnerSettings


def make_runner(settings: TaskRunnerSettings, batches: int) -> TaskRunner:
    """The runner for ``batches`` extraction tasks under ``settings`` (not started)."""
    if settings.kind == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": settings.resolved_workers,
                "threads_per_worker": 1,  # one extraction per process, as in the pool
                "processes": True,
                "dashboard_address": ":0",  # any free port: runs may overlap
                "silence_logs": logging.ERROR,
            }
        )
    workers = min(settings.resolved_workers, batches)
    if workers <= 1 or batches < settings.min_batches_for_processes:
        return ThreadPoolTaskRunner(max_workers=1)
    return ProcessPoolTaskRunner(max_workers=workers)


@contextmanager
def extraction_runner(
    batches: int, settings: TaskRunnerSettings | None = None
) -> Iterator[TaskRunner]:
    """Start the runner for ``batches`` extraction tasks of the current flow run.

    Tasks run in other processes report to the Prefect API named in the context they are
    sent with. Under Prefect's temporary server that name is unset, and every worker
    process would start a temporary server of its own (10-30 s each): the flow's server
    address is passed on instead. A Dask cluster on other machines needs a Prefect server
    they can reach (``PREFECT_API_URL``); 127.0.0.1 is only reachable from this one.
    """
    settings = settings or TaskRunnerSettings.from_env()
    runner = make_runner(settings, batches)
    with ExitStack() as stack:
        context = FlowRunContext.get()
        in_process = isinstance(runner, ThreadPoolTaskRunner)
        if not in_process and not PREFECT_API_URL.value() and context and context.client:
            stack.enter_context(temporary_settings({PREFECT_API_URL: str(context.client.api_url)}))
        yield stack.enter_context(runner)
