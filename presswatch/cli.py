"""The ``presswatch`` command: a thin layer over the flows and the warehouse functions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from config.settings import resolve_db_path, resolve_feeds_path
from presswatch import dedupe_cli, feeds_cli, lake_cli, reports_cli, scheduler
from reporting import output
from sources.seeds import SeedFolderError
from warehouse import reports
from warehouse.db import WarehouseError, WarehouseLocked
from warehouse.readers_copy import ReadSource, reading

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_LOCKED = 3

COVERAGE_VIEWS = {
    "story": reports.coverage_by_story,
    "outlet": reports.coverage_by_outlet,
    "day": reports.coverage_by_day,
}


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 1."""


def _db_path(args: argparse.Namespace) -> Path:
    return resolve_db_path(args.db)


def _note(source: ReadSource) -> None:
    """Tell the user (on stderr, so JSON/CSV output stays clean) when data is a snapshot."""
    note = source.note()
    if note:
        print(f"note: {note}", file=sys.stderr)


# --- commands ----------------------------------------------------------------------------


def cmd_ingest_seeds(args: argparse.Namespace, console: Console) -> int:
    folder = Path(args.path)
    if not folder.exists():
        raise CliError(f"seed path {folder} does not exist")
    from flows.ingest_seeds import ingest_seeds  # imported late: Prefect is slow to import

    summary = ingest_seeds(path=str(folder), db=str(_db_path(args)))
    console.print(
        f"[bold]ingest_seeds[/bold] run {summary.run_id}: {summary.items_seen} file(s) seen, "
        f"{summary.articles_added} added, {summary.articles_updated} updated, "
        f"{summary.articles_unchanged} unchanged, {summary.errors} error(s), "
        f"{summary.duplicates_linked} copy link(s)"
    )
    return EXIT_OK


def cmd_ingest_feeds(args: argparse.Namespace, console: Console) -> int:
    feeds_path = resolve_feeds_path(args.feeds)
    if not feeds_path.exists():
        raise CliError(
            f"feed list {feeds_path} does not exist: add feeds with `presswatch feeds add` "
            "or pass --feeds FILE (TOML or OPML)"
        )
    from flows.ingest_feeds import ingest_feeds  # imported late: Prefect is slow to import

    summary = ingest_feeds(feeds=str(feeds_path), db=str(_db_path(args)), force=args.force)
    console.print(
        f"[bold]ingest_feeds[/bold] run {summary.run_id}: {summary.items_seen} new item(s), "
        f"{summary.articles_added} article(s) added, {summary.articles_updated} updated, "
        f"{summary.errors} error(s), {summary.duplicates_linked} copy link(s)"
    )
    return EXIT_OK


def _scheduler_config(args: argparse.Namespace) -> scheduler.SchedulerConfig:
    return scheduler.SchedulerConfig(
        state_dir=Path(args.state_dir), port=args.port, project_dir=Path.cwd()
    )


def cmd_scheduler(args: argparse.Namespace, console: Console) -> int:
    config = _scheduler_config(args)
    try:
        if args.action == "start":
            lines = scheduler.start(config)
            lines.append(f"Prefect UI: {config.ui_url}   logs: {config.state_dir / 'logs'}")
        elif args.action == "stop":
            lines = scheduler.stop(config)
        else:
            lines = [
                f"{name}: {f'running (pid {pid})' if pid else 'stopped'}"
                for name, pid in scheduler.status(config).items()
            ]
    except scheduler.SchedulerError as exc:
        raise CliError(str(exc)) from exc
    for line in lines:
        console.print(line)
    return EXIT_OK


def cmd_articles(args: argparse.Namespace, console: Console) -> int:
    with reading(_db_path(args)) as (con, source):
        _note(source)
        rows = reports.list_articles(con)
    if args.format == "json":
        print(output.to_json(rows))
    else:
        output.print_table(
            console,
            "Articles",
            rows,
            [
                "id",
                "source",
                "title",
                "outlet",
                "language",
                "published_at",
                "duplicate_of",
                "story_id",
            ],
        )
    return EXIT_OK


def cmd_runs(args: argparse.Namespace, console: Console) -> int:
    with reading(_db_path(args)) as (con, source):
        _note(source)
        rows = reports.recent_runs(con, args.limit)
    if args.format == "json":
        print(output.to_json(rows))
    else:
        output.print_table(console, "Ingestion runs", rows)
    return EXIT_OK


def cmd_errors(args: argparse.Namespace, console: Console) -> int:
    with reading(_db_path(args)) as (con, source):
        _note(source)
        rows = reports.open_errors(con)
    if args.format == "json":
        print(output.to_json(rows))
    else:
        output.print_table(console, "Open errors (retried on the next run)", rows)
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="warehouse file, or ducklake:sqlite:CATALOG / ducklake:postgres:CONNINFO "
        "(default: $PRESSWATCH_DB or warehouse/presswatch.duckdb)",
    )
    parser = argparse.ArgumentParser(
        prog="presswatch", description="Press monitoring: ingest, deduplicate, report."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="run an ingestion flow now")
    ingest_kinds = ingest.add_subparsers(dest="kind", required=True)
    seeds = ingest_kinds.add_parser("seeds", parents=[common], help="ingest local seed files")
    seeds.add_argument("path", nargs="?", default="seeds", help="seed folder or file")
    seeds.set_defaults(handler=cmd_ingest_seeds)
    feeds = ingest_kinds.add_parser("feeds", parents=[common], help="poll the monitored feeds")
    feeds.add_argument(
        "--feeds", help="feed list, TOML or OPML (default: $PRESSWATCH_FEEDS or feeds.toml)"
    )
    feeds.add_argument(
        "--force", action="store_true", help="poll feeds that are backing off after failures"
    )
    feeds.set_defaults(handler=cmd_ingest_feeds)

    report = commands.add_parser("report", help="coverage reports")
    report_kinds = report.add_subparsers(dest="kind", required=True)
    # report coverage: filters, exports and the HTML report live in reports_cli.
    reports_cli.register_coverage(report_kinds, common)

    articles = commands.add_parser("articles", parents=[common], help="list every article")
    articles.add_argument("--format", choices=["table", "json"], default="table")
    articles.set_defaults(handler=cmd_articles)

    runs = commands.add_parser("runs", parents=[common], help="recent ingestion runs")
    runs.add_argument("--format", choices=["table", "json"], default="table")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=cmd_runs)

    feeds_cli.register(commands, common)
    reports_cli.register(commands, common)  # search, watch add|list|remove
    dedupe_cli.register(commands, common)  # dedupe [--rebuild]
    lake_cli.register(commands, common)  # lake maintain

    sched = commands.add_parser(
        "scheduler", help="run the scheduled system locally (Prefect server + worker)"
    )
    sched.add_argument("action", choices=["start", "stop", "status"])
    sched.add_argument("--port", type=int, default=scheduler.DEFAULT_PORT)
    sched.add_argument(
        "--state-dir", default=str(scheduler.DEFAULT_STATE_DIR), help="PIDs, logs, server DB"
    )
    sched.set_defaults(handler=cmd_scheduler)

    errors = commands.add_parser("errors", parents=[common], help="inputs that failed")
    errors.add_argument("--format", choices=["table", "json"], default="table")
    errors.set_defaults(handler=cmd_errors)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console()
    try:
        return args.handler(args, console)
    except WarehouseLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (
        CliError,
        WarehouseError,
        SeedFolderError,
        feeds_cli.FeedListError,
        *reports_cli.ERRORS,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
