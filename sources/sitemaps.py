"""Sitemaps (sitemaps.org) and Google News sitemaps, parsed into typed entries.

A document is either a sitemap index (``<sitemapindex>``: links to further sitemaps) or a
URL set (``<urlset>``: pages). A URL set is a news sitemap when its entries carry
``<news:news>`` with a publication date and title; those are the hints the pipeline uses
like a feed item's date and title. Elements are matched by local name so that sitemaps
with a wrong or missing namespace still read. Documents declaring XML entities are refused
(entity expansion is how an XML bomb inflates a few kilobytes into gigabytes).
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin
from xml.etree import ElementTree

SITEMAP_INDEX, NEWS_SITEMAP, PLAIN_SITEMAP = "sitemap-index", "news-sitemap", "sitemap"
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """A document that is not a usable sitemap; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` (a page) or one ``<sitemap>`` (a child sitemap) of a document."""

    url: str
    lastmod: datetime | None = None
    news_title: str | None = None
    news_published_at: datetime | None = None
    news_language: str | None = None
    news_keywords: tuple[str, ...] = ()

    @property
    def newest_date(self) -> datetime | None:
        return self.news_published_at or self.lastmod


@dataclass(frozen=True)
class Sitemap:
    kind: str  # SITEMAP_INDEX, NEWS_SITEMAP or PLAIN_SITEMAP
    entries: tuple[SitemapEntry, ...]

    @property
    def newest_date(self) -> datetime | None:
        dates = [entry.newest_date for entry in self.entries if entry.newest_date]
        return max(dates) if dates else None


def parse_sitemap(body: bytes, base_url: str, *, max_bytes: int = 50_000_000) -> Sitemap:
    """Parse a sitemap document (gzipped or not); raise ``SitemapError`` if it is not one.

    ``max_bytes`` bounds the inflated size of a gzipped file (sitemaps.org caps a sitemap
    at 50 MB uncompressed), so a gzip bomb stops there instead of filling memory.
    """
    document = _inflate(body, max_bytes) if body[:2] == _GZIP_MAGIC else body
    if _ENTITY_DECLARATION.search(document[:4096]):
        raise SitemapError("xml_entities", "the document declares XML entities")
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise SitemapError("not_a_sitemap", f"not well-formed XML ({error})") from error
    root_name = _local(root.tag)
    if root_name == "sitemapindex":
        entries = tuple(_entries(root, "sitemap", base_url))
        return Sitemap(SITEMAP_INDEX, entries)
    if root_name == "urlset":
        entries = tuple(_entries(root, "url", base_url))
        news = any(entry.news_published_at or entry.news_title for entry in entries)
        return Sitemap(NEWS_SITEMAP if news else PLAIN_SITEMAP, entries)
    raise SitemapError("not_a_sitemap", f"root element is <{root_name}>")


def looks_like_sitemap(body: bytes) -> bool:
    """Whether ``body`` (gzipped or not) starts like a sitemap or sitemap index."""
    if body[:2] == _GZIP_MAGIC:
        try:
            body = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(body, 4096)
        except zlib.error:
            return False
    head = body[:4096]
    return b"<urlset" in head or b"<sitemapindex" in head


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """A sitemap date (W3C datetime: ``2026-12-01``, ``2026-12-01T08:30:00+01:00``) in UTC."""
    if not value or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _inflate(body: bytes, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        output = decompressor.decompress(body, max_bytes + 1)
    except (zlib.error, gzip.BadGzipFile) as error:
        raise SitemapError("decoding_error", f"broken gzip data ({error})") from error
    if len(output) > max_bytes:
        raise SitemapError("too_large", f"inflates to more than {max_bytes} bytes")
    return output


def _entries(root: ElementTree.Element, element: str, base_url: str) -> list[SitemapEntry]:
    entries = []
    for node in root:
        if _local(node.tag) != element:
            continue
        fields = {_local(child.tag): child for child in node}
        location = (fields["loc"].text or "").strip() if "loc" in fields else ""
        if not location:
            continue
        news = fields.get("news")
        news_fields = {_local(child.tag): child for child in news} if news is not None else {}
        publication = news_fields.get("publication")
        language = None
        if publication is not None:
            language = _text({_local(c.tag): c for c in publication}.get("language"))
        keywords = _text(news_fields.get("keywords")) or ""
        entries.append(
            SitemapEntry(
                url=urljoin(base_url, location),
                lastmod=parse_w3c_datetime(_text(fields.get("lastmod"))),
                news_title=_text(news_fields.get("title")),
                news_published_at=parse_w3c_datetime(_text(news_fields.get("publication_date"))),
                news_language=language,
                news_keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()),
            )
        )
    return entries


def _text(node: ElementTree.Element | None) -> str | None:
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
