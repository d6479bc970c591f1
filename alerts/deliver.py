"""Delivery: one message to one recipient, by SMTP (``smtplib``) or a webhook POST (httpx).

Every failure becomes a ``DeliveryError`` with a short reason and whether a later attempt
can succeed; the engine records it and retries with backoff. Webhook URLs pass the same
SSRF check as feeds (``sources.urls.check_url_allowed``) before every POST, and redirects
are not followed (a redirect could lead past that check).
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from config.settings import SmtpSettings
from sources.urls import AllowList, FetchError, check_url_allowed
from warehouse.alerts import Delivery
from warehouse.loader import stable_id

SIGNATURE_HEADER = "X-Presswatch-Signature"
DELIVERY_HEADER = "X-Presswatch-Delivery"
USER_AGENT = "presswatch-alerts/0.1"


class DeliveryError(Exception):
    """A delivery attempt failed; ``reason`` is a short code, ``retryable`` says whether a
    later attempt may succeed."""

    def __init__(self, reason: str, detail: str = "", *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


def smtp_password(settings: SmtpSettings) -> str | None:
    """The SMTP password: the environment's, else the named Prefect Secret block's."""
    if settings.password or not settings.password_block:
        return settings.password
    from prefect.blocks.system import Secret  # only when configured: it loads Prefect

    try:
        return str(Secret.load(settings.password_block).get())
    except Exception as exc:  # Prefect raises ValueError or httpx errors here
        raise DeliveryError(
            "smtp_secret_unavailable", f"Secret block {settings.password_block!r}: {exc}"
        ) from exc


def email_message(delivery: Delivery, sender: str) -> EmailMessage:
    """A multipart/alternative message (plain text, then HTML). The Message-ID is the
    same on every attempt, so a receiver can drop the duplicate a crash may cause."""
    message = EmailMessage()
    message["Subject"] = delivery.subject
    message["From"] = sender
    message["To"] = delivery.target
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = (
        f"<{delivery.alert_id}.{stable_id('rcpt', delivery.target)}@presswatch.invalid>"
    )
    message[DELIVERY_HEADER] = delivery.alert_id
    message.set_content(delivery.text_body)
    if delivery.html_body:
        message.add_alternative(delivery.html_body, subtype="html")
    return message


def send_email(delivery: Delivery, settings: SmtpSettings) -> None:
    if not settings.configured:
        raise DeliveryError("smtp_not_configured", "set PRESSWATCH_SMTP_HOST")
    password = smtp_password(settings)
    message = email_message(delivery, settings.sender)
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host or "",
                settings.port,
                timeout=settings.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                settings.host or "", settings.port, timeout=settings.timeout_seconds
            )
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, password or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            "recipient_refused",
            f"{delivery.target}: {codes}",
            retryable=any(c < 500 for c in codes),
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        # The message is the server's; it never contains the password.
        raise DeliveryError("smtp_auth_failed", f"{exc.smtp_code}", retryable=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            "smtp_error", f"{exc.smtp_code} {exc.smtp_error!r}", retryable=exc.smtp_code < 500
        ) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise DeliveryError("smtp_unreachable", f"{settings.host}:{settings.port}: {exc}") from exc


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact request body under the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(
    delivery: Delivery,
    *,
    allow: AllowList,
    secret: str | None,
    timeout_seconds: float,
) -> None:
    """POST the alert's JSON fields; 2xx is success, 5xx/408/429/timeouts are retried."""
    try:
        check_url_allowed(delivery.target, allow)
    except FetchError as exc:
        raise DeliveryError(exc.reason, exc.detail, retryable=exc.retryable) from exc
    body = delivery.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: delivery.alert_id,
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    try:
        response = httpx.post(
            delivery.target,
            content=body,
            headers=headers,
            timeout=timeout_seconds,
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise DeliveryError(
            "timeout", f"{delivery.target}: no answer in {timeout_seconds:g} s"
        ) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError("connection_error", f"{delivery.target}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    retryable = status >= 500 or status in (408, 429)
    raise DeliveryError(f"http_{status}", delivery.target, retryable=retryable)
