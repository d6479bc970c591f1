"""Copy detection on real article text (WCXB corpus) through a real DuckDB warehouse."""

from __future__ import annotations

import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.settings import DedupSettings, Settings
from tests.helpers import article, dedup_outcome, fresh_db, ingest_at_once, load_and_dedupe
from testsupport import synth
from testsupport.corpus import main_content, paragraphs
from textanalysis.fingerprints import (
    Analysis,
    ArticleText,
    analyse_ahead,
    analyse_batch,
    copy_fingerprint,
    copy_fingerprints,
    copy_score,
    in_sorted,
    split_sentences,
    term_id,
)
from warehouse import dedupe, loader
from warehouse.copies import METHOD

SETTINGS = DedupSettings()
# Three real, unrelated articles (two share a topic: nutrition trends).
ORIGINAL, SAME_TOPIC, OTHER = "0004", "0003", "0005"


def links(con) -> set[tuple[str, str]]:
    return set(con.execute("SELECT article_id, canonical_id FROM duplicate_links").fetchall())


def test_truncated_copy_with_new_headline_and_byline_is_linked(db_path: Path) -> None:
    body = paragraphs(ORIGINAL)
    copy = (
        "By Staff Writer\n\n"
        + "\n\n".join(body[:-3])
        + "\n\nThis article originally appeared elsewhere."
    )
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "original": article("\n\n".join(body), published=date(2025, 1, 1)),
            "copy": article(copy, title="A different headline", published=date(2025, 1, 2)),
        },
    )
    assert links(con) == {(ids["copy"], ids["original"])}
    score = con.execute("SELECT score, method FROM duplicate_links").fetchone()
    assert score[0] > 0.9 and score[1] == METHOD


def test_rewrite_keeping_a_third_of_sentences_is_a_copy() -> None:
    kept = split_sentences(main_content(ORIGINAL))[::3]
    new_material = split_sentences(main_content(OTHER))[: 2 * len(kept)]
    rewrite = " ".join(
        s for pair in zip(kept, new_material[::2], new_material[1::2], strict=False) for s in pair
    )
    score = copy_score(
        copy_fingerprint(rewrite, SETTINGS),
        copy_fingerprint(main_content(ORIGINAL), SETTINGS),
        SETTINGS,
    )
    assert score >= 0.3


def test_small_edits_and_typography_changes_are_still_a_copy() -> None:
    original = main_content(ORIGINAL)
    words = original.split()
    edited = [w.upper() if i % 40 == 0 else w for i, w in enumerate(words)]  # 2.5% edited
    edited_text = " ".join(edited).replace("'", "\u2019").replace(" - ", " \u2014 ")
    score = copy_score(
        copy_fingerprint(edited_text, SETTINGS), copy_fingerprint(original, SETTINGS), SETTINGS
    )
    assert score >= 0.9  # case is normalised; quote and dash styles too


def test_sharing_two_quoted_sentences_is_not_a_copy() -> None:
    quoted = split_sentences(main_content(ORIGINAL))[3:5]
    other = main_content(SAME_TOPIC) + "\n\n" + " ".join(quoted)
    score = copy_score(
        copy_fingerprint(other, SETTINGS),
        copy_fingerprint(main_content(ORIGINAL), SETTINGS),
        SETTINGS,
    )
    assert score == 0.0


def test_shared_site_furniture_does_not_make_unrelated_articles_copies(db_path: Path) -> None:
    furniture = (
        "Subscribe to our newsletter for the latest updates delivered to your inbox every week.\n\n"
        "Copyright 2025 Example Media Group. All rights reserved. "
        "Terms of use and privacy policy apply.\n\n"
        "Follow us on social media and share this story with your friends and family today."
    )
    con = fresh_db(db_path)
    load_and_dedupe(
        con,
        {
            "a": article(main_content(ORIGINAL) + "\n\n" + furniture),
            "b": article(main_content(SAME_TOPIC) + "\n\n" + furniture),
        },
    )
    assert links(con) == set()


def test_an_older_article_loaded_later_becomes_the_canonical(db_path: Path) -> None:
    text = main_content(ORIGINAL)
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "republished": article(text, published=date(2025, 3, 1)),
            "second_copy": article(text, published=date(2025, 3, 2)),
            "first_published": article(text, published=date(2025, 2, 1)),
        },
    )
    assert links(con) == {
        (ids["republished"], ids["first_published"]),
        (ids["second_copy"], ids["first_published"]),
    }


def test_dedupe_again_changes_nothing(db_path: Path) -> None:
    from warehouse.dedupe import dedupe_articles

    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {"a": article(main_content(ORIGINAL)), "b": article(main_content(ORIGINAL))},
    )
    before = con.execute("SELECT * FROM duplicate_links ORDER BY 1").fetchall()
    result = dedupe_articles(con, list(ids.values()), Settings())
    assert result.links == []
    assert con.execute("SELECT * FROM duplicate_links ORDER BY 1").fetchall() == before
    assert con.execute("SELECT count(*) FROM story_members").fetchone() == (2,)
    assert con.execute("SELECT count(DISTINCT story_id) FROM story_members").fetchone() == (1,)


def test_unrelated_articles_get_separate_stories_and_copies_join_their_canonical(
    db_path: Path,
) -> None:
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "nutrition": article(main_content(ORIGINAL), title="Nutrition trends"),
            "cloud": article(main_content(OTHER), title="Cloud computing"),
            "nutrition_copy": article("\n\n".join(paragraphs(ORIGINAL)[:-2]), title="Copy"),
        },
    )
    story = dict(con.execute("SELECT article_id, story_id FROM story_members").fetchall())
    assert story[ids["nutrition"]] == story[ids["nutrition_copy"]]
    assert story[ids["cloud"]] != story[ids["nutrition"]]
    labels = dict(con.execute("SELECT story_id, label FROM stories").fetchall())
    assert labels[story[ids["nutrition"]]] == "Nutrition trends"  # the original's headline


# --- every syndication transformation, hard negatives (testsupport/synth.py) -------------------


POOL = ("0100", "0200", "0005", "0003")  # unrelated real articles: a rewriter's new material


def _context(seed: int) -> synth.Context:
    sentences = [
        s
        for fid in POOL
        for p in paragraphs(fid)
        for s in synth.sentences(p)
        if synth.words(s) >= 6
    ]
    furniture = [
        synth.Page(
            "x",
            "x.example",
            "x",
            (),
            (),
            tuple(f"Furniture line {k} of site {s}." for k in range(3)),
        )
        for s in range(3)
    ]
    return synth.Context(
        rng=random.Random(seed),
        pool_sentences=sentences,
        other_titles=[f"Another headline about topic number {k}" for k in range(10)],
        furniture_pages=furniture,
        vocabulary=["alpha", "bravo", "charlie", "delta", "echo"],
    )


@pytest.mark.parametrize("name", sorted(synth.COPY_TRANSFORMS))
def test_every_syndication_transformation_is_linked_to_the_original(
    db_path: Path, name: str
) -> None:
    body = paragraphs(ORIGINAL)[:12]
    draft = synth.COPY_TRANSFORMS[name](synth.Draft("Diet trends", list(body)), _context(3))
    con = fresh_db(db_path)
    ids = load_and_dedupe(
        con,
        {
            "copy": article(
                "\n\n".join(draft.paragraphs), title=draft.title, published=date(2025, 1, 3)
            ),
            "original": article("\n\n".join(body), title="Diet trends", published=date(2025, 1, 1)),
        },
    )
    assert links(con) == {(ids["copy"], ids["original"])}


def test_unrelated_same_site_articles_in_identical_furniture_are_not_copies(db_path: Path) -> None:
    ctx = _context(5)
    site = synth.site_template(
        ctx.rng,
        ctx.furniture_pages[:2],
        [synth.Page("", "", t, (), (), ()) for t in ctx.other_titles[:4]],
    )
    con = fresh_db(db_path)
    load_and_dedupe(
        con,
        {
            ref: article("\n\n".join(site.wrap(paragraphs(fid)[:6])), outlet=site.name)
            for ref, fid in (("a", ORIGINAL), ("b", SAME_TOPIC), ("c", OTHER))
        },
    )
    assert links(con) == set()


def test_articles_quoting_the_same_sentences_are_not_copies(db_path: Path) -> None:
    rng = random.Random(2)
    source = [s for p in paragraphs(ORIGINAL) for s in synth.sentences(p) if synth.words(s) >= 6]
    quotes = synth.quote_block(source, rng)
    con = fresh_db(db_path)
    load_and_dedupe(
        con,
        {
            "source": article(main_content(ORIGINAL)),
            "a": article("\n\n".join(synth.insert_quotes(paragraphs(SAME_TOPIC)[:8], quotes, rng))),
            "b": article("\n\n".join(synth.insert_quotes(paragraphs(OTHER)[:8], quotes, rng))),
        },
    )
    assert links(con) == set()


def test_boilerplate_in_many_articles_becomes_a_frequent_anchor(db_path: Path) -> None:
    from dataclasses import replace

    from warehouse.dedupe import dedupe_articles

    settings = Settings(dedup=replace(DedupSettings(), anchor_max_df=3))
    footer = "This newsletter is produced by the editorial team of the regional weekly paper."
    con = fresh_db(db_path)
    source_id = loader.ensure_source(con, "test", "boilerplate")
    texts = [p for fid in POOL for p in paragraphs(fid) if synth.words(p) > 40][:6]
    for k, text in enumerate(texts):
        run_id = loader.start_run(con, "test", "boilerplate")
        result = loader.load_articles(
            con, source_id, run_id, [loader.ArticleInput(f"a{k}", article(text + "\n\n" + footer))]
        )
        dedupe_articles(con, result.changed, settings)
    assert con.execute("SELECT count(*) FROM frequent_anchors").fetchone()[0] >= 1
    assert links(con) == set()


def test_the_in_memory_anchor_index_finds_what_the_sql_join_finds(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import anchor_index

    ctx = _context(8)
    body = paragraphs(ORIGINAL)[:12]
    items = {"original": article("\n\n".join(body), published=date(2025, 1, 1))}
    for k, name in enumerate(sorted(synth.COPY_TRANSFORMS)):
        draft = synth.COPY_TRANSFORMS[name](synth.Draft("T", list(body)), ctx)
        items[name] = article("\n\n".join(draft.paragraphs), published=date(2025, 1, 2 + k))
    items["unrelated"] = article(main_content(OTHER), published=date(2025, 1, 3))

    con = fresh_db(db_path)  # batches after the first use the in-memory copy
    cached = load_and_dedupe(con, items)
    monkeypatch.setattr(anchor_index, "_BATCHES_BEFORE_CACHING", 10**9)
    other = fresh_db(tmp_path / "join-only.duckdb")
    joined = load_and_dedupe(other, items)
    assert anchor_index._caches  # the first warehouse did build its copy

    def named(c, ids):
        ref = {v: k for k, v in ids.items()}
        return {(ref[a], ref[b]) for a, b in links(c)}

    assert named(con, cached) == named(other, joined)
    assert len(named(con, cached)) == len(synth.COPY_TRANSFORMS)


def test_batch_fingerprints_equal_the_single_text_ones() -> None:
    """analyse_batch and copy_fingerprints (one numpy pass over many texts, ASCII fast
    tokeniser) give each text what the one-text functions give it."""
    texts = [main_content(k) for k in (ORIGINAL, SAME_TOPIC, OTHER)]
    texts += [
        "Le ministre a déclaré: « Nous agirons vite. » Les détails suivront bientôt, a-t-il dit.",
        "",
        "Too short.",
        'A quoted line ends here." Then a new sentence starts, and it goes on for a while.',
    ]
    batch = [copy_fingerprint(t, SETTINGS) for t in texts]
    for one, many in zip(batch, copy_fingerprints(texts, SETTINGS), strict=True):
        assert one.flat.tolist() == many.flat.tolist()
        assert one.owner.tolist() == many.owner.tolist()
        assert one.anchors.tolist() == many.anchors.tolist()
    short = "Haringey council report\n\nThe Haringey council report on Laming was published."
    items = [(None, t, "en") for t in texts] + [("Laming report", short, "en")]
    stories = Settings().stories
    analysed = analyse_batch(items, SETTINGS, stories)
    for (_title, body, _lang), (fingerprint, terms) in zip(items, analysed, strict=True):
        assert fingerprint.flat.tolist() == copy_fingerprint(body, SETTINGS).flat.tolist()
        assert len(terms.ids) <= stories.candidate_terms
    # The story terms count the headline three times, stemmed (seven letters in English),
    # and leave out the words every text uses.
    counts = dict(zip(analysed[-1][1].ids.tolist(), analysed[-1][1].counts.tolist(), strict=True))
    assert counts[term_id("laming")] == 3 + 1
    assert counts[term_id("haringe")] == 2
    assert term_id("the") not in counts


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1)),
    st.lists(st.integers(-(2**63), 2**63 - 1)),
)
def test_membership_in_a_sorted_set_equals_isin(values: list[int], members: list[int]) -> None:
    values_array = np.array(values + members[:3], dtype=np.int64)
    sorted_set = np.unique(np.array(members, dtype=np.int64))
    expected = np.isin(values_array, sorted_set)
    assert in_sorted(values_array, sorted_set).tolist() == expected.tolist()


def test_a_large_dedupe_in_chunks_equals_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items: dict[str, object] = {}
    for day, file_id in enumerate((ORIGINAL, SAME_TOPIC, OTHER), start=1):
        text = paragraphs(file_id)
        items[f"copy-{file_id}"] = article(
            "\n\n".join(text[:-2]), title=f"Copy {file_id}", published=date(2025, 1, day + 3)
        )
        items[f"original-{file_id}"] = article(
            "\n\n".join(text), title=f"Original {file_id}", published=date(2025, 1, day)
        )
    whole = fresh_db(tmp_path / "whole.duckdb")
    ingest_at_once(whole, items)
    monkeypatch.setattr(dedupe, "CHUNK", 2)  # six articles: three chunks, copies later
    chunked = fresh_db(tmp_path / "chunked.duckdb")
    ingest_at_once(chunked, items)
    expected = dedup_outcome(whole)
    assert len(expected[0]) == 3  # every copy linked to its original
    assert dedup_outcome(chunked) == expected


def _analyse_elsewhere(texts: list[ArticleText]) -> dict[bytes, Analysis]:
    """``analyse_ahead`` in a new interpreter (another hash seed, an empty vocabulary), as
    an extraction worker process would run it."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(analyse_ahead, texts, SETTINGS, Settings().stories).result()


def _index(con) -> list[list[tuple]]:
    """Every row the dedupe wrote to its indexes, but the load and link times."""
    return [
        sorted(con.execute(sql).fetchall())
        for sql in (
            "SELECT article_id, seq, sentences FROM dedup_index",
            "SELECT * FROM shingle_index",
            "SELECT * FROM article_terms",
            "SELECT article_id, canonical_id, score, method FROM duplicate_links",
        )
    ]


def test_fingerprints_computed_in_a_worker_are_reused_and_change_nothing(tmp_path: Path) -> None:
    items: dict[str, object] = {}
    for day, file_id in enumerate((ORIGINAL, SAME_TOPIC, OTHER), start=1):
        text = paragraphs(file_id)
        items[f"original-{file_id}"] = article("\n\n".join(text), published=date(2025, 1, day))
        items[f"copy-{file_id}"] = article("\n\n".join(text[:-2]), title=f"Copy {file_id}")
    texts = [(a.title, a.text, a.language) for a in items.values()]
    computed_here = fresh_db(tmp_path / "here.duckdb")
    assert ingest_at_once(computed_here, items).analyses_reused == 0
    expected = dedup_outcome(computed_here), _index(computed_here)
    assert len(expected[0][0]) == 3  # every copy linked to its original

    from_worker = fresh_db(tmp_path / "worker.duckdb")
    result = ingest_at_once(from_worker, items, ready=_analyse_elsewhere(texts))
    assert result.analyses_reused == len(items)
    assert (dedup_outcome(from_worker), _index(from_worker)) == expected

    # Fingerprints of other text (here: the same articles before an edit) are not taken.
    stale = _analyse_elsewhere([(title, body + " Updated.", lang) for title, body, lang in texts])
    recomputed = fresh_db(tmp_path / "stale.duckdb")
    assert ingest_at_once(recomputed, items, ready=stale).analyses_reused == 0
    assert (dedup_outcome(recomputed), _index(recomputed)) == expected
