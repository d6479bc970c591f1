"""The alert step of an ingestion run, after its last dedupe: instant and spike alerts for
what the run loaded, then every due delivery (docs/alerts.md)."""

from __future__ import annotations

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from alerts import engine
from warehouse.db import WarehouseError, connection
from warehouse.location import WarehouseLocation


@task(name="alerts", cache_policy=NO_CACHE)
def send_alerts(warehouse: WarehouseLocation) -> str:
    """Never raises: an alert that cannot be decided or delivered must not fail the
    ingestion (its state stays in the warehouse and the next run picks it up). Returns
    what it did, in one line."""
    logger = get_run_logger()
    try:
        channels = engine.Channels.from_env()
        with connection(warehouse) as con:
            run = engine.after_ingest(con, channels)
    except (ValueError, duckdb.Error, WarehouseError, OSError) as exc:
        logger.warning("alerts: not sent this run (the next run retries): %s", exc)
        return f"alerts not sent: {exc}"
    (logger.warning if run.problems or run.failed else logger.info)("alerts: %s", run.describe())
    return run.describe()
