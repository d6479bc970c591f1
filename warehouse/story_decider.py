"""Which story each article of a dedupe batch joins: the pure decision of
``warehouse.stories.assign_batch`` (plain typed data in and out, no database).

In batch order (chronological), an article joins the story its link is strongest to (its
strongest link to any member: the cosine discounted for the days between them,
``discounted``), or starts one. When it is strongly linked (``merge_threshold``) to
members of several stories, it bridges them: they merge into the oldest. Weak links never
merge stories, which keeps chains of loosely related articles from snowballing into one
topic-sized story. A copy always joins its canonical's story.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from warehouse.disjoint_set import DisjointSet
from warehouse.loader import stable_id

Age = tuple[int, str]
"""(created_at in microseconds since the epoch, story id): older sorts first."""


UNDATED_DAY = date.min
"""The day stored for an article with no publication date (only the day it was first seen)."""
UNDATED = (UNDATED_DAY - date(1970, 1, 1)).days
"""``UNDATED_DAY`` as a day number (days since 1970-01-01)."""


def days_apart(days: np.ndarray, other_days: np.ndarray) -> np.ndarray:
    """Days between the two articles of each pair (given as day numbers), 0 where either is
    undated: what the story window and the time discount measure.

    An article without a publication date has an *unknown* distance to every other, not a
    large one: the day it was first seen may be years after it was written (a seed or an
    archive page loaded today). Its pairs are judged by similarity alone; only two dated
    articles are kept apart by the window or discounted for their distance.
    """
    undated = (days == UNDATED) | (other_days == UNDATED)
    return np.where(undated, 0, np.abs(days - other_days))


def discounted(cosine: np.ndarray, apart: np.ndarray, decay_days: float) -> np.ndarray:
    """Each pair's cosine divided by ``1 + apart / decay_days`` (``apart`` from
    ``days_apart``): the link strength the thresholds are applied to.

    Reports of one event mostly appear within a day or two of each other, while unrelated
    reports on one topic (two statements of one agency, a subject covered every few weeks)
    share its vocabulary and are spread over weeks; a link between articles days apart
    needs more shared terms.
    """
    return cosine / (1.0 + apart / decay_days)


def story_id_for(article_id: str) -> str:
    return "s" + stable_id("story", article_id)


@dataclass(frozen=True)
class Placing:
    """One batch article as the decider sees it."""

    article_id: str
    canonical: str | None  # the article it is a copy of, if any
    neighbours: tuple[tuple[str, float], ...]  # (earlier article id, link), strongest first


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
            for other, link in placing.neighbours:
                if other in placed:
                    story = resolve(placed[other])
                    best[story] = max(best.get(story, 0.0), link)
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
