"""``presswatch ingest``: inputs validated before Prefect starts, one summary at the end
of every run (read back from the warehouse), and exit code 4 when some feeds or inputs
failed while everything that worked was loaded. Real feeds on a local HTTP server, real
Prefect runs (the session's test server)."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from presswatch.cli import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, main
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.localserver import LocalServer
from testsupport.newsite import rss
from warehouse import reports
from warehouse.db import connection

# The whole module shares the session's Prefect server (started first, so Prefect's log
# handlers bind to pytest's session-wide capture, not to one test's captured stream).
pytestmark = pytest.mark.usefixtures("prefect_server")

ARTICLE_HTML = """<html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>The council met on Tuesday to discuss the report on children's services, which found
that staff had too many cases and too little supervision across the borough.</p>
<p>Its authors asked for a new inspection regime, better training for social workers and
a review of every open case within six months, a timetable the council accepted.</p>
<p>Opposition members said the findings were no surprise and called for the director of
children's services to explain the delays in front of the scrutiny committee next week.</p>
</article></body></html>"""


@pytest.fixture(autouse=True)
def fast_network_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.delenv("PRESSWATCH_ALLOWED_HOSTS", raising=False)


def serve_news(server: LocalServer, path: str, words: str) -> None:
    """A feed at ``path`` announcing two pages of their own."""
    items = []
    for n in range(2):
        page = f"{path}-story-{n}.html"
        title = f"{words} story {n}"
        body = ARTICLE_HTML.format(title=title).encode()
        server.route(page, body, headers={"Content-Type": "text/html; charset=utf-8"})
        items.append((f"urn:{path}:{n}", server.url(page), title, f"{title} in brief"))
    feed = rss(server.base_url, items)
    server.route(path, feed, headers={"Content-Type": "application/rss+xml"})


def feed_list(tmp_path: Path, *feeds: FeedSource, allowed: tuple[str, ...] = ()) -> Path:
    path = tmp_path / "feeds.toml"
    save_feed_list(FeedList(feeds=feeds, allowed_hosts=allowed), path)
    return path


def run_cli(argv: list[str]) -> tuple[int, str]:
    """``presswatch ARGV`` in-process; its exit code and standard output. (Not capsys: a
    flow run may bind Prefect's log handler to the current sys.stderr, and capsys closes
    its stream after the test, breaking the handler for every later test.)"""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    return code, buffer.getvalue()


def loaded_titles(db_path: Path) -> set[str]:
    with connection(db_path, read_only=True) as con:
        return {a["title"] for a in reports.list_articles(con)}


# --- before Prefect ---------------------------------------------------------------------


def run_without_prefect_server(
    tmp_path: Path, argv: list[str], **environment: str
) -> subprocess.CompletedProcess:
    """``presswatch ARGV`` in a fresh process with its own empty PREFECT_HOME; prints
    whether Prefect or a flow module was ever imported."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = {**os.environ, "PREFECT_HOME": str(home), **environment}
    env.pop("PREFECT_API_URL", None)
    script = (
        "import sys\n"
        "from presswatch.cli import main\n"
        f"code = main({argv!r})\n"
        "loaded = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('flows.'))\n"
        "print('imported:', loaded)\n"
        "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"<?xml version='1.0'?><opml version='2.0'><body><outline", "cannot use feed list"),
        (b"<?xml version='1.0'?><opml version='2.0'><body></body></opml>", "names no feeds"),
        (None, "does not exist"),
    ],
)
def test_a_bad_feed_list_is_one_line_before_prefect_starts(
    tmp_path: Path, db_path: Path, content: bytes | None, expected: str
) -> None:
    bad = tmp_path / "bad.opml"
    if content is not None:
        bad.write_bytes(content)
    result = run_without_prefect_server(
        tmp_path, ["ingest", "feeds", "--feeds", str(bad), "--db", str(db_path)]
    )
    assert result.returncode == EXIT_ERROR
    assert expected in result.stderr and str(bad) in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    # Prefect was never imported, so no server started and no flow ran; nothing written.
    assert "imported: []" in result.stdout
    assert list((tmp_path / "prefect-home").iterdir()) == []
    assert not db_path.exists()


def test_a_bad_seed_path_is_one_line_before_prefect_starts(tmp_path: Path, db_path: Path) -> None:
    # (A bad manifest row is not a reason to stop: it is recorded and the files load
    # without it; tests/test_hostile_seeds.py and test_hostile_seed_flow.py cover that.)
    missing = tmp_path / "no-such-folder"
    result = run_without_prefect_server(
        tmp_path, ["ingest", "seeds", str(missing), "--db", str(db_path)]
    )
    assert result.returncode == EXIT_ERROR
    assert str(missing) in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "imported: []" in result.stdout
    assert not db_path.exists()


def test_an_invalid_environment_setting_is_one_line_before_prefect_starts(
    tmp_path: Path, db_path: Path, seed_folder: Path
) -> None:
    result = run_without_prefect_server(
        tmp_path,
        ["ingest", "seeds", str(seed_folder), "--db", str(db_path)],
        PRESSWATCH_WORKERS="0",
    )
    assert result.returncode == EXIT_ERROR
    assert "PRESSWATCH_WORKERS must be a positive integer" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "imported: []" in result.stdout
    assert not db_path.exists()


# --- the summary -----------------------------------------------------------------------


def test_a_blocked_feed_gets_the_allowed_hosts_hint_exit_4_and_the_rest_loads(
    tmp_path: Path, db_path: Path
) -> None:
    with LocalServer() as server:
        serve_news(server, "/good.xml", "Council")
        serve_news(server, "/blocked.xml", "Hidden")
        port = server.url("/").split(":")[2].split("/")[0]
        feeds = feed_list(
            tmp_path,
            FeedSource("good", f"http://localhost:{port}/good.xml"),
            FeedSource("blocked", server.url("/blocked.xml")),  # 127.0.0.1: not allowed
            allowed=("localhost",),
        )
        code, out = run_cli(["ingest", "feeds", "--feeds", str(feeds), "--db", str(db_path)])
    assert code == EXIT_PARTIAL
    assert "feeds: 2 polled, 0 not due, 1 failed" in out
    assert "failed, blocked_address: 1 feed(s)" in out
    assert "blocked (http://127.0.0.1:" in out
    assert "`allowed_hosts = [...]` in feeds.toml" in out
    assert "PRESSWATCH_ALLOWED_HOSTS=127.0.0.1" in out
    assert "articles: 2 added" in out
    assert loaded_titles(db_path) == {"Council story 0", "Council story 1"}


def test_feeds_not_due_are_listed_with_when_they_are_due_and_force_polls_them(
    tmp_path: Path, db_path: Path
) -> None:
    with LocalServer() as server:
        serve_news(server, "/hourly.xml", "Budget")
        feeds = feed_list(
            tmp_path,
            FeedSource("hourly", server.url("/hourly.xml"), poll_interval_minutes=60),
            allowed=("127.0.0.1",),
        )
        argv = ["ingest", "feeds", "--feeds", str(feeds), "--db", str(db_path)]
        assert run_cli(argv)[0] == EXIT_OK
        code, out = run_cli(argv)
        assert code == EXIT_OK
        assert "feeds: 0 polled, 1 not due, 0 failed" in out
        assert "hourly: due " in out and "(in 60 min), poll interval" in out
        assert "`presswatch ingest feeds --force` polls them now" in out
        code, forced = run_cli([*argv, "--force"])
        assert code == EXIT_OK
    assert "feeds: 1 polled, 0 not due, 0 failed" in forced
    assert "articles: 0 added, 0 updated" in forced


def test_a_gone_feed_and_a_page_that_is_not_a_feed_get_their_fixes(
    tmp_path: Path, db_path: Path
) -> None:
    with LocalServer() as server:
        serve_news(server, "/news.xml", "Transport")
        server.route("/home.html", ARTICLE_HTML.format(title="Home").encode())
        feeds = feed_list(
            tmp_path,
            FeedSource("news", server.url("/news.xml")),
            FeedSource("gone", server.url("/gone.xml")),  # unknown path: 404
            FeedSource("homepage", server.url("/home.html")),
            allowed=("127.0.0.1",),
        )
        argv = ["ingest", "feeds", "--feeds", str(feeds), "--db", str(db_path)]
        code, out = run_cli(argv)
        json_code, json_out = run_cli([*argv, "--force", "--format", "json"])
    assert json_code == EXIT_PARTIAL
    record = json.loads(json_out)
    assert record["feeds_polled"] == 3 and record["anything_failed"] is True
    failed = {f["name"]: f for f in record["feeds_failed"]}
    assert set(failed) == {"gone", "homepage"}
    assert failed["gone"]["reason"] == "http_404" and failed["gone"]["status"] == 404
    assert "feeds update NAME --url URL" in failed["gone"]["fix"]
    assert code == EXIT_PARTIAL
    assert "feeds: 3 polled, 0 not due, 2 failed" in out
    assert "failed, http_404: 1 feed(s)" in out and "feeds update NAME --url URL" in out
    assert "failed, not_a_feed: 1 feed(s)" in out and "not RSS or Atom" in out
    assert "everything that worked was loaded" in out
    assert loaded_titles(db_path) == {"Transport story 0", "Transport story 1"}


def test_seed_inputs_that_fail_give_exit_4_and_are_named(seed_folder: Path, db_path: Path) -> None:
    (seed_folder / "binary.txt").write_bytes(gzip.compress(b"not text at all" * 100))
    code, out = run_cli(["ingest", "seeds", str(seed_folder), "--db", str(db_path)])
    assert code == EXIT_PARTIAL
    assert "articles: 5 added, 0 updated, 0 unchanged, 1 failed" in out
    assert "failed, read binary_content: 1 (binary.txt)" in out or "binary_content: 1" in out
    (seed_folder / "binary.txt").unlink()
    code, out = run_cli(["ingest", "seeds", str(seed_folder), "--db", str(db_path)])
    assert code == EXIT_OK
    assert "articles: 0 added, 0 updated, 5 unchanged, 0 failed" in out


def test_a_manual_run_sends_no_heartbeats_unless_they_are_set() -> None:
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    from presswatch.commands.ingest import manual_run

    with manual_run():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency is not None  # Prefect's default
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}), manual_run():
        assert get_current_settings().flows.heartbeat_frequency == 60


def test_a_manual_seed_run_is_a_completed_flow_run(seed_folder: Path, db_path: Path) -> None:
    from prefect.client.orchestration import get_client

    for _ in range(2):  # the second finds every file unchanged
        assert run_cli(["ingest", "seeds", str(seed_folder), "--db", str(db_path)])[0] == EXIT_OK
    with connection(db_path, read_only=True) as con:
        flow_run_ids = [
            row[0]
            for row in con.execute(
                "SELECT prefect_flow_run_id FROM ingestion_runs ORDER BY started_at"
            ).fetchall()
        ]
    with get_client(sync_client=True) as client:
        runs = [client.read_flow_run(flow_run_id) for flow_run_id in flow_run_ids]
        names = {client.read_flow(run.flow_id).name for run in runs}
    assert names == {"ingest_seeds"}
    assert [run.state.type.value for run in runs] == ["COMPLETED", "COMPLETED"]
