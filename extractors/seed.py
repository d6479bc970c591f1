"""Turn one seed file's bytes into an article: plain-text cleaner or trafilatura by suffix."""

from __future__ import annotations

from dataclasses import replace

from extractors.html import FeedHints, extract_html
from extractors.models import ExtractedArticle
from extractors.plaintext import extract_plaintext
from sources.seeds import SeedMetadata

HTML_SUFFIXES = (".html", ".htm")


def extract_seed(name: str, raw: bytes, metadata: SeedMetadata) -> ExtractedArticle:
    """The manifest's metadata wins over what the text suggests (a person wrote it down)."""
    if name.lower().endswith(HTML_SUFFIXES):
        hints = FeedHints(published_at=None, language=metadata.language, outlet=metadata.outlet)
        article = extract_html(raw, url=metadata.url, hints=hints)
    else:
        article = extract_plaintext(raw)
    return replace(
        article,
        outlet=metadata.outlet or article.outlet,
        url=metadata.url or article.url,
        published_at=metadata.published_at or article.published_at,
        language=metadata.language or article.language,
    )
