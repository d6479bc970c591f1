"""``presswatch feeds ...``: edit the monitored-feed list and show per-feed health."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from config.settings import resolve_db_path, resolve_feeds_path
from reporting import output
from sources.feedlist import (
    FeedList,
    FeedListError,
    FeedSource,
    add_feed,
    load_feed_list,
    parse_opml,
    remove_feed,
    save_feed_list,
    to_opml,
)
from warehouse.readers_copy import reading


def _config(args: argparse.Namespace) -> Path:
    return resolve_feeds_path(args.config)


def _load(path: Path) -> FeedList:
    try:
        return load_feed_list(path)
    except ValueError as exc:
        raise FeedListError(str(exc)) from exc


def cmd_add(args: argparse.Namespace, console: Console) -> int:
    path = _config(args)
    try:
        source = FeedSource(
            name=args.name,
            url=args.url,
            outlet=args.outlet,
            tags=tuple(args.tag or ()),
            poll_interval_minutes=args.interval,
        )
    except ValueError as exc:
        raise FeedListError(str(exc)) from exc
    save_feed_list(add_feed(_load(path), source), path)
    console.print(f"added {source.name} ({source.url}) to {path}")
    return 0


def cmd_remove(args: argparse.Namespace, console: Console) -> int:
    path = _config(args)
    try:
        updated = remove_feed(_load(path), args.feed)
    except KeyError as exc:
        raise FeedListError(f"no feed named {args.feed!r} in {path}") from exc
    save_feed_list(updated, path)
    console.print(f"removed {args.feed} from {path}")
    return 0


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    path = _config(args)
    rows = [
        {
            "name": f.name,
            "url": f.url,
            "outlet": f.outlet,
            "tags": list(f.tags),
            "poll_interval_minutes": f.poll_interval_minutes,
        }
        for f in _load(path).feeds
    ]
    if args.format == "json":
        print(output.to_json(rows))
    else:
        output.print_table(console, f"Feeds in {path}", rows)
    return 0


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    path = _config(args)
    try:
        imported = parse_opml(Path(args.file).read_bytes())
    except OSError as exc:
        raise FeedListError(f"cannot read {args.file}: {exc.strerror}") from exc
    except ValueError as exc:
        raise FeedListError(f"{args.file}: {exc}") from exc
    feed_list = _load(path)
    for source in imported:
        feed_list = add_feed(feed_list, source)
    save_feed_list(feed_list, path)
    console.print(f"imported {len(imported)} feed(s) from {args.file} into {path}")
    return 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    document = to_opml(_load(_config(args)))
    if args.out:
        Path(args.out).write_text(document, encoding="utf-8")
        console.print(f"wrote {args.out}")
    else:
        sys.stdout.write(document)
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    from warehouse.feed_state import feed_health  # imported here: it loads the dedup stack

    with reading(resolve_db_path(args.db)) as (con, source):
        if source.is_snapshot:
            print(f"note: {source.note()}", file=sys.stderr)
        rows = feed_health(con)
    if args.format == "json":
        print(output.to_json(rows))
    else:
        output.print_table(
            console,
            "Feed health",
            rows,
            [
                "name",
                "last_success_at",
                "last_status",
                "consecutive_failures",
                "next_poll_at",
                "items_seen",
                "items_pending",
                "last_error",
            ],
        )
    return 0


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--config", help="feed list file (default: $PRESSWATCH_FEEDS or feeds.toml)"
    )
    feeds = commands.add_parser("feeds", help="the monitored feeds")
    actions = feeds.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", parents=[config], help="add (or replace) a feed")
    add.add_argument("name")
    add.add_argument("url")
    add.add_argument("--outlet")
    add.add_argument("--tag", action="append", help="repeatable")
    add.add_argument("--interval", type=int, help="minimum minutes between polls")
    add.set_defaults(handler=cmd_add)

    remove = actions.add_parser("remove", parents=[config], help="remove a feed by name or url")
    remove.add_argument("feed")
    remove.set_defaults(handler=cmd_remove)

    listing = actions.add_parser("list", parents=[config], help="list the feeds")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=cmd_list)

    importing = actions.add_parser("import", parents=[config], help="import an OPML file")
    importing.add_argument("file")
    importing.set_defaults(handler=cmd_import)

    export = actions.add_parser("export", parents=[config], help="export the list as OPML")
    export.add_argument("--out", help="file to write (default: stdout)")
    export.set_defaults(handler=cmd_export)

    status = actions.add_parser("status", parents=[common], help="per-feed health")
    status.add_argument("--format", choices=["table", "json"], default="table")
    status.set_defaults(handler=cmd_status)
