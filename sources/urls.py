"""URL canonicalisation and the address checks that keep fetching away from internal networks.

``canonical_url`` gives one spelling per article so the warehouse can deduplicate on it.
``check_url_allowed`` is the SSRF guard: feeds are untrusted input, and a link (or a redirect)
to ``http://169.254.169.254/`` or ``http://localhost:8080/admin`` must never be fetched unless
an operator explicitly allow-listed that host.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

FETCHABLE_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

TRACKING_PARAM_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "oly_", "vero_", "_hs")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "icid",
        "ocid",
        "xtor",
        "s_cid",
        "wt.mc_id",
        "__twitter_impression",
    }
)


class FetchError(Exception):
    """A URL could not be fetched; ``reason`` is a short machine-readable code.

    Defined here rather than in ``sources.http`` because the SSRF checks in this module raise
    it too; ``sources.http`` re-exports it, so both import paths name the same class.
    ``retryable`` tells the caller whether trying again later can succeed, and
    ``retry_after`` (seconds) is the server's own hint when it sent one.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        # Only ``reason`` goes to Exception.args: pickling (Prefect moves task results between
        # processes) re-creates the error from args and restores the rest from ``__dict__``.
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


def canonical_url(url: str) -> str:
    """Return one spelling of ``url`` so that trivially different links deduplicate.

    Lower-cases scheme and host, drops the scheme's default port, the fragment and tracking
    query parameters, and turns an empty path into ``/``. Everything else, including the order
    and exact encoding of the remaining query parameters, is kept: sites differ in what their
    parameters mean, so rewriting more would risk merging different articles.
    Raises ``ValueError`` for URLs that cannot be parsed (bad port, unbalanced brackets).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = _canonical_netloc(scheme, parts.netloc)
    path = parts.path or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, _strip_tracking_params(parts.query), ""))


def _canonical_netloc(scheme: str, netloc: str) -> str:
    if not netloc:
        return ""
    userinfo, _, hostport = netloc.rpartition("@")
    parsed = urlsplit(f"//{hostport}")
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parsed.port  # raises ValueError for a non-numeric or out-of-range port
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{userinfo}@{host}" if userinfo else host


def _strip_tracking_params(query: str) -> str:
    kept = [pair for pair in query.split("&") if pair and not _is_tracking_param(pair)]
    return "&".join(kept)


def _is_tracking_param(pair: str) -> bool:
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PARAM_PREFIXES)


@dataclass(frozen=True)
class AllowList:
    """Hosts that may be fetched even though they resolve to non-public addresses.

    Used for feeds on an intranet and for tests against a local server. A host is permitted
    when its name is listed, or when every non-public address it resolves to lies in a listed
    address or CIDR range.
    """

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def empty(cls) -> AllowList:
        return cls()

    def permits(self, host: str, addresses: Sequence[IPAddress]) -> bool:
        if _normalise_host_name(host) in self.names:
            return True
        return bool(addresses) and all(self._covers(address) for address in addresses)

    def _covers(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def parse_allowed_hosts(value: str | Iterable[str] | None) -> AllowList:
    """Build an ``AllowList`` from ``"intranet.example, 10.1.2.3, 192.168.0.0/16"`` or a list.

    Raises ``ValueError`` for an entry that is neither a host name, an address nor a range.
    """
    if value is None:
        return AllowList.empty()
    entries = value.split(",") if isinstance(value, str) else value
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in (entry.strip() for entry in entries):
        if not entry:
            continue
        network = _parse_network(entry)
        if network is not None:
            networks.append(network)
        elif _looks_like_host_name(entry):
            names.add(_normalise_host_name(entry))
        else:
            raise ValueError(f"not a host name, address or CIDR range: {entry!r}")
    return AllowList(names=frozenset(names), networks=tuple(networks))


def _parse_network(entry: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return None


def _looks_like_host_name(entry: str) -> bool:
    return not any(character in entry for character in "/:@[] ")


def _normalise_host_name(host: str) -> str:
    return host.lower().rstrip(".")


def check_url_allowed(url: str, allow: AllowList) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address.

    The URL is parsed with httpx, the same parser that makes the request, so that no
    disagreement between parsers (``http://a\\@127.0.0.1/``-style tricks) can slip through.
    The host is resolved here and again when httpx connects, so a DNS server that answers
    differently the second time (DNS rebinding) is not caught by this check.
    """
    parsed = _parse_url(url)
    if parsed.scheme not in FETCHABLE_SCHEMES:
        raise FetchError("blocked_scheme", detail=f"{parsed.scheme or 'no'} scheme in {url!r}")
    if not parsed.host:
        raise FetchError("invalid_url", detail=f"no host in {url!r}")
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    addresses = resolve_host(parsed.raw_host.decode("ascii"), port)
    non_public = [address for address in addresses if not is_public_address(address)]
    if non_public and not allow.permits(parsed.host, non_public):
        listed = ", ".join(str(address) for address in non_public)
        raise FetchError("blocked_address", detail=f"{parsed.host} resolves to {listed}")


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise FetchError("invalid_url", detail=f"{url!r}: {error}") from error
    if not parsed.scheme:
        raise FetchError("invalid_url", detail=f"no scheme in {url!r}")
    return parsed


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to, as the connection would see them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        retryable = error.errno == socket.EAI_AGAIN
        raise FetchError("dns_error", retryable=retryable, detail=f"{host}: {error}") from error
    except UnicodeError as error:
        raise FetchError("invalid_url", detail=f"{host!r}: {error}") from error
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise FetchError("dns_error", detail=f"{host}: no addresses")
    return addresses


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses.

    IPv6 addresses that embed an IPv4 address (``::ffff:127.0.0.1``, 6to4 ``2002::/16``) are
    judged by the embedded address, since that is where the traffic ends up.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )
