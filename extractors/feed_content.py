"""An article from the feed's own text, for items whose page cannot be fetched or extracted.

Many feeds carry the full article (content:encoded) or at least a summary; the item is
kept with that text, marked by ``method`` as 'feed-content' or 'feed-summary', and the page
is retried on later runs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

import lxml.html
from lxml.etree import ParserError

from extractors import dates, outlets
from extractors.models import ExtractedArticle, ExtractionError
from extractors.provenance import find_provenance

_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote", "tr")


def html_fragment_text(fragment: str) -> str:
    """Paragraph-preserving text of an HTML fragment."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return re.sub(r"\s+", " ", fragment).strip()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n\n" + (element.tail or "")
    paragraphs = (re.sub(r"\s+", " ", p).strip() for p in root.text_content().split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


class FeedText(Protocol):
    """What an announced item carries (``extractors.feed.FeedItem`` or a stored item)."""

    url: str | None
    title: str | None
    summary: str | None
    content_html: str | None
    author: str | None
    published_at: datetime | None
    language: str | None


def article_from_feed_item(item: FeedText, outlet: str | None = None) -> ExtractedArticle:
    content = html_fragment_text(item.content_html) if item.content_html else ""
    summary = (item.summary or "").strip()
    if len(content) >= len(summary) and content:
        text, method = content, "feed-content"
    elif summary:
        text, method = summary, "feed-summary"
    else:
        raise ExtractionError("no_text", "the feed item has neither content nor summary")
    domain = outlets.registered_domain(item.url)
    provenance = find_provenance(text.split("\n\n"), item.author)
    return ExtractedArticle(
        title=item.title,
        text=text,
        method=method,
        author=item.author,
        published_at=item.published_at,
        outlet=outlet or domain,
        language=item.language,
        url=item.url,
        dates=tuple(dates.claim(dates.FEED_PUBLISHED, item.published_at)),
        outlet_source=outlets.FEED if outlet else (outlets.DOMAIN if domain else None),
        dateline=provenance.dateline_place,
        wire_credit=provenance.wire_credit,
        byline=provenance.byline,
    )
