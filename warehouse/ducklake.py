"""The DuckLake warehouse backend: several writer processes on several machines.

A warehouse named ``ducklake:sqlite:/path/catalog.sqlite`` or ``ducklake:postgres:<libpq
connection string>`` (in ``--db`` / ``PRESSWATCH_DB``) keeps its catalog in SQLite or
PostgreSQL and its table data as Parquet files under the data path recorded in the catalog
when the lake was created: ``PRESSWATCH_DATA_PATH``, or for a SQLite catalog by default
``<catalog stem>.files/`` beside it. ``PRESSWATCH_DATA_PATH`` set later overrides the
recorded path for this process (another machine's mount point of the same files).
Everything else is the same SQL as the embedded DuckDB file: the connection attaches the
lake as ``presswatch`` and makes it the default catalog.

What DuckLake lacks, and how this module bridges it with one code path:

* No PRIMARY KEY / UNIQUE constraints, no indexes: ``adapt_migration`` strips them from
  ``CREATE TABLE`` statements (uniqueness is kept by the writers, which upsert with
  ``MERGE INTO`` and are serialised by the lease below).
* ``ALTER TABLE .. ADD COLUMN .. DEFAULT true`` is refused ("non-literal default"): the
  boolean default is written as the string literal ``'true'``, which DuckDB casts.
* Macros with ``NULL`` parameter defaults are stored wrongly (the default comes back as the
  string ``'NULL'``): macros are not stored in the lake but created as TEMP macros on each
  connection from the migrations' text (views over them resolve them at query time).
* The fts extension cannot index a DuckLake table (its index macros hit the same NULL
  problem): search on a lake scores every article directly, with the index's statistics
  computed at query time (``warehouse/search.py``).

Concurrency: DuckLake gives snapshot isolation and optimistic commits. Appends to one
table by two transactions never conflict, so two writers loading the same article would
both insert it, and two dedupe passes could both allocate the same index keys. Writers
therefore take a *lease* stored in the lake (table ``writer_lease``, one row) for each
write section (one ``warehouse.db.connection`` block: a load batch, a dedupe pass), and
run the slow parts (fetching, extraction) outside it. Taking the lease is an UPDATE of
that row committed in its own transaction: two takers both delete the same row version,
DuckLake reports a conflict to the later committer, and only one wins. Every write
transaction renews the lease (same UPDATE, ``WHERE holder = me``) before it commits, so a
writer whose lease was taken over (it stalled past ``PRESSWATCH_LEASE_SECONDS``) conflicts
at commit and rolls back instead of writing unprotected. A holder on this host whose
process is gone is taken over at once; one on another host after the lease expires.

Maintenance: every commit adds a snapshot and small files (or rows inlined in the
catalog), and DuckLake deletes nothing by itself. ``maintain`` compacts the lake with
DuckLake's own functions under the lease; a flow run ends with it every
``PRESSWATCH_LAKE_MAINTAIN_EVERY`` commits (``maintenance_due``), and ``presswatch lake
maintain`` runs it on demand.
"""

from __future__ import annotations

import logging
import os
import random
import re
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import duckdb

# The environment variables' names are re-exported for the tests and benchmarks that set them.
from config.settings import DATA_PATH_ENV as DATA_PATH_ENV
from config.settings import LEASE_SECONDS_ENV as LEASE_SECONDS_ENV
from config.settings import LEASE_WAIT_ENV as LEASE_WAIT_ENV
from config.settings import MAINTAIN_EVERY_ENV as MAINTAIN_EVERY_ENV
from config.settings import LakeSettings
from warehouse.errors import WarehouseError, WarehouseLocked

PREFIX = "ducklake:"
CATALOG_NAME = "presswatch"
_SCANNERS = {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class LakeTarget:
    kind: str  # 'sqlite' or 'postgres'
    catalog: str  # the SQLite file, or the PostgreSQL connection string
    # PRESSWATCH_DATA_PATH, or None: the path recorded in the catalog when it was created
    # (for a new SQLite catalog, ``default_data_path``)
    data_path: str | None

    @property
    def spec(self) -> str:
        return f"{PREFIX}{self.kind}:{self.catalog}"

    @property
    def default_data_path(self) -> str | None:
        if self.kind != "sqlite":
            return None
        catalog_file = Path(self.catalog).absolute()
        return str(catalog_file.with_name(catalog_file.stem + ".files"))

    def exists(self) -> bool:
        """False only when it is certainly absent (a SQLite catalog file not created yet)."""
        return self.kind != "sqlite" or Path(self.catalog).is_file()


def parse_target(value: str | os.PathLike[str]) -> LakeTarget | None:
    """The DuckLake target named by a ``--db`` value, or None for a DuckDB file."""
    text = os.fspath(value)
    if not text.startswith(PREFIX):
        return None
    kind, _, catalog = text[len(PREFIX) :].partition(":")
    if kind not in _SCANNERS or not catalog.strip():
        raise WarehouseError(
            f"cannot read the warehouse {text!r}: use ducklake:sqlite:/path/catalog.sqlite "
            "or ducklake:postgres:dbname=... host=..."
        )
    data_path = LakeSettings.from_env().data_path
    if data_path is not None and "://" not in data_path:
        data_path = str(Path(data_path).absolute())
    return LakeTarget(kind, catalog, data_path)


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row) and row[0] == "ducklake"


# --- opening -----------------------------------------------------------------------------


def extension_path(name: str) -> Path:
    """``<name>.duckdb_extension`` from its pinned ``duckdb-extension-<name>`` wheel."""
    root = Path(str(resources.files(f"duckdb_extension_{name}")))
    exact = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if exact.is_file():
        return exact
    found = sorted(root.rglob(f"{name}.duckdb_extension"))
    if not found:
        raise WarehouseError(f"the {name} extension is missing: reinstall duckdb-extension-{name}")
    return found[-1]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_instances: dict[tuple[int, str, bool], duckdb.DuckDBPyConnection] = {}
_instances_guard = threading.Lock()


def attach(target: LakeTarget, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the lake (attached as ``presswatch``).

    Each process keeps one in-memory DuckDB per lake (and mode) with the lake attached and
    hands out cursors on it: loading the extensions (their signatures are checked) and
    attaching cost ~0.7 s, a cursor ~1 ms. The extensions are loaded from the pinned
    wheels' files, never downloaded: this works offline.
    """
    if read_only and not target.exists():
        raise WarehouseError(f"no warehouse at {target.spec}: run `presswatch ingest seeds` first")
    key = (os.getpid(), target.spec, read_only)  # (a forked child must not share it)
    with _instances_guard:
        instance = _instances.get(key)
        if instance is None:
            instance = _instances[key] = _new_instance(target, read_only=read_only)
    con = instance.cursor()
    con.execute(f"USE {CATALOG_NAME}")
    con.execute("SET TimeZone = 'UTC'")
    return con


def _new_instance(target: LakeTarget, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        for name in ("ducklake", _SCANNERS[target.kind]):
            con.execute(f"LOAD {_quote(str(extension_path(name)))}")
        options = []
        if target.data_path:  # this machine's path to the files, whatever the catalog says
            options.append(f"DATA_PATH {_quote(target.data_path)}, OVERRIDE_DATA_PATH true")
        elif not target.exists() and target.default_data_path:
            options.append(f"DATA_PATH {_quote(target.default_data_path)}")
        if target.kind == "sqlite" and not read_only:
            _create_sqlite_catalog(Path(target.catalog))
        if read_only:
            options.append("READ_ONLY")
        sql = f"ATTACH {_quote(target.spec)} AS {CATALOG_NAME}"
        if options:
            sql += f" ({', '.join(options)})"
        _retry(lambda: con.execute(sql), "attach")  # two first attaches race to initialise
        con.execute(f"USE {CATALOG_NAME}")
        if not read_only:
            _create_lease_table(con)
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot open warehouse {target.spec}: {exc}") from exc
    except BaseException:
        con.close()
        raise
    return con


def _create_sqlite_catalog(path: Path) -> None:
    """A new SQLite catalog in WAL mode: readers then never block the writer (and vice versa)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as catalog:
        catalog.execute("PRAGMA journal_mode=WAL")
    catalog.close()


def _retry(action: Callable[[], object], what: str, attempts: int = 8) -> None:
    for attempt in range(attempts):
        try:
            action()
            return
        except duckdb.Error as exc:
            if attempt == attempts - 1:
                raise
            _LOG.debug("%s failed (%s); retrying", what, exc)
            time.sleep(0.1 + random.random() * 0.3 * (attempt + 1))


# --- migrations --------------------------------------------------------------------------

_LEADING_COMMENTS = r"^((?:\s*--[^\n]*\n)*\s*)"
_CREATE_TABLE = re.compile(_LEADING_COMMENTS + r"CREATE\s+TABLE\b", re.IGNORECASE)
_ALTER_TABLE = re.compile(_LEADING_COMMENTS + r"ALTER\s+TABLE\b", re.IGNORECASE)
_CREATE_MACRO = re.compile(
    _LEADING_COMMENTS + r"CREATE\s+(?:OR\s+REPLACE\s+)?MACRO\b", re.IGNORECASE
)
# ", -- comment\n PRIMARY KEY (a, b)" and ", UNIQUE (a, b)": table constraints.
_TABLE_CONSTRAINT = re.compile(
    r",(?:[ \t]*--[^\n]*)?\s*(?:PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.IGNORECASE
)
# "VARCHAR PRIMARY KEY" and "VARCHAR NOT NULL UNIQUE": column constraints.
_COLUMN_CONSTRAINT = re.compile(r"[ \t]+(?:PRIMARY\s+KEY|UNIQUE)\b(?!\s*\()", re.IGNORECASE)
_BOOLEAN_DEFAULT = re.compile(r"\bDEFAULT\s+(true|false)\b", re.IGNORECASE)


def split_statements(sql: str) -> list[str]:
    """``sql`` cut at its top-level semicolons (outside strings, quoted names, comments).

    (``extract_statements`` cannot serve: DuckDB expands ``ADD COLUMN .. DEFAULT`` into
    several statements with empty text.)"""
    statements, start, i, n = [], 0, 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = sql.find(char, i + 1)
            while end != -1 and sql[end + 1 : end + 2] == char:  # doubled quote
                end = sql.find(char, end + 2)
            i = n if end == -1 else end + 1
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        if char == ";":
            statements.append(sql[start:i])
            start = i + 1
        i += 1
    statements.append(sql[start:])
    return [s for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in statement.split("\n"))


def adapt_migration(sql: str) -> list[str]:
    """A migration's statements as DuckLake accepts them (see the module docstring);
    macros become TEMP macros of the migrating connection (``create_temp_macros`` makes
    them on every other connection)."""
    adapted = []
    for text in split_statements(sql):
        if _CREATE_MACRO.match(text):
            text = _CREATE_MACRO.sub(r"\1CREATE OR REPLACE TEMP MACRO", text, count=1)
        elif _CREATE_TABLE.match(text):
            text = _COLUMN_CONSTRAINT.sub("", _TABLE_CONSTRAINT.sub("", text))
        if _CREATE_TABLE.match(text) or _ALTER_TABLE.match(text):
            text = _BOOLEAN_DEFAULT.sub(r"DEFAULT '\1'", text)
        adapted.append(text)
    return adapted


def create_temp_macros(con: duckdb.DuckDBPyConnection, migrations: list[str]) -> None:
    """Every macro of the (applied) migrations, in order, as a TEMP macro of this
    connection (a macro's tables must exist when it is created)."""
    for sql in migrations:
        for text in split_statements(sql):
            if _CREATE_MACRO.match(text):
                con.execute(_CREATE_MACRO.sub(r"\1CREATE OR REPLACE TEMP MACRO", text, count=1))


# --- the writer lease --------------------------------------------------------------------

_VARIABLE = "presswatch_lease"
_HOST = socket.gethostname()
_process_locks: dict[str, threading.RLock] = {}
_process_locks_guard = threading.Lock()
_held = threading.local()  # lake spec -> holder, for nested write sections in one thread


def _create_lease_table(con: duckdb.DuckDBPyConnection) -> None:
    def create() -> None:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? "
            "AND table_name = 'writer_lease'",
            [CATALOG_NAME],
        ).fetchone()[0]
        if exists:
            return
        try:  # one transaction: two creators conflict, and the table never lacks its row
            con.execute("BEGIN TRANSACTION")
            con.execute(
                "CREATE TABLE writer_lease AS SELECT CAST(NULL AS VARCHAR) AS holder, "
                "CAST(NULL AS TIMESTAMPTZ) AS acquired_at, CAST(NULL AS TIMESTAMPTZ) AS expires_at"
            )
            con.execute("COMMIT")
        except duckdb.Error:
            _rollback(con)
            raise

    _retry(create, "create writer_lease")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _lease_seconds() -> float:
    return LakeSettings.from_env().lease_seconds


def _holder_gone(holder: str) -> bool:
    """True when ``holder`` ran on this host and its process no longer exists."""
    host, _, rest = holder.rpartition("@")
    if host != _HOST:
        return False
    try:
        os.kill(int(rest.split(":")[0]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False
    return False


def _try_take(con: duckdb.DuckDBPyConnection, holder: str) -> str | None:
    """Take the lease if it is free; returns None when taken, else who holds it."""
    now = datetime.now(UTC)
    try:
        con.execute("BEGIN TRANSACTION")
        current, expires_at = con.execute(
            "SELECT holder, expires_at FROM writer_lease LIMIT 1"
        ).fetchone()
        mine = current is not None and current.startswith(f"{_HOST}@{os.getpid()}:")
        # (a lease of this process's own is stale: its threads queue on the process lock)
        if current is not None and expires_at > now and not mine and not _holder_gone(current):
            _rollback(con)
            return current
        con.execute(
            "UPDATE writer_lease SET holder = ?, acquired_at = ?, expires_at = ?",
            [holder, now, now + timedelta(seconds=_lease_seconds())],
        )
        con.execute("COMMIT")  # a concurrent taker conflicts here: only one commit wins
    except duckdb.Error as exc:
        _rollback(con)
        return f"a concurrent taker ({exc.__class__.__name__})"
    return None


def renew_lease(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a write transaction (or before a step that commits on its own): extend this
    connection's lease, or fail if it was lost.

    A no-op on connections without a lease (the DuckDB file backend)."""
    holder = con.execute(f"SELECT getvariable('{_VARIABLE}')").fetchone()[0]
    if holder is None:
        return
    expires_at = datetime.now(UTC) + timedelta(seconds=_lease_seconds())
    renewed = con.execute(
        "UPDATE writer_lease SET expires_at = ? WHERE holder = ?", [expires_at, holder]
    ).fetchone()[0]
    if not renewed:
        raise WarehouseLocked("this writer's lease on the warehouse was taken over; rolled back")


def _process_lock(spec: str) -> threading.RLock:
    with _process_locks_guard:
        return _process_locks.setdefault(spec, threading.RLock())


@contextmanager
def writer_lease(
    con: duckdb.DuckDBPyConnection,
    target: LakeTarget,
    *,
    wait_seconds: float | None = None,
    log: Callable[[str], None] = _LOG.info,
) -> Iterator[None]:
    """Hold the lake's writer lease on ``con`` for the block (re-entrant within a thread;
    threads of one process queue on a lock first)."""
    if wait_seconds is None:
        wait_seconds = LakeSettings.from_env().lease_wait_seconds
    lock = _process_lock(target.spec)
    if not lock.acquire(timeout=wait_seconds):
        raise WarehouseLocked(f"the warehouse {target.spec} is being written by this process")
    try:
        held: dict[str, str] = _held.__dict__.setdefault("by_spec", {})
        nested = target.spec in held
        holder = held.get(target.spec) or f"{_HOST}@{os.getpid()}:{uuid.uuid4().hex[:12]}"
        if not nested:
            _take(con, target, holder, wait_seconds, log)
            held[target.spec] = holder
        con.execute(f"SET VARIABLE {_VARIABLE} = {_quote(holder)}")
        try:
            yield
        finally:
            if not nested:
                del held[target.spec]
                _release(con, holder)
    finally:
        lock.release()


def _take(
    con: duckdb.DuckDBPyConnection,
    target: LakeTarget,
    holder: str,
    wait_seconds: float,
    log: Callable[[str], None],
) -> None:
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        current = _try_take(con, holder)
        if current is None:
            return
        if time.monotonic() >= deadline:
            raise WarehouseLocked(
                f"the warehouse {target.spec} is being written by another run ({current}); "
                f"gave up after {wait_seconds:.0f} s"
            )
        if not announced:
            log(f"waiting for the writer lease on {target.spec} ({current})")
            announced = True
        time.sleep(0.05 + random.random() * 0.2)


def _release(con: duckdb.DuckDBPyConnection, holder: str) -> None:
    _rollback(con)  # a block that raised may leave its transaction open
    con.execute(f"RESET VARIABLE {_VARIABLE}")
    try:
        _retry(
            lambda: con.execute(
                "UPDATE writer_lease SET holder = NULL, expires_at = NULL WHERE holder = ?",
                [holder],
            ),
            "release the writer lease",
        )
    except duckdb.Error as exc:  # it expires; a holder on this host is taken over at exit
        _LOG.warning("could not release the writer lease (%s); it will expire", exc)


# --- maintenance -------------------------------------------------------------------------

# Snapshots and replaced files younger than this are kept: a reader that started on an
# older snapshot still finds its files.
DEFAULT_RETAIN = timedelta(hours=1)
# A file is rewritten without its deleted rows once this share of them is deleted.
# DuckLake's default, 0.95, would leave most delete files in place: every dedupe deletes
# a few rows from the files of the story and summary tables (MERGE), rarely most of them.
REWRITE_DELETED_SHARE = 0.25
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``1h``, ``7d`` (``0s``: everything)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration (like 30m, 1h, 7d): {text!r}")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


@dataclass(frozen=True)
class LakeCounts:
    data_files: int  # live Parquet data files
    delete_files: int  # live delete files (rows deleted from a data file)
    snapshots: int


@dataclass(frozen=True)
class MaintenanceResult:
    before: LakeCounts
    after: LakeCounts
    inlined_rows_flushed: int  # rows moved from the catalog into Parquet files
    snapshots_expired: int
    files_merged: int  # small files compacted...
    files_created: int  # ...into these (merges and rewrites)
    files_rewritten: int  # files rewritten without their deleted rows
    files_deleted: int  # removed from the data path (replaced or orphaned, past retention)
    seconds: float

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {}
        for key, value in self.__dict__.items():
            result[key] = value.__dict__ if isinstance(value, LakeCounts) else value
        return result


def lake_counts(con: duckdb.DuckDBPyConnection) -> LakeCounts:
    files, deletes = con.execute(
        "SELECT coalesce(sum(file_count), 0), coalesce(sum(delete_file_count), 0) "
        f"FROM ducklake_table_info({_quote(CATALOG_NAME)})"
    ).fetchone()
    snapshots = con.execute(
        f"SELECT count(*) FROM ducklake_snapshots({_quote(CATALOG_NAME)})"
    ).fetchone()[0]
    return LakeCounts(int(files), int(deletes), int(snapshots))


def _current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        f"SELECT id FROM ducklake_current_snapshot({_quote(CATALOG_NAME)})"
    ).fetchone()[0]


def commits_since_maintenance(con: duckdb.DuckDBPyConnection) -> int:
    """Snapshots committed since the last ``maintain`` (since the lake was created if none).

    The last maintenance's snapshot id is kept in the lake (table ``lake_maintenance``, one
    row, made by the first ``maintain`` like ``writer_lease``: not part of the schema)."""
    last = 0
    if _table_exists(con, "lake_maintenance"):
        last = con.execute("SELECT max(snapshot_id) FROM lake_maintenance").fetchone()[0] or 0
    return _current_snapshot(con) - last


def maintenance_due(con: duckdb.DuckDBPyConnection) -> bool:
    """The automatic policy: ``PRESSWATCH_LAKE_MAINTAIN_EVERY`` commits (default 1000) since
    the last maintenance; 0 turns automatic maintenance off."""
    every = LakeSettings.from_env().maintain_every
    return every > 0 and commits_since_maintenance(con) >= every


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
            [CATALOG_NAME, name],
        ).fetchone()[0]
    )


def maintain(
    con: duckdb.DuckDBPyConnection, older_than: timedelta = DEFAULT_RETAIN
) -> MaintenanceResult:
    """Compact the lake with DuckLake's own functions: flush the rows inlined in the catalog
    to Parquet, merge adjacent small files, rewrite files with many deleted rows, expire
    the snapshots older than ``older_than``, then delete the files no unexpired snapshot
    needs that were replaced more than ``older_than`` ago, and orphaned ones.

    (``CHECKPOINT`` expires before it compacts; expiring after lets one run delete the
    files its own compaction replaced when ``older_than`` allows: a replaced file is
    scheduled for deletion only once the snapshots that read it expire.)

    The caller holds the writer lease (``warehouse.db.connection``): no presswatch writer
    commits meanwhile. Each step is its own DuckLake commit (DuckLake refuses compaction
    and changes in one transaction). ``CHECKPOINT`` runs the same steps but reads its
    retention from lake-wide options and reports nothing, so the steps are called here.
    """
    started = time.perf_counter()
    before = lake_counts(con)
    lake = _quote(CATALOG_NAME)

    def call(sql: str, *params: object) -> list[tuple]:
        renew_lease(con)
        return con.execute(f"CALL {sql}", list(params)).fetchall()

    # Every step starts a fresh lease term, or fails if the lease was lost (only a single
    # step outlasting the lease may overlap the next writer: DuckLake then rejects
    # whichever of their commits conflicts).
    flushed = call(f"ducklake_flush_inlined_data({lake})")
    merged = call(f"ducklake_merge_adjacent_files({lake})")
    rewritten = call(
        f"ducklake_rewrite_data_files({lake}, delete_threshold => {REWRITE_DELETED_SHARE})"
    )
    # (the cutoff is taken at each step, so ``0s`` also removes what the steps replaced)
    renew_lease(con)
    expired = _expire_snapshots(con, datetime.now(UTC) - older_than)
    renew_lease(con)
    deleted = _cleanup_old_files(con, datetime.now(UTC) - older_than)
    orphans = call(
        f"ducklake_delete_orphaned_files({lake}, older_than => ?)", datetime.now(UTC) - older_than
    )
    _record_maintenance(con)
    return MaintenanceResult(
        before=before,
        after=lake_counts(con),
        inlined_rows_flushed=sum(r[2] for r in flushed),
        snapshots_expired=expired,
        files_merged=sum(r[2] for r in merged),
        files_created=sum(r[3] for r in merged) + sum(r[3] for r in rewritten),
        files_rewritten=sum(r[2] for r in rewritten),
        files_deleted=deleted + len(orphans),
        seconds=round(time.perf_counter() - started, 3),
    )


# With a SQLite catalog, DuckLake 1.5.5 compares ``older_than`` with the catalog's
# timestamps as text and in effect by day: every snapshot (or scheduled file) of the
# cutoff's day counts as older, even one made a second ago. So snapshots are chosen here
# and expired by id, and files are cleaned up to a midnight, which both comparisons agree on.
_METADATA = f"__ducklake_metadata_{CATALOG_NAME}"


def _expire_snapshots(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> int:
    """Expire the snapshots made before ``cutoff`` (never the current one); returns how many."""
    lake = _quote(CATALOG_NAME)
    versions = [
        r[0]
        for r in con.execute(
            f"SELECT snapshot_id FROM ducklake_snapshots({lake}) WHERE snapshot_time < ? "
            f"AND snapshot_id < (SELECT max(snapshot_id) FROM ducklake_snapshots({lake}))",
            [cutoff],
        ).fetchall()
    ]
    if not versions:
        return 0
    return len(
        con.execute(f"CALL ducklake_expire_snapshots({lake}, versions => ?)", [versions]).fetchall()
    )


def _cleanup_old_files(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> int:
    """Delete the files scheduled for deletion before ``cutoff``: all of them when none is
    younger, else those scheduled before the cutoff's day (the rest at a later run)."""
    younger = con.execute(
        f"SELECT count(*) FROM {_METADATA}.ducklake_files_scheduled_for_deletion "
        "WHERE CAST(schedule_start AS TIMESTAMPTZ) >= ?",
        [cutoff],
    ).fetchone()[0]
    lake = _quote(CATALOG_NAME)
    if not younger:
        return len(
            con.execute(f"CALL ducklake_cleanup_old_files({lake}, cleanup_all => true)").fetchall()
        )
    day = cutoff.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return len(
        con.execute(
            f"CALL ducklake_cleanup_old_files({lake}, older_than => ?)",
            [day - timedelta(microseconds=1)],
        ).fetchall()
    )


def _record_maintenance(con: duckdb.DuckDBPyConnection) -> None:
    """Note the snapshot the maintenance ended at (``commits_since_maintenance``)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS lake_maintenance "
            "(snapshot_id BIGINT, maintained_at TIMESTAMPTZ)"
        )
        con.execute("DELETE FROM lake_maintenance")
        con.execute(
            "INSERT INTO lake_maintenance VALUES (?, ?)",
            [_current_snapshot(con), datetime.now(UTC)],  # (this commit counts as one)
        )
        renew_lease(con)
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise
