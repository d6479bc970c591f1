"""Story grouping on real text (the seeds, WCXB articles) through a real DuckDB warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from extractors.plaintext import extract_plaintext
from tests.conftest import SEEDS
from tests.helpers import article, fresh_db, load_and_dedupe
from testsupport.corpus import paragraphs
from textanalysis.fingerprints import cosine, term_vector

# Unrelated real articles (nutrition trends, cloud computing).
NUTRITION, CLOUD = "0004", "0005"


def stories(con) -> dict[str, str]:
    return dict(con.execute("SELECT article_id, story_id FROM story_members").fetchall())


def seed_articles() -> dict[str, object]:
    return {p.name[:3]: extract_plaintext(p.read_bytes()) for p in sorted(SEEDS.glob("*.txt"))}


@pytest.mark.parametrize("order", ["file order", "reversed"])
def test_seeds_are_one_story_and_only_000_and_001_are_copies(db_path: Path, order: str) -> None:
    seeds = seed_articles()
    names = sorted(seeds, reverse=order == "reversed")
    con = fresh_db(db_path)
    ids = load_and_dedupe(con, {name: seeds[name] for name in names})
    pairs = set(con.execute("SELECT article_id, canonical_id FROM duplicate_links").fetchall())
    first, second = ("000", "001") if order == "file order" else ("001", "000")
    assert pairs == {(ids[second], ids[first])}  # undated: the first seen is the canonical
    assert len(set(stories(con).values())) == 1
    assert con.execute("SELECT count(*) FROM stories").fetchone() == (1,)


def test_unrelated_articles_start_their_own_stories(db_path: Path) -> None:
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "nutrition": article("\n\n".join(paragraphs(NUTRITION)[:10]), title="Diet trends"),
            "cloud": article("\n\n".join(paragraphs(CLOUD)[:10]), title="Cloud computing"),
        },
    )
    story = stories(con)
    assert story[ids["nutrition"]] != story[ids["cloud"]]


def test_a_bridging_article_merges_two_stories(db_path: Path) -> None:
    nutrition = paragraphs(NUTRITION)[:10]
    cloud = paragraphs(CLOUD)[:10]
    bridge = nutrition[:5] + cloud[:5]  # one report covering both developments
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "nutrition": article(
                "\n\n".join(nutrition), title="Diet trends", published=date(2025, 1, 1)
            ),
            "cloud": article("\n\n".join(cloud), title="Cloud costs", published=date(2025, 1, 1)),
        },
    )
    assert len(set(stories(con).values())) == 2
    ids |= load_and_dedupe(
        con,
        {"bridge": article("\n\n".join(bridge), title="Both", published=date(2025, 1, 2))},
    )
    story = stories(con)
    assert story[ids["nutrition"]] == story[ids["cloud"]] == story[ids["bridge"]]
    assert con.execute("SELECT count(*) FROM stories").fetchone() == (1,)
    label = con.execute("SELECT label FROM stories").fetchone()[0]
    assert label in ("Diet trends", "Cloud costs")  # the earliest original's headline


def test_articles_outside_the_time_window_start_a_new_story(db_path: Path) -> None:
    text = "\n\n".join(paragraphs(NUTRITION)[:10])
    later = "\n\n".join(paragraphs(NUTRITION)[10:20])
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "january": article(text, title="Diet trends", published=date(2025, 1, 1)),
            "june": article(later, title="Diet trends again", published=date(2025, 6, 1)),
        },
    )
    story = stories(con)
    assert story[ids["january"]] != story[ids["june"]]


def test_term_vectors_weigh_names_over_common_words() -> None:
    seeds = seed_articles()
    vectors = {k: term_vector(f"{a.title}\n{a.title}\n{a.text}", 40) for k, a in seeds.items()}
    top = list(vectors["000"])[:5]
    assert "laming" in top
    assert "said" not in vectors["000"]
    assert cosine(vectors["002"], vectors["003"]) > 0.3


def test_labels_kept_incrementally_equal_a_recomputation_from_all_members(
    db_path: Path,
) -> None:
    """Batches arrive out of order: an older original, then an even older version of it
    (which makes the first a copy), then a bridge merging another story in. After each,
    every story's label is its earliest original's headline, as a full scan finds it."""
    nutrition, cloud = paragraphs(NUTRITION)[:12], paragraphs(CLOUD)[:10]
    steps = [
        {
            "late": article("\n\n".join(nutrition[:8]), "Late take", date(2025, 1, 5)),
            "cloud": article("\n\n".join(cloud), "Cloud costs", date(2025, 1, 2)),
        },
        {"earlier": article("\n\n".join(nutrition[2:10]), "Earlier take", date(2025, 1, 3))},
        {"first": article("\n\n".join(nutrition[2:10]), "First version", date(2025, 1, 1))},
        {
            "bridge": article(
                "\n\n".join(nutrition[:2] + nutrition[10:12] + cloud[:5]),
                "Both stories",
                date(2025, 1, 6),
            )
        },
    ]
    con = fresh_db(db_path)
    expected_labels = ["Late take", "Earlier take", "First version", "First version"]
    for items, label in zip(steps, expected_labels, strict=True):
        ids = load_and_dedupe(con, items, source=next(iter(items)))
        stored = con.execute(
            "SELECT story_id, label, label_article_id FROM stories ORDER BY story_id"
        ).fetchall()
        recomputed = con.execute(
            """SELECT s.story_id,
                      coalesce(arg_min(a.title, (coalesce(a.published_at, a.first_seen_at),
                                                 a.article_id)), any_value(s.label)),
                      arg_min(a.article_id, (coalesce(a.published_at, a.first_seen_at),
                                             a.article_id))
               FROM stories s JOIN story_members m USING (story_id)
               LEFT JOIN articles a ON a.article_id = m.article_id AND a.title IS NOT NULL
                 AND a.article_id NOT IN (SELECT article_id FROM duplicate_links)
               GROUP BY s.story_id ORDER BY s.story_id"""
        ).fetchall()
        assert stored == recomputed
        story_of = stories(con)
        labels = {story: label for story, label, _holder in stored}
        assert labels[story_of[ids[next(iter(items))]]] == label
    assert con.execute("SELECT count(*), count(DISTINCT story_id) FROM stories").fetchone() == (
        1,
        1,
    )
    assert con.execute(
        "SELECT count(*) = count(DISTINCT article_id) FROM story_members"
    ).fetchone() == (True,)
