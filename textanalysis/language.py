"""An article's language, detected from its text and reconciled with what the page or feed
declares (pure: no database, no network).

The detector is py3langid (a naive Bayes model over byte n-grams, shipped inside its wheel
as ``data/model.npz.xz``; nothing is downloaded). It answers ISO 639-1 codes.

The answer is ``und`` (undetermined, BCP 47) rather than a guess when

* the text is too short to tell (a headline and one sentence, an empty body): fewer than
  ``MIN_LETTERS`` letters in the body;
* the detector is not confident and the declared language is not among its leading
  candidates;
* the page is mixed: its body's segments are detected as different languages and no one
  language holds ``MIN_DOMINANT_SHARE`` of the letters.

A declared language (``<html lang>``, Content-Language, the feed's ``<language>``) decides
only between the detector's leading candidates: templates often declare the site's default
language for every page, so a confident detection wins over a declaration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

UNDETERMINED = "und"
MIN_LETTERS = 200
"""Letters the body needs before its language is detected: a headline and one sentence
(about 150 letters) stay ``und``; a three-sentence news brief is enough."""
MIN_CONFIDENCE = 0.8
"""Probability of the detector's first answer above which it is taken as it is."""
CANDIDATES = 3
"""How many of the detector's leading answers a declared language may pick from."""
SEGMENT_LETTERS = 250
"""Letters per segment when a long body is checked for mixed languages."""
MIN_DOMINANT_SHARE = 0.7
"""Share of the body's letters that its main language must hold; below it, a mixed page."""
MAX_SEGMENTS = 6
"""At most this many segments are detected per article (cost bound for long pages)."""

DETECTION_CHARS = 4000
"""Characters of the body the overall detection reads (its cost grows with the length)."""

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_PARAGRAPH = re.compile(r"\n\s*\n|\n")


@dataclass(frozen=True)
class Detection:
    """The detector's leading answers for one text, best first, with probabilities."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def best(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]


@cache
def _identifier():
    """The bundled model, loaded once per process (0.3-1 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> Detection:
    """py3langid's ``CANDIDATES`` leading answers for ``text``."""
    ranked = _identifier().rank(text)[:CANDIDATES]
    return Detection(tuple((lang, float(p)) for lang, p in ranked))


def primary_subtag(declared: str | None) -> str | None:
    """``de`` of ``de-AT`` / ``de_at`` / ``DE``; None for nothing usable."""
    if not declared:
        return None
    subtag = re.split(r"[-_]", declared.strip(), maxsplit=1)[0].lower()
    return subtag if subtag.isalpha() and 2 <= len(subtag) <= 3 else None


def letter_count(text: str) -> int:
    return len(_LETTER.findall(text))


def _segments(body: str) -> list[str]:
    """The body cut at paragraph breaks into pieces of about ``SEGMENT_LETTERS`` letters
    (at most ``MAX_SEGMENTS``, evenly spread over the body)."""
    pieces: list[str] = []
    current: list[str] = []
    letters = 0
    for paragraph in _PARAGRAPH.split(body):
        current.append(paragraph)
        letters += letter_count(paragraph)
        if letters >= SEGMENT_LETTERS:
            pieces.append("\n".join(current))
            current, letters = [], 0
    if current and (letters >= SEGMENT_LETTERS / 2 or not pieces):
        pieces.append("\n".join(current))
    elif current:
        pieces[-1] += "\n" + "\n".join(current)
    if len(pieces) > MAX_SEGMENTS:
        step = len(pieces) / MAX_SEGMENTS
        pieces = [pieces[int(k * step)] for k in range(MAX_SEGMENTS)]
    return pieces


def is_mixed(body: str) -> bool:
    """No language holds ``MIN_DOMINANT_SHARE`` of the body's letters (detected segment by
    segment; a single segment is never mixed)."""
    pieces = _segments(body)
    if len(pieces) < 2:
        return False
    share: dict[str, int] = {}
    for piece in pieces:
        lang = detect(piece).best
        share[lang] = share.get(lang, 0) + letter_count(piece)
    best = max(share, key=lambda k: share[k])
    total = sum(share.values())
    return share[best] < MIN_DOMINANT_SHARE * total


def article_language(title: str | None, body: str, declared: str | None = None) -> str:
    """The article's language (ISO 639-1 where the detector has one), or ``und``."""
    letters = letter_count(body)
    if letters < MIN_LETTERS:
        return UNDETERMINED
    if letters >= 2 * SEGMENT_LETTERS and is_mixed(body):
        return UNDETERMINED
    sample = body[:DETECTION_CHARS]
    whole = detect(f"{title}\n{sample}" if title else sample)
    hint = primary_subtag(declared)
    if whole.confidence >= MIN_CONFIDENCE:
        return whole.best
    if hint and hint in {lang for lang, _p in whole.ranked}:
        return hint
    return UNDETERMINED
