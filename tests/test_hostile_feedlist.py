"""Hostile feed lists: one typed error saying what to fix, and one line from the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from presswatch.cli import EXIT_ERROR, main
from sources.feedlist import FeedListError, load_feed_list

GOOD_FEED = '[[feeds]]\nname = "A"\nurl = "https://a.example/rss"\n'


def write(tmp_path: Path, text: bytes) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_bytes(text)
    return path


def test_non_utf8_feed_list_names_the_line_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, b'[[feeds]]\nname = "Caf\xe9"\nurl = "https://a.example/rss"\n')
    with pytest.raises(FeedListError, match=r"not UTF-8 \(byte 0xe9 on line 2\); save the file"):
        load_feed_list(path)


@pytest.mark.parametrize(
    "hosts",
    ['["http://intranet.example/"]', '["user@host"]', '["10.0.0.0/99"]', '["a b"]'],
)
def test_bad_allowed_hosts_are_one_typed_error(tmp_path: Path, hosts: str) -> None:
    path = write(tmp_path, f"allowed_hosts = {hosts}\n{GOOD_FEED}".encode())
    with pytest.raises(FeedListError, match=r"allowed_hosts: .*CIDR ranges"):
        load_feed_list(path)


def test_duplicate_feed_names_say_what_to_fix(tmp_path: Path) -> None:
    second = '[[feeds]]\nname = "A"\nurl = "https://b.example/rss"\n'
    path = write(tmp_path, (GOOD_FEED + second).encode())
    with pytest.raises(FeedListError, match=r"duplicate feed name.*give every feed its own name"):
        load_feed_list(path)


@pytest.mark.parametrize(
    "content",
    [
        b'[[feeds]]\nname = "\xff"\nurl = "https://a.example/rss"\n',
        ('allowed_hosts = ["http://x/"]\n' + GOOD_FEED).encode(),
        (GOOD_FEED + GOOD_FEED).encode(),
    ],
    ids=["non-utf8", "allowed-hosts", "duplicate-name"],
)
def test_ingest_feeds_prints_one_line_and_no_trace(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, content)
    code = main(["ingest", "feeds", "--feeds", str(path), "--db", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert err.startswith(f"error: cannot use feed list {path}: ")
    assert err.count("\n") == 1 and "Traceback" not in err
