"""Warehouse errors worth a clear one-line message (shared by both backends)."""

from __future__ import annotations


class WarehouseError(Exception):
    """A warehouse problem worth a clear one-line message."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse (the DuckDB file, or the DuckLake writer lease)."""
