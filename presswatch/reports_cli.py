"""``presswatch report coverage``, ``presswatch search`` and ``presswatch watch ...``.

Reports and search read the live warehouse, or its snapshot while a flow writes it; the
watchlist edits and a first search-index build take the writer lock (briefly).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from config.settings import resolve_db_path
from reporting import html as html_report
from reporting import output, terminal
from warehouse import ducklake, reports, search, watchlists
from warehouse.db import WarehouseLocked, connection, open_connection
from warehouse.locking import writer_lock
from warehouse.readers_copy import ReadSource, reading

BY_SECTIONS = reports.BY_SECTION
DEFAULT_LIMITS = {"table": 20, "html": 50}
# Copies listed per story: the table shows only which outlets copied; HTML lists 25.
COPIES_SHOWN = {"table": 0, "html": 25}
# How long a watchlist edit or index build waits for a running flow to release the warehouse.
WRITE_WAIT_SECONDS = 30.0


class ReportCliError(Exception):
    """A user-facing error of these commands: one line, exit code 1."""


def _db(args: argparse.Namespace) -> Path:
    return resolve_db_path(args.db)


def _note(source: ReadSource) -> None:
    note = source.note()
    if note:
        print(f"note: {note}", file=sys.stderr)


def _progress() -> Progress:
    """A progress display on stderr (so stdout stays clean); silent when not a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _ensure_migrated(db_path: Path) -> None:
    """Readers open the warehouse read-only, which cannot migrate: a warehouse created by
    an older presswatch is migrated here (briefly writable) when nobody is writing it."""
    if not db_path.exists():
        return
    from warehouse.db import _migrations

    latest = max(v for v, _, _ in _migrations())
    try:
        con = open_connection(db_path, read_only=True)
    except WarehouseLocked:
        return  # a writer has it open, and writers migrate
    try:
        current = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    finally:
        con.close()
    if current is not None and current >= latest:
        return
    try:
        with writer_lock(db_path, wait_seconds=0), connection(db_path):
            pass
    except WarehouseLocked:
        return


@contextmanager
def _writing(db_path: Path) -> Iterator[Any]:
    with writer_lock(db_path, wait_seconds=WRITE_WAIT_SECONDS), connection(db_path) as con:
        yield con


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _filters(args: argparse.Namespace) -> reports.ReportFilter:
    if args.since and args.until and args.since > args.until:
        raise ReportCliError(f"--since {args.since} is after --until {args.until}")
    return reports.ReportFilter(
        since=args.since, until=args.until, outlet=args.outlet, story=args.story, watch=args.watch
    )


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


# --- report coverage ---------------------------------------------------------------------


def cmd_report_coverage(args: argparse.Namespace, console: Console) -> int:
    filters = _filters(args)
    limit = args.limit if args.limit is not None else DEFAULT_LIMITS.get(args.format)
    limit = limit or None
    section = BY_SECTIONS[args.by]
    if args.format == "parquet" and not args.out:
        raise ReportCliError("--format parquet writes a file: give --out PATH")
    db_path = _db(args)
    _ensure_migrated(db_path)
    with reading(db_path) as (con, source):
        _note(source)
        if (
            args.watch
            and not con.execute(
                "SELECT count(*) FROM watchlists WHERE name = ?", [args.watch]
            ).fetchone()[0]
        ):
            raise ReportCliError(f"no watchlist named {args.watch!r} (see `presswatch watch list`)")
        if args.format == "parquet":
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            reports.export_parquet(con, section, args.out, filters, limit=limit)
            print(f"wrote {args.by} report to {args.out}", file=sys.stderr)
            return 0
        if args.format == "csv":
            rows = reports.report_section(
                con, section, filters, limit=limit if section == "stories" else None
            )
            _emit(output.to_csv(rows), args.out)
            return 0
        with _progress() as progress:
            task = progress.add_task("coverage report", total=len(reports.SECTIONS) + 3)

            def step(name: str) -> None:
                progress.update(task, description=f"coverage report: {name}", advance=1)

            report = reports.coverage_report(
                con,
                filters,
                limit=limit,
                matches_per_watchlist=limit or None,
                copies_per_story=COPIES_SHOWN.get(args.format),
                progress=step,
            )
            if args.format == "html":
                step("rendering HTML")
                text = html_report.render(report)
    if args.format == "json":
        _emit(output.to_json(report) + "\n", args.out)
    elif args.format == "html":
        _emit(text, args.out)
    elif args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            terminal.print_coverage(
                Console(file=handle, width=160, color_system=None), report, limit
            )
    else:
        terminal.print_coverage(console, report, limit)
    if args.out and args.format != "parquet":
        print(f"wrote {args.format} report to {args.out}", file=sys.stderr)
    return 0


# --- search ------------------------------------------------------------------------------


def _build_index(db_path: Path, force: bool) -> float | None:
    with Console(stderr=True).status("building the search index…"), _writing(db_path) as con:
        return search.refresh_index(con, force=force)


def cmd_search(args: argparse.Namespace, console: Console) -> int:
    filters = _filters(args)
    db_path = _db(args)
    _ensure_migrated(db_path)
    with reading(db_path) as (con, _source):
        status = search.index_status(con)
    indexed = ducklake.parse_target(db_path) is None  # a DuckLake is searched without one
    if not indexed and args.reindex:
        print("note: a DuckLake has no search index; every article is searched", file=sys.stderr)
    if indexed and (args.reindex or not status.exists):
        try:
            seconds = _build_index(db_path, force=args.reindex)
            if seconds is not None:
                print(f"note: search index built in {seconds:.1f} s", file=sys.stderr)
        except WarehouseLocked:
            if not status.exists:
                raise
            print("note: the warehouse is being written; using the existing index", file=sys.stderr)
    with reading(db_path) as (con, source):
        _note(source)
        status = search.index_status(con)
        if indexed and status.needs_rebuild and status.articles >= search.REBUILD_ALWAYS_BELOW:
            print(
                f"note: {status.delta} article(s) are newer than the search index and are "
                "scanned directly; `presswatch search --reindex` rebuilds it",
                file=sys.stderr,
            )
        try:
            results = search.search(con, args.query, filters, limit=args.limit)
        except search.SearchError as exc:
            raise ReportCliError(str(exc)) from exc
    if args.format == "json":
        _emit(output.to_json(results) + "\n", args.out)
    elif args.format == "csv":
        _emit(output.to_csv(results), args.out)
    else:
        target = console
        handle = open(args.out, "w", encoding="utf-8") if args.out else None  # noqa: SIM115
        if handle:
            target = Console(file=handle, width=160, color_system=None)
        try:
            if results:
                output.print_table(
                    target,
                    f"Search: {args.query} ({len(results)} best)",
                    results,
                    ["score", "title", "outlet", "published_or_seen", "snippet"],
                    max_width=60,
                )
            else:
                target.print(f"no articles match {escape(args.query)!r}")
        finally:
            if handle:
                handle.close()
    return 0


# --- watchlists --------------------------------------------------------------------------


def cmd_watch_add(args: argparse.Namespace, console: Console) -> int:
    try:
        for text in args.queries:
            watchlists.parse_query(text)
    except watchlists.WatchlistError as exc:
        raise ReportCliError(str(exc)) from exc
    with _progress() as progress, _writing(_db(args)) as con:
        total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        task = progress.add_task("matching loaded articles", total=None)

        def advance(scanned: int, matched: int) -> None:
            progress.update(
                task, advance=scanned, description=f"matching loaded articles ({matched} found)"
            )

        try:
            counts = watchlists.add(con, args.name, args.queries, progress=advance)
        except watchlists.WatchlistError as exc:
            raise ReportCliError(str(exc)) from exc
    if not counts:
        console.print(f"watchlist [bold]{escape(args.name)}[/bold]: nothing new to add")
    for text, count in counts.items():
        console.print(
            f"watchlist [bold]{escape(args.name)}[/bold]: added {escape(text)!r}, "
            f"matching {count} of {total} article(s)"
        )
    return 0


def cmd_watch_list(args: argparse.Namespace, console: Console) -> int:
    db_path = _db(args)
    _ensure_migrated(db_path)
    with reading(db_path) as (con, source):
        _note(source)
        rows = watchlists.list_watchlists(con)
    if args.format == "json":
        print(output.to_json(rows))
    elif rows:
        output.print_table(console, "Watchlists", rows)
    else:
        console.print("no watchlists: add one with `presswatch watch add NAME QUERY`")
    return 0


def cmd_watch_remove(args: argparse.Namespace, console: Console) -> int:
    with _writing(_db(args)) as con:
        try:
            removed = watchlists.remove(con, args.name, args.queries)
        except watchlists.WatchlistError as exc:
            raise ReportCliError(str(exc)) from exc
    what = f"{removed} query(ies)" if args.queries else "the watchlist"
    console.print(f"removed {what} from [bold]{escape(args.name)}[/bold]")
    return 0


# --- parser ------------------------------------------------------------------------------


def _filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--since", type=_date, help="first day included (YYYY-MM-DD)")
    group.add_argument("--until", type=_date, help="last day included (YYYY-MM-DD)")
    group.add_argument("--outlet", help="outlet name (any case)")
    group.add_argument("--story", help="story id, or words of its label")
    group.add_argument("--watch", help="watchlist name: only articles matching it")


def register_coverage(
    report_kinds: Any, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    coverage = report_kinds.add_parser("coverage", parents=[common], help="coverage report")
    coverage.add_argument(
        "--format", choices=["table", "json", "csv", "parquet", "html"], default="table"
    )
    coverage.add_argument(
        "--by",
        choices=list(BY_SECTIONS),
        default="story",
        help="which section --format csv/parquet writes (default: story)",
    )
    coverage.add_argument("--out", help="write to this file instead of standard output")
    coverage.add_argument(
        "--limit",
        type=int,
        help="keep the N biggest stories (0: all; default 20 for table, 50 for html, else all)",
    )
    _filter_options(coverage)
    coverage.set_defaults(handler=cmd_report_coverage)
    return coverage


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    finder = commands.add_parser(
        "search", parents=[common], help="full-text search over titles and bodies"
    )
    finder.add_argument("query", help='words, "phrases", AND, OR, NOT, parentheses')
    finder.add_argument("--format", choices=["table", "json", "csv"], default="table")
    finder.add_argument("--limit", type=int, default=20, help="results to show (default 20)")
    finder.add_argument("--out", help="write to this file instead of standard output")
    finder.add_argument("--reindex", action="store_true", help="rebuild the search index first")
    _filter_options(finder)
    finder.set_defaults(handler=cmd_search)

    watch = commands.add_parser("watch", help="watchlists: terms matched as articles load")
    actions = watch.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", parents=[common], help="add queries to a watchlist (created if new)"
    )
    add.add_argument("name")
    add.add_argument(
        "queries", nargs="+", metavar="QUERY", help='e.g. laming or "baby p" NOT sport'
    )
    add.set_defaults(handler=cmd_watch_add)
    listing = actions.add_parser("list", parents=[common], help="watchlists and their matches")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=cmd_watch_list)
    remove = actions.add_parser(
        "remove", parents=[common], help="remove queries, or the whole watchlist"
    )
    remove.add_argument("name")
    remove.add_argument("queries", nargs="*", metavar="QUERY")
    remove.set_defaults(handler=cmd_watch_remove)


ERRORS: tuple[type[Exception], ...] = (
    ReportCliError,
    search.SearchError,
    watchlists.WatchlistError,
)
