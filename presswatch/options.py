"""The parser's shared pieces: parent parsers for the options many commands take
(``--db``, ``--format``, ``--out``, ``--limit``, the report filters) and their validators.

A bad option value is a one-line error and exit 1 (``PresswatchParser.error``), never a
traceback or argparse's two-line usage dump."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import NoReturn

from config.settings import resolve_db_path
from presswatch.errors import UsageError

# A --limit above this is a typo, not a wish: no report or list shows a million rows.
MAX_LIMIT = 1_000_000


class PresswatchParser(argparse.ArgumentParser):
    """An argument parser whose errors are ``UsageError`` (one line, exit 1)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def parent() -> PresswatchParser:
    return PresswatchParser(add_help=False)


def db_option() -> PresswatchParser:
    options = parent()
    options.add_argument(
        "--db",
        help="warehouse file, or ducklake:sqlite:CATALOG / ducklake:postgres:CONNINFO "
        "(default: $PRESSWATCH_DB, else presswatch.duckdb in $PRESSWATCH_HOME or "
        "./presswatch-data)",
    )
    return options


def format_option(*choices: str, default: str = "table") -> PresswatchParser:
    options = parent()
    options.add_argument(
        "--format",
        choices=list(choices),
        default=default,
        help=f"output format (default: {default}; json for scripts)",
    )
    return options


def out_option(
    help_text: str = "write to this file instead of standard output",
) -> PresswatchParser:
    options = parent()
    options.add_argument("--out", type=writable_path, metavar="PATH", help=help_text)
    return options


def limit_option(default: int | None, help_text: str) -> PresswatchParser:
    options = parent()
    options.add_argument("--limit", type=limit, default=default, metavar="N", help=help_text)
    return options


def filter_options() -> PresswatchParser:
    options = parent()
    group = options.add_argument_group("filters")
    group.add_argument("--since", type=iso_date, help="first day included (YYYY-MM-DD)")
    group.add_argument("--until", type=iso_date, help="last day included (YYYY-MM-DD)")
    group.add_argument("--outlet", help="outlet name (any case)")
    group.add_argument("--story", help="story id, or words of its label")
    group.add_argument("--watch", help="watchlist name: only articles matching it")
    group.add_argument(
        "--language",
        type=language_code,
        help="article language (ISO 639-1, e.g. de; und: undetermined)",
    )
    return options


# --- validators (argparse ``type=`` functions) ------------------------------------------


def language_code(text: str) -> str:
    """A language code as stored in ``articles.language``: 2-3 letters (``und`` included),
    optionally with a region (``de-AT``)."""
    value = text.strip().lower()
    primary, _, region = value.partition("-")
    if not (primary.isalpha() and 2 <= len(primary) <= 3 and (not region or region.isalnum())):
        raise argparse.ArgumentTypeError(f"not a language code: {text!r} (e.g. en, de, und)")
    return value


def limit(text: str) -> int:
    """A row count: 0 (meaning all, where a command says so) up to ``MAX_LIMIT``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    if value > MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_LIMIT:,}, not {value:,}")
    return value


def positive_minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of minutes: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1 minute, not {value}")
    return value


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def writable_path(text: str) -> str:
    """A file the command may create or replace: checked before any work is done (the
    write itself still reports its own failure in one line, see ``printing.write_text``)."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"cannot write {text}: permission denied")
        return text
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text}: {ancestor} is not writable")
    return text


def db_path(args: argparse.Namespace) -> Path:
    """The warehouse the command works on: --db, else $PRESSWATCH_DB, else the default."""
    return resolve_db_path(args.db)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds, not {text}")
    return value


def feed_list_option() -> argparse.ArgumentParser:
    """The shared ``--config`` option naming the feed list file."""
    config = parent()
    config.add_argument(
        "--config",
        help="feed list file (default: $PRESSWATCH_FEEDS, else feeds.toml in "
        "$PRESSWATCH_HOME or ./presswatch-data)",
    )
    return config
