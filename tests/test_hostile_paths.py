"""Paths with a quote, spaces and non-ASCII work in every path option of the CLI."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from presswatch.cli import main
from presswatch.errors import EXIT_OK, EXIT_PARTIAL
from sources.feedlist import load_feed_list, save_feed_list
from testsupport.localserver import LocalServer

pytestmark = pytest.mark.usefixtures("prefect_server")

FEED = (
    b'<rss version="2.0"><channel><title>Odd</title><item><guid>o1</guid>'
    b"<title>Harbour plan approved</title><description>The council approved the harbour "
    b"plan on Monday after a long debate about ferries and costs.</description></item>"
    b"</channel></rss>"
)


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    folder = tmp_path / 'it\'s a "quoted" dir ü 東京'
    folder.mkdir()
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str, expected: int = EXIT_OK) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == expected, captured.err
    return captured.out


def run_flow(capsys: pytest.CaptureFixture[str], *argv: str, expected: int = EXIT_OK) -> None:
    """A command that runs a Prefect flow, with capture off: Prefect's log handlers may be
    set up during the flow, and must not keep this test's capture stream (closed after it)."""
    with capsys.disabled():
        assert main(list(argv)) == expected


def test_every_path_option_takes_quotes_spaces_and_non_ascii(
    odd: Path, seed_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    seeds = odd / "seeds 'x'"
    shutil.copytree(seed_folder, seeds)
    db = str(odd / "ware'house ü.duckdb")
    run_flow(capsys, "ingest", "seeds", str(seeds), "--db", db)
    assert (odd / "ware'house ü.snapshot.duckdb").exists()  # the readers' copy

    feeds = str(odd / "feeds 'list'.toml")
    with LocalServer() as server:
        server.route("/odd.xml", FEED)
        run(capsys, "feeds", "add", "Odd", server.url("/odd.xml"), "--config", feeds)
        added = load_feed_list(Path(feeds))
        save_feed_list(replace(added, allowed_hosts=("127.0.0.1",)), Path(feeds))
        # The item has no link, so its article comes from the feed's text: a partial run.
        run_flow(capsys, "ingest", "feeds", "--feeds", feeds, "--db", db, expected=EXIT_PARTIAL)

    opml = odd / "export 'x'.opml"
    run(capsys, "feeds", "export", "--config", feeds, "--out", str(opml))
    run(capsys, "feeds", "import", str(opml), "--config", str(odd / "imported 'x'.toml"))
    for fmt in ("csv", "parquet", "html", "json"):
        out = odd / f"report '{fmt}' ü.{fmt}"
        run(capsys, "report", "coverage", "--db", db, "--format", fmt, "--out", str(out))
        assert out.stat().st_size > 0
    search_out = odd / "search 'x'.csv"
    run(capsys, "search", "harbour", "--db", db, "--format", "csv", "--out", str(search_out))
    assert search_out.stat().st_size > 0
    assert "Harbour plan approved" in run(capsys, "articles", "--db", db, "--format", "json")
    run(capsys, "runs", "--db", db)
    run(capsys, "errors", "--db", db)
    run(capsys, "dedupe", "--db", db)
