"""``ingest_seeds``: local seed files -> extract and fingerprint -> load -> dedupe -> report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task

from config.settings import apply_prefect_defaults, resolve_db_path
from extractors.models import ExtractionError
from extractors.seed import extract_seed
from flows.coverage_artifacts import coverage_report
from flows.dedupe_step import dedupe_loaded
from flows.fingerprints_ahead import fingerprints_of
from flows.run_record import RunSummary, finish_run, warehouse_run
from flows.search_index import refresh_search
from flows.task_runner import extraction_runner
from sources.seeds import SeedFile, SeedMetadata, discover_seed_files
from textanalysis.fingerprints import Analysis
from warehouse import loader
from warehouse.db import connection
from warehouse.location import WarehouseLocation, locate

apply_prefect_defaults()  # prefect.yaml names this module: a process may start here

# A seed file above this size is refused before reading it whole.
MAX_SEED_BYTES = 5_000_000
# Seed files per extraction task.
EXTRACT_BATCH = 25


@dataclass(frozen=True)
class ExtractedSeeds:
    articles: list[loader.ArticleInput]
    failures: list[loader.FailedInput]
    fingerprints: dict[bytes, Analysis]


@task(name="discover")
def discover(folder: Path) -> list[SeedFile]:
    files = discover_seed_files(folder)
    get_run_logger().info("discover: %d seed file(s) in %s", len(files), folder)
    return files


@dataclass(frozen=True)
class SeedBytes:
    """A seed file read by the flow: extraction needs no access to the folder, so it can
    run on another machine."""

    name: str
    raw: bytes
    metadata: SeedMetadata


def read_seed(seed: SeedFile) -> SeedBytes | loader.FailedInput:
    try:
        size = seed.path.stat().st_size
        if size > MAX_SEED_BYTES:
            return loader.FailedInput(
                seed.name, "extract", "too_large", f"{size} bytes > {MAX_SEED_BYTES}"
            )
        return SeedBytes(seed.name, seed.path.read_bytes(), seed.metadata)
    except OSError as exc:
        return loader.FailedInput(seed.name, "read", "unreadable", str(exc))


@task(name="extract")
def extract(seeds: list[SeedBytes]) -> ExtractedSeeds:
    """Extract and fingerprint a batch of seed files: a pure function of their bytes, run
    wherever the flow's extraction runner puts it."""
    articles: list[loader.ArticleInput] = []
    failures: list[loader.FailedInput] = []
    for seed in seeds:
        try:
            article = extract_seed(seed.name, seed.raw, seed.metadata)
        except ExtractionError as exc:
            failures.append(loader.FailedInput(seed.name, "extract", exc.reason, exc.detail))
        else:
            articles.append(loader.ArticleInput(source_ref=seed.name, article=article))
    return ExtractedSeeds(articles, failures, fingerprints_of(a.article for a in articles))


def extract_all(files: list[SeedFile]) -> ExtractedSeeds:
    """Read every file here, extract them in batches on the extraction runner."""
    logger = get_run_logger()
    articles: list[loader.ArticleInput] = []
    failures: list[loader.FailedInput] = []
    fingerprints: dict[bytes, Analysis] = {}
    readable: list[SeedBytes] = []
    for seed in files:
        read = read_seed(seed)
        (failures if isinstance(read, loader.FailedInput) else readable).append(read)
    batches = [readable[i : i + EXTRACT_BATCH] for i in range(0, len(readable), EXTRACT_BATCH)]
    with extraction_runner(len(batches)) as runner:
        futures = [runner.submit(extract, {"seeds": batch}) for batch in batches]
        for future in futures:
            extracted = future.result()
            articles += extracted.articles
            failures += extracted.failures
            fingerprints.update(extracted.fingerprints)
    for failure in failures:
        logger.warning(
            "extract: %s refused (%s) %s", failure.item_ref, failure.reason, failure.detail
        )
    logger.info("extract: %d article(s), %d failure(s)", len(articles), len(failures))
    return ExtractedSeeds(articles, failures, fingerprints)


@task(name="load")
def load(
    warehouse: WarehouseLocation,
    folder: Path,
    run_id: str,
    articles: list[loader.ArticleInput],
    failures: list[loader.FailedInput],
) -> loader.LoadResult:
    with connection(warehouse) as con:
        source_id = loader.ensure_source(
            con, "seed_folder", str(folder.resolve()), name=folder.name
        )
        result = loader.load_articles(con, source_id, run_id, articles)
        loader.record_failures(con, source_id, run_id, failures)
    get_run_logger().info(
        "load: %d added, %d updated, %d unchanged",
        len(result.added),
        len(result.updated),
        len(result.unchanged),
    )
    return result


@flow(name="ingest_seeds", log_prints=True)
def ingest_seeds(path: str = "seeds", db: str | None = None) -> RunSummary:
    """Ingest the seed files under ``path`` into the warehouse at ``db``."""
    folder = Path(path)
    warehouse = locate(resolve_db_path(db))  # resolved once, passed on
    with warehouse_run(warehouse, "ingest_seeds", str(folder)) as run_id:
        files = discover(folder)
        extracted = extract_all(files)
        loaded = load(warehouse, folder, run_id, extracted.articles, extracted.failures)
        deduped = dedupe_loaded(warehouse, extracted.fingerprints)
        refresh_search(warehouse)
        totals = coverage_report(warehouse, "presswatch-seed-coverage")
        counts = loader.RunCounts(
            items_seen=len(files),
            articles_added=len(loaded.added),
            articles_updated=len(loaded.updated),
            articles_unchanged=len(loaded.unchanged),
            errors=len(extracted.failures),
            duplicates_linked=deduped.links,
            stories_touched=len(deduped.stories),
        )
        message = "nothing new: every seed was already loaded" if not loaded.changed else None
        finish_run(warehouse, run_id, counts, message)
    return RunSummary(run_id=run_id, totals=totals, **counts.__dict__)
