"""The report step of a run: the coverage report published as Prefect artifacts."""

from __future__ import annotations

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from reporting import markdown as markdown_report
from warehouse import reports
from warehouse.db import connection
from warehouse.location import WarehouseLocation

TOTALS_KEYS = ("articles", "distinct_articles", "stories", "outlets")


def publish_coverage(con: duckdb.DuckDBPyConnection, artifact_key: str) -> dict[str, int]:
    """Publish the coverage summary as Prefect artifacts (markdown + table); returns totals.

    One ``coverage_report`` call, which reads the coverage summaries while they are fresh:
    the artifacts cost about the same at a million articles as at a thousand."""
    report = reports.coverage_report(con, limit=50, matches_per_watchlist=10, copies_per_story=0)
    totals = {key: report["totals"][key] for key in TOTALS_KEYS}
    create_markdown_artifact(
        key=artifact_key,
        markdown=markdown_report.render(report, "presswatch coverage"),
        description="Coverage: stories, outlets, days and watchlist mentions after this run",
    )
    create_table_artifact(
        key=f"{artifact_key}-table",
        table=[
            {k: str(v) if v is not None else "" for k, v in row.items()}
            for row in report["stories"]
        ],
        description="The 50 biggest stories (as in coverage_by_story)",
    )
    get_run_logger().info(
        "coverage: %(articles)d articles, %(distinct_articles)d distinct, %(stories)d stories",
        totals,
    )
    return totals


@task(name="report")
def coverage_report(warehouse: WarehouseLocation, artifact_key: str) -> dict[str, int]:
    """The run's closing report, published as Prefect artifacts."""
    with connection(warehouse) as con:
        return publish_coverage(con, artifact_key)
