"""The digest email's HTML as a person sees it: rendered in headless Chromium (Debian's
``chromium`` package), every article a link, nothing fetched from the network."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from alert_data import OUTLETS, channels, fresh, load_run, watch, wire_copy

from alerts import engine
from testsupport.browser import CHROMIUM, MISSING_REASON, chromium
from testsupport.mailserver import MailServer


@pytest.mark.skipif(CHROMIUM is None, reason=MISSING_REASON)
def test_chromium_renders_the_digest_email(db_path: Path, tmp_path: Path) -> None:
    con = fresh(db_path)
    watch(con)
    sub = engine.new_subscription(con, "desk", "acme", emails=["desk@example.org"])
    load_run(con, [(f"{o}/acme", wire_copy(o)) for o in OUTLETS[:5]])
    with MailServer() as mail:
        engine.after_ingest(con, channels(mail.port))
        con.execute("UPDATE alert_subscriptions SET digest_at = '07:00'")
        engine.send_digests(con, channels(mail.port), now=sub.created_at + timedelta(days=1))
        digest = mail.messages[-1]
    html = digest.get_body(preferencelist=("html",)).get_content()
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")

    dumped = chromium(
        "--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom", window="720,900"
    )
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    links = re.findall(r'<a href="(https://[^"]+)"', dom)
    assert sorted(links) == sorted(
        f"https://{o.lower().replace(' ', '-')}.example/news/acme-recall" for o in OUTLETS[:5]
    )
    assert not re.search(r"<(script|img|link|iframe)\b", dom, re.IGNORECASE)
    assert "url(" not in dom  # no background images either
    assert "alerted" in dom and "5 articles from 5 outlets so far" in dom

    shot = tmp_path / "digest-720x900.png"
    taken = chromium(
        f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile-shot", window="720,900"
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
