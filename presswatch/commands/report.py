"""``presswatch report coverage``: the coverage report as a table, JSON, CSV, Parquet or
HTML, with the report filters. Reads the live warehouse, or its readers' copy while a flow
writes it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from presswatch import options
from presswatch.errors import UsageError
from presswatch.printing import file_console, note_source, output_file, write_text
from reporting import html as html_report
from reporting import output
from reporting.terminal import coverage_table
from warehouse import reports
from warehouse.readers_copy import migrate_for_readers, reading

BY_SECTIONS = reports.BY_SECTION
DEFAULT_LIMITS = {"table": 20, "html": 50}
# Copies listed per story: the table shows only which outlets copied; HTML lists 25.
COPIES_SHOWN = {"table": 0, "html": 25}


def progress_display() -> Progress:
    """A progress display on stderr (so stdout stays clean); silent when not a terminal."""
    console = Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def report_filter(args: argparse.Namespace) -> reports.ReportFilter:
    """The report filters given on the command line (shared by report and search)."""
    if args.since and args.until and args.since > args.until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")
    return reports.ReportFilter(
        since=args.since,
        until=args.until,
        outlet=args.outlet,
        story=args.story,
        watch=args.watch,
        language=args.language,
    )


def _check_watchlist(con: Any, name: str | None) -> None:
    if not name:
        return
    if not con.execute("SELECT count(*) FROM watchlists WHERE name = ?", [name]).fetchone()[0]:
        raise UsageError(f"no watchlist named {name!r} (see `presswatch watch list`)")


def cmd_report_coverage(args: argparse.Namespace, console: Console) -> int:
    filters = report_filter(args)
    limit = args.limit if args.limit is not None else DEFAULT_LIMITS.get(args.format)
    limit = limit or None
    section = BY_SECTIONS[args.by]
    if args.format == "parquet" and not args.out:
        raise UsageError("--format parquet writes a file: give --out PATH")
    db_path = options.db_path(args)
    migrate_for_readers(db_path)
    with reading(db_path) as (con, source):
        note_source(source)
        _check_watchlist(con, args.watch)
        if args.format == "parquet":
            _write_parquet(con, section, args.out, filters, limit)
            print(f"wrote {args.by} report to {args.out}", file=sys.stderr)
            return 0
        if args.format == "csv":
            rows = reports.report_section(
                con, section, filters, limit=limit if section == "stories" else None
            )
            write_text(output.to_csv(rows), args.out)
            return 0
        report, text = _build(con, args.format, filters, limit)
    if args.format == "json":
        write_text(output.to_json(report) + "\n", args.out)
    elif args.format == "html":
        write_text(text or "", args.out)
    elif args.out:
        with output_file(args.out) as handle:
            coverage_table(file_console(handle), report, limit)
    else:
        coverage_table(console, report, limit)
    if args.out:
        print(f"wrote {args.format} report to {args.out}", file=sys.stderr)
    return 0


def _write_parquet(
    con: Any, section: str, out: str, filters: reports.ReportFilter, limit: int | None
) -> None:
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc
    reports.export_parquet(con, section, out, filters, limit=limit)


def _build(
    con: Any, format_name: str, filters: reports.ReportFilter, limit: int | None
) -> tuple[dict[str, Any], str | None]:
    """The report (with a progress display), and its HTML when that is the format."""
    with progress_display() as progress:
        task = progress.add_task("coverage report", total=len(reports.SECTIONS) + 3)
        step: Callable[[str], None] = lambda name: progress.update(  # noqa: E731
            task, description=f"coverage report: {name}", advance=1
        )
        report = reports.coverage_report(
            con,
            filters,
            limit=limit,
            matches_per_watchlist=limit or None,
            copies_per_story=COPIES_SHOWN.get(format_name),
            progress=step,
        )
        if format_name != "html":
            return report, None
        step("rendering HTML")
        return report, html_report.render(report)


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="coverage reports")
    kinds = report.add_subparsers(dest="kind", required=True, metavar="KIND")
    coverage = kinds.add_parser(
        "coverage",
        parents=[
            options.db_option(),
            options.format_option("table", "json", "csv", "parquet", "html"),
            options.out_option(),
            options.limit_option(
                None,
                "keep the N biggest stories (0: all; default 20 for table, 50 for html, else all)",
            ),
            options.filter_options(),
        ],
        help="coverage report",
    )
    coverage.add_argument(
        "--by",
        choices=list(BY_SECTIONS),
        default="story",
        help="which section --format csv/parquet writes (default: story)",
    )
    coverage.set_defaults(handler=cmd_report_coverage)
