"""Warehouse errors worth a clear one-line message (shared by both backends)."""

from __future__ import annotations


class WarehouseError(Exception):
    """A warehouse problem worth a clear one-line message."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse (the DuckDB file, or the DuckLake writer lease)."""


class WarehouseCorrupt(WarehouseError):
    """The warehouse file fails DuckDB's checks (a checksum, or not a DuckDB file at all)."""


class WarehouseMissing(WarehouseError):
    """There is no warehouse at the path given (nothing has been ingested there yet)."""
