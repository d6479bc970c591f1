"""The one cell formatter of every report surface (terminal, markdown, HTML, CSV).

A value becomes plain text here, once: dates, counts, shares and scores look the same on
every surface. Each renderer then escapes that text for its medium (rich markup, Markdown
and HTML, CSV formulas); none formats a value itself.

Text from the outside world (titles, outlet names, snippets) may carry terminal control
characters and escape sequences; ``plain`` makes them visible (``\\x1b``) instead of
letting them act on a terminal.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Any

ELLIPSIS = "…"

# C0 and C1 controls except tab and newline, DEL, and the bidirectional overrides that can
# make a terminal or page show text in another order than it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Kind(Enum):
    """How a column's values read: decides the formatting and the alignment."""

    TEXT = "text"
    COUNT = "count"
    SHARE = "share"  # a fraction 0..1 shown as a percentage
    SCORE = "score"  # a similarity or weight, three decimals
    DAY = "day"
    TIME = "time"

    @property
    def numeric(self) -> bool:
        return self in (Kind.COUNT, Kind.SHARE, Kind.SCORE)


def plain(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN``/``\\uNNNN`` escapes (tab and
    newline kept): outside text printed as text, never as terminal control."""
    return _CONTROL.sub(lambda m: _escape_char(m.group()), text)


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``plain`` text on one line (newlines and tabs become spaces)."""
    return " ".join(plain(text).split())


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    if width <= 0 or len(text) <= width:
        return text
    return text[: width - 1].rstrip(" ,;") + ELLIPSIS


def cell(value: Any, kind: Kind | None = None) -> str:
    """``value`` as the plain text of a table cell (no markup, one line)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if kind is Kind.DAY else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind is Kind.SHARE and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if kind is Kind.COUNT else f"{value:.3f}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return one_line(str(value))


def day_with_year(value: Any) -> str:
    """A day as people read it, always with its year: ``12 Mar 2009``."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return ""


def time_with_year(value: Any) -> str:
    """A moment as people read it: ``12 Mar 2009, 14:05``; a day without its time."""
    if isinstance(value, datetime):
        return f"{value.day} {value:%b %Y, %H:%M}"
    return day_with_year(value)


def safe_link(url: Any) -> str | None:
    """``url`` when it is an http(s) or file link a reader may follow, else ``None``
    (``javascript:``, ``data:`` and anything unrecognised are never linked)."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if _CONTROL.search(candidate) or any(c.isspace() for c in candidate):
        return None
    scheme = candidate.split(":", 1)[0].lower() if ":" in candidate else ""
    if scheme in ("http", "https") and candidate[len(scheme) :].startswith("://"):
        return candidate
    if scheme == "file" and candidate.startswith(("file:/", "FILE:/")):
        return candidate
    return None
