"""Search on a DuckLake (no fts index) against the indexed DuckDB file, and lake maintenance.

    .venv/bin/python bench/ducklake_upkeep.py search --from WAREHOUSE.duckdb [--articles N]
    .venv/bin/python bench/ducklake_upkeep.py maintain [--articles 400] [--batch 25]
                                                       [--older-than 0s]

``search``: copies the warehouse's articles (the first ``--articles`` by id, default all)
and the tables search reads into a DuckDB file and a new DuckLake (SQLite catalog), builds
the file's fts index, then times each query of ``SEARCHES`` (top 20, median of
``--repeat``) on both and compares the ranked ids.

``maintain``: loads ``--articles`` articles into a new DuckLake in batches of ``--batch``,
one write section for the load and one for the dedupe of each batch as the flows do
(``bench/ducklake_overhead.py``'s articles; automatic maintenance off), then counts data
files, delete files, snapshots, inlined rows and files on disk, times
``ducklake.maintain`` (``--older-than``, default 0s: everything replaced goes), counts
again, and times a coverage report and a search before and after.

Prints wall and CPU seconds of this process and the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ducklake_overhead import articles

from config.settings import Settings
from warehouse import ducklake, loader, reports, search
from warehouse.db import connection, open_connection
from warehouse.dedupe import dedupe_articles

SEARCHES = ["government", "public health report", '"prime minister"', "police NOT court",
            "minister AND budget", "quinpolran fentektor"]  # fmt: skip
TABLES = ["outlets", "sources", "articles", "stories", "story_members", "duplicate_links"]


def timed(action: Callable[[], object], repeat: int = 1) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def _copy(target: Path, source: Path, limit: int | None) -> None:
    """The source's articles (the first ``limit`` by id) and the tables search reads."""
    with connection(target) as con:
        con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
        try:
            for table in TABLES:
                mine = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
                theirs = {r[0] for r in con.execute(f"DESCRIBE src.main.{table}").fetchall()}
                columns = ", ".join(sorted(mine & theirs))
                rows = f"SELECT {columns} FROM src.main.{table}"
                if table == "articles" and limit:
                    rows += f" ORDER BY article_id LIMIT {limit}"
                con.execute(f"INSERT INTO {table} BY NAME {rows}")
        finally:
            con.execute("DETACH src")


def bench_search(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="presswatch-lake-search-"))
    file, lake = work / "w.duckdb", Path(f"ducklake:sqlite:{work / 'lake' / 'catalog.sqlite'}")
    for target in (file, lake):
        wall, _, _ = timed(lambda t=target: _copy(t, Path(args.source), args.articles))
        print(f"copy into {target}: {wall:.1f} s")
    with connection(file) as con:
        wall, _, _ = timed(lambda: search.rebuild_index(con))
        count = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"{count} articles; fts index build on the file {wall:.1f} s; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| query | file wall / CPU s | lake wall / CPU s | hits | same top 20 (order) |")
    print("|---|---:|---:|---:|---|")
    file_con = open_connection(file, read_only=True)
    with connection(lake, read_only=True) as lake_con:
        search.search(lake_con, "warm up")  # stop words and extension loading, once
        for query in SEARCHES:
            fw, fc, on_file = timed(lambda q=query: search.search(file_con, q), args.repeat)
            lw, lc, on_lake = timed(lambda q=query: search.search(lake_con, q), args.repeat)
            a, b = [r["id"] for r in on_file], [r["id"] for r in on_lake]
            same = "yes" if a == b else f"{len(set(a) & set(b))}/{len(a)} shared"
            print(f"| `{query}` | {fw:.3f} / {fc:.3f} | {lw:.3f} / {lc:.3f} | {len(a)} | {same} |")
    file_con.close()


def _disk_files(lake: Path) -> int:
    return sum(1 for _ in (lake.parent / "catalog.files").rglob("*.parquet"))


def _inlined_rows(catalog: Path) -> int:
    with sqlite3.connect(catalog) as db:
        tables = db.execute(
            "SELECT name FROM sqlite_master WHERE name GLOB 'ducklake_inlined_data_[0-9]*'"
        ).fetchall()
        return sum(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for (t,) in tables)


def _state(db: Path, catalog: Path) -> str:
    with connection(db, read_only=True) as con:
        counts = ducklake.lake_counts(con)
    return (
        f"{counts.data_files} data files, {counts.delete_files} delete files, "
        f"{counts.snapshots} snapshots, {_inlined_rows(catalog)} inlined rows, "
        f"{_disk_files(catalog)} Parquet files on disk, catalog "
        f"{catalog.stat().st_size / 2**20:.1f} MiB"
    )


def _reads(db: Path, repeat: int) -> str:
    with connection(db, read_only=True) as con:
        rw, rc, _ = timed(lambda: reports.coverage_report(con, limit=20), repeat)
        sw, sc, _ = timed(lambda: search.search(con, "police NOT court"), repeat)
    return f"coverage report {rw:.2f} s (CPU {rc:.2f}), search {sw:.2f} s (CPU {sc:.2f})"


def bench_maintain(args: argparse.Namespace) -> None:
    os.environ[ducklake.MAINTAIN_EVERY_ENV] = "0"
    work = Path(tempfile.mkdtemp(prefix="presswatch-lake-maintain-"))
    catalog = work / "lake" / "catalog.sqlite"
    db = Path(f"ducklake:sqlite:{catalog}")
    items = articles(args.articles)
    wall = time.perf_counter()
    for start in range(0, len(items), args.batch):
        with connection(db) as con:
            source_id = loader.ensure_source(con, "bench", "bench")
            run_id = loader.start_run(con, "bench", "bench")
            result = loader.load_articles(con, source_id, run_id, items[start : start + args.batch])
        with connection(db) as con:
            dedupe_articles(con, result.changed, Settings())
    print(f"{args.articles} articles in batches of {args.batch}: "
          f"{time.perf_counter() - wall:.1f} s; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"before: {_state(db, catalog)}")
    print(f"  reads: {_reads(db, args.repeat)}")
    with connection(db) as con:
        older_than = ducklake.parse_duration(args.older_than)
        wall, cpu, done = timed(lambda: ducklake.maintain(con, older_than))
    print(f"maintain --older-than {args.older_than}: {wall:.1f} s (CPU {cpu:.1f}): {done}")
    print(f"after: {_state(db, catalog)}")
    print(f"  reads: {_reads(db, args.repeat)}; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    finder = kinds.add_parser("search")
    finder.add_argument("--from", dest="source", required=True, help="a DuckDB warehouse")
    finder.add_argument("--articles", type=int, help="copy only the first N (default all)")
    upkeep = kinds.add_parser("maintain")
    upkeep.add_argument("--articles", type=int, default=400)
    upkeep.add_argument("--batch", type=int, default=25)
    upkeep.add_argument("--older-than", default="0s")
    for kind in (finder, upkeep):
        kind.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    (bench_search if args.kind == "search" else bench_maintain)(args)


if __name__ == "__main__":
    main()
