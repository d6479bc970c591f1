"""News-sitemap entries as feed items, so a sitemap source flows through the same
pipeline as a feed: the entry's URL is the item's guid and link, its news title and
publication date (else ``lastmod``) and language are the hints page extraction uses."""

from __future__ import annotations

from extractors.feed import FeedItem, ParsedFeed
from sources.sitemap_source import SitemapRead
from sources.sitemaps import SitemapEntry

SITEMAP_VERSION = "news-sitemap"


def parsed_feed_from_sitemap(read: SitemapRead) -> ParsedFeed:
    """The items of a sitemap read; files skipped on the way become the ``bozo_reason``."""
    items = tuple(dict((entry.url, _item(entry)) for entry in read.entries).values())
    return ParsedFeed(
        title=None,
        link=None,
        language=None,
        version=SITEMAP_VERSION,
        items=items,
        bozo_reason=read.problems(),
    )


def _item(entry: SitemapEntry) -> FeedItem:
    return FeedItem(
        guid=entry.url,
        url=entry.url,
        title=entry.news_title,
        summary=None,
        content_html=None,
        author=None,
        published_at=entry.newest_date,
        language=entry.news_language,
    )
