"""Light stemming for story terms, per language (pure).

Story grouping compares the terms of two reports of one event. In languages that glue
case endings, possessives, prepositions or articles onto words, two reports name the same
thing in different forms ("İstanbul'da" / "İstanbul'un", "Warszawie" / "Warszawa",
"بالقاهرة" / "القاهرة") and share fewer terms than they should. Measured on the SemEval-2022
Task 8 training pairs (bench/story_quality.py; docs/dedup-and-stories.md):

* Turkish, Polish and Russian: a word is cut to its first six letters; English, German,
  Spanish, French and Italian to its first seven (prefix stemming, a known strong
  baseline for agglutinative and highly inflected languages; in the others it joins
  plurals, cases and derived forms: "election"/"elections", "Regierung"/"Regierungen").
  Russian has too few pairs in that set to measure; it follows Polish.
* Arabic: a light stemmer strips the conjunction (و, ف), the article and the attached
  prepositions (ال, بال, كال, لل, ب, ل, ك) and common suffixes (ها, ات, ون, ين, ية, ه, ة).
  A word that merely starts with ب, ل or ك loses that letter too (كورونا -> ورونا, while
  بكورونا -> كورونا): measured, the one-letter prepositions still gain more than they cost.
* Every other language: words as they are (not measured).
"""

from __future__ import annotations

PREFIX_LETTERS = {"tr": 6, "pl": 6, "ru": 6, "en": 7, "de": 7, "es": 7, "fr": 7, "it": 7}
ARABIC = "ar"
STEMMED_LANGUAGES = frozenset(PREFIX_LETTERS) | {ARABIC}

_AR_CONJUNCTIONS = ("و", "ف")
_AR_PREFIXES = ("بال", "كال", "لل", "ال", "ب", "ل", "ك")
_AR_SUFFIXES = ("هما", "ها", "ات", "ون", "ين", "ية", "ه", "ة")
_AR_MIN_STEM = 3


def _arabic(word: str) -> str:
    if word.startswith(_AR_CONJUNCTIONS) and len(word) >= _AR_MIN_STEM + 2:
        word = word[1:]
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _AR_MIN_STEM:
            word = word[len(prefix) :]
            break
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _AR_MIN_STEM:
            return word[: -len(suffix)]
    return word


def stem(word: str, language: str) -> str:
    """The story-term form of a normalised word in ``language`` (ISO 639-1)."""
    letters = PREFIX_LETTERS.get(language)
    if letters is not None:
        return word[:letters]
    if language == ARABIC:
        return _arabic(word)
    return word
