"""Runtime settings: where the warehouse lives and the tuned thresholds, with their reasons.

Every threshold used by dedup and story grouping lives here, so a rebuild with new
settings is a configuration change, never a code change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_PATH = Path("warehouse") / "presswatch.duckdb"
DB_PATH_ENV = "PRESSWATCH_DB"


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """``--db`` wins over ``PRESSWATCH_DB``, which wins over ``warehouse/presswatch.duckdb``."""
    if cli_value:
        return Path(cli_value)
    env_value = os.environ.get(DB_PATH_ENV)
    return Path(env_value) if env_value else DEFAULT_DB_PATH


@dataclass(frozen=True)
class DedupSettings:
    """Near-duplicate (copy) detection.

    A copy is judged sentence by sentence: a sentence of one article is *reproduced* when
    most of its word n-grams occur in the other article, which tolerates quote/dash style
    changes and a few edited words. The pair's score is the share of the shorter side's
    sentences that are reproduced, so a truncated copy scores near 1.0.
    """

    # Word n-gram size for shingles. 4 keeps a sentence recognisable after 1-5% word
    # edits (one edit breaks at most 4 shingles) while 4-word phrases rarely repeat by
    # chance between unrelated articles.
    shingle_size: int = 4
    # Sentences shorter than this carry no evidence ("He said.", datelines, captions).
    min_sentence_words: int = 6
    # A sentence counts as reproduced when this share of its shingles is in the other text:
    # survives a couple of edited words, rejects a sentence that merely shares a phrase.
    sentence_match_ratio: float = 0.5
    # Share of the article's sentences reproduced in the other. Rewrites that keep a third
    # of the sentences are copies by contract; 0.25 leaves room for a few edited sentences.
    copy_min_share: float = 0.25
    # ...and at least this many reproduced sentences: different coverage of one story often
    # quotes the same two or three sentences (a statement, a finding) and is not a copy.
    copy_min_sentences: int = 4
    # A short text (a truncated copy of a few sentences) is a copy when nearly all of it is
    # reproduced, even below ``copy_min_sentences``.
    short_copy_min_share: float = 0.8
    # Candidate search keeps shingles whose hash is 0 modulo this (content-defined sampling,
    # identical in every article), so the index holds ~1/N of all shingles.
    index_sample_modulus: int = 4
    # A candidate must share at least this many sampled shingles to be scored at all.
    candidate_min_shared: int = 3


@dataclass(frozen=True)
class StorySettings:
    """Story grouping: TF-IDF term vectors compared within a time window."""

    # Terms kept per article in the story index (the heaviest TF-IDF terms).
    top_terms: int = 40
    # Cosine similarity of top-term vectors needed to join an existing story. Articles on
    # one event share its names and rare terms; unrelated articles from one outlet share
    # only furniture and common words, which the IDF weighting discounts.
    join_threshold: float = 0.12
    # Only stories active within this many days of the article can absorb it.
    window_days: int = 7
    # Candidate articles examined per new article (those sharing the most heavy terms).
    max_candidates: int = 200


@dataclass(frozen=True)
class Settings:
    dedup: DedupSettings = DedupSettings()
    stories: StorySettings = StorySettings()
