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
* outlets have heavy-tailed shares; dates spread over ``days`` days, a story over ~10.

    python bench/scale_data.py --articles 1000000 --db /tmp/scale.duckdb
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import duckdb
import numpy as np
from wordfreq import top_n_list, word_frequency

from warehouse.db import open_connection

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
    words = [w for w in top_n_list("en", 20000) if w.isalpha() and len(w) > 1 or w == "a"]
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
    finally:
        con.close()
    timings["generate_s"] = time.perf_counter() - started
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
    con.execute("CREATE TEMP TABLE pool AS SELECT * FROM (SELECT unnest(?) AS s)", [pool])
    con.execute("CREATE TEMP TABLE pool_list AS SELECT list(s) AS l, count(*) AS n FROM pool")
    con.execute("CREATE TEMP TABLE kw AS SELECT unnest(?) AS k, generate_subscripts(?, 1) AS i",
                [keywords, keywords])  # fmt: skip
    names = [f"{TOWNS[i % len(TOWNS)]} {PAPERS[(i // len(TOWNS)) % len(PAPERS)]}" for i in range(outlets)]
    names = [n if i < len(TOWNS) * len(PAPERS) else f"{n} {i}" for i, n in enumerate(names)]
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO outlets SELECT lower(replace(n, ' ', '-')), n, lower(replace(n, ' ', '')) "
        "|| '.example' FROM (SELECT unnest(?) AS n)",
        [names],
    )
    con.execute(
        "INSERT INTO sources VALUES ('bench', 'bench', 'bench://scale', 'bench', NULL, now())"
    )
    # Stories: two keywords each, a start day, an importance drawn heavy-tailed.
    con.execute(
        f"""CREATE TEMP TABLE st AS
        SELECT i AS story_idx,
               substr(md5('story' || i), 1, 16) AS story_id,
               (SELECT k FROM kw WHERE kw.i = 1 + (2 * i) % {len(keywords)}) AS kw1,
               (SELECT k FROM kw WHERE kw.i = 1 + (2 * i + 1) % {len(keywords)}) AS kw2,
               (hash(i, 'day') % {days})::INTEGER AS start_day
        FROM range({stories}) t(i)"""
    )
    con.execute(
        """INSERT INTO stories SELECT story_id,
               upper(kw1[1]) || kw1[2:] || ' ' || kw2 || ' inquiry', now(), now() FROM st"""
    )
    # Articles: the story by a cubic skew (big stories exist), an outlet by a squared skew.
    con.execute(
        f"""CREATE TEMP TABLE art AS
        SELECT i,
               substr(md5('article' || i), 1, 16) AS article_id,
               least({stories - 1}, floor(pow((hash(i, 's') % 1000003) / 1000003.0, 3)
                     * {stories}))::BIGINT AS story_idx,
               floor(pow((hash(i, 'o') % 1000003) / 1000003.0, 2) * {outlets})::BIGINT AS o,
               (hash(i, 'c') % 1000) / 1000.0 < {copy_share} AS wants_copy
        FROM range({articles}) t(i)"""
    )
    con.execute(
        """CREATE TEMP TABLE art2 AS
        SELECT a.*, s.story_id, s.kw1, s.kw2, s.start_day,
               row_number() OVER (PARTITION BY a.story_idx ORDER BY a.i) = 1 AS is_first,
               first_value(a.article_id) OVER (PARTITION BY a.story_idx ORDER BY a.i) AS first_id,
               first_value(a.i) OVER (PARTITION BY a.story_idx ORDER BY a.i) AS first_i
        FROM art a JOIN st s USING (story_idx)"""
    )
    # Bodies: a lead sentence naming the story's keywords, then pool sentences; a copy
    # reproduces its story's original body and adds one sentence.
    body = (
        "upper(kw1[1]) || kw1[2:] || ' ' || kw2 || ' ' || lower(pl.l[1 + hash(b, 'lead') % pl.n]) "
        f"|| ' ' || array_to_string(list_transform(range({sentences - 1}), "
        "j -> pl.l[1 + hash(b, j) % pl.n]), ' ')"
    )
    con.execute(
f"""INSERT INTO articles (article_id, source_id, source_ref, url, canonical_url,
               outlet_id, title, author, published_at, language, dateline, body_text,
               content_hash, extraction_method, first_seen_at, updated_at, run_id,
               dedupe_pending)
        WITH ol AS (SELECT row_number() OVER (ORDER BY outlet_id) - 1 AS o, outlet_id, domain
                    FROM outlets),
        x AS (
            SELECT a.*, NOT is_first AND wants_copy AS copy,
                   TIMESTAMPTZ '2025-01-01 00:00:00+00'
                     + to_days(start_day + CASE WHEN is_first THEN 0 ELSE
                         floor(pow((hash(i, 'd') % 1000) / 1000.0, 2) * 10)::INTEGER END)
                     + to_seconds(CASE WHEN is_first THEN 0 ELSE
                         1 + hash(i, 'sec') % 86000 END) AS ts
            FROM art2 a
        )
        SELECT article_id, 'bench', 'item-' || i,
               'https://' || ol.domain || '/news/' || i, NULL, ol.outlet_id,
               upper(kw1[1]) || kw1[2:] || ' ' || kw2 || ': '
                   || array_to_string(list_slice(string_split(pl.l[1 + hash(i, 't') % pl.n],
                      ' '), 1, 7), ' '),
               NULL, ts, 'en', NULL,
               CASE WHEN copy
                    THEN {body.replace("(b,", "(first_i,")} || ' ' || pl.l[1 + hash(i, 'x') % pl.n]
                    ELSE {body.replace("(b,", "(i,")} END,
               md5(CAST(i AS VARCHAR)), 'bench', ts + INTERVAL 5 MINUTE,
               ts + INTERVAL 5 MINUTE, 'bench', false
        FROM x JOIN ol USING (o), pool_list pl"""
    )
    con.execute(
        """INSERT INTO duplicate_links
        SELECT article_id, first_id, 0.9, 'bench', now() FROM art2
        WHERE NOT is_first AND wants_copy"""
    )
    con.execute(
        "INSERT INTO story_members SELECT article_id, story_id, 1.0, now() FROM art2"
    )
    con.execute("COMMIT")
    con.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/presswatch-scale.duckdb"))
    args = parser.parse_args()
    print(generate(args.db, args.articles))


if __name__ == "__main__":
    main()
