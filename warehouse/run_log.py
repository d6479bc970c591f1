"""Runs whose process is gone are ``crashed``, not ``running`` forever.

Every ingestion flow on a DuckDB file holds the writer lock (``warehouse.locking``) for its
whole run, and the kernel releases that lock when the process dies, even on kill -9. So a
run still recorded as ``running`` while nobody holds the lock belongs to a process that
ended without finishing it: the next run marks such runs ``crashed`` once it holds the
lock, and ``presswatch runs`` shows them as ``crashed`` meanwhile. On a DuckLake runs
overlap and take no file lock, so a ``running`` run there is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb

RUNNING, CRASHED = "running", "crashed"
CRASHED_MESSAGE = "the run's process ended before the run finished (killed or crashed)"


def mark_crashed_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Record every ``running`` run as ``crashed``; call only while holding the writer lock
    of a DuckDB file (so no other run can be in progress). Returns how many were marked."""
    marked = con.execute(
        "UPDATE ingestion_runs SET status = ?, finished_at = ?, "
        "message = coalesce(message, ?) WHERE status = ?",
        [CRASHED, datetime.now(UTC), CRASHED_MESSAGE, RUNNING],
    ).fetchone()
    return int(marked[0]) if marked else 0


def as_listed(rows: Iterable[dict[str, Any]], writer_active: bool) -> list[dict[str, Any]]:
    """Run rows as ``presswatch runs`` shows them: with no writer holding the lock, a run
    still ``running`` is ``crashed``."""
    listed = []
    for row in rows:
        if not writer_active and row.get("status") == RUNNING:
            row = {**row, "status": CRASHED, "message": row.get("message") or CRASHED_MESSAGE}
        listed.append(row)
    return listed
