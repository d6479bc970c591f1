"""Safe edits from the command line (feeds and watchlists) and option validation: one line
and exit 1 for every mistake, never a traceback. No flow runs here (no Prefect needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from presswatch.cli import EXIT_ERROR, main
from sources.feedlist import load_feed_list
from warehouse.db import open_connection


@pytest.fixture
def feeds_toml(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.toml"
    code = main(
        [
            "feeds", "add", "wire", "https://wire.example/rss",
            "--outlet", "Wire", "--tag", "uk", "--tag", "politics",
            "--interval", "30", "--config", str(path),
        ]
    )  # fmt: skip
    assert code == 0
    return path


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_feeds_add_refuses_an_existing_name_and_keeps_the_entry(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    before = feeds_toml.read_bytes()
    code = main(["feeds", "add", "wire", "https://other.example/rss", "--config", str(feeds_toml)])
    assert code == EXIT_ERROR
    err = one_line_error(capsys)
    assert "already has wire (https://wire.example/rss)" in err
    assert "--replace" in err and "feeds update wire" in err
    assert feeds_toml.read_bytes() == before


def test_feeds_add_refuses_an_existing_url_under_another_name(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(["feeds", "add", "copy", "https://wire.example/rss", "--config", str(feeds_toml)])
    assert code == EXIT_ERROR
    assert "already has wire" in one_line_error(capsys)
    assert [f.name for f in load_feed_list(feeds_toml).feeds] == ["wire"]


def test_feeds_add_of_the_identical_entry_says_unchanged(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        [
            "feeds", "add", "wire", "https://wire.example/rss",
            "--outlet", "Wire", "--tag", "uk", "--tag", "politics",
            "--interval", "30", "--config", str(feeds_toml),
        ]
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out.startswith("unchanged wire (https://wire.example/rss)")


def test_feeds_add_replace_replaces_the_entry(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        [
            "feeds",
            "add",
            "wire",
            "https://new.example/rss",
            "--replace",
            "--config",
            str(feeds_toml),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith("updated wire (https://new.example/rss)")
    (feed,) = load_feed_list(feeds_toml).feeds
    assert (feed.url, feed.outlet, feed.tags) == ("https://new.example/rss", None, ())


def test_feeds_update_changes_only_what_is_given(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["feeds", "update", "wire", "--interval", "90", "--config", str(feeds_toml)]) == 0
    assert capsys.readouterr().out.startswith("updated wire")
    (feed,) = load_feed_list(feeds_toml).feeds
    assert feed.poll_interval_minutes == 90
    assert (feed.url, feed.outlet, feed.tags) == (
        "https://wire.example/rss",
        "Wire",
        ("uk", "politics"),
    )

    new_url = ["--url", "https://wire.example/atom"]
    assert main(["feeds", "update", "wire", *new_url, "--config", str(feeds_toml)]) == 0
    (feed,) = load_feed_list(feeds_toml).feeds
    assert (feed.url, feed.outlet, feed.poll_interval_minutes) == (
        "https://wire.example/atom",
        "Wire",
        90,
    )

    capsys.readouterr()
    assert main(["feeds", "update", "wire", "--outlet", "Wire", "--config", str(feeds_toml)]) == 0
    assert capsys.readouterr().out.startswith("unchanged wire")


def test_feeds_update_of_an_unknown_feed_or_to_a_taken_url_is_refused(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = ["second", "https://second.example/rss"]
    assert main(["feeds", "add", *second, "--config", str(feeds_toml)]) == 0
    capsys.readouterr()
    assert main(["feeds", "update", "nope", "--interval", "5", "--config", str(feeds_toml)]) == 1
    assert "no feed named 'nope'" in one_line_error(capsys)
    code = main(
        [
            "feeds",
            "update",
            "second",
            "--url",
            "https://wire.example/rss",
            "--config",
            str(feeds_toml),
        ]
    )
    assert code == EXIT_ERROR
    assert "url" in one_line_error(capsys)
    assert [f.url for f in load_feed_list(feeds_toml).feeds] == [
        "https://wire.example/rss",
        "https://second.example/rss",
    ]


def test_feeds_list_prints_tags_as_a_list_and_json_for_scripts(
    feeds_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["feeds", "list", "--config", str(feeds_toml)]) == 0
    table = capsys.readouterr().out
    assert "uk, politics" in table and "['uk'" not in table
    assert main(["feeds", "list", "--format", "json", "--config", str(feeds_toml)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["tags"] == ["uk", "politics"]


# --- watchlists ------------------------------------------------------------------------


@pytest.fixture
def empty_db(db_path: Path) -> Path:
    open_connection(db_path).close()  # created and migrated
    return db_path


def test_watch_add_says_added_then_unchanged(
    empty_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", "add", "client", "laming", "--db", str(empty_db)]) == 0
    out = capsys.readouterr().out
    assert "client: created" in out and "added 'laming'" in out
    assert main(["watch", "add", "client", "laming", "climbie", "--db", str(empty_db)]) == 0
    out = capsys.readouterr().out
    assert "unchanged 'laming'" in out and "added 'climbie'" in out and "created" not in out


def test_watch_add_refuses_a_name_differing_only_in_case_unless_new(
    empty_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", "add", "Client", "laming", "--db", str(empty_db)]) == 0
    capsys.readouterr()
    assert main(["watch", "add", "client", "budget", "--db", str(empty_db)]) == EXIT_ERROR
    err = one_line_error(capsys)
    assert "'Client' exists" in err and "--new" in err
    assert main(["watch", "add", "client", "budget", "--new", "--db", str(empty_db)]) == 0
    capsys.readouterr()
    assert main(["watch", "list", "--format", "json", "--db", str(empty_db)]) == 0
    listed = {(r["watchlist"], r["query"]) for r in json.loads(capsys.readouterr().out)}
    assert listed == {("Client", "laming"), ("client", "budget")}


def test_watch_add_replace_makes_the_given_queries_the_whole_list(
    empty_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", "add", "client", "laming", "climbie", "--db", str(empty_db)]) == 0
    capsys.readouterr()
    queries = ["climbie", "budget"]
    assert main(["watch", "add", "client", *queries, "--replace", "--db", str(empty_db)]) == 0
    out = capsys.readouterr().out
    assert "removed 'laming'" in out and "unchanged 'climbie'" in out and "added 'budget'" in out
    capsys.readouterr()
    assert main(["watch", "list", "--format", "json", "--db", str(empty_db)]) == 0
    assert {r["query"] for r in json.loads(capsys.readouterr().out)} == {"climbie", "budget"}


# --- option validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["runs", "--limit", "-1"], "--limit: must be 0 or more"),
        (["runs", "--limit", "99999999999999"], "--limit: must be at most"),
        (["search", "x", "--limit", "ten"], "--limit: not a whole number"),
        (["report", "coverage", "--limit", "-5"], "--limit: must be 0 or more"),
        (["report", "coverage", "--since", "yesterday"], "not a date"),
        (["feeds", "add", "a", "https://a.example/", "--interval", "0"], "at least 1 minute"),
        (["dedupe", "--wait", "-3"], "--wait: must be between"),
        (["report", "coverage", "--format", "pdf"], "invalid choice: 'pdf'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_option_values_are_one_line_and_exit_1(
    argv: list[str], expected: str, empty_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--db", str(empty_db)] if argv[0] != "frobnicate" else argv) == EXIT_ERROR
    assert expected in one_line_error(capsys)


def test_out_to_an_unwritable_path_is_one_line_and_exit_1(
    empty_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    for argv in (
        ["report", "coverage", "--format", "json", "--out", str(a_file / "report.json")],
        ["search", "laming", "--out", str(a_file / "hits.csv"), "--format", "csv"],
        ["report", "coverage", "--format", "html", "--out", str(tmp_path)],
    ):
        capsys.readouterr()
        assert main([*argv, "--db", str(empty_db)]) == EXIT_ERROR, argv
        assert "--out" in one_line_error(capsys) or "cannot write" in capsys.readouterr().err


def test_a_write_that_fails_midway_is_one_line_and_exit_1(
    empty_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /dev/full accepts the open and fails the write: the check before the work cannot see it.
    code = main(
        ["report", "coverage", "--format", "json", "--out", "/dev/full", "--db", str(empty_db)]
    )
    assert code == EXIT_ERROR
    assert "cannot write /dev/full" in one_line_error(capsys)


def test_scheduler_status_for_scripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    (state / "run").mkdir(parents=True)
    (state / "run" / "server.pid").write_text("999999999")  # no such process
    assert main(["scheduler", "status", "--format", "json", "--state-dir", str(state)]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "server": {"pid": None, "running": False},
        "worker": {"pid": None, "running": False},
    }
    assert main(["scheduler", "status", "--state-dir", str(state)]) == 0
    assert capsys.readouterr().out.splitlines() == ["server: stopped", "worker: stopped"]


def test_feeds_import_says_what_it_added_updated_or_left_unchanged(
    feeds_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        "<?xml version='1.0'?><opml version='2.0'><body>"
        "<outline text='wire' xmlUrl='https://wire.example/rss'/>"
        "<outline text='fresh' xmlUrl='https://fresh.example/rss'/>"
        "</body></opml>"
    )
    capsys.readouterr()
    importing = ["feeds", "import", str(opml), "--config", str(feeds_toml)]
    assert main(importing) == 0
    out = capsys.readouterr().out
    assert "imported 2 feed(s)" in out and "1 added, 0 updated, 0 unchanged" in out
    assert "1 feed(s) kept as they were" in out and "--replace" in out
    wire = load_feed_list(feeds_toml).feeds[0]
    assert (wire.outlet, wire.tags) == ("Wire", ("uk", "politics"))  # not dropped

    assert main(importing) == 0
    assert "0 added, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert main([*importing, "--replace"]) == 0
    assert "0 added, 1 updated, 1 unchanged" in capsys.readouterr().out
    assert load_feed_list(feeds_toml).feeds[0].outlet is None
