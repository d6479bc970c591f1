"""Rate limiting per host so that fetching many feeds never hammers one publisher."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


class _HostState:
    def __init__(self, per_host: int) -> None:
        self.concurrency = threading.BoundedSemaphore(per_host)
        self.start_lock = threading.Lock()
        self.next_start = 0.0


class HostThrottle:
    """Thread-safe limits on concurrent requests, per host and overall.

    Within ``slot(url)`` at most ``per_host`` requests to the same host and ``global_limit``
    requests in total run at once, and successive slots for one host start at least
    ``min_delay`` seconds apart. Hosts are told apart by host name, ignoring the port.
    """

    def __init__(self, per_host: int = 2, min_delay: float = 0.5, global_limit: int = 16) -> None:
        if per_host < 1 or global_limit < 1 or min_delay < 0:
            raise ValueError("per_host and global_limit must be >= 1 and min_delay >= 0")
        self._per_host = per_host
        self._min_delay = min_delay
        self._global = threading.BoundedSemaphore(global_limit)
        self._hosts: dict[str, _HostState] = {}
        self._hosts_lock = threading.Lock()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = self._host_state(urlsplit(url).hostname or "")
        # The host's own limit is taken first so that requests queueing for a busy host do
        # not hold global slots; the start spacing comes last so that waiting for a global
        # slot cannot squeeze two starts for one host closer together.
        with host.concurrency, self._global:
            self._wait_for_turn(host)
            yield

    def _host_state(self, host: str) -> _HostState:
        with self._hosts_lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _HostState(self._per_host)
            return state

    def _wait_for_turn(self, host: _HostState) -> None:
        # Holding the lock while sleeping queues the starts for this host one after another.
        with host.start_lock:
            delay = host.next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            host.next_start = time.monotonic() + self._min_delay
