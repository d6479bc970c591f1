"""Fingerprints computed where articles are extracted, so the writer's dedupe only looks them up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from config.settings import Settings
from extractors.models import ExtractedArticle
from textanalysis.language import article_language

if TYPE_CHECKING:
    from textanalysis.fingerprints import Analysis


def with_language(article: ExtractedArticle) -> ExtractedArticle:
    """``article`` with its language detected from its text and reconciled with the one its
    page or feed declares (``textanalysis.language``; ``und`` when undeterminable). Run in
    the extraction tasks, before ``fingerprints_of``: story terms follow the language."""
    return replace(
        article, language=article_language(article.title, article.text, article.language)
    )


def fingerprints_of(articles: Iterable[ExtractedArticle]) -> dict[bytes, Analysis]:
    """The dedupe's fingerprints of freshly extracted articles, computed in the extraction
    task (a worker process or a Dask worker), so the writer only looks them up."""
    texts = [(a.title, a.text, a.language) for a in articles]
    if not texts:  # e.g. every file of a seed run unchanged
        return {}
    # Imported here, not with this module: it loads numpy, which a run that extracted
    # nothing new never needs (warehouse.dedupe defers it likewise).
    from textanalysis.fingerprints import analyse_ahead

    settings = Settings()
    return analyse_ahead(texts, settings.dedup, settings.stories)
