"""``ingest_seeds``: local seed files -> extract and fingerprint -> load -> dedupe -> report."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task

from config.settings import apply_prefect_defaults, resolve_db_path
from extractors.models import ExtractionError
from extractors.seed import extract_seed
from flows.alert_step import send_alerts
from flows.coverage_artifacts import coverage_report
from flows.dedupe_step import dedupe_loaded
from flows.fingerprints_ahead import fingerprints_of, with_language
from flows.run_record import RunSummary, finish_run, warehouse_run
from flows.search_index import refresh_search
from flows.task_runner import extraction_runner
from sources.seeds import (
    SeedFile,
    SeedMetadata,
    SeedReadError,
    SeedScan,
    read_seed_bytes,
    scan_seed_folder,
    stable_refs,
)
from warehouse import loader
from warehouse.db import connection
from warehouse.location import WarehouseLocation, locate

if TYPE_CHECKING:
    from textanalysis.fingerprints import Analysis

apply_prefect_defaults()  # prefect.yaml names this module: a process may start here

# A seed file above this size is refused before reading it whole.
MAX_SEED_BYTES = 5_000_000
# Seed files per extraction task.
EXTRACT_BATCH = 25
# The warehouse source of a seed folder: (kind, the folder's absolute path).
SOURCE_KIND = "seed_folder"


@dataclass(frozen=True)
class ExtractedSeeds:
    articles: list[loader.ArticleInput]
    failures: list[loader.FailedInput]
    fingerprints: dict[bytes, Analysis]
    # refs of the articles found unchanged: their language was not detected again, nor
    # their fingerprints computed (the loader finds them unchanged and writes nothing)
    unanalysed: frozenset[str] = frozenset()


@task(name="discover")
def discover(folder: Path, follow_symlinks: bool = False) -> SeedScan:
    scan = scan_seed_folder(folder, follow_symlinks=follow_symlinks)
    logger = get_run_logger()
    for skipped in scan.skipped:
        logger.warning("discover: %s skipped (%s) %s", skipped.ref, skipped.reason, skipped.detail)
    logger.info(
        "discover: %d seed file(s) in %s, %d skipped", len(scan.files), folder, len(scan.skipped)
    )
    return scan


@dataclass(frozen=True)
class SeedBytes:
    """A seed file read by the flow: extraction needs no access to the folder, so it can
    run on another machine."""

    name: str
    ref: str  # the seed's identity: its path relative to the seed folder
    raw: bytes
    metadata: SeedMetadata


def read_seed(seed: SeedFile) -> SeedBytes | loader.FailedInput:
    try:
        raw = read_seed_bytes(seed, MAX_SEED_BYTES)
    except SeedReadError as exc:
        stage = "extract" if exc.reason == "too_large" else "read"
        return loader.FailedInput(seed.identity, stage, exc.reason, exc.detail)
    return SeedBytes(seed.name, seed.identity, raw, seed.metadata)


@task(name="extract")
def extract(seeds: list[SeedBytes], stored: dict[str, loader.StoredText]) -> ExtractedSeeds:
    """Extract a batch of seed files and analyse (language, fingerprints) the articles whose
    text is not what the warehouse holds for their ref (``stored``): a pure function of its
    inputs, run wherever the flow's extraction runner puts it. An unchanged file costs its
    extraction only; analysing it again (the language model and word statistics take a
    second to load) would change nothing."""
    articles: list[loader.ArticleInput] = []
    failures: list[loader.FailedInput] = []
    unanalysed: set[str] = set()
    for seed in seeds:
        try:
            article = extract_seed(seed.name, seed.raw, seed.metadata)
            known = stored.get(seed.ref)
            if known is not None and known.unchanged(article):
                unanalysed.add(seed.ref)
            else:
                article = with_language(article)
        except ExtractionError as exc:
            failures.append(loader.FailedInput(seed.ref, "extract", exc.reason, exc.detail))
        else:
            articles.append(loader.ArticleInput(source_ref=seed.ref, article=article))
    analysed = (a.article for a in articles if a.source_ref not in unanalysed)
    return ExtractedSeeds(articles, failures, fingerprints_of(analysed), frozenset(unanalysed))


def candidate_refs(files: list[SeedFile]) -> list[str]:
    """The refs a seed file's article may be stored under (see ``stable_refs``)."""
    return [ref for seed in files for ref in (seed.identity, seed.name)]


def stored_seed_texts(
    warehouse: WarehouseLocation, folder: Path, files: list[SeedFile]
) -> dict[str, loader.StoredText]:
    """By seed identity, the text the warehouse holds for each file (under the ref the
    load step will find it by)."""
    with connection(warehouse) as con:
        source_id = loader.source_id_of(SOURCE_KIND, str(folder.resolve()))
        stored = loader.stored_texts(con, source_id, candidate_refs(files))
    refs = stable_refs(files, stored)
    return {identity: stored[ref] for identity, ref in refs.items() if ref in stored}


def _known(
    stored: dict[str, loader.StoredText], seeds: list[SeedBytes]
) -> dict[str, loader.StoredText]:
    """The part of ``stored`` an extraction task of ``seeds`` needs."""
    return {seed.ref: stored[seed.ref] for seed in seeds if seed.ref in stored}


def extract_all(scan: SeedScan, stored: dict[str, loader.StoredText]) -> ExtractedSeeds:
    """Read every file here, extract them in batches on the extraction runner; the paths
    discovery skipped are failures too. ``stored``: ``stored_seed_texts``."""
    logger = get_run_logger()
    files = scan.files
    articles: list[loader.ArticleInput] = []
    failures = [loader.FailedInput(s.ref, "discover", s.reason, s.detail) for s in scan.skipped]
    fingerprints: dict[bytes, Analysis] = {}
    unanalysed: set[str] = set()
    readable: list[SeedBytes] = []
    for seed in files:
        read = read_seed(seed)
        (failures if isinstance(read, loader.FailedInput) else readable).append(read)
    batches = [readable[i : i + EXTRACT_BATCH] for i in range(0, len(readable), EXTRACT_BATCH)]
    with extraction_runner(len(batches)) as runner:
        futures = [
            runner.submit(extract, {"seeds": batch, "stored": _known(stored, batch)})
            for batch in batches
        ]
        for future in futures:
            extracted = future.result()
            articles += extracted.articles
            failures += extracted.failures
            fingerprints.update(extracted.fingerprints)
            unanalysed |= extracted.unanalysed
    for failure in failures:
        logger.warning(
            "extract: %s refused (%s) %s", failure.item_ref, failure.reason, failure.detail
        )
    logger.info(
        "extract: %d article(s) (%d unchanged, not analysed again), %d failure(s)",
        len(articles),
        len(unanalysed),
        len(failures),
    )
    return ExtractedSeeds(articles, failures, fingerprints, frozenset(unanalysed))


@task(name="load")
def load(
    warehouse: WarehouseLocation,
    folder: Path,
    run_id: str,
    files: list[SeedFile],
    articles: list[loader.ArticleInput],
    failures: list[loader.FailedInput],
    unanalysed: frozenset[str],
) -> loader.LoadResult:
    """Load the articles and failures under the refs their files are stored under
    (``stable_refs``). ``unanalysed``: the refs of the articles extraction found unchanged."""
    with connection(warehouse) as con:
        source_id = loader.ensure_source(con, SOURCE_KIND, str(folder.resolve()), name=folder.name)
        stored = loader.stored_texts(con, source_id, candidate_refs(files))
        refs = stable_refs(files, stored)
        to_load = []
        for item in articles:
            ref = refs.get(item.source_ref, item.source_ref)
            article, known = item.article, stored.get(ref)
            if item.source_ref in unanalysed and (known is None or not known.unchanged(article)):
                # Unchanged when extraction began; but on a DuckLake runs overlap, and one may
                # have loaded other text under its ref since (its fingerprints are computed by
                # the dedupe)
                article = with_language(article)
            to_load.append(replace(item, source_ref=ref, article=article))
        failures = [replace(f, item_ref=refs.get(f.item_ref, f.item_ref)) for f in failures]
        result = loader.load_articles(con, source_id, run_id, to_load)
        loader.record_failures(con, source_id, run_id, failures)
    get_run_logger().info(
        "load: %d added, %d updated, %d unchanged",
        len(result.added),
        len(result.updated),
        len(result.unchanged),
    )
    return result


@flow(name="ingest_seeds", log_prints=True)
def ingest_seeds(
    path: str = "seeds", db: str | None = None, follow_symlinks: bool = False
) -> RunSummary:
    """Ingest the seed files under ``path`` into the warehouse at ``db``. Symbolic links are
    skipped unless ``follow_symlinks`` (and never followed out of ``path``)."""
    folder = Path(path)
    warehouse = locate(resolve_db_path(db))  # resolved once, passed on
    with warehouse_run(warehouse, "ingest_seeds", str(folder)) as run_id:
        scan = discover(folder, follow_symlinks)
        extracted = extract_all(scan, stored_seed_texts(warehouse, folder, scan.files))
        loaded = load(
            warehouse,
            folder,
            run_id,
            scan.files,
            extracted.articles,
            extracted.failures,
            extracted.unanalysed,
        )
        deduped = dedupe_loaded(warehouse, extracted.fingerprints)
        refresh_search(warehouse)
        send_alerts(warehouse)  # never fails the run
        totals = coverage_report(warehouse, "presswatch-seed-coverage")
        counts = loader.RunCounts(
            items_seen=len(scan.files),
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
