"""``presswatch feeds ...``: edit the monitored-feed list and show per-feed health.

Edits are safe: ``add`` refuses a name or URL already in the list unless ``--replace``;
``update`` changes only the options given; each says added, updated or unchanged."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

from config.settings import resolve_feeds_path
from presswatch import options
from presswatch.errors import UsageError
from presswatch.printing import read_rows, say, show_rows, write_text
from sources.feed_edits import (
    ADDED,
    REFUSED,
    UNCHANGED,
    UPDATED,
    FeedChanges,
    FeedEdit,
    plan_add,
    plan_update,
)
from sources.feedlist import (
    FeedList,
    FeedSource,
    load_feed_list,
    parse_opml,
    remove_feed,
    save_feed_list,
    to_opml,
)

HEALTH_COLUMNS = [
    "name",
    "last_success_at",
    "last_status",
    "consecutive_failures",
    "next_poll_at",
    "poll_interval_minutes",
    "interval_reason",
    "items_seen",
    "items_pending",
    "last_error",
]


def feed_list_path(args: argparse.Namespace) -> Path:
    return resolve_feeds_path(args.config)


def read_feed_list(path: Path) -> FeedList:
    try:
        return load_feed_list(path)
    except OSError as exc:
        raise UsageError(f"cannot read feed list {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # its message starts with the file's name
        raise UsageError(f"cannot use feed list {exc}") from exc


def write_feed_list(feed_list: FeedList, path: Path) -> None:
    try:
        save_feed_list(feed_list, path)
    except OSError as exc:
        raise UsageError(f"cannot write feed list {path}: {exc.strerror or exc}") from exc


def describe_feed(source: FeedSource) -> str:
    return f"{source.name} ({source.url})"


def _report(console: Console, edit: FeedEdit, source: FeedSource, path: Path) -> None:
    say(console, f"{edit.verdict} {describe_feed(source)} in {path}")


def cmd_add(args: argparse.Namespace, console: Console) -> int:
    path = feed_list_path(args)
    try:
        source = FeedSource(
            name=args.name,
            url=args.url,
            outlet=args.outlet,
            tags=tuple(args.tag or ()),
            poll_interval_minutes=args.interval,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    edit = plan_add(read_feed_list(path), source, replace_existing=args.replace)
    if edit.verdict == REFUSED:
        existing = "; ".join(describe_feed(f) for f in edit.clashes)
        raise UsageError(
            f"{path} already has {existing}: `presswatch feeds update {edit.clashes[0].name} "
            "--url/--outlet/--tag/--interval` changes it, `feeds add ... --replace` replaces it"
        )
    write_feed_list(edit.feed_list, path)
    _report(console, edit, source, path)
    return 0


def cmd_update(args: argparse.Namespace, console: Console) -> int:
    path = feed_list_path(args)
    changes = FeedChanges(
        url=args.url,
        outlet=args.outlet,
        tags=tuple(args.tag) if args.tag is not None else None,
        poll_interval_minutes=args.interval,
    )
    try:
        edit = plan_update(read_feed_list(path), args.name, changes)
    except KeyError:
        raise UsageError(
            f"no feed named {args.name!r} in {path} (`presswatch feeds list` shows them)"
        ) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if edit.verdict != UNCHANGED:
        write_feed_list(edit.feed_list, path)
    updated = next(f for f in edit.feed_list.feeds if args.name in (f.name, f.url))
    _report(console, edit, updated, path)
    return 0


def cmd_remove(args: argparse.Namespace, console: Console) -> int:
    path = feed_list_path(args)
    try:
        updated = remove_feed(read_feed_list(path), args.feed)
    except KeyError:
        raise UsageError(f"no feed named {args.feed!r} in {path}") from None
    write_feed_list(updated, path)
    say(console, f"removed {args.feed} from {path}")
    return 0


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    path = feed_list_path(args)
    rows = [
        {
            "name": f.name,
            "url": f.url,
            "outlet": f.outlet,
            "tags": list(f.tags),
            "poll_interval_minutes": f.poll_interval_minutes,
        }
        for f in read_feed_list(path).feeds
    ]
    show_rows(
        console,
        args,
        f"Feeds in {path}",
        rows,
        empty=f"no feeds in {path}: add one with `presswatch feeds add NAME URL`",
    )
    return 0


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    path = feed_list_path(args)
    try:
        imported = parse_opml(Path(args.file).read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from exc
    except ValueError as exc:
        raise UsageError(f"{args.file}: {exc}") from exc
    feed_list = read_feed_list(path)
    verdicts: Counter[str] = Counter()
    try:
        for source in imported:  # the same rule as `feeds add`, entry by entry
            edit = plan_add(feed_list, source, replace_existing=args.replace)
            feed_list = edit.feed_list
            verdicts[edit.verdict] += 1
    except ValueError as exc:
        raise UsageError(f"{args.file}: {exc}") from exc
    write_feed_list(feed_list, path)
    say(
        console,
        f"imported {len(imported)} feed(s) from {args.file} into {path}: "
        + ", ".join(f"{verdicts[v]} {v}" for v in (ADDED, UPDATED, UNCHANGED)),
    )
    if verdicts[REFUSED]:
        say(
            console,
            f"{verdicts[REFUSED]} feed(s) kept as they were: their name or URL is already "
            "listed with other details (`feeds import --replace` takes the file's version)",
        )
    return 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    document = to_opml(read_feed_list(feed_list_path(args)))
    write_text(document, args.out)
    if args.out:
        say(console, f"wrote {args.out}")
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    from warehouse.feed_state import feed_health  # imported here: it loads the dedupe stack

    show_rows(console, args, "Feed health", read_rows(args, feed_health), HEALTH_COLUMNS)
    return 0


def _feed_fields(parser: argparse.ArgumentParser, *, update: bool) -> None:
    keep = " (unchanged when not given)" if update else ""
    parser.add_argument("--outlet", help=f"the outlet publishing this feed{keep}")
    parser.add_argument(
        "--tag",
        action="append",
        help="a tag; repeat for several" + (" (they replace the current tags)" if update else ""),
    )
    parser.add_argument(
        "--interval",
        type=options.positive_minutes,
        metavar="MINUTES",
        help=f"minimum minutes between polls{keep}",
    )


def register(commands: Any) -> None:
    config = options.feed_list_option()
    feeds = commands.add_parser("feeds", help="the monitored feeds")
    actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add", parents=[config], help="add a feed (refused if its name or URL is listed)"
    )
    add.add_argument("name", help="a short unique name for the feed")
    add.add_argument("url", help="the feed's URL (RSS or Atom)")
    _feed_fields(add, update=False)
    add.add_argument(
        "--replace",
        action="store_true",
        help="replace the entry with the same name or URL instead of refusing",
    )
    add.set_defaults(handler=cmd_add)

    update = actions.add_parser(
        "update", parents=[config], help="change only the given fields of a feed"
    )
    update.add_argument("name", help="the feed's name (or URL)")
    update.add_argument("--url", help="the feed's new URL (unchanged when not given)")
    _feed_fields(update, update=True)
    update.set_defaults(handler=cmd_update)

    remove = actions.add_parser("remove", parents=[config], help="remove a feed by name or url")
    remove.add_argument("feed", help="the feed's name or URL")
    remove.set_defaults(handler=cmd_remove)

    listing = actions.add_parser(
        "list", parents=[config, options.format_option("table", "json")], help="list the feeds"
    )
    listing.set_defaults(handler=cmd_list)

    importing = actions.add_parser("import", parents=[config], help="import an OPML file")
    importing.add_argument("file", help="the OPML file to import")
    importing.add_argument(
        "--replace",
        action="store_true",
        help="replace listed feeds with the file's version (default: keep them)",
    )
    importing.set_defaults(handler=cmd_import)

    export = actions.add_parser(
        "export",
        parents=[config, options.out_option("file to write (default: standard output)")],
        help="export the list as OPML",
    )
    export.set_defaults(handler=cmd_export)

    status = actions.add_parser(
        "status",
        parents=[options.db_option(), options.format_option("table", "json")],
        help="per-feed health",
    )
    status.set_defaults(handler=cmd_status)
