"""``presswatch search QUERY``: full-text search over titles and bodies, with the report
filters. A first search builds the index (taking the writer lock briefly)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from presswatch import options
from presswatch.commands.report import report_filter
from presswatch.printing import file_console, note, note_source, output_file, write_text
from presswatch.writing import writing
from reporting import output
from warehouse import ducklake, search
from warehouse.db import WarehouseLocked
from warehouse.readers_copy import migrate_for_readers, reading

RESULT_COLUMNS = ["score", "title", "outlet", "published_or_seen", "snippet"]


def _build_index(db_path: Path, force: bool) -> float | None:
    with Console(stderr=True).status("building the search index…"), writing(db_path) as con:
        return search.refresh_index(con, force=force)


def _prepare_index(db_path: Path, reindex: bool) -> bool:
    """Build the index when missing (or asked); False for a DuckLake, searched without one."""
    with reading(db_path) as (con, _source):
        status = search.index_status(con)
    indexed = ducklake.parse_target(db_path) is None
    if not indexed and reindex:
        note("a DuckLake has no search index; every article is searched")
    if indexed and (reindex or not status.exists):
        try:
            seconds = _build_index(db_path, force=reindex)
            if seconds is not None:
                note(f"search index built in {seconds:.1f} s")
        except WarehouseLocked:
            if not status.exists:
                raise
            note("the warehouse is being written; using the existing index")
    return indexed


def cmd_search(args: argparse.Namespace, console: Console) -> int:
    filters = report_filter(args)
    db_path = options.db_path(args)
    migrate_for_readers(db_path)
    indexed = _prepare_index(db_path, args.reindex)
    with reading(db_path) as (con, source):
        note_source(source)
        status = search.index_status(con)
        if indexed and status.needs_rebuild and status.articles >= search.REBUILD_ALWAYS_BELOW:
            note(
                f"{status.delta} article(s) are newer than the search index and are "
                "scanned directly; `presswatch search --reindex` rebuilds it"
            )
        results = search.search(con, args.query, filters, limit=args.limit)
    if args.format == "json":
        write_text(output.to_json(results) + "\n", args.out)
    elif args.format == "csv":
        write_text(output.to_csv(results), args.out)
    elif args.out:
        with output_file(args.out) as handle:
            _print_results(file_console(handle), args.query, results)
    else:
        _print_results(console, args.query, results)
    if args.out:
        print(f"wrote {args.format} results to {args.out}", file=sys.stderr)
    return 0


def _print_results(console: Console, query: str, results: list[dict[str, Any]]) -> None:
    if results:
        output.print_table(
            console, f"Search: {query} ({len(results)} best)", results, RESULT_COLUMNS, max_width=60
        )
    else:
        console.print(f"no articles match {escape(query)!r}")


def register(commands: Any) -> None:
    finder = commands.add_parser(
        "search",
        parents=[
            options.db_option(),
            options.format_option("table", "json", "csv"),
            options.limit_option(20, "results to show (default 20)"),
            options.out_option(),
            options.filter_options(),
        ],
        help="full-text search over titles and bodies",
    )
    finder.add_argument("query", help='words, "phrases", AND, OR, NOT, parentheses')
    finder.add_argument("--reindex", action="store_true", help="rebuild the search index first")
    finder.set_defaults(handler=cmd_search)
