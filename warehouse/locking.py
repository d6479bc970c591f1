"""One writer at a time: an advisory file lock held for a whole flow run.

DuckDB already refuses a second writing *process*, but at once, with an error. A flow
therefore holds ``<db>.lock`` (``flock``, released by the kernel even on kill -9) from its
first write to its last (keeping the file open meanwhile, ``warehouse.db.held_open``); a
second writer waits for it, logging who holds it, and gives up with ``WarehouseLocked``
after ``wait_seconds``.

A DuckLake warehouse (``ducklake:...``) takes no file lock: several runs on several
machines write it at once, each write section holding the lake's writer lease (see
``warehouse/ducklake.py``), so ``writer_lock`` is a no-op for it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.db import WarehouseLocked
from warehouse.location import Warehouse, locate

_POLL_SECONDS = 0.5
_LOG = logging.getLogger(__name__)


@contextmanager
def writer_lock(
    db_path: Warehouse,
    *,
    wait_seconds: float = 1800.0,
    log: Callable[[str], None] = _LOG.info,
) -> Iterator[None]:
    path = locate(db_path).lock_file
    if path is None:  # a DuckLake: its write sections hold the writer lease
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise WarehouseLocked(
                        f"the warehouse {db_path} is being written by another run ({holder}); "
                        f"gave up after {wait_seconds:.0f} s"
                    ) from None
                if not announced:
                    log(f"waiting for the warehouse writer lock on {db_path} ({holder})")
                    announced = True
                time.sleep(_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def writer_active(db_path: Warehouse) -> bool:
    """Whether a run holds the writer lock of this DuckDB file now (always True for a
    DuckLake, which has no lock: its runs may overlap)."""
    path = locate(db_path).lock_file
    if path is None:
        return True
    try:
        handle = open(path)  # noqa: SIM115 - closed below, after the probe
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown holder"
    except OSError:
        return "unknown holder"
