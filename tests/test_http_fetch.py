"""fetch() against a real HTTP server on 127.0.0.1, and the HostThrottle politeness limits."""

from __future__ import annotations

import gzip
import pickle
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise

import httpx
import pytest

from sources.http import FetchError, FetchPolicy, fetch, parse_retry_after
from sources.politeness import HostThrottle
from sources.urls import parse_allowed_hosts
from testsupport.localserver import Exchange, LocalServer, conditional, stalling, streamed

LOOPBACK = parse_allowed_hosts("127.0.0.1")
# Small timeouts keep the timeout tests fast; nothing local needs more.
FAST = FetchPolicy(connect_timeout=1, read_timeout=0.5, total_timeout=2, allow=LOOPBACK)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


def fetch_error(url: str, policy: FetchPolicy = FAST, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, policy=policy, **kwargs)
    return caught.value


def with_policy(**changes: object) -> FetchPolicy:
    fields = {**FAST.__dict__, **changes}
    return FetchPolicy(**fields)


# --- successful fetches ---------------------------------------------------------------------


def test_a_200_returns_body_validators_and_lower_case_headers(server: LocalServer) -> None:
    server.route(
        "/feed.xml",
        b"<rss/>",
        headers={"Content-Type": "application/rss+xml", "ETag": '"v1"', "X-Custom": "yes"},
    )
    result = fetch(server.url("/feed.xml"), policy=FAST)

    assert (result.status, result.body, result.not_modified) == (200, b"<rss/>", False)
    assert result.requested_url == result.final_url == server.url("/feed.xml")
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.headers["x-custom"] == "yes"
    assert (result.etag, result.last_modified) == ('"v1"', None)
    assert 0 <= result.elapsed_seconds < 2


def test_every_request_identifies_itself_and_asks_for_feeds_or_html(server: LocalServer) -> None:
    server.route("/page", b"ok")
    fetch(server.url("/page"), policy=FAST)

    headers = server.requests_for("/page")[0].headers
    assert headers["user-agent"] == FAST.user_agent
    assert "application/rss+xml" in headers["accept"]
    assert "text/html" in headers["accept"]
    assert headers["accept-encoding"] == "gzip, deflate"


def test_a_shared_client_keeps_the_policy_headers_and_redirect_checks(server: LocalServer) -> None:
    server.route("/page", b"ok")
    server.route("/jump", status=302, headers={"Location": "http://169.254.169.254/"})
    with httpx.Client(follow_redirects=True, headers={"User-Agent": "other"}) as client:
        assert fetch(server.url("/page"), policy=FAST, client=client).body == b"ok"
        error = fetch_error(server.url("/jump"), client=client)

    assert server.requests_for("/page")[0].headers["user-agent"] == FAST.user_agent
    assert error.reason == "blocked_address"


# --- conditional GET -------------------------------------------------------------------------


def test_a_matching_etag_gives_304_with_empty_body(server: LocalServer) -> None:
    server.route("/feed.xml", conditional(b"<rss/>", etag='"v1"'))

    result = fetch(server.url("/feed.xml"), policy=FAST, etag='"v1"')

    assert (result.status, result.body, result.not_modified) == (304, b"", True)
    assert result.etag == '"v1"'
    assert server.requests_for("/feed.xml")[0].headers["if-none-match"] == '"v1"'


def test_a_stale_etag_gets_the_full_body(server: LocalServer) -> None:
    server.route("/feed.xml", conditional(b"<rss/>", etag='"v2"'))

    result = fetch(server.url("/feed.xml"), policy=FAST, etag='"v1"')

    assert (result.status, result.body, result.etag) == (200, b"<rss/>", '"v2"')


def test_last_modified_gives_304_and_is_kept_for_the_next_poll(server: LocalServer) -> None:
    stamp = "Mon, 02 Jun 2025 10:00:00 GMT"
    server.route("/feed.xml", conditional(b"<rss/>", last_modified=stamp))

    first = fetch(server.url("/feed.xml"), policy=FAST)
    second = fetch(server.url("/feed.xml"), policy=FAST, last_modified=first.last_modified)

    assert (first.status, first.last_modified) == (200, stamp)
    assert (second.status, second.body, second.last_modified) == (304, b"", stamp)
    assert server.requests_for("/feed.xml")[1].headers["if-modified-since"] == stamp


def test_a_bare_304_keeps_the_validators_that_were_sent(server: LocalServer) -> None:
    server.route("/feed.xml", status=304)  # no ETag or Last-Modified repeated

    result = fetch(server.url("/feed.xml"), policy=FAST, etag='"v1"', last_modified="yesterday")

    assert (result.status, result.etag, result.last_modified) == (304, '"v1"', "yesterday")


def test_no_conditional_headers_are_sent_without_validators(server: LocalServer) -> None:
    server.route("/feed.xml", b"<rss/>")
    fetch(server.url("/feed.xml"), policy=FAST)

    headers = server.requests_for("/feed.xml")[0].headers
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


# --- redirects -------------------------------------------------------------------------------


def test_a_relative_redirect_is_resolved_against_the_current_url(server: LocalServer) -> None:
    server.route("/old/feed", status=301, headers={"Location": "../new/feed?x=1"})
    server.route("/new/feed", b"moved here")

    result = fetch(server.url("/old/feed"), policy=FAST)

    assert (result.body, result.final_url) == (b"moved here", server.url("/new/feed?x=1"))
    assert result.requested_url == server.url("/old/feed")


def test_an_absolute_redirect_chain_is_followed(server: LocalServer) -> None:
    server.route("/a", status=302, headers={"Location": server.url("/b")})
    server.route("/b", status=307, headers={"Location": server.url("/c")})
    server.route("/c", b"end")

    result = fetch(server.url("/a"), policy=FAST)

    assert (result.body, result.final_url) == (b"end", server.url("/c"))


def route_redirect_chain(server: LocalServer, length: int) -> None:
    for hop in range(length):
        server.route(f"/hop{hop}", status=302, headers={"Location": f"/hop{hop + 1}"})
    server.route(f"/hop{length}", b"arrived")


def test_exactly_max_redirects_are_followed(server: LocalServer) -> None:
    route_redirect_chain(server, 3)

    assert fetch(server.url("/hop0"), policy=with_policy(max_redirects=3)).body == b"arrived"


def test_one_redirect_too_many_is_refused(server: LocalServer) -> None:
    route_redirect_chain(server, 4)

    error = fetch_error(server.url("/hop0"), with_policy(max_redirects=3))

    assert (error.reason, error.retryable) == ("too_many_redirects", False)
    assert server.requests_for("/hop4") == []


def test_a_redirect_from_an_allowed_host_to_a_refused_address_is_not_followed(
    server: LocalServer,
) -> None:
    server.route("/start", status=302, headers={"Location": server.url("/secret")})
    server.route("/secret", b"internal")
    only_localhost = with_policy(allow=parse_allowed_hosts("localhost"))

    error = fetch_error(f"http://localhost:{server.port}/start", only_localhost)

    assert error.reason == "blocked_address"
    assert len(server.requests_for("/start")) == 1
    assert server.requests_for("/secret") == []


def test_a_redirect_to_a_local_file_is_refused(server: LocalServer) -> None:
    server.route("/start", status=302, headers={"Location": "file:///etc/passwd"})

    assert fetch_error(server.url("/start")).reason == "blocked_scheme"


# --- status codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(404, False), (410, False), (403, False), (400, False), (408, True), (500, True), (502, True)],
)
def test_error_statuses_are_classified(server: LocalServer, status: int, retryable: bool) -> None:
    server.route("/x", b"nope", status=status)

    error = fetch_error(server.url("/x"))

    assert (error.reason, error.status, error.retryable) == (f"http_{status}", status, retryable)
    assert error.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limits_carry_retry_after_in_seconds(server: LocalServer, status: int) -> None:
    server.route("/x", b"slow down", status=status, headers={"Retry-After": "120"})

    error = fetch_error(server.url("/x"))

    assert (error.reason, error.retryable, error.retry_after) == (f"http_{status}", True, 120.0)


def test_retry_after_as_an_http_date_becomes_seconds_from_now(server: LocalServer) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    server.route("/x", b"", status=429, headers={"Retry-After": later})

    error = fetch_error(server.url("/x"))

    assert error.retry_after is not None
    assert 80 <= error.retry_after <= 90


NOW = datetime(2025, 6, 2, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Mon, 02 Jun 2025 10:01:30 GMT", 90.0),
        ("Mon, 02 Jun 2025 09:00:00 GMT", 0.0),  # already past
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


# --- timeouts and connection failures --------------------------------------------------------


def test_a_stalled_server_times_out_quickly(server: LocalServer) -> None:
    server.route("/slow", stalling(10, b"too late"))

    started = time.monotonic()
    error = fetch_error(server.url("/slow"))

    assert (error.reason, error.retryable) == ("timeout", True)
    assert time.monotonic() - started < 1.5


def test_a_trickling_server_hits_the_total_deadline(server: LocalServer) -> None:
    # Each byte arrives well within the read timeout; only the total deadline can stop this.
    server.route("/drip", streamed([b"x"] * 200, interval=0.05))
    policy = with_policy(read_timeout=1, total_timeout=0.6)

    started = time.monotonic()
    error = fetch_error(server.url("/drip"), policy)

    assert (error.reason, error.retryable) == ("timeout", True)
    assert 0.5 < time.monotonic() - started < 1.5


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_is_a_retryable_connection_error() -> None:
    error = fetch_error(f"http://127.0.0.1:{unused_port()}/")

    assert (error.reason, error.retryable) == ("connection_error", True)


def test_a_reset_mid_body_is_a_connection_error(server: LocalServer) -> None:
    def cut_short(exchange: Exchange) -> None:
        exchange.start(200, {"Content-Length": "1000"})
        exchange.write(b"only a little")
        exchange.close_after()

    server.route("/cut", cut_short)

    assert fetch_error(server.url("/cut")).reason == "connection_error"


@pytest.mark.parametrize("url", ["not a url", "example.com/feed", "http://", "http:///path"])
def test_invalid_urls(url: str) -> None:
    assert fetch_error(url).reason == "invalid_url"


# --- size limits and decompression -----------------------------------------------------------


def test_a_declared_oversize_body_is_refused_before_reading_it(server: LocalServer) -> None:
    def huge_promise(exchange: Exchange) -> None:
        exchange.start(200, {"Content-Length": "50000000"})
        exchange.write(b"x" * 100)
        exchange.sleep(10)  # reading on would end in a timeout, not "too_large"

    server.route("/huge", huge_promise)

    error = fetch_error(server.url("/huge"), with_policy(max_bytes=1000))

    assert (error.reason, error.retryable) == ("too_large", False)


def test_an_oversize_stream_without_length_is_refused(server: LocalServer) -> None:
    server.route("/stream", streamed([b"x" * 1000] * 20))

    assert fetch_error(server.url("/stream"), with_policy(max_bytes=5000)).reason == "too_large"


def test_a_body_of_exactly_max_bytes_is_accepted(server: LocalServer) -> None:
    server.route("/stream", streamed([b"x" * 1000] * 5))

    assert len(fetch(server.url("/stream"), policy=with_policy(max_bytes=5000)).body) == 5000


def test_a_gzip_body_is_decompressed(server: LocalServer) -> None:
    server.route("/gz", gzip.compress(b"<rss/>" * 100), headers={"Content-Encoding": "gzip"})

    assert fetch(server.url("/gz"), policy=FAST).body == b"<rss/>" * 100


@pytest.mark.parametrize(
    "compress",
    [zlib.compress, lambda data: zlib.compress(data)[2:-4]],
    ids=["zlib-wrapped", "raw"],
)
def test_a_deflate_body_is_decompressed(
    server: LocalServer, compress: Callable[[bytes], bytes]
) -> None:
    server.route("/df", compress(b"<rss/>" * 100), headers={"Content-Encoding": "deflate"})

    assert fetch(server.url("/df"), policy=FAST).body == b"<rss/>" * 100


def test_a_gzip_bomb_is_refused_without_inflating_it(server: LocalServer) -> None:
    expanded = 50_000_000
    bomb = gzip.compress(bytes(expanded), compresslevel=9)
    assert len(bomb) < 100_000
    server.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})

    tracemalloc.start()
    try:
        error = fetch_error(server.url("/bomb"), with_policy(max_bytes=1_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.reason == "too_large"
    assert peak < expanded / 10


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip"])
def test_encodings_that_cannot_be_bounded_are_refused(server: LocalServer, encoding: str) -> None:
    server.route("/enc", b"\x00" * 10, headers={"Content-Encoding": encoding})

    assert fetch_error(server.url("/enc")).reason == "unsupported_encoding"


def test_corrupt_gzip_is_a_decoding_error(server: LocalServer) -> None:
    server.route("/bad", b"definitely not gzip", headers={"Content-Encoding": "gzip"})

    assert fetch_error(server.url("/bad")).reason == "decoding_error"


# --- SSRF protection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_url",
    [
        lambda port: f"http://127.0.0.1:{port}/feed",
        lambda port: f"http://localhost:{port}/feed",
        lambda port: f"http://LOCALHOST:{port}/feed",
        lambda port: f"http://2130706433:{port}/feed",  # 127.0.0.1 as one decimal number
        lambda port: f"http://a\\@127.0.0.1:{port}/feed",
    ],
    ids=["ip", "localhost", "upper-case", "decimal-ip", "userinfo-trick"],
)
def test_loopback_is_refused_without_an_allow_list(
    server: LocalServer, make_url: Callable[[int], str]
) -> None:
    server.route("/feed", b"secret")

    error = fetch_error(make_url(server.port), with_policy(allow=parse_allowed_hosts(None)))

    assert (error.reason, error.retryable) == ("blocked_address", False)
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    assert fetch_error(url, with_policy(allow=parse_allowed_hosts(None))).reason == (
        "blocked_address"
    )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/feed", "data:text/plain,hi", "javascript:1"]
)
def test_other_schemes_are_refused(url: str) -> None:
    assert fetch_error(url).reason == "blocked_scheme"


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("localhost", "localhost"),
        ("127.0.0.1", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.0/8", "127.0.0.1"),
        ("intranet.example, 127.0.0.0/8", "localhost"),
    ],
)
def test_allow_listed_hosts_are_fetched(server: LocalServer, allowed: str, host: str) -> None:
    server.route("/feed", b"internal feed")
    policy = with_policy(allow=parse_allowed_hosts(allowed))

    assert fetch(f"http://{host}:{server.port}/feed", policy=policy).body == b"internal feed"


def test_an_unresolvable_name_is_a_dns_error() -> None:
    assert fetch_error("http://no-such-host.invalid/feed").reason == "dns_error"


def test_fetch_errors_survive_pickling() -> None:
    error = FetchError("http_429", retryable=True, status=429, retry_after=5.0, detail="busy")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.reason, copy.retryable, copy.status, copy.retry_after, copy.detail) == (
        "http_429",
        True,
        429,
        5.0,
        "busy",
    )
    assert str(copy) == "http_429: busy"


# --- the test server itself ------------------------------------------------------------------


def test_local_server_fails_the_test_when_a_handler_breaks() -> None:
    def broken(exchange: Exchange) -> None:
        raise KeyError("bug in handler")

    with pytest.raises(AssertionError, match="bug in handler"), LocalServer() as server:
        server.route("/broken", broken)
        assert httpx.get(server.url("/broken")).status_code == 500


def test_local_server_answers_unknown_paths_with_404_and_logs_queries(
    server: LocalServer,
) -> None:
    response = httpx.get(server.url("/unknown?q=1"))

    assert response.status_code == 404
    assert server.requests_for("/unknown")[0].path == "/unknown?q=1"


# --- politeness ------------------------------------------------------------------------------


class SlotRecorder:
    """Runs workers through a throttle and records when each held its slot."""

    def __init__(self, throttle: HostThrottle, hold: float) -> None:
        self.throttle = throttle
        self.hold = hold
        self.lock = threading.Lock()
        self.intervals: list[tuple[str, float, float]] = []

    def run(self, urls: list[str]) -> None:
        workers = [threading.Thread(target=self._work, args=(url,)) for url in urls]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=10)

    def _work(self, url: str) -> None:
        with self.throttle.slot(url):
            started = time.monotonic()
            time.sleep(self.hold)
            ended = time.monotonic()
        with self.lock:
            self.intervals.append((url, started, ended))

    def max_concurrent(self, url_prefix: str = "") -> int:
        chosen = [(s, e) for url, s, e in self.intervals if url.startswith(url_prefix)]
        return max(sum(1 for s, e in chosen if s <= moment < e) for moment, _ in chosen)

    def starts(self, url_prefix: str) -> list[float]:
        return sorted(s for url, s, _ in self.intervals if url.startswith(url_prefix))


def test_throttle_limits_concurrency_per_host() -> None:
    recorder = SlotRecorder(HostThrottle(per_host=2, min_delay=0, global_limit=16), hold=0.2)

    recorder.run(["http://a.example/"] * 6 + ["http://b.example/"] * 2)

    assert len(recorder.intervals) == 8
    assert recorder.max_concurrent("http://a.example") == 2
    assert recorder.max_concurrent() == 4  # the other host is not held back by the busy one


def test_throttle_limits_concurrency_overall() -> None:
    recorder = SlotRecorder(HostThrottle(per_host=4, min_delay=0, global_limit=3), hold=0.2)

    recorder.run([f"http://host{n}.example/" for n in range(8)])

    assert recorder.max_concurrent() == 3


def test_throttle_spaces_starts_to_one_host_but_not_across_hosts() -> None:
    recorder = SlotRecorder(HostThrottle(per_host=4, min_delay=0.2, global_limit=16), hold=0)

    recorder.run(["http://a.example/x"] * 4 + ["http://b.example:8080/y", "http://b.example/z"])

    a_starts = recorder.starts("http://a.example")
    assert all(later - earlier >= 0.15 for earlier, later in pairwise(a_starts))
    assert a_starts[-1] - a_starts[0] >= 0.55
    b_starts = recorder.starts("http://b.example")
    assert b_starts[0] - a_starts[0] < 0.15  # host b did not wait behind host a
    assert b_starts[1] - b_starts[0] >= 0.15  # the port does not make it another host


def test_throttle_rejects_impossible_limits() -> None:
    with pytest.raises(ValueError):
        HostThrottle(per_host=0)
    with pytest.raises(ValueError):
        HostThrottle(global_limit=0)
    with pytest.raises(ValueError):
        HostThrottle(min_delay=-1)
