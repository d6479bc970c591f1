"""Short writes from the CLI (watchlist edits, a search-index build): they take the writer
lock, waiting a while for a running flow to release it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.db import connection
from warehouse.locking import writer_lock

# How long a watchlist edit or index build waits for a running flow to release the warehouse.
WRITE_WAIT_SECONDS = 30.0


@contextmanager
def writing(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with writer_lock(db_path, wait_seconds=WRITE_WAIT_SECONDS), connection(db_path) as con:
        yield con
