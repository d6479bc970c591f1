"""Provenance printed in an article's text: its dateline, the wire agency it credits and
its byline. Pure functions of the text; nothing is removed from it.

Recognised, at the start of one of the first paragraphs:

* a wire dateline, ``LONDON (Reuters) -``, ``WASHINGTON (AP) —``,
  ``BEIJING, March 3 (Reuters) -``, ``KYIV, Ukraine —`` (place only) or ``(AP) —``
  (credit only);

anywhere in the first paragraphs:

* a byline naming an agency, ``By Jane Doe, Associated Press`` or
  ``By JANE DOE Associated Press Writer``;

anywhere in the text:

* a syndication note, ``This article originally appeared in The Conversation.``,
  ``This story was originally published by ProPublica``.

A credit is normalised through ``AGENCIES`` ("AP" and "The Associated Press" are both
"Associated Press"); an unknown credit is kept as printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Wire datelines: "LONDON (Reuters) - ", "WASHINGTON (AP) — ", "BEIJING, March 3 (Reuters) -",
# "SAN FRANCISCO, Calif. (AP) --", "KYIV, Ukraine — " and "(Reuters) - ".
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z'’.\-]+(?:\s+[A-Z][A-Z'’.\-]+){0,3})"
    r"(?:\s*,\s*[A-Z][\w.'’ ]{0,30}?)?\s*"
    r"(?:\((?P<outlet>[A-Za-z][^()]{1,40})\)\s*)?"
    r"(?P<dash>--?|–|—)\s+(?=\S)"
)
OUTLET_ONLY_DATELINE = re.compile(r"^\((?P<outlet>[A-Za-z][^()]{1,40})\)\s*(?:--?|–|—)\s+(?=\S)")
# Capitalised first words that are labels, not places ("UPDATE - ...", "EXCLUSIVE - ...").
NOT_A_PLACE = frozenset(
    {
        "UPDATE", "UPDATED", "BREAKING", "EXCLUSIVE", "ANALYSIS", "OPINION", "COMMENT",
        "NOTE", "WATCH", "VIDEO", "LIVE", "FACTBOX", "EDITORIAL", "CORRECTION", "REFILE",
        "WARNING", "ALERT", "REVIEW", "INTERVIEW",
    }
)  # fmt: skip

# Agency names as printed (case-folded) -> the one name they all mean.
AGENCIES = {
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "ap": "Associated Press",
    "associated press": "Associated Press",
    "the associated press": "Associated Press",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "pa": "PA Media",
    "pa media": "PA Media",
    "press association": "PA Media",
    "the press association": "PA Media",
    "dpa": "dpa",
    "upi": "UPI",
    "united press international": "UPI",
    "bloomberg": "Bloomberg",
    "efe": "EFE",
    "ansa": "ANSA",
    "xinhua": "Xinhua",
    "kyodo": "Kyodo News",
    "kyodo news": "Kyodo News",
    "cp": "The Canadian Press",
    "the canadian press": "The Canadian Press",
    "aap": "AAP",
    "australian associated press": "AAP",
}
_AGENCY_ALTERNATIVES = "|".join(re.escape(name) for name in sorted(AGENCIES, key=len, reverse=True))
NAME_TOKEN = r"[A-Z][\w'’.\-]*"
PERSON_NAME = rf"{NAME_TOKEN}(?:\s+(?:[a-z]{{2,3}}\s+)?{NAME_TOKEN}){{1,3}}?"
# "By Jane Doe, Associated Press", "By JANE DOE Associated Press Writer", "By Jane Doe | AFP".
AGENCY_BYLINE = re.compile(
    rf"^(?i:by)\s+(?P<names>{PERSON_NAME}(?:\s+(?:and|&)\s+{PERSON_NAME})*)"
    rf"\s*(?:,|\||-|–|—|/|\bof\b|\bfor\b)?\s*(?P<agency>(?i:{_AGENCY_ALTERNATIVES}))"
    r"(?:\s+(?i:writer|reporter|correspondent|staff))?\s*\.?$"
)
PLAIN_BYLINE = re.compile(rf"^(?i:by)\s+(?P<names>{PERSON_NAME}(?:\s+(?:and|&)\s+{PERSON_NAME})*)")
ORIGINALLY = re.compile(
    r"\b(?:this|the) (?:article|story|piece|post) (?:was )?originally "
    r"(?:appeared|published|ran)(?: (?:in|on|by|at))? (?P<source>[^.\n]{2,80}?)"
    r"(?:\s+(?:on|and|under)\b[^.\n]*)?(?:\.|$)",
    re.IGNORECASE,
)
DATELINE_PARAGRAPHS = 3
BYLINE_PARAGRAPHS = 5


@dataclass(frozen=True)
class Provenance:
    dateline_place: str | None = None  # "LONDON"
    wire_credit: str | None = None  # the agency or publication the text credits
    byline: str | None = None  # "Jane Doe"


def agency_name(credit: str) -> str:
    """The normalised name of a credit ("AP" -> "Associated Press"); unknown ones as given."""
    cleaned = " ".join(credit.split()).strip(" .,;:")
    return AGENCIES.get(cleaned.casefold(), cleaned)


def dateline(paragraph: str) -> tuple[re.Match[str], str | None, str | None] | None:
    """The dateline match at the start of ``paragraph`` with (place, credit), or None."""
    match = DATELINE.match(paragraph)
    if match and match.group("place").strip(".'’-") not in NOT_A_PLACE:
        place = match.group("place").strip()
        credit = match.group("outlet")
        return match, place, credit.strip() if credit else None
    match = OUTLET_ONLY_DATELINE.match(paragraph)
    if match:
        return match, None, match.group("outlet").strip()
    return None


def find_provenance(paragraphs: Sequence[str], author: str | None = None) -> Provenance:
    """The dateline, wire credit and byline printed in ``paragraphs`` (see the docstring).

    ``author`` is the byline the page's metadata gives, used when no byline is printed.
    """
    place = credit = byline = None
    for paragraph in paragraphs[:DATELINE_PARAGRAPHS]:
        found = dateline(paragraph)
        if found is not None:
            _, place, credit = found
            break
    for paragraph in paragraphs[:BYLINE_PARAGRAPHS]:
        match = AGENCY_BYLINE.match(paragraph.strip())
        if match:
            byline = _names(match.group("names"))
            credit = credit or match.group("agency")
            break
        plain = PLAIN_BYLINE.match(paragraph.strip())
        if plain and byline is None and len(paragraph) < 120:
            byline = _names(plain.group("names"))
    if credit is None:
        for paragraph in paragraphs:
            match = ORIGINALLY.search(paragraph)
            if match:
                credit = match.group("source").strip()
                break
    return Provenance(
        dateline_place=place,
        wire_credit=agency_name(credit) if credit else None,
        byline=byline or author,
    )


def _names(names: str) -> str:
    names = " ".join(names.split())
    return names.title() if names.isupper() else names
