"""Recompute every copy link and story from scratch with the current settings.

The indexes, links and stories are cleared and every article is deduplicated again, in
chronological order (published, else first seen), in batches, through the same
``dedupe_in_order`` the flows use; all in one transaction, so a failed rebuild leaves the
previous state untouched. The report compares before and after: links added, removed or
re-pointed at another canonical, story counts, and the articles whose story changed
(judged by the story's members, since story ids of merged or re-founded stories differ).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import duckdb

from config.settings import Settings
from warehouse import anchor_index
from warehouse.db import transaction
from warehouse.dedupe import CHRONOLOGICAL, dedupe_in_order
from warehouse.summaries import refresh as refresh_summaries

DERIVED_TABLES = (
    "duplicate_links",
    "story_members",
    "stories",
    "shingle_index",
    "article_terms",
    "story_term_documents",
    "story_language_documents",
    "frequent_anchors",
    "dedup_index",
)
_SAMPLE = 20  # ids listed per kind of change in the report


@dataclass
class RebuildReport:
    articles: int
    batches: int
    seconds: float
    links_before: int
    links_after: int
    links_added: int
    links_removed: int
    canonical_changed: int
    stories_before: int
    stories_after: int
    articles_changed_story: int
    examples: dict[str, list] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _links(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT article_id, canonical_id FROM duplicate_links").fetchall())


def _partition(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """article -> the members of its story (a story id-independent view of the grouping)."""
    members: dict[str, set[str]] = {}
    rows = con.execute("SELECT article_id, story_id FROM story_members").fetchall()
    for article_id, story_id in rows:
        members.setdefault(story_id, set()).add(article_id)
    frozen = {story: frozenset(ids) for story, ids in members.items()}
    return {article_id: frozen[story_id] for article_id, story_id in rows}


def rebuild(
    con: duckdb.DuckDBPyConnection, settings: Settings, batch_size: int = 2000
) -> RebuildReport:
    started = time.perf_counter()
    links_before = _links(con)
    groups_before = _partition(con)
    stories_before = len(set(groups_before.values()))
    ids = [
        r[0]
        for r in con.execute(f"SELECT article_id FROM articles ORDER BY {CHRONOLOGICAL}").fetchall()
    ]
    with transaction(con):
        for table in DERIVED_TABLES:
            con.execute(f"DELETE FROM {table}")
        anchor_index.new_epoch(con)  # every process's in-memory anchor index is stale
        dedupe_in_order(con, ids, settings, batch_size)
        refresh_summaries(con)
        con.execute(
            """MERGE INTO dedup_state
               USING (VALUES ('rebuilt_at', ?), ('settings', ?)) AS new(key, value)
               ON dedup_state.key = new.key WHEN MATCHED THEN UPDATE SET value = new.value
               WHEN NOT MATCHED THEN INSERT VALUES (new.key, new.value)""",
            [
                datetime.now(UTC).isoformat(),
                json.dumps({"dedup": asdict(settings.dedup), "stories": asdict(settings.stories)}),
            ],
        )
    links_after = _links(con)
    groups_after = _partition(con)

    added = sorted(set(links_after) - set(links_before))
    removed = sorted(set(links_before) - set(links_after))
    changed = sorted(
        a for a in set(links_after) & set(links_before) if links_after[a] != links_before[a]
    )
    moved = sorted(a for a in groups_after if groups_before.get(a) != groups_after[a])
    return RebuildReport(
        articles=len(ids),
        batches=-(-len(ids) // batch_size),
        seconds=round(time.perf_counter() - started, 2),
        links_before=len(links_before),
        links_after=len(links_after),
        links_added=len(added),
        links_removed=len(removed),
        canonical_changed=len(changed),
        stories_before=stories_before,
        stories_after=len(set(groups_after.values())),
        articles_changed_story=len(moved),
        examples={
            "links_added": [[a, links_after[a]] for a in added[:_SAMPLE]],
            "links_removed": [[a, links_before[a]] for a in removed[:_SAMPLE]],
            "canonical_changed": [[a, links_before[a], links_after[a]] for a in changed[:_SAMPLE]],
            "articles_changed_story": moved[:_SAMPLE],
        },
    )
