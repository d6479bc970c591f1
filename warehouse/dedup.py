"""Near-duplicate (copy) linking against the persistent shingle index.

Incremental by construction: only the articles of the current batch are fingerprinted;
candidates come from one join of their sampled shingles against ``shingle_index`` (which
holds every loaded article's sample), and only candidate pairs are scored.

Every group of copies has one canonical: the earliest published article (first seen when
dates are missing; article id breaks ties). When a newly loaded article turns out to be
older than an existing canonical, the group is re-pointed at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np

from presswatch.settings import DedupSettings
from warehouse.fingerprints import CopyFingerprint, copy_fingerprint, copy_score, to_signed

METHOD = "sentence-shingles-v1"
# Candidates scored per new article, best first by shared sampled shingles.
_MAX_CANDIDATES = 20


@dataclass(frozen=True)
class DuplicateLink:
    article_id: str
    canonical_id: str
    score: float


def _chronology(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT article_id, coalesce(published_at, first_seen_at), first_seen_at "
        "FROM articles WHERE article_id IN (SELECT unnest(?))",
        [list(ids)],
    ).fetchall()
    return {r[0]: (r[1], r[2], r[0]) for r in rows}


def _bodies(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        "SELECT article_id, body_text FROM articles WHERE article_id IN (SELECT unnest(?))",
        [list(ids)],
    ).fetchall()
    return dict(rows)


def index_articles(
    con: duckdb.DuckDBPyConnection,
    fingerprints: dict[str, CopyFingerprint],
    settings: DedupSettings,
) -> None:
    """Replace the batch's rows in the shingle index with their current samples."""
    ids = list(fingerprints)
    con.execute("DELETE FROM shingle_index WHERE article_id IN (SELECT unnest(?))", [ids])
    samples = [to_signed(fp.sampled(settings.index_sample_modulus)) for fp in fingerprints.values()]
    if not samples:
        return
    batch = {
        "shingle": np.concatenate(samples),
        "article_id": np.repeat(np.array(ids, dtype=object), [len(s) for s in samples]),
    }
    con.register("batch_shingles", batch)
    try:
        con.execute("INSERT INTO shingle_index SELECT shingle, article_id FROM batch_shingles")
    finally:
        con.unregister("batch_shingles")


def _candidates(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], settings: DedupSettings
) -> dict[str, list[str]]:
    rows = con.execute(
        """WITH batch AS (SELECT shingle, article_id FROM shingle_index
                          WHERE article_id IN (SELECT unnest(?))),
           shared AS (
             SELECT b.article_id AS new_id, i.article_id AS other_id, count(*) AS n
             FROM batch b JOIN shingle_index i ON i.shingle = b.shingle
             WHERE i.article_id <> b.article_id
             GROUP BY b.article_id, i.article_id HAVING count(*) >= ?)
           SELECT new_id, other_id FROM shared
           QUALIFY row_number() OVER (PARTITION BY new_id ORDER BY n DESC, other_id) <= ?""",
        [list(ids), settings.candidate_min_shared, _MAX_CANDIDATES],
    ).fetchall()
    found: dict[str, list[str]] = {}
    for new_id, other_id in rows:
        found.setdefault(new_id, []).append(other_id)
    return found


def _existing_links(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str]
) -> dict[str, tuple[str, float]]:
    """Links of the groups that ``ids`` belong to (as copies or as canonicals)."""
    rows = con.execute(
        """WITH involved AS (
             SELECT unnest(?) AS id
             UNION SELECT canonical_id FROM duplicate_links WHERE article_id IN (SELECT unnest(?)))
           SELECT article_id, canonical_id, score FROM duplicate_links
           WHERE article_id IN (SELECT id FROM involved)
              OR canonical_id IN (SELECT id FROM involved)""",
        [list(ids), list(ids)],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def link_copies(
    con: duckdb.DuckDBPyConnection,
    article_ids: Sequence[str],
    settings: DedupSettings,
) -> list[DuplicateLink]:
    """Fingerprint and index ``article_ids``, link every copy among them; returns new links."""
    if not article_ids:
        return []
    bodies = _bodies(con, article_ids)
    fingerprints = {aid: copy_fingerprint(body, settings) for aid, body in bodies.items()}
    index_articles(con, fingerprints, settings)
    candidates = _candidates(con, list(fingerprints), settings)
    needed = {c for cs in candidates.values() for c in cs} - set(fingerprints)
    for aid, body in _bodies(con, sorted(needed)).items():
        fingerprints[aid] = copy_fingerprint(body, settings)

    # Union the batch with its matches and their existing groups, then pick canonicals.
    links = _existing_links(con, sorted(set(fingerprints)))
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        parent[root(a)] = root(b)

    scores: dict[str, float] = {}
    for new_id, others in candidates.items():
        for other_id in others:
            score = copy_score(fingerprints[new_id], fingerprints[other_id], settings)
            if score > 0:
                union(new_id, links.get(other_id, (other_id, 0))[0])
                union(new_id, other_id)
                scores[new_id] = max(scores.get(new_id, 0.0), score)
                scores[other_id] = max(scores.get(other_id, 0.0), score)
    for copy_id, (canonical_id, score) in links.items():
        if copy_id in parent or canonical_id in parent:
            union(copy_id, canonical_id)
            scores.setdefault(copy_id, score)

    groups: dict[str, list[str]] = {}
    for member in parent:
        groups.setdefault(root(member), []).append(member)
    order = _chronology(con, list(parent))
    new_links: list[DuplicateLink] = []
    now = datetime.now(UTC)
    for members in groups.values():
        canonical = min(members, key=lambda m: order[m])
        for member in members:
            if member == canonical:
                con.execute("DELETE FROM duplicate_links WHERE article_id = ?", [member])
                continue
            previous = links.get(member)
            if previous and previous[0] == canonical:
                continue
            score = round(float(scores.get(member, 0.0)), 4)
            con.execute(
                "INSERT OR REPLACE INTO duplicate_links VALUES (?, ?, ?, ?, ?)",
                [member, canonical, score, METHOD, now],
            )
            new_links.append(DuplicateLink(member, canonical, score))
    return new_links


def canonical_of(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, str]:
    rows = con.execute(
        "SELECT article_id, canonical_id FROM duplicate_links "
        "WHERE article_id IN (SELECT unnest(?))",
        [list(article_ids)],
    ).fetchall()
    return dict(rows)
