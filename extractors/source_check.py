"""Is a fetched document the feed or news sitemap it was announced as?

The inspector ``sources.discovery`` uses: RSS and Atom are parsed with the feed parser the
pipeline uses, JSON Feed (jsonfeed.org) is read here, sitemaps with ``sources.sitemaps``.
An HTML page served at ``/feed`` (a soft 404) or a sitemap without news entries is refused
with a reason.
"""

from __future__ import annotations

import json
from datetime import datetime

from extractors.feed import parse_feed
from extractors.models import ExtractionError
from sources.discovery import FEED, SITEMAP, Inspection, NotASource
from sources.http import FetchResult
from sources.sitemaps import (
    NEWS_SITEMAP,
    SITEMAP_INDEX,
    SitemapError,
    looks_like_sitemap,
    parse_sitemap,
    parse_w3c_datetime,
)

JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"


def inspect_document(result: FetchResult) -> Inspection:
    """What ``result`` is, with its item count and newest item date; ``NotASource`` if neither."""
    body = result.body.lstrip()
    content_type = result.headers.get("content-type")
    if body.startswith(b"{"):
        return _json_feed(body)
    if looks_like_sitemap(body):
        return _sitemap(result)
    if _looks_like_html(body, content_type):
        raise NotASource("not_a_feed", f"an HTML page ({content_type or 'no Content-Type'})")
    try:
        feed = parse_feed(result.body, content_type=content_type, base_url=result.final_url)
    except ExtractionError as error:
        raise NotASource("not_a_feed", error.detail) from error
    if not feed.version:
        raise NotASource("not_a_feed", feed.bozo_reason or "no RSS or Atom elements")
    dates = [item.published_at for item in feed.items if item.published_at]
    return Inspection(
        kind=_feed_kind(feed.version),
        claim=FEED,
        title=feed.title,
        item_count=len(feed.items),
        newest_item_at=max(dates) if dates else None,
    )


def _feed_kind(version: str) -> str:
    return "atom" if version.startswith("atom") else "rss"


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    start = body[:200].lower()
    declared_html = bool(content_type) and "html" in content_type.lower()
    return start.startswith((b"<!doctype html", b"<html")) or (
        declared_html and not start.startswith(b"<?xml")
    )


def _sitemap(result: FetchResult) -> Inspection:
    try:
        sitemap = parse_sitemap(result.body, result.final_url)
    except SitemapError as error:
        raise NotASource(error.reason, error.detail) from error
    if sitemap.kind not in (NEWS_SITEMAP, SITEMAP_INDEX):
        raise NotASource("not_a_news_sitemap", "a sitemap without <news:news> entries")
    return Inspection(
        kind=sitemap.kind,
        claim=SITEMAP,
        title=None,
        item_count=len(sitemap.entries),
        newest_item_at=sitemap.newest_date,
    )


def _json_feed(body: bytes) -> Inspection:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise NotASource("not_a_feed", f"invalid JSON ({error})") from error
    version = document.get("version") if isinstance(document, dict) else None
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION_PREFIX):
        raise NotASource("not_a_feed", "JSON without a jsonfeed.org version")
    if not isinstance(items, list):
        raise NotASource("not_a_feed", "JSON Feed without an items list")
    dates = [
        date
        for item in items
        if isinstance(item, dict)
        for date in [_json_date(item.get("date_published") or item.get("date_modified"))]
        if date
    ]
    title = document.get("title")
    return Inspection(
        kind="json-feed",
        claim=FEED,
        title=title if isinstance(title, str) else None,
        item_count=len(items),
        newest_item_at=max(dates) if dates else None,
    )


def _json_date(value: object) -> datetime | None:
    return parse_w3c_datetime(value) if isinstance(value, str) else None
