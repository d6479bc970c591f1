"""Discovery from a homepage against real local sites (testsupport.sites): every planted
feed and news sitemap is found with its item count and newest date, decoys are not, and
what the rules refuse (robots.txt, SSRF, redirects off the site) is recorded, not fetched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extractors.source_check import inspect_document
from sources.discovery import Discovery, discover, feed_links, normalise_site_url, site_name
from sources.http import FetchPolicy
from sources.urls import parse_allowed_hosts
from testsupport.localserver import LocalServer
from testsupport.sites import CONVENTIONS, plant_site

LOCAL = FetchPolicy(allow=parse_allowed_hosts("127.0.0.1"), total_timeout=5)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def run(url: str, policy: FetchPolicy = LOCAL) -> Discovery:
    return discover(url, policy=policy, inspect=inspect_document)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_finds_exactly_what_each_convention_plants(server: LocalServer, convention: str) -> None:
    site = plant_site(server, convention, seed=7)
    result = run(server.url("/"))
    assert result.failure is None
    assert {found.url for found in result.found} == site.expected
    for found in result.found:
        expected_count = site.feeds.get(found.url, site.sitemaps.get(found.url))
        assert found.item_count == expected_count, found
        assert found.newest_item_at == site.newest.get(found.url), found
    assert result.site_name == site.name


def test_robots_disallowed_feed_is_recorded_and_never_requested(server: LocalServer) -> None:
    site = plant_site(server, "robots-disallow", seed=1)
    result = run(server.url("/"))
    refused = {r.url: r.reason for r in result.rejected}
    assert refused[server.url("/private/members.rss")] == "disallowed_by_robots"
    assert server.requests_for("/private/members.rss") == []
    assert site.forbidden == ["/private/members.rss"]


def test_decoys_are_rejected_with_their_reason(server: LocalServer) -> None:
    plant_site(server, "decoys", seed=2)
    reasons = {r.url: r.reason for r in run(server.url("/")).rejected}
    assert reasons[server.url("/comments/")] == "not_a_feed"
    assert reasons[server.url("/sitemap.xml")] == "not_a_news_sitemap"
    # hreflang and text/html alternates are not feeds and are never fetched
    assert server.requests_for("/de/") == [] and server.requests_for("/mobile/") == []


def test_common_paths_are_probed_only_when_no_feed_is_declared(server: LocalServer) -> None:
    plant_site(server, "link-tags", seed=3)
    run(server.url("/"))
    assert server.requests_for("/feed") == [] and server.requests_for("/rss.xml") == []
    assert server.requests_for("/sitemap_news.xml") == []  # robots.txt named the sitemap


def test_homepage_redirecting_to_another_site_is_recorded(server: LocalServer) -> None:
    with LocalServer() as other:
        plant_site(other, "link-tags", seed=4)
        server.route("/", b"", status=301, headers={"Location": other.url("/")})
        result = run(server.url("/"))
    assert result.failure is not None and result.failure.reason == "redirected_off_site"
    assert other.url("/") in result.failure.detail
    assert result.found == () and other.requests_for("/rss/all.xml") == []


def test_homepage_redirecting_to_a_private_address_is_blocked(server: LocalServer) -> None:
    server.route("/", b"", status=302, headers={"Location": "http://10.255.255.1/"})
    result = run(server.url("/"))
    assert result.failure is not None and result.failure.reason == "blocked_address"


def test_a_private_site_is_refused_without_an_allow_list(server: LocalServer) -> None:
    plant_site(server, "link-tags", seed=5)
    result = run(server.url("/"), FetchPolicy(total_timeout=5))
    assert result.failure is not None and result.failure.reason == "blocked_address"
    assert server.requests == []


def test_robots_txt_that_fails_with_500_disallows_the_site(server: LocalServer) -> None:
    plant_site(server, "link-tags", seed=6)
    server.route("/robots.txt", b"oops", status=500)
    result = run(server.url("/"))
    assert result.failure is not None and result.failure.reason == "disallowed_by_robots"
    assert server.requests_for("/") == []


def test_user_agent_names_presswatch(server: LocalServer) -> None:
    plant_site(server, "link-tags", seed=8)
    run(server.url("/"))
    assert all(r.headers["user-agent"].startswith("presswatch") for r in server.requests)


def test_feed_links_resolve_against_base_href_and_ignore_other_alternates() -> None:
    html = (
        '<html><head><base href="https://cdn.example/feeds/">'
        '<link rel="alternate" type="application/rss+xml" href="all.rss">'
        '<link rel="Alternate  feed" type="application/atom+xml; charset=utf-8" href="/a.atom">'
        '<link rel="alternate" hreflang="fr" href="/fr/">'
        '<link rel="stylesheet" type="application/rss+xml" href="/no.css">'
        "</head></html>"
    )
    assert feed_links(html, "https://news.example/") == [
        "https://cdn.example/feeds/all.rss",
        "https://cdn.example/a.atom",
    ]


@pytest.mark.parametrize(
    ("html", "name"),
    [
        ('<meta property="og:site_name" content="The Courier"><title>x</title>', "The Courier"),
        ("<title>Home | The Courier</title>", "The Courier"),
        ("<title>The Courier - news from the valley</title>", "The Courier"),
        ("<p>no title</p>", "courier.example"),
    ],
)
def test_site_name(html: str, name: str) -> None:
    assert site_name(f"<html><head>{html}</head></html>", "https://www.courier.example/") == name


def test_normalise_site_url() -> None:
    assert normalise_site_url("courier.example") == "https://courier.example/"
    assert normalise_site_url("http://courier.example/news") == "http://courier.example/news"
