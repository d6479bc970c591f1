"""The coverage report as one self-contained HTML file: inline CSS, inline SVG charts drawn
here in Python, no scripts, fonts or images from the network.

``render(report)`` takes the dict of ``warehouse.reports.coverage_report``. Charts carry
``data-chart`` and ``data-points`` attributes and every mark a ``data-value``, so tests
(and curious readers) can check what was drawn.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta
from html import escape
from typing import Any

from reporting import model
from reporting.cells import Kind, cell, day_with_year, safe_link, shorten, time_with_year

ORIGINAL = "#2563eb"
COPY = "#f59e0b"
PALETTE = [
    "#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6",
    "#06b6d4", "#ec4899", "#84cc16", "#94a3b8",
]  # fmt: skip
MAX_DAILY_BARS = 120
COPY_TAG = ' <span class="tag copy">copy</span>'
ALERTED_TAG = ' <span class="tag alerted" title="an alert was sent about this story">alerted</span>'
NO_TITLE = "(no title)"
UNKNOWN = "(unknown)"  # the outlet row of articles without a known outlet
NO_MATCHES = '<li class="empty">No matches in this period.</li>'

CSS = """
:root { --ink:#1e293b; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff;
        --orig:%(orig)s; --copy:%(copy)s; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%%; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
             "Noto Sans", "DejaVu Sans", Arial, sans-serif;
       font-variant-numeric: tabular-nums; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 32px 48px; }
header { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px;
         border-bottom: 1px solid var(--line); padding-bottom: 16px; margin-bottom: 20px; }
h1 { font-size: 26px; line-height: 1.2; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 0 0 8px; }
.sub, .muted { color: var(--muted); }
.sub { font-size: 13px; }
.filters { font-size: 13px; color: var(--muted); text-align: right; }
.filters b { color: var(--ink); font-weight: 600; }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px;
        margin-bottom: 20px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
       padding: 12px 14px; }
.kpi .v { font-size: 24px; font-weight: 650; line-height: 1.1; }
.kpi .l { font-size: 12px; color: var(--muted); text-transform: uppercase;
          letter-spacing: .04em; }
.grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px;
        margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
        padding: 16px 18px; margin-bottom: 16px; min-width: 0; }
.grid .card { margin-bottom: 0; }
figure { margin: 0; }
figure svg { display: block; width: 100%%; height: auto; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px;
          color: var(--muted); margin: 0 0 8px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.sw { width: 10px; height: 10px; border-radius: 2px; display: inline-block; }
.donut { display: grid; grid-template-columns: 200px minmax(0, 1fr); gap: 16px;
         align-items: center; }
.donut ol { list-style: none; margin: 0; padding: 0; font-size: 13px; }
.donut li { display: grid; grid-template-columns: 14px minmax(0, 1fr) auto; gap: 8px;
            padding: 3px 0; border-bottom: 1px dashed var(--line); }
.donut li span.n { color: var(--muted); }
.clip { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
table { width: 100%%; border-collapse: collapse; font-size: 13.5px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px;
     text-transform: uppercase; letter-spacing: .04em; border-bottom: 1px solid var(--line);
     padding: 6px 8px; white-space: nowrap; }
td { border-bottom: 1px solid var(--line); padding: 8px; vertical-align: top; }
td.n, th.n { text-align: right; }
tr:last-child td { border-bottom: 0; }
.story-label { font-weight: 600; }
details summary { cursor: pointer; color: var(--orig); font-size: 12.5px; margin-top: 2px; }
details ul { margin: 6px 0 0; padding-left: 18px; font-size: 12.5px; }
details li { margin: 2px 0; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 999px;
       background: #eef2ff; color: #3730a3; margin-right: 4px; }
.tag.copy { background: #fef3c7; color: #92400e; }
.tag.alerted { background: #dcfce7; color: #166534; }
a[data-article] { color: inherit; text-decoration: underline;
                  text-decoration-color: #93c5fd; text-underline-offset: 2px; }
a[data-article]:hover { color: var(--orig); }
.summary { font-size: 15.5px; max-width: 980px; margin: 0 0 20px; }
.snippet { color: #334155; font-size: 13px; margin: 2px 0 0; }
.matches li { margin-bottom: 10px; list-style: none; }
.matches ul { padding: 0; margin: 0; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
@media (max-width: 1100px) {
  .grid { grid-template-columns: minmax(0, 1fr); }
  .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); }
}
@media print { body { background: #fff; } .card { break-inside: avoid; } }
""" % {"orig": ORIGINAL, "copy": COPY}  # noqa: UP031


# --- formatting: every value through reporting.cells, then HTML-escaped --------------


def _n(value: Any) -> str:
    return escape(cell(value, Kind.COUNT))


def _day(value: Any) -> str:
    return escape(day_with_year(value))


def _when(value: Any) -> str:
    return escape(time_with_year(value))


def _t(text: Any, limit: int | None = None) -> str:
    return escape(shorten(cell(text), limit or 0))


def _link(inner_html: str, url: Any) -> str:
    """``inner_html`` linked to ``url`` when it is an http(s) or file link (escaped);
    any other scheme (``javascript:``, ``data:``) leaves the text unlinked."""
    target = safe_link(url)
    if not target:
        return inner_html
    return (
        f'<a href="{escape(target, quote=True)}" data-article rel="noopener noreferrer nofollow">'
        f"{inner_html}</a>"
    )


def _y_grid(
    left: float, right_x: float, top: float, plot_h: float, top_value: float, step: float
) -> list[str]:
    """Horizontal grid lines with their value labels, every ``step`` up to ``top_value``."""
    parts = []
    tick = 0.0
    while tick <= top_value + 1e-9:
        y = top + plot_h - tick / top_value * plot_h
        parts.append(
            f'<line x1="{left}" x2="{right_x}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#64748b">{int(tick):,}</text>'
        )
        tick += step
    return parts


def _nice_max(value: float) -> tuple[float, float]:
    """A round axis maximum >= value and its tick step (4-5 ticks)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    step = max(step, 1.0)
    return step * math.ceil(value / step), step


# --- charts ------------------------------------------------------------------------------


def _svg(chart: str, width: int, height: int, points: int, label: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'data-chart="{chart}" data-points="{points}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _bucket(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _volume_series(days: list[dict[str, Any]]) -> tuple[list[tuple[date, int, int]], str]:
    """Originals and copies per day, week or month (by the span), gaps filled with zeros."""
    series = [(d["day"], int(d["distinct_articles"]), int(d["copies"])) for d in days if d["day"]]
    if not series:
        return [], "day"
    first, last = series[0][0], series[-1][0]
    span = (last - first).days + 1
    unit = "day" if span <= MAX_DAILY_BARS else "week" if span <= 7 * MAX_DAILY_BARS else "month"
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, originals, copies in series:
        bucket = totals[_bucket(day, unit)]
        bucket[0] += originals
        bucket[1] += copies
    out, cursor = [], _bucket(first, unit)
    while cursor <= last:
        out.append((cursor, *totals.get(cursor, [0, 0])))
        if unit == "day":
            cursor += timedelta(days=1)
        elif unit == "week":
            cursor += timedelta(days=7)
        else:
            cursor = (cursor + timedelta(days=32)).replace(day=1)
    return out, unit


def volume_chart(days: list[dict[str, Any]]) -> str:
    series, unit = _volume_series(days)
    if not series:
        return '<p class="empty">No articles in this period.</p>'
    width, height, left, right, top, bottom = 1160, 260, 48, 12, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = _nice_max(max(o + c for _, o, c in series))
    slot = plot_w / len(series)
    bar = max(1.0, min(42.0, slot * 0.78))
    parts = _y_grid(left, width - right, top, plot_h, top_value, step)
    label_every = max(1, math.ceil(len(series) / 10))
    for i, (day, originals, copies) in enumerate(series):
        x = left + i * slot + (slot - bar) / 2
        h_orig = originals / top_value * plot_h
        h_copy = copies / top_value * plot_h
        y_orig = top + plot_h - h_orig
        when = (
            f"{day:%B %Y}" if unit == "month" else _day(day) + (" (week)" if unit == "week" else "")
        )
        tip = f"{when}: {originals:,} original, {copies:,} copies"
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<rect x="{x:.1f}" y="{y_orig:.1f}" width="{bar:.1f}" height="{h_orig:.1f}" '
            f'fill="{ORIGINAL}" data-value="{originals}" data-series="original"/>'
            f'<rect x="{x:.1f}" y="{y_orig - h_copy:.1f}" width="{bar:.1f}" '
            f'height="{h_copy:.1f}" fill="{COPY}" data-value="{copies}" data-series="copy"/></g>'
        )
        if i % label_every == 0:
            text = f"{day:%b %Y}" if unit == "month" else day_with_year(day)
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'font-size="11" fill="#64748b">{escape(text)}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#94a3b8"/>'
    )
    label = f"Articles per {unit}: originals and copies"
    return _svg("volume", width, height, len(series), label, "".join(parts))


def stories_chart(stories: list[dict[str, Any]], count: int = 10) -> str:
    top = stories[:count]
    if not top:
        return '<p class="empty">No stories in this period.</p>'
    width, row, label_w, right = 640, 30, 250, 56
    height = row * len(top) + 8
    max_value = max(int(s["articles"]) for s in top) or 1
    plot_w = width - label_w - right
    parts = []
    for i, story in enumerate(top):
        y = 4 + i * row
        distinct, copies = int(story["distinct_articles"]), int(story["copies"])
        w_d = distinct / max_value * plot_w
        w_c = copies / max_value * plot_w
        parts.append(
            f"<g><title>{escape(str(story['label']))}: {distinct:,} distinct, {copies:,} copies"
            f'</title><text x="{label_w - 10}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="12.5" fill="#1e293b">{_t(story["label"], 34)}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{max(w_d, 1):.1f}" height="{row - 10}" '
            f'rx="2" fill="{ORIGINAL}" data-value="{distinct}" data-series="distinct"/>'
            f'<rect x="{label_w + w_d:.1f}" y="{y + 5}" width="{w_c:.1f}" height="{row - 10}" '
            f'rx="2" fill="{COPY}" data-value="{copies}" data-series="copy"/>'
            f'<text x="{label_w + w_d + w_c + 6:.1f}" y="{y + row / 2 + 4:.1f}" font-size="12" '
            f'fill="#475569">{int(story["articles"]):,}</text></g>'
        )
    label = f"The {len(top)} biggest stories by articles (distinct and copies)"
    return _svg("stories", width, height, len(top), label, "".join(parts))


def _arc(cx: float, cy: float, r: float, inner: float, start: float, end: float) -> str:
    if end - start >= 2 * math.pi - 1e-9:
        end = start + 2 * math.pi - 1e-4
    large = 1 if end - start > math.pi else 0

    def point(radius: float, angle: float) -> str:
        return f"{cx + radius * math.sin(angle):.2f} {cy - radius * math.cos(angle):.2f}"

    return (
        f"M {point(r, start)} A {r} {r} 0 {large} 1 {point(r, end)} "
        f"L {point(inner, end)} A {inner} {inner} 0 {large} 0 {point(inner, start)} Z"
    )


def outlet_share_chart(outlets: list[dict[str, Any]], count: int = 8) -> str:
    known = [o for o in outlets if o["outlet"] != UNKNOWN]
    rows = sorted(known, key=lambda o: (-int(o["articles"]), str(o["outlet"])))
    total = sum(int(o["articles"]) for o in rows)
    if not total:
        return '<p class="empty">No known outlets in this period.</p>'
    shown = rows[:count]
    slices = [(str(o["outlet"]), int(o["articles"])) for o in shown]
    rest = total - sum(v for _, v in slices)
    if rest > 0:
        slices.append((f"{len(rows) - len(shown)} other outlets", rest))
    size, r, inner = 200, 96, 58
    parts, legend, angle = [], [], 0.0
    for i, (name, value) in enumerate(slices):
        color = PALETTE[i % len(PALETTE)] if i < count else PALETTE[-1]
        sweep = value / total * 2 * math.pi
        share = value / total * 100
        parts.append(
            f'<path d="{_arc(size / 2, size / 2, r, inner, angle, angle + sweep)}" '
            f'fill="{color}" stroke="#fff" stroke-width="1.5" data-value="{value}">'
            f"<title>{escape(name)}: {value:,} articles ({share:.1f}%)</title></path>"
        )
        legend.append(
            f'<li><span class="sw" style="background:{color}"></span>'
            f'<span class="clip" title="{escape(name)}">{escape(name)}</span>'
            f'<span class="n">{share:.0f}% · {value:,}</span></li>'
        )
        angle += sweep
    parts.append(
        f'<text x="{size / 2}" y="{size / 2 - 2}" text-anchor="middle" font-size="22" '
        f'font-weight="650" fill="#1e293b">{len(rows):,}</text>'
        f'<text x="{size / 2}" y="{size / 2 + 16}" text-anchor="middle" font-size="11" '
        f'fill="#64748b">outlets</text>'
    )
    svg = _svg("outlets", size, size, len(slices), "Share of articles by outlet", "".join(parts))
    return f'<div class="donut">{svg}<ol>{"".join(legend)}</ol></div>'


def mentions_chart(mentions: list[dict[str, Any]], days: list[dict[str, Any]]) -> str:
    by_list: dict[str, dict[date, int]] = defaultdict(dict)
    for m in mentions:
        by_list[m["watchlist"]][m["day"]] = int(m["articles"])
    if not by_list:
        return '<p class="empty">No watchlist mentions in this period.</p>'
    all_days = sorted({d["day"] for d in days if d["day"]} | {m["day"] for m in mentions})
    width, height, left, right, top, bottom = 1160, 200, 48, 36, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = _nice_max(max(max(v.values()) for v in by_list.values()))
    count = len(all_days)
    parts = _y_grid(left, width - right, top, plot_h, top_value, step)

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else i / (count - 1) * plot_w)

    for k, (name, values) in enumerate(sorted(by_list.items())):
        color = PALETTE[k % (len(PALETTE) - 1)]
        coords = [
            (x_of(i), top + plot_h - values.get(d, 0) / top_value * plot_h, values.get(d, 0), d)
            for i, d in enumerate(all_days)
        ]
        path = " ".join(
            f"{'M' if i == 0 else 'L'} {x:.1f} {y:.1f}" for i, (x, y, _, _) in enumerate(coords)
        )
        parts.append(
            f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2" '
            f'data-series="{escape(name)}"/>'
        )
        for x, y, v, d in coords:
            if v:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}" data-value="{v}">'
                    f"<title>{escape(name)}, {_day(d)}: {v:,}</title></circle>"
                )
    every = max(1, math.ceil(count / 10))
    for i, d in enumerate(all_days):
        if i % every == 0:
            parts.append(
                f'<text x="{x_of(i):.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
                f'fill="#64748b">{_day(d)}</text>'
            )
    legend = "".join(
        f'<li><span class="sw" style="background:{PALETTE[k % (len(PALETTE) - 1)]}"></span>'
        f"{escape(name)}</li>"
        for k, name in enumerate(sorted(by_list))
    )
    svg = _svg("mentions", width, height, count, "Watchlist mentions per day", "".join(parts))
    return f'<ul class="legend">{legend}</ul>{svg}'


def sparkline(points: list[tuple[date, int]], first: date | None, last: date | None) -> str:
    """A tiny per-story timeline: one bar per day from the first to the last day."""
    if not points or first is None or last is None:
        return ""
    span = (last - first).days + 1
    if span > 60:
        return f'<span class="muted">{len(points)} days</span>'
    values = dict(points)
    peak = max(values.values()) or 1
    w = 4 if span > 20 else 7
    width, height = span * (w + 1), 22
    bars = []
    for i in range(span):
        day = first + timedelta(days=i)
        v = values.get(day, 0)
        h = max(1.0, v / peak * (height - 2)) if v else 1.0
        bars.append(
            f'<rect x="{i * (w + 1)}" y="{height - h:.1f}" width="{w}" height="{h:.1f}" '
            f'fill="{ORIGINAL if v else "#e2e8f0"}" data-value="{v}">'
            f"<title>{_day(day)}: {v:,}</title></rect>"
        )
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'data-chart="timeline" data-points="{len(points)}">{"".join(bars)}</svg>'
    )


# --- page --------------------------------------------------------------------------------


def _unknown_note(outlets: list[dict[str, Any]]) -> str:
    unknown = sum(int(o["articles"]) for o in outlets if o["outlet"] == UNKNOWN)
    return f"; {unknown:,} without a known outlet are left out" if unknown else ""


def _filters_text(filters: dict[str, Any]) -> str:
    names = {"since": "since", "until": "until", "outlet": "outlet", "story": "story",
             "watch": "watchlist"}  # fmt: skip
    parts = [
        f"{names[k]} <b>{escape(_day(v) if isinstance(v, date) else str(v))}</b>"
        for k, v in filters.items()
        if v is not None
    ]
    return "Filtered: " + ", ".join(parts) if parts else "All articles"


def _origins(story: dict[str, Any]) -> str:
    """ " · N independent origins" (originals that are not copies and credit no shared agency)."""
    origins = story.get("independent_origins")
    if origins is None:
        return ""
    return f" · {int(origins):,} independent origin{'' if origins == 1 else 's'}"


def _stories_table(report: dict[str, Any], alerted: Collection[str] = frozenset()) -> str:
    stories = report["stories"]
    if not stories:
        return '<p class="empty">No stories.</p>'
    timeline: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for row in report["timeline"]:
        timeline[row["story_id"]].append((row["day"], int(row["articles"])))
    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in report["copies"]:
        copies[row["story_id"]].append(row)
    body = []
    for s in stories:
        points = sorted(timeline.get(s["story_id"], []))
        spark = sparkline(
            points, points[0][0] if points else None, points[-1][0] if points else None
        )
        if points:
            first, last = points[0][0], points[-1][0]
            span = _day(first) if first == last else f"{_day(first)} – {_day(last)}"
            spark += f'<div class="sub">{span}</div>'
        story_copies = copies.get(s["story_id"], [])
        detail = ""
        if s.get("original_title") or s["copies"]:
            items = []
            if s.get("original_title"):
                items.append(
                    f'<li data-article-row><span class="tag">original</span>'
                    f"{_link(_t(s['original_title'], 110), s.get('original_url'))} "
                    f'<span class="muted">— {_t(s.get("original_outlet") or model.UNKNOWN_OUTLET)}'
                    "</span></li>"
                )
            for c in story_copies[:25]:
                lag = c.get("lag_hours")
                lag_text = f", {lag:g} h later" if isinstance(lag, int | float) else ""
                title = _link(_t(c.get("copy_title") or NO_TITLE, 110), c.get("copy_url"))
                items.append(
                    f'<li data-article-row><span class="tag copy">copy</span>{title} '
                    f'<span class="muted">— {_t(c.get("copy_outlet") or model.UNKNOWN_OUTLET)}, '
                    f"{_when(c.get('copy_at'))}{lag_text}; copied from "
                    f"{_t(c.get('original_outlet') or model.UNKNOWN_OUTLET)}</span></li>"
                )
            hidden = int(s["copies"]) - min(25, len(story_copies))
            if hidden > 0:
                items.append(f'<li class="muted">… and {hidden:,} more copies</li>')
            n = int(s["copies"])
            label = f"original and {n:,} cop{'y' if n == 1 else 'ies'}" if n else "original"
            detail = f"<details><summary>{label}</summary><ul>{''.join(items)}</ul></details>"
        body.append(
            "<tr>"
            f'<td><div class="story-label">{_t(s["label"], 120)}'
            f"{ALERTED_TAG if s['story_id'] in alerted else ''}</div>"
            f'<div class="sub">{_t(s.get("outlet_names"), 140)}{_origins(s)}</div>{detail}</td>'
            f"<td>{_when(s['first_seen'])}</td><td>{_day(s['first_published'])}</td>"
            f'<td class="n">{_n(s["articles"])}</td><td class="n">{_n(s["distinct_articles"])}</td>'
            f'<td class="n">{_n(s["copies"])}</td><td class="n">{_n(s["outlets"])}</td>'
            f"<td>{spark}</td></tr>"
        )
    more = report["totals"]["stories"] - len(stories)
    note = (
        f'<p class="sub">Showing the {len(stories):,} biggest of '
        f"{report['totals']['stories']:,} stories.</p>"
        if more > 0
        else ""
    )
    return (
        '<table data-table="stories"><thead><tr><th>Story</th><th>First seen</th>'
        '<th>First published</th><th class="n">Articles</th><th class="n">Distinct</th>'
        '<th class="n">Copies</th><th class="n">Outlets</th><th>Timeline</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def _align(column: model.Column) -> str:
    return ' class="n"' if column.kind.numeric else ""


def model_table(table: model.Table, count: int | None = None) -> str:
    """A report table of the model (every column), each cell formatted by
    ``reporting.cells`` and linked where its column says."""
    if not table.rows:
        return f'<p class="empty">No {escape(table.key)}.</p>'
    rows = table.rows[:count] if count else table.rows
    head = "".join(f"<th{_align(c)}>{escape(c.header)}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_align(c)}>"
            f"{_link(escape(cell(row.get(c.key), c.kind)), model.link_of(row, c))}</td>"
            for c in table.columns
        )
        + "</tr>"
        for row in rows
    )
    more = (
        f'<p class="sub">Top {len(rows):,} of {len(table.rows):,} {escape(table.key)}.</p>'
        if len(rows) < len(table.rows)
        else ""
    )
    return (
        f'<table data-table="{escape(table.key)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{more}"
    )


def _watch_section(report: dict[str, Any]) -> str:
    if not report["watchlists"]:
        return ""
    by_list: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in model.grouped_matches(report["matches"]):
        by_list[m["watchlist"]].append(m)
    blocks = []
    for w in report["watchlists"]:
        items = by_list.get(w["name"], [])[:8]
        lis = "".join(
            f"<li data-article-row><div><b>{_link(_t(m['title'] or NO_TITLE, 120), m.get('url'))}"
            f'</b> <span class="muted">— {_t(m["outlet"] or model.UNKNOWN_OUTLET)}, '
            f"{_day(m['published_or_seen'])}; matched "
            f"{', '.join(f'<code>{_t(q)}</code>' for q in m['queries'])}</span>"
            f"{COPY_TAG if m['duplicate_of'] else ''}</div>"
            f'<p class="snippet">{_t(m["snippet"])}</p></li>'
            for m in items
        )
        queries = " · ".join(f"<code>{_t(q)}</code>" for q in w["queries"])
        blocks.append(
            f'<div class="matches" data-watchlist="{escape(w["name"])}"><h3>{_t(w["name"])} '
            f'<span class="muted">({w["articles"]:,} articles)</span></h3>'
            f'<p class="sub">{queries}</p>'
            f"<ul>{lis or NO_MATCHES}</ul></div>"
        )
    return (
        '<section class="card"><h2>Watchlists</h2>'
        f"{mentions_chart(report['mentions'], report['days'])}"
        f"<figcaption>Articles matching each watchlist per day.</figcaption>"
        '<h3 style="margin-top:16px">Share of voice</h3>'
        f"{model_table(model.watchlists_table(report))}"
        '<p class="sub">Placements count every matching article, copies included; '
        "“copies once” counts an original and its copies as one article.</p>"
        f'<div style="margin-top:16px">{"".join(blocks)}</div></section>'
    )


def render(
    report: dict[str, Any], title: str = "Coverage report", alerted: Collection[str] = frozenset()
) -> str:
    """The report as one HTML page; stories in ``alerted`` (ids) carry an "alerted" tag."""
    totals = report["totals"]
    generated = report.get("generated_at")
    period = model.period_text(report)
    period_html = f"Period: {escape(period)} · " if period else ""
    kpis = [
        ("Articles", totals["articles"]),
        ("Distinct", totals["distinct_articles"]),
        ("Copies", totals.get("copies", 0)),
        ("Stories", totals["stories"]),
        ("Outlets", totals["outlets"]),
        ("Days", totals.get("days", 0)),
    ]
    kpi_html = "".join(
        f'<div class="kpi"><div class="v">{_n(v)}</div><div class="l">{label}</div></div>'
        for label, v in kpis
    )
    legend = (
        f'<ul class="legend"><li><span class="sw" style="background:{ORIGINAL}"></span>'
        f'original articles</li><li><span class="sw" style="background:{COPY}"></span>'
        "copies</li></ul>"
    )
    unit = _volume_series(report["days"])[1]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — presswatch</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
  <div><h1>{escape(title)}</h1>
  <div class="sub">{period_html}generated {_when(generated)} UTC
  by presswatch</div></div>
  <div class="filters">{_filters_text(report["filters"])}</div>
</header>
<p class="summary" data-summary>{escape(model.summary_paragraph(report))}</p>
<section class="kpis">{kpi_html}</section>
<section class="card"><h2>Coverage volume</h2>{legend}
<figure>{volume_chart(report["days"])}
<figcaption>Articles per {unit} by date (published, else first seen).</figcaption>
</figure></section>
<div class="grid">
<section class="card"><h2>Stories by size</h2>{legend}
<figure>{stories_chart(report["stories"])}<figcaption>Articles per story; copies are
republished versions of an original.</figcaption></figure></section>
<section class="card"><h2>Outlets' share</h2>
<figure>{outlet_share_chart(report["outlets"])}<figcaption>Share of the period's articles
from known outlets{_unknown_note(report["outlets"])}.</figcaption></figure></section>
</div>
<section class="card"><h2>Stories and their copies</h2>{_stories_table(report, alerted)}</section>
{_watch_section(report)}
<section class="card"><h2>Outlets</h2>{model_table(model.outlets_table(report), 25)}
<p class="sub">Weighted share: articles times the outlet’s weight (unweighted outlets
count 1), as a share of all weighted articles.</p></section>
<footer>presswatch coverage report · schema version {report.get("schema_version", "")} ·
self-contained: no network needed to view it.</footer>
</main>
</body>
</html>
"""
