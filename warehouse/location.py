"""Where the warehouse is, resolved once at an entry point (the CLI, a flow's start).

A ``--db`` value is a DuckDB file or a DuckLake (``ducklake:sqlite:...``,
``ducklake:postgres:...``). :func:`locate` parses it once into a
:class:`WarehouseLocation` that flows and the CLI pass on; the warehouse functions
(``warehouse.db.connection``, ``locking.writer_lock``, ``readers_copy.refresh_snapshot``...)
accept it or, as before, a plain path, which they locate themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from warehouse.ducklake import LakeTarget, parse_target


@dataclass(frozen=True)
class WarehouseLocation:
    """A located warehouse: a DuckDB file, or a DuckLake (``lake``) named by ``path``."""

    path: Path  # the ``--db`` value as given: a file name, or the ``ducklake:`` spec
    lake: LakeTarget | None  # None: a DuckDB file

    @property
    def is_lake(self) -> bool:
        return self.lake is not None

    @property
    def lock_file(self) -> Path | None:
        """The advisory file of the one-writer lock (a DuckLake uses its writer lease)."""
        return None if self.lake else self.path.with_name(self.path.name + ".lock")

    @property
    def snapshot_file(self) -> Path | None:
        """The readers' copy of a DuckDB file (a DuckLake has snapshots of its own)."""
        return None if self.lake else snapshot_path(self.path)

    def exists(self) -> bool:
        """False when there is certainly no warehouse yet (no file, no SQLite catalog)."""
        return self.lake.exists() if self.lake else self.path.exists()

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


def snapshot_path(db_path: Path) -> Path:
    """The readers' copy of the DuckDB file ``db_path``."""
    return db_path.with_name(f"{db_path.stem}.snapshot{db_path.suffix or '.duckdb'}")


Warehouse = Path | WarehouseLocation
"""What the warehouse functions accept: a located warehouse, or a ``--db`` path."""


def locate(value: str | os.PathLike[str] | WarehouseLocation) -> WarehouseLocation:
    """The warehouse named by ``value`` (a located one is returned as it is)."""
    if isinstance(value, WarehouseLocation):
        return value
    path = Path(value)
    return WarehouseLocation(path, parse_target(path))
