"""Pure text fingerprints for dedup and story grouping (no database here).

* Copy detection works on sentences: each sentence becomes the set of its word n-gram
  hashes, so two texts can be compared sentence by sentence ("is this sentence reproduced
  nearly verbatim over there?"). Hashes are stable across processes and machines: each
  token is hashed once with blake2b and n-grams combine token hashes polynomially (mod 2^64).
* Story grouping works on weighted terms: TF times a rarity weight taken from wordfreq's
  general-language frequencies, so a story's names ("Haringey", "Laming") weigh far more
  than words every article uses ("said", "report").
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from wordfreq import zipf_frequency

from presswatch.settings import DedupSettings

_PUNCTUATION_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
    }
)  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SHINGLE_BASE = np.uint64(1_000_003)
_INT64_OFFSET = 1 << 63


def normalise(text: str) -> str:
    """Case-fold and unify quote, dash and space styles, which syndication often changes."""
    return unicodedata.normalize("NFKC", text).translate(_PUNCTUATION_FOLD).casefold()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


@lru_cache(maxsize=500_000)
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """Stable 64-bit hashes of the word n-grams (one hash for a text shorter than ``size``)."""
    if not words:
        return np.empty(0, dtype=np.uint64)
    token_hashes = np.fromiter((_token_hash(w) for w in words), dtype=np.uint64, count=len(words))
    width = min(size, len(words))
    count = len(words) - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(width):
            combined = combined * _SHINGLE_BASE + token_hashes[offset : offset + count]
    return combined


def to_signed(hashes: np.ndarray) -> np.ndarray:
    """uint64 -> int64 so the hashes fit DuckDB's BIGINT."""
    return hashes.view(np.int64)


@dataclass(frozen=True)
class CopyFingerprint:
    """A text's evidence sentences (each as shingle hashes) and all its shingles."""

    sentences: tuple[np.ndarray, ...]
    shingles: np.ndarray  # sorted unique uint64

    def sampled(self, modulus: int) -> np.ndarray:
        """The content-defined sample used for candidate search (same rule for every text)."""
        return self.shingles[self.shingles % np.uint64(modulus) == 0]


def copy_fingerprint(text: str, settings: DedupSettings) -> CopyFingerprint:
    sentences = []
    for sentence in split_sentences(text):
        words = tokens(sentence)
        if len(words) >= settings.min_sentence_words:
            sentences.append(np.unique(shingle_hashes(words, settings.shingle_size)))
    all_shingles = (
        np.unique(np.concatenate(sentences)) if sentences else np.empty(0, dtype=np.uint64)
    )
    return CopyFingerprint(sentences=tuple(sentences), shingles=all_shingles)


@dataclass(frozen=True)
class Reproduction:
    """How much of ``text`` is reproduced in ``other``."""

    matched_sentences: int
    total_sentences: int

    @property
    def share(self) -> float:
        return self.matched_sentences / self.total_sentences if self.total_sentences else 0.0


def reproduction(text: CopyFingerprint, other: CopyFingerprint, ratio: float) -> Reproduction:
    matched = 0
    for sentence in text.sentences:
        present = np.isin(sentence, other.shingles, assume_unique=True).sum()
        if present >= ratio * len(sentence):
            matched += 1
    return Reproduction(matched, len(text.sentences))


def copy_score(a: CopyFingerprint, b: CopyFingerprint, settings: DedupSettings) -> float:
    """Share of reproduced sentences on the side that reproduces more; 0.0 if not a copy.

    Taking the better direction catches both a truncated copy (all of its sentences are in
    the original) and an expanded rewrite (the original's sentences are in the rewrite).
    """
    best = 0.0
    for text, other in ((a, b), (b, a)):
        found = reproduction(text, other, settings.sentence_match_ratio)
        long_enough = found.matched_sentences >= settings.copy_min_sentences
        short_copy = found.share >= settings.short_copy_min_share and found.matched_sentences >= 2
        if (long_enough and found.share >= settings.copy_min_share) or short_copy:
            best = max(best, found.share)
    return best


# --- story terms -------------------------------------------------------------------------

# Rarity weight: wordfreq's Zipf scale runs from ~8 ("the") down to 0 (unseen). A word at
# Zipf 7 or above carries no topical signal; unseen words are capped like very rare ones.
_ZIPF_CEILING = 7.0
_UNSEEN_ZIPF = 1.0
_MIN_TERM_LENGTH = 3


@lru_cache(maxsize=200_000)
def rarity(term: str, language: str = "en") -> float:
    try:
        zipf = zipf_frequency(term, language)
    except LookupError:  # language wordfreq does not know: fall back to English statistics
        zipf = zipf_frequency(term, "en")
    return max(0.0, _ZIPF_CEILING - max(zipf, _UNSEEN_ZIPF))


def term_vector(text: str, top_n: int, language: str | None = None) -> dict[str, float]:
    """The ``top_n`` heaviest terms (log TF x rarity), L2-normalised."""
    counts = Counter(w for w in tokens(text) if len(w) >= _MIN_TERM_LENGTH and not w.isdigit())
    lang = (language or "en")[:2].lower()
    weights = {t: (1.0 + math.log(c)) * rarity(t, lang) for t, c in counts.items()}
    top = sorted(((w, t) for t, w in weights.items() if w > 0), reverse=True)[:top_n]
    norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
    return {t: w / norm for w, t in top}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())
