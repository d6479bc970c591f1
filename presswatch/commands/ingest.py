"""``presswatch ingest seeds|feeds``: run an ingestion flow now, then print one summary.

Input files are validated here, before Prefect starts (starting it takes seconds): a
missing seed path, a bad manifest or an unreadable feed list is one line and exit 1."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from config.settings import FetchSettings, TaskRunnerSettings, resolve_feeds_path
from presswatch import options, scheduler
from presswatch.errors import EXIT_OK, EXIT_PARTIAL, UsageError
from presswatch.ingest_summary import LoadCounts, summary_lines, summary_record
from presswatch.printing import note, say
from reporting import output
from sources.feedlist import FeedList, load_feed_list
from sources.seeds import discover_seed_files
from warehouse.db import connection
from warehouse.run_outcome import run_outcome


def check_settings() -> None:
    """The environment settings a flow reads, checked before Prefect starts (an invalid
    value is one line and exit 1, not a traceback from inside the flow)."""
    try:
        FetchSettings.from_env()
        TaskRunnerSettings.from_env()
    except ValueError as exc:
        raise UsageError(f"invalid setting in the environment: {exc}") from exc


def use_scheduler_server() -> None:
    """Run on the Prefect server of a running ``presswatch scheduler`` (started from this
    folder), if any: no temporary server to start, and the run shows in the scheduler's UI."""
    api_url = scheduler.adopt_running_server(scheduler.SchedulerConfig())
    if api_url:
        note(f"running on the scheduler's Prefect server {api_url} (the run shows in its UI)")


@contextmanager
def manual_run() -> Iterator[None]:
    """Prefect settings for a flow run started from the terminal: no flow run heartbeats,
    unless set (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, or a Prefect profile).

    Prefect sends heartbeats from a thread that sleeps a second at a time and waits for it
    when the run ends: up to 1 s of a small run's 2 s. They serve only an automation that
    marks deployment runs whose process vanished as crashed (Prefect's "detect zombie
    flows"); a manual run's process is the user's terminal, and a run that dies there is
    marked crashed in the warehouse by the next run (``warehouse.run_log``). The scheduler's
    deployment runs keep them. Prefect is imported here, after ``use_scheduler_server``."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    if "heartbeat_frequency" in get_current_settings().flows.model_fields_set:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def cmd_ingest_seeds(args: argparse.Namespace, console: Console) -> int:
    folder = Path(args.path)
    discover_seed_files(folder)  # SeedFolderError (a missing path) before Prefect
    check_settings()
    use_scheduler_server()
    from flows.ingest_seeds import ingest_seeds  # imported late: Prefect is slow to import

    with manual_run():
        summary = ingest_seeds(
            path=str(folder), db=str(options.db_path(args)), follow_symlinks=args.follow_symlinks
        )
    return _summarise(console, args, "ingest_seeds", summary, ())


def load_feeds_to_poll(path: Path) -> FeedList:
    """The feed list an ingest will poll: it must exist, parse and name at least one feed."""
    if not path.exists():
        raise UsageError(
            f"feed list {path} does not exist: add feeds with `presswatch feeds add` "
            "or pass --feeds FILE (TOML or OPML)"
        )
    try:
        feed_list = load_feed_list(path)
    except OSError as exc:
        raise UsageError(f"cannot read feed list {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # its message starts with the file's name
        raise UsageError(f"cannot use feed list {exc}") from exc
    if not feed_list.feeds:
        raise UsageError(f"feed list {path} names no feeds: add one with `presswatch feeds add`")
    return feed_list


def cmd_ingest_feeds(args: argparse.Namespace, console: Console) -> int:
    feeds_path = resolve_feeds_path(args.feeds)
    feed_list = load_feeds_to_poll(feeds_path)
    check_settings()
    use_scheduler_server()
    from flows.ingest_feeds import ingest_feeds  # imported late: Prefect is slow to import

    with manual_run():
        summary = ingest_feeds(
            feeds=str(feeds_path), db=str(options.db_path(args)), force=args.force
        )
    urls = tuple(feed.url for feed in feed_list.feeds)
    return _summarise(console, args, "ingest_feeds", summary, urls)


def _summarise(
    console: Console, args: argparse.Namespace, flow_name: str, summary: Any, feed_urls: tuple
) -> int:
    """Print the run's summary, read back from the warehouse; exit 4 when anything failed."""
    with connection(options.db_path(args), read_only=True) as con:
        outcome = run_outcome(con, summary.run_id, feed_urls)
    counts = LoadCounts(
        seen=summary.items_seen,
        added=summary.articles_added,
        updated=summary.articles_updated,
        unchanged=summary.articles_unchanged,
        copy_links=summary.duplicates_linked,
    )
    if args.format == "json":
        print(output.to_json(summary_record(flow_name, counts, outcome)))
    else:
        for line in summary_lines(flow_name, counts, outcome, datetime.now(UTC)):
            say(console, line)
    return EXIT_PARTIAL if outcome.anything_failed else EXIT_OK


def register(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="run an ingestion flow now")
    kinds = ingest.add_subparsers(dest="kind", required=True, metavar="KIND")
    summary_format = options.format_option("table", "json")
    seeds = kinds.add_parser(
        "seeds", parents=[options.db_option(), summary_format], help="ingest local seed files"
    )
    seeds.add_argument(
        "path", nargs="?", default="seeds", help="seed folder or file (default: seeds)"
    )
    seeds.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="load files behind symbolic links (never outside the seed folder)",
    )
    seeds.set_defaults(handler=cmd_ingest_seeds)
    feeds = kinds.add_parser(
        "feeds", parents=[options.db_option(), summary_format], help="poll the monitored feeds"
    )
    feeds.add_argument(
        "--feeds",
        help="feed list, TOML or OPML (default: $PRESSWATCH_FEEDS, else feeds.toml in "
        "$PRESSWATCH_HOME or ./presswatch-data)",
    )
    feeds.add_argument(
        "--force",
        action="store_true",
        help="poll every feed now, also those not due (backing off after failures, or "
        "within their poll interval)",
    )
    feeds.set_defaults(handler=cmd_ingest_feeds)
