"""Hostile servers: slow headers, absurd Retry-After. Real HTTP server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sources.http import (
    MAX_RETRY_AFTER_SECONDS,
    FetchError,
    FetchPolicy,
    fetch,
    http_client,
    parse_retry_after,
)
from sources.urls import parse_allowed_hosts
from testsupport.localserver import LocalServer, slow_headers

LOOPBACK = parse_allowed_hosts("127.0.0.1")
# Each header byte arrives well within the read timeout: only the total deadline can stop it.
POLICY = FetchPolicy(connect_timeout=1, read_timeout=1, total_timeout=1.5, allow=LOOPBACK)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


def test_headers_sent_one_byte_at_a_time_are_cut_at_the_total_timeout(
    server: LocalServer,
) -> None:
    server.route("/slow-head", slow_headers(0.2))
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/slow-head"), policy=POLICY)
    elapsed = time.monotonic() - started
    assert (caught.value.reason, caught.value.retryable) == ("timeout", True)
    assert elapsed < POLICY.total_timeout + 0.5  # the headers alone would take about 14 s


def test_a_shared_client_also_cuts_slow_headers_and_still_serves_the_next_fetch(
    server: LocalServer,
) -> None:
    server.route("/slow-head", slow_headers(0.2))
    server.route("/ok", b"fine")
    with http_client() as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timeout"):
            fetch(server.url("/slow-head"), policy=POLICY, client=client)
        assert time.monotonic() - started < POLICY.total_timeout + 0.5
        assert fetch(server.url("/ok"), policy=POLICY, client=client).body == b"fine"


NOW = datetime(2025, 6, 2, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99999999999999999999", MAX_RETRY_AFTER_SECONDS),
        ("9" * 400, MAX_RETRY_AFTER_SECONDS),  # float() of this is inf
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_SECONDS),
        ("Mon, 02 Jun 2025 10:01:30 GMT", 90.0),
        ("Mon, 02 Jun 2025 09:00:00 GMT", 0.0),
        ("-5", None),
        ("-99999999999999999999", None),
        ("Mon, 02 Jun 99999 10:00:00 GMT", None),
    ],
)
def test_absurd_retry_after_is_capped_or_ignored(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_an_absurd_retry_after_from_a_server_is_capped(server: LocalServer) -> None:
    server.route("/busy", b"", status=503, headers={"Retry-After": "99999999999999999999"})
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/busy"), policy=POLICY)
    assert caught.value.retry_after == MAX_RETRY_AFTER_SECONDS
