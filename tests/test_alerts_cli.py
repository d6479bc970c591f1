"""``presswatch alerts ...`` through the real CLI entry point, on a real warehouse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alert_data import OUTLETS, WIRE_TITLE, fresh, load_run, watch, wire_copy

from presswatch.cli import main
from testsupport.localserver import LocalServer
from testsupport.mailserver import MailServer


@pytest.fixture
def warehouse(db_path: Path) -> Path:
    con = fresh(db_path)
    watch(con)
    con.close()
    return db_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_test_log_remove(
    warehouse: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--db", str(warehouse)]
    monkeypatch.setenv("PRESSWATCH_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("PRESSWATCH_SMTP_PASSWORD", "hunter2-not-printed")
    with MailServer() as mail, LocalServer() as hook:
        hook.route("/hook", b"ok")
        monkeypatch.setenv("PRESSWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PRESSWATCH_SMTP_PORT", str(mail.port))
        code, out, err = run(
            capsys,
            "alerts", "add", "desk", "--watch", "acme", "--email", "ann@example.org",
            "--email", "bob@example.org", "--webhook", hook.url("/hook"),
            "--quiet", "22:00-07:00", "--timezone", "Europe/London", "--min-articles", "2", *db,
        )  # fmt: skip
        assert code == 0, err
        assert "alert desk on watchlist 'acme': instant, 3 recipient(s)" in out

        code, out, _ = run(capsys, "alerts", "list", "--format", "json", *db)
        (listed,) = json.loads(out)
        assert listed["emails"] == ["ann@example.org", "bob@example.org"]
        assert listed["quiet"] == "22:00-07:00" and listed["min_articles"] == 2

        code, out, _ = run(capsys, "alerts", "test", "desk", *db)
        assert code == 0
        assert out.count(": sent") == 3
        mail.wait_for(2)
        assert sorted(r[0] for r in mail.recipients) == ["ann@example.org", "bob@example.org"]
        assert len(hook.requests_for("/hook")) == 1

        code, out, _ = run(capsys, "alerts", "log", "--format", "json", *db)
        rows = json.loads(out)
        assert {(r["kind"], r["status"]) for r in rows} == {("test", "sent")} and len(rows) == 3
        code, out, _ = run(capsys, "alerts", "log", *db)
        assert code == 0 and "desk" in out

        code, out, _ = run(capsys, "alerts", "remove", "desk", *db)
        assert code == 0 and "removed alert desk" in out
        code, out, _ = run(capsys, "alerts", "list", *db)
        assert "no alerts" in out
    assert "hunter2" not in out + err


def test_failed_test_message_exits_1_with_the_reason(
    warehouse: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from testsupport.mailserver import free_port

    monkeypatch.setenv("PRESSWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PRESSWATCH_SMTP_PORT", str(free_port()))
    db = ["--db", str(warehouse)]
    assert (
        run(capsys, "alerts", "add", "x", "--watch", "acme", "--email", "a@example.org", *db)[0]
        == 0
    )
    code, out, _ = run(capsys, "alerts", "test", "x", *db)
    assert code == 1 and "smtp_unreachable" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--watch", "nope", "--email", "a@example.org"], "no watchlist named 'nope'"),
        (["--watch", "acme", "--email", "a@@example"], "is not an email address"),
        (["--watch", "acme", "--webhook", "http://192.168.1.10/hook"], "blocked_address"),
        (["--watch", "acme", "--email", "a@example.org", "--quiet", "late"], "not a range"),
    ],
)
def test_add_mistakes_are_one_line_errors(
    warehouse: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _out, err = run(capsys, "alerts", "add", "bad", *argv, "--db", str(warehouse))
    assert code == 1
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_unknown_alert_is_a_clear_error(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in ("remove", "test"):
        code, _, err = run(capsys, "alerts", action, "ghost", "--db", str(warehouse))
        assert code == 1 and "no alert named 'ghost'" in err


def test_log_shows_instant_alerts_after_a_load(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alert_data import channels

    from alerts import engine

    db = ["--db", str(warehouse)]
    assert (
        run(capsys, "alerts", "add", "d", "--watch", "acme", "--email", "a@example.org", *db)[0]
        == 0
    )
    con = fresh(warehouse)
    load_run(con, [(f"{o}/acme", wire_copy(o)) for o in OUTLETS[:2]])
    engine.after_ingest(con, channels(None))  # SMTP not configured: recorded, retried later
    con.close()
    _code, out, _ = run(capsys, "alerts", "log", "--format", "json", *db)
    (row,) = json.loads(out)
    assert row["kind"] == "instant" and row["status"] == "retrying"
    assert row["last_error"].startswith("smtp_not_configured")


def test_the_html_report_marks_stories_that_alerted(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alert_data import OTHER, channels

    from alerts import engine
    from extractors.models import ExtractedArticle

    db = ["--db", str(warehouse)]
    added = run(capsys, "alerts", "add", "d", "--watch", "acme", "--email", "a@example.org", *db)
    assert added[0] == 0
    con = fresh(warehouse)
    other = ExtractedArticle(*OTHER[1], method="test", outlet="Outlet Q")
    load_run(con, [("a/acme", wire_copy(OUTLETS[0])), ("q/other", other)])
    with MailServer() as mail:
        assert engine.after_ingest(con, channels(mail.port)).sent == 1
    con.close()
    page = tmp_path / "report.html"
    code, _, err = run(capsys, "report", "coverage", "--format", "html", "--out", str(page), *db)
    assert code == 0, err
    rows = re.findall(r'<div class="story-label">(.*?)</div>', page.read_text(encoding="utf-8"))
    marked = {label.split(" <span")[0]: 'class="tag alerted"' in label for label in rows}
    assert marked == {WIRE_TITLE: True, OTHER[1][0]: False}
