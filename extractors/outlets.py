"""Which outlet an article belongs to, from what its input states (pure functions).

In order: the outlet the feed (or seed manifest) is configured with; the site's own name
(``og:site_name``, JSON-LD ``publisher``, or a name trafilatura found that is not just the
host); the registered domain of the page's URL (``www.bbc.co.uk`` -> ``bbc.co.uk``), which
courlan computes with the public-suffix list bundled in the ``tld`` package (no download at
run time). A host without a registered domain (an IP address, ``localhost``) gives none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

FEED = "feed"
MANIFEST = "manifest"
SITE_NAME = "site_name"
TEXT = "text"  # an outlet line or wire dateline printed in a pasted page
DOMAIN = "domain"


def registered_domain(url: str | None) -> str | None:
    """The registered domain of ``url`` (public-suffix aware), or None."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host or "." not in host or host.replace(".", "").isdigit():
        return None
    # Imported on first use, not with this module: the loader imports this module, and a
    # run that loads nothing new (or only articles without a URL) needs no courlan.
    from courlan import extract_domain

    try:
        return extract_domain(url, fast=True)
    except (ValueError, TypeError):
        return None


def is_host_echo(site_name: str, url: str | None) -> bool:
    """``site_name`` only repeats the URL's host (trafilatura's fallback), so it is no name."""
    host = urlsplit(url).netloc.lower() if url else ""
    name = site_name.strip().lower()
    return bool(host) and name in {host, host.removeprefix("www."), registered_domain(url)}
