"""Typed records that cross the extractor boundary.

Extractors are pure functions: raw bytes in, an ``ExtractedArticle`` out, or an
``ExtractionError`` whose ``reason`` is recorded by the warehouse. Nothing here
touches the network or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from extractors.dates import DateClaim


class ExtractionError(Exception):
    """Input that cannot become an article; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ExtractedArticle:
    """Clean article text plus whatever metadata the input itself states."""

    title: str | None
    text: str
    method: str  # which path produced the text: "plaintext", "trafilatura", "feed-content", ...
    author: str | None = None
    published_at: date | None = None  # chosen by extractors.dates.choose_published
    outlet: str | None = None
    dateline: str | None = None  # the dateline's place: "LONDON" from "LONDON (Reuters) -"
    language: str | None = None
    url: str | None = None
    # Every date the input gave, with its source (extractors/dates.py).
    dates: tuple[DateClaim, ...] = ()
    # Where ``outlet`` came from: "feed", "manifest", "site_name", "text" or "domain".
    outlet_source: str | None = None
    wire_credit: str | None = None  # the agency or publication the text credits
    byline: str | None = None  # the byline as printed, else the page's author
