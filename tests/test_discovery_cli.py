"""`presswatch sources discover URL [--add]` against a real local site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from presswatch.cli import EXIT_ERROR, main
from sources.feedlist import load_feed_list
from testsupport.localserver import LocalServer
from testsupport.sites import plant_site


@pytest.fixture
def local_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("PRESSWATCH_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    with LocalServer() as server:
        yield server


def test_discover_prints_sources_with_counts_as_json(
    local_site: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = plant_site(local_site, "link-tags", seed=11)
    config = str(tmp_path / "feeds.toml")
    assert (
        main(["sources", "discover", local_site.url("/"), "--format", "json", "--config", config])
        == 0
    )
    (document,) = json.loads(capsys.readouterr().out)
    assert document["site_name"] == site.name
    found = {row["url"]: row for row in document["found"]}
    assert set(found) == site.expected
    for url, count in site.feeds.items():
        assert found[url]["items"] == count
        assert found[url]["newest_item_at"] == site.newest[url].isoformat()
    assert not (tmp_path / "feeds.toml").exists()  # nothing added without --add


def test_discover_add_adds_feeds_with_the_site_as_outlet_once(
    local_site: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = plant_site(local_site, "link-tags", seed=12)
    config = tmp_path / "feeds.toml"
    args = ["sources", "discover", local_site.url("/"), "--add", "--config", str(config)]
    assert main(args) == 0
    feeds = load_feed_list(config).feeds
    assert {f.url for f in feeds} == site.expected  # feeds and the news sitemap
    assert {f.outlet for f in feeds} == {site.name}
    assert len({f.name for f in feeds}) == len(feeds)
    out = capsys.readouterr().out
    added = [line for line in out.splitlines() if line.startswith("added ")]
    assert len(added) == len(site.expected)
    before = config.read_bytes()
    assert main(args) == 0  # again: the same feeds, unchanged
    assert config.read_bytes() == before
    assert "unchanged" in capsys.readouterr().out


def test_discover_of_an_unreachable_site_is_one_line(
    local_site: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_site.route("/", b"", status=302, headers={"Location": "http://10.255.255.1/"})
    code = main(["sources", "discover", local_site.url("/"), "--config", str(tmp_path / "f.toml")])
    assert code == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "blocked_address" in err
