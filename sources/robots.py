"""robots.txt: the rules a site sets for crawlers, and the sitemaps it announces.

Interpretation follows RFC 9309: a robots.txt that is missing (4xx) allows everything; one
that cannot be read because the server fails (5xx, timeout) means "assume everything is
disallowed" until it can be read; a body that is HTML (a soft 404 or a login page) carries
no rules and allows everything. ``Sitemap:`` lines are collected whatever the user agent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from sources.http import FetchResult
from sources.urls import FetchError

# A robots.txt larger than this is cut here (RFC 9309 asks crawlers to read at least 500 KiB).
MAX_ROBOTS_BYTES = 512 * 1024
ALLOW_ALL, DISALLOW_ALL, RULES = "allow_all", "disallow_all", "rules"
# Fetch errors saying the host may not or cannot be contacted at all, not that it failed.
REFUSED_BY_OUR_RULES = frozenset({"blocked_address", "blocked_scheme", "invalid_url", "dns_error"})


@dataclass(frozen=True)
class RobotsRules:
    """What one site's robots.txt says; ``why`` explains ALLOW_ALL/DISALLOW_ALL verdicts."""

    mode: str  # ALLOW_ALL, DISALLOW_ALL or RULES
    sitemaps: tuple[str, ...] = ()
    text: str = ""
    why: str = ""
    fetch_error: str = ""  # the fetch's reason code when robots.txt could not be read

    def allows(self, url: str, user_agent: str) -> bool:
        if self.mode == ALLOW_ALL:
            return True
        if self.mode == DISALLOW_ALL:
            return False
        parser = RobotFileParser()
        parser.parse(self.text.splitlines())
        return parser.can_fetch(_product_token(user_agent), url)


def robots_url(site_url: str) -> str:
    return urljoin(site_url, "/robots.txt")


def parse_robots(body: bytes, content_type: str | None, robots_location: str) -> RobotsRules:
    """The rules in a robots.txt body fetched with a 2xx status."""
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    if _looks_like_html(text, content_type):
        return RobotsRules(ALLOW_ALL, why="robots.txt is an HTML page, not rules")
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    sitemaps = tuple(urljoin(robots_location, url.strip()) for url in parser.site_maps() or ())
    return RobotsRules(RULES, sitemaps=tuple(dict.fromkeys(sitemaps)), text=text)


def rules_for_failure(error: FetchError) -> RobotsRules:
    """RFC 9309 section 2.3.1: unavailable (4xx) allows all, unreachable disallows all."""
    if error.status is not None and 400 <= error.status < 500:
        return RobotsRules(ALLOW_ALL, why=f"no robots.txt ({error.reason})")
    return RobotsRules(
        DISALLOW_ALL, why=f"robots.txt unreachable ({error})", fetch_error=error.reason
    )


def _looks_like_html(text: str, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    start = text.lstrip()[:100].lower()
    return start.startswith(("<!doctype html", "<html"))


def _product_token(user_agent: str) -> str:
    """``presswatch/0.1 (+https://...)`` matches robots.txt groups as ``presswatch``."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


class RobotsCache:
    """robots.txt per origin, fetched on first use and kept for ``max_age_seconds``.

    Thread-safe: the page fetcher asks from many threads; one origin's robots.txt is
    fetched once at a time (others asking for it wait for that answer). ``get`` is the
    fetching function (URL -> FetchResult), so the caller's client, policy and politeness
    gate apply to robots.txt like to any other request.
    """

    def __init__(
        self,
        get: Callable[[str], FetchResult],
        *,
        max_age_seconds: float = 24 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._get = get
        self._max_age = max_age_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, RobotsRules]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules_for(self, url: str) -> RobotsRules:
        origin = _origin(url)
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            cached = self._entries.get(origin)
            if cached is not None and self._clock() - cached[0] < self._max_age:
                return cached[1]
            rules = self._fetch(url)
            self._entries[origin] = (self._clock(), rules)
            return rules

    def refusal(self, url: str, user_agent: str) -> str | None:
        """Why robots.txt forbids fetching ``url``, or None when it may be fetched."""
        rules = self.rules_for(url)
        if rules.fetch_error in REFUSED_BY_OUR_RULES or rules.allows(url, user_agent):
            return None  # a refused host: the page fetch itself reports why
        return rules.why or f"robots.txt of {_origin(url)} disallows it"

    def _fetch(self, url: str) -> RobotsRules:
        location = robots_url(url)
        try:
            result = self._get(location)
        except FetchError as error:
            return rules_for_failure(error)
        return parse_robots(result.body, result.headers.get("content-type"), result.final_url)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
