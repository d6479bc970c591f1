"""``presswatch outlets list|alias|unalias|weight|import-weights``: one outlet per
publication, whatever name its articles came under, and its share-of-voice weight.

Edits take the writer lock (briefly, waiting for a running flow); ``list`` reads the live
warehouse or its snapshot.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.markup import escape

from config.settings import resolve_db_path
from reporting import output
from warehouse import outlets
from warehouse.db import connection, transaction
from warehouse.locking import writer_lock
from warehouse.readers_copy import reading

# How long an edit waits for a running flow to release the warehouse.
WRITE_WAIT_SECONDS = 30.0
ERRORS = (outlets.OutletError,)


def _db(args: argparse.Namespace) -> Path:
    return resolve_db_path(args.db)


@contextmanager
def _writing(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with (
        writer_lock(db_path, wait_seconds=WRITE_WAIT_SECONDS),
        connection(db_path) as con,
        transaction(con),
    ):
        yield con


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    db_path = _db(args)
    with reading(db_path) as (con, source):
        note = source.note()
        if note:
            print(f"note: {note}", file=sys.stderr)
        rows = [asdict(row) for row in outlets.list_outlets(con)]
    if args.format == "json":
        print(output.to_json(rows))
    elif rows:
        table = [{**row, "aliases": ", ".join(row["aliases"])} for row in rows]
        output.print_table(console, "Outlets", table)
    else:
        console.print("no outlets yet: run `presswatch ingest seeds` or `presswatch ingest feeds`")
    return 0


def cmd_alias(args: argparse.Namespace, console: Console) -> int:
    with _writing(_db(args)) as con:
        outlet_id = outlets.add_aliases(con, args.name, args.aliases)
        name = con.execute("SELECT name FROM outlets WHERE outlet_id = ?", [outlet_id]).fetchone()
    aliases = ", ".join(repr(a) for a in args.aliases)
    console.print(f"{escape(aliases)} now count as [bold]{escape(name[0])}[/bold]")
    return 0


def cmd_unalias(args: argparse.Namespace, console: Console) -> int:
    with _writing(_db(args)) as con:
        for alias in args.aliases:
            outlets.remove_alias(con, alias)
    console.print(f"{escape(', '.join(repr(a) for a in args.aliases))}: outlets of their own again")
    return 0


def _weight(text: str) -> float | None:
    if text.lower() in {"none", "-", ""}:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'none')") from exc
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    return value


def cmd_weight(args: argparse.Namespace, console: Console) -> int:
    with _writing(_db(args)) as con:
        outlets.set_weight(con, args.name, args.weight)
    shown = "cleared" if args.weight is None else f"set to {args.weight:g}"
    console.print(f"weight of [bold]{escape(args.name)}[/bold] {shown}")
    return 0


def cmd_import_weights(args: argparse.Namespace, console: Console) -> int:
    with _writing(_db(args)) as con:
        count = outlets.import_weights(con, Path(args.file))
    console.print(f"weights of {count} outlet(s) set from {escape(args.file)}")
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("outlets", help="outlets: aliases and share-of-voice weights")
    actions = group.add_subparsers(dest="action", required=True)

    listing = actions.add_parser(
        "list", parents=[common], help="outlets with their aliases, weight and articles"
    )
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=cmd_list)

    alias = actions.add_parser(
        "alias", parents=[common], help="count ALIAS... (other names) as the outlet NAME"
    )
    alias.add_argument("name", help="the outlet's name, e.g. Reuters")
    alias.add_argument("aliases", nargs="+", metavar="ALIAS", help='e.g. reuters.com "Reuters UK"')
    alias.set_defaults(handler=cmd_alias)

    unalias = actions.add_parser(
        "unalias", parents=[common], help="make ALIAS... outlets of their own again"
    )
    unalias.add_argument("aliases", nargs="+", metavar="ALIAS")
    unalias.set_defaults(handler=cmd_unalias)

    weight = actions.add_parser(
        "weight", parents=[common], help="set an outlet's share-of-voice weight (or 'none')"
    )
    weight.add_argument("name")
    weight.add_argument("weight", type=_weight, help="circulation, reach or tier; >= 0")
    weight.set_defaults(handler=cmd_weight)

    imported = actions.add_parser(
        "import-weights", parents=[common], help="set weights from a CSV (columns outlet,weight)"
    )
    imported.add_argument("file", metavar="FILE.csv")
    imported.set_defaults(handler=cmd_import_weights)
