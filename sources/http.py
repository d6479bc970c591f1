"""Fetch one feed or article page, politely and defensively.

``fetch`` follows redirects itself so that every hop passes the SSRF check, enforces a total
deadline on top of httpx's per-operation timeouts, sends conditional-GET validators, and
decompresses the body itself so that a compression bomb is stopped at ``max_bytes`` instead
of being inflated in memory. Every failure surfaces as a ``FetchError`` with a short reason
code and a ``retryable`` flag, so callers never have to know about httpx exceptions.

The total deadline covers connecting, sending, the response headers and the body. httpx's
timeouts apply to each network operation, so a server sending its headers one byte at a
time never trips them; the clients made by ``http_client`` therefore use a network backend
that cuts every connect, read and write to what is left of the current fetch's deadline.
"""

from __future__ import annotations

import re
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from sources.urls import AllowList, FetchError, check_url_allowed

__all__ = [
    "MAX_RETRY_AFTER_SECONDS",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "fetch",
    "http_client",
    "parse_retry_after",
]

ACCEPT = (
    "application/rss+xml, application/atom+xml, text/html, application/xhtml+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
# Only encodings this module can decompress with a bound on the output size.
ACCEPT_ENCODING = "gzip, deflate"
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
DELTA_SECONDS = re.compile(r"\d+(\.\d+)?")
# The longest pause a server's Retry-After can impose on a feed: a day. Longer asks (or
# absurd ones such as 99999999999999999999 seconds or a date in the year 9999) are capped.
MAX_RETRY_AFTER_SECONDS = 86_400.0
# httpcore's socket option shapes, as ``socket.setsockopt`` takes them.
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
# The monotonic deadline of the fetch running in this thread (or task), read by the
# network backend of ``http_client``'s clients.
_DEADLINE: ContextVar[float | None] = ContextVar("presswatch_fetch_deadline", default=None)


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str = "presswatch/0.1 (+https://github.com/presswatch/presswatch)"
    connect_timeout: float = 10
    read_timeout: float = 20
    total_timeout: float = 60
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow: AllowList = field(default_factory=AllowList.empty)


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) or not-modified (304) response.

    ``body`` is already decompressed (``headers`` still show the original Content-Encoding).
    For a 304 the body is empty and ``etag``/``last_modified`` fall back to the validators
    that were sent when the server did not repeat them, so callers can always store them.
    """

    requested_url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    elapsed_seconds: float

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(
    url: str,
    *,
    policy: FetchPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """GET ``url`` under ``policy``; raise ``FetchError`` for anything but a 2xx or 304.

    Pass a shared ``client`` from ``http_client`` to reuse connections; the policy's
    timeouts, headers and redirect handling are applied per request, so the client's own
    settings for those do not matter. (A plain ``httpx.Client`` works too, but cannot hold
    a server that trickles its headers to the total deadline.)
    """
    if client is not None:
        return _Fetch(url, policy, etag, last_modified).run(client)
    with http_client() as own_client:
        return _Fetch(url, policy, etag, last_modified).run(own_client)


def http_client() -> httpx.Client:
    """An ``httpx.Client`` whose every network operation ends by the running fetch's deadline."""
    return httpx.Client(transport=_DeadlineTransport())


class _Fetch:
    """State of one ``fetch`` call across its redirect hops."""

    def __init__(
        self, url: str, policy: FetchPolicy, etag: str | None, last_modified: str | None
    ) -> None:
        self.requested_url = url
        self.policy = policy
        self.etag = etag
        self.last_modified = last_modified
        self.started = time.monotonic()
        self.deadline = self.started + policy.total_timeout

    def run(self, client: httpx.Client) -> FetchResult:
        token = _DEADLINE.set(self.deadline)
        try:
            return self._follow(client)
        finally:
            _DEADLINE.reset(token)

    def _follow(self, client: httpx.Client) -> FetchResult:
        url = self.requested_url
        redirects = 0
        while True:
            check_url_allowed(url, self.policy.allow)
            with _translating_httpx_errors(url):
                request = self._build_request(client, url)
                response = client.send(request, stream=True, follow_redirects=False)
                try:
                    if not response.has_redirect_location:
                        return self._result(response)
                    if redirects == self.policy.max_redirects:
                        raise FetchError(
                            "too_many_redirects",
                            detail=f"more than {redirects} redirects from {self.requested_url}",
                        )
                    redirects += 1
                    url = str(response.url.join(response.headers["location"]))
                finally:
                    response.close()

    def _build_request(self, client: httpx.Client, url: str) -> httpx.Request:
        headers = {
            "User-Agent": self.policy.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return client.build_request("GET", url, headers=headers, timeout=self._timeout())

    def _timeout(self) -> httpx.Timeout:
        """Per-operation timeouts, each cut down to what is left of the total deadline."""
        remaining = self._remaining()
        connect = min(self.policy.connect_timeout, remaining)
        read = min(self.policy.read_timeout, remaining)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(
                "timeout",
                retryable=True,
                detail=f"total timeout of {self.policy.total_timeout}s exceeded",
            )
        return remaining

    def _result(self, response: httpx.Response) -> FetchResult:
        if response.status_code == 304:
            return self._build_result(response, b"")
        if not response.is_success:
            raise _status_error(response)
        return self._build_result(response, self._read_body(response))

    def _read_body(self, response: httpx.Response) -> bytes:
        max_bytes = self.policy.max_bytes
        declared_length = response.headers.get("content-length", "")
        if declared_length.isdigit() and int(declared_length) > max_bytes:
            raise FetchError(
                "too_large", detail=f"Content-Length {declared_length} exceeds {max_bytes}"
            )
        inflater = _Inflater.for_encoding(response.headers.get("content-encoding", ""))
        body = bytearray()
        for raw in response.iter_raw():
            self._remaining()
            # Asking for one byte more than still fits is enough to detect an overflow.
            body += inflater.inflate(raw, max_bytes - len(body) + 1) if inflater else raw
            if len(body) > max_bytes:
                raise FetchError("too_large", detail=f"body exceeds {max_bytes} bytes")
        return bytes(body)

    def _build_result(self, response: httpx.Response, body: bytes) -> FetchResult:
        headers = dict(response.headers.items())
        return FetchResult(
            requested_url=self.requested_url,
            final_url=str(response.url),
            status=response.status_code,
            headers=headers,
            body=body,
            etag=headers.get("etag") or (self.etag if response.status_code == 304 else None),
            last_modified=headers.get("last-modified")
            or (self.last_modified if response.status_code == 304 else None),
            elapsed_seconds=time.monotonic() - self.started,
        )


class _Inflater:
    """Incremental gzip/deflate decompression that never produces more than asked for.

    httpx's own decoders inflate each network read completely, so a few kilobytes of
    (doubly) gzipped zeros can become gigabytes before any size check runs.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # wbits 16+ expects a gzip header; 32+ auto-detects a zlib or gzip header.
        wbits = zlib.MAX_WBITS | (16 if encoding in ("gzip", "x-gzip") else 32)
        self.decompressor = zlib.decompressobj(wbits)
        self.started = False

    @classmethod
    def for_encoding(cls, content_encoding: str) -> _Inflater | None:
        codings = [
            coding
            for coding in (part.strip().lower() for part in content_encoding.split(","))
            if coding and coding != "identity"
        ]
        if not codings:
            return None
        if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
            raise FetchError("unsupported_encoding", detail=f"Content-Encoding {content_encoding}")
        return cls(codings[0])

    def inflate(self, data: bytes, max_length: int) -> bytes:
        try:
            output = self.decompressor.decompress(data, max_length)
        except zlib.error as error:
            if self.encoding != "deflate" or self.started:
                raise FetchError("decoding_error", detail=str(error)) from error
            # Some servers send "deflate" as a raw stream without the zlib header.
            self.decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
            self.started = True
            return self.inflate(data, max_length)
        self.started = True
        return output


def _status_error(response: httpx.Response) -> FetchError:
    status = response.status_code
    return FetchError(
        f"http_{status}",
        retryable=status >= 500 or status in RETRYABLE_CLIENT_ERRORS,
        status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        detail=f"{response.reason_phrase} from {response.url}",
    )


@contextmanager
def _translating_httpx_errors(url: str) -> Iterator[None]:
    """Turn httpx exceptions raised while talking to ``url`` into ``FetchError``."""
    try:
        yield
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
        raise FetchError("invalid_url", detail=f"{url}: {error}") from error
    except httpx.TimeoutException as error:
        raise FetchError("timeout", retryable=True, detail=f"{url}: {error!r}") from error
    except httpx.TransportError as error:
        raise FetchError("connection_error", retryable=True, detail=f"{url}: {error!r}") from error


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a Retry-After header (delta-seconds or an HTTP-date).

    Dates in the past give 0; waits beyond ``MAX_RETRY_AFTER_SECONDS`` are capped to it; a
    missing, negative or unparseable value gives None (as if the header were absent).
    """
    if value is None:
        return None
    value = value.strip()
    if DELTA_SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
        seconds = (_as_utc(moment) - _as_utc(now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# --- the total deadline inside httpx's network operations ----------------------------------


def _within_deadline(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` cut to what is left of the running fetch's deadline (if any)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the total timeout ran out")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads and writes each end by the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _within_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own blocking sockets, with every operation bounded by the deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _within_deadline(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _within_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport with the deadline-bounded network backend (same TLS defaults)."""

    def __init__(self) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )
