"""Alerts end to end with real parts: a DuckDB file, aiosmtpd and an HTTP receiver on
127.0.0.1, the real loader and dedupe."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_data import OTHER, OUTLETS, channels, fresh, load_run, watch, wire_copy

from alerts import engine
from alerts.deliver import DELIVERY_HEADER, SIGNATURE_HEADER, signature
from extractors.models import ExtractedArticle
from testsupport.localserver import Exchange, LocalServer, stalling
from testsupport.mailserver import MailServer
from warehouse import alerts as state
from warehouse import watchlists


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def parts(message) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_wire_story_in_three_runs_alerts_once_and_fills_the_digest(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    with MailServer() as mail, LocalServer() as hook:
        hook.route("/hook", b"ok")
        sub = engine.new_subscription(
            con,
            "acme-news",
            "acme",
            emails=["ann@example.org"],
            webhooks=[hook.url("/hook")],
            digest_at="07:00",
            timezone="Europe/London",
            allow=channels(None).allow,
        )
        chans = channels(mail.port)
        runs = []
        for batch in (OUTLETS[:4], OUTLETS[4:8], OUTLETS[8:]):
            items = [(f"{o}/acme", wire_copy(o)) for o in batch]
            items.append((f"{batch[0]}/other", ExtractedArticle(*OTHER[0], method="test")))
            load_run(con, items)
            runs.append(engine.after_ingest(con, chans))
        assert [len(r.decided) for r in runs] == [1, 0, 0]
        assert [r.sent for r in runs] == [2, 0, 0]

        (message,) = mail.messages
        assert mail.recipients == [["ann@example.org"]]
        assert message["To"] == "ann@example.org"
        assert "acme" in message["Subject"]
        text, html = parts(message)
        assert "4 articles from 4 outlets so far" in text
        assert "Outlet A" in text and "https://outlet-a.example/news/acme-recall" in text
        assert "https://outlet-a.example/news/acme-recall" in hrefs(html)
        assert "<script" not in html.lower() and "<img" not in html.lower()

        (posted,) = hook.requests_for("/hook")
        assert posted.method == "POST"

        # The digest after the next 07:00 in London counts all twelve outlets.
        next_morning = sub.created_at + timedelta(days=1)
        digest_run = engine.send_digests(con, chans, now=next_morning)
        assert len(digest_run.decided) == 1 and digest_run.sent == 2
        digest = mail.messages[1]
        assert digest["Subject"].startswith("[presswatch] Digest for acme: 1 story, 12 articles")
        text, html = parts(digest)
        assert "12 articles from 12 outlets so far" in text
        assert "[alerted]" in text
        links = hrefs(html)
        for outlet in OUTLETS:
            slug = outlet.lower().replace(" ", "-")
            assert f"https://{slug}.example/news/acme-recall" in links
        assert "<script" not in html.lower() and "<img" not in html.lower()
        assert 'style="' in html

        # The digest period moved on: the same morning does not send it again.
        again = engine.send_digests(con, chans, now=next_morning + timedelta(minutes=15))
        assert again.decided == [] and len(mail.messages) == 2


def test_webhook_payload_is_slack_compatible_and_signed(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    bodies: list[bytes] = []
    heads: list[dict[str, str]] = []

    def receive(exchange: Exchange) -> None:
        bodies.append(exchange.body)
        heads.append(exchange.headers)
        exchange.respond(200, b"ok")

    with LocalServer() as hook:
        hook.route("/hook", receive)
        engine.new_subscription(
            con, "hooked", "acme", webhooks=[hook.url("/hook")], allow=channels(None).allow
        )
        load_run(con, [("a/acme", wire_copy("Outlet A"))])
        run = engine.after_ingest(con, channels(None, secret="s3cret"))
    assert run.sent == 1
    payload = json.loads(bodies[0])
    assert "Acme Turbines" in payload["text"]
    assert payload["kind"] == "instant"
    assert payload["story"]["articles"] == 1
    assert payload["story"]["original"]["url"] == "https://outlet-a.example/news/acme-recall"
    assert heads[0][SIGNATURE_HEADER.lower()] == signature("s3cret", bodies[0])
    assert heads[0][DELIVERY_HEADER.lower()] == payload["alert_id"]


def test_failing_webhooks_are_retried_with_backoff_and_recorded(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    answers = [500]

    def flaky(exchange: Exchange) -> None:
        exchange.respond(answers.pop(0) if answers else 200, b"")

    with LocalServer() as hook:
        hook.route("/flaky", flaky)
        hook.route("/slow", stalling(3))
        engine.new_subscription(
            con,
            "hooks",
            "acme",
            webhooks=[hook.url("/flaky"), hook.url("/slow")],
            allow=channels(None).allow,
        )
        load_run(con, [("a/acme", wire_copy("Outlet A"))])
        chans = channels(None, retry_base=60, timeout=0.5)
        t0 = datetime.now(UTC)
        first = engine.after_ingest(con, chans, now=t0)
        assert (first.sent, first.retrying) == (0, 2)
        log = {row["target"]: row for row in state.delivery_log(con)}
        assert log[hook.url("/flaky")]["last_error"].startswith("http_500")
        assert log[hook.url("/slow")]["last_error"].startswith("timeout")
        assert all(row["status"] == "retrying" and row["attempts"] == 1 for row in log.values())

        # Before the backoff has passed nothing is attempted again.
        early = engine.after_ingest(con, chans, now=t0 + timedelta(seconds=30))
        assert (early.sent, early.retrying) == (0, 0)
        assert len(hook.requests_for("/flaky")) == 1

        later = engine.after_ingest(con, chans, now=datetime.now(UTC) + timedelta(seconds=61))
        assert (later.sent, later.retrying) == (1, 1)
        log = {row["target"]: row for row in state.delivery_log(con)}
        assert log[hook.url("/flaky")]["status"] == "sent"
        assert log[hook.url("/slow")]["attempts"] == 2
        # The second failure waits twice as long as the first.
        wait = log[hook.url("/slow")]["next_attempt_at"] - datetime.now(UTC)
        assert timedelta(seconds=100) < wait <= timedelta(seconds=121)
    assert len(hook.requests_for("/flaky")) == 2


def test_unreachable_smtp_is_recorded_and_never_raises(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "mail", "acme", emails=["bob@example.org", "cy@example.org"])
    load_run(con, [("a/acme", wire_copy("Outlet A"))])
    from testsupport.mailserver import free_port

    port = free_port()
    run = engine.after_ingest(con, channels(port))
    # One connection attempt: the second message waits for the next run untouched.
    assert (run.sent, run.retrying, run.deferred) == (0, 1, 1)
    rows = {row["target"]: row for row in state.delivery_log(con)}
    assert rows["bob@example.org"]["status"] == "retrying"
    assert rows["bob@example.org"]["last_error"].startswith("smtp_unreachable")
    assert rows["cy@example.org"]["status"] == "pending"
    assert rows["cy@example.org"]["attempts"] == 0
    with MailServer() as mail:  # the server is back: the waiting message goes first
        run = engine.after_ingest(con, channels(mail.port))
        assert (run.sent, run.retrying, run.deferred) == (1, 0, 0)
        assert mail.recipients == [["cy@example.org"]]


def test_quiet_hours_hold_instant_alerts_until_they_end(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    with MailServer() as mail:
        engine.new_subscription(
            con,
            "night",
            "acme",
            emails=["ann@example.org"],
            timezone="Europe/London",
            quiet="22:00-07:00",
        )
        load_run(con, [("a/acme", wire_copy("Outlet A"))])
        chans = channels(mail.port)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        run = engine.after_ingest(con, chans, now=_london(tomorrow, 23, 30))
        assert (run.postponed, run.sent) == (1, 0)
        (row,) = state.delivery_log(con)
        morning = _london(tomorrow + timedelta(days=1), 7, 0)
        assert row["next_attempt_at"] == morning and row["attempts"] == 0
        assert engine.after_ingest(con, chans, now=morning - timedelta(minutes=1)).sent == 0
        assert engine.after_ingest(con, chans, now=morning + timedelta(minutes=1)).sent == 1
        assert len(mail.messages) == 1


def _london(day: datetime, hour: int, minute: int) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Europe/London"))
    return local.astimezone(UTC)


def test_removed_watchlist_is_reported_not_raised(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "gone", "acme", emails=["ann@example.org"])
    watchlists.remove(con, "acme")
    run = engine.after_ingest(con, channels(None))
    assert run.problems == ["alert 'gone': watchlist 'acme' no longer exists"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"emails": ["not-an-address"]}, "'not-an-address' is not an email address"),
        ({"webhooks": ["http://127.0.0.1:9/hook"]}, "blocked_address"),
        ({"webhooks": ["http://10.1.2.3/hook"]}, "blocked_address"),
        ({"webhooks": ["ftp://example.org/x"]}, "blocked_scheme"),
        ({"emails": ["a@example.org"], "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"emails": ["a@example.org"], "quiet": "22:00"}, "not a range"),
        ({"emails": ["a@example.org"], "digest_at": "25:00"}, "not a time of day"),
        ({"emails": ["a@example.org"], "mode": "hourly"}, "--mode must be"),
        ({}, "give at least one --email or --webhook"),
    ],
)
def test_bad_subscriptions_get_one_line_errors(db_path: Path, kwargs: dict, message: str) -> None:
    con = fresh(db_path)
    watch(con)
    with pytest.raises(engine.AlertError) as caught:
        engine.new_subscription(con, "bad", "acme", allow=channels(None).allow.empty(), **kwargs)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert state.subscriptions(con) == []


def test_missing_watchlist_and_duplicate_names_are_refused(db_path: Path) -> None:
    con = fresh(db_path)
    with pytest.raises(engine.AlertError, match="no watchlist named 'nope'"):
        engine.new_subscription(con, "x", "nope", emails=["a@example.org"])
    watch(con)
    engine.new_subscription(con, "x", "acme", emails=["a@example.org"])
    with pytest.raises(engine.AlertError, match="an alert named 'x' exists"):
        engine.new_subscription(con, "x", "acme", emails=["a@example.org"])


def test_min_articles_waits_for_the_story_to_grow(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(
        con, "big", "acme", webhooks=[], emails=["a@example.org"], min_articles=3
    )
    load_run(con, [(f"{o}/acme", wire_copy(o)) for o in OUTLETS[:2]])
    assert engine.after_ingest(con, channels(None)).decided == []
    load_run(con, [(f"{o}/acme", wire_copy(o)) for o in OUTLETS[2:3]])
    assert len(engine.after_ingest(con, channels(None)).decided) == 1


def test_old_news_loaded_late_goes_to_the_digest_not_an_instant_alert(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    sub = engine.new_subscription(
        con, "fresh-only", "acme", emails=["a@example.org"], digest_at="07:00"
    )
    archive = datetime.now(UTC) - timedelta(days=10)
    load_run(con, [(f"{o}/acme", wire_copy(o, archive)) for o in OUTLETS[:3]])
    assert engine.after_ingest(con, channels(None)).decided == []
    digest = engine.send_digests(con, channels(None), now=sub.created_at + timedelta(days=1))
    assert len(digest.decided) == 1


def test_a_subscription_added_again_under_its_old_name_starts_afresh(db_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "desk", "acme", emails=["a@example.org"])
    load_run(con, [("a/acme", wire_copy(OUTLETS[0]))])
    assert len(engine.after_ingest(con, channels(None)).decided) == 1
    engine.remove_subscription(con, "desk")
    engine.new_subscription(con, "desk", "acme", emails=["a@example.org"])
    load_run(con, [("b/acme", wire_copy(OUTLETS[1]))])  # a copy: joins the alerted story
    assert len(engine.after_ingest(con, channels(None)).decided) == 1


def test_alerted_is_decided_on_articles_so_a_renamed_story_stays_quiet(db_path: Path) -> None:
    """A merge or a rebuild gives a story another id; its alerted articles keep it quiet."""
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "desk", "acme", emails=["a@example.org"])
    load_run(con, [("a/acme", wire_copy(OUTLETS[0]))])
    assert len(engine.after_ingest(con, channels(None)).decided) == 1
    con.execute("UPDATE story_members SET story_id = 's-merged'")
    con.execute("UPDATE stories SET story_id = 's-merged'")
    load_run(con, [("b/acme", wire_copy(OUTLETS[1]))])
    assert engine.after_ingest(con, channels(None)).decided == []
