"""The HTML coverage report: one self-contained file, rendered in headless Chromium (Debian's
``chromium`` package, installed by ``.ci/run``), with charts and tables that are present and
non-empty, and a screenshot at laptop size saved under the test's temporary folder."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import report_data

from presswatch.cli import main
from warehouse import watchlists

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHARTS = ("volume", "stories", "outlets", "mentions")


class _Page(HTMLParser):
    """Charts (svg[data-chart]) with their marks, tables with their body rows."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, int]] = {}
        self.tables: dict[str, int] = {}
        self._chart: str | None = None
        self._table: str | None = None
        self._in_body = False
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key) and re.match(r"(https?:)?//", a[key] or ""):
                self.external.append(a[key] or "")
        if tag == "link" or tag == "script":
            self.external.append(f"<{tag}>")
        if tag == "svg" and a.get("data-chart") and a["data-chart"] != "timeline":
            self._chart = a["data-chart"]
            self.charts[self._chart] = {"points": int(a.get("data-points") or 0), "marks": 0}
        elif self._chart and "data-value" in a and float(a["data-value"] or 0) > 0:
            self.charts[self._chart]["marks"] += 1
        if tag == "table" and a.get("data-table"):
            self._table = a["data-table"]
            self.tables[self._table] = 0
        elif tag == "tbody" and self._table:
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.tables[self._table] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        elif tag == "table":
            self._table, self._in_body = None, False


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def report_html(tmp_path: Path) -> Path:
    con = report_data.build(tmp_path / "w.duckdb")
    watchlists.add(con, "Baby P", ['"baby p"', "laming"])
    watchlists.add(con, "Fuel duty", ['"fuel duty"'])
    con.close()
    out = tmp_path / "coverage.html"
    code = main(
        [
            "report",
            "coverage",
            "--format",
            "html",
            "--out",
            str(out),
            "--db",
            str(tmp_path / "w.duckdb"),
        ]
    )
    assert code == 0
    return out


def test_the_file_is_self_contained_with_charts_and_tables(report_html: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    page = _parse(html)
    assert page.external == []  # no scripts, stylesheets or images to fetch
    assert "url(" not in html and "@import" not in html
    for chart in CHARTS:
        assert page.charts[chart]["points"] > 0 and page.charts[chart]["marks"] > 0, chart
    assert page.charts["volume"]["points"] >= 2 and page.charts["volume"]["marks"] >= 2
    assert page.tables["stories"] >= 2 and page.tables["outlets"] >= 3
    assert "Chancellor raises fuel duty" in html and "Baby P" in html


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--window-size=1366,900",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)"
)
def test_chromium_renders_the_report(report_html: Path, tmp_path: Path) -> None:
    url = report_html.resolve().as_uri()
    dumped = _chromium("--dump-dom", url, profile=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    page = _parse(dumped.stdout)
    assert page.external == []
    for chart in CHARTS:
        assert page.charts.get(chart, {}).get("marks", 0) > 0, chart
    assert page.tables["stories"] >= 2 and page.tables["outlets"] >= 3

    shot = tmp_path / "coverage-1366x900.png"
    taken = _chromium(f"--screenshot={shot}", url, profile=tmp_path / "profile-shot")
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1366, 900)
    assert len(data) > 20_000  # a real page, not a blank one
