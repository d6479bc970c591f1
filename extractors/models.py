"""Typed records that cross the extractor boundary.

Extractors are pure functions: raw bytes in, an ``ExtractedArticle`` out, or an
``ExtractionError`` whose ``reason`` is recorded by the warehouse. Nothing here
touches the network or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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
    published_at: date | None = None
    outlet: str | None = None
    dateline: str | None = None  # e.g. "LONDON" from "LONDON (Reuters) -"
    language: str | None = None
    url: str | None = None
