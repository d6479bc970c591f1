"""The writer lock: a second writer waits (or gives up clearly); the kernel frees it on exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from warehouse.db import WarehouseLocked
from warehouse.locking import writer_lock


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    order: list[str] = []
    messages: list[str] = []
    first_has_it = threading.Event()

    def first() -> None:
        with writer_lock(db):
            order.append("first in")
            first_has_it.set()
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    first_has_it.wait(5)
    with writer_lock(db, log=messages.append):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
    assert messages and "waiting for the warehouse writer lock" in messages[0]


def test_a_writer_gives_up_with_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import time
                from pathlib import Path
                from warehouse.locking import writer_lock
                with writer_lock(Path({str(db)!r})):
                    print("held", flush=True)
                    time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        expected = r"being written by another run \(pid \d+\)"
        with pytest.raises(WarehouseLocked, match=expected), writer_lock(db, wait_seconds=0.5):
            pass
        holder.kill()  # kill -9: the kernel releases the lock
        holder.wait()
        with writer_lock(db, wait_seconds=5):
            pass
    finally:
        holder.kill()
        holder.wait()
