"""Watchlists: the boolean query parser (with property tests), matching at load time and
on adding a query, the ``presswatch watch`` commands and the report's watchlist parts."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import report_data
from helpers import article, load_and_dedupe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from presswatch.cli import EXIT_ERROR, main
from textanalysis.query import (
    And,
    Document,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    evaluate,
    parse,
    render,
    snippet,
)
from warehouse import watchlists

# --- parser ------------------------------------------------------------------------------


def test_operators_precedence_implicit_and_and_phrases() -> None:
    assert parse("laming") == Term(("laming",))
    assert parse("baby p") == And((Term(("baby",)), Term(("p",))))
    assert parse('"baby p"') == Term(("baby", "p"))
    assert parse("Baby-P") == Term(("baby", "p"))  # one word that normalises to two
    assert parse("a OR b c") == Or((Term(("a",)), And((Term(("b",)), Term(("c",))))))
    assert parse("a AND b OR c") == Or((And((Term(("a",)), Term(("b",)))), Term(("c",))))
    assert parse("NOT a b") == And((Not(Term(("a",))), Term(("b",))))
    assert parse("NOT (a OR b)") == Not(Or((Term(("a",)), Term(("b",)))))
    assert parse("a NOT b") == And((Term(("a",)), Not(Term(("b",)))))
    assert parse("NOT NOT a") == Not(Not(Term(("a",))))
    assert parse("(a (b OR c))") == And((Term(("a",)), Or((Term(("b",)), Term(("c",))))))
    # lower-case operators are ordinary words
    assert parse("rock and roll") == And(tuple(Term((w,)) for w in ("rock", "and", "roll")))
    assert parse('"AND"') == Term(("and",))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ('"baby p', "unterminated quote at position 1"),
        ("(a OR b", "never closed"),
        ("a OR b)", "unmatched ')' at position 7"),
        ("a OR", "ends where a word"),
        ("AND a", "'AND' at position 1"),
        ("a AND OR b", "'OR' at position 7"),
        ("()", "empty parentheses"),
        ("laming &", "'&' at position 8 has no letters or digits"),
        ('""', "has no letters or digits"),
        ("NOT", "ends where a word"),
    ],
)
def test_syntax_errors_say_what_and_where(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(query)


def test_matching_whole_words_phrases_and_not() -> None:
    doc = Document("Lord Laming's report on Baby-P: social services 'failing' children.")
    assert Query.parse("laming").matches(doc)
    assert not Query.parse("lamin").matches(doc)  # whole words only
    assert Query.parse('"baby p"').matches(doc)
    assert Query.parse('"social services" AND NOT sport').matches(doc)
    assert not Query.parse('"services social"').matches(doc)
    assert Query.parse("LAMING OR nothing").matches(doc)
    assert not Query.parse("laming NOT children").matches(doc)
    assert Query.parse("(sport OR report) failing").matches(doc)


def test_snippet_is_short_text_around_the_first_match() -> None:
    text = "Intro words. " * 30 + "Lord Laming said the reforms had failed. " + "More. " * 40
    cut = snippet(text, [Term(("laming",))])
    assert "Lord Laming said" in cut and cut.startswith("…") and cut.endswith("…")
    assert len(cut) <= 170
    assert snippet("Short text.", [Term(("absent",))]) == "Short text."


# --- property tests ----------------------------------------------------------------------

WORDS = ["laming", "baby", "report", "council", "and", "or", "not", "sport", "haringey"]
words = st.sampled_from(WORDS)
terms = st.lists(words, min_size=1, max_size=3).map(lambda ws: Term(tuple(ws)))
trees = st.recursive(
    terms,
    lambda children: st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
    ),
    max_leaves=8,
)
documents = st.lists(words, max_size=25).map(" ".join)


def _flatten(node):  # the parser flattens nested AND/OR of the same kind
    if isinstance(node, Term):
        return node
    if isinstance(node, Not):
        return Not(_flatten(node.child))
    kind = type(node)
    flat = []
    for child in map(_flatten, node.children):
        flat.extend(child.children if isinstance(child, kind) else [child])
    return kind(tuple(flat))


def _reference(node, doc_words: list[str]) -> bool:
    """Semantics written independently of the evaluator: sequences in a word list."""
    if isinstance(node, Term):
        n = len(node.words)
        return any(tuple(doc_words[i : i + n]) == node.words for i in range(len(doc_words)))
    if isinstance(node, Not):
        return not _reference(node.child, doc_words)
    results = [_reference(c, doc_words) for c in node.children]
    return all(results) if isinstance(node, And) else any(results)


@settings(deadline=None)
@given(trees)
def test_render_then_parse_gives_the_same_tree(tree) -> None:
    assert parse(render(tree)) == _flatten(tree)


@settings(deadline=None)
@given(trees, documents)
def test_evaluation_agrees_with_the_reference_semantics(tree, text: str) -> None:
    parsed = parse(render(tree))
    assert evaluate(parsed, Document(text)) == _reference(tree, text.split())


@settings(deadline=None)
@given(st.lists(st.sampled_from([*'ab ()"-&', "AND", "OR", "NOT", " ", "é"])).map("".join))
def test_any_input_parses_or_raises_a_query_error(text: str) -> None:
    try:
        tree = parse(text)
    except QueryError:
        return
    assert parse(render(tree)) == tree


@settings(deadline=None)
@given(trees, documents)
def test_de_morgan(tree, text: str) -> None:
    doc = Document(text)
    if isinstance(tree, And):
        dual = Or(tuple(Not(c) for c in tree.children))
        assert evaluate(Not(tree), doc) == evaluate(dual, doc)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trees, documents)
def test_backfill_prefilter_never_drops_a_match(tree, text: str) -> None:
    """The SQL pre-filter of backfill is a necessary condition of the Python evaluator, so
    adding a query later finds exactly what load-time matching finds."""
    condition, params = watchlists._prefilter(tree)
    con = duckdb.connect()
    kept = con.execute(f"SELECT {condition} FROM (SELECT lower(?) AS t)", [*params, text])
    if evaluate(tree, Document(text)):
        assert kept.fetchone()[0] is True


# --- warehouse ---------------------------------------------------------------------------


def _matches(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    return set(con.execute("SELECT watchlist, query, article_id FROM watch_matches").fetchall())


def test_load_time_matching_equals_matching_on_add(tmp_path: Path) -> None:
    queries = [
        "climbie",
        '"lord laming" AND (councils OR government)',
        "haringey OR (fuel AND duty)",
    ]
    before = report_data.build(tmp_path / "before.duckdb", extra=False)
    watchlists.add(before, "press", queries)
    load_and_dedupe(before, dict(report_data.EXTRA), source="extra")
    at_load = _matches(before)
    before.close()

    after = report_data.build(tmp_path / "after.duckdb")
    counts = watchlists.add(after, "press", queries)
    on_add = _matches(after)
    after.close()

    assert at_load == on_add
    assert counts == {q: sum(1 for m in on_add if m[1] == q) for q in queries}
    assert counts["climbie"] == 4  # every seed but 000
    assert counts['"lord laming" AND (councils OR government)'] == 4  # every seed but 002
    assert counts["haringey OR (fuel AND duty)"] == 7  # the seeds and both budget articles


def test_matches_have_snippets_and_follow_changed_articles(tmp_path: Path) -> None:
    con = report_data.build(tmp_path / "w.duckdb", extra=False)
    watchlists.add(con, "floods", ['"river peaked"', "sandbags"])
    ids = load_and_dedupe(
        con,
        {"f": article("The river peaked overnight. " * 4 + "Volunteers filled sandbags.")},
        source="changes",
    )
    rows = con.execute(
        "SELECT query, snippet FROM watch_matches WHERE article_id = ? ORDER BY query",
        [ids["f"]],
    ).fetchall()
    assert [r[0] for r in rows] == ['"river peaked"', "sandbags"]
    assert "river peaked" in rows[0][1] and "sandbags" in rows[1][1]
    # the article changes: its matches are recomputed
    load_and_dedupe(con, {"f": article("Dry weather all week. " * 5)}, source="changes")
    assert con.execute(
        "SELECT count(*) FROM watch_matches WHERE article_id = ?", [ids["f"]]
    ).fetchone() == (0,)
    con.close()


def test_bad_query_and_unknown_watchlist_are_clear_errors(tmp_path: Path) -> None:
    con = report_data.build(tmp_path / "w.duckdb", extra=False)
    with pytest.raises(watchlists.WatchlistError, match="cannot parse query"):
        watchlists.add(con, "x", ["(laming"])
    with pytest.raises(watchlists.WatchlistError, match="no watchlist named 'nope'"):
        watchlists.remove(con, "nope")
    assert con.execute("SELECT count(*) FROM watchlists").fetchone() == (0,)
    con.close()


# --- command line ------------------------------------------------------------------------


def test_watch_commands_and_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(report_data.build_closed(tmp_path / "w.duckdb"))
    assert main(["watch", "add", "laming", "laming", '"baby p"', "--db", db]) == 0
    assert main(["watch", "add", "fuel", "fuel AND duty", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "added 'laming', matching 5 of 8 article(s)" in out
    assert "added 'fuel AND duty', matching 2 of 8" in out

    assert main(["watch", "list", "--format", "json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(r["watchlist"], r["query"], r["articles"]) for r in listed} == {
        ("fuel", "fuel AND duty", 2),
        ("laming", "laming", 5),
        ("laming", '"baby p"', 5),
    }

    assert main(["report", "coverage", "--format", "json", "--db", db]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {w["name"]: w["articles"] for w in report["watchlists"]} == {"fuel": 2, "laming": 5}
    fuel_days = [(m["day"], m["articles"]) for m in report["mentions"] if m["watchlist"] == "fuel"]
    assert fuel_days == [("2009-03-10", 1), ("2009-03-11", 1)]
    fuel = [m for m in report["matches"] if m["watchlist"] == "fuel"]
    assert {m["title"] for m in fuel} == {
        "Chancellor raises fuel duty in spring budget",
        "Hauliers warn over fuel duty rise",
    }
    assert all("fuel duty" in m["snippet"].lower() for m in fuel)

    assert main(["report", "coverage", "--watch", "fuel", "--format", "json", "--db", db]) == 0
    filtered = json.loads(capsys.readouterr().out)
    assert filtered["totals"]["articles"] == 2
    assert filtered["filters"]["watch"] == "fuel"

    assert main(["watch", "remove", "laming", '"baby p"', "--db", db]) == 0
    assert main(["watch", "remove", "fuel", "--db", db]) == 0
    capsys.readouterr()
    assert main(["watch", "list", "--format", "json", "--db", db]) == 0
    assert [(r["watchlist"], r["query"]) for r in json.loads(capsys.readouterr().out)] == [
        ("laming", "laming")
    ]
    assert main(["watch", "add", "bad", "(laming", "--db", db]) == EXIT_ERROR
    assert "cannot parse query '(laming'" in capsys.readouterr().err
    assert main(["report", "coverage", "--watch", "fuel", "--db", db]) == EXIT_ERROR
    assert "no watchlist named 'fuel'" in capsys.readouterr().err
