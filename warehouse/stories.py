"""Story grouping: articles about the same event share a story.

Incremental: each new article's heaviest terms go into ``article_terms`` (term hash, seq,
weight, day); one join per batch finds the articles indexed before it within the time
window whose term vectors have a cosine above the threshold (vectors are L2-normalised,
so the join's sum of products is the cosine). The window is a constant filter on ``day``,
and rows are appended in roughly chronological order, so the scan reads only the window's
row groups: the cost follows the window's volume, not the warehouse's size. Terms carried
by more than ``term_max_df`` articles in the window are skipped.

In batch order (chronological), an article joins the story it is most similar to (its
strongest link to any member), or starts one. When it is strongly similar
(``merge_threshold``) to members of several stories, it bridges them: they merge into the
oldest. Weak links never merge stories, which keeps chains of loosely related articles
from snowballing into one topic-sized story. A copy always joins its canonical's story.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np

from presswatch.settings import StorySettings
from warehouse.dedup import BatchArticle
from warehouse.fingerprints import term_id, term_vector
from warehouse.loader import stable_id


def story_id_for(article_id: str) -> str:
    return "s" + stable_id("story", article_id)


def _index_terms(
    con: duckdb.DuckDBPyConnection, batch: list[BatchArticle], settings: StorySettings
) -> None:
    terms: list[int] = []
    seqs: list[int] = []
    weights: list[float] = []
    days: list = []
    for b in batch:
        title = b.title or ""
        text = f"{title}\n{title}\n{b.body}"  # the headline names the event: count it twice
        vector = term_vector(text, settings.top_terms, b.language)
        terms.extend(term_id(t) for t in vector)
        weights.extend(vector.values())
        seqs.extend([b.seq] * len(vector))
        days.extend([b.day] * len(vector))
    if not terms:
        return
    con.register(
        "batch_terms",
        {
            "term": np.array(terms, dtype=np.int64),
            "seq": np.array(seqs, dtype=np.int32),
            "weight": np.array(weights, dtype=np.float32),
            "day": np.array(days, dtype="datetime64[D]").astype("datetime64[us]"),
        },
    )
    try:
        con.execute(
            "INSERT INTO article_terms SELECT term, seq, weight, CAST(day AS DATE) FROM batch_terms"
        )
    finally:
        con.unregister("batch_terms")


def _neighbours(
    con: duckdb.DuckDBPyConnection, batch: list[BatchArticle], settings: StorySettings
) -> dict[int, list[tuple[int, str, str | None, float]]]:
    """new seq -> [(other seq, other article id, its story or None, cosine)], best first."""
    low = min(b.seq for b in batch)
    high = max(b.seq for b in batch)
    window = timedelta(days=settings.window_days)
    first_day = min(b.day for b in batch) - window
    last_day = max(b.day for b in batch) + window
    rows = con.execute(
        """WITH b AS (SELECT term, seq, weight, day FROM article_terms
                      WHERE seq BETWEEN ? AND ?),
           w AS (SELECT term, seq, weight, day FROM article_terms
                 WHERE day BETWEEN ? AND ? AND term IN (SELECT term FROM b)),
           common AS (SELECT term FROM w GROUP BY term HAVING count(*) > ?),
           pairs AS (
             SELECT b.seq AS me, w.seq AS other, sum(b.weight * w.weight) AS cosine
             FROM b JOIN w ON w.term = b.term AND w.seq < b.seq
              AND w.day BETWEEN b.day - CAST(? AS INTEGER) AND b.day + CAST(? AS INTEGER)
             WHERE b.term NOT IN (SELECT term FROM common)
             GROUP BY b.seq, w.seq
             HAVING sum(b.weight * w.weight) >= ?
             QUALIFY row_number() OVER (PARTITION BY b.seq ORDER BY cosine DESC, w.seq) <= ?)
           SELECT p.me, p.other, d.article_id, m.story_id, p.cosine
           FROM pairs p
           JOIN dedup_index d ON d.seq = p.other
           LEFT JOIN story_members m ON m.article_id = d.article_id
           ORDER BY p.me, p.cosine DESC, p.other""",
        [
            low,
            high,
            first_day,
            last_day,
            settings.term_max_df,
            settings.window_days,
            settings.window_days,
            settings.join_threshold,
            settings.max_candidates,
        ],
    ).fetchall()
    found: dict[int, list[tuple[int, str, str | None, float]]] = {}
    for me, other, article_id, story_id, cosine in rows:
        found.setdefault(me, []).append((other, article_id, story_id, float(cosine)))
    return found


def _story_ages(con: duckdb.DuckDBPyConnection, story_ids: set[str]) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT story_id, created_at FROM stories WHERE story_id IN (SELECT unnest(?))",
        [sorted(story_ids)],
    ).fetchall()
    return {r[0]: (r[1], r[0]) for r in rows}


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
    if labels:
        con.executemany(
            "UPDATE stories SET label = ?, updated_at = ? WHERE story_id = ?",
            [[label, now, story_id] for story_id, label in labels],
        )


def assign_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[BatchArticle],
    canonicals: dict[str, str],
    settings: StorySettings,
) -> set[str]:
    """Place ``batch`` (indexed and deduplicated) in stories; returns the touched story ids."""
    if not batch:
        return set()
    _index_terms(con, batch, settings)
    ids = [b.article_id for b in batch]
    con.execute("DELETE FROM story_members WHERE article_id IN (SELECT unnest(?))", [ids])
    neighbours = _neighbours(con, batch, settings)
    outside_canonicals = sorted(set(canonicals.values()) - set(ids))
    membership: dict[str, str] = dict(
        con.execute(
            "SELECT article_id, story_id FROM story_members WHERE article_id IN (SELECT unnest(?))",
            [outside_canonicals],
        ).fetchall()
    )
    for found in neighbours.values():
        for _other, article_id, story_id, _c in found:
            if story_id is not None:
                membership[article_id] = story_id
    known_stories = set(membership.values())
    ages = _story_ages(con, known_stories)
    merged_into: dict[str, str] = {}

    def resolve(story: str) -> str:
        while story in merged_into:
            story = merged_into[story]
        return story

    now = datetime.now(UTC)
    created: dict[str, str] = {}  # new story -> label
    members: list[tuple[str, str, float]] = []
    for position, b in enumerate(batch):
        canonical = canonicals.get(b.article_id)
        best: dict[str, float] = {}  # story -> strongest link of this article into it
        if canonical and canonical in membership:
            best[resolve(membership[canonical])] = 1.0
        else:
            for _o, aid, _s, c in neighbours.get(b.seq, []):
                if aid in membership:
                    story = resolve(membership[aid])
                    best[story] = max(best.get(story, 0.0), c)
        if best:
            # Join the story it is closest to; merge others only on strong evidence.
            keep = min(best, key=lambda s: (-best[s], ages[s]))
            score = best[keep]
            strong = {s for s, c in best.items() if c >= settings.merge_threshold}
            if keep in strong:
                keep = min(strong, key=lambda s: ages[s])
                for other in strong - {keep}:
                    merged_into[other] = keep
        else:
            score = 1.0
            keep = story_id_for(b.article_id)
            created[keep] = b.title or "(untitled)"
            # Stories of one batch are ordered by position, as if created one after another.
            ages[keep] = (now + timedelta(microseconds=position), keep)
        membership[b.article_id] = keep
        members.append((b.article_id, keep, round(score, 4)))

    final = [(aid, resolve(story), score) for aid, story, score in members]
    if created:
        con.executemany(
            "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?)",
            [[sid, label, ages[sid][0], now] for sid, label in created.items()],
        )
    if merged_into:
        mapping = {old: resolve(old) for old in merged_into}
        con.execute(
            """UPDATE story_members SET story_id = merges.new, assigned_at = $1
               FROM (SELECT unnest($2) AS old, unnest($3) AS new) AS merges
               WHERE story_members.story_id = merges.old""",
            [now, list(mapping), list(mapping.values())],
        )
        con.execute("DELETE FROM stories WHERE story_id IN (SELECT unnest(?))", [list(mapping)])
    # Strings travel as list parameters: DuckDB scans numpy object arrays slowly.
    con.execute(
        "INSERT OR REPLACE INTO story_members "
        "SELECT unnest(?), unnest(?), unnest(?), ?",
        [[m[0] for m in final], [m[1] for m in final], [m[2] for m in final], now],
    )
    touched = {m[1] for m in final}
    relabel(con, touched)
    return touched


def story_members_of(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        "SELECT article_id, story_id FROM story_members WHERE article_id IN (SELECT unnest(?))",
        [list(article_ids)],
    ).fetchall()
    return dict(rows)
