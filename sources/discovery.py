"""Find a site's feeds and news sitemaps from its homepage.

What is looked at, in order (the same HTTP client, SSRF rules and per-host politeness as
feed polling; robots.txt obeyed for the site's own pages):

1. ``/robots.txt``: its rules, and its ``Sitemap:`` lines;
2. the homepage: ``<link rel="alternate">`` tags of RSS, Atom and JSON Feed types, and the
   site's name (``og:site_name``, else ``application-name``, else the ``<title>``, else
   the host);
3. only when the homepage declares no feed: common feed paths (``/feed``, ``/rss.xml``, ...);
   only when robots.txt names no sitemap: well-known news-sitemap paths.

Each candidate is fetched and checked to be what it claims (a feed that parses with items,
a news sitemap or sitemap index); the check itself is passed in as ``inspect`` because
parsing feeds is the extractors' job. Nothing is followed off the site except URLs the site
itself declares, and every refusal (SSRF rule, robots.txt, redirect to another host) is
recorded with its reason instead of being fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from sources.http import FetchError, FetchPolicy, FetchResult, fetch
from sources.robots import REFUSED_BY_OUR_RULES, RobotsCache, RobotsRules
from sources.urls import DEFAULT_PORTS, canonical_url

FEED, SITEMAP = "feed", "sitemap"  # what a candidate claims to be
FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)
COMMON_FEED_PATHS = (
    "/feed",
    "/feed/",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
)
NEWS_SITEMAP_PATHS = ("/news-sitemap.xml", "/sitemap_news.xml", "/sitemap-news.xml")
# How a candidate was found, in the order they are tried.
FROM_LINK, FROM_ROBOTS, FROM_COMMON_PATH, FROM_WELL_KNOWN = (
    "link tag",
    "robots.txt",
    "common path",
    "well-known path",
)
MAX_LINK_CANDIDATES = 20
GENERIC_PAGE_TITLES = frozenset({"home", "homepage", "home page", "front page", "start", "news"})


@dataclass(frozen=True)
class Inspection:
    """What a fetched candidate turned out to be."""

    kind: str  # e.g. "rss", "atom", "json-feed", "news-sitemap", "sitemap-index"
    claim: str  # FEED or SITEMAP: what this kind counts as
    title: str | None
    item_count: int
    newest_item_at: datetime | None


class NotASource(Exception):
    """The inspector's verdict on a document that is neither a feed nor a news sitemap."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


Inspector = Callable[[FetchResult], Inspection]
Slot = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class Candidate:
    url: str
    claim: str  # FEED or SITEMAP
    found_by: str  # FROM_LINK, FROM_ROBOTS, FROM_COMMON_PATH or FROM_WELL_KNOWN


@dataclass(frozen=True)
class FoundSource:
    url: str  # where the document was finally fetched from (after redirects)
    kind: str
    found_by: str
    title: str | None
    item_count: int
    newest_item_at: datetime | None


@dataclass(frozen=True)
class RejectedCandidate:
    url: str
    found_by: str
    reason: str
    detail: str = ""

    @property
    def declared(self) -> bool:
        """Declared by the site (worth telling the user) rather than a guessed path."""
        return self.found_by in (FROM_LINK, FROM_ROBOTS)


@dataclass(frozen=True)
class Discovery:
    """Everything found on one site; ``failure`` is set when the homepage itself failed."""

    requested_url: str
    homepage_url: str
    site_name: str
    found: tuple[FoundSource, ...] = ()
    rejected: tuple[RejectedCandidate, ...] = ()
    failure: RejectedCandidate | None = None
    robots_note: str = ""


@dataclass
class _Walk:
    """One discovery run: the fetch settings, the inspector, robots.txt per origin."""

    policy: FetchPolicy
    inspect: Inspector
    client: httpx.Client
    slot: Slot
    robots: RobotsCache = field(init=False)

    def __post_init__(self) -> None:
        self.robots = RobotsCache(self.get)

    def get(self, url: str) -> FetchResult:
        with self.slot(url):
            return fetch(url, policy=self.policy, client=self.client)

    def rules_for(self, url: str) -> RobotsRules:
        return self.robots.rules_for(url)


def normalise_site_url(text: str) -> str:
    """``example.com`` -> ``https://example.com/``; a URL with a scheme is kept as given."""
    text = text.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    return text if parts.path else f"{text}/"


def discover(
    site_url: str,
    *,
    policy: FetchPolicy,
    inspect: Inspector,
    client: httpx.Client | None = None,
    slot: Slot | None = None,
) -> Discovery:
    """Find and check the feeds and news sitemaps of the site at ``site_url``.

    ``slot(url)`` is the politeness gate each request passes (``HostThrottle.slot``).
    """
    own_client = client is None
    http = client or httpx.Client()
    try:
        walk = _Walk(policy, inspect, http, slot or (lambda url: nullcontext()))
        return _discover(normalise_site_url(site_url), walk)
    finally:
        if own_client:
            http.close()


def _discover(requested: str, walk: _Walk) -> Discovery:
    host_name = _site_host(requested)
    rules = walk.rules_for(requested)
    if rules.fetch_error in REFUSED_BY_OUR_RULES:  # the homepage would be refused the same way
        return _failed(requested, host_name, rules.fetch_error, rules.why)
    if not rules.allows(requested, walk.policy.user_agent):
        why = rules.why or "robots.txt disallows the homepage"
        return _failed(requested, host_name, "disallowed_by_robots", why)
    try:
        homepage = walk.get(requested)
    except FetchError as error:
        return _failed(requested, host_name, error.reason, error.detail)
    final = homepage.final_url
    if _site_host(final) != host_name:
        detail = f"redirects to {final} (`presswatch sources discover {final}` reads that site)"
        return _failed(requested, host_name, "redirected_off_site", detail)
    page = _parse_homepage(homepage.body, final)
    rules = walk.rules_for(final)
    candidates = list(_candidates(final, page, rules))
    found, rejected = _check_all(candidates, walk, final)
    return Discovery(
        requested_url=requested,
        homepage_url=final,
        site_name=page.site_name or host_name,
        found=tuple(found),
        rejected=tuple(rejected),
        robots_note=rules.why,
    )


def _candidates(homepage: str, page: _Homepage, rules: RobotsRules) -> Iterator[Candidate]:
    feeds = page.feed_links[:MAX_LINK_CANDIDATES]
    yield from (Candidate(url, FEED, FROM_LINK) for url in feeds)
    if not feeds:
        yield from (
            Candidate(urljoin(homepage, path), FEED, FROM_COMMON_PATH) for path in COMMON_FEED_PATHS
        )
    yield from (Candidate(url, SITEMAP, FROM_ROBOTS) for url in rules.sitemaps)
    if not rules.sitemaps:
        yield from (
            Candidate(urljoin(homepage, path), SITEMAP, FROM_WELL_KNOWN)
            for path in NEWS_SITEMAP_PATHS
        )


def _check_all(
    candidates: list[Candidate], walk: _Walk, homepage: str
) -> tuple[list[FoundSource], list[RejectedCandidate]]:
    found: list[FoundSource] = []
    rejected: list[RejectedCandidate] = []
    seen: set[str] = set()
    for candidate in candidates:
        key = _key(candidate.url)
        if key in seen:
            continue
        seen.add(key)
        outcome = _check(candidate, walk, homepage)
        if isinstance(outcome, RejectedCandidate):
            rejected.append(outcome)
            continue
        final_key = _key(outcome.url)
        if final_key != key and final_key in seen:
            continue  # a common path redirecting to a feed already found
        seen.add(final_key)
        found.append(outcome)
    return found, rejected


def _check(candidate: Candidate, walk: _Walk, homepage: str) -> FoundSource | RejectedCandidate:
    def reject(reason: str, detail: str = "") -> RejectedCandidate:
        return RejectedCandidate(candidate.url, candidate.found_by, reason, detail)

    on_site = _site_host(candidate.url) == _site_host(homepage)
    if on_site and not walk.rules_for(candidate.url).allows(candidate.url, walk.policy.user_agent):
        return reject("disallowed_by_robots", "robots.txt disallows it")
    try:
        result = walk.get(candidate.url)
    except FetchError as error:
        return reject(error.reason, error.detail)
    guessed = candidate.found_by in (FROM_COMMON_PATH, FROM_WELL_KNOWN)
    if guessed and _site_host(result.final_url) != _site_host(homepage):
        return reject("redirected_off_site", f"a guessed path redirects to {result.final_url}")
    try:
        inspection = walk.inspect(result)
    except NotASource as verdict:
        return reject(verdict.reason, verdict.detail)
    if inspection.claim != candidate.claim:
        return reject(
            f"not_a_{candidate.claim}", f"claims to be a {candidate.claim}, is {inspection.kind}"
        )
    return FoundSource(
        url=result.final_url,
        kind=inspection.kind,
        found_by=candidate.found_by,
        title=inspection.title,
        item_count=inspection.item_count,
        newest_item_at=inspection.newest_item_at,
    )


def _failed(requested: str, host_name: str, reason: str, detail: str) -> Discovery:
    return Discovery(
        requested_url=requested,
        homepage_url=requested,
        site_name=host_name,
        failure=RejectedCandidate(requested, "homepage", reason, detail),
    )


def _key(url: str) -> str:
    try:
        return canonical_url(url)
    except ValueError:
        return url


def _site_host(url: str) -> str:
    """Host and port without ``www.``: example.com and www.example.com are one site."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port and port != DEFAULT_PORTS.get(parts.scheme) else host


# --- the homepage --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Homepage:
    feed_links: list[str]
    site_name: str | None


def _parse_homepage(body: bytes, base_url: str) -> _Homepage:
    reader = _HeadReader()
    reader.feed(body.decode("utf-8", errors="replace"))
    reader.close()
    base = urljoin(base_url, reader.base_href) if reader.base_href else base_url
    links = [urljoin(base, href) for href in reader.feed_hrefs]
    return _Homepage(list(dict.fromkeys(links)), reader.site_name())


def feed_links(html: str, base_url: str) -> list[str]:
    """The absolute URLs of the feeds an HTML page declares with ``<link rel="alternate">``."""
    return _parse_homepage(html.encode("utf-8"), base_url).feed_links


def site_name(html: str, url: str) -> str:
    """The site's name as its homepage states it, else its host without ``www.``."""
    return _parse_homepage(html.encode("utf-8"), url).site_name or _site_host(url)


class _HeadReader(HTMLParser):
    """Collects feed ``<link>`` tags, ``<base href>``, name metadata and the title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.feed_hrefs: list[str] = []
        self.base_href: str | None = None
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "link":
            rels = values.get("rel", "").lower().split()
            link_type = values.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rels and link_type in FEED_LINK_TYPES and values.get("href"):
                self.feed_hrefs.append(values["href"])
        elif tag == "base" and values.get("href") and self.base_href is None:
            self.base_href = values["href"]
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key in ("og:site_name", "application-name") and values.get("content"):
                self.meta.setdefault(key, values["content"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)

    def site_name(self) -> str | None:
        for key in ("og:site_name", "application-name"):
            if self.meta.get(key):
                return self.meta[key]
        title = " ".join("".join(self.title_parts).split())
        if not title:
            return None
        # A homepage title is "Example News - Latest headlines" or "Home | Example News":
        # the first part names the site unless it is a generic word for a front page.
        for separator in (" | ", " - ", " – ", " — ", " · ", " :: "):
            if separator in title:
                parts = [part.strip() for part in title.split(separator) if part.strip()]
                named = [part for part in parts if part.lower() not in GENERIC_PAGE_TITLES]
                return (named or parts)[0]
        return title
