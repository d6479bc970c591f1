"""Pure alert decisions: quiet hours, digest times across DST, backoff, addresses."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts import rules

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def test_quiet_hours_across_midnight() -> None:
    quiet = rules.QuietHours.parse("22:00-07:00")
    assert quiet.until(at(LONDON, 2026, 1, 10, 21, 59), LONDON) is None
    assert quiet.until(at(LONDON, 2026, 1, 10, 22, 0), LONDON) == at(LONDON, 2026, 1, 11, 7, 0)
    assert quiet.until(at(LONDON, 2026, 1, 11, 3, 0), LONDON) == at(LONDON, 2026, 1, 11, 7, 0)
    assert quiet.until(at(LONDON, 2026, 1, 11, 7, 0), LONDON) is None
    # Summer time: the same local hours, an hour earlier in UTC.
    assert quiet.until(at(LONDON, 2026, 7, 1, 23, 0), LONDON) == datetime(
        2026, 7, 2, 6, 0, tzinfo=UTC
    )


def test_quiet_hours_within_a_day() -> None:
    quiet = rules.QuietHours.parse("12:30-14:00")
    assert quiet.until(at(NEW_YORK, 2026, 3, 2, 13, 0), NEW_YORK) == at(NEW_YORK, 2026, 3, 2, 14, 0)
    assert quiet.until(at(NEW_YORK, 2026, 3, 2, 14, 0), NEW_YORK) is None
    assert str(quiet) == "12:30-14:00"


@pytest.mark.parametrize("text", ["22:00", "22:00-22:00", "7-8", "25:00-07:00", ""])
def test_bad_quiet_hours(text: str) -> None:
    with pytest.raises(rules.RuleError):
        rules.QuietHours.parse(text)


def test_digest_slot_follows_the_subscriber_time_zone() -> None:
    seven = time(7, 0)
    # 06:59 in London: the last slot was yesterday's 07:00.
    now = at(LONDON, 2026, 1, 10, 6, 59)
    assert rules.latest_digest_slot(now, seven, LONDON) == at(LONDON, 2026, 1, 9, 7, 0)
    now = at(LONDON, 2026, 1, 10, 7, 0)
    assert rules.latest_digest_slot(now, seven, LONDON) == at(LONDON, 2026, 1, 10, 7, 0)
    # Across the spring change the slot stays at 07:00 local (06:00 UTC after it).
    now = at(LONDON, 2026, 3, 29, 7, 30)
    assert rules.latest_digest_slot(now, seven, LONDON) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    covered = at(LONDON, 2026, 3, 28, 7, 0)
    assert rules.digest_due(now, seven, LONDON, covered)
    assert not rules.digest_due(now, seven, LONDON, now)


def test_retry_delay_doubles_up_to_the_cap() -> None:
    delays = [rules.retry_delay(n, 300, 3600) for n in range(1, 6)]
    assert delays == [timedelta(seconds=s) for s in (300, 600, 1200, 2400, 3600)]


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("ann@example.org", True),
        ("ann.lee+press@news.example.co.uk", True),
        ("ann@localhost", False),
        ("ann example.org", False),
        ("ann@@example.org", False),
        ("<ann@example.org>", False),
        ("", False),
    ],
)
def test_email_shape(address: str, ok: bool) -> None:
    assert rules.valid_email(address) is ok


def test_unknown_time_zone() -> None:
    with pytest.raises(rules.RuleError, match="unknown time zone"):
        rules.zone("Europe/Atlantis")


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("PRESSWATCH_SMTP_SECURITY", "ssl", "one of none, starttls, tls"),
        ("PRESSWATCH_SMTP_PORT", "smtp", "a port number"),
        ("PRESSWATCH_SMTP_PORT", "70000", "a port number"),
        ("PRESSWATCH_SMTP_TIMEOUT", "-1", "a number of seconds"),
        ("PRESSWATCH_ALERT_RETRY_BASE", "soon", "a number of seconds"),
        ("PRESSWATCH_WEBHOOK_TIMEOUT", "nan", "a number of seconds"),
    ],
)
def test_alert_settings_name_the_variable_and_the_accepted_values(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, accepted: str
) -> None:
    from alerts.engine import Channels
    from config.settings import SettingsError

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"{name} must be {accepted}"):
        Channels.from_env()


def test_smtp_defaults_follow_the_security(monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import SmtpSettings

    monkeypatch.delenv("PRESSWATCH_SMTP_PORT", raising=False)
    monkeypatch.setenv("PRESSWATCH_SMTP_PASSWORD", "never-shown")
    for security, port in (("none", 25), ("starttls", 587), ("tls", 465)):
        monkeypatch.setenv("PRESSWATCH_SMTP_SECURITY", security)
        settings = SmtpSettings.from_env()
        assert settings.port == port and "never-shown" not in repr(settings)
