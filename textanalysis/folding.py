"""Case and punctuation folding: the one normalisation that copy fingerprints, story terms,
queries and the loader's content hash share (pure, and without numpy, so that loading
articles does not import the fingerprinting stack)."""

from __future__ import annotations

import unicodedata

_PUNCTUATION_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u2026": "...",
    }
)  # fmt: skip


def normalise(text: str) -> str:
    """Case-fold and unify quote, dash and space styles, which syndication often changes."""
    return unicodedata.normalize("NFKC", text).translate(_PUNCTUATION_FOLD).casefold()
