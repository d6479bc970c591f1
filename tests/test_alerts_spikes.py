"""The spike rule: pure cases, and once on synthetic volumes in a real warehouse."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_data import WIRE, channels, fresh, load_run, synthetic_mention, watch, wire_copy

from alerts import engine, rules
from testsupport.localserver import Exchange, LocalServer


def test_spike_needs_count_z_and_history() -> None:
    quiet_fortnight = [0, 1, 0, 0] * 14
    found = rules.spike(12, quiet_fortnight, min_count=10, min_z=3.0, min_history=3)
    assert found is not None and found.recent == 12
    assert found.mean == pytest.approx(0.25) and found.stddev == pytest.approx(0.433, abs=1e-3)
    assert found.z == pytest.approx(11.75)  # stddev floored at 1
    assert rules.spike(9, quiet_fortnight, 10, 3.0, 3) is None  # below the minimum count
    busy = [10, 14, 8, 12] * 14
    assert rules.spike(16, busy, 10, 3.0, 3) is None  # within the usual spread (z = 1.8)
    assert rules.spike(30, busy, 10, 3.0, 3) is not None
    assert rules.spike(50, [0] * 56, 10, 3.0, 3) is None  # no usual level to compare with


def test_synthetic_burst_raises_one_spike_with_its_numbers(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # One mention a day for the last fourteen days, then twelve in the last three hours.
    load_run(
        con, [(f"old{d}", synthetic_mention(d, now - timedelta(days=d))) for d in range(1, 15)]
    )
    bodies: list[dict] = []

    def receive(exchange: Exchange) -> None:
        bodies.append(json.loads(exchange.body))
        exchange.respond(200)

    with LocalServer() as hook:
        hook.route("/hook", receive)
        engine.new_subscription(
            con, "spiky", "acme", webhooks=[hook.url("/hook")], allow=channels(None).allow
        )
        chans = channels(None)
        engine.after_ingest(con, chans, now=now)
        assert [b for b in bodies if b["kind"] == "spike"] == []
        burst = [
            (f"new{i}", synthetic_mention(100 + i, now - timedelta(minutes=15 * i)))
            for i in range(12)
        ]
        load_run(con, burst)
        engine.after_ingest(con, chans, now=now)
        engine.after_ingest(con, chans, now=now + timedelta(hours=1))  # cooldown: no second
    spikes = [b for b in bodies if b["kind"] == "spike"]
    assert len(spikes) == 1
    (spike,) = spikes
    assert spike["topic"] == "watchlist:acme"
    assert spike["recent"] == 12
    assert spike["baseline_mean"] == pytest.approx(14 / 56)
    assert spike["z"] >= 3
    assert "12 articles in the last 6 h" in spike["text"]


def test_a_story_spiking_inside_a_calm_watchlist_alerts_once(db_path: Path) -> None:
    """Three mentions of the recall over two weeks, then eleven outlets run it in a few hours
    without naming Acme (one still does): the watchlist is calm, the story spikes."""
    con = fresh(db_path)
    watch(con)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    unnamed = WIRE.replace("Acme Turbines", "The turbine maker")
    history = [(f"old{d}", wire_copy(f"Outlet {d}", now - timedelta(days=d))) for d in (2, 5, 9)]
    load_run(con, history)
    burst = [("named", wire_copy("Outlet N", now - timedelta(hours=1)))]
    for i in range(11):
        copy = wire_copy(f"Outlet U{i}", now - timedelta(minutes=20 * i))
        burst.append((f"unnamed{i}", replace(copy, text=unnamed, title="Blade recall")))
    bodies: list[dict] = []

    def receive(exchange: Exchange) -> None:
        bodies.append(json.loads(exchange.body))
        exchange.respond(200)

    with LocalServer() as hook:
        hook.route("/hook", receive)
        engine.new_subscription(
            con, "story", "acme", webhooks=[hook.url("/hook")], allow=channels(None).allow
        )
        load_run(con, burst)
        engine.after_ingest(con, channels(None), now=now)
        engine.after_ingest(con, channels(None), now=now + timedelta(hours=2))
    spikes = [b for b in bodies if b["kind"] == "spike"]
    assert len(spikes) == 1
    (spike,) = spikes
    story_id = con.execute(
        "SELECT story_id FROM story_members WHERE article_id IN "
        "(SELECT article_id FROM articles WHERE source_ref = 'named')"
    ).fetchone()[0]
    assert spike["topic"] == f"story:{story_id}" and spike["story_id"] == story_id
    assert spike["recent"] == 12
    assert spike["baseline_mean"] == pytest.approx(3 / 56, abs=1e-3)
    assert "Acme Turbines recalls" in spike["text"]
