"""Hostile queries: deep nesting and absurd length give a QueryError, never RecursionError."""

from __future__ import annotations

import pytest

from textanalysis.query import MAX_QUERY_CHARS, MAX_QUERY_DEPTH, QueryError, parse


def test_300_nested_parentheses_is_a_clear_error() -> None:
    query = "(" * 300 + "word" + ")" * 300
    with pytest.raises(QueryError, match="nests deeper than"):
        parse(query)


def test_300_nested_nots_is_a_clear_error() -> None:
    with pytest.raises(QueryError, match="nests deeper than"):
        parse("NOT " * 300 + "word")


def test_nesting_up_to_the_limit_still_parses() -> None:
    depth = MAX_QUERY_DEPTH
    node = parse("(" * depth + "word" + ")" * depth)
    assert parse("word") == node


def test_many_siblings_are_not_depth() -> None:
    """Depth is nesting, not the count of groups: 200 flat groups parse."""
    assert parse(" OR ".join(["(a b)"] * 200))


def test_absurdly_long_query_is_refused_before_tokenizing() -> None:
    with pytest.raises(QueryError, match=f"at most {MAX_QUERY_CHARS}"):
        parse("word " * 100_000)
