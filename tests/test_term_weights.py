"""Story term weights against the warehouse's document counts (``textanalysis.term_weights``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import Settings
from tests.helpers import article, fresh_db, load_and_dedupe
from textanalysis.fingerprints import TermCounts, Terms
from textanalysis.term_weights import CorpusCounts, vocabulary, weigh
from warehouse.rebuild import rebuild

TOP, PRIOR = 5, 50.0


def _weigh_in_batches(
    articles: list[tuple[str, TermCounts, bool]], cut: int
) -> tuple[list[Terms], dict[tuple[str, int], int], dict[str, int]]:
    """Weigh ``articles`` (language, candidates, counted) in two batches split at ``cut``,
    carrying the counts from one to the next as the warehouse does."""
    stored: dict[tuple[str, int], int] = {}
    totals: dict[str, int] = {}
    found: list[Terms] = []
    for part in (articles[:cut], articles[cut:]):
        if not part:
            continue
        languages = [a[0] for a in part]
        candidates = [a[1] for a in part]
        words = vocabulary(candidates, languages)
        keys = [
            (words.languages[k], t)
            for k, t in zip(words.key_language.tolist(), words.key_term.tolist(), strict=True)
        ]
        before = CorpusCounts(np.array([stored.get(k, 0) for k in keys], dtype=np.int64), totals)
        weighed = weigh(candidates, [a[2] for a in part], words, before, TOP, PRIOR)
        stored.update(zip(keys, weighed.counts_after.key_documents.tolist(), strict=True))
        totals = weighed.counts_after.language_documents
        found += weighed.terms
    return found, stored, totals


_article = st.tuples(
    st.sampled_from(["en", "de"]),
    st.dictionaries(
        st.integers(0, 30), st.tuples(st.integers(1, 5), st.floats(1e-6, 1.0)), max_size=12
    ),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_article, min_size=1, max_size=8), st.data())
def test_any_split_into_batches_gives_the_same_weights_and_counts(raw, data) -> None:
    """Each article is weighed against the counts of the articles before it, so where the
    batches are cut changes nothing (``dedupe --rebuild`` reproduces incremental runs)."""
    articles = []
    for language, terms, counted in raw:
        ids = np.array(sorted(terms), dtype=np.int64)
        counts = np.array([terms[t][0] for t in sorted(terms)], dtype=np.int64)
        presence = np.array([terms[t][1] for t in sorted(terms)], dtype=np.float64)
        articles.append((language, TermCounts(ids, counts, presence), counted))
    whole = _weigh_in_batches(articles, len(articles))
    split = _weigh_in_batches(articles, data.draw(st.integers(0, len(articles))))
    for one, other in zip(whole[0], split[0], strict=True):
        assert one.ids.tolist() == other.ids.tolist()
        assert np.allclose(one.weights, other.weights)
    assert whole[1] == split[1] and whole[2] == split[2]
    # Only counted articles count; each counts once per language and term.
    for language in ("en", "de"):
        assert whole[2].get(language, 0) == sum(a[0] == language and a[2] for a in articles)


def test_a_term_every_article_carries_weighs_less_than_a_rare_one() -> None:
    """The same general-language statistics, but one term is in every earlier article."""
    common, rare = 1, 2
    earlier = TermCounts(np.array([common]), np.array([1]), np.array([0.001]))
    latest = TermCounts(np.array([common, rare]), np.array([1, 1]), np.array([0.001, 0.001]))
    found, _stored, _totals = _weigh_in_batches(
        [("en", earlier, True)] * 20 + [("en", latest, True)], 10
    )
    weights = found[-1].as_dict()
    assert weights[rare] > 2 * weights[common] > 0
    assert found[-1].ids.tolist() == [rare, common]  # heaviest first
    assert np.isclose(np.linalg.norm(found[-1].weights), 1.0)


def test_the_warehouse_counts_each_article_once(db_path: Path) -> None:
    """Counts follow the articles first deduplicated; deduplicating a changed article
    again weighs it but does not count it twice."""
    con = fresh_db(db_path)
    text = "Haringey council published the Laming review of child protection today."
    load_and_dedupe(con, {"a": article(text, "Laming review"), "b": article(text + " More.", "B")})
    counts = lambda: con.execute(  # noqa: E731
        "SELECT language, documents FROM story_language_documents"
    ).fetchall()
    assert counts() == [("en", 2)]
    terms = con.execute("SELECT count(*), max(documents) FROM story_term_documents").fetchone()
    assert terms[0] > 0 and terms[1] == 2
    load_and_dedupe(con, {"a": article(text + " Updated.", "Laming review")})
    assert counts() == [("en", 2)]


def test_a_rebuild_counts_every_article_as_incremental_runs_did(db_path: Path) -> None:
    con = fresh_db(db_path)
    load_and_dedupe(
        con,
        {
            "a": article("Haringey council published the Laming review today.", "Review"),
            "b": replace(
                article("Die Regierung in Berlin beschloss das Gesetz heute.", "Gesetz"),
                language="de",
            ),
            "c": article("Ofsted inspected Haringey children's services again.", "Ofsted"),
        },
    )
    state = lambda: (  # noqa: E731
        sorted(con.execute("SELECT * FROM story_language_documents").fetchall()),
        sorted(con.execute("SELECT * FROM story_term_documents").fetchall()),
    )
    before = state()
    assert sum(n for _language, n in before[0]) == 3
    rebuild(con, Settings(), batch_size=2)
    assert state() == before
