"""Local news sites with different conventions for publishing feeds and news sitemaps.

Each ``plant_site`` call dresses a ``LocalServer`` as one site following a convention and
returns what a correct discovery must find there (and nothing else). Decoys are planted
too: alternate links to HTML pages, soft-404 pages at feed paths, plain sitemaps, feeds
that robots.txt forbids. Used by tests/test_discovery*.py and bench/discovery.py.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from testsupport.localserver import LocalServer

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml"}
JSON_TYPE = {"Content-Type": "application/feed+json"}
XML_TYPE = {"Content-Type": "application/xml"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}
TEXT_TYPE = {"Content-Type": "text/plain"}
CONVENTIONS = (
    "link-tags",
    "json-feed-base-href",
    "common-paths",
    "robots-index",
    "decoys",
    "no-feed",
    "robots-disallow",
    "redirected-feed",
)


@dataclass
class PlantedSite:
    """What was planted on one site: the sources a discovery must report (by URL)."""

    name: str
    convention: str
    server: LocalServer
    feeds: dict[str, int] = field(default_factory=dict)  # url -> item count
    sitemaps: dict[str, int] = field(default_factory=dict)  # url -> entry count
    newest: dict[str, datetime] = field(default_factory=dict)  # url -> newest item date
    forbidden: list[str] = field(default_factory=list)  # paths robots.txt disallows

    @property
    def expected(self) -> set[str]:
        return set(self.feeds) | set(self.sitemaps)


def plant_site(server: LocalServer, convention: str, seed: int = 0) -> PlantedSite:
    """Dress ``server`` as a site following ``convention`` (one of CONVENTIONS)."""
    rng = random.Random(seed)
    name = f"{rng.choice(['Daily', 'Evening', 'Morning', 'Weekly'])} {convention.title()} {seed}"
    site = PlantedSite(name, convention, server)
    planters = {
        "link-tags": _link_tags,
        "json-feed-base-href": _json_feed_base_href,
        "common-paths": _common_paths,
        "robots-index": _robots_index,
        "decoys": _decoys,
        "no-feed": _no_feed,
        "robots-disallow": _robots_disallow,
        "redirected-feed": _redirected_feed,
    }
    planters[convention](site, rng)
    return site


# --- conventions ---------------------------------------------------------------------------


def _link_tags(site: PlantedSite, rng: random.Random) -> None:
    rss, atom = _rss_feed(site, "/rss/all.xml", rng), _atom_feed(site, "/atom.xml", rng)
    news = _news_sitemap(site, "/news-sitemap.xml", rng)
    _homepage(site, [("application/rss+xml", rss), ("application/atom+xml", atom)])
    _robots(site, f"User-agent: *\nDisallow: /admin/\n\nSitemap: {news}\n")


def _json_feed_base_href(site: PlantedSite, rng: random.Random) -> None:
    _json_feed(site, "/feeds/main.json", rng)
    _homepage(
        site,
        [("application/feed+json", "main.json")],
        base_href="/feeds/",
        og_site_name=site.name,
    )
    _news_sitemap(site, "/sitemap_news.xml", rng)  # found on a well-known path
    site.server.route("/robots.txt", b"not here", status=404)


def _common_paths(site: PlantedSite, rng: random.Random) -> None:
    _rss_feed(site, "/feed/", rng)
    _homepage(site, [])
    _news_sitemap(site, "/sitemap-news.xml", rng)
    _robots(site, "User-agent: *\nAllow: /\n")


def _robots_index(site: PlantedSite, rng: random.Random) -> None:
    atom = _atom_feed(site, "/feeds/atom", rng)
    _homepage(site, [("application/atom+xml", atom)])
    first = _news_sitemap(site, "/sitemaps/news-1.xml", rng, register=False)
    second = _news_sitemap(site, "/sitemaps/news-2.xml.gz", rng, register=False, gzipped=True)
    index = _sitemap_index(site, "/sitemap-index.xml", [first, second])
    _robots(site, f"Sitemap: {index}\nUser-agent: *\nDisallow: /search\n")


def _decoys(site: PlantedSite, rng: random.Random) -> None:
    rss = _rss_feed(site, "/rss", rng)
    _page(site, "/comments/", "Comments")  # a link tag claims a feed, it is a page
    _page(site, "/feed", "Not found, but status 200")  # a soft 404 on a common path
    plain = _plain_sitemap(site, "/sitemap.xml")  # a sitemap, but no news
    _homepage(
        site,
        [("application/rss+xml", rss), ("application/rss+xml", "/comments/")],
        extra_head='<link rel="alternate" hreflang="de" href="/de/">'
        '<link rel="alternate" type="text/html" href="/mobile/">',
    )
    _robots(site, f"User-agent: *\nDisallow:\nSitemap: {plain}\n")


def _no_feed(site: PlantedSite, rng: random.Random) -> None:
    _homepage(site, [])
    for path in ("/feed", "/rss.xml"):
        _page(site, path, "A page, not a feed")
    # robots.txt served as an HTML page: no rules, no sitemaps
    site.server.route(
        "/robots.txt", b"<!doctype html><html><body>Hello</body></html>", headers=HTML_TYPE
    )


def _robots_disallow(site: PlantedSite, rng: random.Random) -> None:
    public = _rss_feed(site, "/public.rss", rng)
    private = site.server.url("/private/members.rss")
    site.server.route(
        "/private/members.rss", _rss(site, "/private/members.rss", rng, 3), headers=RSS_TYPE
    )
    site.forbidden.append("/private/members.rss")
    _homepage(site, [("application/rss+xml", public), ("application/rss+xml", private)])
    news = _news_sitemap(site, "/news/sitemap.xml", rng)
    _robots(
        site,
        "User-agent: presswatch\nDisallow: /private/\n\n"
        f"User-agent: *\nDisallow: /\n\nSitemap: {news}\n",
    )


def _redirected_feed(site: PlantedSite, rng: random.Random) -> None:
    # No link tag; /rss answers with a redirect to the real feed, /feed also does.
    target = _rss_feed(site, "/feeds/latest.xml", rng)
    site.server.route("/rss", b"", status=301, headers={"Location": "/feeds/latest.xml"})
    site.server.route("/feed", b"", status=302, headers={"Location": target})
    _homepage(site, [], title=f"Home | {site.name}")
    _robots(site, "")


# --- documents -----------------------------------------------------------------------------


def _homepage(
    site: PlantedSite,
    links: list[tuple[str, str]],
    *,
    base_href: str | None = None,
    og_site_name: str | None = None,
    extra_head: str = "",
    title: str | None = None,
) -> None:
    head = [f"<title>{title or site.name + ' - the latest news'}</title>"]
    if base_href:
        head.append(f'<base href="{base_href}">')
    if og_site_name:
        head.append(f'<meta property="og:site_name" content="{og_site_name}">')
    head += [f'<link rel="alternate" type="{kind}" href="{href}">' for kind, href in links]
    head.append(extra_head)
    html = (
        f"<!doctype html><html><head>{''.join(head)}</head><body><h1>{site.name}</h1></body></html>"
    )
    site.server.route("/", html.encode(), headers=HTML_TYPE)


def _page(site: PlantedSite, path: str, text: str) -> None:
    html = f"<!doctype html><html><head><title>{text}</title></head><body>{text}</body></html>"
    site.server.route(path, html.encode(), headers=HTML_TYPE)


def _robots(site: PlantedSite, text: str) -> None:
    site.server.route("/robots.txt", text.encode(), headers=TEXT_TYPE)


def _dates(rng: random.Random, count: int) -> list[datetime]:
    newest = datetime(2026, 11, 30, 12, tzinfo=UTC) - timedelta(hours=rng.randint(0, 48))
    return [newest - timedelta(hours=3 * index) for index in range(count)]


def _rss(site: PlantedSite, path: str, rng: random.Random, count: int) -> bytes:
    dates = _dates(rng, count)
    items = "".join(
        f"<item><title>Story {i}</title><link>{site.server.url(f'/story/{i}')}</link>"
        f"<guid>{site.server.url(f'/story/{i}')}</guid>"
        f"<pubDate>{d.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    site.newest[site.server.url(path)] = dates[0]
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{site.name}</title>'
        f"<link>{site.server.url('/')}</link>{items}</channel></rss>"
    ).encode()


def _rss_feed(site: PlantedSite, path: str, rng: random.Random) -> str:
    count = rng.randint(3, 12)
    site.server.route(path, _rss(site, path, rng, count), headers=RSS_TYPE)
    site.feeds[site.server.url(path)] = count
    return site.server.url(path)


def _atom_feed(site: PlantedSite, path: str, rng: random.Random) -> str:
    count = rng.randint(2, 9)
    dates = _dates(rng, count)
    entries = "".join(
        f"<entry><title>Entry {i}</title><id>urn:entry:{i}</id>"
        f'<link href="{site.server.url(f"/entry/{i}")}"/><updated>{d.isoformat()}</updated></entry>'
        for i, d in enumerate(dates)
    )
    body = (
        f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{site.name}</title>'
        f"<id>urn:site</id><updated>{dates[0].isoformat()}</updated>{entries}</feed>"
    )
    site.server.route(path, body.encode(), headers=ATOM_TYPE)
    url = site.server.url(path)
    site.feeds[url], site.newest[url] = count, dates[0]
    return url


def _json_feed(site: PlantedSite, path: str, rng: random.Random) -> str:
    count = rng.randint(1, 6)
    dates = _dates(rng, count)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site.name,
        "items": [
            {"id": str(i), "url": site.server.url(f"/j/{i}"), "date_published": d.isoformat()}
            for i, d in enumerate(dates)
        ],
    }
    site.server.route(path, json.dumps(document).encode(), headers=JSON_TYPE)
    url = site.server.url(path)
    site.feeds[url], site.newest[url] = count, dates[0]
    return url


def news_sitemap_xml(entries: list[tuple[str, str, datetime]], language: str = "en") -> bytes:
    """A Google News sitemap of (url, title, publication date) entries."""
    urls = "".join(
        f"<url><loc>{url}</loc><news:news><news:publication><news:name>Site</news:name>"
        f"<news:language>{language}</news:language></news:publication>"
        f"<news:publication_date>{published.isoformat()}</news:publication_date>"
        f"<news:title>{title}</news:title><news:keywords>politics, local</news:keywords>"
        f"</news:news></url>"
        for url, title, published in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    ).encode()


def _news_sitemap(
    site: PlantedSite,
    path: str,
    rng: random.Random,
    *,
    register: bool = True,
    gzipped: bool = False,
) -> str:
    count = rng.randint(2, 10)
    dates = _dates(rng, count)
    body = news_sitemap_xml(
        [(site.server.url(f"/n{path}/{i}"), f"News {i}", d) for i, d in enumerate(dates)]
    )
    site.server.route(path, gzip.compress(body) if gzipped else body, headers=XML_TYPE)
    url = site.server.url(path)
    if register:
        site.sitemaps[url], site.newest[url] = count, dates[0]
    return url


def _sitemap_index(site: PlantedSite, path: str, children: list[str]) -> str:
    entries = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    body = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    )
    site.server.route(path, body.encode(), headers=XML_TYPE)
    url = site.server.url(path)
    site.sitemaps[url] = len(children)
    return url


def _plain_sitemap(site: PlantedSite, path: str) -> str:
    body = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.server.url('/about')}</loc></url></urlset>"
    )
    site.server.route(path, body.encode(), headers=XML_TYPE)
    return site.server.url(path)
