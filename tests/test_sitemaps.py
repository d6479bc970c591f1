"""Sitemap and news-sitemap parsing, robots.txt interpretation (pure functions)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from sources.robots import ALLOW_ALL, DISALLOW_ALL, parse_robots, rules_for_failure
from sources.sitemaps import (
    NEWS_SITEMAP,
    PLAIN_SITEMAP,
    SITEMAP_INDEX,
    SitemapError,
    parse_sitemap,
    parse_w3c_datetime,
)
from sources.urls import FetchError
from testsupport.sites import news_sitemap_xml

BASE = "https://news.example/sitemaps/news.xml"
PUBLISHED = datetime(2026, 11, 30, 7, 15, tzinfo=UTC)


def test_news_sitemap_entries_carry_title_date_language_and_keywords() -> None:
    body = news_sitemap_xml([("https://news.example/a", "Bridge reopens", PUBLISHED)], "de")
    sitemap = parse_sitemap(body, BASE)
    assert sitemap.kind == NEWS_SITEMAP
    (entry,) = sitemap.entries
    assert entry.url == "https://news.example/a"
    assert entry.news_title == "Bridge reopens"
    assert entry.news_published_at == PUBLISHED
    assert entry.news_language == "de"
    assert entry.news_keywords == ("politics", "local")
    assert sitemap.newest_date == PUBLISHED


def test_gzipped_sitemap_reads_like_the_plain_one() -> None:
    body = news_sitemap_xml([("https://news.example/a", "A", PUBLISHED)])
    assert parse_sitemap(gzip.compress(body), BASE) == parse_sitemap(body, BASE)


def test_sitemap_index_lists_children_resolved_against_the_base() -> None:
    body = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>/s/1.xml</loc><lastmod>2026-11-29</lastmod></sitemap>"
        b"<sitemap><loc> </loc></sitemap></sitemapindex>"
    )
    sitemap = parse_sitemap(body, BASE)
    assert sitemap.kind == SITEMAP_INDEX
    assert [e.url for e in sitemap.entries] == ["https://news.example/s/1.xml"]
    assert sitemap.entries[0].lastmod == datetime(2026, 11, 29, tzinfo=UTC)


def test_urlset_without_news_is_a_plain_sitemap() -> None:
    body = b"<urlset><url><loc>https://news.example/about</loc></url></urlset>"
    assert parse_sitemap(body, BASE).kind == PLAIN_SITEMAP


def test_gzip_bomb_stops_at_the_size_bound() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(SitemapError) as caught:
        parse_sitemap(bomb, BASE, max_bytes=1_000_000)
    assert caught.value.reason == "too_large"


def test_entity_declarations_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaa">]><urlset>&a;</urlset>'
    with pytest.raises(SitemapError) as caught:
        parse_sitemap(bomb, BASE)
    assert caught.value.reason == "xml_entities"


@pytest.mark.parametrize("body", [b"<html><body>hi</body></html>", b"not xml at all", b"<rss/>"])
def test_other_documents_are_not_sitemaps(body: bytes) -> None:
    with pytest.raises(SitemapError) as caught:
        parse_sitemap(body, BASE)
    assert caught.value.reason == "not_a_sitemap"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
        ("2026-11-30T08:15:00+01:00", PUBLISHED),
        ("2026-11-30T07:15:00Z", PUBLISHED),
        ("yesterday", None),
        ("", None),
    ],
)
def test_w3c_datetimes(text: str, expected: datetime | None) -> None:
    assert parse_w3c_datetime(text) == expected


def test_robots_rules_and_sitemap_lines() -> None:
    text = (
        b"User-agent: presswatch\nDisallow: /private/\n\n"
        b"User-agent: *\nDisallow: /\n\nSitemap: /news.xml\nsitemap: https://cdn.example/s.xml\n"
    )
    rules = parse_robots(text, "text/plain", "https://news.example/robots.txt")
    assert rules.sitemaps == ("https://news.example/news.xml", "https://cdn.example/s.xml")
    agent = "presswatch/0.1 (+https://github.com/presswatch/presswatch)"
    assert rules.allows("https://news.example/a", agent)
    assert not rules.allows("https://news.example/private/x", agent)
    assert not rules.allows("https://news.example/a", "otherbot/1.0")


def test_robots_txt_served_as_html_allows_everything() -> None:
    rules = parse_robots(b"<!doctype html><p>Disallow: /</p>", None, "https://n.example/robots.txt")
    assert rules.mode == ALLOW_ALL and rules.sitemaps == ()


@pytest.mark.parametrize(
    ("error", "mode"),
    [
        (FetchError("http_404", status=404), ALLOW_ALL),
        (FetchError("http_500", status=500, retryable=True), DISALLOW_ALL),
        (FetchError("timeout", retryable=True), DISALLOW_ALL),
    ],
)
def test_robots_txt_failures_follow_rfc_9309(error: FetchError, mode: str) -> None:
    assert rules_for_failure(error).mode == mode
