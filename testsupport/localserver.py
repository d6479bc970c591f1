"""A real HTTP server on the loopback interface for tests (standard library only).

Usage::

    from testsupport.localserver import LocalServer, conditional, stalling, streamed

    with LocalServer() as server:
        server.route("/feed.xml", b"<rss/>", headers={"Content-Type": "application/rss+xml"})
        server.route("/moved", b"", status=301, headers={"Location": "/feed.xml"})
        server.route("/slow", stalling(5))                       # answers after 5 s
        server.route("/drip", streamed([b"a"] * 50, interval=0.1))
        server.route("/cached", conditional(b"<rss/>", etag='"v1"'))
        server.route("/custom", lambda exchange: exchange.respond(418, b"teapot"))

        fetch_something(server.url("/feed.xml"))
        assert server.requests_for("/feed.xml")[0].headers["user-agent"].startswith("presswatch")

Routes match on the path without the query string; unknown paths get a 404. A route is
either a static response or a handler: any callable taking an ``Exchange``, which can read
the request and answer with ``respond`` (complete response) or ``start`` + ``write``
(streamed body, connection closed at the end). Every request is logged in ``requests``.
An exception raised by a handler is answered with a 500 and re-raised when the ``with``
block exits, so a broken handler fails the test instead of looking like a network error.
Handlers that wait should use ``exchange.sleep``, which returns early on shutdown.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import NamedTuple

Handler = Callable[["Exchange"], None]


class RecordedRequest(NamedTuple):
    method: str
    path: str  # the request target, including any query string
    headers: Mapping[str, str]  # lower-case names


class Exchange:
    """One request as seen by a route handler, with ways to answer it."""

    def __init__(self, request: BaseHTTPRequestHandler, shutting_down: threading.Event) -> None:
        self._request = request
        self._shutting_down = shutting_down
        self.method = request.command
        self.path = request.path
        self.headers = {name.lower(): value for name, value in request.headers.items()}
        length = int(self.headers.get("content-length") or 0)
        self.body = request.rfile.read(length) if length else b""
        self.started = False

    def respond(
        self, status: int = 200, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a complete response; Content-Length is added unless ``headers`` set it."""
        all_headers = {"Content-Length": str(len(body)), **(headers or {})}
        self.start(status, all_headers)
        if self.method != "HEAD":
            self.write(body)

    def start(self, status: int = 200, headers: Mapping[str, str] | None = None) -> None:
        """Send the status line and headers; the body follows through ``write``.

        Without a Content-Length header the body is delimited by closing the connection.
        """
        headers = dict(headers or {})
        if not any(name.lower() == "content-length" for name in headers):
            headers["Connection"] = "close"
            self._request.close_connection = True
        self._request.send_response(status)
        for name, value in headers.items():
            self._request.send_header(name, value)
        self._request.end_headers()
        self.started = True

    def write(self, data: bytes) -> None:
        self._request.wfile.write(data)
        self._request.wfile.flush()

    def close_after(self) -> None:
        """Drop the connection when the handler returns, e.g. to cut a body short."""
        self._request.close_connection = True

    def sleep(self, seconds: float) -> None:
        """Wait, but return at once when the server shuts down."""
        self._shutting_down.wait(seconds)


def stalling(seconds: float, body: bytes = b"") -> Handler:
    """A handler that waits ``seconds`` before answering 200 with ``body``."""

    def handle(exchange: Exchange) -> None:
        exchange.sleep(seconds)
        exchange.respond(200, body)

    return handle


def streamed(
    chunks: Iterable[bytes],
    *,
    interval: float = 0.0,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Handler:
    """A handler sending ``chunks`` without Content-Length, pausing ``interval`` before each."""
    chunk_list = list(chunks)

    def handle(exchange: Exchange) -> None:
        exchange.start(status, headers)
        for chunk in chunk_list:
            exchange.sleep(interval)
            exchange.write(chunk)

    return handle


def conditional(
    body: bytes,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Handler:
    """A handler that honours If-None-Match / If-Modified-Since like a caching web server."""
    validators = {"ETag": etag, "Last-Modified": last_modified}
    response_headers = {name: value for name, value in validators.items() if value} | dict(
        headers or {}
    )

    def handle(exchange: Exchange) -> None:
        if _not_modified(exchange.headers, etag, last_modified):
            exchange.start(304, {**response_headers, "Content-Length": "0"})
        else:
            exchange.respond(200, body, response_headers)

    return handle


def _not_modified(
    request_headers: Mapping[str, str], etag: str | None, last_modified: str | None
) -> bool:
    # As in RFC 9110 section 13.2.2, If-None-Match wins when both are present.
    if "if-none-match" in request_headers:
        candidates = [tag.strip() for tag in request_headers["if-none-match"].split(",")]
        return etag is not None and ("*" in candidates or _weak(etag) in map(_weak, candidates))
    if "if-modified-since" in request_headers and last_modified:
        try:
            since = parsedate_to_datetime(request_headers["if-modified-since"])
        except (TypeError, ValueError):
            return False
        return parsedate_to_datetime(last_modified) <= since
    return False


def _weak(tag: str) -> str:
    return tag.removeprefix("W/")


def _static(status: int, body: bytes, headers: Mapping[str, str]) -> Handler:
    def handle(exchange: Exchange) -> None:
        exchange.respond(status, body, headers)

    return handle


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its LocalServer and skips the reverse DNS lookup."""

    def __init__(self, address: tuple[str, int], owner: LocalServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.owner = owner
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn, which can hang on a slow resolver.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients dropping connections (timeouts, closed pools) are routine in tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # idle keep-alive connections release their thread after this
    server: _HTTPServer

    def _dispatch(self) -> None:
        self.server.owner._handle(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet; the request log is in ``LocalServer.requests``."""


class LocalServer:
    """Threaded HTTP server on an ephemeral port; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._httpd = _HTTPServer((host, 0), self)
        self._thread = threading.Thread(target=self._serve, name="LocalServer", daemon=True)
        self._shutting_down = threading.Event()
        self._lock = threading.Lock()
        self._routes: dict[str, Handler] = {}
        self._requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        host_part = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{host_part}:{self.port}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        response: bytes | Handler = b"",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Serve ``path`` with a static body (plus ``status`` and ``headers``) or a handler."""
        handler = (
            _static(status, response, dict(headers or {}))
            if isinstance(response, bytes)
            else response
        )
        with self._lock:
            self._routes[path] = handler

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """Requests whose path (ignoring the query string) is ``path``."""
        return [request for request in self.requests if request.path.split("?")[0] == path]

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._shutting_down.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        if exc is None and self.errors:
            raise AssertionError(f"a LocalServer route handler failed: {self.errors[0]!r}") from (
                self.errors[0]
            )

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.05)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        exchange = Exchange(request, self._shutting_down)
        with self._lock:
            self._requests.append(RecordedRequest(exchange.method, exchange.path, exchange.headers))
            handler = self._routes.get(exchange.path.split("?")[0])
        try:
            if handler is None:
                exchange.respond(404, b"not found")
            else:
                handler(exchange)
                if not exchange.started:
                    raise RuntimeError(f"handler for {exchange.path} sent no response")
        except (BrokenPipeError, ConnectionResetError):
            request.close_connection = True  # the client went away, e.g. after a timeout
        except Exception as error:
            self.errors.append(error)
            request.close_connection = True
            if not exchange.started:
                exchange.respond(500, repr(error).encode())


def slow_headers(interval: float, body: bytes = b"late") -> Handler:
    """A handler sending its status line and headers one byte every ``interval`` seconds."""

    def handle(exchange: Exchange) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        exchange.started = True  # the response is written by hand below
        exchange.close_after()
        for byte in head.encode("ascii"):
            exchange.sleep(interval)
            exchange.write(bytes([byte]))
        exchange.write(body)

    return handle
