"""Coverage report, search and watchlist matching on a warehouse of N (default 1M) articles.

    python bench/report_scale.py [--articles 1000000] [--db /tmp/presswatch-scale.duckdb]
                                 [--reuse] [--batch 500] [--skip-index]

1. Generates the warehouse (``bench/scale_data.py``: bulk SQL, bypassing dedup, filling
   articles, duplicate_links, stories, story_members, outlets), unless ``--reuse``.
2. Coverage report: each query of ``reports.coverage_report`` (top 20 stories, as the
   table shows; and every story, as ``--format json`` exports), filtered variants, and the
   ``presswatch report coverage`` command end to end (table, html, json, parquet).
3. Search: the fts index build, query times (index only, then with 10,000 articles newer
   than the index searched directly), and ``presswatch search`` end to end.
4. Watchlists: matching a new 20-query watchlist against every article (``watch add``),
   and the load-time cost: a batch of new articles through the steps of the real
   ingestion path (``loader.load_articles``, then ``pipeline.dedupe_articles``' dedupe,
   watchlist matching and coverage-summary refresh, each timed).

Prints wall-clock seconds (and CPU seconds of the process, all its threads, where the
machine may be shared) and the load average; asserts nothing. Times are medians of
``--repeat`` runs. With ``--reuse`` the warehouse is migrated if needed and its coverage
summaries refreshed (a full build when it predates them).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale_data

from config.settings import Settings
from extractors.models import ExtractedArticle
from warehouse import loader, reports, search, summaries, watchlists
from warehouse.db import open_connection, transaction
from warehouse.dedupe import dedupe_batch

PRESSWATCH = str(Path(sys.executable).with_name("presswatch"))
WATCH_QUERIES = [
    "government", "minister AND budget", '"public health"', "police OR court",
    "election NOT sport", "climate", '"prime minister"', "school AND (teachers OR pupils)",
    "bank AND rates", "hospital", "war OR conflict", '"united states"', "trade AND tariffs",
    "energy prices", "housing", "strike", "football NOT money", '"human rights"', "flood",
    "technology AND companies",
]  # fmt: skip
SEARCHES = ["government", "public health report", '"prime minister"', "police NOT court",
            "quinpolran fentektor"]  # fmt: skip


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def command(*args: str, repeat: int = 1) -> tuple[float, float]:
    """Median wall seconds of running ``presswatch *args``, and its median CPU seconds
    (user + system of the child process, all threads)."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([PRESSWATCH, *args], check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def line(name: str, wall: float, cpu: float | None = None, note: str = "") -> None:
    cpu_text = f"{cpu:7.2f}" if cpu is not None else "       "
    print(f"  {name:58s} {wall:7.2f} {cpu_text}  {note}")


def load_note() -> str:
    return "load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_report(db: Path, repeat: int) -> None:
    print(f"\nCoverage report (seconds: wall, cpu); {load_note()}")
    con = open_connection(db, read_only=True)
    try:
        for limit, label in ((20, "top 20 stories (table, html)"), (None, "every story (json)")):
            steps: dict[str, list[float]] = {}
            last = [time.perf_counter(), ""]

            def step(name: str, steps: dict = steps, last: list = last) -> None:
                now = time.perf_counter()
                if last[1]:
                    steps.setdefault(str(last[1]), []).append(now - float(last[0]))
                last[:] = [now, name]

            def run(limit: int | None = limit, step: Callable = step, last: list = last) -> dict:
                last[1] = ""
                report = reports.coverage_report(  # as the CLI's table (limit) and json do
                    con,
                    limit=limit,
                    matches_per_watchlist=limit,
                    copies_per_story=0 if limit else None,
                    progress=step,
                )
                step("")
                return report

            wall, cpu, report = timed(run, repeat)
            line(f"coverage_report, {label}", wall, cpu,
                 f"{len(report['stories'])} stories, {len(report['copies'])} copies")  # fmt: skip
            for name, values in steps.items():
                line(f"  {name}", statistics.median(values))
        wall, cpu, _ = timed(
            lambda: reports.coverage_report(con, limit=20, matches_per_watchlist=20,
                                            copies_per_story=0, use_summaries=False),
            repeat,
        )  # fmt: skip
        line("coverage_report, top 20, computed live (no summaries)", wall, cpu)
        some_story = report["stories"][0]["story_id"]
        outlet = report["outlets"][0]["outlet"]
        for name, filters in (
            ("filter: one month", reports.ReportFilter(date(2025, 3, 1), date(2025, 3, 31))),
            ("filter: one outlet", reports.ReportFilter(outlet=outlet)),
            ("filter: one story", reports.ReportFilter(story=some_story)),
            ("filter: watchlist", reports.ReportFilter(watch="bench")),
        ):
            wall, cpu, _ = timed(  # as the CLI's table shows it
                lambda f=filters: reports.coverage_report(
                    con, f, limit=20, matches_per_watchlist=20, copies_per_story=0
                ),
                repeat,
            )
            line(f"coverage_report, top 20, {name}", wall, cpu)
    finally:
        con.close()
    print(f"\n`presswatch report coverage` end to end (seconds: wall, cpu); {load_note()}")
    out = Path(f"{db}.bench-out")
    out.mkdir(exist_ok=True)
    line(
        "--format table (default: 20 stories)",
        *command("report", "coverage", "--db", str(db), repeat=repeat),
    )
    line(
        "--format html --out FILE",
        *command(
            "report",
            "coverage",
            "--format",
            "html",
            "--out",
            str(out / "r.html"),
            "--db",
            str(db),
            repeat=repeat,
        ),
    )
    line(
        "--format json --limit 50 --out FILE",
        *command(
            "report",
            "coverage",
            "--format",
            "json",
            "--limit",
            "50",
            "--out",
            str(out / "r.json"),
            "--db",
            str(db),
            repeat=repeat,
        ),
    )
    line(
        "--format parquet --out FILE (stories)",
        *command(
            "report",
            "coverage",
            "--format",
            "parquet",
            "--out",
            str(out / "r.parquet"),
            "--db",
            str(db),
            repeat=repeat,
        ),
    )
    every, every_cpu = command(
        "report", "coverage", "--format", "json", "--out", str(out / "all.json"), "--db", str(db)
    )
    size = (out / "all.json").stat().st_size / 1e6
    line("--format json --out FILE (every story, every copy)", every, every_cpu, f"{size:.0f} MB")


def bench_search(db: Path, repeat: int, skip_index: bool) -> None:
    print(f"\nSearch (seconds: wall, cpu); {load_note()}")
    con = open_connection(db)
    try:
        if not skip_index or not search.index_status(con).exists:
            wall, cpu, _ = timed(lambda: search.rebuild_index(con))
            line("fts index build (PRAGMA create_fts_index + postings)", wall, cpu)
        for query in SEARCHES:
            wall, cpu, hits = timed(lambda q=query: search.search(con, q, limit=20), repeat)
            line(f"search {query!r}", wall, cpu, f"{len(hits)} hits")
        outlet = con.execute(
            "SELECT o.name FROM articles a JOIN outlets o USING (outlet_id) "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()[0]
        for name, filters in (
            ("one outlet", reports.ReportFilter(outlet=outlet)),
            ("one month", reports.ReportFilter(date(2025, 3, 1), date(2025, 3, 31))),
        ):
            wall, cpu, hits = timed(
                lambda f=filters: search.search(con, "government", f, limit=20), repeat
            )
            line(f"search 'government', filter: {name}", wall, cpu, f"{len(hits)} hits")
        # 10,000 articles newer than the index: searched directly until the next rebuild.
        con.execute(
            """INSERT INTO articles (article_id, source_id, source_ref, url, canonical_url,
                   outlet_id, title, author, published_at, language, dateline, body_text,
                   content_hash, extraction_method, first_seen_at, updated_at, run_id,
                   dedupe_pending)
               SELECT 'new' || article_id AS article_id, source_id,
                   'new-' || source_ref, url, canonical_url, outlet_id, title, author,
                   published_at, language, dateline, body_text, content_hash,
                   extraction_method, now(), now(), run_id, false
               FROM articles WHERE article_id NOT LIKE 'new%' LIMIT 10000"""
        )
        status = search.index_status(con)
        for query in SEARCHES[:3]:
            wall, cpu, hits = timed(lambda q=query: search.search(con, q, limit=20), repeat)
            line(
                f"search {query!r} + {status.delta:,} newer articles",
                wall,
                cpu,
                f"{len(hits)} hits",
            )
        con.execute("DELETE FROM articles WHERE article_id LIKE 'new%'")
    finally:
        con.close()
    line(
        "`presswatch search government` end to end",
        *command("search", "government", "--db", str(db), repeat=repeat),
    )
    line(
        "`presswatch search ... --format json` end to end",
        *command(
            "search", "public health report", "--format", "json", "--db", str(db), repeat=repeat
        ),
    )


def _articles(count: int, seed: int) -> dict[str, ExtractedArticle]:
    rng = np.random.default_rng(seed)
    pool = scale_data._sentences(4000, rng)
    out = {}
    for i in range(count):
        picks = rng.integers(0, len(pool), size=14)
        text = " ".join(pool[j] for j in picks)
        out[f"ingest-{seed}-{i}"] = ExtractedArticle(
            title=" ".join(pool[picks[0]].split()[:8]), text=text, method="bench",
            published_at=date(2026, 1, 1 + i % 28), outlet=f"Bench Outlet {i % 7}",
        )  # fmt: skip
    return out


def bench_watchlists(db: Path, batch: int, keep: bool) -> None:
    print(f"\nWatchlists (seconds: wall, cpu); {load_note()}")
    con = open_connection(db)
    try:
        if not keep:
            con.execute("DELETE FROM watch_matches WHERE watchlist = 'bench'")
            con.execute("DELETE FROM watch_queries WHERE watchlist = 'bench'")
            wall, cpu, counts = timed(lambda: watchlists.add(con, "bench", WATCH_QUERIES))
            total = sum(counts.values())
            line(f"`watch add` of {len(WATCH_QUERIES)} queries over every article", wall, cpu,
                 f"{total:,} matches")  # fmt: skip
        source = loader.ensure_source(con, "bench", "bench://ingest")
        items = _articles(batch, seed=int(time.time()))  # new refs: really new articles
        run_id = loader.start_run(con, "bench", "bench://ingest")
        # The steps of loader.load_articles + pipeline.dedupe_articles, timed one by one.
        times: dict[str, tuple[float, float]] = {}
        load = [loader.ArticleInput(r, a) for r, a in items.items()]
        wall, cpu, loaded = timed(lambda: loader.load_articles(con, source, run_id, load))
        times["load"] = (wall, cpu)
        changed = loaded.changed
        with transaction(con):
            times["dedupe + stories"] = timed(lambda: dedupe_batch(con, changed, Settings()))[:2]
            wall, cpu, matched = timed(lambda: watchlists.match_articles(con, changed))
            times["matching"] = (wall, cpu)
            wall, cpu, refreshed = timed(lambda: summaries.refresh(con))
            times["coverage summaries"] = (wall, cpu)
        total_wall = sum(t[0] for t in times.values())
        total_cpu = sum(t[1] for t in times.values())
        line(f"ingest {batch} articles: load + dedupe + matching + summaries",
             total_wall, total_cpu)  # fmt: skip
        for name, (wall, cpu) in times.items():
            line(f"  {name}", wall, cpu)
        print(
            f"  matching: {matched} matches ({len(WATCH_QUERIES)} queries); summaries: "
            f"{refreshed.mode}, {refreshed.articles_changed} articles, {refreshed.stories} "
            f"stories, {refreshed.days} days, {refreshed.outlets} outlets recomputed"
        )
        match_wall, match_cpu = times["matching"]
        print(
            f"  matching adds {100 * match_wall / (total_wall - match_wall):.1f}% (wall) / "
            f"{100 * match_cpu / (total_cpu - match_cpu):.1f}% (cpu) to ingestion without it"
        )
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/presswatch-scale.duckdb"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing --db")
    parser.add_argument("--batch", type=int, default=500, help="articles per ingestion batch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", default="watch,report,search", help="comma-separated")
    parser.add_argument("--skip-index", action="store_true", help="reuse an existing fts index")
    parser.add_argument(
        "--keep-watchlist", action="store_true", help="reuse the watchlist of a --reuse'd db"
    )
    args = parser.parse_args()
    print(f"presswatch report/search/watchlist benchmark: {os.cpu_count()} cores, {args.db}")
    if not (args.reuse and args.db.exists()):
        timings = scale_data.generate(args.db, args.articles)
        print(f"generated {args.articles:,} articles in {timings['generate_s']:.0f} s; "
              f"coverage summaries built in {timings['summaries_s']:.1f} s")  # fmt: skip
    else:
        con = open_connection(args.db)  # migrates a warehouse generated by an older version
        try:
            wall, cpu, result = timed(lambda: summaries.refresh(con))
            line(f"coverage summaries refresh ({result.mode})", wall, cpu)
        finally:
            con.close()
    parts = set(args.parts.split(","))
    if "watch" in parts:  # first: the report then has a watchlist to filter on
        bench_watchlists(args.db, args.batch, args.keep_watchlist)
    if "report" in parts:
        bench_report(args.db, args.repeat)
    if "search" in parts:
        bench_search(args.db, args.repeat, args.skip_index)


if __name__ == "__main__":
    main()
