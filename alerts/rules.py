"""Pure decisions about alerts: quiet hours, digest times, retry backoff, the spike rule,
and the shape of addresses and times a user types. No I/O, no clock: callers pass ``now``."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MODES = ("instant", "digest")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Deliberately plain: a local part, one @, a domain with a dot, no spaces or brackets.
# The server has the last word; this only catches typos at ``alerts add``.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class RuleError(ValueError):
    """A time, time zone, quiet-hours range or address that cannot be used."""


def parse_hhmm(text: str) -> time:
    found = _HHMM.match(text.strip())
    if not found:
        raise RuleError(f"{text!r} is not a time of day like 07:00")
    return time(int(found.group(1)), int(found.group(2)))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(
            f"unknown time zone {name!r} (use an IANA name like Europe/London)"
        ) from None


def valid_email(address: str) -> bool:
    return bool(_EMAIL.match(address)) and len(address) <= 254


@dataclass(frozen=True)
class QuietHours:
    """A daily local-time range in which instant and spike alerts wait; may span midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        start, sep, end = text.partition("-")
        if not sep:
            raise RuleError(f"{text!r} is not a range like 22:00-07:00")
        quiet = cls(parse_hhmm(start), parse_hhmm(end))
        if quiet.start == quiet.end:
            raise RuleError(f"quiet hours {text!r} start and end at the same time")
        return quiet

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def until(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """When the quiet period containing ``now`` ends (aware, in ``now``'s zone), or
        None when ``now`` is outside quiet hours."""
        local = now.astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= clock < self.end
            end_day = local.date()
        else:  # spans midnight: 22:00-07:00
            inside = clock >= self.start or clock < self.end
            end_day = local.date() + timedelta(days=1 if clock >= self.start else 0)
        if not inside:
            return None
        return datetime.combine(end_day, self.end, tzinfo=tz).astimezone(now.tzinfo)


def latest_digest_slot(now: datetime, digest_at: time, tz: ZoneInfo) -> datetime:
    """The most recent local ``digest_at`` at or before ``now`` (aware, in ``now``'s zone).

    A local time that a DST change skips is taken as the same wall time after the shift
    (zoneinfo's fold rule), so a digest is never lost on a spring-forward morning."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), digest_at, tzinfo=tz)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), digest_at, tzinfo=tz)
    return slot.astimezone(now.tzinfo)


def digest_due(now: datetime, digest_at: time, tz: ZoneInfo, covered_through: datetime) -> bool:
    """A digest is due when a digest time has passed since the last period ended."""
    return latest_digest_slot(now, digest_at, tz) > covered_through


def retry_delay(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff after ``attempts`` failed attempts (1 -> base, 2 -> 2 x base...)."""
    exponent = max(attempts - 1, 0)
    seconds = base_seconds * (2.0 ** min(exponent, 30))
    return timedelta(seconds=min(seconds, max_seconds))


@dataclass(frozen=True)
class Spike:
    """The numbers behind a spike alert."""

    recent: int  # articles in the last window
    mean: float  # per window over the baseline
    stddev: float
    z: float
    windows: int  # baseline windows compared

    def describe(self, window_hours: int, baseline_days: int) -> str:
        return (
            f"{self.recent} articles in the last {window_hours} h against "
            f"{self.mean:.1f} ± {self.stddev:.1f} per {window_hours} h over the previous "
            f"{baseline_days} days (z = {self.z:.1f})"
        )


def spike(
    recent: int, baseline: Sequence[int], min_count: int, min_z: float, min_history: int
) -> Spike | None:
    """A spike when ``recent`` is at least ``min_count`` and its z-score against the
    ``baseline`` windows (standard deviation floored at 1) is at least ``min_z``.

    A topic with fewer than ``min_history`` articles in the whole baseline has no usual
    level to be far above: its first burst is news, which instant alerts already tell."""
    if sum(baseline) < min_history:
        return None
    windows = len(baseline)
    mean = sum(baseline) / windows if windows else 0.0
    variance = sum((x - mean) ** 2 for x in baseline) / windows if windows else 0.0
    stddev = math.sqrt(variance)
    z = (recent - mean) / max(stddev, 1.0)
    if recent < min_count or z < min_z:
        return None
    return Spike(recent, mean, stddev, z, windows)
