"""Turn one seed file's bytes into an article: plain-text cleaner or trafilatura by suffix."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from extractors import dates, outlets
from extractors.models import ExtractedArticle
from extractors.plaintext import extract_plaintext
from sources.seeds import SeedMetadata

HTML_SUFFIXES = (".html", ".htm")


def extract_seed(name: str, raw: bytes, metadata: SeedMetadata) -> ExtractedArticle:
    """The manifest's metadata wins over what the text suggests (a person wrote it down):
    its outlet is the outlet, its date a ``manifest`` claim that outranks the text's."""
    if name.lower().endswith(HTML_SUFFIXES):
        # Imported for the first HTML seed, not with this module: trafilatura, lxml and
        # htmldate take ~0.1 s to import, which a folder of plain-text seeds never needs.
        from extractors.html import FeedHints, extract_html

        hints = FeedHints(published_at=None, language=metadata.language, outlet=metadata.outlet)
        article = extract_html(raw, url=metadata.url, hints=hints)
    else:
        article = extract_plaintext(raw)
    claims = dates.claim(
        dates.MANIFEST,
        metadata.published_at,
        metadata.published_precision,
        metadata.published_from,
    )
    all_claims = (*claims, *article.dates)
    chosen = dates.choose_published(all_claims, now=datetime.now(UTC))
    return replace(
        article,
        outlet=metadata.outlet or article.outlet,
        outlet_source=outlets.MANIFEST if metadata.outlet else article.outlet_source,
        url=metadata.url or article.url,
        published_at=chosen.value.date() if chosen.value else None,
        language=metadata.language or article.language,
        dates=all_claims,
    )
