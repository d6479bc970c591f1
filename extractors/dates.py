"""Publication dates: every date an article was given, with its source, and the pure rule
that picks ``published_at`` among them.

Sources, from the most to the least trusted (``SOURCE_RANK``):

1. ``manifest``: a date a person wrote in a seed folder's ``manifest.csv``;
2. ``feed_published``: the feed item's ``published`` date (else its ``updated`` one),
   which the CMS writes from its own record of the article;
3. ``json_ld`` / ``article_published_time``: the page's own explicit metadata
   (``datePublished`` in JSON-LD, the ``article:published_time`` meta tag);
4. ``text``: a date line printed in a pasted page ("12 March 2024");
5. ``htmldate``: htmldate's guess (it reads the URL, metadata and visible dates, and is
   wrong on about one page in seven of the WCXB corpus).

``first_seen`` is recorded too but is never a publication date: the reports already fall
back to it when ``published_at`` is empty.

Distrusted, whatever their source: a date more than a day in the future (time zones
allowed for), and a date more than ``DECADES_BEFORE_FEED`` years before the median of the
feed's other dated items (a 1970 epoch or a copyright year read as a date).

A feed that stamps every item with the time it was fetched says nothing about when the
article was written. Such a feed date (the feed's items share one minute, or the date
falls within the fetch) ranks below the page's explicit metadata (``json_ld``,
``article_published_time``), still above htmldate's guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MANIFEST = "manifest"
FEED_PUBLISHED = "feed_published"
JSON_LD = "json_ld"
META_PUBLISHED_TIME = "article_published_time"
TEXT = "text"
HTMLDATE = "htmldate"
FIRST_SEEN = "first_seen"

SOURCE_RANK = {
    MANIFEST: 0,
    FEED_PUBLISHED: 1,
    JSON_LD: 3,
    META_PUBLISHED_TIME: 4,
    TEXT: 5,
    HTMLDATE: 6,
}
FEED_SOURCES = frozenset({FEED_PUBLISHED})
EXPLICIT_PAGE_SOURCES = frozenset({JSON_LD, META_PUBLISHED_TIME})
# Where a stamped feed date ranks: after the page's explicit metadata, before the guesses.
STAMPED_FEED_RANK = 4.5

DAY, MONTH, YEAR, RANGE = "day", "month", "year", "range"
# A claim that only names a year says too little to place an article in a report. A month
# claim stands for the month's first day; a range claim ("between the 8th and the 11th")
# for its last day, the latest the article can have appeared.
USABLE_PRECISIONS = frozenset({DAY, MONTH, RANGE})

FUTURE_TOLERANCE = timedelta(days=1)
DECADES_BEFORE_FEED = 30  # years (a 1970 epoch or 1900 placeholder, not an old article)
# A feed stamps its items when this share of them fall in one minute (and there are enough).
STAMPED_SHARE = 0.8
STAMPED_MIN_ITEMS = 3
# A feed date this close to the fetch is the fetch time, not the article's.
FETCH_STAMP_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class DateClaim:
    """One date an article was given, where it came from, and how precise it is."""

    source: str
    value: datetime  # UTC-aware
    precision: str = DAY
    earliest: datetime | None = None  # a range claim's first day


@dataclass(frozen=True)
class FeedDates:
    """What the feed's other items say about its dates (for the outlier and stamp tests)."""

    median: datetime | None = None
    stamped: bool = False


@dataclass(frozen=True)
class DateChoice:
    """The chosen publication date (or none) and the claims set aside, with the reason."""

    value: datetime | None
    source: str | None
    distrusted: tuple[tuple[DateClaim, str], ...] = ()


def as_utc(value: date | datetime) -> datetime:
    """A date or datetime as a UTC-aware datetime (a bare date is midnight UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


def claim(
    source: str,
    value: date | datetime | None,
    precision: str = DAY,
    earliest: date | datetime | None = None,
) -> list[DateClaim]:
    """A one-claim list, or an empty one when ``value`` is None (for building claim lists)."""
    if value is None:
        return []
    return [DateClaim(source, as_utc(value), precision, as_utc(earliest) if earliest else None)]


def feed_dates(values: Iterable[datetime]) -> FeedDates:
    """The profile of a feed's item dates: their median, and whether the feed stamps them."""
    dates = sorted(as_utc(v) for v in values)
    if not dates:
        return FeedDates()
    minutes = Counter(d.replace(second=0, microsecond=0) for d in dates)
    stamped = len(dates) >= STAMPED_MIN_ITEMS and minutes.most_common(1)[0][
        1
    ] >= STAMPED_SHARE * len(dates)
    median = dates[len(dates) // 2] if len(dates) % 2 else _midpoint(dates)
    return FeedDates(median=median, stamped=stamped)


def _midpoint(dates: Sequence[datetime]) -> datetime:
    lower, upper = dates[len(dates) // 2 - 1], dates[len(dates) // 2]
    return lower + (upper - lower) / 2


def distrust_reason(
    candidate: DateClaim, *, now: datetime, feed: FeedDates | None = None
) -> str | None:
    """Why ``candidate`` cannot be a publication date, or None when it can."""
    if candidate.precision not in USABLE_PRECISIONS:
        return "imprecise"
    if candidate.value > now + FUTURE_TOLERANCE:
        return "future"
    if feed is not None and feed.median is not None:
        earliest = feed.median.replace(year=max(1, feed.median.year - DECADES_BEFORE_FEED))
        if candidate.value < earliest:
            return "decades_before_feed"
    return None


def _rank(candidate: DateClaim, stamped_feed: bool) -> float:
    if stamped_feed and candidate.source in FEED_SOURCES:
        return STAMPED_FEED_RANK
    return SOURCE_RANK.get(candidate.source, len(SOURCE_RANK))


def is_fetch_stamp(candidate: DateClaim, fetched_from: datetime, fetched_to: datetime) -> bool:
    """A feed date inside the fetch window (give or take a few minutes) is the fetch time."""
    return (
        candidate.source in FEED_SOURCES
        and fetched_from - FETCH_STAMP_SLACK <= candidate.value <= fetched_to + FETCH_STAMP_SLACK
    )


def choose_published(
    claims: Iterable[DateClaim],
    *,
    now: datetime,
    feed: FeedDates | None = None,
    fetched_from: datetime | None = None,
) -> DateChoice:
    """The publication date by the rule of the module docstring.

    ``now`` is when the article is loaded (the end of the fetch window), ``fetched_from``
    when its run started fetching (None: no fetch window, e.g. seed files); ``feed`` the
    profile of the feed's other items (None: no feed).
    """
    trusted: list[DateClaim] = []
    distrusted: list[tuple[DateClaim, str]] = []
    for candidate in claims:
        if candidate.source == FIRST_SEEN:
            continue
        reason = distrust_reason(candidate, now=now, feed=feed)
        if reason is None:
            trusted.append(candidate)
        else:
            distrusted.append((candidate, reason))
    if not trusted:
        return DateChoice(None, None, tuple(distrusted))
    page_states_date = any(c.source in EXPLICIT_PAGE_SOURCES for c in trusted)
    stamped = page_states_date and (
        (feed is not None and feed.stamped)
        or (fetched_from is not None and any(is_fetch_stamp(c, fetched_from, now) for c in trusted))
    )
    best = min(trusted, key=lambda c: (_rank(c, stamped), c.value))
    return DateChoice(best.value, best.source, tuple(distrusted))
