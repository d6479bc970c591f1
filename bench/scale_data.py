"""A synthetic warehouse of N articles for the report/search/watchlist benchmark.

Bulk SQL, no dedup path: it fills exactly the tables the reports read (``outlets``,
``sources``, ``articles``, ``duplicate_links``, ``stories``, ``story_members``) with
deterministic pseudo-random data shaped like press coverage:

* words are drawn from wordfreq's English list with their real frequencies (Zipf), so
  full-text search sees a realistic term distribution;
* stories have heavy-tailed sizes (a few with thousands of articles, most with a handful),
  each named by two invented keywords that its articles mention;
* a story's first article is its original; ``copy_share`` of the others are copies of it
  (same body plus a sentence), linked in ``duplicate_links``;
* outlets have heavy-tailed shares; dates spread over ``days`` days, a story over ~10;
* the coverage summaries (``warehouse.summaries``) are then built in full, as ingestion
  would have maintained them.

    python bench/scale_data.py --articles 1000000 --db /tmp/scale.duckdb
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
from wordfreq import top_n_list, word_frequency

from warehouse import summaries
from warehouse.db import open_connection

# DuckDB's scan of a numpy object array tries ``import pandas`` for every value when pandas
# is not installed (a failed import is not cached): ~100 s per million strings. Marking it
# absent makes each attempt a dictionary lookup. Benchmark-only; presswatch has no pandas.
sys.modules.setdefault("pandas", None)  # type: ignore[arg-type]

SYLLABLES = [
    "ka", "lo", "mi", "ran", "tek", "vos", "zu", "bel", "dri", "fen", "gor", "hal", "jun",
    "kel", "mar", "nix", "pol", "quin", "rus", "sil", "tor", "ul", "var", "wen", "yor", "zel",
]  # fmt: skip
TOWNS = [
    "Northfield", "Easton", "Westbury", "Southam", "Ashford", "Bramley", "Carlton", "Denby",
    "Elmstead", "Fairley", "Glenmoor", "Harwick", "Ingleby", "Kingsley", "Langford", "Milton",
]  # fmt: skip
PAPERS = ["Herald", "Gazette", "Post", "Chronicle", "Courier", "Echo", "Times", "Observer"]


def _sentences(count: int, rng: np.random.Generator) -> list[str]:
    words = [w for w in top_n_list("en", 20000) if (w.isalpha() and len(w) > 1) or w == "a"]
    freqs = np.array([word_frequency(w, "en") for w in words])
    picks = rng.choice(len(words), size=count * 16, p=freqs / freqs.sum())
    lengths = rng.integers(9, 22, size=count)
    out, pos = [], 0
    for n in lengths:
        chunk = [words[i] for i in picks[pos : pos + n]]
        pos += n
        if pos + 22 > len(picks):
            pos = 0
        out.append(" ".join(chunk).capitalize() + ".")
    return out


def _keyword(rnd: random.Random) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3)))


def generate(
    path: Path,
    articles: int = 1_000_000,
    *,
    outlets: int = 400,
    story_size: int = 25,
    sentences: int = 13,
    days: int = 365,
    copy_share: float = 0.3,
    seed: int = 7,
) -> dict[str, float]:
    """Create (replace) the warehouse at ``path``; returns timings in seconds."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    pool = _sentences(100_000, rng)
    stories = max(1, articles // story_size)
    keywords = sorted({_keyword(rnd) for _ in range(stories * 3)})
    rnd.shuffle(keywords)
    con = open_connection(path)
    try:
        _fill(con, pool, keywords, articles, stories, outlets, sentences, days, copy_share)
        timings["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        summaries.refresh(con, full=True)  # what ingestion maintains as it goes
        con.execute("CHECKPOINT")
        timings["summaries_s"] = time.perf_counter() - started
    finally:
        con.close()
    return timings


def _fill(
    con: duckdb.DuckDBPyConnection,
    pool: list[str],
    keywords: list[str],
    articles: int,
    stories: int,
    outlets: int,
    sentences: int,
    days: int,
    copy_share: float,
) -> None:
    rng = np.random.default_rng(len(pool) + articles)
    pool_arr = np.array(pool, dtype=object)
    names = [
        f"{TOWNS[i % len(TOWNS)]} {PAPERS[(i // len(TOWNS)) % len(PAPERS)]}"
        + (f" {i}" if i >= len(TOWNS) * len(PAPERS) else "")
        for i in range(outlets)
    ]
    outlet_ids = np.array([n.lower().replace(" ", "-") for n in names], dtype=object)
    domains = np.array([n.lower().replace(" ", "") + ".example" for n in names], dtype=object)

    # Stories: two keywords each, a start day.
    kw1 = np.array([keywords[(2 * i) % len(keywords)] for i in range(stories)], dtype=object)
    kw2 = np.array([keywords[(2 * i + 1) % len(keywords)] for i in range(stories)], dtype=object)
    story_ids = np.array([f"s{i:015d}" for i in range(stories)], dtype=object)
    labels = np.array([f"{a.capitalize()} {b} inquiry" for a, b in zip(kw1, kw2, strict=True)],
                      dtype=object)  # fmt: skip
    start_day = rng.integers(0, days, size=stories)

    # Articles: the story by a cubic skew (a few very big stories), the outlet by a squared one.
    story = np.minimum(stories - 1, (rng.random(articles) ** 3 * stories).astype(np.int64))
    outlet = (rng.random(articles) ** 4 * outlets).astype(np.int64)
    _, first_index = np.unique(story, return_index=True)
    first_of_story = np.full(stories, -1, dtype=np.int64)
    first_of_story[np.unique(story)] = first_index
    first_i = first_of_story[story]
    index = np.arange(articles)
    is_first = index == first_i
    is_copy = ~is_first & (rng.random(articles) < copy_share)
    offset_days = np.where(is_first, 0, (rng.random(articles) ** 2 * 10).astype(np.int64))
    offset_secs = np.where(is_first, 0, rng.integers(1, 86_000, size=articles))
    published = (
        np.datetime64("2025-01-01T00:00:00", "s")
        + (start_day[story] + offset_days).astype("timedelta64[D]")
        + offset_secs.astype("timedelta64[s]")
    ).astype("datetime64[us]")

    picks = pool_arr[rng.integers(0, len(pool), size=(articles, sentences))]
    extra = pool_arr[rng.integers(0, len(pool), size=articles)]
    bodies = np.empty(articles, dtype=object)
    titles = np.empty(articles, dtype=object)
    for i in range(articles):
        s = story[i]
        if is_copy[i]:
            bodies[i] = bodies[first_i[i]] + " " + extra[i]
        else:
            row = picks[i]
            bodies[i] = f"{kw1[s].capitalize()} {kw2[s]} {row[0][0].lower()}{row[0][1:]} " + (
                " ".join(row[1:])
            )
        titles[i] = f"{kw1[s].capitalize()} {kw2[s]}: " + " ".join(extra[i].split()[:7])
    article_ids = np.array([f"a{i:015d}" for i in range(articles)], dtype=object)

    con.execute("BEGIN TRANSACTION")
    con.register("o_src", {"outlet_id": outlet_ids, "name": np.array(names, dtype=object),
                           "domain": domains})  # fmt: skip
    con.execute(
        "INSERT INTO outlets (outlet_id, name, domain) SELECT outlet_id, name, domain FROM o_src"
    )
    con.execute(
        "INSERT INTO sources VALUES ('bench', 'bench', 'bench://scale', 'bench', NULL, now())"
    )
    con.register("s_src", {"story_id": story_ids, "label": labels})
    con.execute("INSERT INTO stories SELECT story_id, label, now(), now() FROM s_src")
    con.register(
        "a_src",
        {
            "article_id": article_ids,
            "i": index,
            "outlet_id": outlet_ids[outlet],
            "domain": domains[outlet],
            "title": titles,
            "body": bodies,
            "published": published,
            "story_id": story_ids[story],
            "canonical_id": article_ids[first_i],
            "is_copy": is_copy,
        },
    )
    con.execute(
        """INSERT INTO articles (article_id, source_id, source_ref, url, canonical_url,
               outlet_id, title, author, published_at, language, dateline, body_text,
               content_hash, extraction_method, first_seen_at, updated_at, run_id,
               dedupe_pending)
        SELECT article_id, 'bench', 'item-' || i, 'https://' || domain || '/news/' || i, NULL,
               outlet_id, title, NULL, published::TIMESTAMPTZ, 'en', NULL, body,
               md5(article_id), 'bench', published::TIMESTAMPTZ + INTERVAL 5 MINUTE,
               published::TIMESTAMPTZ + INTERVAL 5 MINUTE, 'bench', false
        FROM a_src"""
    )
    con.execute(
        "INSERT INTO duplicate_links SELECT article_id, canonical_id, 0.9, 'bench', now() "
        "FROM a_src WHERE is_copy"
    )
    con.execute("INSERT INTO story_members SELECT article_id, story_id, 1.0, now() FROM a_src")
    con.execute("COMMIT")
    for name in ("o_src", "s_src", "a_src"):
        con.unregister(name)
    con.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/presswatch-scale.duckdb"))
    args = parser.parse_args()
    print(generate(args.db, args.articles))


if __name__ == "__main__":
    main()
