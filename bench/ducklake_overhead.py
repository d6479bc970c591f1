"""What the DuckLake backend costs against the DuckDB file, per write section and per load.

    .venv/bin/python bench/ducklake_overhead.py [--articles 400] [--batch 25]

For each backend (the DuckDB file; DuckLake with a SQLite catalog; DuckLake with a
PostgreSQL catalog when ``PRESSWATCH_BENCH_PG`` holds a libpq string for an empty
database) it prints: the first write section of the process (attach, loading the
extensions, migrations), an empty write section afterwards (``warehouse.db.connection``
open + close: on DuckLake the lease taken and released and the migration check), and the
wall and CPU seconds to load and deduplicate ``--articles`` articles in batches of
``--batch``, one write section for the load and one for the dedupe of each batch, as the
flows do. The articles are the seed texts behind a unique opening paragraph each, so all
but the first of each text are linked as copies.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from config.settings import Settings
from extractors.models import ExtractedArticle
from warehouse import loader
from warehouse.db import connection
from warehouse.dedupe import dedupe_articles

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def articles(count: int) -> list[loader.ArticleInput]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    words = " ".join(texts).split()
    rng = random.Random(7)
    made = []
    for n in range(count):
        opening = " ".join(" ".join(rng.choice(words) for _ in range(18)) + "." for _ in range(4))
        body = f"{opening}\n\n{texts[n % len(texts)]}"
        made.append(
            loader.ArticleInput(
                f"bench-{n}", ExtractedArticle(title=f"Article {n}", text=body, method="bench")
            )
        )
    return made


def measure(db: Path, items: list[loader.ArticleInput], batch: int) -> dict[str, float]:
    started = time.perf_counter()
    with connection(db):
        pass
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(10):
        with connection(db):
            pass
    empty = (time.perf_counter() - started) / 10
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(items), batch):
        with connection(db) as con:
            source_id = loader.ensure_source(con, "bench", "bench")
            run_id = loader.start_run(con, "bench", "bench")
            result = loader.load_articles(con, source_id, run_id, items[start : start + batch])
        with connection(db) as con:
            dedupe_articles(con, result.changed, Settings())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with connection(db, read_only=True) as con:
        links = con.execute("SELECT count(*) FROM duplicate_links").fetchone()[0]
    return {"first": first, "empty": empty, "wall": wall, "cpu": cpu, "links": links}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--batch", type=int, default=25)
    args = parser.parse_args()
    items = articles(args.articles)
    work = Path(tempfile.mkdtemp(prefix="presswatch-ducklake-bench-"))
    backends = {
        "duckdb file": str(work / "w.duckdb"),
        "ducklake, sqlite catalog": f"ducklake:sqlite:{work / 'lake' / 'catalog.sqlite'}",
    }
    if os.environ.get("PRESSWATCH_BENCH_PG"):
        os.environ["PRESSWATCH_DATA_PATH"] = str(work / "pg-data")
        backends["ducklake, postgres catalog"] = (
            f"ducklake:postgres:{os.environ['PRESSWATCH_BENCH_PG']}"
        )
    print(f"{args.articles} articles in batches of {args.batch}; load: {os.getloadavg()[0]:.1f}")
    print("| backend | first section | empty section | load + dedupe wall | CPU | links |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, db in backends.items():
        r = measure(Path(db), items, args.batch)
        print(
            f"| {name} | {r['first']:.2f} s | {r['empty'] * 1000:.0f} ms | {r['wall']:.1f} s "
            f"({args.articles / r['wall']:.0f} articles/s) | {r['cpu']:.1f} s | {r['links']} |"
        )


if __name__ == "__main__":
    main()
