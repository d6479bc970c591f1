"""Opening the warehouse and applying its ordered migrations.

The warehouse is a DuckDB file (the default) or a DuckLake (``ducklake:sqlite:...`` or
``ducklake:postgres:...``, see ``warehouse/ducklake.py``); callers pass either as the
``--db`` path and run the same SQL on both.

A DuckDB file has a single writer process at a time. ``connect`` turns DuckDB's lock
error into ``WarehouseLocked`` so the CLI and flows can say so clearly instead of
printing a trace.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from warehouse import ducklake
from warehouse.errors import (
    WarehouseCorrupt,
    WarehouseError,
    WarehouseLocked,
    WarehouseMissing,
)
from warehouse.location import Warehouse, locate

# DuckDB converts every Python parameter value (and every numpy object-array element) after
# trying ``import pandas``; without pandas installed the failed import is not cached and
# costs ~0.1 ms per value. Recording pandas as absent makes each attempt a dict lookup.
if importlib.util.find_spec("pandas") is None:
    sys.modules.setdefault("pandas", None)  # type: ignore[arg-type]


__all__ = [
    "WarehouseCorrupt",
    "WarehouseError",
    "WarehouseLocked",
    "WarehouseMissing",
    "classify_error",
    "connection",
    "latest_migration_version",
    "migrate",
    "open_connection",
    "sql_identifier",
    "sql_string",
    "transaction",
    "warehouse_exists",
]


def _migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of ``warehouse/migrations/NNN_*.sql``, in version order.

    There is no 006, 009 or 011: those numbers were reserved during development and never
    released, so no warehouse ever recorded them; the gaps are harmless (versions are
    compared, not counted)."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_migration_version() -> int:
    """The newest migration this presswatch knows (a warehouse below it needs migrating)."""
    return max(version for version, _, _ in _migrations())


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded in ``schema_migrations``; returns their names.

    On a DuckLake each migration goes through ``ducklake.adapt_migration`` (constraints
    stripped, macros kept out of the lake); the caller holds the writer lease."""
    lake = ducklake.is_lake(con)
    table = (
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    for statement in ducklake.adapt_migration(table) if lake else [table]:
        con.execute(statement)
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    newly_applied = []
    for version, name, sql in _migrations():
        if version in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in ducklake.adapt_migration(sql) if lake else [sql]:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        newly_applied.append(name)
    return newly_applied


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal, for the statements that take no parameters
    (ATTACH, COPY ... TO): quotes doubled, so any path is one literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (a database named after a file, say)."""
    return '"' + name.replace('"', '""') + '"'


def warehouse_exists(path: Warehouse) -> bool:
    """False when there is certainly no warehouse yet (no file, no SQLite catalog)."""
    return locate(path).exists()


def _lake_macros(con: duckdb.DuckDBPyConnection) -> None:
    ducklake.create_temp_macros(con, [sql for _, _, sql in _migrations()])


def open_connection(path: Warehouse, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating and migrating when writable) the warehouse at ``path``.

    On a DuckLake, a writable connection holds the writer lease only while it migrates:
    write through ``connection``, which holds it for the whole block."""
    location = locate(path)
    target, path = location.lake, location.path
    if target is not None:
        con = ducklake.attach(target, read_only=read_only)
        try:
            if not read_only:
                with ducklake.writer_lease(con, target):
                    migrate(con)
            _lake_macros(con)
        except BaseException:
            con.close()
            raise
        return con
    if read_only and not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}: run `presswatch ingest seeds` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise classify_error(exc, path) from exc
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    return con


# DuckDB's messages for the two cases that need their own advice. Matched as phrases: a
# bare "lock" also occurs in "Corrupt database file: ... in block at location ...".
_LOCK_MESSAGES = ("could not set lock on file", "conflicting lock is held")
_CORRUPT_MESSAGES = ("corrupt database file", "is not a valid duckdb database file")


def classify_error(error: duckdb.Error, path: Path) -> WarehouseError:
    """The ``WarehouseError`` subtype for a DuckDB error about the warehouse at ``path``:
    ``WarehouseLocked``, ``WarehouseCorrupt``, or a plain ``WarehouseError``."""
    message = str(error).lower()
    if isinstance(error, duckdb.IOException) and any(m in message for m in _LOCK_MESSAGES):
        return WarehouseLocked(
            f"the warehouse {path} is being written by another process; "
            "try again when it finishes (or query the latest snapshot)"
        )
    if any(m in message for m in _CORRUPT_MESSAGES):
        return WarehouseCorrupt(
            f"the warehouse {path} is damaged ({str(error).splitlines()[0]}); restore it "
            "from a backup (see docs/operations.md), or move it aside and re-ingest"
        )
    return WarehouseError(f"cannot open warehouse {path}: {error}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit on success, roll back on any exception.

    On a DuckLake the commit also renews the writer lease, and fails if it was lost."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        ducklake.renew_lease(con)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


_migrated_lakes: set[str] = set()  # DuckLakes this process has brought up to date
_held: dict[Path, duckdb.DuckDBPyConnection] = {}  # DuckDB files kept open, see held_open


@contextmanager
def held_open(path: Warehouse) -> Iterator[None]:
    """Keep a DuckDB file open for a whole run: every writable ``connection`` block inside
    gets a cursor on it instead of opening the file and closing it again.

    Closing the last connection checkpoints the file, which rewrites its indexes: a cost
    that grows with the warehouse (~2 s per block at 100k articles) and that a feed run,
    with a block per page batch, would pay hundreds of times. Only for the process holding
    the writer lock; a DuckLake is opened per block as before (its write sections hold the
    lake's lease)."""
    location = locate(path)
    if location.is_lake or location.path.resolve() in _held:
        yield
        return
    key = location.path.resolve()
    _held[key] = open_connection(location)
    try:
        yield
    finally:
        _held.pop(key).close()


@contextmanager
def connection(path: Warehouse, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse for one block; on a DuckLake, a writable block holds the writer lease
    from start to end (other writers wait: the block is a write critical section)."""
    location = locate(path)
    target = location.lake
    held = None if target is not None or read_only else _held.get(location.path.resolve())
    if held is not None:
        cursor = held.cursor()  # a connection of its own (transactions, temp objects)
        cursor.execute("SET TimeZone = 'UTC'")
        try:
            yield cursor
        finally:
            cursor.close()
        return
    if target is None or read_only:
        con = open_connection(location, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
        return
    con = ducklake.attach(target, read_only=False)
    try:
        with ducklake.writer_lease(con, target):
            if target.spec not in _migrated_lakes:  # once per process: migrations only add
                migrate(con)
                _migrated_lakes.add(target.spec)
            _lake_macros(con)
            yield con
    finally:
        con.close()
