"""How commands print: rows as JSON or a table, text to stdout or --out, notes on stderr
(so JSON and CSV on stdout stay clean)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import duckdb
from rich.console import Console

from presswatch.errors import UsageError
from presswatch.options import db_path
from reporting import output
from warehouse.readers_copy import ReadSource, reading

Rows = list[dict[str, Any]]


def say(console: Console, text: str) -> None:
    """One message line, printed as text (never markup) and never wrapped mid-phrase."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def note_source(source: ReadSource) -> None:
    """Tell the user when the data comes from the readers' copy, not the live warehouse."""
    text = source.note()
    if text:
        note(text)


def read_rows(args: argparse.Namespace, read: Callable[[duckdb.DuckDBPyConnection], Rows]) -> Rows:
    """Rows read from the warehouse (or its readers' copy while a flow writes it)."""
    with reading(db_path(args)) as (con, source):
        note_source(source)
        return read(con)


def show_rows(
    console: Console,
    args: argparse.Namespace,
    title: str,
    rows: Rows,
    columns: Sequence[str] | None = None,
    *,
    empty: str | None = None,
) -> None:
    """``--format json``: the rows as a JSON list; otherwise a table (or ``empty``)."""
    if args.format == "json":
        print(output.to_json(rows))
    elif not rows and empty:
        console.print(empty, markup=False)
    else:
        table_rows = [{k: _as_cell(v) for k, v in row.items()} for row in rows]
        output.print_table(console, title, table_rows, list(columns) if columns else None)


def _as_cell(value: Any) -> Any:
    """Lists print as a comma-separated list, never as a Python repr."""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value


def write_text(text: str, out: str | None) -> None:
    """``text`` to the file ``out`` (its folder created), or to standard output."""
    if not out:
        sys.stdout.write(text)
        return
    with output_file(out) as handle:
        handle.write(text)


@contextmanager
def output_file(out: str) -> Iterator[TextIO]:
    """``out`` opened for writing; a failure (opening, writing or the final flush) is one
    line saying which file and why."""
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as handle:
            yield handle
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc


def file_console(handle: TextIO) -> Console:
    """A console writing a plain-text table into a file."""
    return Console(file=handle, width=160, color_system=None)
