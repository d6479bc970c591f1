"""``presswatch dedupe [--rebuild]``: finish pending dedupe, or recompute it from scratch."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from config.settings import Settings
from presswatch import options
from reporting import output
from warehouse.db import WarehouseError, connection, warehouse_exists
from warehouse.locking import writer_lock
from warehouse.readers_copy import refresh_snapshot

BATCH = 2000  # articles per dedupe transaction when finishing a large backlog


def cmd_dedupe(args: argparse.Namespace, console: Console) -> int:
    # Imported here: they load numpy and wordfreq, which the other commands do not need.
    from warehouse import loader
    from warehouse.dedupe import dedupe_articles
    from warehouse.rebuild import rebuild

    db_path = options.db_path(args)
    if not warehouse_exists(db_path):
        raise WarehouseError(f"no warehouse at {db_path}: run `presswatch ingest seeds` first")
    with writer_lock(db_path, wait_seconds=args.wait), connection(db_path) as con:
        if args.rebuild:
            result: dict[str, Any] = rebuild(con, Settings()).as_dict()
        else:
            pending = loader.pending_dedupe(con)  # oldest first
            links, touched = 0, set()
            for start in range(0, len(pending), BATCH):  # one transaction per batch
                done = dedupe_articles(con, pending[start : start + BATCH], Settings())
                links += len(done.links)
                touched |= done.stories_touched
            result = {
                "articles": len(pending),
                "links_added": links,
                "stories_touched": len(touched),
            }
        refresh_snapshot(con, db_path)
    if args.format == "json":
        print(output.to_json(result))
    elif args.rebuild:
        console.print(
            f"[bold]dedupe --rebuild[/bold]: {result['articles']} article(s) in "
            f"{result['batches']} batch(es), {result['seconds']} s\n"
            f"copy links: {result['links_before']} -> {result['links_after']} "
            f"({result['links_added']} added, {result['links_removed']} removed, "
            f"{result['canonical_changed']} with another canonical)\n"
            f"stories: {result['stories_before']} -> {result['stories_after']}; "
            f"{result['articles_changed_story']} article(s) changed story"
        )
    else:
        console.print(
            f"[bold]dedupe[/bold]: {result['articles']} pending article(s), "
            f"{result['links_added']} copy link(s), {result['stories_touched']} story(ies) touched"
        )
    return 0


def register(commands: Any) -> None:
    dedupe = commands.add_parser(
        "dedupe",
        parents=[options.db_option(), options.format_option("table", "json")],
        help="deduplicate pending articles, or --rebuild every link and story",
    )
    dedupe.add_argument(
        "--rebuild",
        action="store_true",
        help="recompute all copy links and stories from scratch with the current settings",
    )
    dedupe.add_argument(
        "--wait",
        type=options.seconds,
        default=60.0,
        help="seconds to wait for a running flow to release the warehouse (default 60)",
    )
    dedupe.set_defaults(handler=cmd_dedupe)
