"""The coverage report as Markdown, for the Prefect artifact of every flow run."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]], right: set[int]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def render(report: dict[str, Any], title: str = "presswatch coverage") -> str:
    t = report["totals"]
    period = f"{t['first_day']} to {t['last_day']}; " if t.get("first_day") else ""
    lines = [
        f"# {title}",
        "",
        f"**{t['articles']}** articles, **{t['distinct_articles']}** distinct after "
        f"deduplication, in **{t['stories']}** stories from **{t['outlets']}** known outlets.",
        "",
        f"{period}{t['copies']:,} copies"
        + (f", {t['revised_articles']:,} revised articles." if t.get("revised_articles") else "."),
        "",
        f"## Stories ({len(report['stories'])} biggest)",
        "",
    ]
    timeline: dict[str, list[str]] = {}
    for row in report["timeline"]:
        timeline.setdefault(row["story_id"], []).append(f"{row['day']:%m-%d}: {row['articles']}")
    lines += _table(
        [
            "story",
            "label",
            "first seen",
            "articles",
            "distinct",
            "copies",
            "outlets",
            "original",
            "copied by",
            "timeline",
        ],
        [
            [
                s["story_id"],
                s["label"],
                s["first_seen"],
                s["articles"],
                s["distinct_articles"],
                s["copies"],
                s["outlet_names"] or "",
                f"{s['original_title'] or ''} ({s['original_outlet'] or 'unknown outlet'})",
                s["copied_by"] or "",
                ", ".join(timeline.get(s["story_id"], [])[:10]),
            ]
            for s in report["stories"]
        ],
        {3, 4, 5},
    )
    lines += ["", "## Outlets", ""]
    lines += _table(
        ["outlet", "articles", "originals", "copies", "stories"],
        [
            [o["outlet"], o["articles"], o["originals"], o["copies"], o["stories"]]
            for o in report["outlets"][:20]
        ],
        {1, 2, 3, 4},
    )
    lines += ["", "## Days (latest 14)", ""]
    lines += _table(
        ["day", "articles", "distinct", "copies", "stories", "outlets"],
        [
            [
                d["day"],
                d["articles"],
                d["distinct_articles"],
                d["copies"],
                d["stories"],
                d["outlets"],
            ]
            for d in report["days"][-14:]
        ],
        {1, 2, 3, 4, 5},
    )
    if report["watchlists"]:
        lines += ["", "## Watchlists", ""]
        for w in report["watchlists"]:
            queries = ", ".join(f"`{q}`" for q in w["queries"])
            lines.append(f"### {w['name']}: {w['articles']:,} articles ({queries})")
            lines.append("")
            matches = [m for m in report["matches"] if m["watchlist"] == w["name"]]
            seen: set[str] = set()
            for m in matches:
                if m["article_id"] in seen:
                    continue
                seen.add(m["article_id"])
                lines.append(
                    f"- **{_cell(m['title'])}** ({_cell(m['outlet'] or 'unknown outlet')}, "
                    f"{_cell(m['published_or_seen'])}): {_cell(m['snippet'])}"
                )
            lines.append("")
    return "\n".join(lines)
