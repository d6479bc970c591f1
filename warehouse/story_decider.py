"""Which story each article of a dedupe batch joins: the pure decision of
``warehouse.stories.assign_batch`` (plain typed data in and out, no database).

In batch order (chronological), an article joins the story it is most similar to (its
strongest link to any member), or starts one. When it is strongly similar
(``merge_threshold``) to members of several stories, it bridges them: they merge into the
oldest. Weak links never merge stories, which keeps chains of loosely related articles
from snowballing into one topic-sized story. A copy always joins its canonical's story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from warehouse.disjoint_set import DisjointSet
from warehouse.loader import stable_id

Age = tuple[int, str]
"""(created_at in microseconds since the epoch, story id): older sorts first."""


def story_id_for(article_id: str) -> str:
    return "s" + stable_id("story", article_id)


@dataclass(frozen=True)
class Placing:
    """One batch article as the decider sees it."""

    article_id: str
    canonical: str | None  # the article it is a copy of, if any
    neighbours: tuple[tuple[str, float], ...]  # (earlier article id, cosine), best first


@dataclass(frozen=True)
class Member:
    article_id: str
    story_id: str
    score: float  # its strongest link into the story (1.0 for a copy or a story's first)


@dataclass(frozen=True)
class StoryDecision:
    members: tuple[Member, ...]  # one per batch article, in batch order; final story ids
    created: Mapping[str, str]  # story started by the batch -> the article that started it
    merged: Mapping[str, str]  # story -> the story it merged into (final)
    ages: Mapping[str, Age]  # age of every story involved, the new ones included


def decide(
    batch: Sequence[Placing],
    membership: Mapping[str, str],
    ages: Mapping[str, Age],
    merge_threshold: float,
    now_us: int,
) -> StoryDecision:
    """Place ``batch`` given ``membership`` (article id -> story of the earlier articles it
    refers to) and the ``ages`` of those stories. Stories started here are ordered by
    position, as if created one after another from ``now_us``."""
    placed = dict(membership)
    age_of = dict(ages)
    stories: DisjointSet[Age] = DisjointSet(age_of.values())

    def resolve(story: str) -> str:
        return stories.find(age_of[story])[1]

    created: dict[str, str] = {}
    chosen: list[tuple[str, str, float]] = []
    for position, placing in enumerate(batch):
        best: dict[str, float] = {}  # story -> strongest link of this article into it
        if placing.canonical is not None and placing.canonical in placed:
            best[resolve(placed[placing.canonical])] = 1.0
        else:
            for other, similarity in placing.neighbours:
                if other in placed:
                    story = resolve(placed[other])
                    best[story] = max(best.get(story, 0.0), similarity)
        if best:
            # Join the story it is closest to; merge others only on strong evidence.
            keep = min(best, key=lambda s: (-best[s], age_of[s]))
            score = best[keep]
            strong = [s for s, c in best.items() if c >= merge_threshold]
            if keep in strong:
                for other in strong:
                    stories.union(age_of[keep], age_of[other])
                keep = resolve(keep)
        else:
            score = 1.0
            keep = story_id_for(placing.article_id)
            age_of[keep] = (now_us + position, keep)
            stories.add(age_of[keep])
            created[keep] = placing.article_id
        placed[placing.article_id] = keep
        chosen.append((placing.article_id, keep, round(score, 4)))
    merged = {s: resolve(s) for s in age_of if resolve(s) != s}
    return StoryDecision(
        members=tuple(Member(a, resolve(s), score) for a, s, score in chosen),
        created=created,
        merged=merged,
        ages=age_of,
    )
