"""``presswatch watch add|list|remove``: watchlists, matched as articles load.

The edit rule (the same as for feeds): ``add`` creates the watchlist or adds queries to it,
and says for each query whether it was added or was already there (unchanged); a name
that differs from an existing watchlist's only in case or spacing is refused (it is almost
always a typo) unless ``--new`` asks for a second watchlist; ``--replace`` makes the given
queries the watchlist's whole list (the others are removed)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from presswatch import options
from presswatch.commands.report import progress_display
from presswatch.errors import UsageError
from presswatch.printing import read_rows, say, show_rows
from presswatch.writing import writing
from warehouse import watchlists
from warehouse.readers_copy import migrate_for_readers


def _similar_name(con: Any, name: str) -> str | None:
    """An existing watchlist whose name differs from ``name`` only in case or spacing."""
    key = " ".join(name.split()).casefold()
    for (existing,) in con.execute("SELECT name FROM watchlists").fetchall():
        if existing != name and " ".join(existing.split()).casefold() == key:
            return existing
    return None


def cmd_watch_add(args: argparse.Namespace, console: Console) -> int:
    name = args.name.strip()
    wanted = list(dict.fromkeys(watchlists.parse_query(t.strip()).text for t in args.queries))
    with writing(options.db_path(args)) as con:
        similar = _similar_name(con, name)
        if similar and not args.new:
            raise UsageError(
                f"a watchlist named {similar!r} exists: use that name, or --new to create "
                f"{name!r} beside it"
            )
        current = [q.text for q in watchlists.queries(con, name)]
        dropped = [q for q in current if q not in wanted] if args.replace else []
        if dropped:
            watchlists.remove(con, name, dropped)
        total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        with progress_display() as progress:
            task = progress.add_task("matching loaded articles", total=None)

            def advance(scanned: int, matched: int) -> None:
                progress.update(
                    task,
                    advance=scanned,
                    description=f"matching loaded articles ({matched} found)",
                )

            counts = watchlists.add(con, name, wanted, progress=advance)
    label = f"watchlist {name}"
    if not current:
        say(console, f"{label}: created")
    for text in dropped:
        say(console, f"{label}: removed {text!r}")
    for text in wanted:
        if text in counts:
            matching = f"matching {counts[text]} of {total} article(s)"
            say(console, f"{label}: added {text!r}, {matching}")
        else:
            say(console, f"{label}: unchanged {text!r} (already in the watchlist)")
    return 0


def cmd_watch_list(args: argparse.Namespace, console: Console) -> int:
    migrate_for_readers(options.db_path(args))
    rows = read_rows(args, watchlists.list_watchlists)
    show_rows(
        console,
        args,
        "Watchlists",
        rows,
        empty="no watchlists: add one with `presswatch watch add NAME QUERY`",
    )
    return 0


def cmd_watch_remove(args: argparse.Namespace, console: Console) -> int:
    with writing(options.db_path(args)) as con:
        removed = watchlists.remove(con, args.name, args.queries)
    what = f"{removed} query(ies)" if args.queries else "the watchlist"
    say(console, f"removed {what} from {args.name}")
    return 0


def register(commands: Any) -> None:
    watch = commands.add_parser("watch", help="watchlists: terms matched as articles load")
    actions = watch.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        parents=[options.db_option()],
        help="add queries to a watchlist (created if new; queries already there are unchanged)",
    )
    add.add_argument("name", help="the watchlist's name")
    add.add_argument(
        "queries", nargs="+", metavar="QUERY", help='e.g. laming or "baby p" NOT sport'
    )
    add.add_argument(
        "--replace",
        action="store_true",
        help="make these queries the watchlist's whole list (removing the others)",
    )
    add.add_argument(
        "--new",
        action="store_true",
        help="create the watchlist even though one differs from its name only in case or spacing",
    )
    add.set_defaults(handler=cmd_watch_add)
    listing = actions.add_parser(
        "list",
        parents=[options.db_option(), options.format_option("table", "json")],
        help="watchlists and their matches",
    )
    listing.set_defaults(handler=cmd_watch_list)
    remove = actions.add_parser(
        "remove", parents=[options.db_option()], help="remove queries, or the whole watchlist"
    )
    remove.add_argument("name", help="the watchlist's name")
    remove.add_argument(
        "queries", nargs="*", metavar="QUERY", help="queries to remove (none: the whole watchlist)"
    )
    remove.set_defaults(handler=cmd_watch_remove)
