"""End-to-end throughput: the real ``ingest_feeds`` flow on a generated news site, on one
and two processes and on a 2-worker local Dask cluster, against the same work as a plain
Python loop.

The site (``bench/e2e_site.py``, a separate process on 127.0.0.1): the 793 WCXB dev pages,
then variants of them (real markup, 70% of the words replaced: different articles) and
syndicated copies (2% of the words edited, new headline, "originally appeared" line), 25
articles per RSS feed (40 feeds for 1k articles, 400 for 10k), gzipped like a real site.

Configurations (``--configs``), each on a fresh DuckDB file under one Prefect temporary
server (start-up and a warm-up flow excluded from every timing):

* ``loop``: ``bench/feed_benchmark.run_loop``: fetch and parse the feeds, then per page
  ``fetch`` -> ``extract_html`` -> ``load_articles``, ``dedupe_articles`` every 10,000
  loaded articles and at the end (as the flow does), one thread, no Prefect;
* ``flow-1``: the flow with ``PRESSWATCH_WORKERS=1`` (extraction in the flow's process);
* ``flow-2``: the default runner with ``PRESSWATCH_WORKERS=2`` (a pool of 2 processes);
* ``dask-2``: ``PRESSWATCH_TASK_RUNNER=dask`` on a temporary 2-worker ``LocalCluster``
  (its start-up is inside the timing: a flow run pays it).

Figures: wall time and articles/s; CPU seconds of this process, its children (worker
processes, Dask) and Prefect's server; peak resident memory of this process plus its
worker processes (sampled every 0.2 s; the site and Prefect's server excluded); stage
times (loop: its own clocks; flow: Prefect task runs, summed run time and wall span, which
overlap since fetching, extraction and loading run at once). ``PRESSWATCH_HOST_DELAY=0``
(every page is on one host).

    .venv/bin/python bench/e2e_benchmark.py --articles 1000 [--configs loop,flow-1,flow-2,dask-2]
        [--json results.jsonl]

Prints figures only, asserts nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
for entry in (str(REPO_ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

# Sets up Prefect's home and the benchmark's environment before Prefect is imported.
import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import feed_benchmark as fb  # noqa: E402

from warehouse.db import connection  # noqa: E402

CONFIGS = {
    "flow-1": {"PRESSWATCH_TASK_RUNNER": "local", "PRESSWATCH_WORKERS": "1"},
    "flow-2": {"PRESSWATCH_TASK_RUNNER": "local", "PRESSWATCH_WORKERS": "2"},
    "dask-2": {"PRESSWATCH_TASK_RUNNER": "dask", "PRESSWATCH_WORKERS": "2"},
}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _rusage_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Tracked:
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0
    load_before: str = ""
    load_after: str = ""


class tracking:
    """Wall, CPU (this process, children that ended, and processes alive throughout such as
    Prefect's server) and peak memory of this process plus processes started meanwhile."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.result = Tracked()
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            pids = [os.getpid()] + [
                p for p in fb._descendants(os.getpid()) if p not in self._before
            ]
            self.result.peak_rss = max(self.result.peak_rss, sum(_rss(p) for p in pids))

    def __enter__(self) -> Tracked:
        self._before = set(fb._descendants(os.getpid()))
        self._alive = [p for p in self._before if p not in self.exclude]
        self.result.load_before = fb.loadavg()
        self._cpu = (
            _rusage_cpu(resource.RUSAGE_SELF)
            + _rusage_cpu(resource.RUSAGE_CHILDREN)
            + fb._cpu_of(self._alive)
        )
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self._wall = time.perf_counter()
        return self.result

    def __exit__(self, *exc: object) -> None:
        r = self.result
        r.wall = time.perf_counter() - self._wall
        self._stop.set()
        self._sampler.join()
        r.cpu = (
            _rusage_cpu(resource.RUSAGE_SELF)
            + _rusage_cpu(resource.RUSAGE_CHILDREN)
            + fb._cpu_of(self._alive)
            - self._cpu
        )
        r.load_after = fb.loadavg()


@dataclass
class Result:
    config: str
    articles: int
    tracked: Tracked
    stages: dict[str, object] = field(default_factory=dict)
    warehouse: dict[str, int] = field(default_factory=dict)


def start_site(work: Path, articles: int, cache: Path) -> tuple[subprocess.Popen, dict]:
    manifest_path = work / "site.json"
    command = [
        sys.executable,
        str(BENCH / "e2e_site.py"),
        "--articles",
        str(articles),
        "--manifest",
        str(manifest_path),
        "--cache",
        str(cache),
    ]
    server = subprocess.Popen(command, stdin=subprocess.PIPE)
    deadline = time.monotonic() + 1800
    while not manifest_path.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the benchmark site did not start")
        time.sleep(0.5)
    return server, json.loads(manifest_path.read_text(encoding="utf-8"))


def warehouse_counts(db_path: Path) -> dict[str, int]:
    with connection(db_path, read_only=True) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "duplicate_links", "stories")
        }


def run_config(config: str, work: Path, manifest: dict, exclude: set[int]) -> Result:
    from flows.ingest_feeds import ingest_feeds

    db = work / f"{config}.duckdb"
    articles = len(manifest["articles"])
    fb.clear_per_input_caches()
    if config == "loop":
        with tracking(exclude) as tracked:
            loop = fb.run_loop(manifest["feeds"], db, exclude)
        stages = {k: round(v, 1) for k, v in loop.stages.items()}
    else:
        feeds_path = fb.write_feed_list(work, manifest)
        saved = {k: os.environ.get(k) for k in CONFIGS[config]}
        os.environ.update(CONFIGS[config])
        try:
            with tracking(exclude) as tracked:
                state = ingest_feeds(feeds=str(feeds_path), db=str(db), return_state=True)
            state.result()
        finally:
            for key, value in saved.items():
                os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
        try:
            stages = {
                name: {"runs": runs, "summed_s": round(total, 1), "span_s": round(span, 1)}
                for name, (runs, total, span) in fb.task_stages(
                    state.state_details.flow_run_id
                ).items()
            }
        except Exception as error:  # stage times are a bonus, never a reason to fail
            stages = {"error": repr(error)}
    return Result(config, articles, tracked, stages, warehouse_counts(db))


def report(result: Result) -> None:
    t = result.tracked
    print(
        f"{result.config:<8} {result.articles:>6} articles  {t.wall:8.1f} s wall  "
        f"{result.articles / t.wall:6.2f} articles/s  CPU {t.cpu:7.1f} s  "
        f"peak RSS {t.peak_rss / 2**20:6.0f} MiB  load {t.load_before} -> {t.load_after}",
        flush=True,
    )
    print(f"         warehouse: {result.warehouse}", flush=True)
    print(f"         stages: {json.dumps(result.stages)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--configs", default="loop,flow-1,flow-2,dask-2")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/presswatch-e2e-site"))
    parser.add_argument("--json", type=Path, default=None, help="append results (JSON lines)")
    args = parser.parse_args(argv)
    configs = [c.strip() for c in args.configs.split(",")]
    unknown = [c for c in configs if c != "loop" and c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(unknown)}")
    fb._quiet_libraries()

    print(f"machine: {os.cpu_count()} cores; load average at start {fb.loadavg()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="presswatch-e2e-"))
    started = time.perf_counter()
    server, manifest = start_site(work, args.articles, args.cache)
    kinds = Counter(a["kind"] for a in manifest["articles"])
    print(
        f"site: {len(manifest['articles'])} articles ({dict(kinds)}), "
        f"{len(manifest['feeds'])} feeds, ready in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    try:
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=180):
            fb.warm_up_prefect()
            truths = [
                SimpleNamespace(file_id=a["file_id"], url=a["url"])
                for a in manifest["articles"][:2]
            ]
            fb.warm_up_pipeline(fb.DEFAULT_CORPUS, truths, work)
            for config in configs:
                result = run_config(config, work, manifest, {server.pid})
                report(result)
                if args.json:
                    with args.json.open("a", encoding="utf-8") as out:
                        record = {
                            "config": result.config,
                            "articles": result.articles,
                            "wall_s": round(result.tracked.wall, 1),
                            "articles_per_s": round(result.articles / result.tracked.wall, 2),
                            "cpu_s": round(result.tracked.cpu, 1),
                            "peak_rss_mib": round(result.tracked.peak_rss / 2**20),
                            "load": [result.tracked.load_before, result.tracked.load_after],
                            "stages": result.stages,
                            "warehouse": result.warehouse,
                            "copies_planned": kinds.get("copy", 0),
                        }
                        out.write(json.dumps(record) + "\n")
    finally:
        fb.stop_site(server)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(fb._PREFECT_HOME, ignore_errors=True)
    print(f"load average at end {fb.loadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
