"""The list of monitored feeds: a TOML config file, with OPML import and export.

The TOML file is the canonical format::

    allowed_hosts = ["example.com"]

    [[feeds]]
    name = "Example News"
    url = "https://example.com/rss.xml"
    outlet = "Example"                  # optional
    tags = ["politics", "uk"]           # optional
    poll_interval_minutes = 30          # optional

OPML (as exported by Feedly, Inoreader, NetNewsWire, ...) is read by ``parse_opml``
and written by ``to_opml``. How OPML maps onto ``FeedSource``:

* every outline with an ``xmlUrl`` (or ``type="rss"``) is a feed; other outlines
  are folders;
* name: the outline's ``text`` (OPML's required, displayed label), else its ``title``;
* outlet: ``presswatch:outlet`` if present (written by ``to_opml``), else the host of
  ``htmlUrl`` without ``www.``. Folder names are not used as outlets: exports group
  feeds by topic far more often than by publication;
* tags: the comma-separated ``category`` attribute (outer slashes stripped), then
  the names of the enclosing folders, outermost first;
* a feed listed in several folders becomes one source with the union of tags;
  feeds that share a name with a different URL get the URL appended to the name.

``allowed_hosts`` has no OPML representation; an OPML file loads with none.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from sources.urls import parse_allowed_hosts


class FeedListError(ValueError):
    """The feed list cannot be used as written; the message names the file and what to fix.

    A ``ValueError`` so that callers written against the earlier, untyped error keep working.
    """


@dataclass(frozen=True)
class FeedSource:
    """One monitored feed. Construction validates; invalid values raise ValueError."""

    name: str
    url: str
    outlet: str | None = None
    tags: tuple[str, ...] = ()
    poll_interval_minutes: int | None = None

    def __post_init__(self) -> None:
        label = _entry_label(self.name, self.url)
        _check_text(self.name, f"{label}: name")
        _check_url(self.url, label)
        if self.outlet is not None:
            _check_text(self.outlet, f"{label}: outlet")
        _check_tags(self.tags, label)
        _check_poll_interval(self.poll_interval_minutes, label)


@dataclass(frozen=True)
class FeedList:
    """The monitored feeds (names and URLs unique) and the hosts fetching may contact."""

    feeds: tuple[FeedSource, ...]
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.allowed_hosts, tuple):
            raise ValueError("allowed_hosts must be a list of host names")
        for host in self.allowed_hosts:
            if not isinstance(host, str) or not host or any(char.isspace() for char in host):
                raise ValueError(
                    f"allowed_hosts: {host!r} is not a host name; list host names, "
                    'addresses or CIDR ranges such as "intranet.example" or "10.1.0.0/16"'
                )
        try:
            parse_allowed_hosts(self.allowed_hosts)
        except ValueError as error:
            raise ValueError(
                f"allowed_hosts: {error}; list host names, addresses or CIDR ranges such as "
                '"intranet.example" or "10.1.0.0/16"'
            ) from None
        _check_unique("name", (source.name for source in self.feeds))
        _check_unique("url", (source.url for source in self.feeds))


# --- editing -------------------------------------------------------------------------


def add_feed(feed_list: FeedList, source: FeedSource) -> FeedList:
    """Add ``source``; entries with the same url or name are replaced, in place of the first."""
    feeds: list[FeedSource] = []
    placed = False
    for existing in feed_list.feeds:
        if existing.url != source.url and existing.name != source.name:
            feeds.append(existing)
        elif not placed:
            feeds.append(source)
            placed = True
    if not placed:
        feeds.append(source)
    return replace(feed_list, feeds=tuple(feeds))


def remove_feed(feed_list: FeedList, name_or_url: str) -> FeedList:
    """Remove the feed with this name or url; KeyError if there is none."""
    kept = tuple(
        source for source in feed_list.feeds if name_or_url not in (source.name, source.url)
    )
    if len(kept) == len(feed_list.feeds):
        raise KeyError(name_or_url)
    return replace(feed_list, feeds=kept)


# --- files ---------------------------------------------------------------------------


def load_feed_list(path: Path) -> FeedList:
    """Read a TOML feed list, or an OPML file (``.opml`` suffix or XML content).

    A missing file is an empty list. Invalid content raises ``FeedListError`` naming the file
    and what to fix.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return FeedList(feeds=())
    except OSError as error:
        raise FeedListError(f"{path}: cannot be read ({error.strerror})") from error
    try:
        if _is_opml(path, data):
            return FeedList(feeds=parse_opml(data))
        return _feed_list_from_toml(tomllib.loads(_decode_toml(data)))
    except ValueError as error:  # includes TOMLDecodeError
        raise FeedListError(f"{path}: {error}") from error


def _decode_toml(data: bytes) -> str:
    """TOML is UTF-8 by definition; say where it is not, and how to fix it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(
            f"not UTF-8 (byte 0x{data[error.start]:02x} on line {line}); save the file as UTF-8"
        ) from None


def save_feed_list(feed_list: FeedList, path: Path) -> None:
    """Write ``feed_list`` to ``path`` as TOML, atomically."""
    if path.suffix.lower() in {".opml", ".xml"}:
        raise ValueError(f"{path}: save_feed_list writes TOML; use to_opml for OPML")
    _write_atomically(path, _to_toml(feed_list).encode("utf-8"))


def _is_opml(path: Path, data: bytes) -> bool:
    """TOML cannot start with "<", so any markup is taken for OPML."""
    return path.suffix.lower() == ".opml" or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a partial write. An existing
    file's permissions are kept (mkstemp would otherwise leave 0600)."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    path.parent.mkdir(parents=True, exist_ok=True)  # the data folder on a first `feeds add`
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


# --- TOML ----------------------------------------------------------------------------

_TOP_LEVEL_KEYS = frozenset({"allowed_hosts", "feeds"})
_FEED_KEYS = frozenset({"name", "url", "outlet", "tags", "poll_interval_minutes"})


def _feed_list_from_toml(document: Mapping[str, Any]) -> FeedList:
    _check_known_keys(document, _TOP_LEVEL_KEYS, "top level")
    tables = document.get("feeds", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise ValueError("feeds must be an array of tables ([[feeds]])")
    return FeedList(
        feeds=tuple(_source_from_toml(table) for table in tables),
        allowed_hosts=_as_tuple(document.get("allowed_hosts", [])),
    )


def _source_from_toml(table: Mapping[str, Any]) -> FeedSource:
    _check_known_keys(table, _FEED_KEYS, _entry_label(table.get("name"), table.get("url")))
    return FeedSource(
        name=table.get("name"),
        url=table.get("url"),
        outlet=table.get("outlet"),
        tags=_as_tuple(table.get("tags", [])),
        poll_interval_minutes=table.get("poll_interval_minutes"),
    )


def _as_tuple(value: Any) -> Any:
    """TOML arrays arrive as lists; anything else is passed on for validation to reject."""
    return tuple(value) if isinstance(value, list) else value


def _check_known_keys(table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")


_TOML_STRING_ESCAPES = str.maketrans(
    {chr(code): f"\\u{code:04X}" for code in [*range(0x20), 0x7F]}
    | {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
)


def _to_toml(feed_list: FeedList) -> str:
    lines = [f"allowed_hosts = {_toml_array(feed_list.allowed_hosts)}"]
    for source in feed_list.feeds:
        lines += ["", "[[feeds]]", f"name = {_toml_string(source.name)}"]
        lines.append(f"url = {_toml_string(source.url)}")
        if source.outlet is not None:
            lines.append(f"outlet = {_toml_string(source.outlet)}")
        if source.tags:
            lines.append(f"tags = {_toml_array(source.tags)}")
        if source.poll_interval_minutes is not None:
            lines.append(f"poll_interval_minutes = {source.poll_interval_minutes}")
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped."""
    return f'"{value.translate(_TOML_STRING_ESCAPES)}"'


def _toml_array(values: Iterable[str]) -> str:
    return f"[{', '.join(_toml_string(value) for value in values)}]"


# --- OPML ----------------------------------------------------------------------------

PRESSWATCH_OPML_NAMESPACE = "urn:x-presswatch:opml"
# expat reports namespaced names as "<namespace> <local name>"; keys are lowercased.
_OUTLET_ATTRIBUTE = f"{PRESSWATCH_OPML_NAMESPACE} outlet"
_POLL_INTERVAL_ATTRIBUTE = f"{PRESSWATCH_OPML_NAMESPACE} pollintervalminutes"
_XML_ILLEGAL_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class _Outline:
    attributes: dict[str, str]  # names lowercased: exporters disagree on xmlUrl's case
    children: list[_Outline] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        value = self.attributes.get(name, "").strip()
        return value or None

    @property
    def label(self) -> str | None:
        return self.get("text") or self.get("title")

    @property
    def is_feed(self) -> bool:
        return "xmlurl" in self.attributes or self.attributes.get("type", "").lower() == "rss"


def parse_opml(data: bytes) -> tuple[FeedSource, ...]:
    """The feeds of an OPML document (see the module docstring for the mapping).

    Documents with a DOCTYPE are refused outright, so no entity, internal or
    external, is ever declared, let alone expanded.
    """
    sources = [
        _source_from_outline(outline, folders)
        for outline, folders in _walk(_read_outlines(data))
        if outline.is_feed
    ]
    return _disambiguate_names(_merge_same_url(sources))


def to_opml(feed_list: FeedList) -> str:
    """An OPML 2.0 document listing every feed; ``parse_opml`` reads it back unchanged."""
    outlines = "".join(f"    <outline {_opml_attributes(source)}/>\n" for source in feed_list.feeds)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<opml version="2.0" xmlns:presswatch="{PRESSWATCH_OPML_NAMESPACE}">\n'
        "  <head>\n    <title>presswatch feeds</title>\n  </head>\n"
        f"  <body>\n{outlines}  </body>\n"
        "</opml>\n"
    )


class _OutlineTreeBuilder:
    """Collects the outline tree from expat events, refusing any DOCTYPE."""

    def __init__(self) -> None:
        self.roots: list[_Outline] = []
        self.root_element: str | None = None
        self._open: list[_Outline] = []

    def refuse_doctype(self, *_: object) -> None:
        raise ValueError("OPML with a DOCTYPE is refused (entity declarations are not allowed)")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local_name = name.rpartition(" ")[2]
        if self.root_element is None:
            self.root_element = local_name
        if local_name != "outline":
            return
        outline = _Outline({key.lower(): value for key, value in attributes.items()})
        (self._open[-1].children if self._open else self.roots).append(outline)
        self._open.append(outline)

    def end(self, name: str) -> None:
        if name.rpartition(" ")[2] == "outline":
            self._open.pop()


def _read_outlines(data: bytes) -> list[_Outline]:
    builder = _OutlineTreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = builder.refuse_doctype
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise ValueError(f"not well-formed OPML: {error}") from error
    if builder.root_element != "opml":
        raise ValueError(f"not an OPML document (root element {builder.root_element!r})")
    return builder.roots


def _walk(roots: list[_Outline]) -> Iterator[tuple[_Outline, tuple[str, ...]]]:
    """Every outline in document order, with the names of the folders enclosing it.
    Iterative, so that absurdly deep nesting cannot exhaust the call stack."""
    pending: list[tuple[_Outline, tuple[str, ...]]] = [(root, ()) for root in reversed(roots)]
    while pending:
        outline, folders = pending.pop()
        yield outline, folders
        folder = None if outline.is_feed else outline.label
        inner_folders = (*folders, folder) if folder else folders
        pending.extend((child, inner_folders) for child in reversed(outline.children))


def _source_from_outline(outline: _Outline, folders: tuple[str, ...]) -> FeedSource:
    url = outline.get("xmlurl")
    label = _entry_label(outline.label, url)
    return FeedSource(
        name=outline.label or "",  # FeedSource reports empty values as missing
        url=url or "",
        outlet=outline.get(_OUTLET_ATTRIBUTE) or _site_host(outline.get("htmlurl")),
        tags=_unique([*_category_tags(outline.get("category")), *folders]),
        poll_interval_minutes=_opml_poll_interval(outline.get(_POLL_INTERVAL_ATTRIBUTE), label),
    )


def _category_tags(category: str | None) -> list[str]:
    """OPML ``category``: comma-separated, slash-delimited paths such as "/Tech/AI,news"."""
    if category is None:
        return []
    tags = (part.strip().strip("/").strip() for part in category.split(","))
    return [tag for tag in tags if tag]


def _site_host(html_url: str | None) -> str | None:
    """The site's host; htmlUrl is informational, so a malformed one is ignored."""
    try:
        host = urlsplit(html_url).hostname if html_url else None
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _opml_poll_interval(value: str | None, label: str) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"{label}: poll interval {value!r} is not a whole number of minutes")
    return int(value)


def _merge_same_url(sources: list[FeedSource]) -> list[FeedSource]:
    """A feed filed under several folders appears once, with all their tags."""
    by_url: dict[str, FeedSource] = {}
    for source in sources:
        first = by_url.setdefault(source.url, source)
        if first is not source:
            by_url[source.url] = replace(first, tags=_unique([*first.tags, *source.tags]))
    return list(by_url.values())


def _disambiguate_names(sources: list[FeedSource]) -> tuple[FeedSource, ...]:
    """Names are keys of a FeedList; URLs are unique by now, so they tell same-named feeds apart."""
    name_counts = Counter(source.name for source in sources)
    return tuple(
        replace(source, name=f"{source.name} ({source.url})")
        if name_counts[source.name] > 1
        else source
        for source in sources
    )


def _opml_attributes(source: FeedSource) -> str:
    attributes = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.url}
    if source.tags:
        attributes["category"] = _opml_category(source)
    if source.outlet is not None:
        attributes["presswatch:outlet"] = source.outlet
    if source.poll_interval_minutes is not None:
        attributes["presswatch:pollIntervalMinutes"] = str(source.poll_interval_minutes)
    for value in attributes.values():
        if _XML_ILLEGAL_CHARACTER.search(value):
            raise ValueError(f"feed {source.name!r}: {value!r} contains characters XML forbids")
    return " ".join(f"{name}={quoteattr(value)}" for name, value in attributes.items())


def _opml_category(source: FeedSource) -> str:
    for tag in source.tags:
        if "," in tag or tag.startswith("/") or tag.endswith("/"):
            raise ValueError(
                f"feed {source.name!r}: tag {tag!r} cannot be written to OPML's category"
                " attribute (commas separate tags, outer slashes are path syntax)"
            )
    return ",".join(source.tags)


# --- validation ----------------------------------------------------------------------


def _entry_label(name: object, url: object) -> str:
    """How error messages name a feed entry."""
    if isinstance(name, str) and name.strip():
        return f"feed {name!r}"
    if isinstance(url, str) and url.strip():
        return f"feed with url {url!r}"
    return "unnamed feed without url"


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is required and must be a non-empty string")
    if value != value.strip():
        raise ValueError(f"{what} {value!r} must not start or end with whitespace")
    return value


def _check_url(value: object, label: str) -> None:
    url = _check_text(value, f"{label}: url")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise ValueError(f"{label}: url {url!r} is malformed: {error}") from error
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{label}: url {url!r} must be an absolute http(s) URL")


def _check_tags(tags: object, label: str) -> None:
    if not isinstance(tags, tuple):
        raise ValueError(f"{label}: tags must be a list of strings")
    for tag in tags:
        _check_text(tag, f"{label}: tag")
    if len(set(tags)) != len(tags):
        raise ValueError(f"{label}: tags {list(tags)!r} contain duplicates")


def _check_poll_interval(minutes: object, label: str) -> None:
    if minutes is None:
        return
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ValueError(f"{label}: poll_interval_minutes must be a positive integer")


def _check_unique(what: str, values: Iterable[str]) -> None:
    duplicates = sorted(value for value, count in Counter(values).items() if count > 1)
    if duplicates:
        raise ValueError(
            f"duplicate feed {what}(s): {', '.join(map(repr, duplicates))}; "
            f"give every feed its own {what}"
        )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
