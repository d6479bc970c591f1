"""``presswatch sources discover URL [--add]``: find a site's feeds and news sitemaps from
its homepage, check each one, and optionally add the feeds to the feed list."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console

from config.settings import FetchSettings
from presswatch import options
from presswatch.commands.feeds import describe_feed, feed_list_path, read_feed_list, write_feed_list
from presswatch.errors import UsageError
from presswatch.printing import say, show_rows
from sources.discovery import Discovery, FoundSource, discover, normalise_site_url
from sources.feed_edits import ADDED, REFUSED, plan_add
from sources.feedlist import FeedList, FeedSource
from sources.politeness import HostThrottle

FOUND_COLUMNS = ["kind", "url", "items", "newest_item_at", "found_by", "title"]


def cmd_discover(args: argparse.Namespace, console: Console) -> int:
    # Imported here: the feed flow and the extractors load Prefect and trafilatura.
    from extractors.source_check import inspect_document
    from flows.ingest_feeds import fetch_policy

    path = feed_list_path(args)
    feed_list = read_feed_list(path)
    settings = FetchSettings.from_env()
    throttle = HostThrottle(
        per_host=1, min_delay=settings.host_delay, global_limit=settings.global_concurrency
    )
    try:
        site_url = normalise_site_url(args.url)
    except ValueError as exc:
        raise UsageError(f"not a site URL: {args.url!r} ({exc})") from exc
    result = discover(
        site_url,
        policy=fetch_policy(feed_list, settings),
        inspect=inspect_document,
        slot=throttle.slot,
    )
    if result.failure is not None:
        failure = result.failure
        raise UsageError(f"cannot read {failure.url}: {failure.reason} {failure.detail}".strip())
    rows = [_row(found) for found in result.found]
    if args.format == "json":
        show_rows(console, args, "", [_json(result)])
    else:
        show_rows(
            console,
            args,
            f"Sources of {result.site_name} ({result.homepage_url})",
            rows,
            FOUND_COLUMNS,
            empty=f"no feed or news sitemap found on {result.homepage_url}",
        )
        for rejected in result.rejected:
            if rejected.declared:
                say(console, f"skipped {rejected.url} ({rejected.found_by}): {rejected.reason}")
    if args.add:
        _add(console, args, feed_list, result)
    return 0


def _add(
    console: Console, args: argparse.Namespace, feed_list: FeedList, result: Discovery
) -> None:
    path = feed_list_path(args)
    verdicts: list[str] = []
    for found in result.found:
        source = FeedSource(
            name=_unique_name(feed_list, found, result.site_name),
            url=found.url,
            outlet=result.site_name,
        )
        edit = plan_add(feed_list, source, replace_existing=False)
        feed_list = edit.feed_list
        verdicts.append(edit.verdict)
        if edit.verdict == REFUSED:
            say(console, f"kept {describe_feed(edit.clashes[0])}: its URL is already listed")
        else:
            say(console, f"{edit.verdict} {describe_feed(source)} in {path}")
    if ADDED in verdicts:
        write_feed_list(feed_list, path)


def _unique_name(feed_list: FeedList, found: FoundSource, site_name: str) -> str:
    """The site's name; a second source of the site gets its title or path in brackets."""
    listed = {f.url: f.name for f in feed_list.feeds}
    if found.url in listed:
        return listed[found.url]
    names = set(listed.values())
    qualifier = found.title if found.title and found.title != site_name else None
    for candidate in (
        site_name,
        f"{site_name} ({qualifier})" if qualifier else None,
        f"{site_name} ({urlsplit(found.url).path})",
    ):
        if candidate and candidate not in names:
            return candidate
    return found.url


def _row(found: FoundSource) -> dict[str, Any]:
    return {
        "kind": found.kind,
        "url": found.url,
        "items": found.item_count,
        "newest_item_at": found.newest_item_at.isoformat() if found.newest_item_at else None,
        "found_by": found.found_by,
        "title": found.title,
    }


def _json(result: Discovery) -> dict[str, Any]:
    return {
        "site_name": result.site_name,
        "homepage_url": result.homepage_url,
        "found": [_row(found) for found in result.found],
        "skipped": [
            {"url": r.url, "found_by": r.found_by, "reason": r.reason, "detail": r.detail}
            for r in result.rejected
        ],
    }


def register(commands: Any) -> None:
    config = options.feed_list_option()
    sources = commands.add_parser("sources", help="find a site's feeds and news sitemaps")
    actions = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    discover_parser = actions.add_parser(
        "discover",
        parents=[config, options.format_option("table", "json")],
        help="find and check the feeds and news sitemaps a site publishes",
    )
    discover_parser.add_argument("url", help="the site's homepage (example.com or a full URL)")
    discover_parser.add_argument(
        "--add",
        action="store_true",
        help="add the feeds and news sitemaps found to the feed list, with the site's name "
        "as outlet",
    )
    discover_parser.set_defaults(handler=cmd_discover)
