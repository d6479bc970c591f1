"""kill -9 between sending a message and recording it: nothing is lost, and the one
message in flight is sent at most once more (with the same Message-ID)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from alert_data import OUTLETS, SECOND, SECOND_TITLE, channels, fresh, load_run, watch, wire_copy

from alerts import engine
from extractors.models import ExtractedArticle
from testsupport.mailserver import MailServer
from warehouse import alerts as state

REPO = Path(__file__).resolve().parent.parent

SENDER = """
import sys
from pathlib import Path
from alerts import engine
from config.settings import SmtpSettings
from warehouse.db import open_connection
con = open_connection(Path(sys.argv[1]))
engine.after_ingest(con, engine.Channels(SmtpSettings(host="127.0.0.1", port=int(sys.argv[2]))))
"""


def test_kill_between_send_and_record_loses_nothing_and_duplicates_at_most_once(
    db_path: Path,
) -> None:
    con = fresh(db_path)
    watch(con)
    engine.new_subscription(con, "crash", "acme", emails=["ann@example.org"])
    second = ExtractedArticle(
        SECOND_TITLE, SECOND, "test", outlet="Outlet Z", url="https://z.example/s"
    )
    load_run(con, [("a/acme", wire_copy(OUTLETS[0])), ("z/second", second)])
    con.close()

    with MailServer() as mail:
        mail.hold()  # the server keeps the first message and does not answer the client
        sender = subprocess.Popen(
            [sys.executable, "-c", SENDER, str(db_path), str(mail.port)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            mail.wait_for(1, timeout=120)
        finally:
            os.kill(sender.pid, signal.SIGKILL)
            sender.wait()
        mail.release()

        con = fresh(db_path)
        statuses = [row["status"] for row in state.delivery_log(con)]
        assert statuses == ["pending", "pending"]  # decided, recorded, not marked as sent

        rerun = engine.after_ingest(con, channels(mail.port))
        assert rerun.decided == [] and rerun.sent == 2
        assert [row["status"] for row in state.delivery_log(con)] == ["sent", "sent"]

        per_alert = Counter(m["X-Presswatch-Delivery"] for m in mail.messages)
        assert sorted(per_alert.values()) == [1, 2]  # both delivered; one duplicate at most
        duplicated = next(a for a, n in per_alert.items() if n == 2)
        ids = {m["Message-ID"] for m in mail.messages if m["X-Presswatch-Delivery"] == duplicated}
        assert len(ids) == 1  # the same Message-ID: a mail client can drop the copy
        assert engine.after_ingest(con, channels(mail.port)).sent == 0
