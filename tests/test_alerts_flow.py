"""The digest flow as Prefect runs it (real test server), and the ingestion step that must
never fail a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_data import OUTLETS, fresh, load_run, watch, wire_copy

from alerts import engine
from testsupport.mailserver import MailServer, free_port
from warehouse import alerts as state
from warehouse.location import locate


def smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("PRESSWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PRESSWATCH_SMTP_PORT", str(port))
    monkeypatch.setenv("PRESSWATCH_SMTP_SECURITY", "none")
    monkeypatch.setenv("PRESSWATCH_SMTP_FROM", "alerts@presswatch.example")


def test_digest_flow_sends_the_due_digest_once(
    prefect_server: None, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.send_digests import send_digests

    con = fresh(db_path)
    watch(con)
    engine.new_subscription(
        con, "morning", "acme", emails=["desk@example.org"], mode="digest", timezone="Asia/Tokyo"
    )
    # The subscription has been around since yesterday: its digest time has passed since.
    yesterday = datetime.now(UTC) - timedelta(days=1, minutes=1)
    con.execute(
        "UPDATE alert_subscriptions SET created_at = ?, digest_through = ?", [yesterday, yesterday]
    )
    load_run(con, [(f"{o}/acme", wire_copy(o)) for o in OUTLETS[:3]])
    con.close()
    with MailServer() as mail:
        smtp_env(monkeypatch, mail.port)
        first = send_digests(db=str(db_path))
        second = send_digests(db=str(db_path))
    assert first["decided"] == 1 and first["sent"] == 1
    assert set(second.values()) == {0}  # nothing due: nothing decided or attempted
    nowhere = db_path.with_name("none.duckdb")
    assert set(send_digests(db=str(nowhere)).values()) == {0}
    assert not nowhere.exists()  # a digest run never creates a warehouse
    (message,) = mail.messages
    assert message["From"] == "alerts@presswatch.example"
    assert message["To"] == "desk@example.org"
    assert "3 articles" in message["Subject"]


def test_alert_step_never_fails_the_run(
    prefect_server: None, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import flow

    from flows.alert_step import send_alerts

    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "desk", "acme", emails=["desk@example.org"])
    load_run(con, [("a/acme", wire_copy(OUTLETS[0]))])
    con.close()

    @flow
    def ingestion_end(path: Path) -> list[str]:
        return [send_alerts(locate(path))]

    smtp_env(monkeypatch, free_port())  # nobody listens there
    assert "1 to retry" in ingestion_end(db_path)[0]
    monkeypatch.setenv("PRESSWATCH_SMTP_SECURITY", "carrier-pigeon")  # a broken setting
    assert ingestion_end(db_path)[0].startswith("alerts not sent: PRESSWATCH_SMTP_SECURITY")
    con = fresh(db_path)
    (row,) = state.delivery_log(con)
    assert row["status"] == "retrying" and row["last_error"].startswith("smtp_unreachable")


def test_smtp_login_with_the_password_from_a_prefect_secret_block(
    prefect_server: None, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    from alerts.deliver import smtp_password
    from config.settings import SmtpSettings

    Secret(value="block-secret-42").save("presswatch-smtp-test", overwrite=True)
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "auth", "acme", emails=["desk@example.org"])
    load_run(con, [("a/acme", wire_copy(OUTLETS[0]))])
    with MailServer(login=("presswatch", "block-secret-42")) as mail:
        smtp_env(monkeypatch, mail.port)
        monkeypatch.setenv("PRESSWATCH_SMTP_USER", "presswatch")
        monkeypatch.setenv("PRESSWATCH_SMTP_PASSWORD_BLOCK", "presswatch-smtp-test")
        settings = SmtpSettings.from_env()
        assert "block-secret-42" not in repr(settings)
        assert smtp_password(settings) == "block-secret-42"
        run = engine.after_ingest(con, engine.Channels.from_env())
        assert run.sent == 1 and mail.logins == ["presswatch"]

        monkeypatch.setenv("PRESSWATCH_SMTP_PASSWORD", "wrong")  # the environment wins
        engine.send_check(con, "auth", engine.Channels.from_env())
    rows = state.delivery_log(con)
    assert rows[0]["kind"] == "test" and rows[0]["last_error"].startswith("smtp_auth_failed")
    assert all("wrong" not in (r["last_error"] or "") for r in rows)


def test_wire_story_through_three_seed_runs_alerts_once(
    prefect_server: None, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real ingestion flow: its alert step runs after dedupe, once per run."""
    from alert_data import WIRE, WIRE_TITLE

    from flows.ingest_seeds import ingest_seeds

    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "desk", "acme", emails=["desk@example.org"])
    con.close()
    folder = tmp_path / "wire"
    folder.mkdir()
    manifest = ["file,outlet,url,published_at,language"]
    with MailServer() as mail:
        smtp_env(monkeypatch, mail.port)
        for batch in (OUTLETS[:4], OUTLETS[4:8], OUTLETS[8:]):
            for outlet in batch:
                slug = outlet.lower().replace(" ", "-")
                (folder / f"{slug}.txt").write_text(f"{WIRE_TITLE}\n\n{WIRE}\n", encoding="utf-8")
                manifest.append(f"{slug}.txt,{outlet},https://{slug}.example/acme,,en")
            (folder / "manifest.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
            summary = ingest_seeds(path=str(folder), db=str(db_path))
            assert summary.articles_added == 4
    (message,) = mail.messages
    assert message["To"] == "desk@example.org"
    con = fresh(db_path)
    assert con.execute("SELECT count(*) FROM story_members").fetchone()[0] == 12
    (row,) = state.delivery_log(con)
    assert row["kind"] == "instant" and row["status"] == "sent"
