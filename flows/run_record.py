"""The run record: a flow's writer lock and its row in ``ingestion_runs``, from start to finish."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prefect import get_run_logger
from prefect.runtime import flow_run

from flows.lake_upkeep import maintain_lake
from warehouse import ducklake, loader, run_log
from warehouse.db import connection, held_open
from warehouse.location import WarehouseLocation
from warehouse.locking import writer_lock
from warehouse.readers_copy import refresh_snapshot


@dataclass(frozen=True)
class RunSummary:
    """What an ingestion flow returns (and the CLI prints)."""

    run_id: str
    items_seen: int
    articles_added: int
    articles_updated: int
    articles_unchanged: int
    errors: int
    duplicates_linked: int
    stories_touched: int
    totals: dict[str, int]


@contextmanager
def warehouse_run(warehouse: WarehouseLocation, flow_name: str, target: str) -> Iterator[str]:
    """Hold the writer lock (and a DuckDB file open, see ``warehouse.db.held_open``) for the
    whole run and record it in ``ingestion_runs``.

    (On a DuckLake the lock is a no-op: runs overlap, and each write section of the run,
    a ``connection`` block, holds the lake's writer lease instead.)

    Yields the run id. A run that raises is recorded as failed (and the error re-raised);
    a successful run must end with ``finish_run``.
    """
    with writer_lock(warehouse, log=get_run_logger().info), held_open(warehouse):
        with connection(warehouse) as con:
            if not ducklake.is_lake(con):  # holding the lock: no other run is in progress
                crashed = run_log.mark_crashed_runs(con)
                if crashed:
                    get_run_logger().warning("%d earlier run(s) recorded as crashed", crashed)
            run_id = loader.start_run(con, flow_name, target, str(flow_run.get_id() or ""))
        try:
            yield run_id
        except BaseException as exc:
            with connection(warehouse) as con:
                loader.finish_run(
                    con, run_id, loader.RunCounts(), status="failed", message=str(exc)[:2000]
                )
            raise


def finish_run(
    warehouse: WarehouseLocation, run_id: str, counts: loader.RunCounts, message: str | None = None
) -> None:
    """Record the run's counts and refresh the readers' snapshot; on a DuckLake, maintain
    it when the policy says so (``ducklake.maintenance_due``), still holding the lease."""
    with connection(warehouse) as con:
        loader.finish_run(con, run_id, counts, message=message)
        refresh_snapshot(con, warehouse)
        if ducklake.is_lake(con) and ducklake.maintenance_due(con):
            maintain_lake(con)
