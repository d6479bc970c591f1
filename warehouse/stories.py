"""Story grouping: articles about the same event share a story.

Incremental: each new article's heaviest terms go into ``article_terms`` (term hash, seq,
weight, day, and whether the term is among its ``retrieval_terms`` heaviest); one query
per batch finds the articles indexed before it within the time window that share at
least ``retrieval_min_shared`` of those heaviest terms, then computes their exact
cosine over all terms (vectors are L2-normalised, so a join's sum of products is the
cosine) and keeps those above the threshold. Retrieving on the heaviest terms only keeps
the join small: an article's event names are among its heaviest terms, its incidental
vocabulary is not. The window
is a constant filter on ``day``, and rows are appended in roughly chronological order,
so the scan reads only the window's row groups: the cost follows the window's volume,
not the warehouse's size. Terms carried by more than ``term_max_df`` articles in the
window are skipped.

In batch order (chronological), an article joins the story it is most similar to (its
strongest link to any member), or starts one. When it is strongly similar
(``merge_threshold``) to members of several stories, it bridges them: they merge into the
oldest. Weak links never merge stories, which keeps chains of loosely related articles
from snowballing into one topic-sized story. A copy always joins its canonical's story.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
from scipy import sparse

from presswatch.settings import StorySettings
from warehouse.dedup import BatchArticle, epoch_us, in_list, insert_rows, joined
from warehouse.fingerprints import Terms, term_id, term_vector
from warehouse.loader import stable_id


def story_id_for(article_id: str) -> str:
    return "s" + stable_id("story", article_id)


def _index_terms(
    con: duckdb.DuckDBPyConnection, batch: list[BatchArticle], settings: StorySettings
) -> None:
    vectors = []
    for b in batch:
        terms = b.terms
        if terms is None:
            title = b.title or ""
            found = term_vector(f"{title}\n{title}\n{b.body}", settings.top_terms, b.language)
            terms = Terms(
                np.array([term_id(t) for t in found], dtype=np.int64),
                np.array(list(found.values()), dtype=np.float64),
            )
            b.terms = terms
        vectors.append(terms)
    sizes = np.array([len(t.ids) for t in vectors], dtype=np.int64)
    if not sizes.sum():
        return
    ranks = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    days = np.array([b.day for b in batch], dtype="datetime64[D]").astype("datetime64[us]")
    con.register(
        "batch_terms",
        {
            "term": np.concatenate([t.ids for t in vectors]),
            "seq": np.repeat(np.array([b.seq for b in batch], dtype=np.int32), sizes),
            "weight": np.concatenate([t.weights for t in vectors]).astype(np.float32),
            "day": np.repeat(days, sizes),
            "heavy": ranks < settings.retrieval_terms,
        },
    )
    try:
        con.execute(
            "INSERT INTO article_terms "
            "SELECT term, seq, weight, CAST(day AS DATE), heavy FROM batch_terms"
        )
    finally:
        con.unregister("batch_terms")


def _neighbours(
    con: duckdb.DuckDBPyConnection, batch: list[BatchArticle], settings: StorySettings
) -> tuple[list[int], list[int], list[float]]:
    """(new seq, earlier seq, cosine) of every pair above the join threshold, by new seq
    then best first.

    One scan reads the window's rows carrying any of the batch's terms (no other row can
    count as a shared term or add to a cosine); sparse products then count the shared
    heavy terms of every (new, earlier) pair and give the exact cosine of the candidates.
    """
    low = min(b.seq for b in batch)
    window = timedelta(days=settings.window_days)
    mine = [(b, b.terms) for b in batch if b.terms is not None and len(b.terms.ids)]
    if not mine:
        return [], [], []
    sizes = np.array([len(t.ids) for _b, t in mine], dtype=np.int64)
    b_row = np.repeat(np.array([b.seq for b, _t in mine], dtype=np.int64) - low, sizes)
    b_term = np.concatenate([t.ids for _b, t in mine])
    b_weight = np.concatenate([t.weights for _b, t in mine]).astype(np.float32)
    b_heavy = np.arange(len(b_term)) - np.repeat(np.cumsum(sizes) - sizes, sizes) < (
        settings.retrieval_terms
    )
    vocabulary = np.unique(b_term)
    con.register(
        "batch_vocabulary",
        {"term": vocabulary, "position": np.arange(len(vocabulary), dtype=np.int32)},
    )
    try:
        w = con.execute(
            """SELECT v.position, t.seq, t.weight, t.heavy, t.day - DATE '1970-01-01' AS day
               FROM article_terms t JOIN batch_vocabulary v ON v.term = t.term
               WHERE t.day BETWEEN $1 AND $2""",
            [min(b.day for b in batch) - window, max(b.day for b in batch) + window],
        ).fetchnumpy()
    finally:
        con.unregister("batch_vocabulary")
    if not len(w["seq"]):
        return [], [], []
    w_seq = w["seq"].astype(np.int64)
    base = int(w_seq.min())
    rows = int(w_seq.max()) - base + 1
    w_row, w_term = w_seq - base, w["position"].astype(np.int64)
    width = len(vocabulary)
    # Heavy window rows on the batch's heavy terms; terms carried too widely are skipped.
    heavy_terms = np.zeros(width, dtype=bool)
    b_term_index = np.searchsorted(vocabulary, b_term)
    heavy_terms[b_term_index[b_heavy]] = True
    wh = w["heavy"] & heavy_terms[w_term]
    common = np.bincount(w_term[wh], minlength=width) > settings.term_max_df
    bh = b_heavy & ~common[b_term_index]
    shared = _sparse(b_row[bh], b_term_index[bh], np.ones(int(bh.sum())), len(batch), width) @ (
        _sparse(w_row[wh], w_term[wh], np.ones(int(wh.sum())), rows, width).T
    )
    shared = shared.tocoo()
    me_row, other_row = shared.row.astype(np.int64), shared.col.astype(np.int64)
    me_seq, other_seq = me_row + low, other_row + base
    day_of = np.zeros(rows, dtype=np.int64)
    day_of[w_row] = w["day"]
    me_day = np.array([(b.day - _EPOCH).days for b in batch], dtype=np.int64)[me_row]
    keep = (
        (shared.data >= settings.retrieval_min_shared)
        & (other_seq < me_seq)
        & (np.abs(day_of[other_row] - me_day) <= settings.window_days)
    )
    me_row, other_row, me_seq, other_seq = (
        me_row[keep],
        other_row[keep],
        me_seq[keep],
        other_seq[keep],
    )
    if not len(me_row):
        return [], [], []
    b_matrix = _sparse(b_row, b_term_index, b_weight.astype(np.float64), len(batch), width)
    w_matrix = _sparse(w_row, w_term, w["weight"].astype(np.float64), rows, width)
    cosine = np.asarray(b_matrix[me_row].multiply(w_matrix[other_row]).sum(axis=1)).ravel()
    good = cosine >= settings.join_threshold
    me_seq, other_seq, cosine = me_seq[good], other_seq[good], cosine[good]
    order = np.lexsort((other_seq, -cosine, me_seq))
    return me_seq[order].tolist(), other_seq[order].tolist(), cosine[order].tolist()


_EPOCH = date(1970, 1, 1)


def _sparse(
    rows: np.ndarray, columns: np.ndarray, values: np.ndarray, height: int, width: int
) -> sparse.csr_matrix:
    return sparse.csr_matrix((values, (rows, columns)), shape=(height, width))


def _memberships(
    con: duckdb.DuckDBPyConnection, seqs: list[int], article_ids: list[str]
) -> tuple[dict[int, str], dict[str, str]]:
    """(seq -> article id for ``seqs``, article id -> story for them and ``article_ids``).

    One query, one scan of ``story_members`` for the neighbours and the copies' canonicals;
    the ``seq`` range lets ``dedup_index`` skip the row groups outside the time window.
    """
    if not seqs and not article_ids:
        return {}, {}
    con.register("neighbour_seqs", {"seq": np.array(seqs, dtype=np.int64)})
    try:
        rows = con.execute(
            """WITH d AS (SELECT seq, article_id FROM dedup_index
                          WHERE seq BETWEEN $1 AND $2
                            AND seq IN (SELECT seq FROM neighbour_seqs)),
                    ids AS (SELECT article_id FROM d
                            UNION SELECT unnest(string_split($3, chr(31))) AS article_id)
               SELECT i.article_id, m.story_id, d.seq FROM ids i
               LEFT JOIN story_members m ON m.article_id = i.article_id
               LEFT JOIN d ON d.article_id = i.article_id""",
            [min(seqs, default=0), max(seqs, default=-1), joined(article_ids)],
        ).fetchall()
    finally:
        con.unregister("neighbour_seqs")
    ids_of = {seq: article_id for article_id, _story, seq in rows if seq is not None}
    stories = {article_id: story for article_id, story, _seq in rows if story is not None}
    return ids_of, stories


def _story_ages(con: duckdb.DuckDBPyConnection, story_ids: set[str]) -> dict[str, tuple]:
    """story -> (created_at in microseconds since the epoch, story id): oldest first."""
    rows = con.execute(  # a join on the split list: twice as fast as IN for long lists
        """WITH w AS (SELECT unnest(string_split(?, chr(31))) AS story_id)
           SELECT s.story_id, epoch_us(s.created_at) FROM w JOIN stories s
           ON s.story_id = w.story_id""",
        [joined(sorted(story_ids))],
    ).fetchall()
    return {r[0]: (r[1], r[0]) for r in rows}


def relabel(con: duckdb.DuckDBPyConnection, story_ids: set[str]) -> None:
    """A story's label is the headline of its earliest original (non-copy) article; only
    labels that change are written (fewer rows for the next checkpoint to rewrite)."""
    if not story_ids:
        return
    labels = con.execute(
        """WITH w AS (SELECT unnest(string_split(?, chr(31))) AS story_id)
           SELECT m.story_id,
                  arg_min(a.title, (coalesce(a.published_at, a.first_seen_at), a.article_id))
           FROM w JOIN story_members m ON m.story_id = w.story_id
           JOIN articles a ON a.article_id = m.article_id
           LEFT JOIN duplicate_links d ON d.article_id = m.article_id
           WHERE d.article_id IS NULL AND a.title IS NOT NULL
           GROUP BY m.story_id""",
        [joined(sorted(story_ids))],
    ).fetchall()
    if labels:
        insert_rows(
            con,
            """UPDATE stories SET label = batch_rows.label, updated_at = $3
               FROM batch_rows WHERE stories.story_id = batch_rows.story_id
                 AND batch_rows.label IS DISTINCT FROM stories.label""",
            {"story_id": [r[0] for r in labels], "label": [r[1] for r in labels]},
            params=[datetime.now(UTC)],
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
    stale = [b.article_id for b in batch if not b.fresh]
    if stale:  # a fresh article has no membership yet
        con.execute(f"DELETE FROM story_members WHERE article_id IN {in_list(stale)}")
    me, other, cosine = _neighbours(con, batch, settings)
    low = min(b.seq for b in batch)
    ids_of, membership = _memberships(
        con, sorted({o for o in other if o < low}), sorted(set(canonicals.values()) - set(ids))
    )
    ids_of.update({b.seq: b.article_id for b in batch})
    # new seq -> [(other article id, cosine)], best first
    neighbours: dict[int, list[tuple[str, float]]] = {}
    for m, o, c in zip(me, other, cosine, strict=True):
        if o in ids_of:  # else a stale row of a re-indexed article
            found = neighbours.setdefault(m, [])
            if len(found) < settings.max_candidates:
                found.append((ids_of[o], c))
    known_stories = set(membership.values())
    ages = _story_ages(con, known_stories)
    merged_into: dict[str, str] = {}

    def resolve(story: str) -> str:
        while story in merged_into:
            story = merged_into[story]
        return story

    now = datetime.now(UTC)
    now_us = int(epoch_us([now])[0])
    created: dict[str, str] = {}  # new story -> label
    members: list[tuple[str, str, float]] = []
    for position, b in enumerate(batch):
        canonical = canonicals.get(b.article_id)
        best: dict[str, float] = {}  # story -> strongest link of this article into it
        if canonical and canonical in membership:
            best[resolve(membership[canonical])] = 1.0
        else:
            for aid, c in neighbours.get(b.seq, []):
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
            ages[keep] = (now_us + position, keep)
        membership[b.article_id] = keep
        members.append((b.article_id, keep, round(score, 4)))

    final = [(aid, resolve(story), score) for aid, story, score in members]
    if created and all(b.fresh for b in batch):  # no story is named after a fresh article
        insert_rows(
            con,
            "INSERT INTO stories SELECT story_id, label, make_timestamptz(created_at), $3 "
            "FROM batch_rows",
            {"story_id": list(created), "label": list(created.values())},
            {"created_at": np.array([ages[s][0] for s in created], dtype=np.int64)},
            [now],
        )
    elif created:
        insert_rows(
            con,
            """MERGE INTO stories USING (SELECT story_id, label,
                 make_timestamptz(created_at) AS created_at, $3 AS updated_at
                 FROM batch_rows) AS new ON stories.story_id = new.story_id
               WHEN MATCHED THEN UPDATE SET label = new.label,
                 created_at = new.created_at, updated_at = new.updated_at
               WHEN NOT MATCHED THEN INSERT VALUES (new.story_id, new.label,
                 new.created_at, new.updated_at)""",
            {"story_id": list(created), "label": list(created.values())},
            {"created_at": np.array([ages[s][0] for s in created], dtype=np.int64)},
            [now],
        )
    if merged_into:
        mapping = {old: resolve(old) for old in merged_into}
        insert_rows(
            con,
            """UPDATE story_members SET story_id = batch_rows.new, assigned_at = $3
               FROM batch_rows WHERE story_members.story_id = batch_rows.old""",
            {"old": list(mapping), "new": list(mapping.values())},
            params=[now],
        )
        con.execute(f"DELETE FROM stories WHERE story_id IN {in_list(mapping)}")
    insert_rows(  # the batch's earlier memberships were deleted above: plain inserts
        con,
        "INSERT INTO story_members SELECT article_id, story_id, score, $3 FROM batch_rows",
        {"article_id": [m[0] for m in final], "story_id": [m[1] for m in final]},
        {"score": np.array([m[2] for m in final], dtype=np.float64)},
        [now],
    )
    touched = {m[1] for m in final}
    relabel(con, touched)
    return touched


def story_members_of(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        f"SELECT article_id, story_id FROM story_members WHERE article_id IN {in_list(article_ids)}"
    ).fetchall()
    return dict(rows)
