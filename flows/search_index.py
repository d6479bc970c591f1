"""The search-index step of a run: rebuild the full-text index when the policy says so."""

from __future__ import annotations

import duckdb
from prefect import get_run_logger, task

from warehouse import search
from warehouse.db import connection
from warehouse.location import WarehouseLocation


@task(name="search-index")
def refresh_search(warehouse: WarehouseLocation) -> None:
    """The full-text index is static: rebuild it when the policy says so (once per run,
    after the run's last dedupe)."""
    logger = get_run_logger()
    with connection(warehouse) as con:
        try:
            seconds = search.refresh_index(con)
        except (search.SearchError, duckdb.Error) as exc:
            logger.warning("search index not rebuilt: %s", exc)
            return
    if seconds is not None:
        logger.info("search index rebuilt in %.1f s", seconds)
