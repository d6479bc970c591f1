"""``presswatch alerts add|list|remove|test|log``: subscriptions to watchlists, by email or
webhook, and the log of what was sent."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
from rich.console import Console
from rich.markup import escape

from alerts import engine
from config.settings import resolve_db_path
from reporting import output
from warehouse import alerts as state
from warehouse.db import connection, warehouse_exists
from warehouse.locking import writer_lock
from warehouse.readers_copy import reading

WRITE_WAIT_SECONDS = 60.0


class AlertCliError(Exception):
    """A user-facing error: printed as one line, exit code 1."""


@contextmanager
def _writing(args: argparse.Namespace) -> Iterator[duckdb.DuckDBPyConnection]:
    db_path = resolve_db_path(args.db)
    with writer_lock(db_path, wait_seconds=WRITE_WAIT_SECONDS), connection(db_path) as con:
        yield con


@contextmanager
def _reading(args: argparse.Namespace) -> Iterator[duckdb.DuckDBPyConnection]:
    """The live warehouse, or its snapshot while a run writes (noted on stderr). A
    warehouse without the alert tables (older than alerts, or a snapshot taken before
    them) has no alerts to show."""
    db_path = resolve_db_path(args.db)
    if not warehouse_exists(db_path):
        raise AlertCliError(f"no warehouse at {db_path}: run `presswatch ingest seeds` first")
    with reading(db_path) as (con, source):
        note = source.note()
        if note:
            print(f"note: {note}", file=sys.stderr)
        try:
            yield con
        except duckdb.CatalogException:
            raise AlertCliError(
                "no alerts in this warehouse yet: add one with "
                "`presswatch alerts add NAME --watch WATCHLIST`"
            ) from None


def cmd_add(args: argparse.Namespace, console: Console) -> int:
    with _writing(args) as con:
        try:
            sub = engine.new_subscription(
                con,
                args.name,
                args.watch,
                emails=args.email or (),
                webhooks=args.webhook or (),
                mode=args.mode,
                digest_at=args.digest_at,
                timezone=args.timezone,
                min_articles=args.min_articles,
                quiet=args.quiet,
            )
        except engine.AlertError as exc:
            raise AlertCliError(str(exc)) from None
    when = f", digest at {sub.digest_at} {sub.timezone}" if sub.digest_at else ""
    console.print(
        f"alert [bold]{escape(sub.name)}[/bold] on watchlist {escape(sub.watchlist)!r}: "
        f"{sub.mode}{escape(when)}, {len(sub.targets)} recipient(s)"
    )
    return 0


def _listing(sub: state.Subscription, json_format: bool) -> dict[str, Any]:
    row = sub.as_row()
    if not json_format:
        row["emails"] = ", ".join(sub.emails)
        row["webhooks"] = ", ".join(sub.webhooks)
    return row


LIST_COLUMNS = [
    "name",
    "watchlist",
    "mode",
    "digest_at",
    "timezone",
    "quiet",
    "min_articles",
    "emails",
    "webhooks",
]


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    with _reading(args) as con:
        subs = state.subscriptions(con)
    rows = [_listing(s, args.format == "json") for s in subs]
    if args.format == "json":
        print(output.to_json(rows))
    elif rows:
        columns = ["name", "watchlist", "mode", "digest_at", "timezone", "quiet"]
        output.print_table(
            console, "Alerts", rows, [*columns, "min_articles", "emails", "webhooks"]
        )
    else:
        console.print("no alerts: add one with `presswatch alerts add NAME --watch WATCHLIST`")
    return 0


def cmd_remove(args: argparse.Namespace, console: Console) -> int:
    with _writing(args) as con:
        try:
            dropped = engine.remove_subscription(con, args.name)
        except engine.AlertError as exc:
            raise AlertCliError(str(exc)) from None
    console.print(
        f"removed alert [bold]{escape(args.name)}[/bold] ({dropped} undelivered message(s) dropped)"
    )
    return 0


def cmd_test(args: argparse.Namespace, console: Console) -> int:
    try:
        channels = engine.Channels.from_env()
    except ValueError as exc:
        raise AlertCliError(str(exc)) from None
    with _writing(args) as con:
        try:
            run = engine.send_check(con, args.name, channels)
        except engine.AlertError as exc:
            raise AlertCliError(str(exc)) from None
        rows = state.delivery_log(con, args.name, limit=len(run.decided) * 1000)
    results = [r for r in rows if r["alert_id"] in run.decided]
    for row in results:
        outcome = "sent" if row["status"] == "sent" else f"{row['status']}: {row['last_error']}"
        console.print(f"{row['channel']} {escape(row['target'])}: {escape(outcome)}")
    return 0 if run.retrying == 0 and run.failed == 0 else 1


LOG_COLUMNS = [
    "created_at",
    "subscription",
    "kind",
    "channel",
    "target",
    "status",
    "attempts",
    "sent_at",
    "next_attempt_at",
    "last_error",
    "subject",
]


def cmd_log(args: argparse.Namespace, console: Console) -> int:
    with _reading(args) as con:
        rows = state.delivery_log(con, args.alert, limit=args.limit)
    if args.format == "json":
        print(output.to_json(rows))
    elif rows:
        output.print_table(console, "Alert deliveries (newest first)", rows, LOG_COLUMNS, 40)
    else:
        console.print("no alerts sent yet")
    return 0


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    alerts = commands.add_parser("alerts", help="alerts and digests on watchlists")
    actions = alerts.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", parents=[common], help="subscribe to a watchlist")
    add.add_argument("name")
    add.add_argument("--watch", required=True, metavar="WATCHLIST")
    add.add_argument("--email", action="append", metavar="ADDR", help="repeatable")
    add.add_argument("--webhook", action="append", metavar="URL", help="repeatable")
    add.add_argument("--mode", choices=["instant", "digest"], default="instant")
    add.add_argument(
        "--digest-at",
        metavar="HH:MM",
        help="local time of the daily digest (digest mode: default 07:00; instant mode: "
        "adds a digest)",
    )
    add.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/London")
    add.add_argument(
        "--min-articles", type=int, default=1, help="alert once a story has N articles"
    )
    add.add_argument("--quiet", metavar="HH:MM-HH:MM", help="local hours when instant alerts wait")
    add.set_defaults(handler=cmd_add)

    listing = actions.add_parser("list", parents=[common], help="the subscriptions")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=cmd_list)

    remove = actions.add_parser("remove", parents=[common], help="remove a subscription")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_remove)

    test = actions.add_parser("test", parents=[common], help="send a test message now")
    test.add_argument("name")
    test.set_defaults(handler=cmd_test)

    log = actions.add_parser("log", parents=[common], help="what was sent and what failed")
    log.add_argument("--format", choices=["table", "json"], default="table")
    log.add_argument("--alert", metavar="NAME", help="only this subscription")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(handler=cmd_log)


ERRORS: tuple[type[Exception], ...] = (AlertCliError,)
