"""The dedupe step shared by every ingestion flow: link copies, then group stories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from config.settings import Settings
from warehouse.db import transaction
from warehouse.summaries import refresh as refresh_summaries
from warehouse.watchlists import match_articles

if TYPE_CHECKING:
    from textanalysis.fingerprints import Analysis
    from warehouse.copies import DuplicateLink


@dataclass(frozen=True)
class DedupeResult:
    links: list[DuplicateLink]
    stories_touched: set[str]
    analyses_reused: int = 0  # fingerprints taken from ``ready`` instead of computed here


def dedupe_batch(
    con: duckdb.DuckDBPyConnection,
    article_ids: Sequence[str],
    settings: Settings,
    ready: Mapping[bytes, Analysis] | None = None,
) -> DedupeResult:
    """One batch of ``dedupe_articles`` (the caller orders batches), in the caller's transaction."""
    # The fingerprint, copy and story code is imported by the first batch, not with this
    # module: it loads numpy and scipy (0.1-0.2 s), which a run that loaded nothing new
    # (no batch to dedupe) never needs.
    from textanalysis.fingerprints import analyse_or_reuse
    from warehouse.copies import canonical_of, in_list, link_batch, prepare_batch, record_batch
    from warehouse.stories import assign_batch

    batch = prepare_batch(con, article_ids)
    if not batch:
        return DedupeResult([], set())
    analysed, reused = analyse_or_reuse(  # one tokenisation per article serves both indexes
        [(b.title, b.body, b.language) for b in batch],
        settings.dedup,
        settings.stories,
        ready or {},
    )
    for b, (fingerprint, candidates) in zip(batch, analysed, strict=True):
        b.fingerprint, b.candidates = fingerprint, candidates
    linked = link_batch(con, batch, settings.dedup)
    links = linked.links
    record_batch(con, batch, linked.sentences)
    ids = [b.article_id for b in batch]
    if all(b.fresh for b in batch):  # no earlier links: this batch's are all there are
        members = set(ids)
        canonicals = {x.article_id: x.canonical_id for x in links if x.article_id in members}
    else:
        canonicals = canonical_of(con, ids)
    stories = assign_batch(con, batch, canonicals, settings.stories, linked.relinked)
    con.execute(
        "UPDATE articles SET dedupe_pending = false "
        f"WHERE dedupe_pending AND article_id IN {in_list(b.article_id for b in batch)}"
    )
    return DedupeResult(links, stories, reused)


CHUNK = 1000
"""Articles per ``dedupe_batch`` when ``dedupe_articles`` gets more: a batch holds every
token and n-gram of its articles at once (3.8 GB for 10,000 long web pages in one batch),
and per article a chunk of 1,000 costs no more than a bigger one."""


CHRONOLOGICAL = "coalesce(published_at, first_seen_at), first_seen_at, article_id"
"""The order deduplication takes articles in (``prepare_batch`` orders a batch so too)."""


def chronological(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> list[str]:
    """``article_ids`` in ``CHRONOLOGICAL`` order."""
    from warehouse.copies import joined  # imported here: see dedupe_batch

    rows = con.execute(
        f"""SELECT article_id FROM articles
            WHERE article_id IN (SELECT unnest(string_split(?, chr(31))))
            ORDER BY {CHRONOLOGICAL}""",
        [joined(article_ids)],
    ).fetchall()
    return [r[0] for r in rows]


def dedupe_in_order(
    con: duckdb.DuckDBPyConnection,
    ordered: Sequence[str],
    settings: Settings,
    size: int,
    ready: Mapping[bytes, Analysis] | None = None,
) -> DedupeResult:
    """``dedupe_batch`` over ``ordered`` (chronological), ``size`` articles at a time."""
    links: list[DuplicateLink] = []
    stories: set[str] = set()
    reused = 0
    for start in range(0, len(ordered), size):
        result = dedupe_batch(con, ordered[start : start + size], settings, ready)
        links += result.links
        stories |= result.stories_touched
        reused += result.analyses_reused
    return DedupeResult(links, stories, reused)


def dedupe_articles(
    con: duckdb.DuckDBPyConnection,
    article_ids: Sequence[str],
    settings: Settings,
    ready: Mapping[bytes, Analysis] | None = None,
) -> DedupeResult:
    """Copies first, because a copy always joins its canonical's story; one transaction.

    Only ``article_ids`` are fingerprinted; they are checked against everything already
    indexed (and against each other), in chronological order, ``CHUNK`` at a time. An
    article whose fingerprints are in ``ready`` (``fingerprints.analyse_ahead``, computed
    where it was extracted) is not analysed again. The same transaction matches the
    articles against the watchlists and refreshes the coverage summaries.
    """
    with transaction(con):
        ordered = chronological(con, article_ids) if len(article_ids) > CHUNK else article_ids
        result = dedupe_in_order(con, ordered, settings, CHUNK, ready)
        match_articles(con, article_ids)
        refresh_summaries(con)
    return result
