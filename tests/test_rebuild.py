"""``presswatch dedupe --rebuild``: recompute links and stories, report what changed."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from config.settings import DedupSettings, Settings
from presswatch.cli import main
from tests.helpers import article, fresh_db, load_and_dedupe
from testsupport import synth
from testsupport.corpus import paragraphs
from warehouse.db import connection
from warehouse.rebuild import rebuild

ORIGINALS = ("0004", "0005", "0100", "0200")


def _corpus_items() -> dict[str, object]:
    """Four real articles, each with a rewrite and a truncated copy, in chronological order."""
    rng = random.Random(4)
    pool = [s for p in paragraphs("0003") for s in synth.sentences(p) if synth.words(s) >= 6]
    ctx = synth.Context(rng, pool, ["Another headline"], [], ["word"])
    items = {}
    for k, fid in enumerate(ORIGINALS):
        body = paragraphs(fid)[:12]
        day = date(2025, 1, 1) + timedelta(days=2 * k)
        items[f"{fid}-original"] = article("\n\n".join(body), title=f"Story {fid}", published=day)
        for offset, name in enumerate(("rewrite_third_to_half", "truncated_1_3_paragraphs"), 1):
            draft = synth.COPY_TRANSFORMS[name](synth.Draft(f"Story {fid}", list(body)), ctx)
            items[f"{fid}-{name}"] = article(
                "\n\n".join(draft.paragraphs),
                title=f"Copy {offset} of {fid}",
                published=day + timedelta(days=offset),
            )
    return items


def _state(con) -> tuple[set, set]:
    links = set(con.execute("SELECT article_id, canonical_id FROM duplicate_links").fetchall())
    groups: dict[str, set] = {}
    for article_id, story_id in con.execute(
        "SELECT article_id, story_id FROM story_members"
    ).fetchall():
        groups.setdefault(story_id, set()).add(article_id)
    return links, {frozenset(g) for g in groups.values()}


def test_rebuild_reproduces_the_incremental_result(db_path: Path) -> None:
    con = fresh_db(db_path)
    load_and_dedupe(con, _corpus_items())  # one batch per article, in chronological order
    before = _state(con)
    assert len(before[0]) == 2 * len(ORIGINALS)
    report = rebuild(con, Settings(), batch_size=5)
    assert _state(con) == before
    assert (report.links_added, report.links_removed, report.canonical_changed) == (0, 0, 0)
    assert report.articles_changed_story == 0
    assert report.stories_before == report.stories_after == len(before[1])


def test_rebuild_after_a_settings_change_reports_what_changed(db_path: Path) -> None:
    con = fresh_db(db_path)
    load_and_dedupe(con, _corpus_items())
    links_before, _ = _state(con)
    # Demand a near-complete copy: rewrites keeping a third of the sentences no longer count.
    strict = Settings(dedup=replace(DedupSettings(), copy_min_share=0.9))
    report = rebuild(con, strict)
    links_after, _ = _state(con)
    assert links_after < links_before
    assert report.links_removed == len(ORIGINALS) == len(links_before - links_after)
    assert report.links_before == 2 * len(ORIGINALS) and report.links_after == len(ORIGINALS)
    assert report.links_added == report.canonical_changed == 0
    assert report.examples["links_removed"]
    # ...and rebuilding with the defaults restores every link.
    assert rebuild(con, Settings()).links_added == len(ORIGINALS)


def test_copy_links_do_not_depend_on_arrival_order(db_path: Path, tmp_path: Path) -> None:
    items = _corpus_items()
    shuffled = list(items.items())
    random.Random(9).shuffle(shuffled)
    con = fresh_db(db_path)
    load_and_dedupe(con, dict(shuffled))
    other = fresh_db(tmp_path / "chronological.duckdb")
    load_and_dedupe(other, items)
    ids = lambda c: dict(c.execute("SELECT article_id, source_ref FROM articles").fetchall())  # noqa: E731
    named = lambda c: {(ids(c)[a], ids(c)[b]) for a, b in _state(c)[0]}  # noqa: E731
    assert named(con) == named(other)


def test_the_cli_rebuild_prints_json_and_fails_cleanly_without_a_warehouse(
    db_path: Path, capsys
) -> None:
    con = fresh_db(db_path)
    load_and_dedupe(con, dict(list(_corpus_items().items())[:3]))
    con.close()
    assert main(["dedupe", "--rebuild", "--db", str(db_path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 3 and report["links_after"] == 2
    assert report["links_added"] == report["links_removed"] == 0
    with connection(db_path, read_only=True) as check:
        assert check.execute("SELECT count(*) FROM duplicate_links").fetchone() == (2,)
    assert main(["dedupe", "--rebuild", "--db", str(db_path.parent / "missing.duckdb")]) == 1
    assert "no warehouse" in capsys.readouterr().err


def test_the_cli_dedupes_pending_articles(db_path: Path, capsys) -> None:
    from warehouse import loader

    con = fresh_db(db_path)
    source_id = loader.ensure_source(con, "test", "pending")
    run_id = loader.start_run(con, "test", "pending")
    items = _corpus_items()
    loader.load_articles(
        con, source_id, run_id, [loader.ArticleInput(ref, a) for ref, a in items.items()]
    )  # loaded, not deduplicated (as a run killed before its dedupe step leaves them)
    con.close()
    assert main(["dedupe", "--db", str(db_path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == len(items)
    assert report["links_added"] == 2 * len(ORIGINALS)
    with connection(db_path, read_only=True) as check:
        assert check.execute("SELECT count(*) FROM articles WHERE dedupe_pending").fetchone() == (
            0,
        )
