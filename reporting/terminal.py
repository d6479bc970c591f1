"""The coverage report as terminal tables (rich): totals, stories, outlets, days and
watchlists. Moved unchanged from the CLI (``reports_cli._coverage_table``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from reporting import output


def _short(text: str | None, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1].rstrip(" ,") + "…"


def coverage_table(console: Console, report: dict[str, Any], limit: int | None) -> None:
    totals = report["totals"]
    console.print(
        f"[bold]Coverage[/bold]: {totals['articles']} articles, "
        f"{totals['distinct_articles']} distinct after deduplication, "
        f"in {totals['stories']} {'story' if totals['stories'] == 1 else 'stories'}, "
        f"from {totals['outlets']} known outlet(s)"
    )
    active = {k: v for k, v in report["filters"].items() if v is not None}
    if active:
        console.print("filters: " + ", ".join(f"{k}={v}" for k, v in active.items()))
    timeline: dict[str, list[str]] = {}
    for row in report["timeline"]:
        timeline.setdefault(row["story_id"], []).append(f"{row['day']:%m-%d}:{row['articles']}")
    stories = [
        {
            "story_id": s["story_id"],
            "label": s["label"],
            "first_seen": s["first_seen"],
            "articles": s["articles"],
            "distinct": s["distinct_articles"],
            "copies": s["copies"],
            "outlets": _short(f"{s['outlets']}: {s['outlet_names'] or ''}", 60),
            "original": _short(
                f"{s['original_title'] or ''} ({s['original_outlet'] or 'unknown outlet'})"
                if s["original_id"]
                else "",
                80,
            ),
            "copied by": _short(s["copied_by"], 60),
            "timeline": " ".join(timeline.get(s["story_id"], [])[:8])
            + (" …" if len(timeline.get(s["story_id"], [])) > 8 else ""),
        }
        for s in report["stories"]
    ]
    title = "Stories"
    if limit and totals["stories"] > len(stories):
        title += f" (the {len(stories)} biggest of {totals['stories']}; --limit 0 for all)"
    output.print_table(console, title, stories, max_width=40)
    outlets, days = report["outlets"], report["days"]
    if limit and len(outlets) > limit:
        outlets = outlets[:limit]
        output.print_table(
            console, f"Outlets (the {limit} biggest of {len(report['outlets'])})", outlets
        )
    else:
        output.print_table(console, "Outlets", outlets)
    if limit and len(days) > limit:
        output.print_table(console, f"Days (the latest {limit} of {len(days)})", days[-limit:])
    else:
        output.print_table(console, "Days", days)
    if report["watchlists"]:
        output.print_table(
            console,
            "Watchlists",
            [
                {
                    "watchlist": w["name"],
                    "queries": _short(" | ".join(w["queries"]), 80),
                    "articles": w["articles"],
                }
                for w in report["watchlists"]
            ],
        )
        output.print_table(
            console,
            "Watchlist matches (most recent first)",
            report["matches"],
            ["watchlist", "title", "outlet", "published_or_seen", "snippet"],
            max_width=50,
        )
