"""``presswatch alerts add|list|remove|test|log``: subscriptions to a watchlist, by email or
webhook, and the log of what was sent (docs/alerts.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import duckdb
from rich.console import Console

from alerts import engine
from presswatch import options
from presswatch.errors import UsageError
from presswatch.printing import Rows, read_rows, say, show_rows
from presswatch.writing import writing
from warehouse import alerts as state
from warehouse.readers_copy import migrate_for_readers

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


def _read(args: argparse.Namespace, read: Callable[[duckdb.DuckDBPyConnection], Rows]) -> Rows:
    """Rows from the warehouse, or its readers' copy while a flow writes; a copy taken
    before the warehouse had alerts has none to show."""
    migrate_for_readers(options.db_path(args))
    try:
        return read_rows(args, read)
    except duckdb.CatalogException:
        raise UsageError(
            "no alerts in this warehouse yet: add one with "
            "`presswatch alerts add NAME --watch WATCHLIST`"
        ) from None


def cmd_alerts_add(args: argparse.Namespace, console: Console) -> int:
    with writing(options.db_path(args)) as con:
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
            raise UsageError(str(exc)) from None
    when = f", digest at {sub.digest_at} {sub.timezone}" if sub.digest_at else ""
    say(
        console,
        f"alert {sub.name} on watchlist {sub.watchlist!r}: {sub.mode}{when}, "
        f"{len(sub.targets)} recipient(s)",
    )
    return 0


def cmd_alerts_list(args: argparse.Namespace, console: Console) -> int:
    rows = _read(args, lambda con: [s.as_row() for s in state.subscriptions(con)])
    empty = "no alerts: add one with `presswatch alerts add NAME --watch WATCHLIST`"
    show_rows(console, args, "Alerts", rows, LIST_COLUMNS, empty=empty)
    return 0


def cmd_alerts_remove(args: argparse.Namespace, console: Console) -> int:
    with writing(options.db_path(args)) as con:
        try:
            dropped = engine.remove_subscription(con, args.name)
        except engine.AlertError as exc:
            raise UsageError(str(exc)) from None
    say(console, f"removed alert {args.name} ({dropped} undelivered message(s) dropped)")
    return 0


def cmd_alerts_test(args: argparse.Namespace, console: Console) -> int:
    """A test message to every recipient now; exit 1 when one could not be delivered."""
    try:
        channels = engine.Channels.from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with writing(options.db_path(args)) as con:
        try:
            run = engine.send_check(con, args.name, channels)
        except engine.AlertError as exc:
            raise UsageError(str(exc)) from None
        rows = state.delivery_log(con, args.name, limit=len(run.decided) * 1000)
    for row in rows:
        if row["alert_id"] in run.decided:
            outcome = "sent" if row["status"] == "sent" else f"{row['status']}: {row['last_error']}"
            say(console, f"{row['channel']} {row['target']}: {outcome}")
    return 0 if run.retrying == 0 and run.failed == 0 else 1


def cmd_alerts_log(args: argparse.Namespace, console: Console) -> int:
    limit = args.limit or None
    rows = _read(args, lambda con: state.delivery_log(con, args.alert, limit=limit))
    title = "Alert deliveries (newest first)"
    show_rows(console, args, title, rows, LOG_COLUMNS, empty="no alerts sent yet")
    return 0


def register(commands: Any) -> None:
    alerts = commands.add_parser(
        "alerts", help="alerts and digests: tell people when a watchlist is in the news"
    )
    actions = alerts.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add", parents=[options.db_option()], help="subscribe people to a watchlist"
    )
    add.add_argument("name", help="the alert's name")
    add.add_argument("--watch", required=True, metavar="WATCHLIST", help="the watchlist to follow")
    add.add_argument(
        "--email", action="append", metavar="ADDR", help="send email here (repeatable)"
    )
    add.add_argument(
        "--webhook",
        action="append",
        metavar="URL",
        help="POST JSON here, Slack/Teams compatible (repeatable)",
    )
    add.add_argument(
        "--mode",
        choices=["instant", "digest"],
        default="instant",
        help="instant: a message per new story as runs end; digest: a daily digest only "
        "(default: instant)",
    )
    add.add_argument(
        "--digest-at",
        metavar="HH:MM",
        help="local time of the daily digest (digest mode: default 07:00; instant mode: "
        "adds a digest)",
    )
    add.add_argument(
        "--timezone", default="UTC", help="IANA time zone, e.g. Europe/London (default: UTC)"
    )
    add.add_argument(
        "--min-articles",
        type=int,
        default=1,
        metavar="N",
        help="alert once a story has N articles (default: 1)",
    )
    add.add_argument(
        "--quiet",
        metavar="HH:MM-HH:MM",
        help="local hours in which instant and spike alerts wait, e.g. 22:00-07:00",
    )
    add.set_defaults(handler=cmd_alerts_add)

    listing = actions.add_parser(
        "list",
        parents=[options.db_option(), options.format_option("table", "json")],
        help="the alerts and their recipients",
    )
    listing.set_defaults(handler=cmd_alerts_list)

    remove = actions.add_parser(
        "remove",
        parents=[options.db_option()],
        help="remove an alert (what was sent stays in the log)",
    )
    remove.add_argument("name", help="the alert's name")
    remove.set_defaults(handler=cmd_alerts_remove)

    test = actions.add_parser(
        "test",
        parents=[options.db_option()],
        help="send a test message to every recipient now (exit 1 if one fails)",
    )
    test.add_argument("name", help="the alert's name")
    test.set_defaults(handler=cmd_alerts_test)

    log = actions.add_parser(
        "log",
        parents=[
            options.db_option(),
            options.format_option("table", "json"),
            options.limit_option(50, "deliveries to show, newest first (0: all; default: 50)"),
        ],
        help="what was sent, what waits and what failed",
    )
    log.add_argument("--alert", metavar="NAME", help="only this alert's deliveries")
    log.set_defaults(handler=cmd_alerts_log)
