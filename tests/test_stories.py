"""Story grouping on real text (the seeds, WCXB articles) through a real DuckDB warehouse."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.settings import Settings
from extractors.plaintext import extract_plaintext
from flows.fingerprints_ahead import with_language
from presswatch.cli import main
from tests.conftest import SEEDS
from tests.helpers import article, fresh_db, load_and_dedupe, story_vector
from testsupport.corpus import paragraphs
from textanalysis.fingerprints import cosine, term_id
from warehouse.rebuild import rebuild
from warehouse.story_decider import (
    UNDATED,
    Member,
    Placing,
    days_apart,
    decide,
    discounted,
    story_id_for,
)

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


def test_a_link_weakens_with_the_days_between_the_articles(tmp_path: Path) -> None:
    """Two reports on one subject with a moderate cosine: a day apart they share a story,
    six days apart (inside the story window) the discounted link is under the threshold."""
    diet = paragraphs(NUTRITION)

    def placed(days_apart: int) -> tuple[bool, float]:
        con = fresh_db(tmp_path / f"apart-{days_apart}.duckdb")
        first_day = date(2025, 1, 1)
        ids = load_and_dedupe(
            con,
            {"first": article("\n\n".join(diet[0:4]), title="Diet trends", published=first_day)},
        )
        ids |= load_and_dedupe(
            con,
            {
                "later": article(
                    "\n\n".join(diet[20:24]),
                    title="What shoppers buy now",
                    published=first_day + timedelta(days=days_apart),
                )
            },
        )
        story = stories(con)
        [score] = con.execute(
            "SELECT score FROM story_members WHERE article_id = ?", [ids["later"]]
        ).fetchone()
        return story[ids["first"]] == story[ids["later"]], score

    settings = Settings().stories
    threshold, decay = settings.join_threshold_for("en"), settings.decay_days
    joined, cosine = placed(0)
    assert joined
    assert cosine / (1 + 6 / decay) < threshold <= cosine  # the case this test is about
    joined, link = placed(1)
    assert joined and link == pytest.approx(cosine / (1 + 1 / decay), abs=1e-4)
    assert placed(6) == (False, 1.0)  # it starts its own story


def test_an_undated_article_is_placed_by_similarity_whatever_the_day_it_was_first_seen(
    db_path: Path,
) -> None:
    first = "\n\n".join(paragraphs(NUTRITION)[:10])
    follow_up = "\n\n".join(paragraphs(NUTRITION)[10:20])
    con = fresh_db(db_path)
    # Dated years before today; the undated one is first seen today (by the loader).
    ids = load_and_dedupe(
        con, {"dated": article(first, title="Diet trends", published=date(2009, 3, 1))}
    )
    ids |= load_and_dedupe(con, {"undated": article(follow_up, title="Diet trends again")})
    ids |= load_and_dedupe(
        con, {"cloud": article("\n\n".join(paragraphs(CLOUD)[:10]), title="Cloud computing")}
    )
    # A dated article deduped after the undated one finds it too.
    ids |= load_and_dedupe(
        con, {"later": article(first, title="Diet trends", published=date(2009, 3, 2))}
    )
    story = stories(con)
    assert story[ids["dated"]] == story[ids["undated"]] == story[ids["later"]]
    assert story[ids["cloud"]] != story[ids["dated"]]  # similarity still decides
    before = set(story.items())
    rebuild(con, Settings(), batch_size=2)
    assert set(stories(con).items()) == before


def test_term_vectors_weigh_names_over_common_words() -> None:
    seeds = seed_articles()
    vectors = {k: story_vector(a.text, title=a.title) for k, a in seeds.items()}
    top = list(vectors["000"])[:5]
    assert term_id("laming") in top
    assert term_id("said") not in vectors["000"]
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
                "\n\n".join(nutrition[:4] + nutrition[10:12] + cloud[:5]),
                "Both stories",
                date(2025, 1, 5),
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


def test_a_story_is_labelled_in_the_language_most_of_its_members_are_in(db_path: Path) -> None:
    """An English report comes first, then two German ones name the same people and
    places: the story is German, so its label is the earliest German headline; a
    recomputation from all members (rebuild) gives the same label."""
    names = "Haringey Laming Shoesmith Ofsted Tottenham Balls Connelly"
    english = (
        f"{names}. The council in Haringey answered the Laming review. Shoesmith and Ofsted "
        "faced questions in Tottenham after Balls spoke; the Connelly case went on."
    )
    german = (
        f"{names}. Der Rat von Haringey antwortete auf den Laming-Bericht. Shoesmith und "
        "Ofsted standen in Tottenham in der Kritik, nachdem Balls sprach; der Fall Connelly."
    )
    items = {
        "en": replace(article(english, "Council answers review", date(2025, 1, 1)), language="en"),
        "de1": replace(
            article(german, "Rat antwortet auf Bericht", date(2025, 1, 2)), language="de"
        ),
        "de2": replace(
            article(german + " Weitere Fragen folgten.", "Fragen an den Rat", date(2025, 1, 3)),
            language="de",
        ),
    }
    con = fresh_db(db_path)
    ids = load_and_dedupe(con, items)
    story = stories(con)
    assert story[ids["en"]] == story[ids["de1"]] == story[ids["de2"]]
    label = lambda: con.execute("SELECT label FROM stories").fetchall()  # noqa: E731
    assert label() == [("Rat antwortet auf Bericht",)]
    rebuild(con, Settings(), batch_size=1)
    assert label() == [("Rat antwortet auf Bericht",)]


def test_an_undetermined_article_does_not_take_a_label_from_a_language(db_path: Path) -> None:
    """A short report (language ``und``) published before the English one that started the
    story joins it later: the story stays labelled with the English headline, as a
    recomputation from all members labels it."""
    names = "Haringey Laming Shoesmith Ofsted Tottenham Balls Connelly"
    english = (
        f"{names}. The council in Haringey answered the Laming review on Tuesday. Shoesmith "
        "and Ofsted faced questions in Tottenham after Balls spoke; the Connelly case went on."
    )
    short = f"{names}: Laming review, Haringey answer."
    items = {
        "en": replace(article(english, "English report", date(2025, 1, 2)), language="en"),
        "und": replace(article(short, "Short earlier report", date(2025, 1, 1)), language="und"),
    }
    con = fresh_db(db_path)
    ids = load_and_dedupe(con, items)
    assert stories(con)[ids["en"]] == stories(con)[ids["und"]]
    label = lambda: con.execute("SELECT label FROM stories").fetchall()  # noqa: E731
    assert label() == [("English report",)]
    rebuild(con, Settings(), batch_size=1)
    assert label() == [("English report",)]


# --- the pure decider ------------------------------------------------------------------------

MERGE = 0.3


def test_time_window_keeps_dated_articles_apart_but_not_undated_ones() -> None:
    day = (date(2009, 3, 12) - date(1970, 1, 1)).days
    days = np.array([day, day, day + 30, UNDATED, UNDATED])
    earlier = np.array([day - 7, day - 8, UNDATED, day - 5000, UNDATED])
    assert (days_apart(days, earlier) <= 7).tolist() == [True, False, True, True, True]


def test_links_are_discounted_by_days_apart_but_not_when_a_side_is_undated() -> None:
    day = (date(2009, 3, 12) - date(1970, 1, 1)).days
    days = np.array([day, day, day, UNDATED, day])
    earlier = np.array([day, day - 7, day + 14, day - 3, UNDATED])
    links = discounted(np.full(5, 0.3), days_apart(days, earlier), decay_days=7.0)
    assert links.tolist() == pytest.approx([0.3, 0.15, 0.1, 0.3, 0.3])


def test_decider_an_article_without_links_starts_its_own_story() -> None:
    decision = decide([Placing("a", None, ())], {}, {}, MERGE, now_us=100)
    assert decision.members == (Member("a", story_id_for("a"), 1.0),)
    assert decision.created == {story_id_for("a"): "a"}
    assert decision.ages[story_id_for("a")] == (100, story_id_for("a"))
    assert not decision.merged


def test_decider_joins_the_closest_story_and_weak_links_never_merge() -> None:
    membership = {"x": "old", "y": "young"}
    ages = {"old": (1, "old"), "young": (2, "young")}
    decision = decide(
        [Placing("a", None, (("y", 0.25), ("x", 0.2)))], membership, ages, MERGE, now_us=10
    )
    assert decision.members == (Member("a", "young", 0.25),)
    assert not decision.merged and not decision.created


def test_decider_strong_links_to_two_stories_merge_them_into_the_oldest() -> None:
    membership = {"x": "old", "y": "young"}
    ages = {"old": (1, "old"), "young": (2, "young")}
    decision = decide(
        [Placing("a", None, (("y", 0.6), ("x", 0.4)))], membership, ages, MERGE, now_us=10
    )
    assert decision.members == (Member("a", "old", 0.6),)
    assert decision.merged == {"young": "old"}


def test_decider_a_copy_joins_its_canonicals_story_even_one_placed_in_the_same_batch() -> None:
    decision = decide(
        [Placing("orig", None, ()), Placing("copy", "orig", (("elsewhere", 0.9),))],
        {"elsewhere": "other"},
        {"other": (1, "other")},
        MERGE,
        now_us=10,
    )
    assert decision.members[1] == Member("copy", story_id_for("orig"), 1.0)
    assert not decision.merged


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Placing], dict[str, str], dict[str, tuple[int, str]]]:
    """Earlier articles e0.. in stories s0.., then a batch b0.. linking to earlier articles
    and to earlier batch articles, some of them copies."""
    stories = [f"s{k}" for k in range(draw(st.integers(1, 4)))]
    earlier = {f"e{k}": draw(st.sampled_from(stories)) for k in range(draw(st.integers(0, 6)))}
    ages = {s: (draw(st.integers(0, 50)), s) for s in stories}
    batch: list[Placing] = []
    for k in range(draw(st.integers(1, 8))):
        known = list(earlier) + [p.article_id for p in batch]
        links = draw(
            st.lists(st.tuples(st.sampled_from(known), st.floats(0.12, 1.0)), max_size=4)
            if known
            else st.just([])
        )
        links = tuple(sorted(dict(links).items(), key=lambda link: -link[1]))
        canonical = draw(st.none() | st.sampled_from(known)) if known else None
        batch.append(Placing(f"b{k}", canonical, links))
    return batch, earlier, ages


@given(batches())
def test_decider_properties(case) -> None:
    batch, membership, ages = case
    decision = decide(batch, membership, ages, MERGE, now_us=1_000)
    final = {m.article_id: m.story_id for m in decision.members}
    # One membership per batch article, in batch order, always in a surviving story.
    assert [m.article_id for m in decision.members] == [p.article_id for p in batch]
    assert not set(final.values()) & set(decision.merged)
    # Stories merge only into older ones, and only through a strong link.
    for gone, into in decision.merged.items():
        assert decision.ages[into] < decision.ages[gone]
    if all(s < MERGE for p in batch for _a, s in p.neighbours):
        assert not decision.merged
    current = {a: decision.merged.get(s, s) for a, s in membership.items()} | final
    for placing in batch:
        story = final[placing.article_id]
        if placing.canonical is not None:  # a copy is with its canonical
            assert story == current[placing.canonical]
        elif not placing.neighbours:  # no link: a story of its own (a later one may merge it)
            own = story_id_for(placing.article_id)
            assert decision.created[own] == placing.article_id
            assert story == decision.merged.get(own, own)
        else:  # linked: in the story of one of its neighbours
            assert story in {current[a] for a, _s in placing.neighbours}


# --- languages -------------------------------------------------------------------------------

# Two events, each reported by two outlets in Turkish and in German (text written here).
FIRE_TR = (
    "Kadıköy'de bir fabrikada çıkan yangın sabaha kadar sürdü. İtfaiyeciler yangını "
    "kontrol altına almak için saatlerce çalıştı. Fabrikanın sahibi Mehmet Yıldız, "
    "yangının elektrik kontağından çıktığını söyledi. Yangında yaralanan olmadı, ancak "
    "fabrikanın depoları tamamen yandı. Kadıköy Belediyesi zararın tespit edileceğini açıkladı."
)
FIRE_TR_2 = (
    "Kadıköy'deki fabrika yangını söndürüldü. Mehmet Yıldız'a ait fabrikada gece başlayan "
    "yangına itfaiye ekipleri müdahale etti. Yangının nedeninin elektrik kontağı olduğu "
    "düşünülüyor. Depolarda büyük hasar oluştu. Belediye yetkilileri zarar tespiti için "
    "bölgeye geldi ve fabrikanın çevresindeki evler boşaltıldı."
)
FLOOD_DE = (
    "Nach tagelangem Regen ist die Mosel bei Trier über die Ufer getreten. Die Feuerwehr "
    "evakuierte in der Nacht mehrere Straßen in der Altstadt von Trier. Bürgermeister "
    "Wolfram Leibe sprach von dem schwersten Hochwasser seit zwanzig Jahren. Der "
    "Pegelstand der Mosel soll am Mittwoch seinen Höchststand erreichen."
)
FLOOD_DE_2 = (
    "Hochwasser in Trier: Die Mosel hat die Altstadt erreicht, Anwohner mussten ihre "
    "Wohnungen verlassen. Oberbürgermeister Wolfram Leibe rief die Bürger auf, Keller zu "
    "räumen. Die Feuerwehr rechnet damit, dass der Pegel der Mosel bis Mittwoch weiter "
    "steigt. Es ist das schwerste Hochwasser an der Mosel seit zwei Jahrzehnten."
)


def _multilingual_items() -> dict[str, object]:
    day = date(2025, 3, 1)
    return {
        ref: with_language(article(text, title=title, published=day))
        for ref, (title, text) in {
            "fire-1": ("Kadıköy'de fabrika yangını", FIRE_TR),
            "fire-2": ("Kadıköy'deki yangın söndürüldü", FIRE_TR_2),
            "flood-1": ("Mosel-Hochwasser in Trier", FLOOD_DE),
            "flood-2": ("Hochwasser: Mosel erreicht Trierer Altstadt", FLOOD_DE_2),
        }.items()
    }


def test_reports_of_one_event_group_in_their_language_and_rebuild_agrees(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = fresh_db(db_path)
    ids = load_and_dedupe(con, _multilingual_items())
    languages = dict(con.execute("SELECT source_ref, language FROM articles").fetchall())
    assert languages == {"fire-1": "tr", "fire-2": "tr", "flood-1": "de", "flood-2": "de"}
    story = stories(con)
    assert story[ids["fire-1"]] == story[ids["fire-2"]]
    assert story[ids["flood-1"]] == story[ids["flood-2"]]
    assert story[ids["fire-1"]] != story[ids["flood-1"]]
    before = set(story.items())
    rebuild(con, Settings(), batch_size=3)
    assert set(stories(con).items()) == before
    con.close()
    assert main(["articles", "--db", str(db_path), "--format", "json"]) == 0
    shown = {row["source"]: row["language"] for row in json.loads(capsys.readouterr().out)}
    assert shown == languages
    assert main(["articles", "--db", str(db_path)]) == 0  # the table shows the column too


def test_bad_input_is_stored_and_grouped_with_language_und(db_path: Path) -> None:
    """No detectable language, a mixed page, a headline and one sentence, an empty body."""
    mixed = "\n\n".join([FIRE_TR, FLOOD_DE, FIRE_TR_2, FLOOD_DE_2])
    items = {
        "digits": article("2025-03-01 12:00 — 1.234.567 +++ 89 % +++ 42", title="+++"),
        "mixed": article(mixed, title="Yangın / Hochwasser"),
        "short": article("Die Mosel ist bei Trier über die Ufer getreten.", title="Hochwasser"),
        "empty": article("", title="Breaking"),
    }
    con = fresh_db(db_path)
    ids = load_and_dedupe(con, {ref: with_language(a) for ref, a in items.items()})
    languages = dict(con.execute("SELECT source_ref, language FROM articles").fetchall())
    assert languages == dict.fromkeys(items, "und")
    story = stories(con)
    assert set(story) == set(ids.values())  # every one of them is in a story


def test_reports_and_search_filter_by_language(db_path: Path, capsys) -> None:
    con = fresh_db(db_path)
    load_and_dedupe(con, _multilingual_items())
    con.close()
    db = ["--db", str(db_path)]
    assert main(["report", "coverage", *db, "--format", "json", "--language", "de"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["articles"] == 2 and report["totals"]["stories"] == 1
    assert main(["report", "coverage", *db, "--format", "csv", "--language", "TR"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 2 and "Kadıköy" in rows[1]  # header + the Turkish story
    assert main(["report", "coverage", *db, "--format", "json", "--language", "und"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["articles"] == 0
    for language, found in (("de", 2), ("tr", 0)):
        code = main(["search", "Mosel", *db, "--format", "json", "--language", language])
        assert code == 0
        assert len(json.loads(capsys.readouterr().out)) == found
    assert main(["report", "coverage", *db, "--language", "not a language"]) == 1
    assert "not a language code" in capsys.readouterr().err
