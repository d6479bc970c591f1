"""Tests for sources.feedlist: the TOML feed list and OPML import/export."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.feedlist import (
    FeedList,
    FeedSource,
    add_feed,
    load_feed_list,
    parse_opml,
    remove_feed,
    save_feed_list,
    to_opml,
)

OPML_FIXTURES = Path(__file__).parent / "fixtures" / "opml"

GUARDIAN = FeedSource(
    name="The Guardian",
    url="https://www.theguardian.com/uk/rss",
    outlet="The Guardian",
    tags=("uk", "politics"),
    poll_interval_minutes=15,
)
WIRE = FeedSource(name="Wire", url="http://wire.example/rss")
AWKWARD = FeedSource(
    name='He said "hi" \\ C:\\path\nsecond line\ttab',
    url='https://awkward.example/feed?a=1&b="2"',
    outlet="Zoë's <Weekly> & Co",
    tags=("naïve", "東京", 'quote"d', "back\\slash", "multi\nline", "\x00\x1f\x7f"),
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- TOML ------------------------------------------------------------------------------


def test_missing_file_is_an_empty_list(tmp_path: Path) -> None:
    assert load_feed_list(tmp_path / "absent.toml") == FeedList(feeds=())


def test_load_toml(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feeds.toml",
        """
        allowed_hosts = ["theguardian.com", "wire.example"]

        [[feeds]]
        name = "The Guardian"
        url = "https://www.theguardian.com/uk/rss"
        outlet = "The Guardian"
        tags = ["uk", "politics"]
        poll_interval_minutes = 15

        [[feeds]]
        name = "Wire"
        url = "http://wire.example/rss"
        """,
    )

    assert load_feed_list(path) == FeedList(
        feeds=(GUARDIAN, WIRE), allowed_hosts=("theguardian.com", "wire.example")
    )


def test_toml_round_trip(tmp_path: Path) -> None:
    feed_list = FeedList(feeds=(GUARDIAN, WIRE, AWKWARD), allowed_hosts=("a.example",))
    path = tmp_path / "feeds.toml"

    save_feed_list(feed_list, path)

    assert load_feed_list(path) == feed_list


def test_save_replaces_atomically_and_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    save_feed_list(FeedList(feeds=(WIRE,)), path)
    path.chmod(0o640)

    save_feed_list(FeedList(feeds=(GUARDIAN,)), path)

    assert load_feed_list(path).feeds == (GUARDIAN,)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [entry.name for entry in tmp_path.iterdir()] == ["feeds.toml"]


def test_failed_save_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "feeds.toml"
    save_feed_list(FeedList(feeds=(WIRE,)), path)
    before = path.read_bytes()

    def failing_replace(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        save_feed_list(FeedList(feeds=(GUARDIAN,)), path)

    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["feeds.toml"]


def test_save_refuses_an_opml_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use to_opml"):
        save_feed_list(FeedList(feeds=(WIRE,)), tmp_path / "feeds.opml")


INVALID_TOML_ENTRIES = {
    "missing-name": ('url = "https://a.example/rss"', r"'https://a.example/rss'.*name is required"),
    "blank-name": ('name = "  "\nurl = "https://a.example/rss"', "name is required"),
    "padded-name": ('name = " A"\nurl = "https://a.example/rss"', "must not start or end"),
    "name-not-string": ('name = 3\nurl = "https://a.example/rss"', "name is required"),
    "missing-url": ('name = "A"', "feed 'A': url is required"),
    "ftp-url": ('name = "A"\nurl = "ftp://a.example/rss"', "feed 'A': url .* http"),
    "relative-url": ('name = "A"\nurl = "/rss"', "feed 'A': url '/rss' must be an absolute"),
    "malformed-url": ('name = "A"\nurl = "http://[::1/rss"', "feed 'A': url .* malformed"),
    "zero-interval": (
        'name = "A"\nurl = "https://a.example/"\npoll_interval_minutes = 0',
        "positive",
    ),
    "negative-interval": (
        'name = "A"\nurl = "https://a.example/"\npoll_interval_minutes = -5',
        "feed 'A': poll_interval_minutes must be a positive",
    ),
    "string-interval": (
        'name = "A"\nurl = "https://a.example/"\npoll_interval_minutes = "5"',
        "positive",
    ),
    "bool-interval": (
        'name = "A"\nurl = "https://a.example/"\npoll_interval_minutes = true',
        "positive",
    ),
    "tags-not-list": ('name = "A"\nurl = "https://a.example/"\ntags = "uk"', "feed 'A': tags must"),
    "empty-tag": ('name = "A"\nurl = "https://a.example/"\ntags = ["uk", ""]', "feed 'A': tag is"),
    "duplicate-tag": ('name = "A"\nurl = "https://a.example/"\ntags = ["uk", "uk"]', "duplicates"),
    "blank-outlet": ('name = "A"\nurl = "https://a.example/"\noutlet = ""', "feed 'A': outlet"),
    "unknown-key": (
        'name = "A"\nurl = "https://a.example/"\npoll = 5',
        "feed 'A': unknown key.*'poll'",
    ),
}


@pytest.mark.parametrize(
    ("table", "message"), INVALID_TOML_ENTRIES.values(), ids=INVALID_TOML_ENTRIES.keys()
)
def test_invalid_entries_are_rejected(tmp_path: Path, table: str, message: str) -> None:
    path = write(tmp_path / "feeds.toml", f"[[feeds]]\n{table}\n")

    with pytest.raises(ValueError, match=message) as raised:
        load_feed_list(path)

    assert str(path) in str(raised.value)


INVALID_TOML_DOCUMENTS = {
    "duplicate-name": (
        '[[feeds]]\nname = "A"\nurl = "https://a.example/1"\n'
        '[[feeds]]\nname = "A"\nurl = "https://a.example/2"\n',
        "duplicate feed name.*'A'",
    ),
    "duplicate-url": (
        '[[feeds]]\nname = "A"\nurl = "https://a.example/1"\n'
        '[[feeds]]\nname = "B"\nurl = "https://a.example/1"\n',
        "duplicate feed url",
    ),
    "unknown-top-level-key": ('[[feed]]\nname = "A"\nurl = "https://a.example/1"\n', "'feed'"),
    "feeds-not-tables": ('feeds = ["https://a.example/1"]\n', r"\[\[feeds\]\]"),
    "hosts-not-list": ('allowed_hosts = "a.example"\n', "allowed_hosts must be a list"),
    "host-with-space": ('allowed_hosts = ["a example"]\n', "not a host name"),
    "not-toml": ("name = \n", "Invalid value"),
}


@pytest.mark.parametrize(
    ("document", "message"), INVALID_TOML_DOCUMENTS.values(), ids=INVALID_TOML_DOCUMENTS.keys()
)
def test_invalid_documents_are_rejected(tmp_path: Path, document: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_feed_list(write(tmp_path / "feeds.toml", document))


def test_feed_source_validates_on_construction() -> None:
    with pytest.raises(ValueError, match="feed 'A': url 'javascript:alert' must be"):
        FeedSource(name="A", url="javascript:alert")
    with pytest.raises(ValueError, match="tags must be a list"):
        FeedSource(name="A", url="https://a.example/", tags="uk")  # type: ignore[arg-type]


# --- editing ---------------------------------------------------------------------------


def test_add_feed_appends_a_new_feed() -> None:
    assert add_feed(FeedList(feeds=(GUARDIAN,)), WIRE).feeds == (GUARDIAN, WIRE)


def test_add_feed_replaces_same_url_in_place() -> None:
    renamed = FeedSource(name="Guardian UK", url=GUARDIAN.url)

    assert add_feed(FeedList(feeds=(GUARDIAN, WIRE)), renamed).feeds == (renamed, WIRE)


def test_add_feed_replaces_same_name_in_place() -> None:
    moved = FeedSource(name=GUARDIAN.name, url="https://www.theguardian.com/world/rss")

    assert add_feed(FeedList(feeds=(WIRE, GUARDIAN)), moved).feeds == (WIRE, moved)


def test_add_feed_matching_two_entries_replaces_both() -> None:
    clash = FeedSource(name=WIRE.name, url=GUARDIAN.url)

    assert add_feed(FeedList(feeds=(GUARDIAN, WIRE)), clash).feeds == (clash,)


def test_add_feed_keeps_allowed_hosts() -> None:
    feed_list = FeedList(feeds=(), allowed_hosts=("wire.example",))

    assert add_feed(feed_list, WIRE).allowed_hosts == ("wire.example",)


@pytest.mark.parametrize("key", [WIRE.name, WIRE.url])
def test_remove_feed_by_name_or_url(key: str) -> None:
    assert remove_feed(FeedList(feeds=(GUARDIAN, WIRE)), key).feeds == (GUARDIAN,)


def test_remove_absent_feed_raises_key_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        remove_feed(FeedList(feeds=(GUARDIAN,)), "nope")


# --- OPML ------------------------------------------------------------------------------


def test_opml_import_of_a_nested_feedly_export() -> None:
    sources = parse_opml((OPML_FIXTURES / "feedly_export.opml").read_bytes())

    assert sources == (
        FeedSource(
            name="BBC News - World",
            url="https://feeds.bbci.co.uk/news/world/rss.xml",
            outlet="bbc.co.uk",
            tags=("News", "Tech & Science"),  # listed in two folders: merged
        ),
        FeedSource(
            name="The Guardian - UK news",
            url="https://www.theguardian.com/uk-news/rss",
            outlet="theguardian.com",
            tags=("Politics/Westminster", "breaking", "News", "UK"),
        ),
        FeedSource(
            name="Latest (https://www.independent.co.uk/news/uk/rss)",
            url="https://www.independent.co.uk/news/uk/rss",
            outlet="independent.co.uk",
            tags=("News", "UK"),
        ),
        FeedSource(
            name="Ars Technica",
            url="https://feeds.arstechnica.com/arstechnica/index",
            outlet="arstechnica.com",
            tags=("Tech & Science",),
        ),
        FeedSource(
            name="Latest (https://www.wired.com/feed/rss)",
            url="https://www.wired.com/feed/rss",
            outlet="wired.com",
            tags=("Tech & Science",),
        ),
        FeedSource(
            name="Reuters: Top News",  # text wins over title
            url="https://www.reutersagency.com/feed/?best-topics=top-news",
        ),
    )


@pytest.mark.parametrize("file_name", ["subscriptions.opml", "subscriptions.xml", "feeds.txt"])
def test_load_feed_list_detects_opml(tmp_path: Path, file_name: str) -> None:
    path = tmp_path / file_name
    path.write_bytes((OPML_FIXTURES / "feedly_export.opml").read_bytes())

    feed_list = load_feed_list(path)

    assert len(feed_list.feeds) == 6
    assert feed_list.allowed_hosts == ()


def test_opml_attribute_names_are_case_insensitive() -> None:
    data = b"""<opml version="1.0"><body>
        <outline TEXT="Old exporter" xmlurl="https://old.example/rss"
                 HTMLURL="http://www.old.example/"/>
    </body></opml>"""

    assert parse_opml(data) == (
        FeedSource(name="Old exporter", url="https://old.example/rss", outlet="old.example"),
    )


def test_opml_tolerates_a_malformed_html_url() -> None:
    data = (
        b'<opml><body><outline text="F" xmlUrl="https://a.example/" htmlUrl="http://[x"/>'
        b"</body></opml>"
    )

    assert parse_opml(data) == (FeedSource(name="F", url="https://a.example/"),)


def test_deeply_nested_opml_does_not_exhaust_the_stack() -> None:
    depth = 5_000
    data = (
        "<opml><body>"
        + '<outline text="folder">' * depth
        + '<outline text="Deep" xmlUrl="https://deep.example/rss"/>'
        + "</outline>" * depth
        + "</body></opml>"
    ).encode()

    assert parse_opml(data) == (
        FeedSource(name="Deep", url="https://deep.example/rss", tags=("folder",)),
    )


def test_opml_export_round_trip() -> None:
    xml_safe_awkward = replace(AWKWARD, tags=("naïve", "東京", 'quote"d', "multi\nline\r\tend"))
    feed_list = FeedList(feeds=(GUARDIAN, WIRE, xml_safe_awkward))

    assert parse_opml(to_opml(feed_list).encode("utf-8")) == feed_list.feeds


def test_opml_export_is_opml_2() -> None:
    document = to_opml(FeedList(feeds=(GUARDIAN,)))

    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"')
    assert 'type="rss" text="The Guardian" title="The Guardian"' in document
    assert 'xmlUrl="https://www.theguardian.com/uk/rss" category="uk,politics"' in document


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (replace(WIRE, tags=("a,b",)), "tag 'a,b' cannot be written"),
        (replace(WIRE, tags=("/path",)), "tag '/path' cannot be written"),
        (replace(WIRE, name="bell\x07"), "characters XML forbids"),
    ],
)
def test_opml_export_refuses_what_opml_cannot_carry(source: FeedSource, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_opml(FeedList(feeds=(source,)))


@pytest.mark.parametrize("fixture_name", ["xxe.opml", "billion_laughs.opml"])
def test_opml_with_entity_declarations_is_refused(fixture_name: str) -> None:
    with pytest.raises(ValueError, match="DOCTYPE is refused") as raised:
        parse_opml((OPML_FIXTURES / fixture_name).read_bytes())

    assert "root:" not in str(raised.value)


def test_opml_with_external_dtd_is_refused(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "LEAKED">')
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "{dtd.as_uri()}">'
        '<opml version="2.0"><body><outline text="&leak;" xmlUrl="https://a.example/"/>'
        "</body></opml>"
    ).encode()

    with pytest.raises(ValueError, match="DOCTYPE is refused"):
        parse_opml(data)


def test_load_feed_list_names_the_file_when_opml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.opml"
    path.write_bytes((OPML_FIXTURES / "xxe.opml").read_bytes())

    with pytest.raises(ValueError, match=f"{path}: OPML with a DOCTYPE is refused"):
        load_feed_list(path)


INVALID_OPML = {
    "rss-outline-without-url": (
        '<opml version="2.0"><body><outline type="rss" text="Orphan"/></body></opml>',
        "feed 'Orphan': url is required",
    ),
    "feed-without-name": (
        '<opml version="2.0"><body><outline xmlUrl="https://a.example/rss"/></body></opml>',
        "feed with url 'https://a.example/rss': name is required",
    ),
    "non-http-url": (
        '<opml version="2.0"><body><outline text="F" xmlUrl="file:///etc/passwd"/></body></opml>',
        "feed 'F': url 'file:///etc/passwd' must be an absolute http",
    ),
    "bad-poll-interval": (
        '<opml version="2.0" xmlns:p="urn:x-presswatch:opml"><body>'
        '<outline text="F" xmlUrl="https://a.example/" p:pollIntervalMinutes="soon"/>'
        "</body></opml>",
        "feed 'F': poll interval 'soon' is not a whole number",
    ),
    "not-opml": ('<rss version="2.0"><channel/></rss>', "root element 'rss'"),
    "malformed": ('<opml version="2.0"><body><outline text="x"></body></opml>', "not well-formed"),
    "undefined-entity": ('<opml><body><outline text="&nope;"/></body></opml>', "not well-formed"),
}


@pytest.mark.parametrize(("data", "message"), INVALID_OPML.values(), ids=INVALID_OPML.keys())
def test_invalid_opml_is_rejected(data: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_opml(data.encode())


# --- properties ------------------------------------------------------------------------


def stripped_texts(characters: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.text(characters, min_size=1).map(str.strip).filter(bool)


# Lone surrogates cannot be encoded as UTF-8, so no file format can hold them.
TEXT = stripped_texts(
    st.sampled_from("\"\\\n\r\t\b\f\x00\x1f\x7f'#=[]{}, ")
    | st.characters(exclude_categories=("Cs",))
)
# XML 1.0 forbids most C0 controls and U+FFFE/U+FFFF anywhere, even as references.
XML_SAFE_TEXT = stripped_texts(
    st.sampled_from("\"'\\\n\r\t&<>;#=,/ ")
    | st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
)
HOST = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)


def feed_lists(
    text: st.SearchStrategy[str], tag: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[FeedList]:
    url = st.builds(
        lambda scheme, host, path: f"{scheme}://{host}/{path}",
        st.sampled_from(["http", "https"]),
        HOST,
        st.just("") | text,
    )
    sources = st.builds(
        FeedSource,
        name=text,
        url=url,
        outlet=st.none() | text,
        tags=st.lists(text if tag is None else tag, unique=True, max_size=4).map(tuple),
        poll_interval_minutes=st.none() | st.integers(min_value=1, max_value=10**9),
    )
    return st.builds(
        FeedList,
        feeds=st.lists(sources, max_size=5, unique_by=(lambda s: s.name, lambda s: s.url)).map(
            tuple
        ),
        allowed_hosts=st.lists(HOST, max_size=3).map(tuple),
    )


@settings(max_examples=200, deadline=None)
@given(feed_lists(TEXT))
def test_toml_round_trip_property(feed_list: FeedList) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "feeds.toml"
        save_feed_list(feed_list, path)

        assert load_feed_list(path) == feed_list


# A comma separates tags in OPML's category attribute; outer slashes are path syntax.
OPML_TAG = XML_SAFE_TEXT.filter(lambda tag: "," not in tag and tag.strip("/") == tag)


@settings(max_examples=100, deadline=None)
@given(feed_lists(XML_SAFE_TEXT, tag=OPML_TAG))
def test_opml_round_trip_property(feed_list: FeedList) -> None:
    assert parse_opml(to_opml(feed_list).encode("utf-8")) == feed_list.feeds
