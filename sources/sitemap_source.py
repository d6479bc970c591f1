"""Read a news sitemap or a sitemap index as a source, within bounds.

The source's own URL is fetched by the feed flow like a feed (conditional GET, backoff);
this module takes that response and, for an index, follows its children: at most
``max_depth`` levels, ``max_files`` files and ``max_total_bytes`` per poll, skipping
children whose ``lastmod`` is older than the age bound and any URL already read in this
poll (loops). Entries older than the age bound are dropped. A child that fails (HTTP
error, too large, gzip bomb, not a sitemap, a loop) is skipped and named in ``skipped``
with its reason; the entries of the other children are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx

from config.settings import SitemapSettings
from sources.http import FetchError, FetchPolicy, FetchResult, fetch
from sources.sitemaps import SITEMAP_INDEX, Sitemap, SitemapEntry, SitemapError, parse_sitemap

Slot = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class SitemapRead:
    """The page entries read from one sitemap source, and what was skipped and why."""

    entries: tuple[SitemapEntry, ...]
    files_read: int
    skipped: tuple[tuple[str, str], ...] = ()  # (url, reason)

    def problems(self) -> str | None:
        if not self.skipped:
            return None
        listed = "; ".join(f"{url}: {reason}" for url, reason in self.skipped[:5])
        more = f" and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
        return f"skipped {len(self.skipped)} sitemap file(s): {listed}{more}"


@dataclass
class _Reading:
    settings: SitemapSettings
    policy: FetchPolicy
    slot: Slot
    client: httpx.Client
    cutoff: datetime
    seen: set[str] = field(default_factory=set)
    entries: list[SitemapEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0
    total_bytes: int = 0


def read_sitemap_source(
    root: FetchResult,
    *,
    policy: FetchPolicy,
    settings: SitemapSettings,
    now: datetime,
    slot: Slot,
    client: httpx.Client | None = None,
) -> SitemapRead:
    """The recent page entries of the sitemap (or index) fetched as ``root``.

    Raises ``SitemapError`` when the root document itself is not a usable sitemap.
    """
    own_client = client is None
    http = client or httpx.Client()
    try:
        reading = _Reading(
            settings, policy, slot, http, now - timedelta(days=settings.max_age_days)
        )
        reading.seen.update({root.requested_url, root.final_url})
        reading.total_bytes = len(root.body)
        root_map = parse_sitemap(root.body, root.final_url, max_bytes=settings.max_total_bytes)
        _read(reading, root_map, depth=0)
        return SitemapRead(tuple(reading.entries), reading.files + 1, tuple(reading.skipped))
    finally:
        if own_client:
            http.close()


def _read(reading: _Reading, sitemap: Sitemap, depth: int) -> None:
    if sitemap.kind != SITEMAP_INDEX:
        _keep(reading, sitemap.entries)
        return
    for child in sitemap.entries:
        if child.lastmod is not None and child.lastmod < reading.cutoff:
            continue  # not changed within the age bound: nothing recent in it
        reason = _refusal(reading, child.url, depth)
        if reason:
            reading.skipped.append((child.url, reason))
            continue
        reading.seen.add(child.url)
        try:
            with reading.slot(child.url):
                result = fetch(child.url, policy=_remaining(reading), client=reading.client)
            reading.files += 1
            reading.total_bytes += len(result.body)
            reading.seen.add(result.final_url)
            child_map = parse_sitemap(result.body, result.final_url, max_bytes=_bytes_left(reading))
        except (FetchError, SitemapError) as error:
            reading.skipped.append((child.url, error.reason))
            continue
        _read(reading, child_map, depth + 1)


def _refusal(reading: _Reading, url: str, depth: int) -> str | None:
    if url in reading.seen:
        return "loop"
    if depth + 1 > reading.settings.max_depth:
        return "too_deep"
    if reading.files >= reading.settings.max_files:
        return "too_many_files"
    if _bytes_left(reading) <= 0:
        return "too_large"
    if len(reading.entries) >= reading.settings.max_entries:
        return "too_many_entries"
    return None


def _keep(reading: _Reading, entries: tuple[SitemapEntry, ...]) -> None:
    for entry in entries:
        if len(reading.entries) >= reading.settings.max_entries:
            return
        date = entry.newest_date
        if date is None or date >= reading.cutoff:
            reading.entries.append(entry)


def _bytes_left(reading: _Reading) -> int:
    return reading.settings.max_total_bytes - reading.total_bytes


def _remaining(reading: _Reading) -> FetchPolicy:
    """The fetch policy with ``max_bytes`` cut to what is left of the poll's byte budget."""
    return replace(reading.policy, max_bytes=min(reading.policy.max_bytes, _bytes_left(reading)))
