"""Near-duplicate (copy) linking against the persistent anchor index.

Incremental by construction: only the articles of the current batch are fingerprinted.
Candidates come from one join of the batch's distinct sentence anchors against
``shingle_index`` (one row per evidence sentence of every loaded article, compact integer
columns; a process deduplicating many batches keeps it in memory instead, see
``warehouse/anchor_index.py``), expanded in numpy; only the best candidate of each copy
group is scored. Anchors found in more than ``anchor_max_df`` articles are boilerplate:
recorded in ``frequent_anchors`` and ignored from then on.

Every group of copies has one canonical: the earliest published article (first seen when
dates are missing; article id breaks ties). When a newly loaded article turns out to be
older than an existing canonical, the group is re-pointed at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np

from config.settings import DedupSettings
from textanalysis.fingerprints import (
    CopyFingerprint,
    TermCounts,
    Terms,
    copy_fingerprint,
    copy_fingerprints,
    copy_score,
)
from warehouse import anchor_index
from warehouse.disjoint_set import DisjointSet

METHOD = "sentence-anchors-v2"


def in_list(values: Iterable[object]) -> str:
    """A constant SQL list for ``IN``: for short lists DuckDB filters a scan by a constant
    list faster than by a join on ``unnest(?)``; lists of thousands of ids against a
    million-row table are joined instead (registered or split), about twice as fast."""
    items = list(values)
    if all(type(v) is int for v in items):  # the common cases, checked once per list
        return "(" + (",".join(map(str, items)) or "NULL") + ")"
    if all(type(v) is str for v in items):
        return "(" + ",".join("'" + v.replace("'", "''") + "'" for v in items) + ")"
    quoted = [
        str(int(v)) if isinstance(v, int | np.integer) else "'" + str(v).replace("'", "''") + "'"
        for v in items
    ]
    return "(" + (",".join(quoted) or "NULL") + ")"


_SEPARATOR = "\x1f"  # ASCII unit separator: never part of an id or a headline


def joined(values: Iterable[str]) -> str:
    """Strings as one parameter, split back with ``string_split(?, chr(31))``: DuckDB
    converts a Python list parameter ~10 us per element, one string in microseconds."""
    return _SEPARATOR.join(str(v).replace(_SEPARATOR, " ") for v in values)


def _micros(value: datetime) -> int:
    """Microseconds since the epoch, exactly (``timestamp()`` is a float); naive is UTC."""
    delta = (value if value.tzinfo else value.replace(tzinfo=UTC)) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(values: Iterable[datetime]) -> np.ndarray:
    """Timestamps as microseconds since the epoch (``make_timestamp`` turns them back)."""
    return np.array([_micros(v) for v in values], dtype=np.int64)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    strings: dict[str, list[str]],
    numbers: dict[str, np.ndarray] | None = None,
    params: list | None = None,
) -> None:
    """Run ``sql`` (``... FROM batch_rows ...``, once) over rows given as string columns (split from
    one parameter each) positionally joined with numpy columns (scanned without copying).
    Extra ``params`` follow the string columns' parameters."""
    names = list(strings)
    split = ", ".join(
        f"unnest(string_split(${k + 1}, chr(31))) AS {name}" for k, name in enumerate(names)
    )
    source = f"(SELECT {split})"
    if numbers:
        con.register("batch_numbers", numbers)
        source += " POSITIONAL JOIN batch_numbers"
    try:
        con.execute(
            sql.replace("FROM batch_rows", f"FROM (SELECT * FROM {source}) AS batch_rows"),
            [joined(strings[name]) for name in names] + (params or []),
        )
    finally:
        if numbers:
            con.unregister("batch_numbers")


@dataclass(frozen=True)
class DuplicateLink:
    article_id: str
    canonical_id: str
    score: float


@dataclass(frozen=True)
class LinkResult:
    links: list[DuplicateLink]  # new or changed links
    sentences: dict[int, int]  # evidence sentences per seq
    relinked: set[str]  # articles outside the batch whose link changed or was removed


@dataclass
class BatchArticle:
    """One article of a dedupe batch, with its index key and chronology."""

    article_id: str
    seq: int
    title: str | None
    body: str
    language: str | None
    sort_ts: datetime
    first_seen_at: datetime
    day: date  # of its publication, or first seen when undated
    fresh: bool = False  # never deduplicated before: nothing of it is in any index
    fingerprint: CopyFingerprint | None = None
    candidates: TermCounts | None = None  # candidate story terms, before weighting
    terms: Terms | None = None  # story terms, weighed (``stories.assign_batch``), heaviest first
    dated: bool = True  # has a publication date (else ``day`` is only when it was first seen)
    indexed_before: bool = False  # was in the indexes (and the story term counts) already

    @property
    def chronology(self) -> tuple:
        """(sort_ts, first_seen_at in microseconds since the epoch, article id)."""
        return (_micros(self.sort_ts), _micros(self.first_seen_at), self.article_id)


def prepare_batch(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> list[BatchArticle]:
    """Drop the batch's previous index entries and give it fresh keys in chronological order.

    Pending articles are read first: the filter on ``dedupe_pending`` skips every row group
    of already deduplicated articles, where a lookup by id alone scans the whole column.
    An article the loader inserted and never changed (pending, ``updated_at`` still equal
    to ``first_seen_at``) has never been indexed, so only the others are looked up in
    ``dedup_index``.
    """
    columns = """article_id, title, body_text, language,
                 coalesce(published_at, first_seen_at) AS ts, first_seen_at,
                 dedupe_pending AND updated_at = first_seen_at AS fresh,
                 published_at IS NOT NULL AS dated"""
    wanted = in_list(article_ids)
    rows = con.execute(
        f"SELECT {columns} FROM articles WHERE dedupe_pending AND article_id IN {wanted}"
    ).fetchall()
    found = {r[0] for r in rows}
    rest = sorted({a for a in article_ids if a not in found})
    if rest:
        rows += con.execute(
            f"SELECT {columns} FROM articles WHERE article_id IN {in_list(rest)}"
        ).fetchall()
    rows.sort(key=lambda r: (r[4], r[5], r[0]))
    maybe_indexed = [r[0] for r in rows if not r[6]]
    indexed = dict(
        con.execute(
            f"SELECT article_id, seq FROM dedup_index WHERE article_id IN {in_list(maybe_indexed)}"
        ).fetchall()
        if maybe_indexed
        else []
    )
    old = list(indexed.values())
    if old:
        for table in ("shingle_index", "article_terms", "dedup_index"):
            con.execute(f"DELETE FROM {table} WHERE seq IN {in_list(old)}")
    start = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM dedup_index").fetchone()[0]
    batch = [
        BatchArticle(
            article_id=r[0],
            seq=start + k,
            title=r[1],
            body=r[2],
            language=r[3],
            sort_ts=r[4],
            first_seen_at=r[5],
            day=r[4].date(),
            fresh=bool(r[6]),
            dated=bool(r[7]),
            indexed_before=r[0] in indexed,
        )
        for k, r in enumerate(rows)
    ]
    return batch


def record_batch(
    con: duckdb.DuckDBPyConnection, batch: list[BatchArticle], sentences: dict[int, int]
) -> None:
    if batch:
        insert_rows(
            con,
            """INSERT INTO dedup_index SELECT article_id, seq, make_timestamptz(sort_ts),
               make_timestamptz(first_seen_at), CAST(make_timestamptz(sort_ts) AS DATE),
               sentences FROM batch_rows""",
            {"article_id": [b.article_id for b in batch]},
            {
                "seq": np.array([b.seq for b in batch], dtype=np.int32),
                "sort_ts": epoch_us(b.sort_ts for b in batch),
                "first_seen_at": epoch_us(b.first_seen_at for b in batch),
                "sentences": np.array([sentences.get(b.seq, 0) for b in batch], dtype=np.int32),
            },
        )


# --- candidate search --------------------------------------------------------------------


def _frequent_anchors(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    return (
        con.execute("SELECT anchor FROM frequent_anchors ORDER BY anchor")
        .fetchnumpy()["anchor"]
        .astype(np.int32)
    )


def _candidates(
    con: duckdb.DuckDBPyConnection,
    seqs: np.ndarray,
    anchors: np.ndarray,
    frequent: np.ndarray,
    settings: DedupSettings,
) -> tuple[dict[int, list[tuple[int, int]]], np.ndarray]:
    """(new seq -> [(other seq, shared anchors)], newly frequent anchors).

    ``seqs``/``anchors`` are the batch's (article, anchor) rows, one per distinct anchor of
    each article. Only articles with a smaller seq (loaded before, or earlier in this batch)
    are candidates, so each pair is examined once whatever the batching.
    """
    distinct = np.unique(anchors)
    cache = anchor_index.cache_for(con)
    if cache is not None:
        found_anchor, found_seq = cache.lookup(distinct)
    else:
        con.register("batch_anchors", {"anchor": distinct})
        try:
            found = con.execute(
                """SELECT i.anchor, i.seq FROM shingle_index i
                   JOIN batch_anchors b ON b.anchor = i.anchor"""
            ).fetchnumpy()
        finally:
            con.unregister("batch_anchors")
        found_anchor, found_seq = found["anchor"], found["seq"]
    post_anchor = np.concatenate([found_anchor.astype(np.int32), anchors])
    post_seq = np.concatenate([found_seq.astype(np.int64), seqs.astype(np.int64)])
    order = np.lexsort((post_seq, post_anchor))
    post_anchor, post_seq = post_anchor[order], post_seq[order]
    # Boilerplate: anchors in too many articles are dropped (and remembered).
    uniq, counts = np.unique(post_anchor, return_counts=True)
    too_common = uniq[counts > settings.anchor_max_df]
    blocked = np.union1d(frequent, too_common)
    keep_rows = ~np.isin(anchors, blocked)
    q_seq, q_anchor = seqs[keep_rows].astype(np.int64), anchors[keep_rows]
    left = np.searchsorted(post_anchor, q_anchor, side="left")
    right = np.searchsorted(post_anchor, q_anchor, side="right")
    lengths = right - left
    owner = np.repeat(q_seq, lengths)
    offsets = np.repeat(left - np.cumsum(np.concatenate(([0], lengths[:-1]))), lengths)
    other = post_seq[np.arange(lengths.sum()) + offsets] if lengths.sum() else post_seq[:0]
    earlier = other < owner
    owner, other = owner[earlier], other[earlier]
    if not len(owner):
        return {}, too_common
    pair = (owner << 32) | other
    pairs, shared = np.unique(pair, return_counts=True)
    good = shared >= settings.candidate_min_shared
    result: dict[int, list[tuple[int, int]]] = {}
    for p, n in zip(pairs[good].tolist(), shared[good].tolist(), strict=True):
        result.setdefault(p >> 32, []).append((p & 0xFFFFFFFF, n))
    for found_list in result.values():
        found_list.sort(key=lambda x: (-x[1], x[0]))
    return result, too_common


def _record_frequent(
    con: duckdb.DuckDBPyConnection, anchors: np.ndarray, settings: DedupSettings
) -> None:
    if not len(anchors):
        return
    con.register("new_frequent", {"anchor": anchors.astype(np.int32)})
    try:
        con.execute(
            """MERGE INTO frequent_anchors
               USING (SELECT DISTINCT anchor, CAST(? AS INTEGER) AS articles FROM new_frequent)
               AS new ON frequent_anchors.anchor = new.anchor
               WHEN NOT MATCHED THEN INSERT VALUES (new.anchor, new.articles)""",
            [settings.anchor_max_df + 1],
        )
        con.execute("DELETE FROM shingle_index WHERE anchor IN (SELECT anchor FROM new_frequent)")
    finally:
        con.unregister("new_frequent")


def _index_anchors(con: duckdb.DuckDBPyConnection, seqs: np.ndarray, anchors: np.ndarray) -> None:
    if not len(seqs):
        return
    order = np.argsort(seqs, kind="stable")
    con.register(
        "batch_rows",
        {"anchor": anchors[order].astype(np.int32), "seq": seqs[order].astype(np.int32)},
    )
    try:
        con.execute("INSERT INTO shingle_index SELECT anchor, seq FROM batch_rows")
    finally:
        con.unregister("batch_rows")


# --- linking -----------------------------------------------------------------------------


_CHRONOLOGY = "article_id, epoch_us(sort_ts), epoch_us(first_seen_at)"


def _ids_by_seq(
    con: duckdb.DuckDBPyConnection, seqs: Sequence[int]
) -> tuple[dict[int, str], dict[str, tuple]]:
    """(seq -> article id, article id -> chronology) of indexed articles."""
    con.register("candidate_seqs", {"seq": np.array(seqs, dtype=np.int64)})
    try:  # a join on the registered keys: twice as fast as a long IN list
        rows = con.execute(
            f"""SELECT seq, {_CHRONOLOGY} FROM dedup_index
                WHERE seq IN (SELECT seq FROM candidate_seqs)"""
        ).fetchall()
    finally:
        con.unregister("candidate_seqs")
    return {r[0]: r[1] for r in rows}, {r[1]: (r[2], r[3], r[1]) for r in rows}


def _bodies(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        f"SELECT article_id, body_text FROM articles WHERE article_id IN {in_list(ids)}"
    ).fetchall()
    return dict(rows)


def _groups_of(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, tuple[str, float]]:
    """Existing links of every group that ``ids`` belong to (as copies or canonicals)."""
    rows = con.execute(
        f"""WITH involved AS (
             SELECT unnest(string_split(?, chr(31))) AS id
             UNION SELECT canonical_id FROM duplicate_links WHERE article_id IN {in_list(ids)})
           SELECT article_id, canonical_id, score FROM duplicate_links
           WHERE article_id IN (SELECT id FROM involved)
              OR canonical_id IN (SELECT id FROM involved)""",
        [joined(ids)],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _chronology(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, tuple]:
    """article id -> (sort_ts, first_seen_at in microseconds since the epoch, article id)."""
    if not ids:
        return {}
    rows = con.execute(
        f"SELECT {_CHRONOLOGY} FROM dedup_index WHERE article_id IN {in_list(ids)}"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[0]) for r in rows}


@dataclass(frozen=True)
class StoredLink:
    """A row of ``duplicate_links``: ``article_id`` is a copy of ``canonical_id``."""

    canonical_id: str
    score: float


@dataclass(frozen=True)
class ScoredPair:
    """Two articles found to be copies of each other, with their copy score (> 0)."""

    article_id: str
    other_id: str
    score: float


@dataclass(frozen=True)
class LinkDecision:
    """What to write: links to (re)write and stored links of articles now canonical."""

    new_links: list[DuplicateLink]
    unlinked: list[str]  # canonicals that were stored as copies: their link goes

    @property
    def rewritten(self) -> list[str]:
        return self.unlinked + [link.article_id for link in self.new_links]


# (sort_ts, first_seen_at in microseconds since the epoch, article id): earliest sorts first
Chronology = tuple[int, int, str]


def choose_candidates(
    candidates: dict[int, list[tuple[int, int]]],
    id_of: dict[int, str],
    stored: dict[str, StoredLink],
    max_groups: int,
) -> dict[int, list[int]]:
    """For each new seq, the candidates to score: the best (most shared anchors first) member
    of each copy group, at most ``max_groups`` groups. Pure."""
    chosen: dict[int, list[int]] = {}
    for seq, found in candidates.items():
        seen_groups: set[str] = set()
        picks: list[int] = []
        for other, _shared in found:
            if other not in id_of:
                continue  # stale index row of a re-indexed article
            other_id = id_of[other]
            link = stored.get(other_id)
            group = link.canonical_id if link else other_id
            if group in seen_groups:
                continue
            seen_groups.add(group)
            picks.append(other)
            if len(picks) >= max_groups:
                break
        chosen[seq] = picks
    return chosen


def score_pairs(
    chosen: dict[int, list[int]],
    fingerprints: dict[int, CopyFingerprint],
    id_of: dict[int, str],
    settings: DedupSettings,
    frequent: np.ndarray,
) -> list[ScoredPair]:
    """The chosen pairs that are copies (score > 0), in the order they were chosen. Pure."""
    pairs: list[ScoredPair] = []
    for seq, picks in chosen.items():
        for other in picks:
            score = copy_score(fingerprints[seq], fingerprints[other], settings, frequent)
            if score > 0:
                pairs.append(ScoredPair(id_of[seq], id_of[other], score))
    return pairs


def linked_articles(pairs: Sequence[ScoredPair]) -> list[str]:
    """Every article of ``pairs``, in first-seen order."""
    return list(dict.fromkeys(a for p in pairs for a in (p.article_id, p.other_id)))


def decide(
    pairs: Sequence[ScoredPair],
    stored: dict[str, StoredLink],
    chronology: dict[str, Chronology],
    batch_ids: set[str],
) -> LinkDecision:
    """The copy links after ``pairs`` are found, given the stored links of every group they
    touch. Pure: no DuckDB.

    Pairs and stored links are joined into groups (a shared :class:`DisjointSet`); each group's
    canonical is its earliest member by ``chronology``, every other member links to it. A stored
    link already pointing at the canonical is kept (an article outside the batch keeps its
    score: the best pair score may be another pair's); a canonical that was stored as a copy
    loses its link.
    """
    groups: DisjointSet[str] = DisjointSet()
    scores: dict[str, float] = {}
    for pair in pairs:
        groups.union(pair.article_id, pair.other_id)
        for member in (pair.article_id, pair.other_id):
            scores[member] = max(scores.get(member, 0.0), pair.score)
    for copy_id, link in stored.items():
        groups.union(copy_id, link.canonical_id)
    new_links: list[DuplicateLink] = []
    unlinked: list[str] = []
    for members in groups.groups().values():
        canonical = min(members, key=lambda m: chronology[m])
        for member in members:
            previous = stored.get(member)
            if member == canonical:
                if previous:
                    unlinked.append(member)
                continue
            score = scores.get(member, previous.score if previous else 0.0)
            if (
                previous
                and previous.canonical_id == canonical
                and (member not in batch_ids or round(previous.score, 4) == round(score, 4))
            ):
                continue
            new_links.append(DuplicateLink(member, canonical, round(float(score), 4)))
    return LinkDecision(new_links, unlinked)


def _fingerprint_batch(
    batch: list[BatchArticle], settings: DedupSettings
) -> tuple[dict[int, CopyFingerprint], np.ndarray, np.ndarray]:
    """(seq -> fingerprint, and one (seq, anchor) row per distinct anchor of each article,
    sorted by article then anchor)."""
    fingerprints: dict[int, CopyFingerprint] = {
        b.seq: b.fingerprint or copy_fingerprint(b.body, settings) for b in batch
    }
    owners = np.repeat(
        np.fromiter(fingerprints, dtype=np.int64, count=len(fingerprints)),
        [len(fp.anchors) for fp in fingerprints.values()],
    )
    keys = np.unique(
        (owners << 32)
        | np.concatenate([fp.anchors for fp in fingerprints.values()]).view(np.uint32)
    )
    seqs, anchors = keys >> 32, (keys & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
    return fingerprints, seqs, anchors


def _stored_links(rows: dict[str, tuple[str, float]]) -> dict[str, StoredLink]:
    return {copy_id: StoredLink(canonical, score) for copy_id, (canonical, score) in rows.items()}


def _write_links(
    con: duckdb.DuckDBPyConnection, decision: LinkDecision, stored: dict[str, StoredLink]
) -> None:
    changed = [a for a in decision.rewritten if a in stored]  # ``stored`` has every member's
    if changed:  # delete + insert, not MERGE's update: see migration 008
        con.execute(f"DELETE FROM duplicate_links WHERE article_id IN {in_list(changed)}")
    if decision.new_links:
        insert_rows(
            con,
            "INSERT INTO duplicate_links SELECT article_id, canonical_id, score, $3, $4 "
            "FROM batch_rows",
            {
                "article_id": [x.article_id for x in decision.new_links],
                "canonical_id": [x.canonical_id for x in decision.new_links],
            },
            {"score": np.array([x.score for x in decision.new_links], dtype=np.float64)},
            [METHOD, datetime.now(UTC)],
        )


def link_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[BatchArticle],
    settings: DedupSettings,
) -> LinkResult:
    """Index ``batch`` and link every copy in it: read candidates, decide, write."""
    if not batch:
        return LinkResult([], {}, set())
    fingerprints, seqs, anchors = _fingerprint_batch(batch, settings)
    sentences = {seq: fp.sentence_count for seq, fp in fingerprints.items()}

    # Candidate search and index upkeep.
    frequent = _frequent_anchors(con)
    candidates, newly_frequent = _candidates(con, seqs, anchors, frequent, settings)
    _record_frequent(con, newly_frequent, settings)
    frequent = np.union1d(frequent, newly_frequent)
    indexable = ~np.isin(anchors, frequent)
    _index_anchors(con, seqs[indexable], anchors[indexable])
    if not candidates:
        return LinkResult([], sentences, set())

    # Read: the candidates' ids and groups; score each group through its best member.
    by_seq = {b.seq: b for b in batch}
    outside = sorted({o for cs in candidates.values() for o, _ in cs} - set(by_seq))
    known, order = _ids_by_seq(con, outside)
    id_of = {b.seq: b.article_id for b in batch} | known
    existing = _stored_links(_groups_of(con, sorted(set(known.values()))))
    chosen = choose_candidates(candidates, id_of, existing, settings.max_candidate_groups)
    needed = sorted({o for picks in chosen.values() for o in picks} - set(fingerprints))
    bodies = _bodies(con, sorted(id_of[s] for s in needed))
    fingerprints.update(
        zip(needed, copy_fingerprints([bodies[id_of[s]] for s in needed], settings), strict=True)
    )
    pairs = score_pairs(chosen, fingerprints, id_of, settings, frequent)
    if not pairs:
        return LinkResult([], sentences, set())

    # Read: the stored links of every group involved and the members' chronology.
    members = linked_articles(pairs)
    if all(b.fresh for b in batch):
        # Fresh articles have no links yet: the groups involved are among ``existing``.
        involved = set(members) | {existing[m].canonical_id for m in members if m in existing}
        stored = {
            m: link
            for m, link in existing.items()
            if m in involved or link.canonical_id in involved
        }
    else:
        stored = _stored_links(_groups_of(con, sorted(members)))
    order.update({b.article_id: b.chronology for b in batch})
    grouped = set(members) | set(stored) | {link.canonical_id for link in stored.values()}
    order.update(_chronology(con, [m for m in grouped if m not in order]))

    decision = decide(pairs, stored, order, {b.article_id for b in batch})
    _write_links(con, decision, stored)
    return LinkResult(decision.new_links, sentences, set(decision.rewritten) - set(by_seq))


def canonical_of(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        "SELECT article_id, canonical_id FROM duplicate_links "
        f"WHERE article_id IN {in_list(article_ids)}"
    ).fetchall()
    return dict(rows)
