"""Pieces shared by the ingestion flows: the dedupe task and the coverage report artifact."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from presswatch.settings import Settings
from warehouse import loader, reports
from warehouse.db import connection
from warehouse.locking import writer_lock
from warehouse.pipeline import dedupe_articles
from warehouse.snapshot import refresh_snapshot


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
def warehouse_run(db_path: Path, flow_name: str, target: str) -> Iterator[str]:
    """Hold the writer lock for the whole run and record it in ``ingestion_runs``.

    Yields the run id. A run that raises is recorded as failed (and the error re-raised);
    a successful run must end with ``finish_run``.
    """
    with writer_lock(db_path, log=get_run_logger().info):
        with connection(db_path) as con:
            run_id = loader.start_run(con, flow_name, target, str(flow_run.get_id() or ""))
        try:
            yield run_id
        except BaseException as exc:
            with connection(db_path) as con:
                loader.finish_run(
                    con, run_id, loader.RunCounts(), status="failed", message=str(exc)[:2000]
                )
            raise


def finish_run(
    db_path: Path, run_id: str, counts: loader.RunCounts, message: str | None = None
) -> None:
    """Record the run's counts and refresh the readers' snapshot."""
    with connection(db_path) as con:
        loader.finish_run(con, run_id, counts, message=message)
        refresh_snapshot(con, db_path)


@task(name="dedupe")
def dedupe(db_path: Path) -> tuple[int, int]:
    """Link copies and group stories for every article loaded or changed since the last
    dedupe (this run's, and any a killed run left behind); returns (links, stories)."""
    with connection(db_path) as con:
        article_ids = loader.pending_dedupe(con)
        result = dedupe_articles(con, article_ids, Settings())
    get_run_logger().info(
        "dedupe: %d article(s) checked, %d copy link(s), %d story(ies) touched",
        len(article_ids),
        len(result.links),
        len(result.stories_touched),
    )
    return len(result.links), len(result.stories_touched)


def _markdown_report(title: str, totals: dict[str, int], stories: list[dict[str, Any]]) -> str:
    lines = [
        f"# {title}",
        "",
        f"**{totals['articles']}** articles, **{totals['distinct_articles']}** distinct after "
        f"deduplication, in **{totals['stories']}** stories from **{totals['outlets']}** "
        "known outlets.",
        "",
        "| story | label | articles | distinct | copies | outlets |",
        "|---|---|---:|---:|---:|---|",
    ]
    for s in stories[:50]:
        label = str(s["label"]).replace("|", "\\|")
        lines.append(
            f"| {s['story_id']} | {label} | {s['articles']} | {s['distinct_articles']} | "
            f"{s['copies']} | {s['outlet_names'] or ''} |"
        )
    return "\n".join(lines)


def publish_coverage(con: duckdb.DuckDBPyConnection, artifact_key: str) -> dict[str, int]:
    """Publish the coverage summary as Prefect artifacts (markdown + table); returns totals."""
    totals = reports.coverage_totals(con)
    stories = reports.coverage_by_story(con)
    create_markdown_artifact(
        key=artifact_key,
        markdown=_markdown_report("presswatch coverage", totals, stories),
        description="Coverage by story after this run",
    )
    create_table_artifact(
        key=f"{artifact_key}-table",
        table=[
            {k: str(v) if v is not None else "" for k, v in row.items()} for row in stories[:200]
        ],
        description="coverage_by_story",
    )
    get_run_logger().info(
        "coverage: %(articles)d articles, %(distinct_articles)d distinct, %(stories)d stories",
        totals,
    )
    return totals


@task(name="report")
def coverage_report(db_path: Path, artifact_key: str) -> dict[str, int]:
    """The run's closing report, published as Prefect artifacts."""
    with connection(db_path) as con:
        return publish_coverage(con, artifact_key)
