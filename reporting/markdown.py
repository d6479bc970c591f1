"""The coverage report as Markdown, for the Prefect artifact of every flow run.

Outside text (titles, outlet names, snippets, queries) is rendered as escaped text: HTML
such as ``<img src=...>`` stays visible text and never becomes an element the Prefect UI
would load, and Markdown punctuation cannot open links, emphasis or table cells. Article
titles link to their URL when it is an http(s) or file link (``cells.safe_link``).
"""

from __future__ import annotations

import re
from typing import Any

from reporting import model
from reporting.cells import cell
from reporting.model import Column, Table

OUTLETS_SHOWN = 20
DAYS_SHOWN = 14

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What opens emphasis, code, links or table cells inside a line (cells never start one).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_URL_UNSAFE = re.compile(r"[<>()\[\]\"'`\\ ]")


def escape_text(text: str) -> str:
    """``text`` (already a plain one-line cell) shown literally by a Markdown renderer."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return "".join(_HTML.get(char, char) for char in escaped)


def _url(link: str) -> str:
    return _URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", link)


def _linked_cell(row: dict[str, Any], column: Column) -> str:
    text = escape_text(cell(row.get(column.key), column.kind))
    link = model.link_of(row, column)
    return f"[{text}]({_url(link)})" if link and text else text


def table_lines(table: Table) -> list[str]:
    """``table`` as a GitHub-flavoured Markdown table (every column)."""
    if not table.rows:
        return [f"{escape_text(table.title)}: none."]
    right = [c.kind.numeric for c in table.columns]
    lines = ["| " + " | ".join(escape_text(c.header) for c in table.columns) + " |"]
    lines.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_linked_cell(row, c) for c in table.columns) + " |")
    return lines


def _matches_lines(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    matches = model.grouped_matches(report["matches"])
    title = next(c for c in model.matches_table(report).columns if c.key == "title")
    for w in report["watchlists"]:
        queries = ", ".join(f"`{q.replace('`', 'ʼ')}`" for q in w["queries"])
        lines += [f"### {escape_text(cell(w['name']))}: {w['articles']:,} articles ({queries})", ""]
        for m in (m for m in matches if m["watchlist"] == w["name"]):
            outlet = escape_text(cell(m["outlet"] or model.UNKNOWN_OUTLET))
            lines.append(
                f"- **{_linked_cell(m, title)}** ({outlet}, {cell(m['published_or_seen'])}; "
                f"matched {escape_text(cell(m['queries']))}): {escape_text(cell(m['snippet']))}"
            )
        lines.append("")
    return lines


def render(report: dict[str, Any], title: str = "presswatch coverage") -> str:
    view = model.coverage_view(report)
    t = report["totals"]
    lines = [
        f"# {escape_text(title)}",
        "",
        f"**{t['articles']:,}** articles, **{t['distinct_articles']:,}** distinct after "
        f"deduplication, in **{t['stories']:,}** {'story' if t['stories'] == 1 else 'stories'} "
        f"from **{t['outlets']:,}** known outlet{'' if t['outlets'] == 1 else 's'}.",
        "",
        escape_text(view.summary)
        + (f" {t['revised_articles']:,} revised articles." if t.get("revised_articles") else ""),
        "",
    ]
    stories = view.table("stories")
    assert stories is not None
    lines += [f"## Stories ({len(stories.rows):,} biggest)", "", *table_lines(stories)]
    lines += ["", "## Outlets", "", *table_lines(model.outlets_table(report, OUTLETS_SHOWN))]
    days = model.days_table(report, DAYS_SHOWN)
    lines += ["", f"## {escape_text(days.title)}", "", *table_lines(days)]
    if report["watchlists"]:
        lines += ["", "## Watchlists", "", *table_lines(model.watchlists_table(report)), ""]
        lines += _matches_lines(report)
    return "\n".join(lines)
