"""The pure parts of copy linking: the disjoint set, candidate choice and ``decide``."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from warehouse.copies import (
    DuplicateLink,
    ScoredPair,
    StoredLink,
    choose_candidates,
    decide,
    linked_articles,
)
from warehouse.disjoint_set import DisjointSet


def _chronology(*ids: str) -> dict[str, tuple[int, int, str]]:
    """Ids in the order given, earliest first."""
    return {article_id: (k, k, article_id) for k, article_id in enumerate(ids)}


def _final_links(
    stored: dict[str, StoredLink], decision_links: list[DuplicateLink], rewritten: list[str]
) -> dict[str, str]:
    """The ``duplicate_links`` table after the decision is written (copy -> canonical)."""
    links = {a: link.canonical_id for a, link in stored.items() if a not in set(rewritten)}
    links.update({link.article_id: link.canonical_id for link in decision_links})
    return links


# --- DisjointSet ---------------------------------------------------------------------------


def test_disjoint_set_smallest_key_represents_its_set() -> None:
    sets: DisjointSet[str] = DisjointSet()
    sets.union("c", "b")
    sets.union("d", "c")
    assert sets.find("d") == "b"
    assert sets.groups() == {"b": ["c", "b", "d"]}
    assert sets.find("zz") == "zz" and "zz" not in sets


pairs_of_ints = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=60)


@given(pairs_of_ints, st.randoms())
def test_disjoint_set_result_does_not_depend_on_union_order(pairs, rnd) -> None:
    forward: DisjointSet[int] = DisjointSet()
    for a, b in pairs:
        forward.union(a, b)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    backward: DisjointSet[int] = DisjointSet()
    for a, b in shuffled:
        backward.union(b, a)
    assert {k: sorted(v) for k, v in forward.groups().items()} == {
        k: sorted(v) for k, v in backward.groups().items()
    }


@given(pairs_of_ints)
def test_disjoint_set_joins_exactly_the_connected_keys(pairs) -> None:
    sets: DisjointSet[int] = DisjointSet()
    for a, b in pairs:
        sets.union(a, b)
    for root, members in sets.groups().items():
        assert root == min(members)
        assert all(sets.find(m) == root for m in members)
    for a, b in pairs:
        assert sets.find(a) == sets.find(b)


# --- choose_candidates ---------------------------------------------------------------------


def test_one_candidate_per_copy_group_best_first_and_capped() -> None:
    candidates = {10: [(1, 9), (2, 8), (3, 7), (4, 6), (99, 5)]}
    id_of = {1: "a1", 2: "a2", 3: "a3", 4: "a4", 10: "new"}  # 99: stale index row
    stored = {"a2": StoredLink("a1", 0.9)}  # a2 is a copy of a1: same group
    assert choose_candidates(candidates, id_of, stored, max_groups=8) == {10: [1, 3, 4]}
    assert choose_candidates(candidates, id_of, stored, max_groups=2) == {10: [1, 3]}


# --- decide --------------------------------------------------------------------------------


def test_a_copy_links_to_the_earlier_article() -> None:
    decision = decide(
        [ScoredPair("late", "early", 0.91234)],
        stored={},
        chronology=_chronology("early", "late"),
        batch_ids={"late"},
    )
    assert decision.new_links == [DuplicateLink("late", "early", 0.9123)]
    assert decision.unlinked == []


def test_an_older_newcomer_becomes_the_canonical_of_an_existing_group() -> None:
    stored = {"copy": StoredLink("old_canonical", 0.8)}
    decision = decide(
        [ScoredPair("older", "old_canonical", 0.7)],
        stored=stored,
        chronology=_chronology("older", "old_canonical", "copy"),
        batch_ids={"older"},
    )
    assert set(decision.new_links) == {
        DuplicateLink("old_canonical", "older", 0.7),
        DuplicateLink("copy", "older", 0.8),  # re-pointed, keeps its stored score
    }
    assert decision.unlinked == []


def test_a_stored_copy_that_turns_out_earliest_loses_its_link() -> None:
    stored = {"b": StoredLink("c", 0.6)}
    chronology = _chronology("b", "c")
    decision = decide([ScoredPair("c", "b", 0.6)], stored, chronology, batch_ids={"b"})
    assert decision.unlinked == ["b"]
    assert decision.new_links == [DuplicateLink("c", "b", 0.6)]


def test_an_unchanged_link_outside_the_batch_is_not_rewritten() -> None:
    stored = {"copy": StoredLink("canonical", 0.5)}
    decision = decide(
        [ScoredPair("new", "copy", 0.95)],
        stored=stored,
        chronology=_chronology("canonical", "copy", "new"),
        batch_ids={"new"},
    )
    # "copy" scores 0.95 against "new" but keeps its own stored link and score.
    assert decision.new_links == [DuplicateLink("new", "canonical", 0.95)]
    assert decision.rewritten == ["new"]


def test_linked_articles_in_first_seen_order() -> None:
    pairs = [ScoredPair("b", "a", 0.5), ScoredPair("c", "b", 0.5)]
    assert linked_articles(pairs) == ["b", "a", "c"]


# --- decide: properties ---------------------------------------------------------------------

ids = st.sampled_from([f"art{k:02d}" for k in range(12)])
scored_pairs = st.lists(
    st.builds(ScoredPair, ids, ids, st.floats(0.01, 1.0)).filter(
        lambda p: p.article_id != p.other_id
    ),
    min_size=1,
    max_size=25,
)


@st.composite
def stored_groups(draw) -> dict[str, StoredLink]:
    """Stored links that are a valid state: each copy points at its group's earliest member."""
    members = draw(st.lists(ids, unique=True, max_size=8))
    groups = draw(st.lists(st.integers(0, 2), min_size=len(members), max_size=len(members)))
    by_group: dict[int, list[str]] = {}
    for member, group in zip(members, groups, strict=True):
        by_group.setdefault(group, []).append(member)
    stored: dict[str, StoredLink] = {}
    for group_members in by_group.values():
        canonical = min(group_members)  # chronology below orders ids by name
        for member in group_members:
            if member != canonical:
                stored[member] = StoredLink(canonical, 0.5)
    return stored


def _by_name_chronology() -> dict[str, tuple[int, int, str]]:
    return {f"art{k:02d}": (k, 0, f"art{k:02d}") for k in range(12)}


@given(scored_pairs, stored_groups(), st.randoms())
def test_decide_does_not_depend_on_pair_order(pairs, stored, rnd: random.Random) -> None:
    batch = {p.article_id for p in pairs}
    first = decide(pairs, stored, _by_name_chronology(), batch)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    second = decide(shuffled, stored, _by_name_chronology(), batch)
    assert set(first.new_links) == set(second.new_links)
    assert set(first.unlinked) == set(second.unlinked)


@given(scored_pairs, stored_groups())
def test_every_copy_points_at_its_groups_earliest_article_without_cycles(pairs, stored) -> None:
    chronology = _by_name_chronology()
    decision = decide(pairs, stored, chronology, {p.article_id for p in pairs})
    links = _final_links(stored, decision.new_links, decision.rewritten)
    groups: DisjointSet[str] = DisjointSet()
    for pair in pairs:
        groups.union(pair.article_id, pair.other_id)
    for copy_id, link in stored.items():
        groups.union(copy_id, link.canonical_id)
    for members in groups.groups().values():
        earliest = min(members, key=lambda m: chronology[m])
        assert earliest not in links  # a canonical is nobody's copy: no cycles, no chains
        for member in members:
            if member != earliest:
                assert links[member] == earliest
    assert all(canonical not in links for canonical in links.values())
    # A former canonical re-pointed without a pair of its own scores 0.0 (as before the split).
    assert all(0 <= link.score <= 1 for link in decision.new_links)
