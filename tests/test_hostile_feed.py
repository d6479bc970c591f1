"""Hostile feed documents: entity expansion inside the size limit, and too many items."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from extractors.encoding import strip_controls
from extractors.feed import (
    MAX_FEED_CHARS,
    MAX_FIELD_CHARS,
    parse_feed,
    without_internal_subset,
)


def entity_bomb(
    entity_chars: int, references: int, items: int = 10, encoding: str = "utf-8"
) -> bytes:
    """A feed that defines one large internal entity and references it many times."""
    per_item = "&big;" * (references // items)
    body = "".join(
        f"<item><guid>g{i}</guid><title>t{i}</title><description>{per_item}</description></item>"
        for i in range(items)
    )
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    document = (
        f'{declaration}\n<!DOCTYPE rss [\n<!ENTITY big "{"x" * entity_chars}">\n]>\n'
        f'<rss version="2.0"><channel><title>Bomb</title>{body}</channel></rss>'
    )
    return document.encode(encoding)


def test_a_40_kb_feed_with_one_big_entity_does_not_become_100_million_characters() -> None:
    body = entity_bomb(entity_chars=30_000, references=3_300)
    assert len(body) < 60_000  # 30 KB of entity, 3,300 references: ~100 M characters expanded
    started = time.monotonic()
    parsed = parse_feed(body)
    assert time.monotonic() - started < 10
    assert len(parsed.items) == 10
    text = sum(len(item.summary or "") + len(item.title or "") for item in parsed.items)
    assert text < len(body)
    assert "xxxxxxxxxx" not in (parsed.items[0].summary or "")
    assert parsed.limits_applied == ("removed the DOCTYPE's internal subset (entity declarations)",)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_the_internal_subset_is_removed_in_wide_encodings_too(encoding: str) -> None:
    parsed = parse_feed(entity_bomb(20_000, 200, items=2, encoding=encoding))
    assert "xxxxxxxxxx" not in (parsed.items[0].summary or "")
    assert parsed.limits_applied


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "]>">]><rss/>',
            b'<?xml version="1.0"?><!DOCTYPE rss ><rss/>',
        ),
        (
            b"<!-- [x] --><!DOCTYPE rss [<!-- ] --><!ENTITY a 'b'>]>\n<rss/>",
            b"<!-- [x] --><!DOCTYPE rss >\n<rss/>",
        ),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd"><rss/>', None),
        (b"<rss><![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>]]></rss>", None),  # not in the prolog
    ],
    ids=["quoted-bracket", "comments", "external-only", "in-content"],
)
def test_without_internal_subset(document: bytes, expected: bytes | None) -> None:
    stripped, removed = without_internal_subset(document)
    assert removed is (expected is not None)
    assert stripped == (expected if expected is not None else document)


def pub_date(minutes: int) -> str:
    moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return f"<pubDate>{moment.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"


def rss_items(count: int, dated: bool = True) -> bytes:
    items = "".join(
        f"<item><guid>g{i}</guid><title>t{i}</title>" + (pub_date(i) if dated else "") + "</item>"
        for i in range(count)
    )
    return f'<rss version="2.0"><channel><title>Many</title>{items}</channel></rss>'.encode()


def test_items_beyond_the_cap_are_dropped_oldest_first_and_the_cap_is_recorded() -> None:
    parsed = parse_feed(rss_items(50), max_items=10)
    assert [item.guid for item in parsed.items] == [f"g{i}" for i in range(40, 50)]
    assert parsed.limits_applied == ("took the newest 10 of 50 items",)


def test_undated_items_keep_the_first_ones_in_the_document() -> None:
    parsed = parse_feed(rss_items(30, dated=False), max_items=5)
    assert [item.guid for item in parsed.items] == [f"g{i}" for i in range(5)]


def test_no_note_when_under_the_cap() -> None:
    parsed = parse_feed(rss_items(5), max_items=10)
    assert len(parsed.items) == 5 and parsed.limits_applied == ()


def test_fields_and_feeds_are_bounded_in_decoded_characters() -> None:
    huge = "y" * (MAX_FIELD_CHARS + 10)
    items = "".join(
        f"<item><guid>g{i}</guid><description>{huge}</description></item>" for i in range(25)
    )
    body = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    parsed = parse_feed(body)
    assert all(len(item.summary or "") == MAX_FIELD_CHARS for item in parsed.items)
    assert len(parsed.items) == MAX_FEED_CHARS // (MAX_FIELD_CHARS + 2) < 25
    assert any("cut" in note for note in parsed.limits_applied)
    assert any("stopped after" in note for note in parsed.limits_applied)


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]0;owned\x07",
        "\x1b[2J\x1b[H",
        "\x1b]52;c;ZXZpbA==\x1b\\",
        "\x1bc",
        "\x07\x00",
    ],
    ids=["window-title", "clear-screen", "clipboard", "reset", "bell-nul"],
)
def test_terminal_escapes_and_controls_are_stripped_from_feed_text(hostile: str) -> None:
    body = (
        f'<rss version="2.0"><channel><title>Feed{hostile} name</title><item><guid>1</guid>'
        f"<title>Head{hostile}line</title><author>Ann{hostile} Lee</author>"
        f"<description>Some{hostile} text</description></item></channel></rss>"
    ).encode()
    parsed = parse_feed(body)
    [item] = parsed.items
    assert (parsed.title, item.title, item.author, item.summary) == (
        "Feed name",
        "Headline",
        "Ann Lee",
        "Some text",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x1b]0;owned\x07b", "ab"),
        ("x\x1b[2Jy", "xy"),
        ("c\x1b]52;c;ZXZpbA==\x1b\\d", "cd"),
        ("g\x9b31mh", "gh"),
        ("e\x1bcf", "ef"),
        ("tab\there\nline", "tab\there\nline"),
        ("caf\u00e9 \u201cq\u201d", "caf\u00e9 \u201cq\u201d"),
    ],
)
def test_strip_controls(text: str, expected: str) -> None:
    assert strip_controls(text) == expected
