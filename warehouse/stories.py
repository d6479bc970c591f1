"""Story grouping: articles about the same event share a story.

Incremental: each new article's terms are weighed against the per-language document
counts (``textanalysis.term_weights``, ``warehouse.term_documents``), which then count it;
its heaviest terms go into ``article_terms`` (term hash, seq,
weight, day, and whether the term is among its ``retrieval_terms`` heaviest); one query
per batch finds the articles indexed before it within the time window that share at
least ``retrieval_min_shared`` of those heaviest terms, then computes their exact
cosine over all terms (vectors are L2-normalised, so a join's sum of products is the
cosine), discounts it for the days between the two (``story_decider.discounted``) and
keeps the links that reach the threshold. Retrieving on the heaviest terms only keeps
the join small: an article's event names are among its heaviest terms, its incidental
vocabulary is not. The window
is a constant filter on ``day``, and rows are appended in roughly chronological order,
so the scan reads only the window's row groups: the cost follows the window's volume,
not the warehouse's size. Terms carried by more than ``term_max_df`` articles in the
window are skipped.

An article without a publication date is stored with day ``UNDATED_DAY``: its distance in
time to any other is unknown, so the window does not apply to its pairs (see
``warehouse.story_decider.days_apart``); a batch holding one scans every earlier row.

``assign_batch`` reads the candidates (neighbours, their stories and ages), lets the pure
``warehouse.story_decider.decide`` place the batch (joins, new stories, merges), and
writes the decision.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
from scipy import sparse

from config.settings import StorySettings
from textanalysis import term_weights
from textanalysis.fingerprints import statistics_language
from textanalysis.language import UNDETERMINED, primary_subtag
from warehouse import term_documents
from warehouse.copies import BatchArticle, epoch_us, in_list, insert_rows, joined
from warehouse.story_decider import (
    UNDATED,
    UNDATED_DAY,
    Placing,
    StoryDecision,
    days_apart,
    decide,
    discounted,
)


def _index_terms(
    con: duckdb.DuckDBPyConnection, batch: list[BatchArticle], settings: StorySettings
) -> None:
    """Weigh the batch's candidate terms against the document counts (articles indexed for
    the first time, or again after a rebuild cleared the indexes, are counted, in batch
    order) and index each article's heaviest."""
    candidates = [b.candidates for b in batch]
    if any(c is None for c in candidates):
        raise ValueError("assign_batch needs every article's candidate terms (analyse_batch)")
    languages = [statistics_language(b.language) for b in batch]
    words = term_weights.vocabulary(candidates, languages)
    before = term_documents.read(con, words)
    weighed = term_weights.weigh(
        candidates,
        [not b.indexed_before for b in batch],
        words,
        before,
        settings.top_terms,
        settings.prior_documents,
    )
    term_documents.write(con, words, before, weighed.counts_after)
    for b, terms in zip(batch, weighed.terms, strict=True):
        b.terms = terms
    vectors = weighed.terms
    sizes = np.array([len(t.ids) for t in vectors], dtype=np.int64)
    if not sizes.sum():
        return
    ranks = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    days = np.array(
        [b.day if b.dated else UNDATED_DAY for b in batch], dtype="datetime64[D]"
    ).astype("datetime64[us]")
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
    """(new seq, earlier seq, link) of every pair whose link (the cosine discounted for the
    days between them, ``discounted``) reaches the join threshold, by new seq then
    strongest first.

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
    columns = """SELECT v.position, t.seq, t.weight, t.heavy, t.day - DATE '1970-01-01' AS day
                 FROM article_terms t JOIN batch_vocabulary v ON v.term = t.term"""
    dated = [b.day for b in batch if b.dated]
    try:
        if len(dated) < len(batch):  # an undated article is compared with every earlier one
            w = con.execute(columns).fetchnumpy()
        else:  # the window's rows and the undated articles' rows (their day
            # is the minimum: a row group without any is skipped by its statistics)
            w = con.execute(
                f"{columns} WHERE t.day BETWEEN $1 AND $2 UNION ALL {columns} WHERE t.day = $3",
                [min(dated) - window, max(dated) + window, UNDATED_DAY],
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
    enough = shared.data >= settings.retrieval_min_shared  # the arrays below cover only these
    me_row, other_row = shared.row[enough].astype(np.int64), shared.col[enough].astype(np.int64)
    me_seq, other_seq = me_row + low, other_row + base
    day_of = np.zeros(rows, dtype=np.int64)
    day_of[w_row] = w["day"]
    me_day = np.array(
        [(b.day - _EPOCH).days if b.dated else UNDATED for b in batch], dtype=np.int64
    )[me_row]
    apart = days_apart(me_day, day_of[other_row])
    keep = (other_seq < me_seq) & (apart <= settings.window_days)
    me_row, other_row, me_seq, other_seq, apart = (
        me_row[keep],
        other_row[keep],
        me_seq[keep],
        other_seq[keep],
        apart[keep],
    )
    if not len(me_row):
        return [], [], []
    b_matrix = _sparse(b_row, b_term_index, b_weight.astype(np.float64), len(batch), width)
    w_matrix = _sparse(w_row, w_term, w["weight"].astype(np.float64), rows, width)
    cosine = np.asarray(b_matrix[me_row].multiply(w_matrix[other_row]).sum(axis=1)).ravel()
    link = discounted(cosine, apart, settings.decay_days)
    threshold = np.array([settings.join_threshold_for(b.language) for b in batch])
    good = link >= threshold[me_row]
    me_seq, other_seq, link = me_seq[good], other_seq[good], link[good]
    order = np.lexsort((other_seq, -link, me_seq))
    return me_seq[order].tolist(), other_seq[order].tolist(), link[order].tolist()


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


@dataclass
class _Story:
    """A row of ``stories``; times in microseconds since the epoch."""

    story_id: str
    label: str
    created_at: int
    label_key: tuple[int, str] | None  # (label_at, label_article_id): the label's article
    label_language: str = UNDETERMINED  # the label article's primary language subtag

    @classmethod
    def from_row(
        cls,
        story_id: str,
        label: str,
        created_at: int,
        label_at: int | None,
        article_id: str | None,
        label_language: str | None,
    ) -> _Story:
        """From query columns; no label article when ``article_id`` is NULL."""
        key = (label_at, article_id) if article_id is not None else None
        return cls(story_id, label, created_at, key, label_language or UNDETERMINED)


def _stories(con: duckdb.DuckDBPyConnection, story_ids: Iterable[str]) -> dict[str, _Story]:
    wanted = sorted(set(story_ids))
    if not wanted:
        return {}
    rows = con.execute(  # a join on the split list: twice as fast as IN for long lists
        """WITH w AS (SELECT unnest(string_split(?, chr(31))) AS story_id)
           SELECT s.story_id, s.label, epoch_us(s.created_at), epoch_us(s.label_at),
                  s.label_article_id, s.label_language
           FROM w JOIN stories s ON s.story_id = w.story_id""",
        [joined(wanted)],
    ).fetchall()
    return {r[0]: _Story.from_row(*r) for r in rows}


_NO_TIME = np.iinfo(np.int64).min  # label_at of a story without a label article


def _write_stories(
    con: duckdb.DuckDBPyConnection, rows: list[_Story], replaced: set[str], now: datetime
) -> None:
    """Delete ``replaced`` story rows, insert ``rows``: delete + insert, not UPDATE (see
    migration 008: an update rewrites whole column segments at the next checkpoint)."""
    if replaced:
        con.execute(f"DELETE FROM stories WHERE story_id IN {in_list(sorted(replaced))}")
    if not rows:
        return
    insert_rows(
        con,
        """INSERT INTO stories (story_id, label, created_at, updated_at, label_article_id,
                                label_at, label_language)
           SELECT story_id, label, make_timestamptz(created_at), $5,
                  nullif(label_article_id, ''), make_timestamptz(nullif(label_at, $6)),
                  label_language
           FROM batch_rows""",
        {
            "story_id": [r.story_id for r in rows],
            "label": [r.label for r in rows],
            "label_article_id": [r.label_key[1] if r.label_key else "" for r in rows],
            "label_language": [r.label_language for r in rows],
        },
        {
            "created_at": np.array([r.created_at for r in rows], dtype=np.int64),
            "label_at": np.array(
                [r.label_key[0] if r.label_key else _NO_TIME for r in rows], dtype=np.int64
            ),
        },
        [now, _NO_TIME],
    )


def relabel(con: duckdb.DuckDBPyConnection, story_ids: set[str], now: datetime) -> None:
    """Recompute the labels of ``story_ids`` from all their members (the slow path, for
    stories that may have lost their label's article or whose dominant language may have
    changed). A story's label is the headline of its earliest original (non-copy) article
    in the story's dominant language (the language most of its members are in, ``und``
    not counted; ties: the language of the earliest member), else of its earliest
    original; a story without one keeps its label. Only changed rows are written."""
    if not story_ids:
        return
    rows = con.execute(
        f"""WITH w AS (SELECT unnest(string_split(?, chr(31))) AS story_id),
           members AS (
               SELECT m.story_id, a.article_id, a.title, d.article_id IS NULL AS original,
                      epoch_us(coalesce(a.published_at, a.first_seen_at)) AS happened_at,
                      {_PRIMARY_LANGUAGE} AS language
               FROM w JOIN story_members m ON m.story_id = w.story_id
               JOIN articles a ON a.article_id = m.article_id
               LEFT JOIN duplicate_links d ON d.article_id = m.article_id),
           dominant AS (
               SELECT story_id, arg_min(language, (-n, earliest)) AS language
               FROM (SELECT story_id, language, count(*) AS n,
                            min((happened_at, article_id)) AS earliest
                     FROM members WHERE language <> 'und' GROUP BY story_id, language)
               GROUP BY story_id),
           holder AS (
               SELECT m.story_id,
                      arg_min(struct_pack(label := m.title, label_at := m.happened_at,
                                          article_id := m.article_id, language := m.language),
                              (m.language IS DISTINCT FROM d.language, m.happened_at,
                               m.article_id)) AS chosen
               FROM members m LEFT JOIN dominant d ON d.story_id = m.story_id
               WHERE m.original AND m.title IS NOT NULL
               GROUP BY m.story_id)
           SELECT s.story_id, coalesce(h.chosen.label, s.label), epoch_us(s.created_at),
                  h.chosen.label_at, h.chosen.article_id, coalesce(h.chosen.language, 'und'),
                  s.label, epoch_us(s.label_at), s.label_article_id, s.label_language
           FROM w JOIN stories s ON s.story_id = w.story_id
           LEFT JOIN holder h ON h.story_id = s.story_id""",
        [joined(sorted(story_ids))],
    ).fetchall()
    changed = [_Story.from_row(*r[:6]) for r in rows if (r[1], *r[3:6]) != r[6:]]
    _write_stories(con, changed, {c.story_id for c in changed}, now)


_PRIMARY_LANGUAGE = "lower(split_part(replace(coalesce(a.language, 'und'), '_', '-'), '-', 1))"
"""SQL: an article's primary language subtag (``a`` is ``articles``), ``und`` when none."""


@dataclass(frozen=True)
class _LanguagePlan:
    """How the fast path may keep each touched story's label in its dominant language."""

    relabel: set[str]  # final story ids whose label is recomputed from all members
    label_language: dict[str, str]  # the others: the language their label must be in


def _plan_languages(
    batch: list[BatchArticle], decision: StoryDecision, known: dict[str, _Story]
) -> _LanguagePlan:
    """Which stories (final ids) the fast path cannot label: those where the batch's
    members and the labels of the stories merged into them are in more than one language
    (``und`` aside), or that gain a language while labelled ``und``, or that this batch
    started with members in several languages; the dominant language may have changed.
    For the rest, the label's language stays, and only members in it (any member, for a
    story labelled ``und``) can take over the label: members in the label's language only
    strengthen it, and ``und`` members are not counted.

    What this misses is rare: stories labelled in one language whose other-language
    members together tie with it or outnumber it (a tie, or a story labelled outside its
    dominant language for want of an original there); the label then waits for the next
    relabel or a rebuild."""
    labels: dict[str, set[str]] = {}
    for story, row in known.items():
        labels.setdefault(decision.merged.get(story, story), set()).add(row.label_language)
    members: dict[str, set[str]] = {}
    for b, member in zip(batch, decision.members, strict=True):
        members.setdefault(member.story_id, set()).add(_language_of(b))
    relabel: set[str] = set()
    language: dict[str, str] = {}
    for story in labels.keys() | members.keys():
        old, new = labels.get(story, set()), members.get(story, set())
        determined = (old | new) - {UNDETERMINED}
        if not old:  # started by this batch
            mixed = len(new) > 1
        else:
            mixed = len(determined) > 1 or (UNDETERMINED in old and bool(determined))
        if mixed:
            relabel.add(story)
        else:
            language[story] = next(iter(determined), UNDETERMINED)
    return _LanguagePlan(relabel, language)


_Label = tuple[tuple[int, str], str, str]
"""A story label's (label key, headline, language)."""


def _label_candidates(
    batch: list[BatchArticle],
    canonicals: dict[str, str],
    placed: dict[str, str],
    label_language: dict[str, str],
) -> dict[str, _Label]:
    """story -> the label of the earliest original with a headline that this batch placed
    in it, in the language its label must be in (``_plan_languages``; any for ``und``)."""
    best: dict[str, _Label] = {}
    for b in batch:
        if b.article_id in canonicals or not b.title:
            continue
        story = placed[b.article_id]
        wanted = label_language.get(story, UNDETERMINED)
        if wanted != UNDETERMINED and _language_of(b) != wanted:
            continue
        key = (b.chronology[0], b.article_id)
        if story not in best or key < best[story][0]:
            best[story] = (key, b.title, _language_of(b))
    return best


def _language_of(article: BatchArticle) -> str:
    return primary_subtag(article.language) or UNDETERMINED


def _move_members(con: duckdb.DuckDBPyConnection, mapping: dict[str, str], now: datetime) -> None:
    """Members of merged stories move to the story they merged into (insert, then delete)."""
    insert_rows(
        con,
        """INSERT INTO story_members
           SELECT m.article_id, batch_rows.new, m.score, $3
           FROM batch_rows JOIN story_members m ON m.story_id = batch_rows.old""",
        {"old": list(mapping), "new": list(mapping.values())},
        params=[now],
    )
    con.execute(f"DELETE FROM story_members WHERE story_id IN {in_list(sorted(mapping))}")


def assign_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[BatchArticle],
    canonicals: dict[str, str],
    settings: StorySettings,
    relinked: Collection[str] = (),
) -> set[str]:
    """Place ``batch`` (indexed and deduplicated) in stories; returns the touched story ids.

    ``relinked``: articles outside the batch whose copy link the batch changed; the
    stories whose label one of them held are relabelled from all members.
    """
    if not batch:
        return set()
    _index_terms(con, batch, settings)
    ids = [b.article_id for b in batch]
    fresh = all(b.fresh for b in batch)
    left: set[str] = set()  # stories that stale articles leave
    stale = [b.article_id for b in batch if not b.fresh]
    if stale:  # a fresh article has no membership yet
        left = {
            r[0]
            for r in con.execute(
                f"SELECT story_id FROM story_members WHERE article_id IN {in_list(stale)}"
            ).fetchall()
        }
        con.execute(f"DELETE FROM story_members WHERE article_id IN {in_list(stale)}")
    me, other, link = _neighbours(con, batch, settings)
    low = min(b.seq for b in batch)
    ids_of, membership = _memberships(
        con,
        sorted({o for o in other if o < low}),
        sorted((set(canonicals.values()) | set(relinked)) - set(ids)),
    )
    ids_of.update({b.seq: b.article_id for b in batch})
    # new seq -> [(other article id, link)], strongest first
    neighbours: dict[int, list[tuple[str, float]]] = {}
    for m, o, c in zip(me, other, link, strict=True):
        if o in ids_of:  # else a stale row of a re-indexed article
            found = neighbours.setdefault(m, [])
            if len(found) < settings.max_candidates:
                found.append((ids_of[o], c))
    known = _stories(con, membership.values())
    now = datetime.now(UTC)
    decision = decide(
        [
            Placing(b.article_id, canonicals.get(b.article_id), tuple(neighbours.get(b.seq, ())))
            for b in batch
        ],
        membership,
        {s: (row.created_at, s) for s, row in known.items()},
        settings.merge_threshold,
        int(epoch_us([now])[0]),
    )
    plan = _plan_languages(batch, decision, known)
    _write_decision(con, batch, canonicals, known, decision, plan.label_language, now)
    final = [(m.article_id, m.story_id, m.score) for m in decision.members]
    touched = {m[1] for m in final}
    if fresh:
        placed = {m.article_id: m.story_id for m in decision.members}
        current = {a: decision.merged.get(s, s) for a, s in membership.items()} | placed
        # A relinked article outside the batch went from original to copy, or from one
        # canonical to another: only a story whose label it held needs a new label.
        holders = {row.label_key[1] for row in known.values() if row.label_key is not None}
        relabel(
            con, {current[a] for a in relinked if a in current and a in holders} | plan.relabel, now
        )
    else:  # stale articles may have held labels, here or in the stories they left
        relabel(con, touched | {decision.merged.get(s, s) for s in left}, now)
    return touched


def _write_decision(
    con: duckdb.DuckDBPyConnection,
    batch: list[BatchArticle],
    canonicals: dict[str, str],
    known: dict[str, _Story],
    decision: StoryDecision,
    label_language: dict[str, str],
    now: datetime,
) -> None:
    """Write ``decision``: new and relabelled story rows, merged stories' members moved,
    the batch's memberships inserted (their earlier ones were deleted before); labels
    follow ``label_language`` (``_plan_languages``)."""
    fresh = all(b.fresh for b in batch)
    titles = {b.article_id: b.title for b in batch}
    created = {story: titles[a] or "(untitled)" for story, a in decision.created.items()}
    final = [(m.article_id, m.story_id, m.score) for m in decision.members]
    touched = {m[1] for m in final}
    mapping = dict(decision.merged)
    # Each surviving or new story's label: the earliest of its label article, those of the
    # stories merged into it and the batch's originals (compared, not read from members).
    rows = known | {s: _Story(s, label, decision.ages[s][0], None) for s, label in created.items()}
    candidates = _label_candidates(
        batch, canonicals, {aid: s for aid, s, _ in final}, label_language
    )
    for old, new in mapping.items():
        if rows[old].label_key is not None:
            entry = (rows[old].label_key, rows[old].label, rows[old].label_language)
            candidates[new] = min(candidates.get(new, entry), entry)
    rewritten: list[_Story] = []
    for story in touched | set(mapping.values()):
        row, candidate = rows[story], candidates.get(story)
        if candidate and (row.label_key is None or candidate[0] < row.label_key):
            key, label, language = candidate
            rewritten.append(_Story(story, label, row.created_at, key, language))
        elif story in created:
            rewritten.append(row)
    if mapping:
        _move_members(con, mapping, now)
    replaced = set(mapping) | {r.story_id for r in rewritten}
    if fresh:  # a fresh article's story id is new
        replaced -= set(created)
    _write_stories(con, rewritten, replaced, now)
    insert_rows(  # the batch's earlier memberships were deleted above: plain inserts
        con,
        "INSERT INTO story_members SELECT article_id, story_id, score, $3 FROM batch_rows",
        {"article_id": [m[0] for m in final], "story_id": [m[1] for m in final]},
        {"score": np.array([m[2] for m in final], dtype=np.float64)},
        [now],
    )
