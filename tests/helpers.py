"""Small builders shared by warehouse tests (real DuckDB files, no mocks)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import duckdb

from config.settings import Settings
from extractors.models import ExtractedArticle
from textanalysis.fingerprints import Analysis, analyse_batch, statistics_language
from textanalysis.term_weights import weigh_from_scratch
from warehouse import loader
from warehouse.db import open_connection
from warehouse.dedupe import DedupeResult, dedupe_articles


def article(
    text: str,
    title: str = "A headline",
    published: date | None = None,
    outlet: str | None = None,
) -> ExtractedArticle:
    return ExtractedArticle(
        title=title, text=text, method="test", published_at=published, outlet=outlet
    )


def load_and_dedupe(
    con: duckdb.DuckDBPyConnection,
    items: dict[str, ExtractedArticle],
    source: str = "test-source",
) -> dict[str, str]:
    """Load ``items`` (ref -> article) in order, one batch each, as ingestion would.

    Returns ref -> article id.
    """
    source_id = loader.ensure_source(con, "test", source)
    ids = {}
    for ref, item in items.items():
        run_id = loader.start_run(con, "test", source)
        result = loader.load_articles(con, source_id, run_id, [loader.ArticleInput(ref, item)])
        dedupe_articles(con, result.changed, Settings())
        ids[ref] = loader.stable_id(source_id, ref)
    return ids


def fresh_db(path: Path) -> duckdb.DuckDBPyConnection:
    return open_connection(path)


def ingest_at_once(
    con: duckdb.DuckDBPyConnection,
    items: dict[str, ExtractedArticle],
    ready: Mapping[bytes, Analysis] | None = None,
) -> DedupeResult:
    """Load ``items`` (ref -> article) in one batch and dedupe them in one call."""
    source_id = loader.ensure_source(con, "test", "at-once")
    run_id = loader.start_run(con, "test", "at-once")
    result = loader.load_articles(
        con, source_id, run_id, [loader.ArticleInput(ref, item) for ref, item in items.items()]
    )
    return dedupe_articles(con, result.changed, Settings(), ready)


def dedup_outcome(con: duckdb.DuckDBPyConnection) -> tuple[set, set, set]:
    """Links, story partition and labels, by source ref (ids are the same either way)."""
    ref = dict(con.execute("SELECT article_id, source_ref FROM articles").fetchall())
    links = {
        (ref[a], ref[c])
        for a, c in con.execute("SELECT article_id, canonical_id FROM duplicate_links").fetchall()
    }
    groups: dict[str, set[str]] = {}
    for article_id, story_id in con.execute(
        "SELECT article_id, story_id FROM story_members"
    ).fetchall():
        groups.setdefault(story_id, set()).add(ref[article_id])
    labels = set(con.execute("SELECT label FROM stories").fetchall())
    return links, {frozenset(g) for g in groups.values()}, labels


def story_vector(text: str, language: str = "en", title: str | None = None) -> dict[int, float]:
    """The story terms (``term_id`` -> weight) of one text, weighed as the first article of
    an empty warehouse (wordfreq's statistics alone), as the dedupe step would weigh it."""
    settings = Settings()
    [(_fingerprint, candidates)] = analyse_batch(
        [(title, text, language)], settings.dedup, settings.stories
    )
    stories = settings.stories
    [terms] = weigh_from_scratch(
        [candidates], [statistics_language(language)], stories.top_terms, stories.prior_documents
    )
    return terms.as_dict()
