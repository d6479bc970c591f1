"""Scoring functions shared by the extraction benchmarks.

Text is compared as a bag of words: lower-cased ``\\w+`` tokens with their counts, so
word order and markup do not matter but repeated boilerplate does. Titles are compared
exactly after whitespace normalisation; dates only to the day.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

_WORD = re.compile(r"\w+")


def word_counts(text: str) -> Counter[str]:
    """Lower-cased ``\\w+`` tokens of ``text`` with their counts."""
    return Counter(_WORD.findall(text.lower()))


def score_text(predicted: str, truth: str) -> tuple[float, float, float]:
    """Word-level (precision, recall, F1) of ``predicted`` against ``truth``.

    Two empty texts agree perfectly; an empty side against a non-empty one scores 0 on
    everything, so a failed extraction counts as a miss rather than being skipped.
    """
    predicted_words, truth_words = word_counts(predicted), word_counts(truth)
    if not predicted_words and not truth_words:
        return 1.0, 1.0, 1.0
    overlap = sum((predicted_words & truth_words).values())
    if overlap == 0:
        return 0.0, 0.0, 0.0
    precision = overlap / predicted_words.total()
    recall = overlap / truth_words.total()
    return precision, recall, 2 * precision * recall / (precision + recall)


def normalize_whitespace(text: str) -> str:
    """Collapse every run of whitespace (including non-breaking spaces) to one space."""
    return " ".join(text.split())


def title_match(a: str | None, b: str | None) -> bool:
    """Exact title equality after whitespace normalisation; a missing title never matches."""
    if not a or not b:
        return False
    return normalize_whitespace(a) == normalize_whitespace(b)


def as_day(value: date | str | None) -> date | None:
    """The calendar day of a date, datetime or ISO string (``YYYY-MM-DD...``).

    Values without day precision (``"2015-11"``) or unparseable ones give ``None``.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def same_day(a: date | str | None, b: date | str | None) -> bool:
    """True when both values name the same calendar day."""
    day_a, day_b = as_day(a), as_day(b)
    return day_a is not None and day_a == day_b
