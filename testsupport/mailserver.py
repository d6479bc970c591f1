"""A real SMTP server on the loopback interface for tests (aiosmtpd, a dev dependency).

Usage::

    with MailServer() as mail:
        send_something(host="127.0.0.1", port=mail.port)
        message = mail.messages[0]          # email.message.EmailMessage, parsed
        assert mail.recipients[0] == ["ann@example.org"]

``hold()`` makes the server keep the next messages without answering the client's final
"." until ``release()``: the message is stored (as a real server would have queued it)
while the client still waits, which lets a test kill the client in that window.
``MailServer(login=("user", "secret"))`` requires SMTP AUTH (over plain SMTP: tests only).
"""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, owner: MailServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        owner = self.owner
        with owner.lock:
            owner.raw.append(bytes(envelope.content))
            owner.recipients.append(list(envelope.rcpt_tos))
            owner.received.set()
        while owner.holding.is_set():
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.logins: list[str] = []
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []
        self.lock = threading.Lock()
        self.received = threading.Event()
        self.holding = threading.Event()
        options: dict[str, Any] = {}
        if login is not None:
            expected = (login[0].encode(), login[1].encode())

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (data.login, data.password) == expected
                if ok:
                    self.logins.append(data.login.decode())
                return AuthResult(success=ok, handled=False)

            options = {
                "authenticator": authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **options
        )

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raw = list(self.raw)
        return [message_from_bytes(r, policy=policy.default) for r in raw]  # type: ignore[misc]

    def hold(self) -> None:
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.raw) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.raw)} of {count} message(s) arrived")
            time.sleep(0.02)

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
        self._controller.stop()
