"""Scale benchmark: incremental dedup + story assignment on warehouses of 10k-1M articles.

For each size in ``--sizes`` a fresh warehouse (DuckDB file under ``--work``) is preloaded
with generated articles, then a separate process measures incremental batches.

* **Generated text**: words drawn from wordfreq's 30,000 most common English words with
  their real frequencies (Zipf); sentences of 10-28 words, articles of 14-28 sentences
  (~300-550 words). Every article belongs to a story (heavy-tailed sizes, most 1-10
  articles) whose 4 invented names appear in its sentences; 10% of articles are copies of
  an earlier article of their story (a few words edited, the last paragraph dropped).
  2,000 articles are published per day, so 10k articles span 5 days, 1M span 500 days.
* **Preload** (fast bulk path): articles are inserted with bulk SQL, then indexed with the
  very function the incremental path uses (``fingerprints.analyse_batch``: sentence anchors into
  ``shingle_index``, ``frequent_anchors`` from the anchor counts, heaviest terms into
  ``article_terms``; ``dedup_index``), and given their generated stories and copy links;
  no pairwise comparison is made.
* **Measurement** (``--measure``, run in a fresh process per size, so its peak RSS is the
  incremental path's alone): the writer's ``dedupe_batch``, i.e. the copy links and story
  assignment of ``dedupe_articles`` in one transaction (the watchlist matching that
  function also runs belongs to another feature and is not timed). Each batch's
  fingerprints (copy anchors, story term candidates) are computed first with
  ``analyse_ahead``, as the extraction workers compute them in the flows, and timed apart
  ("fingerprints ms (workers)"); the writer only looks them up. DuckDB runs single-threaded (``SET
  threads=1``) with ``memory_limit`` 1 GB (its buffer pool would otherwise keep up to 80%
  of RAM in cached pages), numpy's BLAS is not used: one core does the work. Articles per
  second per core = batch size / CPU time of the process during ``dedupe_batch`` (CPU
  time, so that other work on a shared machine does not count; wall time is printed too).
  ``--batches`` batches of ``--batch`` new articles (dated from the day after the preload
  on, 2,000 a day like the preload; 10%
  copies of loaded articles, 40% continuing loaded stories, the rest new stories) are
  loaded with ``warehouse.loader`` and checkpointed (not timed: the loader's cost) and
  deduplicated (timed, commit included), then checkpointed (timed too: the checkpoint
  writes out the dedupe's changes, and its cost counts against the dedupe, as if the
  warehouse were checkpointed after every batch, which DuckDB's default WAL limit does
  less often). Reported: per-article cost, throughput, how the cost grows with the
  warehouse, links found vs copies planted, and peak RSS (``getrusage``). The first batch
  of a process looks anchors up with a SQL join over the whole anchor index; from the
  second batch on the process keeps the index in memory (``warehouse/anchor_index.py``),
  and that batch pays for loading it: both are printed apart. *Steady* throughput is over
  the batches after those two (dedupe + its checkpoint; the dedupe alone is printed too);
  *all batches* spreads every batch over all articles.

    .venv/bin/python bench/dedup_scale.py [--sizes 10000,100000,1000000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wordfreq import top_n_list, word_frequency

from config.settings import Settings
from extractors.models import ExtractedArticle
from textanalysis import term_weights
from textanalysis.fingerprints import analyse_ahead, analyse_batch
from warehouse import loader
from warehouse.db import open_connection, transaction
from warehouse.dedupe import dedupe_batch
from warehouse.loader import content_hash, stable_id

PER_DAY = 2000
SPACING_S = 40  # seconds between two generated articles of a day (2,000 span 22 hours)
MEMORY_LIMIT = "1GB"  # DuckDB's buffer pool would otherwise cache up to 80% of RAM
START = date(2023, 1, 1)
COPY_SHARE = 0.10
SYLLABLES = ["ka", "lo", "mi", "ran", "tek", "vos", "zu", "bel", "dri", "fen"]


class TextGenerator:
    """Zipf-distributed English words, stories named by invented words."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        words = [w for w in top_n_list("en", 30000) if w.isalpha()]
        freqs = np.array([word_frequency(w, "en") for w in words])
        self.words = np.array(words, dtype=object)
        self.cdf = np.cumsum(freqs / freqs.sum())

    def names(self) -> list[str]:
        return ["".join(self.rng.choice(SYLLABLES, size=3)).capitalize() for _ in range(4)]

    def article(self, names: list[str]) -> tuple[str, str]:
        n_sent = int(self.rng.integers(14, 29))
        lengths = self.rng.integers(10, 29, size=n_sent)
        picks = np.searchsorted(self.cdf, self.rng.random(int(lengths.sum())))
        picks = np.minimum(picks, len(self.words) - 1)
        drawn = self.words[picks]
        sentences, pos = [], 0
        for length in lengths.tolist():
            chunk = list(drawn[pos : pos + length])
            pos += length
            if self.rng.random() < 0.6:
                chunk[int(self.rng.integers(0, length))] = names[int(self.rng.integers(0, 4))]
            sentences.append(" ".join(chunk).capitalize() + ".")
        paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, n_sent, 3)]
        title = f"{names[0]} {names[1]}: " + " ".join(drawn[:6])
        return title, "\n\n".join(paragraphs)

    def copy_of(self, body: str) -> str:
        paragraphs = body.split("\n\n")
        if len(paragraphs) > 3:
            paragraphs = paragraphs[:-1]
        words = " ".join(paragraphs).split(" ")
        for _ in range(max(1, len(words) // 60)):
            words[int(self.rng.integers(0, len(words)))] = "edited"
        return " ".join(words)


@dataclass
class Generated:
    ref: str
    title: str
    body: str
    day: date
    published: datetime  # distinct within a day, in generation order: originals come first
    story: int
    copy_of: str | None  # ref of the original


def generate(count: int, seed: int, first_index: int = 0, start: date = START):
    """Yield ``count`` generated articles in publication order."""
    gen = TextGenerator(seed)
    rng = random.Random(seed)
    stories: list[tuple[int, list[str], list[tuple[str, str]]]] = []
    active: list[int] = []
    for k in range(count):
        index = first_index + k
        day = start + timedelta(days=index // PER_DAY)
        if not active or rng.random() < 0.35:
            stories.append((len(stories), gen.names(), []))
            active.append(len(stories) - 1)
            if len(active) > 400:
                active.pop(0)
        # Recent stories are the likeliest to grow (heavy-tailed story sizes).
        story_index = active[len(active) - min(int(rng.paretovariate(1.2)), len(active))]
        story_id, names, members = stories[story_index]
        ref = f"gen-{seed}-{index}"
        published = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            seconds=SPACING_S * (index % PER_DAY)
        )
        if members and rng.random() < COPY_SHARE:
            original_ref, original_body = rng.choice(members)
            title = f"{names[2]} {names[3]} report"
            yield Generated(
                ref, title, gen.copy_of(original_body), day, published, story_id, original_ref
            )
            continue
        title, body = gen.article(names)
        members.append((ref, body))
        if len(members) > 20:
            members.pop(0)
        yield Generated(ref, title, body, day, published, story_id, None)


# --- preload ----------------------------------------------------------------------------


def _analyse_chunk(texts: list[tuple[str, str]]) -> list[tuple]:
    settings = Settings()
    result = []
    for title, body in texts:
        [(fp, candidates)] = analyse_batch([(title, body, "en")], settings.dedup, settings.stories)
        result.append((np.unique(fp.anchors), fp.sentence_count, candidates))
    return result


class _RunningCounts:
    """The preload's document counts (one language), kept in memory and written at the end:
    term ids sorted, with the articles carrying each."""

    def __init__(self) -> None:
        self.terms = np.empty(0, dtype=np.int64)
        self.documents = np.empty(0, dtype=np.int64)
        self.articles = 0

    def weigh(self, candidates: list, settings: Settings) -> list:
        """Weigh a chunk as the dedupe step would (``term_weights``), then count it."""
        languages = ["en"] * len(candidates)
        words = term_weights.vocabulary(candidates, languages)
        at = np.searchsorted(self.terms, words.key_term)
        known = at < len(self.terms)
        known[known] = self.terms[at[known]] == words.key_term[known]
        before = np.zeros(len(words.key_term), dtype=np.int64)
        before[known] = self.documents[at[known]]
        weighed = term_weights.weigh(
            candidates,
            [True] * len(candidates),
            words,
            term_weights.CorpusCounts(before, {"en": self.articles}),
            settings.stories.top_terms,
            settings.stories.prior_documents,
        )
        after = weighed.counts_after.key_documents
        self.documents[at[known]] = after[known]
        terms = np.concatenate([self.terms, words.key_term[~known]])
        documents = np.concatenate([self.documents, after[~known]])
        order = np.argsort(terms, kind="stable")
        self.terms, self.documents = terms[order], documents[order]
        self.articles = weighed.counts_after.language_documents["en"]
        return [t.as_dict() for t in weighed.terms]

    def store(self, con) -> None:
        con.register("bulk_counts", {"term": self.terms, "documents": self.documents})
        con.execute(
            "INSERT INTO story_term_documents SELECT 'en', term, documents FROM bulk_counts"
        )
        con.unregister("bulk_counts")
        con.execute("INSERT INTO story_language_documents VALUES ('en', ?)", [self.articles])


def preload(db_path: Path, size: int, seed: int, chunk: int = 5000) -> dict:
    """Bulk-load ``size`` generated articles and build the indexes the incremental path uses."""
    settings = Settings()
    con = open_connection(db_path)
    source_id = loader.ensure_source(con, "bench", "scale")
    run_id = loader.start_run(con, "bench", "scale")
    started = time.perf_counter()
    seq = 0
    ids_by_ref: dict[str, str] = {}
    counts = _RunningCounts()

    def flush(items: list[Generated], analysed: list[tuple]) -> None:
        nonlocal seq
        now = datetime.now(UTC)
        ids = [stable_id(source_id, g.ref) for g in items]
        ts = [g.published for g in items]
        for g, aid in zip(items, ids, strict=True):
            ids_by_ref[g.ref] = aid
        con.execute(
            """INSERT INTO articles (article_id, source_id, source_ref, title, published_at,
               language, body_text, content_hash, extraction_method, first_seen_at,
               updated_at, run_id, dedupe_pending)
               SELECT unnest($1), $2, unnest($3), unnest($4), unnest($5), 'en', unnest($6),
                      unnest($7), 'bench', $8, $8, $9, false""",
            [
                ids,
                source_id,
                [g.ref for g in items],
                [g.title for g in items],
                ts,
                [g.body for g in items],
                [content_hash(g.body) for g in items],
                now,
                run_id,
            ],
        )
        anchor_seq, anchor_val, sentences = [], [], []
        t_term, t_seq, t_weight, t_day, t_heavy = [], [], [], [], []
        vectors = counts.weigh([a[2] for a in analysed], settings)
        for g, (anchors, sentence_count, _), vector in zip(items, analysed, vectors, strict=True):
            seq += 1
            anchor_val.append(anchors)
            anchor_seq.append(np.full(len(anchors), seq, dtype=np.int32))
            sentences.append(sentence_count)
            t_term.extend(vector)
            t_heavy.extend(r < settings.stories.retrieval_terms for r in range(len(vector)))
            t_weight.extend(vector.values())
            t_seq.extend([seq] * len(vector))
            t_day.extend([g.day] * len(vector))
        first = seq - len(items) + 1
        con.execute(
            """INSERT INTO dedup_index SELECT unnest($1), unnest($2), unnest($3), unnest($3),
               unnest($4), unnest($5)""",
            [ids, list(range(first, seq + 1)), ts, [g.day for g in items], sentences],
        )
        con.register(
            "bulk_anchors",
            {"anchor": np.concatenate(anchor_val), "seq": np.concatenate(anchor_seq)},
        )
        con.execute("INSERT INTO shingle_index SELECT anchor, seq FROM bulk_anchors")
        con.unregister("bulk_anchors")
        con.register(
            "bulk_terms",
            {
                "term": np.array(t_term, dtype=np.int64),
                "seq": np.array(t_seq, dtype=np.int32),
                "weight": np.array(t_weight, dtype=np.float32),
                "day": np.array(t_day, dtype="datetime64[D]").astype("datetime64[us]"),
                "heavy": np.array(t_heavy, dtype=bool),
            },
        )
        con.execute(
            "INSERT INTO article_terms "
            "SELECT term, seq, weight, CAST(day AS DATE), heavy FROM bulk_terms"
        )
        con.unregister("bulk_terms")
        # Stories and copy links as generated (the incremental batch meets a real state).
        story_ids = ["s" + stable_id("scale-story", str(g.story)) for g in items]
        con.execute(
            # stories has no key since migration 008: skip ids already there explicitly.
            # The label is the story's first article, an original, as the dedupe keeps it.
            """INSERT INTO stories (story_id, label, created_at, updated_at, label_article_id,
                                   label_at, label_language)
               SELECT id, arg_min(title, ts), $3, $3, arg_min(aid, ts), min(ts), 'en'
               FROM (SELECT unnest($1) AS id, unnest($2) AS title, unnest($4) AS aid,
                            unnest($5) AS ts)
               WHERE id NOT IN (SELECT story_id FROM stories) GROUP BY id""",
            [story_ids, [g.title for g in items], now, ids, ts],
        )
        con.execute(
            "INSERT INTO story_members SELECT unnest($1), unnest($2), 1.0, $3",
            [ids, story_ids, now],
        )
        copies = [
            (aid, ids_by_ref[g.copy_of]) for g, aid in zip(items, ids, strict=True) if g.copy_of
        ]
        if copies:
            con.execute(
                "INSERT INTO duplicate_links SELECT unnest($1), unnest($2), 1.0, 'bench', $3",
                [[c[0] for c in copies], [c[1] for c in copies], now],
            )

    def chunks():
        pending: list[Generated] = []
        for g in generate(size, seed):
            pending.append(g)
            if len(pending) >= chunk:
                yield pending
                pending = []
        if pending:
            yield pending

    # Analysis (the same function the incremental path uses) runs in two worker processes;
    # the generator stays at most four chunks ahead of the writer.
    waiting: deque[list[Generated]] = deque()
    ahead = threading.BoundedSemaphore(4)

    def texts():
        for items in chunks():
            ahead.acquire()
            waiting.append(items)
            yield [(g.title, g.body) for g in items]

    with multiprocessing.get_context("fork").Pool(2) as pool:
        for analysed in pool.imap(_analyse_chunk, texts()):
            flush(waiting.popleft(), analysed)
            ahead.release()
    frequent = con.execute(
        "SELECT anchor, count(*) FROM shingle_index GROUP BY anchor HAVING count(*) > ?",
        [settings.dedup.anchor_max_df],
    ).fetchall()
    if frequent:
        con.execute(
            "INSERT INTO frequent_anchors SELECT unnest($1), unnest($2)",
            [[a for a, _ in frequent], [n for _, n in frequent]],
        )
        con.execute(
            "DELETE FROM shingle_index WHERE anchor IN (SELECT unnest($1))",
            [[a for a, _ in frequent]],
        )
    counts.store(con)
    con.execute("CHECKPOINT")
    rows = con.execute("SELECT count(*) FROM shingle_index").fetchone()[0]
    terms = con.execute("SELECT count(*) FROM article_terms").fetchone()[0]
    con.close()
    return {
        "preload_s": round(time.perf_counter() - started, 1),
        "anchor_rows": rows,
        "term_rows": terms,
        "frequent_anchors": len(frequent),
        "db_mb": round(db_path.stat().st_size / 1e6),
    }


# --- measurement ------------------------------------------------------------------------


def _peak_rss_mb() -> int:
    """This process's peak resident set: ``VmHWM`` where Linux has it, since ``getrusage``
    counts the peak of the parent it was forked from (the preload's) across ``exec``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(db_path: Path, size: int, seed: int, batch: int, batches: int) -> dict:
    """In a fresh process: time ``dedupe_articles`` on new batches (single-threaded)."""
    con = open_connection(db_path)
    con.execute("SET threads = 1")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    settings = Settings()
    source_id = loader.ensure_source(con, "bench", "scale-new")
    last_day = START + timedelta(days=(size - 1) // PER_DAY)
    refs = con.execute(
        "SELECT source_ref, body_text FROM articles USING SAMPLE 2000 ROWS"
    ).fetchall()
    gen = TextGenerator(seed + 99)
    rng = random.Random(seed + 99)
    recent = con.execute(
        "SELECT DISTINCT a.title FROM articles a WHERE a.published_at >= ? LIMIT 500",
        [datetime.combine(last_day - timedelta(days=3), datetime.min.time(), tzinfo=UTC)],
    ).fetchall()
    timings, checkpoints, walls, links_found, copies_planted = [], [], [], 0, 0
    analyses: list[float] = []
    reused = 0
    for b in range(batches):
        items = []
        for k in range(batch):
            # New articles keep the preload's pace of PER_DAY a day.
            day = last_day + timedelta(days=1 + (b * batch + k) // PER_DAY)
            roll = rng.random()
            if roll < COPY_SHARE:
                _ref, body = rng.choice(refs)
                text, title = gen.copy_of(body), "A copy"
                copies_planted += 1
            elif roll < 0.5 and recent:
                names = rng.choice(recent)[0].split(":")[0].split()[:2] + gen.names()[:2]
                title, text = gen.article(names)
            else:
                title, text = gen.article(gen.names())
            items.append(
                loader.ArticleInput(
                    f"new-{b}-{k}",
                    ExtractedArticle(
                        title=title, text=text, method="bench", published_at=day, language="en"
                    ),  # as the extraction tasks' language step would find
                )
            )
        run_id = loader.start_run(con, "bench", "scale-new")
        result = loader.load_articles(con, source_id, run_id, items)
        # The loader's own writes are checkpointed here (not timed), so that the checkpoint
        # after the dedupe below writes out the dedupe's changes only.
        con.execute("CHECKPOINT")
        # The extraction workers' part, timed apart: the fingerprints (copy anchors and story
        # term candidates) of each new article, which the writer then only looks up.
        cpu_started = time.process_time()
        ready = analyse_ahead(
            [(i.article.title, i.article.text, i.article.language) for i in items],
            settings.dedup,
            settings.stories,
        )
        analyses.append(time.process_time() - cpu_started)
        started, cpu_started = time.perf_counter(), time.process_time()
        with transaction(con):  # what dedupe_articles runs, without the watchlist matching
            outcome = dedupe_batch(con, result.changed, settings, ready)
        timings.append(time.process_time() - cpu_started)
        reused += outcome.analyses_reused
        walls.append(time.perf_counter() - started)
        cpu_started = time.process_time()
        con.execute("CHECKPOINT")
        checkpoints.append(time.process_time() - cpu_started)
        links_found += sum(1 for x in outcome.links if x.article_id in set(result.changed))
    con.close()
    with_checkpoint = [t + c for t, c in zip(timings, checkpoints, strict=True)]
    steady = with_checkpoint[2:] or with_checkpoint
    steady_s = sum(steady) / len(steady)
    steady_dedupe_s = sum(timings[2:] or timings) / len(steady)
    analysis_s = sum(analyses) / len(analyses)
    return {
        "size": size,
        "batch": batch,
        "per_article_ms": [round(1000 * t / batch, 3) for t in timings],
        "checkpoint_per_article_ms": [round(1000 * c / batch, 3) for c in checkpoints],
        "wall_per_article_ms": [round(1000 * t / batch, 3) for t in walls],
        "steady_dedupe_ms": round(1000 * steady_dedupe_s / batch, 3),
        "steady_ms": round(1000 * steady_s / batch, 3),
        "articles_per_s_per_core": round(batch / steady_s),
        "analysis_ms": round(1000 * analysis_s / batch, 3),
        "articles_per_s_per_core_with_analysis": round(batch / (steady_s + analysis_s)),
        "analyses_reused": reused,
        "all_batches_ms": round(1000 * sum(with_checkpoint) / (batch * batches), 3),
        "links_found": links_found,
        "copies_planted": copies_planted,
        "peak_rss_mb": _peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", default="/tmp/presswatch-scale")
    parser.add_argument("--keep", action="store_true", help="reuse preloaded warehouses")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        size = int(args.measure)
        db = Path(args.work) / f"scale-{size}-measured.duckdb"
        print(json.dumps(measure(db, size, args.seed, args.batch, args.batches)))
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        db = work / f"scale-{size}.duckdb"
        measured_copy = work / f"scale-{size}-measured.duckdb"
        if not (args.keep and db.exists()):
            for path in (db, Path(f"{db}.wal")):
                path.unlink(missing_ok=True)
            info = preload(db, size, args.seed)
            print(f"preloaded {size:,}: {info}", flush=True)
        # Measure on a copy so the preloaded warehouse can be reused (--keep).
        subprocess.run(["cp", str(db), str(measured_copy)], check=True)
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                str(size),
                "--work",
                str(work),
                "--batch",
                str(args.batch),
                "--batches",
                str(args.batches),
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        measured_copy.unlink(missing_ok=True)
        results.append(result)
        print(json.dumps(result), flush=True)
    print(
        "\nsize        steady ms/article (dedupe + checkpoint)   articles/s/core"
        "   dedupe alone ms   first batch (SQL join) ms   second (loads index) ms"
        "   all batches ms   peak RSS MB   links/copies"
        "   fingerprints ms (workers)   articles/s/core with them"
    )
    for r in results:
        print(
            f"{r['size']:>9,}   {r['steady_ms']:>37.3f}   {r['articles_per_s_per_core']:>15,}"
            f"   {r['steady_dedupe_ms']:>15.3f}   {r['per_article_ms'][0]:>25.3f}"
            f"   {r['per_article_ms'][1]:>23.3f}   {r['all_batches_ms']:>14.3f}"
            f"   {r['peak_rss_mb']:>11,}   {r['links_found']}/{r['copies_planted']}"
            f"   {r['analysis_ms']:>25.3f}   {r['articles_per_s_per_core_with_analysis']:>25,}"
        )
    if len(results) > 1:
        base = results[0]
        for r in results[1:]:
            growth = r["steady_ms"] / base["steady_ms"]
            print(
                f"steady per-article cost x{growth:.2f} for x{r['size'] / base['size']:.0f} "
                f"articles ({base['size']:,} -> {r['size']:,})"
            )


if __name__ == "__main__":
    main()
