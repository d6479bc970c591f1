"""Alerts in Prefect: the ``alerts`` task that ends every ingestion run (instant and spike
alerts, retries), and the ``send_digests`` flow behind the ``digests`` deployment.

The deployment runs every 15 minutes; each subscription's digest goes out with the first
run at or after its own local ``--digest-at`` time (``alerts.rules.digest_due``), so one
schedule serves every time zone and a missed run only delays a digest, never loses it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from alerts import engine
from config.settings import resolve_db_path
from warehouse.db import WarehouseError, connection, warehouse_exists
from warehouse.locking import writer_lock


@task(name="alerts", cache_policy=NO_CACHE)
def alert_step(db_path: Path) -> str:
    """Instant and spike alerts for what this run loaded, then every due delivery. Never
    raises: an alert that cannot be decided or delivered must not fail the ingestion (its
    state stays in the warehouse and the next run picks it up)."""
    logger = get_run_logger()
    try:
        channels = engine.Channels.from_env()
        with connection(db_path) as con:
            run = engine.after_ingest(con, channels)
    except (ValueError, duckdb.Error, WarehouseError, OSError) as exc:
        logger.warning("alerts: not sent this run (the next run retries): %s", exc)
        return f"alerts not sent: {exc}"
    (logger.warning if run.problems or run.failed else logger.info)("alerts: %s", run.describe())
    return run.describe()


@flow(name="send_digests")
def send_digests(db: str | None = None) -> dict[str, int]:
    """Send the digests that are due, then retry any due delivery. Parameters - db:
    warehouse (default $PRESSWATCH_DB or warehouse/presswatch.duckdb)."""
    logger = get_run_logger()
    db_path = resolve_db_path(db)
    channels = engine.Channels.from_env()
    if not warehouse_exists(db_path):  # nothing ingested yet: no subscriptions either
        logger.info("digests: no warehouse at %s yet", db_path)
        return dict.fromkeys(("decided", "sent", "retrying", "failed", "postponed", "deferred"), 0)
    with writer_lock(db_path, log=logger.info), connection(db_path) as con:
        run = engine.send_digests(con, channels)
    (logger.warning if run.problems or run.failed else logger.info)("digests: %s", run.describe())
    return {
        "decided": len(run.decided),
        "sent": run.sent,
        "retrying": run.retrying,
        "failed": run.failed,
        "postponed": run.postponed,
        "deferred": run.deferred,
    }
