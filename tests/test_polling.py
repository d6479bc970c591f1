"""Adaptive polling: the pure rule, and its state in a real warehouse (`feeds status`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.settings import PollingSettings, SettingsError, validate_environment
from extractors.feed import FeedItem
from presswatch.cli import main
from sources.feedlist import FeedSource
from warehouse import feed_state
from warehouse.db import connection
from warehouse.polling import next_interval

BOUNDS = {"floor_minutes": 10, "ceiling_minutes": 240}


@pytest.mark.parametrize(
    ("current", "announced", "new", "minutes", "reason"),
    [
        (60, 10, 9, 30, "9 of 10 items new: shorter"),  # 1/10 known
        (60, 10, 1, 90, "1 of 10 items new: longer"),  # 9/10 known
        (60, 10, 5, 60, "5 of 10 items new: kept"),
        (60, 0, 0, 90, "0 of 0 items new: longer"),  # unchanged, 304 or empty
        (24, 10, 8, 12, "8 of 10 items new: shorter"),
        (15, 10, 9, 10, "9 of 10 items new: shorter (floor)"),
        (600, 10, 10, 10, "10 of 10 items new: all new, back to the floor"),
        (10, 10, 10, 10, "10 of 10 items new: shorter (floor)"),
        (200, 10, 0, 240, "0 of 10 items new: longer (ceiling)"),
    ],
)
def test_next_interval(current: int, announced: int, new: int, minutes: int, reason: str) -> None:
    decision = next_interval(current, announced=announced, new=new, **BOUNDS)
    assert (decision.minutes, decision.reason) == (minutes, reason)


def test_a_third_and_two_thirds_are_the_edges() -> None:
    # exactly a third or two thirds known is neither "under" nor "over": kept
    assert next_interval(60, announced=3, new=2, **BOUNDS).minutes == 60
    assert next_interval(60, announced=3, new=1, **BOUNDS).minutes == 60
    assert next_interval(60, announced=5, new=4, **BOUNDS).minutes == 30
    assert next_interval(60, announced=4, new=1, **BOUNDS).minutes == 90


def items(*keys: str) -> list[tuple[FeedItem, str | None]]:
    return [
        (FeedItem(k, f"https://wire.example/{k}", k, None, None, None, None, None), None)
        for k in keys
    ]


def test_interval_adapts_in_the_warehouse_and_feeds_status_says_why(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = FeedSource(name="wire", url="https://wire.example/rss", poll_interval_minutes=60)
    polling = PollingSettings(floor_minutes=10, ceiling_minutes=240)
    with connection(db_path) as con:
        (state,) = feed_state.sync_feeds(con, [source])
        assert state.current_interval_minutes == 60
        feed_state.record_poll_success(
            con, "run-1", state, status="ok", etag=None, last_modified=None, body_hash="a",
            items=items("a", "b", "c"), polling=polling,
        )  # fmt: skip
        (state,) = feed_state.sync_feeds(con, [source])
        assert state.current_interval_minutes == 60  # a first poll: the configured interval
        feed_state.record_poll_success(
            con, "run-1b", state, status="ok", etag=None, last_modified=None, body_hash="b",
            items=items("d", "e", "f"), polling=polling,
        )  # fmt: skip
        (state,) = feed_state.sync_feeds(con, [source])
        assert state.current_interval_minutes == 10  # all new: back to the floor
        before = datetime.now(UTC)
        feed_state.record_poll_success(
            con, "run-2", state, status="unchanged", etag=None, last_modified=None,
            body_hash="a", polling=polling,
        )  # fmt: skip
        (state,) = feed_state.sync_feeds(con, [source])
        assert state.current_interval_minutes == 15
        assert state.next_poll_at is not None
        assert 14 * 60 <= (state.next_poll_at - before).total_seconds() <= 16 * 60
    assert main(["feeds", "status", "--db", str(db_path), "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["poll_interval_minutes"] == 15
    assert row["interval_reason"] == "0 of 0 items new: longer"


def test_changing_the_configured_interval_restarts_from_it(db_path: Path) -> None:
    source = FeedSource(name="wire", url="https://wire.example/rss", poll_interval_minutes=60)
    with connection(db_path) as con:
        (state,) = feed_state.sync_feeds(con, [source])
        feed_state.record_poll_success(
            con, "run-1", state, status="ok", etag=None, last_modified=None, body_hash="a",
            items=items("a"), polling=PollingSettings(),
        )  # fmt: skip
        (state,) = feed_state.sync_feeds(con, [source])
        assert state.current_interval_minutes == 60  # a first poll: the configured interval
        feed_state.record_poll_success(
            con, "run-2", state, status="ok", etag=None, last_modified=None, body_hash="b",
            items=items("b"), polling=PollingSettings(),
        )  # fmt: skip
        moved = feed_state.sync_feeds(con, [source])[0].current_interval_minutes
        changed = FeedSource(name="wire", url=source.url, poll_interval_minutes=120)
        (state,) = feed_state.sync_feeds(con, [changed])
    assert moved == 5 and state.current_interval_minutes == 120


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRESSWATCH_POLL_FLOOR_MINUTES", "soon"),
        ("PRESSWATCH_POLL_CEILING_MINUTES", "0"),
        ("PRESSWATCH_REVISIT_DAYS", "-1"),
        ("PRESSWATCH_SITEMAP_MAX_AGE_DAYS", "two"),
    ],
)
def test_bad_values_stop_at_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        validate_environment()


def test_floor_and_ceiling_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_POLL_FLOOR_MINUTES", "15")
    monkeypatch.setenv("PRESSWATCH_POLL_CEILING_MINUTES", "120")
    assert PollingSettings.from_env() == PollingSettings(floor_minutes=15, ceiling_minutes=120)
