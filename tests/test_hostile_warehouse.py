"""A corrupt, a locked and a missing warehouse are told apart; runs killed with kill -9 are
recorded as crashed. Real DuckDB files and real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from presswatch.cli import main
from presswatch.errors import EXIT_CORRUPT, EXIT_ERROR, EXIT_LOCKED
from warehouse.db import (
    WarehouseCorrupt,
    WarehouseLocked,
    WarehouseMissing,
    classify_error,
    open_connection,
)

pytestmark = pytest.mark.usefixtures("prefect_server")


def corrupt_warehouse(path: Path) -> Path:
    """A real warehouse whose data blocks then fail DuckDB's checksums."""
    con = open_connection(path)
    con.execute("CREATE TABLE filler AS SELECT range AS i, repeat('x', 100) AS s FROM range(50000)")
    con.close()
    data = bytearray(path.read_bytes())
    for offset in range(12_288, len(data) - 8, 512):
        data[offset + 100 : offset + 108] = b"\xde\xad\xbe\xef" * 2
    path.write_bytes(bytes(data))
    return path


def test_a_corrupt_file_is_corrupt_not_locked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corrupt_warehouse(tmp_path / "corrupt.duckdb")
    with pytest.raises(WarehouseCorrupt, match="restore it"):
        open_connection(path, read_only=True)
    code = main(["articles", "--db", str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_CORRUPT
    assert "is damaged" in err and err.count("\n") == 1


def test_a_file_that_is_not_a_warehouse_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(b"not a database" * 500)
    with pytest.raises(WarehouseCorrupt):
        open_connection(path, read_only=True)


def test_a_checksum_error_mentioning_a_block_is_not_a_lock(tmp_path: Path) -> None:
    error = duckdb.IOException(
        "IO Error: Corrupt database file: computed checksum 1 does not match stored "
        "checksum 2 in block at location 274432"
    )
    assert isinstance(classify_error(error, tmp_path / "w.duckdb"), WarehouseCorrupt)


def test_a_warehouse_held_by_another_process_is_locked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "held.duckdb"
    open_connection(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c = duckdb.connect({str(path)!r}); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLocked):
            open_connection(path)
        assert main(["runs", "--db", str(path)]) == EXIT_LOCKED  # no readers' copy yet
    finally:
        holder.kill()
        holder.wait()
    assert "being written" in capsys.readouterr().err


def test_a_missing_warehouse_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WarehouseMissing):
        open_connection(tmp_path / "none.duckdb", read_only=True)
    assert main(["runs", "--db", str(tmp_path / "none.duckdb")]) == EXIT_ERROR
    assert "presswatch ingest seeds" in capsys.readouterr().err


KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from warehouse import loader
    from warehouse.db import open_connection
    con = open_connection(Path(sys.argv[1]))
    loader.start_run(con, "ingest_seeds", "seeds")
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_run_killed_with_kill_9_is_listed_and_then_recorded_as_crashed(
    tmp_path: Path, seed_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(db)], check=False)
    assert killed.returncode == -9

    assert main(["runs", "--db", str(db), "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["status"] == "crashed"

    with capsys.disabled():  # Prefect's log handlers must not keep this test's capture
        assert main(["ingest", "seeds", str(seed_folder), "--db", str(db)]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        statuses = con.execute("SELECT status FROM ingestion_runs ORDER BY started_at").fetchall()
    assert statuses == [("crashed",), ("completed",)]
