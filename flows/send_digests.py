"""``send_digests``: the flow behind the ``digests`` deployment (docs/alerts.md).

The deployment runs every 15 minutes; each subscription's digest goes out with the first
run at or after its own local ``--digest-at`` time (``alerts.rules.digest_due``), so one
schedule serves every time zone and a missed run only delays a digest, never loses it.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from alerts import engine
from config.settings import apply_prefect_defaults, resolve_db_path
from warehouse.db import connection
from warehouse.location import locate
from warehouse.locking import writer_lock

apply_prefect_defaults()  # prefect.yaml names this module: a process may start here

COUNTS = ("decided", "sent", "retrying", "failed", "postponed", "deferred")


@flow(name="send_digests")
def send_digests(db: str | None = None) -> dict[str, int]:
    """Send the digests that are due, then retry any due delivery. Parameters - db:
    warehouse (default $PRESSWATCH_DB or warehouse/presswatch.duckdb)."""
    logger = get_run_logger()
    warehouse = locate(resolve_db_path(db))
    channels = engine.Channels.from_env()
    if not warehouse.exists():  # nothing ingested yet: no subscriptions either
        logger.info("digests: no warehouse at %s yet", warehouse)
        return dict.fromkeys(COUNTS, 0)
    with writer_lock(warehouse, log=logger.info), connection(warehouse) as con:
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
