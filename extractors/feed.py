"""Typed RSS/Atom parsing on top of feedparser.

``parse_feed`` turns the raw bytes of a feed response into a ``ParsedFeed`` of
``FeedItem`` records. It never touches the network or the filesystem: feedparser
only ever receives an in-memory stream (``feedparser.parse`` treats a ``bytes``
argument that happens to be a valid path as a file name and reads it).

XML safety. Before feedparser sees the document, ``parse_feed`` removes the internal subset
of its DOCTYPE (``<!DOCTYPE rss [ ... ]>`` becomes ``<!DOCTYPE rss>``), in any encoding: no
entity a feed declares is ever expanded. feedparser's own defences would let one internal
entity without references through, and a 40 KB feed referencing a large one many times
would become a 100-million-character article. The removal is recorded in
``ParsedFeed.limits_applied``. Then, as configured by feedparser 6.0.x and relied on too:

* feedparser strips every ``<!ENTITY>`` declaration that starts a line of the
  prolog and re-inserts only internal entities whose value holds no reference
  (so no nesting, no ``SYSTEM``/``PUBLIC`` entities);
* its strict parser is the stdlib expat SAX reader with
  ``feature_external_ges`` off (external parameter entities are off by default),
  so declarations that survive the stripping, such as a one-line internal
  subset, are skipped rather than fetched or read;
* expat >= 2.4 aborts documents whose entity expansion amplifies the input
  excessively (billion laughs); feedparser then falls back to its loose
  parser, which expands only the safe entities above.

Decoded text is bounded too, whatever the parser did: each field is cut at
``MAX_FIELD_CHARS`` and a feed's items stop at ``MAX_FEED_CHARS`` of text in all. At most
``max_items`` items are taken per poll, newest first.

``tests/test_feed_parsing.py`` checks all of this against hostile documents.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from extractors.encoding import strip_controls
from extractors.models import ExtractionError

_UNDECLARED_CONTENT_TYPE = "application/xml"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_WEB_SCHEMES = frozenset({"http", "https"})
_WHITESPACE = re.compile(r"\s+")
_RSS_AUTHOR = re.compile(r"(?P<email>[^\s@()<>]+@[^\s@()<>]+)(?: ?\((?P<name>[^()]*)\))?")

# Bounds on decoded text. A field (title, summary, content) longer than this is cut: the
# longest real articles are a few hundred thousand characters.
MAX_FIELD_CHARS = 1_000_000
# A feed's items stop being taken once their text adds up to this (2x the 10 MB byte limit).
MAX_FEED_CHARS = 20_000_000
# Items taken per poll unless the caller says otherwise (Media Cloud takes at most 2,000).
DEFAULT_MAX_ITEMS = 2_000
# Byte-order marks and BOM-less starts of ``<?`` in the encodings that are not ASCII-compatible.
_WIDE_ENCODINGS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, reduced to the fields the pipeline uses."""

    guid: str | None
    url: str | None  # absolute http(s) link, resolved against the feed's base
    title: str | None  # plain text
    summary: str | None  # plain text
    content_html: str | None  # the longest content:encoded / atom:content, as HTML
    author: str | None
    published_at: datetime | None  # UTC-aware; from the published date, else the updated one
    language: str | None

    @property
    def identity(self) -> str:
        """A stable key for the item: its guid, else its url, else a hash of its text."""
        if self.guid:
            return self.guid
        if self.url:
            return self.url
        text = f"{self.title or ''}\x00{self.summary or ''}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's own metadata plus its items."""

    title: str | None
    link: str | None
    language: str | None
    version: str | None  # feedparser's format name, e.g. "rss20", "atom10"; "" if unknown
    items: tuple[FeedItem, ...]
    bozo_reason: str | None  # why feedparser flagged the document as ill-formed, if it did
    # What was removed or cut to keep the feed bounded, one sentence each (empty: nothing).
    limits_applied: tuple[str, ...] = ()


def parse_feed(
    body: bytes,
    *,
    content_type: str | None = None,
    content_location: str | None = None,
    base_url: str | None = None,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> ParsedFeed:
    """Parse a feed document.

    ``content_type`` and ``content_location`` are the HTTP response headers, if
    any; ``base_url`` is the URL the document was fetched from. Relative links
    are resolved against ``content_location`` (itself resolved against
    ``base_url``), else against ``base_url``. At most ``max_items`` items are
    kept, newest first.

    Raises ``ExtractionError("not_a_feed")`` for documents that are not feeds
    and ``ExtractionError("feed_parse_error")`` for anything unexpected.
    """
    if not body.strip():
        raise ExtractionError("not_a_feed", "empty document")
    try:
        body, removed_subset = without_internal_subset(body)
        result = _run_feedparser(body, content_type, _base_location(content_location, base_url))
        parsed = _to_parsed_feed(result)
    except Exception as error:  # feedparser bugs must not crash the pipeline
        raise ExtractionError("feed_parse_error", _describe(error)) from error
    if not parsed.items and not parsed.version and not parsed.title:
        raise ExtractionError("not_a_feed", parsed.bozo_reason or "no feed elements found")
    notes = ["removed the DOCTYPE's internal subset (entity declarations)"] * removed_subset
    return _bounded(parsed, max_items, notes)


def _bounded(parsed: ParsedFeed, max_items: int, notes: list[str]) -> ParsedFeed:
    """Keep the newest ``max_items`` items (in document order), cut fields to
    ``MAX_FIELD_CHARS`` and stop at ``MAX_FEED_CHARS`` of text; say what was done in
    ``limits_applied``."""
    items = parsed.items
    if len(items) > max_items:
        notes.append(f"took the newest {max_items} of {len(items)} items")
        items = newest(items, max_items)
    kept: list[FeedItem] = []
    total = 0
    cut_fields = 0
    for item in items:
        item, cut = _cut_fields(item)
        cut_fields += cut
        size = _text_size(item)
        if total + size > MAX_FEED_CHARS:
            notes.append(
                f"stopped after {len(kept)} items: their text reached {MAX_FEED_CHARS} characters"
            )
            break
        total += size
        kept.append(item)
    if cut_fields:
        notes.append(f"cut {cut_fields} field(s) to {MAX_FIELD_CHARS} characters")
    return replace(parsed, items=tuple(kept), limits_applied=tuple(notes))


def newest(items: Sequence[FeedItem], count: int) -> tuple[FeedItem, ...]:
    """The ``count`` newest items by publication date, in their document order. Undated
    items rank after dated ones, earlier in the document first (feeds list newest first)."""
    undated_rank = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(
        range(len(items)),
        key=lambda index: (items[index].published_at or undated_rank, -index),
        reverse=True,
    )
    chosen = sorted(ranked[:count])
    return tuple(items[index] for index in chosen)


def _cut_fields(item: FeedItem) -> tuple[FeedItem, int]:
    changes = {
        name: value[:MAX_FIELD_CHARS]
        for name in _TEXT_FIELDS
        if (value := getattr(item, name)) is not None and len(value) > MAX_FIELD_CHARS
    }
    return (replace(item, **changes), len(changes)) if changes else (item, 0)


def _text_size(item: FeedItem) -> int:
    return sum(len(getattr(item, name) or "") for name in _TEXT_FIELDS)


_TEXT_FIELDS = ("guid", "url", "title", "summary", "content_html", "author")


def without_internal_subset(body: bytes) -> tuple[bytes, bool]:
    """``body`` with its DOCTYPE's internal subset removed, and whether there was one.

    Documents in UTF-16 or UTF-32 are searched in their encoding and written back in it.
    """
    codec = next((name for mark, name in _WIDE_ENCODINGS if body.startswith(mark)), None)
    # latin-1 maps bytes to characters one to one, so ASCII-compatible bytes survive as is.
    text = body.decode(codec or "latin-1", errors="replace")
    stripped = _strip_internal_subset(text)
    if stripped is None:
        return body, False
    return stripped.encode(codec or "latin-1", errors="replace"), True


_PROLOG_SKIPS = (("<?", "?>"), ("<!--", "-->"))


def _strip_internal_subset(text: str) -> str | None:
    """Walk the prolog (declarations, comments, whitespace) to the DOCTYPE; return the text
    without the DOCTYPE's ``[...]`` part, or None when there is none. Quoted strings and
    comments inside the subset may hold ``]`` and ``>``, so they are skipped as wholes."""
    position = 0
    while position < len(text):
        if text[position].isspace() or text[position] == "\ufeff":
            position += 1
            continue
        skip = next((end for start, end in _PROLOG_SKIPS if text.startswith(start, position)), None)
        if skip is not None:
            found = text.find(skip, position)
            if found < 0:
                return None
            position = found + len(skip)
            continue
        if text[position : position + 9].upper() == "<!DOCTYPE":
            return _doctype_without_subset(text, position)
        return None
    return None


def _doctype_without_subset(text: str, start: int) -> str | None:
    position = start + 9
    quote: str | None = None
    subset_start: int | None = None
    while position < len(text):
        char = text[position]
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif subset_start is None and char == ">":
            return None  # a DOCTYPE without an internal subset
        elif subset_start is None and char == "[":
            subset_start = position
        elif subset_start is not None and text.startswith("<!--", position):
            end = text.find("-->", position)
            position = len(text) if end < 0 else end + 3
            continue
        elif subset_start is not None and char == "]":
            close = text.find(">", position)
            close = len(text) if close < 0 else close
            return text[:subset_start] + text[position + 1 : close] + text[close:]
        position += 1
    if subset_start is None:
        return None
    return text[:subset_start] + ">"  # an unterminated subset: drop everything after it


def _base_location(content_location: str | None, base_url: str | None) -> str | None:
    """Content-Location may be relative; HTTP resolves it against the request URL."""
    if content_location and base_url:
        return urljoin(base_url, content_location)
    return content_location or base_url


def _run_feedparser(
    body: bytes, content_type: str | None, location: str | None
) -> feedparser.FeedParserDict:
    """Without a content type, feedparser would read the mere presence of other response
    headers as "served with no Content-Type": it flags the feed as bozo and decodes it as
    ISO-8859-1 by default. ``application/xml`` gives the header-less behaviour instead:
    the encoding comes from the BOM or XML declaration, defaulting to UTF-8."""
    headers = {"content-type": content_type or _UNDECLARED_CONTENT_TYPE}
    if location:
        headers["content-location"] = location
    return feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )


def _to_parsed_feed(result: feedparser.FeedParserDict) -> ParsedFeed:
    feed = result.get("feed", {})
    feed_language = _clean(feed.get("language"))
    return ParsedFeed(
        title=_plain_text(feed.get("title"), _detail_type(feed, "title")),
        link=_web_url(feed.get("link")),
        language=feed_language,
        version=result.get("version") or "",
        items=tuple(_to_item(entry, feed_language) for entry in result.get("entries", [])),
        bozo_reason=_bozo_reason(result),
    )


def _bozo_reason(result: feedparser.FeedParserDict) -> str | None:
    if not result.get("bozo"):
        return None
    error = result.get("bozo_exception")
    return _describe(error) if error is not None else "unknown"


def _to_item(entry: Mapping[str, Any], feed_language: str | None) -> FeedItem:
    return FeedItem(
        guid=_clean(entry.get("id")),
        url=_web_url(entry.get("link")),
        title=_plain_text(entry.get("title"), _detail_type(entry, "title")),
        summary=_plain_text(entry.get("summary"), _summary_type(entry)),
        content_html=_longest_content_html(entry.get("content", [])),
        author=_author(entry),
        published_at=_published_at(entry),
        language=_entry_language(entry) or feed_language,
    )


def _author(entry: Mapping[str, Any]) -> str | None:
    """RSS ``<author>`` is "email (Name)"; feedparser's own split of it only knows
    top-level domains of up to four letters, so it is redone here."""
    author = _clean(entry.get("author"))
    rss_author = _RSS_AUTHOR.fullmatch(author) if author else None
    if rss_author:
        return _clean(rss_author["name"]) or rss_author["email"]
    return _clean(entry.get("author_detail", {}).get("name")) or author


def _detail_type(container: Mapping[str, Any], field: str) -> str | None:
    return container.get(f"{field}_detail", {}).get("type")


def _summary_type(entry: Mapping[str, Any]) -> str | None:
    """feedparser copies content into ``summary`` without a ``summary_detail`` when
    an entry has no summary of its own; the copied content's type then applies."""
    if "summary_detail" in entry:
        return _detail_type(entry, "summary")
    summary = entry.get("summary")
    for content in entry.get("content", []):
        if content.get("value") == summary:
            return content.get("type")
    return None


def _longest_content_html(contents: list[Mapping[str, Any]]) -> str | None:
    candidates = [content for content in contents if _clean(content.get("value"))]
    if not candidates:
        return None
    longest = max(candidates, key=lambda content: len(content["value"]))
    if longest.get("type") in _HTML_TYPES:
        return longest["value"]
    return html.escape(longest["value"])


def _entry_language(entry: Mapping[str, Any]) -> str | None:
    """xml:lang as feedparser records it on the entry's text constructs."""
    details = [entry.get("title_detail"), entry.get("summary_detail"), *entry.get("content", [])]
    for detail in details:
        language = _clean(detail.get("language")) if detail else None
        if language:
            return language
    return _clean(entry.get("language"))


def _published_at(entry: Mapping[str, Any]) -> datetime | None:
    """The published date, else the updated one. The ``in`` test sidesteps feedparser's
    deprecated (and warning) alias from ``updated_parsed`` to ``published_parsed``."""
    parsed = entry.get("published_parsed")
    if parsed is None and "updated_parsed" in entry:
        parsed = entry["updated_parsed"]
    return _utc_datetime(parsed) if parsed is not None else None


def _utc_datetime(parsed: time.struct_time) -> datetime | None:
    """feedparser normalises dates to UTC ``struct_time``s."""
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _web_url(value: str | None) -> str | None:
    """Only absolute http(s) URLs are useful downstream; anything else is dropped."""
    url = _clean(value)
    if url is None:
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in _WEB_SCHEMES and parts.netloc else None


def _plain_text(value: str | None, content_type: str | None) -> str | None:
    """Strip markup unless the value is declared plain text; an unknown type is treated
    as HTML, which is what RSS descriptions almost always are."""
    if value is None:
        return None
    if content_type is None or content_type in _HTML_TYPES:
        value = _strip_html(value)
    return _clean(value)


def _clean(value: str | None) -> str | None:
    """One line of plain text: controls and terminal escapes removed, whitespace collapsed."""
    if not value:
        return None
    return _WHITESPACE.sub(" ", strip_controls(value)).strip() or None


def _strip_html(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return extractor.text()


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, keeping words of adjacent blocks apart."""

    _SEPARATING_TAGS = frozenset(
        {"p", "div", "br", "hr", "li", "dt", "dd", "tr", "td", "th", "pre", "blockquote"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "figcaption"}
    )
    _INVISIBLE_TAGS = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._chunks: list[str] = []
        self._invisible_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._INVISIBLE_TAGS:
            self._invisible_depth += 1
        elif tag in self._SEPARATING_TAGS:
            self._chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._INVISIBLE_TAGS:
            self._invisible_depth = max(0, self._invisible_depth - 1)
        elif tag in self._SEPARATING_TAGS:
            self._chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._invisible_depth:
            self._chunks.append(data)

    def text(self) -> str:
        return "".join(self._chunks)


def _describe(error: BaseException) -> str:
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
