"""Feed ingestion benchmark: extraction quality and throughput of the real ``ingest_feeds``
flow on the WCXB article pages, against plain trafilatura and a plain Python loop.

Set-up (``bench/newsite_server.py``, run as a separate process on 127.0.0.1): every WCXB
dev page is served at ``/<host><path>`` of its original URL, split round-robin over K
generated RSS feeds. Each item carries guid, link, a short description, and - as a real
CMS feed does - the headline and the publication date, taken here from the ground truth
(``pubDate`` at 12:00 UTC of the ground-truth day; omitted when the ground truth has no
full date). The pipeline may use them as hints; the baseline never sees the feed.

Quality. The real flow runs on a temporary DuckDB file under Prefect's temporary server
(start-up excluded from every timing). Stored articles are joined to the ground truth by
URL and scored with ``testsupport/scoring.py``: word-level precision, recall and F1 of the body
averaged per page (a missing article scores 0), exact title after whitespace
normalisation, same-day date. Baseline: ``trafilatura.extract(html, url=url)`` and
``trafilatura.extract_metadata(html, default_url=url)`` on the same HTML bytes with the
same (local) URL the pipeline extracts with.

Throughput. Articles per second through the flow, end to end (feed polls, page fetch and
extraction, loading, dedupe, report), against the same work in one thread of plain
Python: fetch and parse the feeds, then for each page ``sources.http.fetch`` (same
policy), ``extractors.html.extract_html`` (same feed hints), ``warehouse.loader.
load_articles`` into another temporary DuckDB, then ``warehouse.dedupe.dedupe_articles``
once. ``PRESSWATCH_HOST_DELAY=0``: all pages share one host (127.0.0.1), so the default
0.5 s politeness delay would measure the throttle, not the pipeline.

    .venv/bin/python bench/feed_benchmark.py [--limit N] [--feeds K] [--workers 2]
        [--repeat R] [--order flow,loop] [--no-baseline] [--keep DIR]

Prints figures only, asserts nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Prefect reads its settings when first imported.
# (Baseline worker processes re-import this module: they reuse the parent's home.)
_PREFECT_HOME = os.environ.get("PRESSWATCH_BENCH_PREFECT_HOME") or tempfile.mkdtemp(
    prefix="presswatch-bench-prefect-"
)
os.environ["PRESSWATCH_BENCH_PREFECT_HOME"] = os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ["PRESSWATCH_HOST_DELAY"] = "0"
os.environ.pop("PRESSWATCH_ALLOWED_HOSTS", None)
os.environ.pop("PRESSWATCH_DB", None)

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for entry in (str(REPO_ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from statistics import fmean  # noqa: E402
from urllib.parse import unquote  # noqa: E402

import httpx  # noqa: E402
import trafilatura  # noqa: E402

from config.settings import FetchSettings, Settings  # noqa: E402
from extractors.feed import parse_feed  # noqa: E402
from extractors.feed_content import article_from_feed_item  # noqa: E402
from extractors.html import FeedHints, extract_html  # noqa: E402
from extractors.models import ExtractionError  # noqa: E402
from sources.feedlist import FeedList, FeedSource, save_feed_list  # noqa: E402
from sources.http import FetchError, fetch  # noqa: E402
from sources.urls import canonical_url  # noqa: E402
from testsupport.scoring import as_day, same_day, score_text, title_match  # noqa: E402
from warehouse import feed_state as feed_store  # noqa: E402
from warehouse import loader  # noqa: E402
from warehouse.db import connection  # noqa: E402
from warehouse.dedupe import dedupe_articles  # noqa: E402

DEFAULT_CORPUS = Path(
    os.environ.get("WCXB_CORPUS", REPO_ROOT.parent / "shared" / "corpora" / "wcxb-articles-dev")
)
OVERHEAD_LIMIT = 0.25


# --- the corpus and the site -------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    file_id: str
    url: str  # local URL, as written in the feed
    title: str | None
    published: str | None
    body: str


@dataclass(frozen=True)
class Outcome:
    text: str
    title: str | None
    published: object
    method: str


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _descendants(pid: int) -> list[int]:
    """Child processes of ``pid``, recursively (from /proc; Linux only, else none)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    found, todo = [], list(children[pid])
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children[child]
    return found


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids``."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Measure:
    """Wall time and CPU time of one timed run: this process (all its threads) and the
    helper processes it started except the page server (i.e. Prefect's server)."""

    wall: float = 0.0
    cpu: float = 0.0
    server_cpu: float = 0.0
    load_before: str = ""
    load_after: str = ""


class measuring:
    """Context manager filling a ``Measure``."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.measure = Measure()

    def _servers(self) -> list[int]:
        return [p for p in _descendants(os.getpid()) if p not in self.exclude]

    def __enter__(self) -> Measure:
        self.measure.load_before = loadavg()
        self._pids = self._servers()
        self._server_cpu = _cpu_of(self._pids)
        self._cpu = time.process_time()
        self._wall = time.perf_counter()
        return self.measure

    def __exit__(self, *exc: object) -> None:
        m = self.measure
        m.wall = time.perf_counter() - self._wall
        m.cpu = time.process_time() - self._cpu
        m.server_cpu = _cpu_of(self._pids) - self._server_cpu
        m.load_after = loadavg()


def url_key(url: str | None) -> str:
    return unquote(url or "")


def start_site(
    work: Path, corpus: Path, limit: int | None, feeds: int
) -> tuple[subprocess.Popen, dict]:
    manifest_path = work / "site.json"
    command = [
        sys.executable,
        str(BENCH / "newsite_server.py"),
        "--manifest",
        str(manifest_path),
        "--feeds",
        str(feeds),
        "--corpus",
        str(corpus),
    ]
    if limit:
        command += ["--limit", str(limit)]
    server = subprocess.Popen(command, stdin=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not manifest_path.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the benchmark site did not start")
        time.sleep(0.2)
    return server, json.loads(manifest_path.read_text(encoding="utf-8"))


def stop_site(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.stdin.close()  # the server stops when its stdin closes
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.terminate()
            server.wait(timeout=10)


def load_truths(corpus: Path, manifest: dict) -> list[Truth]:
    truths = []
    for page in manifest["pages"]:
        record = json.loads(
            (corpus / "dev" / "ground-truth" / f"{page['file_id']}.json").read_text("utf-8")
        )
        truth = record.get("ground_truth") or {}
        truths.append(
            Truth(
                file_id=page["file_id"],
                url=page["url"],
                title=truth.get("title"),
                published=truth.get("publish_date"),
                body=truth.get("main_content") or "",
            )
        )
    return truths


# --- quality -----------------------------------------------------------------------------


def _quiet_libraries() -> None:
    """trafilatura and htmldate warn on every page they discard; the table is enough."""
    for name in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def baseline_page(job: tuple[str, str, str]) -> tuple[str, Outcome]:
    """Plain trafilatura on one page, exactly as ``bench/extraction_quality_offline.py``."""
    corpus, file_id, url = job
    html = gzip.decompress((Path(corpus) / "dev" / "html" / f"{file_id}.html.gz").read_bytes())
    try:
        text = trafilatura.extract(html, url=url)
        metadata = trafilatura.extract_metadata(html, default_url=url)
    except Exception:  # a crash is a failed page, like None
        text, metadata = None, None
    return file_id, Outcome(
        text=text or "",
        title=metadata.title if metadata else None,
        published=metadata.date if metadata else None,
        method="trafilatura" if text else "failed",
    )


def run_baseline(corpus: Path, truths: list[Truth], workers: int) -> dict[str, Outcome]:
    jobs = [(str(corpus), t.file_id, t.url) for t in truths]
    with get_context("spawn").Pool(workers, initializer=_quiet_libraries) as pool:
        return dict(pool.imap_unordered(baseline_page, jobs, chunksize=4))


def stored_outcomes(db_path: Path, truths: list[Truth]) -> dict[str, Outcome]:
    """The stored articles, joined to the pages by URL."""
    by_url = {url_key(t.url): t.file_id for t in truths}
    with connection(db_path, read_only=True) as con:
        rows = con.execute(
            "SELECT url, title, published_at, body_text, extraction_method FROM articles"
        ).fetchall()
    found = {}
    for url, title, published, text, method in rows:
        file_id = by_url.get(url_key(url))
        if file_id is not None:
            found[file_id] = Outcome(text or "", title, published, method)
    return found


MISSING = Outcome("", None, None, "missing")


def summarize(truths: list[Truth], outcomes: dict[str, Outcome]) -> dict[str, float]:
    def get(t: Truth) -> Outcome:
        return outcomes.get(t.file_id, MISSING)

    with_body = [t for t in truths if t.body]
    with_title = [t for t in truths if t.title]
    with_date = [t for t in truths if as_day(t.published)]
    scores = [score_text(get(t).text, t.body) for t in with_body]
    return {
        "precision": fmean(s[0] for s in scores),
        "recall": fmean(s[1] for s in scores),
        "f1": fmean(s[2] for s in scores),
        "title": fmean(title_match(get(t).title, t.title) for t in with_title),
        "date": fmean(same_day(get(t).published, t.published) for t in with_date)
        if with_date
        else float("nan"),
        "missing": sum(t.file_id not in outcomes for t in truths),
    }


# --- the flow ----------------------------------------------------------------------------


@dataclass
class FlowRun:
    measure: Measure
    summary: object
    stages: dict[str, tuple[int, float, float]] = field(default_factory=dict)


def write_feed_list(work: Path, manifest: dict) -> Path:
    path = work / "feeds.toml"
    feeds = tuple(FeedSource(name=f"wcxb {n}", url=url) for n, url in enumerate(manifest["feeds"]))
    save_feed_list(FeedList(feeds=feeds, allowed_hosts=("127.0.0.1",)), path)
    return path


def warm_up_prefect() -> None:
    """Run a trivial flow so server start-up and first-run costs stay out of the timing."""
    from prefect import flow, task

    @task
    def noop(x: int) -> int:
        return x

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return sum(f.result() for f in noop.map([1, 2, 3]))

    warm_up()


def warm_up_pipeline(corpus: Path, truths: list[Truth], work: Path) -> None:
    """First calls import lazily loaded modules and load wordfreq's tables: pay that once,
    before either timed run, by extracting, loading and deduping two pages in a scratch
    warehouse."""
    inputs = []
    for t in truths[:2]:
        html = gzip.decompress((corpus / "dev" / "html" / f"{t.file_id}.html.gz").read_bytes())
        with contextlib.suppress(ExtractionError):
            inputs.append(loader.ArticleInput(t.file_id, extract_html(html, url=t.url)))
    with connection(work / "warm-up.duckdb") as con:
        run_id = loader.start_run(con, "bench_warm_up", "feed_benchmark")
        source_id = feed_store.web_source_id(con)
        loader.load_articles(con, source_id, run_id, inputs)
        dedupe_articles(con, loader.pending_dedupe(con), Settings())


# Modules whose bounded caches are keyed by page content (words, dates, text lines).
_PER_INPUT_CACHE_MODULES = ("trafilatura", "htmldate", "courlan", "justext", "warehouse")


def clear_per_input_caches() -> None:
    """Both timed runs process the same pages: without this, the second one would find
    the first one's words, dates and text lines in the libraries' memo caches. Unbounded
    caches (configuration, loaded tables) stay warm."""
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and obj.cache_info().maxsize:
            module = (getattr(obj, "__module__", "") or "").split(".")[0]
            if module in _PER_INPUT_CACHE_MODULES:
                obj.cache_clear()
    import wordfreq

    getattr(wordfreq, "_wf_cache", {}).clear()


def run_flow(feeds_path: Path, db_path: Path, exclude: set[int]) -> FlowRun:
    from flows.ingest_feeds import ingest_feeds

    with measuring(exclude) as measure:
        state = ingest_feeds(feeds=str(feeds_path), db=str(db_path), return_state=True)
    run = FlowRun(measure, state.result())
    try:
        run.stages = task_stages(state.state_details.flow_run_id)
    except Exception as error:  # stage times are a bonus, never a reason to fail
        print(f"(no per-stage times from the Prefect API: {error!r})")
    return run


def task_stages(flow_run_id: object) -> dict[str, tuple[int, float, float]]:
    """Per task name: (runs, summed run time, wall span first start -> last end)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flow_filter = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    runs: list = []
    with get_client(sync_client=True) as client:
        for _ in range(50):  # task states reach the API through events, a little later
            runs = []
            while page := client.read_task_runs(
                flow_run_filter=flow_filter, limit=200, offset=len(runs)
            ):
                runs += page
            if runs and all(r.end_time is not None for r in runs):
                break
            time.sleep(0.2)
    grouped: dict[str, list] = defaultdict(list)
    for r in runs:
        grouped[r.name.rsplit("-", 1)[0]].append(r)
    stages = {}
    for name, group in grouped.items():
        ended = [r for r in group if r.start_time and r.end_time]
        if not ended:
            continue
        span = max(r.end_time for r in ended) - min(r.start_time for r in ended)
        total = sum(r.total_run_time.total_seconds() for r in ended)
        stages[name] = (len(group), total, span.total_seconds())
    return stages


# --- the plain loop ----------------------------------------------------------------------


@dataclass
class LoopRun:
    measure: Measure = field(default_factory=Measure)
    stages: dict[str, float] = field(default_factory=lambda: Counter())
    articles: int = 0
    fallbacks: int = 0


def _canonical(url: str | None) -> str | None:
    try:
        return canonical_url(url) if url else None
    except ValueError:
        return None


def run_loop(feed_urls: list[str], db_path: Path, exclude: set[int]) -> LoopRun:
    """The same work as the flow, one page after the other in one thread (deduplicating
    every ``DEDUPE_EVERY`` loaded articles and at the end, as the flow does)."""
    from flows.dedupe_step import DEDUPE_EVERY
    from flows.ingest_feeds import fetch_policy

    settings = FetchSettings.from_env()
    feed_list = FeedList(
        feeds=tuple(FeedSource(name=f"wcxb {n}", url=u) for n, u in enumerate(feed_urls)),
        allowed_hosts=("127.0.0.1",),
    )
    policy = fetch_policy(feed_list, settings)
    run = LoopRun()
    clock = time.perf_counter
    with (
        measuring(exclude) as run.measure,
        connection(db_path) as con,
        httpx.Client() as client,
    ):
        run_id = loader.start_run(con, "bench_plain_loop", "feed_benchmark")
        source_id = feed_store.web_source_id(con)
        t = clock()
        items = []
        for url in feed_urls:
            result = fetch(url, policy=policy, client=client)
            items += parse_feed(result.body, base_url=result.final_url).items
        run.stages["feeds"] += clock() - t
        since_dedupe = 0
        for item in items:
            t0 = clock()
            hints = FeedHints(
                title=item.title,
                author=item.author,
                published_at=item.published_at,
                language=item.language,
            )
            try:
                result = fetch(item.url, policy=policy, client=client)
                t1 = clock()
                article = extract_html(result.body, url=result.final_url, hints=hints)
                article = replace(article, url=item.url)
            except (FetchError, ExtractionError):
                t1 = clock()
                article = article_from_feed_item(item)
                run.fallbacks += 1
            t2 = clock()
            canonical = _canonical(item.url)
            ref = feed_store.article_ref_for(item, canonical)
            loaded = loader.load_articles(
                con, source_id, run_id, [loader.ArticleInput(ref, article, canonical)]
            )
            t3 = clock()
            run.stages["fetch"] += t1 - t0
            run.stages["extract"] += t2 - t1
            run.stages["insert"] += t3 - t2
            run.articles += 1
            since_dedupe += len(loaded.changed)
            if since_dedupe >= DEDUPE_EVERY:
                dedupe_articles(con, loader.pending_dedupe(con), Settings())
                run.stages["dedupe"] += clock() - t3
                since_dedupe = 0
        t = clock()
        dedupe_articles(con, loader.pending_dedupe(con), Settings())
        run.stages["dedupe"] += clock() - t
    return run


# --- report ------------------------------------------------------------------------------


def print_quality(
    truths: list[Truth], systems: dict[str, dict[str, Outcome]], manifest: dict
) -> None:
    n_body = sum(bool(t.body) for t in truths)
    n_title = sum(bool(t.title) for t in truths)
    n_date = sum(bool(as_day(t.published)) for t in truths)
    print(
        f"\nQuality on {len(truths)} pages (body scored on {n_body}, title on {n_title}, ", end=""
    )
    print(f"date on {n_date}); feed items carry the ground-truth headline and day")
    print(f"{'system':<28}{'P':>8}{'R':>8}{'F1':>8}{'title':>8}{'date':>8}{'missing':>9}")
    summaries = {}
    for name, outcomes in systems.items():
        s = summaries[name] = summarize(truths, outcomes)
        print(
            f"{name:<28}{s['precision']:>8.4f}{s['recall']:>8.4f}{s['f1']:>8.4f}"
            f"{s['title']:>8.4f}{s['date']:>8.4f}{s['missing']:>9d}"
        )
    pipeline = systems.get("pipeline (ingest_feeds)")
    if pipeline:
        methods = Counter(o.method for o in pipeline.values())
        print("pipeline extraction methods:", ", ".join(f"{k}={v}" for k, v in methods.items()))
    described = Counter(p["description_from"] for p in manifest["pages"])
    print("feed descriptions from:", ", ".join(f"{k}={v}" for k, v in described.items()))
    base = summaries.get("baseline (trafilatura)")
    pipe = summaries.get("pipeline (ingest_feeds)")
    if base and pipe:
        worse = [k for k in ("precision", "recall", "f1", "title", "date") if pipe[k] < base[k]]
        print(
            "pipeline vs baseline:",
            "at least as good on every figure" if not worse else f"WORSE on {', '.join(worse)}",
        )


def print_throughput(pages: int, flows: list[FlowRun], loops: list[LoopRun]) -> None:
    print(f"\nThroughput on {pages} pages (PRESSWATCH_HOST_DELAY=0; loop in one thread)")
    print("  run            wall s  articles/s  CPU s (this process + Prefect server)  load 1m")
    for name, runs in (("flow", flows), ("loop", loops)):
        for n, run in enumerate(runs, 1):
            m = run.measure
            print(
                f"  {name} #{n:<8}{m.wall:>9.1f}{pages / m.wall:>12.2f}"
                f"{m.cpu + m.server_cpu:>9.1f} ({m.cpu:.1f} + {m.server_cpu:.1f})"
                f"{'':>18}{m.load_before.split('/')[0]} -> {m.load_after.split('/')[0]}"
            )
    flow = min(flows, key=lambda r: r.measure.wall)
    loop = min(loops, key=lambda r: r.measure.wall)
    ratio = flow.measure.wall / loop.measure.wall
    verdict = "DEFECT (> 25%)" if ratio - 1 > OVERHEAD_LIMIT else "within 25%"
    print(
        f"  best of {len(flows)}: flow {flow.measure.wall:.1f} s ({pages / flow.measure.wall:.2f}"
        f" articles/s), loop {loop.measure.wall:.1f} s ({pages / loop.measure.wall:.2f} "
        "articles/s)"
    )
    print(f"  flow/loop wall ratio {ratio:.3f}: overhead {(ratio - 1) * 100:+.1f}% -> {verdict}")
    flow_cpu = min(r.measure.cpu + r.measure.server_cpu for r in flows)
    loop_cpu = min(r.measure.cpu + r.measure.server_cpu for r in loops)
    print(
        f"  flow/loop CPU ratio {flow_cpu / loop_cpu:.3f} ({flow_cpu:.1f} s / {loop_cpu:.1f} s; "
        "less sensitive to other jobs on the machine)"
    )
    s = flow.summary
    print(
        f"  flow run: added {s.articles_added}, errors {s.errors}, copies {s.duplicates_linked},"
        f" stories {s.stories_touched}; loop: loaded {loop.articles}, feed-text fallbacks "
        f"{loop.fallbacks}"
    )
    print("  loop stages (s):", ", ".join(f"{k} {v:.1f}" for k, v in loop.stages.items()))
    if flow.stages:
        print("  flow tasks: name, runs, summed run time s, wall span s")
        for name, (count, total, span) in sorted(flow.stages.items(), key=lambda x: -x[1][2]):
            print(f"    {name:<14}{count:>5}{total:>10.1f}{span:>10.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--feeds", type=int, default=8, help="generated feeds (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the baseline")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--order", default="flow,loop", help="order of the timed runs (default flow,loop)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="timed rounds, alternating the order (best wall)"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip plain trafilatura (throughput only)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the DuckDB files here")
    args = parser.parse_args(argv)
    order = [x.strip() for x in args.order.split(",")]
    _quiet_libraries()

    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}; load average at start {loadavg()}"
    )
    work = Path(tempfile.mkdtemp(prefix="presswatch-bench-"))
    server, manifest = start_site(work, args.corpus, args.limit, args.feeds)
    try:
        truths = load_truths(args.corpus, manifest)
        print(f"site: {manifest['base_url']}, {len(truths)} pages, {len(manifest['feeds'])} feeds")

        baseline = None
        if not args.no_baseline:
            started = time.perf_counter()
            baseline = run_baseline(args.corpus, truths, args.workers)
            print(
                f"baseline extraction: {time.perf_counter() - started:.1f} s on {args.workers} "
                f"processes (untimed for throughput); load {loadavg()}"
            )

        from prefect.testing.utilities import prefect_test_harness

        feeds_path = write_feed_list(work, manifest)
        started = time.perf_counter()
        flows: list[FlowRun] = []
        loops: list[LoopRun] = []
        exclude = {server.pid}
        with prefect_test_harness(server_startup_timeout=180):
            warm_up_prefect()
            warm_up_pipeline(args.corpus, truths, work)
            print(f"Prefect temporary server + warm-up: {time.perf_counter() - started:.1f} s")
            for round_ in range(args.repeat):
                # Alternate the order so neither system always runs on the warmer machine.
                for which in order if round_ % 2 == 0 else order[::-1]:
                    clear_per_input_caches()
                    db = work / f"{which}-{round_}.duckdb"
                    if which == "flow":
                        flows.append(run_flow(feeds_path, db, exclude))
                        m = flows[-1].measure
                    else:
                        loops.append(run_loop(manifest["feeds"], db, exclude))
                        m = loops[-1].measure
                    print(
                        f"timed {which} #{round_ + 1}: {m.wall:.1f} s wall, {m.cpu:.1f} s CPU "
                        f"(+ {m.server_cpu:.1f} s Prefect server); load before {m.load_before},"
                        f" after {m.load_after}"
                    )
        print_quality(
            truths,
            {
                **({"baseline (trafilatura)": baseline} if baseline is not None else {}),
                "pipeline (ingest_feeds)": stored_outcomes(work / "flow-0.duckdb", truths),
                "plain loop (same code)": stored_outcomes(work / "loop-0.duckdb", truths),
            },
            manifest,
        )
        print_throughput(len(truths), flows, loops)
        print(f"load average at end {loadavg()}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for db in work.glob("*-*.duckdb"):
                shutil.copy2(db, args.keep / db.name)
    finally:
        stop_site(server)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
