"""The coverage report as a reader sees it: typed tables of rows, built once from the
report of ``warehouse.reports.coverage_report`` and drawn by three thin renderers
(``reporting.terminal``, ``reporting.markdown``, ``reporting.html``).

A table says which row fields it shows, how each reads (``cells.Kind``), which field
holds the link of a column's text, and which columns matter least (dropped first when a
terminal is narrow). The values stay raw here; ``cells.cell`` formats them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reporting.cells import Kind, cell, day_with_year, safe_link

UNKNOWN_OUTLET = "unknown outlet"
TIMELINE_DAYS_SHOWN = 8


@dataclass(frozen=True)
class Column:
    """One column: the row field it shows, its header, how it reads, the row field whose
    URL its text links to, and its rank when space is short (0 is never dropped; higher
    ranks are dropped first)."""

    key: str
    header: str
    kind: Kind = Kind.TEXT
    link: str | None = None
    drop_rank: int = 0
    min_width: int = 8  # a text column is never cut narrower than this


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    note: str = ""


@dataclass(frozen=True)
class CoverageView:
    """What every surface shows of a coverage report, in order."""

    headline: tuple[str, ...]  # phrases of the one-line summary, never split inside
    period: str
    filters: tuple[tuple[str, str], ...]  # (name, value) of the active filters
    summary: str  # one paragraph: period, counts, top stories and outlets, change
    tables: tuple[Table, ...] = field(default=())

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def link_of(row: dict[str, Any], column: Column) -> str | None:
    """The URL ``column``'s text links to in ``row``, when it is safe to follow."""
    return safe_link(row.get(column.link)) if column.link else None


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def headline(totals: dict[str, Any]) -> tuple[str, ...]:
    return (
        f"{totals['articles']:,} articles",
        f"{totals['distinct_articles']:,} distinct after deduplication",
        f"in {_plural(totals['stories'], 'story', 'stories')}",
        f"from {_plural(totals['outlets'], 'known outlet', 'known outlets')}",
    )


def period(report: dict[str, Any]) -> tuple[date | None, date | None]:
    """The reporting period: ``--since``/``--until`` where given, else the first and last
    day with articles."""
    filters, totals = report.get("filters") or {}, report["totals"]
    return (filters.get("since") or totals.get("first_day"),
            filters.get("until") or totals.get("last_day"))  # fmt: skip


def period_text(report: dict[str, Any]) -> str:
    first, last = period(report)
    if not first or not last:
        return ""
    if first == last:
        return day_with_year(first)
    return f"{day_with_year(first)} – {day_with_year(last)}"


def _change_text(report: dict[str, Any]) -> str:
    previous = report.get("previous_period")
    if not previous or not previous.get("first_day"):
        return ""
    before, now = int(previous["articles"]), int(report["totals"]["articles"])
    span = f"the previous {_plural(int(previous['days']), 'day', 'days')}"
    if before == 0:
        return f" There were no articles in {span}."
    change = (now - before) / before * 100
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    amount = f" {abs(change):.0f}%" if direction != "unchanged" else ""
    return f" That is {direction}{amount} on {span} ({_plural(before, 'article', 'articles')})."


def summary_paragraph(report: dict[str, Any]) -> str:
    """The report in one paragraph: period, counts, top stories and outlets, change."""
    totals = report["totals"]
    if not totals["articles"]:
        return "No articles in this period."
    first, last = period(report)
    if first and last and first != last:
        opening = f"Between {day_with_year(first)} and {day_with_year(last)}, "
    else:
        opening = f"On {day_with_year(first)}, " if first else ""
    text = (
        f"{opening}presswatch found {_plural(totals['articles'], 'article', 'articles')} "
        f"({totals['distinct_articles']:,} distinct, "
        f"{_plural(totals.get('copies', 0), 'copy', 'copies')}) "
        f"in {_plural(totals['stories'], 'story', 'stories')} "
        f"from {_plural(totals['outlets'], 'known outlet', 'known outlets')}."
    )
    top_stories = [s for s in report["stories"][:3] if s.get("label")]
    if top_stories:
        names = "; ".join(
            f"“{cell(s['label'])}” ({_plural(int(s['articles']), 'article', 'articles')})"
            for s in top_stories
        )
        text += f" The biggest {'story was' if len(top_stories) == 1 else 'stories were'} {names}."
    top_outlets = [o for o in report["outlets"] if o["outlet"] != "(unknown)"][:3]
    if top_outlets:
        names = ", ".join(f"{cell(o['outlet'])} ({int(o['articles']):,})" for o in top_outlets)
        text += f" Most coverage came from {names}."
    return text + _change_text(report)


def _timeline_text(points: list[tuple[date, int]]) -> str:
    shown = [f"{day.isoformat()}: {count:,}" for day, count in points[:TIMELINE_DAYS_SHOWN]]
    more = len(points) - len(shown)
    return ", ".join(shown) + (f" (+{more} more days)" if more > 0 else "")


def stories_table(report: dict[str, Any], limit: int | None = None) -> Table:
    timeline: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for row in report["timeline"]:
        timeline[row["story_id"]].append((row["day"], int(row["articles"])))
    rows = []
    for story in report["stories"]:
        original = ""
        if story.get("original_id"):
            outlet = story.get("original_outlet") or UNKNOWN_OUTLET
            original = f"{story.get('original_title') or ''} ({outlet})"
        rows.append(
            {
                **story,
                "original": original,
                "timeline_text": _timeline_text(sorted(timeline.get(story["story_id"], []))),
            }
        )
    total = report["totals"]["stories"]
    title = "Stories"
    if limit and total > len(rows):
        title += f" (the {len(rows):,} biggest of {total:,}; --limit 0 for all)"
    return Table(
        "stories",
        title,
        (
            Column("label", "story", min_width=24),
            Column("articles", "articles", Kind.COUNT),
            Column("distinct_articles", "distinct", Kind.COUNT, drop_rank=2),
            Column("copies", "copies", Kind.COUNT),
            Column("outlets", "outlets", Kind.COUNT, drop_rank=3),
            Column("weighted_share", "weighted share", Kind.SHARE, drop_rank=4),
            Column("first_seen", "first seen", Kind.DAY, drop_rank=5),
            Column("outlet_names", "outlet names", drop_rank=6),
            Column("original", "original", link="original_url", drop_rank=7),
            Column("copied_by", "copied by", drop_rank=8),
            Column("timeline_text", "timeline", drop_rank=9),
            Column("story_id", "story id", drop_rank=10),
        ),
        tuple(rows),
    )


def outlets_table(report: dict[str, Any], limit: int | None = None) -> Table:
    outlets = report["outlets"]
    title = "Outlets"
    if limit and len(outlets) > limit:
        title = f"Outlets (the {limit:,} biggest of {len(outlets):,})"
        outlets = outlets[:limit]
    return Table(
        "outlets",
        title,
        (
            Column("outlet", "outlet", min_width=16),
            Column("articles", "articles", Kind.COUNT),
            Column("share", "share", Kind.SHARE, drop_rank=3),
            Column("weight", "weight", Kind.SCORE, drop_rank=5),
            Column("weighted_share", "weighted share", Kind.SHARE, drop_rank=2),
            Column("originals", "originals", Kind.COUNT, drop_rank=4),
            Column("copies", "copies", Kind.COUNT, drop_rank=1),
            Column("stories", "stories", Kind.COUNT, drop_rank=6),
            Column("first_article", "first", Kind.DAY, drop_rank=7),
            Column("last_article", "last", Kind.DAY, drop_rank=7),
        ),
        tuple(outlets),
    )


def days_table(report: dict[str, Any], limit: int | None = None) -> Table:
    days = report["days"]
    title = "Days"
    if limit and len(days) > limit:
        title = f"Days (the latest {limit:,} of {len(days):,})"
        days = days[-limit:]
    return Table(
        "days",
        title,
        (
            Column("day", "day", Kind.DAY),
            Column("articles", "articles", Kind.COUNT),
            Column("distinct_articles", "distinct", Kind.COUNT),
            Column("copies", "copies", Kind.COUNT),
            Column("stories", "stories", Kind.COUNT, drop_rank=1),
            Column("outlets", "outlets", Kind.COUNT, drop_rank=2),
        ),
        tuple(days),
    )


def watchlists_table(report: dict[str, Any]) -> Table:
    """Share of voice per watchlist: placements (every article, copies included) and
    copies counted once, each with its share of all watchlists' figures."""
    rows = [{**w, "queries_text": " | ".join(w["queries"])} for w in report["watchlists"]]
    return Table(
        "watchlists",
        "Watchlists: share of voice",
        (
            Column("name", "watchlist"),
            Column("articles", "placements", Kind.COUNT),
            Column("share_of_voice", "share", Kind.SHARE),
            Column("distinct_articles", "copies once", Kind.COUNT, drop_rank=2),
            Column("distinct_share_of_voice", "share", Kind.SHARE, drop_rank=2),
            Column("queries_text", "queries", drop_rank=1),
        ),
        tuple(rows),
    )


def grouped_matches(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The matches with each (watchlist, article) once and all its matched queries, in
    the order the report lists them."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for match in matches:
        key = (match["watchlist"], match["article_id"])
        if key in grouped:
            if match["query"] not in grouped[key]["queries"]:
                grouped[key]["queries"].append(match["query"])
        else:
            grouped[key] = {**match, "queries": [match["query"]]}
    return list(grouped.values())


def matches_table(report: dict[str, Any]) -> Table:
    return Table(
        "matches",
        "Watchlist matches (most recent first)",
        (
            Column("watchlist", "watchlist"),
            Column("title", "title", link="url", min_width=24),
            Column("outlet", "outlet", drop_rank=1, min_width=12),
            Column("published_or_seen", "date", Kind.DAY, drop_rank=2),
            Column("queries", "queries", drop_rank=3),
            Column("snippet", "snippet", drop_rank=4),
        ),
        tuple(grouped_matches(report["matches"])),
    )


def coverage_view(report: dict[str, Any], limit: int | None = None) -> CoverageView:
    """The report's tables as every surface shows them; ``limit`` is the ``--limit`` the
    report was built with (it names what a table leaves out)."""
    tables = [
        stories_table(report, limit),
        outlets_table(report, limit),
        days_table(report, limit),
    ]
    if report["watchlists"]:
        tables += [watchlists_table(report), matches_table(report)]
    active = tuple(
        (name, cell(value)) for name, value in report["filters"].items() if value is not None
    )
    return CoverageView(
        headline=headline(report["totals"]),
        period=period_text(report),
        filters=active,
        summary=summary_paragraph(report),
        tables=tuple(tables),
    )
