"""``ingest_seeds``: local seed files -> extract -> load -> dedupe -> report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task

from extractors.models import ExtractionError
from extractors.seed import extract_seed
from flows.common import RunSummary, coverage_report, dedupe, finish_run, warehouse_run
from presswatch.settings import resolve_db_path
from sources.seeds import SeedFile, discover_seed_files
from warehouse import loader
from warehouse.db import connection

# A seed file above this size is refused before reading it whole.
MAX_SEED_BYTES = 5_000_000


@dataclass(frozen=True)
class ExtractedSeeds:
    articles: list[loader.ArticleInput]
    failures: list[loader.FailedInput]


@task(name="discover")
def discover(folder: Path) -> list[SeedFile]:
    files = discover_seed_files(folder)
    get_run_logger().info("discover: %d seed file(s) in %s", len(files), folder)
    return files


def _extract_one(seed: SeedFile) -> loader.ArticleInput | loader.FailedInput:
    try:
        size = seed.path.stat().st_size
        if size > MAX_SEED_BYTES:
            raise ExtractionError("too_large", f"{size} bytes > {MAX_SEED_BYTES}")
        raw = seed.path.read_bytes()
        article = extract_seed(seed.name, raw, seed.metadata)
    except ExtractionError as exc:
        return loader.FailedInput(seed.name, "extract", exc.reason, exc.detail)
    except OSError as exc:
        return loader.FailedInput(seed.name, "read", "unreadable", str(exc))
    return loader.ArticleInput(source_ref=seed.name, article=article)


@task(name="extract")
def extract(files: list[SeedFile]) -> ExtractedSeeds:
    logger = get_run_logger()
    articles, failures = [], []
    for seed in files:
        outcome = _extract_one(seed)
        if isinstance(outcome, loader.FailedInput):
            logger.warning("extract: %s refused (%s) %s", seed.name, outcome.reason, outcome.detail)
            failures.append(outcome)
        else:
            articles.append(outcome)
    logger.info("extract: %d article(s), %d failure(s)", len(articles), len(failures))
    return ExtractedSeeds(articles, failures)


@task(name="load")
def load(db_path: Path, folder: Path, run_id: str, extracted: ExtractedSeeds) -> loader.LoadResult:
    with connection(db_path) as con:
        source_id = loader.ensure_source(
            con, "seed_folder", str(folder.resolve()), name=folder.name
        )
        result = loader.load_articles(con, source_id, run_id, extracted.articles)
        loader.record_failures(con, source_id, run_id, extracted.failures)
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
    db_path = resolve_db_path(db)
    with warehouse_run(db_path, "ingest_seeds", str(folder)) as run_id:
        files = discover(folder)
        extracted = extract(files)
        loaded = load(db_path, folder, run_id, extracted)
        links, stories = dedupe(db_path)
        totals = coverage_report(db_path, "presswatch-seed-coverage")
        counts = loader.RunCounts(
            items_seen=len(files),
            articles_added=len(loaded.added),
            articles_updated=len(loaded.updated),
            articles_unchanged=len(loaded.unchanged),
            errors=len(extracted.failures),
            duplicates_linked=links,
            stories_touched=stories,
        )
        message = "nothing new: every seed was already loaded" if not loaded.changed else None
        finish_run(db_path, run_id, counts, message)
    return RunSummary(run_id=run_id, totals=totals, **counts.__dict__)
