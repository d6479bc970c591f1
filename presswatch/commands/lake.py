"""``presswatch lake maintain``: compact a DuckLake warehouse (``warehouse.ducklake.maintain``)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from rich.console import Console

from presswatch import options
from reporting import output
from warehouse import ducklake
from warehouse.db import WarehouseError, connection, warehouse_exists


def _duration(text: str) -> timedelta:
    try:
        return ducklake.parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_lake_maintain(args: argparse.Namespace, console: Console) -> int:
    db_path = options.db_path(args)
    if ducklake.parse_target(db_path) is None:
        raise WarehouseError(
            f"{db_path} is a DuckDB file: `lake maintain` needs a DuckLake warehouse "
            "(--db ducklake:sqlite:CATALOG or ducklake:postgres:CONNINFO)"
        )
    if not warehouse_exists(db_path):
        raise WarehouseError(f"no warehouse at {db_path}: run `presswatch ingest seeds` first")
    with connection(db_path) as con:  # holds the writer lease
        result = ducklake.maintain(con, args.older_than)
    if args.format == "json":
        print(output.to_json(result.as_dict()))
        return 0
    before, after = result.before, result.after
    console.print(
        f"[bold]lake maintain[/bold] in {result.seconds:.1f} s: "
        f"{result.inlined_rows_flushed} inlined row(s) flushed, "
        f"{result.snapshots_expired} snapshot(s) expired, {result.files_merged} file(s) "
        f"merged and {result.files_rewritten} rewritten ({result.files_created} new), "
        f"{result.files_deleted} file(s) deleted\n"
        f"data files {before.data_files} -> {after.data_files}, delete files "
        f"{before.delete_files} -> {after.delete_files}, snapshots {before.snapshots} -> "
        f"{after.snapshots}"
    )
    return 0


def register(commands: Any) -> None:
    lake = commands.add_parser("lake", help="DuckLake warehouse upkeep")
    actions = lake.add_subparsers(dest="action", required=True, metavar="ACTION")
    maintain = actions.add_parser(
        "maintain",
        parents=[options.db_option(), options.format_option("table", "json")],
        help="merge small files, expire old snapshots, delete replaced files",
    )
    maintain.add_argument(
        "--older-than",
        type=_duration,
        default=ducklake.DEFAULT_RETAIN,
        metavar="DURATION",
        help="keep snapshots and replaced files younger than this (30m, 1h, 7d; default 1h)",
    )
    maintain.set_defaults(handler=cmd_lake_maintain)
