"""Tests for extractors.feed: typed parsing on top of feedparser."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from extractors.feed import FeedItem, ParsedFeed, parse_feed
from extractors.models import ExtractionError
from testsupport.corpus import FEEDPARSER_TESTS as CORPUS
from testsupport.corpus import require_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def all_strings(parsed: ParsedFeed) -> list[str]:
    """Every string field of the feed and its items."""

    def strings(record: object) -> list[str]:
        values = dataclasses.astuple(record)  # type: ignore[call-overload]
        return [value for value in values if isinstance(value, str)]

    return strings(parsed) + [text for item in parsed.items for text in strings(item)]


def item_by_guid(parsed: ParsedFeed, guid: str) -> FeedItem:
    return next(item for item in parsed.items if item.guid == guid)


# --- formats ---------------------------------------------------------------------------


def test_rss20_resolves_relative_links_against_content_location() -> None:
    parsed = parse_feed(
        fixture("rss20_relative_links.xml"),
        content_type="application/rss+xml; charset=utf-8",
        content_location="/feeds/main.xml",
        base_url="http://gazette.example/rss?page=1",
    )

    assert parsed.version == "rss20"
    assert parsed.link == "http://gazette.example/"
    budget, harbour, _ = parsed.items
    assert budget.url == "http://gazette.example/news/2024/budget"
    assert harbour.url == "http://gazette.example/archive/harbour.html"
    assert budget.content_html is not None
    assert 'href="http://gazette.example/news/2024/budget-detail"' in budget.content_html
    assert 'src="http://gazette.example/feeds/img/chart.png"' in budget.content_html


def test_rss20_fields() -> None:
    parsed = parse_feed(fixture("rss20_relative_links.xml"), base_url="http://gazette.example/")

    assert parsed.title == "The Example Gazette"
    assert parsed.language == "en-gb"
    assert parsed.bozo_reason is None
    budget = parsed.items[0]
    assert budget.guid == "gazette-1001"
    assert budget.identity == "gazette-1001"
    assert budget.title == "Council approves new budget"
    assert budget.summary == "The council voted 7–2. More soon."
    assert budget.content_html is not None
    assert "<b>7–2</b>" in budget.content_html
    assert "<script" not in budget.content_html  # feedparser's sanitizer stays on
    assert budget.author == "Jane Reporter"
    assert budget.published_at == datetime(2024, 3, 5, 17, 30, tzinfo=UTC)
    assert budget.language == "en-gb"


def test_rss_author_email_with_long_top_level_domain() -> None:
    harbour = parse_feed(fixture("rss20_relative_links.xml")).items[1]

    assert harbour.author == "News Desk"


def test_links_without_a_base_or_with_unsafe_schemes_are_dropped() -> None:
    parsed = parse_feed(fixture("rss20_relative_links.xml"))

    assert parsed.link is None
    assert [item.url for item in parsed.items] == [None, None, None]
    unsafe = parse_feed(fixture("rss20_relative_links.xml"), base_url="http://gazette.example/")
    assert unsafe.items[2].url is None
    assert (
        unsafe.items[2].identity
        == hashlib.sha256(b"Unsafe link\x00Should not yield a URL.").hexdigest()
    )


def test_atom10() -> None:
    parsed = parse_feed(fixture("atom10.xml"), content_type="application/atom+xml")

    assert parsed.version == "atom10"
    assert parsed.title == "Le Blog"
    assert parsed.link == "https://blog.example/fr/"
    assert parsed.language == "fr"
    first, second = parsed.items
    assert first.guid == "tag:blog.example,2024:1"
    assert first.url == "https://blog.example/fr/posts/resultats"
    assert first.title == "Élections : les résultats <officiels>"  # type="text" keeps "<"
    assert first.summary == "Résumé court & précis."
    assert first.content_html == "<p>Short html content.</p>"
    assert first.author == "Marie Curie"
    assert first.published_at == datetime(2024, 3, 7, 4, 30, tzinfo=UTC)  # published wins
    assert first.language == "fr"
    assert second.published_at == datetime(2024, 3, 7, 6, 45, tzinfo=UTC)  # from updated
    assert second.summary == "Erster Absatz"
    assert second.content_html == '<p>Ein <a href="https://blog.example/de/mehr">Link</a>.</p>'
    assert second.language == "de"


def test_rss10_rdf() -> None:
    parsed = parse_feed(fixture("rss10.rdf"))

    assert parsed.version == "rss10"
    assert parsed.title == "Example Wire"
    assert parsed.language == "en"
    assert [item.url for item in parsed.items] == [
        "http://wire.example/story/1",
        "http://wire.example/story/2",
    ]
    assert parsed.items[0].author == "Wire Staff"
    assert parsed.items[0].published_at == datetime(2024, 3, 8, 0, 30, tzinfo=UTC)
    assert parsed.items[1].published_at is None


# --- encodings -------------------------------------------------------------------------


def test_wrong_declared_charset_still_yields_items_flagged_bozo() -> None:
    parsed = parse_feed(
        fixture("cp1252_declared_utf8.xml"), content_type="application/rss+xml; charset=utf-8"
    )

    assert parsed.bozo_reason is not None
    assert parsed.bozo_reason.startswith("CharacterEncodingOverride: ")
    assert parsed.title == "Café Société"
    assert [item.title for item in parsed.items] == ["“Smart quotes” – naïve café"]
    assert parsed.items[0].summary == "Price €5"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content_type": "application/rss+xml"},
        {"base_url": "https://zeitung.example/feed"},
        {"content_location": "https://zeitung.example/feed"},
    ],
    ids=["no-headers", "content-type-without-charset", "base-url-only", "content-location-only"],
)
def test_missing_charset_means_utf8(headers: dict[str, str]) -> None:
    parsed = parse_feed(fixture("utf8_no_charset.xml"), **headers)

    assert parsed.bozo_reason is None
    assert parsed.title == "Zürich Zeitung"
    assert parsed.items[0].title == "Grüße aus Zürich — 東京"


# --- not feeds, empty feeds, failures ---------------------------------------------------


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(ExtractionError) as raised:
        parse_feed(fixture("html_page.html"), content_type="text/html; charset=utf-8")

    assert raised.value.reason == "not_a_feed"


@pytest.mark.parametrize("body", [b"", b"  \n\t "])
def test_empty_document_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(ExtractionError) as raised:
        parse_feed(body)

    assert raised.value.reason == "not_a_feed"


def test_valid_feed_without_items() -> None:
    parsed = parse_feed(fixture("empty_channel.xml"))

    assert parsed.items == ()
    assert parsed.title == "Quiet news day"
    assert parsed.bozo_reason is None


def test_unexpected_feedparser_errors_are_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_parse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(feedparser, "parse", broken_parse)

    with pytest.raises(ExtractionError) as raised:
        parse_feed(fixture("rss10.rdf"))

    assert raised.value.reason == "feed_parse_error"
    assert raised.value.detail == "RuntimeError: boom"


# --- identity and dates ----------------------------------------------------------------


def test_identity_falls_back_to_url_then_text_hash() -> None:
    linked, text_only, other_text = parse_feed(fixture("no_guid_items.xml")).items

    assert linked.guid is None
    assert linked.identity == "https://noguid.example/a"
    assert text_only.identity == hashlib.sha256(b"Text only\x00Neither guid nor link.").hexdigest()
    assert other_text.identity != text_only.identity
    reparsed = parse_feed(fixture("no_guid_items.xml")).items
    assert [item.identity for item in reparsed] == [
        item.identity for item in (linked, text_only, other_text)
    ]


@pytest.mark.parametrize(
    ("guid", "expected"),
    [
        ("offset", datetime(2024, 1, 1, 2, 0, tzinfo=UTC)),
        ("zulu", datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
        ("named-zone", datetime(2024, 1, 1, 13, 0, tzinfo=UTC)),
        ("updated-only", datetime(2024, 1, 1, 10, 0, tzinfo=UTC)),
        ("garbage", None),
        ("none", None),
    ],
)
def test_dates_are_utc(guid: str, expected: datetime | None) -> None:
    published_at = item_by_guid(parse_feed(fixture("dates.xml")), guid).published_at

    assert published_at == expected
    if published_at is not None:
        assert published_at.utcoffset() is not None
        assert published_at.utcoffset().total_seconds() == 0


# --- hostile input ---------------------------------------------------------------------


def test_xxe_cannot_read_etc_passwd() -> None:
    parsed = parse_feed(fixture("xxe_etc_passwd.xml"))

    assert parsed.items, "the feed itself should still parse"
    assert not any("root:" in text for text in all_strings(parsed))


XXE_VARIANTS = {
    "entity-per-line": '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{uri}">\n]>\n',
    "one-line-subset": '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>',
    "parameter-entity": (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY % ext SYSTEM "{uri}">\n%ext;\n]>\n'
    ),
    "external-dtd": '<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{uri}">\n',
}


@pytest.mark.parametrize("prolog", XXE_VARIANTS.values(), ids=XXE_VARIANTS.keys())
def test_xxe_variants_cannot_read_local_files(prolog: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    body = prolog.format(uri=secret.as_uri()) + (
        '<rss version="2.0"><channel><title>t &xxe;</title>'
        "<item><guid>1</guid><title>&xxe;</title><description>&xxe;</description></item>"
        "</channel></rss>"
    )

    parsed = parse_feed(body.encode())

    assert not any("TOP-SECRET" in text for text in all_strings(parsed))


def test_bytes_naming_a_local_file_are_not_read(tmp_path: Path) -> None:
    """feedparser.parse(b"/some/path") would open the file; parse_feed must not."""
    local_feed = tmp_path / "local.xml"
    local_feed.write_text('<rss version="2.0"><channel><title>LOCAL FILE</title></channel></rss>')

    with pytest.raises(ExtractionError) as raised:
        parse_feed(str(local_feed).encode())

    assert raised.value.reason == "not_a_feed"


def billion_laughs_on_one_line() -> bytes:
    """Unlike the fixture, this keeps the entities away from line starts, so feedparser's
    prolog stripping misses them and expat itself must refuse the expansion."""
    return b"".join(
        line.strip() for line in fixture("billion_laughs.xml").splitlines(keepends=True)
    )


@pytest.mark.parametrize(
    "body",
    [fixture("billion_laughs.xml"), billion_laughs_on_one_line()],
    ids=["entity-per-line", "one-line"],
)
def test_billion_laughs_does_not_expand(body: bytes) -> None:
    started = time.monotonic()

    parsed = parse_feed(body)

    assert time.monotonic() - started < 10
    assert all(len(text) < 1_000 for text in all_strings(parsed))
    assert not any("lollollol" in text for text in all_strings(parsed))


# --- feedparser's own test corpus ------------------------------------------------------

HEADER_COMMENT = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
NOT_FEEDS_IN_CORPUS = {"LICENSE", "SOURCE_COMMIT.txt", "tests/illformed/rss_empty_document.xml"}


def corpus_headers(body: bytes) -> dict[str, str]:
    """HTTP headers a feedparser test file asks its harness to serve it with."""
    found = HEADER_COMMENT.findall(body.decode("latin-1"))
    return {name.strip().lower(): value.strip() for name, value in found}


def item_invariant_violations(item: FeedItem) -> list[str]:
    problems = []
    if item.url is not None and not item.url.startswith(("http://", "https://")):
        problems.append(f"url {item.url!r}")
    if item.published_at is not None and item.published_at.utcoffset() != timedelta(0):
        problems.append(f"published_at {item.published_at!r}")
    if not item.identity:
        problems.append("empty identity")
    return problems


@pytest.mark.slow
def test_feedparser_corpus_never_escapes_an_exception() -> None:
    """Every corpus file either parses or raises ExtractionError("not_a_feed").

    Files are fed as if served by feedparser's own test harness: from
    http://127.0.0.1:8097/<path>, with the headers their comment header names.
    """
    require_corpus(CORPUS)
    files = sorted(path for path in CORPUS.rglob("*") if path.is_file())
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    not_feeds: set[str] = set()
    for path in files:
        name = path.relative_to(CORPUS).as_posix()
        body = path.read_bytes()
        headers = corpus_headers(body)
        try:
            parsed = parse_feed(
                body,
                content_type=headers.get("content-type"),
                content_location=headers.get("content-location"),
                base_url=f"http://127.0.0.1:8097/{name}",
            )
        except ExtractionError as error:
            outcomes[error.reason] += 1
            if error.reason == "not_a_feed":
                not_feeds.add(name)
            else:
                failures.append(f"{name}: {error}")
            continue
        except Exception as error:  # the point of the test: nothing else may escape
            failures.append(f"{name}: escaped {error!r}")
            continue
        outcomes["parsed"] += 1
        outcomes["with_items"] += bool(parsed.items)
        outcomes["bozo"] += parsed.bozo_reason is not None
        failures += [
            f"{name}: {p}" for item in parsed.items for p in item_invariant_violations(item)
        ]

    print(f"feedparser corpus: {len(files)} files, {dict(outcomes)}")
    assert failures == []
    assert not_feeds == NOT_FEEDS_IN_CORPUS
    assert len(files) > 1000
