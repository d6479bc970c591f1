"""Pieces shared by the ingestion flows: the run record, fingerprinting, the dedupe and
search tasks, and the coverage report artifact."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from config.settings import Settings
from extractors.models import ExtractedArticle
from reporting import markdown as markdown_report
from textanalysis.fingerprints import Analysis, analyse_ahead
from textanalysis.language import article_language
from warehouse import ducklake, loader, reports, search
from warehouse.db import WarehouseError, connection, held_open
from warehouse.dedupe import CHUNK, dedupe_articles
from warehouse.locking import writer_lock
from warehouse.readers_copy import refresh_snapshot

TOTALS_KEYS = ("articles", "distinct_articles", "stories", "outlets")


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
    """Hold the writer lock (and a DuckDB file open, see ``warehouse.db.held_open``) for the
    whole run and record it in ``ingestion_runs``.

    (On a DuckLake the lock is a no-op: runs overlap, and each write section of the run,
    a ``connection`` block, holds the lake's writer lease instead.)

    Yields the run id. A run that raises is recorded as failed (and the error re-raised);
    a successful run must end with ``finish_run``.
    """
    with writer_lock(db_path, log=get_run_logger().info), held_open(db_path):
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
    """Record the run's counts and refresh the readers' snapshot; on a DuckLake, maintain
    it when the policy says so (``ducklake.maintenance_due``), still holding the lease."""
    with connection(db_path) as con:
        loader.finish_run(con, run_id, counts, message=message)
        refresh_snapshot(con, db_path)
        if ducklake.is_lake(con) and ducklake.maintenance_due(con):
            maintain_lake(con)


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


DEDUPE_EVERY = 10 * CHUNK
"""A flow loading more than this many new or changed articles dedupes them every this
many, not only at the end: the fingerprints the workers computed wait in the flow's memory
until the dedupe that takes them (~20 KB per article, 200 MB for 10,000). Not more often:
loading stops while the writer dedupes, and the workers with it once they have extracted
what was fetched; deduping every 1,000 made the 10k end-to-end run slower and bigger
(README, "Scaling out")."""


def with_language(article: ExtractedArticle) -> ExtractedArticle:
    """``article`` with its language detected from its text and reconciled with the one its
    page or feed declares (``textanalysis.language``; ``und`` when undeterminable). Run in
    the extraction tasks, before ``fingerprints_of``: story terms follow the language."""
    return replace(
        article, language=article_language(article.title, article.text, article.language)
    )


def fingerprints_of(articles: Iterable[ExtractedArticle]) -> dict[bytes, Analysis]:
    """The dedupe's fingerprints of freshly extracted articles, computed in the extraction
    task (a worker process or a Dask worker), so the writer only looks them up."""
    settings = Settings()
    texts = [(a.title, a.text, a.language) for a in articles]
    return analyse_ahead(texts, settings.dedup, settings.stories.top_terms)


@dataclass(frozen=True)
class Deduped:
    """What one or more dedupes of a run did."""

    links: int = 0  # copy links written
    stories: frozenset[str] = frozenset()  # stories touched

    def __add__(self, other: Deduped) -> Deduped:
        return Deduped(self.links + other.links, self.stories | other.stories)


@task(name="dedupe", cache_policy=NO_CACHE)
def dedupe(db_path: Path, ready: Mapping[bytes, Analysis] | None = None) -> Deduped:
    """Link copies and group stories for every article loaded or changed since the last
    dedupe (this run's, and any a killed run left behind). ``ready``: fingerprints from
    ``fingerprints_of`` (pass it in ``quote``: Prefect need not walk it)."""
    with connection(db_path) as con:
        article_ids = loader.pending_dedupe(con)
        result = dedupe_articles(con, article_ids, Settings(), ready)  # also watchlists
    get_run_logger().info(
        "dedupe: %d article(s) checked (%d fingerprinted by the extraction workers), "
        "%d copy link(s), %d story(ies) touched",
        len(article_ids),
        result.analyses_reused,
        len(result.links),
        len(result.stories_touched),
    )
    return Deduped(len(result.links), frozenset(result.stories_touched))


def dedupe_loaded(db_path: Path, ready: dict[bytes, Analysis]) -> Deduped:
    """``dedupe`` with the fingerprints gathered since the last one, then forget them."""
    deduped = dedupe(db_path, quote(ready))
    ready.clear()
    return deduped


@task(name="search-index")
def refresh_search(db_path: Path) -> None:
    """The full-text index is static: rebuild it when the policy says so (once per run,
    after the run's last dedupe)."""
    logger = get_run_logger()
    with connection(db_path) as con:
        try:
            seconds = search.refresh_index(con)
        except (search.SearchError, duckdb.Error) as exc:
            logger.warning("search index not rebuilt: %s", exc)
            return
    if seconds is not None:
        logger.info("search index rebuilt in %.1f s", seconds)


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
def coverage_report(db_path: Path, artifact_key: str) -> dict[str, int]:
    """The run's closing report, published as Prefect artifacts."""
    with connection(db_path) as con:
        return publish_coverage(con, artifact_key)
