"""Rows for the terminal (rich tables that fit the console), JSON and CSV.

Everything printed here is text, never markup: cells and titles go to rich as ``Text``,
so a title containing ``[/bold]`` prints as it reads, and control characters are shown
escaped (``reporting.cells.plain``). A table wider than the console truncates its text
columns with an ellipsis, drops its least useful columns (named below the table) and, if
even that does not fit, prints each row as a vertical list of fields.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with a single quote, as OWASP recommends
against CSV injection; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reporting.cells import Kind, cell, plain, shorten
from reporting.model import Column
from reporting.model import Table as ReportTable

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Rich's default table: one border column, then per column two spaces of padding and a rule.
_BORDER = 1
_PER_COLUMN = 3


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


def csv_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: formula-leading strings get a ``'``."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return buffer.getvalue()


# --- terminal ----------------------------------------------------------------------------


def pack_phrases(phrases: Iterable[str], width: int, lead: str = "") -> list[str]:
    """Lines of at most ``width`` characters joining ``phrases`` with ", ": a line breaks
    between phrases, never inside one (a phrase longer than a line stands alone)."""
    items = list(phrases)
    if items:
        items[0] = lead + items[0]
    lines: list[str] = []
    current = ""
    for phrase in items:
        if not current:
            current = phrase
        elif len(current) + len(", ") + len(phrase) < width:  # room left for a comma
            current += ", " + phrase
        else:
            lines.append(current + ",")
            current = phrase
    if current:
        lines.append(current)
    return lines


def print_phrases(console: Console, phrases: Iterable[str], lead: str = "") -> None:
    """One summary sentence, broken between phrases to fit the console."""
    for line in pack_phrases([plain(p) for p in phrases], console.width, lead):
        console.print(Text(line))  # only a phrase longer than a line wraps (at words)


def _natural_width(column: Column, texts: list[str], max_width: int) -> int:
    widest = max((cell_len(t) for t in texts), default=0)  # terminal cells: CJK counts 2
    return min(max(cell_len(column.header), widest), max_width)


def _min_width(column: Column, natural: int) -> int:
    if column.kind.numeric or column.kind in (Kind.DAY, Kind.TIME):
        return natural  # numbers and dates are never cut
    return min(natural, column.min_width)


def _overhead(count: int) -> int:
    return _BORDER + _PER_COLUMN * count


def _layout(
    columns: Sequence[Column], texts: dict[str, list[str]], width: int, max_width: int
) -> tuple[dict[str, int], list[Column]] | None:
    """Each kept column's width, so the table fits ``width``, and the columns dropped
    (least useful first); ``None`` when even the columns that cannot go do not fit."""
    kept = list(columns)
    dropped: list[Column] = []
    natural = {c.key: _natural_width(c, texts[c.key], max_width) for c in columns}
    least = {c.key: _min_width(c, natural[c.key]) for c in columns}
    while sum(least[c.key] for c in kept) + _overhead(len(kept)) > width:
        droppable = [c for c in kept if c.drop_rank > 0]
        if not droppable:
            return None
        worst = max(droppable, key=lambda c: (c.drop_rank, kept.index(c)))
        kept.remove(worst)
        dropped.append(worst)
    widths = {c.key: natural[c.key] for c in kept}
    room = width - _overhead(len(kept))
    while sum(widths.values()) > room:  # narrow the widest text column, one step at a time
        key = max((k for k in widths if widths[k] > least[k]), key=lambda k: widths[k])
        widths[key] -= 1
    return widths, dropped


def print_rows(
    console: Console,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    *,
    max_width: int = 60,
    note: str = "",
) -> None:
    """``rows`` as a table of ``columns`` that fits the console (see the module doc)."""
    if not rows:
        console.print(Text(f"{plain(title)}: (none)"))
        return
    texts = {c.key: [cell(row.get(c.key), c.kind) for row in rows] for c in columns}
    layout = _layout(columns, texts, console.width, max_width)
    if layout is None:
        _print_vertical(console, title, columns, texts, len(rows))
        return
    widths, dropped = layout
    kept = [c for c in columns if c.key in widths]
    table = Table(title=Text(shorten(plain(title), console.width)), title_justify="left")
    for column in kept:
        table.add_column(
            Text(shorten(column.header, widths[column.key])),
            justify="right" if column.kind.numeric else "left",
            no_wrap=True,
            overflow="ellipsis",  # cuts what is still wider in terminal cells (CJK)
            width=widths[column.key],
        )
    for i in range(len(rows)):
        table.add_row(*(Text(shorten(texts[c.key][i], widths[c.key])) for c in kept))
    console.print(table)
    if dropped:
        hidden = ", ".join(c.header for c in dropped)
        note = f"{note} " if note else ""
        note += f"(not shown at this width: {hidden}; --format json has every field)"
    if note:
        print_phrases(console, [note])


def _print_vertical(
    console: Console, title: str, columns: Sequence[Column], texts: dict[str, list[str]], n: int
) -> None:
    """Each row as ``field: value`` lines, for a console too narrow for any table."""
    console.print(Text(plain(title), style="bold"))
    label = max(len(c.header) for c in columns)
    for i in range(n):
        for column in columns:
            value = texts[column.key][i]
            if value:
                line = f"{column.header:>{label}}: {value}"
                console.print(Text(shorten(line, console.width)), no_wrap=True)
        console.print()


def print_table(
    console: Console,
    title: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str] | None = None,
    max_width: int = 60,
) -> None:
    """``rows`` (dicts) as a table of ``columns`` (default: every field), listed most
    useful first: the last are dropped first when the console is narrow."""
    names = list(columns or (rows[0].keys() if rows else []))
    specs = [Column(name, name, _kind_of(rows, name), drop_rank=i) for i, name in enumerate(names)]
    print_rows(console, title, specs, rows, max_width=max_width)


def _kind_of(rows: Sequence[dict[str, Any]], key: str) -> Kind:
    value = next((r.get(key) for r in rows if r.get(key) is not None), None)
    if isinstance(value, bool) or value is None:
        return Kind.TEXT
    if isinstance(value, int):
        return Kind.COUNT
    if isinstance(value, float):
        return Kind.SCORE
    if isinstance(value, datetime):
        return Kind.TIME
    if isinstance(value, date):
        return Kind.DAY
    return Kind.TEXT


def print_report_table(console: Console, table: ReportTable, max_width: int = 60) -> None:
    print_rows(
        console, table.title, table.columns, table.rows, max_width=max_width, note=table.note
    )
