"""Safe edits of the feed list: what ``feeds add`` and ``feeds update`` decide, as pure
functions. Adding never silently replaces an entry (same name or same URL) unless asked;
updating changes only the fields given."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sources.feedlist import FeedList, FeedSource, add_feed

ADDED, UPDATED, UNCHANGED, REFUSED = "added", "updated", "unchanged", "refused"


@dataclass(frozen=True)
class FeedEdit:
    """The feed list after an edit, and what the edit did."""

    feed_list: FeedList
    verdict: str  # ADDED, UPDATED, UNCHANGED or REFUSED
    clashes: tuple[FeedSource, ...] = ()  # the entries an add would replace


@dataclass(frozen=True)
class FeedChanges:
    """The fields ``feeds update`` was given; None means keep the current value."""

    url: str | None = None
    outlet: str | None = None
    tags: tuple[str, ...] | None = None
    poll_interval_minutes: int | None = None


def find_feed(feed_list: FeedList, name_or_url: str) -> FeedSource | None:
    return next((f for f in feed_list.feeds if name_or_url in (f.name, f.url)), None)


def plan_add(feed_list: FeedList, source: FeedSource, *, replace_existing: bool) -> FeedEdit:
    """Add ``source``. An entry with the same name or URL is a clash: identical means
    unchanged, otherwise refused unless ``replace_existing`` (then it is replaced)."""
    clashes = tuple(f for f in feed_list.feeds if source.name == f.name or source.url == f.url)
    if not clashes:
        return FeedEdit(add_feed(feed_list, source), ADDED)
    if clashes == (source,):
        return FeedEdit(feed_list, UNCHANGED)
    if not replace_existing:
        return FeedEdit(feed_list, REFUSED, clashes)
    return FeedEdit(add_feed(feed_list, source), UPDATED, clashes)


def plan_update(feed_list: FeedList, name: str, changes: FeedChanges) -> FeedEdit:
    """Change the given fields of the feed named ``name`` (KeyError if there is none).
    Raises ValueError when the new values are invalid or the new URL is another feed's."""
    current = find_feed(feed_list, name)
    if current is None:
        raise KeyError(name)
    fields = {k: v for k, v in changes.__dict__.items() if v is not None}
    updated = replace(current, **fields)
    if updated == current:
        return FeedEdit(feed_list, UNCHANGED)
    feeds = tuple(updated if f is current else f for f in feed_list.feeds)
    return FeedEdit(replace(feed_list, feeds=feeds), UPDATED)
