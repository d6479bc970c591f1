"""``presswatch articles``, ``presswatch runs`` and ``presswatch errors``: what the
warehouse holds, what ran, and which inputs failed (retried on the next run)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from presswatch import options
from presswatch.errors import UsageError
from presswatch.printing import read_rows, show_rows
from warehouse import reports, run_log
from warehouse.locking import writer_active

ARTICLE_COLUMNS = [
    "id",
    "source",
    "title",
    "outlet",
    "language",
    "published_at",
    "duplicate_of",
    "story_id",
]


REVISION_COLUMNS = ["revision", "title", "published_at", "text_seen_at", "replaced_at"]


def cmd_articles(args: argparse.Namespace, console: Console) -> int:
    if args.revisions:
        return _revisions(args, console, args.revisions)
    rows = read_rows(args, reports.list_articles)
    show_rows(console, args, "Articles", rows, ARTICLE_COLUMNS)
    return 0


def _revisions(args: argparse.Namespace, console: Console, article_id: str) -> int:
    rows = read_rows(args, lambda con: reports.article_revisions(con, article_id))
    if not rows:
        raise UsageError(f"no article {article_id!r} (`presswatch articles` lists their ids)")
    show_rows(console, args, f"Revisions of {article_id}", rows, REVISION_COLUMNS)
    return 0


def cmd_runs(args: argparse.Namespace, console: Console) -> int:
    rows = read_rows(args, lambda con: reports.recent_runs(con, args.limit))
    # A run still ``running`` while no process holds the writer lock was killed.
    rows = run_log.as_listed(rows, writer_active(options.db_path(args)))
    show_rows(console, args, "Ingestion runs", rows)
    return 0


def cmd_errors(args: argparse.Namespace, console: Console) -> int:
    rows = read_rows(args, reports.open_errors)
    show_rows(console, args, "Open errors (retried on the next run)", rows)
    return 0


def register(commands: Any) -> None:
    table_or_json = options.format_option("table", "json")
    articles = commands.add_parser(
        "articles", parents=[options.db_option(), table_or_json], help="list every article"
    )
    articles.add_argument(
        "--revisions",
        metavar="ID",
        help="show the texts of article ID: each earlier revision and the current one",
    )
    articles.set_defaults(handler=cmd_articles)

    runs = commands.add_parser(
        "runs",
        parents=[
            options.db_option(),
            table_or_json,
            options.limit_option(20, "runs to show, newest first (default 20)"),
        ],
        help="recent ingestion runs",
    )
    runs.set_defaults(handler=cmd_runs)

    errors = commands.add_parser(
        "errors", parents=[options.db_option(), table_or_json], help="inputs that failed"
    )
    errors.set_defaults(handler=cmd_errors)
