"""A read-only copy of the warehouse for readers while a flow writes.

DuckDB allows one writing process and no readers beside it. Each flow run ends by copying
the warehouse to ``<name>.snapshot.duckdb`` (written to a temporary file, then renamed, so
readers never see a half-written copy). Readers open the live file when it is free and
fall back to the snapshot when a writer holds it.

A DuckLake warehouse needs neither: its readers get snapshot isolation from DuckLake and
read the live lake while writers commit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import (
    WarehouseError,
    WarehouseLocked,
    connection,
    latest_migration_version,
    open_connection,
    sql_identifier,
    sql_string,
)
from warehouse.location import Warehouse, locate, snapshot_path
from warehouse.locking import writer_lock


def refresh_snapshot(con: duckdb.DuckDBPyConnection, db_path: Warehouse) -> Path | None:
    """Copy the open (writable) warehouse to its snapshot file, atomically (a DuckLake
    has no snapshot file: returns None)."""
    target = locate(db_path).snapshot_file
    if target is None:
        return None
    temporary = target.with_name(target.name + ".tmp")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    database = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH {sql_string(str(temporary))} AS presswatch_snapshot")
    try:
        con.execute(f"COPY FROM DATABASE {sql_identifier(database)} TO presswatch_snapshot")
    finally:
        con.execute("DETACH presswatch_snapshot")
    os.replace(temporary, target)
    return target


@dataclass(frozen=True)
class ReadSource:
    path: Path
    is_snapshot: bool

    def note(self) -> str | None:
        if not self.is_snapshot:
            return None
        taken = datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        return (
            f"the warehouse is being written; showing the snapshot from "
            f"{taken:%Y-%m-%d %H:%M:%S} UTC"
        )


@contextmanager
def reading(db_path: Warehouse) -> Iterator[tuple[duckdb.DuckDBPyConnection, ReadSource]]:
    """A read-only connection to the live warehouse, or to its snapshot while it is locked."""
    location = locate(db_path)
    db_path = location.path
    try:
        con = open_connection(location, read_only=True)
        source = ReadSource(db_path, is_snapshot=False)
    except WarehouseLocked:
        snapshot = snapshot_path(db_path)
        if not snapshot.exists():
            raise
        try:
            con = open_connection(snapshot, read_only=True)
        except WarehouseError as exc:
            raise WarehouseLocked(
                f"the warehouse {db_path} is being written and its snapshot is not readable"
            ) from exc
        source = ReadSource(snapshot, is_snapshot=True)
    try:
        yield con, source
    finally:
        con.close()


def migrate_for_readers(db_path: Path) -> None:
    """Readers open the warehouse read-only, which cannot migrate: a warehouse created by
    an older presswatch is migrated here (briefly writable) when nobody is writing it.
    When a writer holds it, nothing happens: writers migrate."""
    if not db_path.exists():
        return
    try:
        con = open_connection(db_path, read_only=True)
    except WarehouseLocked:
        return
    try:
        current = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    finally:
        con.close()
    if current is not None and current >= latest_migration_version():
        return
    try:
        with writer_lock(db_path, wait_seconds=0), connection(db_path):
            pass
    except WarehouseLocked:
        return
