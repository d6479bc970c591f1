"""``coverage_report``: publish the coverage report as Prefect artifacts (read-only)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from config.settings import apply_prefect_defaults, resolve_db_path
from flows.coverage_artifacts import publish_coverage
from warehouse.location import locate
from warehouse.readers_copy import reading

apply_prefect_defaults()  # prefect.yaml names this module: a process may start here


@flow(name="coverage_report")
def coverage_report(db: str | None = None) -> dict[str, int]:
    """Reads the live warehouse, or its snapshot while a writer holds it."""
    with reading(locate(resolve_db_path(db))) as (con, source):
        if source.is_snapshot:
            get_run_logger().info(source.note())
        return publish_coverage(con, "presswatch-daily-coverage")
