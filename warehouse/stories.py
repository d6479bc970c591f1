"""Story grouping: articles about the same event share a story.

Incremental: each new article's heaviest terms go into ``article_terms``; one join finds
the already-loaded articles whose term vectors have a cosine above the threshold within
the time window (vectors are L2-normalised, so the join's sum of products is the cosine).
The article joins their story, starts a new one, or merges the stories it bridges.
A copy always joins its canonical's story.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import duckdb
import numpy as np

from presswatch.settings import StorySettings
from warehouse.fingerprints import term_vector
from warehouse.loader import stable_id


def _batch_rows(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[tuple]:
    return con.execute(
        """SELECT a.article_id, a.title, a.body_text, a.language,
                  CAST(coalesce(a.published_at, a.first_seen_at) AS DATE) AS day,
                  coalesce(a.published_at, a.first_seen_at) AS ts, d.canonical_id
           FROM articles a LEFT JOIN duplicate_links d ON d.article_id = a.article_id
           WHERE a.article_id IN (SELECT unnest(?))
           ORDER BY ts, a.first_seen_at, a.article_id""",
        [list(ids)],
    ).fetchall()


def _index_terms(
    con: duckdb.DuckDBPyConnection, rows: list[tuple], settings: StorySettings
) -> None:
    ids = [r[0] for r in rows]
    con.execute("DELETE FROM article_terms WHERE article_id IN (SELECT unnest(?))", [ids])
    article_ids: list[str] = []
    terms: list[str] = []
    weights: list[float] = []
    days: list[date] = []
    for article_id, title, body, language, day, _ts, _canonical in rows:
        text = (
            f"{title or ''}\n{title or ''}\n{body}"  # the headline names the event: count it twice
        )
        for term, weight in term_vector(text, settings.top_terms, language).items():
            article_ids.append(article_id)
            terms.append(term)
            weights.append(weight)
            days.append(day)
    if not terms:
        return
    batch = {
        "article_id": np.array(article_ids, dtype=object),
        "term": np.array(terms, dtype=object),
        "weight": np.array(weights, dtype=np.float64),
        "day": np.array(days, dtype="datetime64[D]").astype("datetime64[us]"),
    }
    con.register("batch_terms", batch)
    try:
        con.execute(
            "INSERT INTO article_terms SELECT article_id, term, weight, CAST(day AS DATE) "
            "FROM batch_terms"
        )
    finally:
        con.unregister("batch_terms")


def _similar_pairs(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], settings: StorySettings
) -> dict[str, list[tuple[str, float]]]:
    rows = con.execute(
        """WITH batch AS (SELECT * FROM article_terms WHERE article_id IN (SELECT unnest(?)))
           SELECT b.article_id, t.article_id, sum(b.weight * t.weight) AS cosine
           FROM batch b
           JOIN article_terms t
             ON t.term = b.term
            AND t.article_id <> b.article_id
            AND t.day BETWEEN b.day - CAST(? AS INTEGER) AND b.day + CAST(? AS INTEGER)
           GROUP BY b.article_id, t.article_id
           HAVING sum(b.weight * t.weight) >= ?
           QUALIFY row_number() OVER (PARTITION BY b.article_id ORDER BY cosine DESC) <= ?""",
        [
            list(ids),
            settings.window_days,
            settings.window_days,
            settings.join_threshold,
            settings.max_candidates,
        ],
    ).fetchall()
    pairs: dict[str, list[tuple[str, float]]] = {}
    for new_id, other_id, cosine in rows:
        pairs.setdefault(new_id, []).append((other_id, float(cosine)))
    return pairs


def _memberships(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        "SELECT article_id, story_id FROM story_members WHERE article_id IN (SELECT unnest(?))",
        [list(ids)],
    ).fetchall()
    return dict(rows)


def _merge_stories(
    con: duckdb.DuckDBPyConnection, keep: str, others: set[str], now: datetime
) -> None:
    for story_id in others - {keep}:
        con.execute(
            "UPDATE story_members SET story_id = ?, assigned_at = ? WHERE story_id = ?",
            [keep, now, story_id],
        )
        con.execute("DELETE FROM stories WHERE story_id = ?", [story_id])


def _oldest_story(con: duckdb.DuckDBPyConnection, story_ids: set[str]) -> str:
    row = con.execute(
        "SELECT story_id FROM stories WHERE story_id IN (SELECT unnest(?)) "
        "ORDER BY created_at, story_id LIMIT 1",
        [sorted(story_ids)],
    ).fetchone()
    return row[0] if row else sorted(story_ids)[0]


def relabel(con: duckdb.DuckDBPyConnection, story_ids: set[str]) -> None:
    """A story's label is the headline of its earliest original (non-copy) article."""
    if not story_ids:
        return
    labels = con.execute(
        """SELECT m.story_id,
                  arg_min(a.title, (coalesce(a.published_at, a.first_seen_at), a.article_id))
           FROM story_members m JOIN articles a ON a.article_id = m.article_id
           LEFT JOIN duplicate_links d ON d.article_id = m.article_id
           WHERE d.article_id IS NULL AND a.title IS NOT NULL
             AND m.story_id IN (SELECT unnest(?))
           GROUP BY m.story_id""",
        [sorted(story_ids)],
    ).fetchall()
    now = datetime.now(UTC)
    con.executemany(
        "UPDATE stories SET label = ?, updated_at = ? WHERE story_id = ?",
        [[label, now, story_id] for story_id, label in labels],
    )


def assign_stories(
    con: duckdb.DuckDBPyConnection, article_ids: Sequence[str], settings: StorySettings
) -> set[str]:
    """Place ``article_ids`` (already loaded and deduplicated) in stories; returns touched ids."""
    if not article_ids:
        return set()
    rows = _batch_rows(con, article_ids)
    _index_terms(con, rows, settings)
    con.execute("DELETE FROM story_members WHERE article_id IN (SELECT unnest(?))", [article_ids])
    pairs = _similar_pairs(con, [r[0] for r in rows], settings)
    neighbours = {o for ps in pairs.values() for o, _ in ps}
    canonicals = {r[6] for r in rows if r[6]}
    membership = _memberships(con, sorted(neighbours | canonicals))
    touched: set[str] = set()
    now = datetime.now(UTC)
    for article_id, title, _body, _lang, _day, _ts, canonical_id in rows:
        if canonical_id and canonical_id in membership:
            stories, score = {membership[canonical_id]}, 1.0
        else:
            matches = [(membership[o], c) for o, c in pairs.get(article_id, []) if o in membership]
            stories = {s for s, _ in matches}
            score = max((c for _, c in matches), default=1.0)
        if stories:
            story_id = _oldest_story(con, stories)
            _merge_stories(con, story_id, stories, now)
            membership = {a: (story_id if s in stories else s) for a, s in membership.items()}
        else:
            story_id = "s" + stable_id("story", article_id)
            con.execute(
                "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?)",
                [story_id, title or "(untitled)", now, now],
            )
        con.execute(
            "INSERT OR REPLACE INTO story_members VALUES (?, ?, ?, ?)",
            [article_id, story_id, round(score, 4), now],
        )
        membership[article_id] = story_id
        touched.add(story_id)
    touched = {
        r[0]
        for r in con.execute(
            "SELECT story_id FROM stories WHERE story_id IN (SELECT unnest(?))", [sorted(touched)]
        ).fetchall()
    }
    relabel(con, touched)
    return touched
