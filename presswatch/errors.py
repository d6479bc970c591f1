"""The CLI's errors and exit codes: ONE table maps every error a command can meet (the
CLI's own and the library's) to an exit code and a one-line message.

Exit codes are a public contract (docs/cli.md lists them):
  0  all well
  1  bad usage or input, missing warehouse or file, any error that stopped the command
  3  the warehouse is locked by another process (try again when it finishes)
  4  the run finished and loaded everything that worked, but some feeds or inputs failed
  5  the warehouse file is damaged (fails DuckDB's checks): restore it from a backup
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import SettingsError
from sources.seeds import SeedFolderError
from textanalysis.query import QueryError
from warehouse.errors import WarehouseCorrupt, WarehouseError, WarehouseLocked
from warehouse.search import SearchError
from warehouse.watchlists import WatchlistError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_LOCKED = 3
EXIT_PARTIAL = 4
EXIT_CORRUPT = 5

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "all well",
    EXIT_ERROR: "bad usage or input, a missing warehouse or file: the message says what to do",
    EXIT_LOCKED: "the warehouse is being written by another process: try again when it finishes",
    EXIT_PARTIAL: "some feeds or inputs failed; everything that worked was loaded "
    "(the summary says what failed and how to fix it; a re-run retries it)",
    EXIT_CORRUPT: "the warehouse file is damaged: restore it from a backup or the readers' copy "
    "(docs/limits.md)",
}


class PresswatchError(Exception):
    """A user-facing error of the CLI: printed as one line, then the command exits with
    ``exit_code``."""

    exit_code = EXIT_ERROR


class UsageError(PresswatchError):
    """The command line asks for something impossible (bad option value, bad file)."""


@dataclass(frozen=True)
class ErrorOutcome:
    exit_code: int
    message: str


# Most specific first: the first matching type decides the exit code.
_LIBRARY_ERRORS: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
    ((WarehouseLocked,), EXIT_LOCKED),
    ((WarehouseCorrupt,), EXIT_CORRUPT),
    (
        (
            SettingsError,
            WarehouseError,
            SeedFolderError,
            SearchError,
            WatchlistError,
            QueryError,
        ),
        EXIT_ERROR,
    ),
)


def classify(error: BaseException) -> ErrorOutcome | None:
    """The exit code and one-line message for an error a user can act on; None for a bug
    (which keeps its traceback)."""
    if isinstance(error, PresswatchError):
        return ErrorOutcome(error.exit_code, _one_line(error))
    for types, code in _LIBRARY_ERRORS:
        if isinstance(error, types):
            return ErrorOutcome(code, _one_line(error))
    return None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"error: {text}"
