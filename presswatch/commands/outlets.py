"""``presswatch outlets list|alias|unalias|weight|import-weights``: one outlet per
publication, whatever name its articles came under, and its share-of-voice weight.

Edits take the writer lock (briefly, waiting for a running flow); ``list`` reads the live
warehouse or its readers' copy. An alias edit re-points the articles concerned, so every
report shows the canonical name (``warehouse/outlets.py``)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

from presswatch import options
from presswatch.errors import UsageError
from presswatch.printing import read_rows, say, show_rows
from presswatch.writing import writing
from warehouse import outlets
from warehouse.db import transaction
from warehouse.readers_copy import migrate_for_readers


@contextmanager
def _editing(args: argparse.Namespace) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction under the writer lock; a mistake is a one-line error, all undone."""
    try:
        with writing(options.db_path(args)) as con, transaction(con):
            yield con
    except outlets.OutletError as exc:
        raise UsageError(str(exc)) from exc


def _listed(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return [asdict(row) for row in outlets.list_outlets(con)]


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    migrate_for_readers(options.db_path(args))
    rows = read_rows(args, _listed)
    if args.format != "json":
        rows = [{**row, "aliases": ", ".join(row["aliases"])} for row in rows]
    show_rows(
        console,
        args,
        "Outlets",
        rows,
        empty="no outlets yet: run `presswatch ingest seeds` or `presswatch ingest feeds`",
    )
    return 0


def cmd_alias(args: argparse.Namespace, console: Console) -> int:
    with _editing(args) as con:
        outlet_id = outlets.add_aliases(con, args.name, args.aliases)
        (name,) = con.execute(
            "SELECT name FROM outlets WHERE outlet_id = ?", [outlet_id]
        ).fetchone()
    for alias in args.aliases:
        say(console, f"{alias!r} now counts as {name}")
    return 0


def cmd_unalias(args: argparse.Namespace, console: Console) -> int:
    with _editing(args) as con:
        for alias in args.aliases:
            outlets.remove_alias(con, alias)
    for alias in args.aliases:
        say(console, f"{alias!r} is an outlet of its own again")
    return 0


def _weight(text: str) -> float | None:
    if text.strip().lower() in {"none", "-", ""}:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'none')") from exc
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    return value


def cmd_weight(args: argparse.Namespace, console: Console) -> int:
    with _editing(args) as con:
        outlets.set_weight(con, args.name, args.weight)
    shown = "cleared" if args.weight is None else f"set to {args.weight:g}"
    say(console, f"weight of {args.name} {shown}")
    return 0


def cmd_import_weights(args: argparse.Namespace, console: Console) -> int:
    with _editing(args) as con:
        count = outlets.import_weights(con, Path(args.file))
    say(console, f"weights of {count} outlet(s) set from {args.file}")
    return 0


def register(commands: Any) -> None:
    group = commands.add_parser("outlets", help="outlets: aliases and share-of-voice weights")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser(
        "list",
        parents=[options.db_option(), options.format_option("table", "json")],
        help="outlets with their aliases, weight and article count",
    )
    listing.set_defaults(handler=cmd_list)

    alias = actions.add_parser(
        "alias",
        parents=[options.db_option()],
        help="count ALIAS... (other names of it) as the outlet NAME",
    )
    alias.add_argument("name", help="the outlet's name, e.g. Reuters")
    alias.add_argument("aliases", nargs="+", metavar="ALIAS", help='e.g. reuters.com "Reuters UK"')
    alias.set_defaults(handler=cmd_alias)

    unalias = actions.add_parser(
        "unalias", parents=[options.db_option()], help="make ALIAS... outlets of their own again"
    )
    unalias.add_argument("aliases", nargs="+", metavar="ALIAS", help="a name given to `alias`")
    unalias.set_defaults(handler=cmd_unalias)

    weight = actions.add_parser(
        "weight",
        parents=[options.db_option()],
        help="set an outlet's share-of-voice weight (circulation, reach or tier; 'none' clears)",
    )
    weight.add_argument("name", help="the outlet (or one of its aliases)")
    weight.add_argument("weight", type=_weight, help="a number >= 0, or none")
    weight.set_defaults(handler=cmd_weight)

    imported = actions.add_parser(
        "import-weights",
        parents=[options.db_option()],
        help="set weights from a CSV with columns outlet,weight (all rows or none)",
    )
    imported.add_argument(
        "file", metavar="FILE.csv", help="CSV with a header row; an empty weight clears it"
    )
    imported.set_defaults(handler=cmd_import_weights)
