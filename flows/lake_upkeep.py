"""Lake upkeep at the end of a run: DuckLake maintenance, logged, never failing the run."""

from __future__ import annotations

import duckdb
from prefect import get_run_logger

from warehouse import ducklake
from warehouse.db import WarehouseError


def maintain_lake(con: duckdb.DuckDBPyConnection) -> None:
    """Compact the lake; a failure is logged, not raised (the run's work is committed)."""
    logger = get_run_logger()
    try:
        result = ducklake.maintain(con)
    except (duckdb.Error, WarehouseError) as exc:
        logger.warning("lake maintenance failed: %s", exc)
        return
    logger.info(
        "lake maintained in %.1f s: data files %d -> %d, delete files %d -> %d, "
        "snapshots %d -> %d, %d file(s) deleted",
        result.seconds,
        result.before.data_files,
        result.after.data_files,
        result.before.delete_files,
        result.after.delete_files,
        result.before.snapshots,
        result.after.snapshots,
        result.files_deleted,
    )
