"""Messages: what an instant alert, a digest, a spike alert and a test say, as a subject,
a plain-text body, an HTML body for email and structured JSON fields for webhooks.

The HTML uses the coverage report's palette and type (``reporting.html``) with every style
inline on its element, since mail clients drop ``<style>`` blocks; there are no scripts and
no images, and every article is a link.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from alerts.rules import Spike
from reporting.html import ORIGINAL
from warehouse.alerts import DigestStory, NewAlert, StoryNews, Subscription
from warehouse.loader import stable_id

INK = "#1e293b"
MUTED = "#64748b"
LINE = "#e2e8f0"
BG = "#f8fafc"
FONT = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", '
    '"DejaVu Sans", Arial, sans-serif'
)
PREFIX = "[presswatch]"


def _json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, default=str, sort_keys=True)


def _link(url: str | None, text: str) -> str:
    if not url:
        return escape(text)
    return (
        f'<a href="{escape(url, quote=True)}" style="color:{ORIGINAL};text-decoration:none">'
        f"{escape(text)}</a>"
    )


def _page(title: str, subtitle: str, body: str) -> str:
    """A whole HTML email: the report's header, cards and footer, all styles inline."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f'<body style="margin:0;padding:0;background:{BG};color:{INK};'
        f'font:15px/1.5 {escape(FONT, quote=True)}">'
        f'<div style="max-width:720px;margin:0 auto;padding:24px 20px 32px">'
        f'<div style="border-bottom:1px solid {LINE};padding-bottom:12px;margin-bottom:16px">'
        f'<h1 style="font-size:22px;line-height:1.25;margin:0 0 4px">{escape(title)}</h1>'
        f'<div style="color:{MUTED};font-size:13px">{escape(subtitle)}</div></div>'
        f"{body}"
        f'<p style="color:{MUTED};font-size:12px;margin-top:24px">Sent by presswatch. '
        "Manage this alert with <code>presswatch alerts</code>.</p>"
        "</div></body></html>\n"
    )


def _card(inner: str) -> str:
    return (
        f'<div style="background:#ffffff;border:1px solid {LINE};border-radius:10px;'
        f'padding:14px 16px;margin-bottom:14px">{inner}</div>'
    )


def _tag(text: str, background: str = "#eef2ff", color: str = "#3730a3") -> str:
    return (
        f'<span style="display:inline-block;font-size:11px;padding:0 6px;border-radius:999px;'
        f'background:{background};color:{color};margin-left:4px">{escape(text)}</span>'
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --- instant -----------------------------------------------------------------------------


def instant_alert(sub: Subscription, story: StoryNews) -> NewAlert:
    """One story newly in the news for ``sub``'s watchlist."""
    counts = f"{_plural(story.articles, 'article')} from {_plural(story.outlets, 'outlet')} so far"
    original = story.original_outlet or "an unknown outlet"
    title = story.original_title or story.label
    lines = [
        f"{sub.watchlist}: {story.label}",
        "",
        f"First reported by {original}: {title}",
    ]
    if story.original_url:
        lines.append(story.original_url)
    lines += [counts + "."]
    if story.snippet:
        lines += ["", f"“{story.snippet}”"]
    lines += ["", f"Alert {sub.name!r} on watchlist {sub.watchlist!r}."]
    text = "\n".join(lines)
    html_body = _page(
        story.label,
        f"Watchlist {sub.watchlist} · alert {sub.name}",
        _card(
            f'<div style="font-weight:600;margin-bottom:4px">{escape(story.label)}</div>'
            f'<div style="font-size:14px">First reported by <b>{escape(original)}</b>: '
            f"{_link(story.original_url, title)}</div>"
            f'<div style="color:{MUTED};font-size:13px;margin-top:4px">{escape(counts)}</div>'
            + (
                f'<p style="color:#334155;font-size:13px;margin:8px 0 0">'
                f"“{escape(story.snippet)}”</p>"
                if story.snippet
                else ""
            )
        ),
    )
    payload = {
        "text": text,
        "kind": "instant",
        "subscription": sub.name,
        "watchlist": sub.watchlist,
        "story": {
            "id": story.story_id,
            "label": story.label,
            "articles": story.articles,
            "outlets": story.outlets,
            "original": {"title": title, "outlet": original, "url": story.original_url},
        },
        "snippet": story.snippet,
    }
    # The subscription's start is part of the id: a subscription removed and added again
    # under the same name starts afresh.
    alert_id = "a" + stable_id(
        "alert", sub.name, sub.created_at.isoformat(), "instant", story.story_id
    )
    payload["alert_id"] = alert_id
    return NewAlert(
        alert_id=alert_id,
        subscription=sub.name,
        kind="instant",
        subject=f"{PREFIX} {sub.watchlist}: {story.label}",
        text_body=text,
        html_body=html_body,
        payload=_json(payload),
        topic=f"story:{story.story_id}",
        story_id=story.story_id,
    )


# --- digest ------------------------------------------------------------------------------


def _local(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def digest(
    sub: Subscription, stories: Sequence[DigestStory], start: datetime, end: datetime
) -> NewAlert:
    """The period's stories for ``sub``'s watchlist, every matching article linked."""
    tz = ZoneInfo(sub.timezone)
    new_total = sum(len(s.new_articles) for s in stories)
    period = f"{_local(start, tz)} to {_local(end, tz)}"
    heading = f"{sub.watchlist}: {_plural(len(stories), 'story')}, {_plural(new_total, 'article')}"
    text_lines = [f"Digest for {heading}", period, ""]
    cards = []
    for story in stories:
        alerted = " [alerted]" if story.alerted else ""
        so_far = (
            f"{_plural(len(story.new_articles), 'new article')}; "
            f"{_plural(story.articles_total, 'article')} from "
            f"{_plural(story.outlets_total, 'outlet')} so far"
        )
        text_lines += [f"* {story.label}{alerted}", f"  {so_far}"]
        items = []
        for article in story.new_articles:
            outlet = article.outlet or "unknown outlet"
            title = article.title or "(untitled)"
            copy = " (copy)" if article.is_copy else ""
            text_lines.append(f"  - {title} ({outlet}){copy}: {article.url or 'no link'}")
            items.append(
                f'<li style="margin:3px 0">{_link(article.url, title)} '
                f'<span style="color:{MUTED}">· {escape(outlet)}</span>'
                + (_tag("copy", "#fef3c7", "#92400e") if article.is_copy else "")
                + "</li>"
            )
        text_lines.append("")
        snippet = next((a.snippet for a in story.new_articles if a.snippet), None)
        cards.append(
            _card(
                f'<div style="font-weight:600">{escape(story.label)}'
                + (_tag("alerted") if story.alerted else "")
                + "</div>"
                f'<div style="color:{MUTED};font-size:13px">{escape(so_far)}</div>'
                + (
                    f'<p style="color:#334155;font-size:13px;margin:6px 0 0">'
                    f"“{escape(snippet)}”</p>"
                    if snippet
                    else ""
                )
                + f'<ul style="margin:8px 0 0;padding-left:18px;font-size:13.5px">'
                f"{''.join(items)}</ul>"
            )
        )
    text_lines.append(f"Alert {sub.name!r} on watchlist {sub.watchlist!r}.")
    text = "\n".join(text_lines)
    payload = {
        "text": f"Digest for {heading} ({period})",
        "kind": "digest",
        "subscription": sub.name,
        "watchlist": sub.watchlist,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "stories": [
            {
                "id": s.story_id,
                "label": s.label,
                "new_articles": len(s.new_articles),
                "articles": s.articles_total,
                "outlets": s.outlets_total,
                "alerted": s.alerted,
                "links": [a.url for a in s.new_articles if a.url],
            }
            for s in stories
        ],
    }
    alert_id = "a" + stable_id("alert", sub.name, "digest", end.isoformat())
    payload["alert_id"] = alert_id
    return NewAlert(
        alert_id=alert_id,
        subscription=sub.name,
        kind="digest",
        subject=f"{PREFIX} Digest for {heading}",
        text_body=text,
        html_body=_page(f"Digest: {sub.watchlist}", period, "".join(cards)),
        payload=_json(payload),
        topic=f"watchlist:{sub.watchlist}",
        period_start=start,
        period_end=end,
    )


# --- spikes and tests --------------------------------------------------------------------


def spike_alert(
    sub: Subscription,
    topic: str,
    what: str,
    numbers: Spike,
    window_hours: int,
    baseline_days: int,
    now: datetime,
    story_id: str | None = None,
) -> NewAlert:
    """A watchlist or story far above its usual volume, with the numbers that said so."""
    rule = numbers.describe(window_hours, baseline_days)
    text = f"Spike: {what}\n{rule}.\n\nAlert {sub.name!r} on watchlist {sub.watchlist!r}."
    payload = {
        "text": f"Spike: {what}: {rule}",
        "kind": "spike",
        "subscription": sub.name,
        "watchlist": sub.watchlist,
        "topic": topic,
        "story_id": story_id,
        "recent": numbers.recent,
        "baseline_mean": round(numbers.mean, 3),
        "baseline_stddev": round(numbers.stddev, 3),
        "z": round(numbers.z, 2),
        "window_hours": window_hours,
        "baseline_days": baseline_days,
    }
    alert_id = "a" + stable_id("alert", sub.name, "spike", topic, now.isoformat())
    payload["alert_id"] = alert_id
    return NewAlert(
        alert_id=alert_id,
        subscription=sub.name,
        kind="spike",
        subject=f"{PREFIX} Spike: {what}",
        text_body=text,
        html_body=_page(f"Spike: {what}", f"Watchlist {sub.watchlist}", _card(escape(rule))),
        payload=_json(payload),
        topic=topic,
        story_id=story_id,
    )


def check_message(sub: Subscription, now: datetime) -> NewAlert:
    text = (
        f"This is a test of alert {sub.name!r} (watchlist {sub.watchlist!r}, mode {sub.mode}). "
        "If you can read it, delivery works."
    )
    alert_id = "a" + stable_id("alert", sub.name, "test", now.isoformat())
    payload = {"text": text, "kind": "test", "subscription": sub.name, "alert_id": alert_id}
    return NewAlert(
        alert_id=alert_id,
        subscription=sub.name,
        kind="test",
        subject=f"{PREFIX} Test message for {sub.name}",
        text_body=text,
        html_body=_page(f"Test message for {sub.name}", f"Watchlist {sub.watchlist}", _card(text)),
        payload=_json(payload),
    )
