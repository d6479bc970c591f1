"""Rendering rows for the terminal (rich tables), JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: _json_default(v) if isinstance(v, date) else v for k, v in row.items()}
            )
    return buffer.getvalue()


def print_table(
    console: Console,
    title: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str] | None = None,
    max_width: int = 60,
) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold", max_width=max_width)
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    if not rows:
        console.print(f"{title}: (none)")
    else:
        console.print(table)
