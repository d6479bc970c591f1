"""The HTML coverage report: one self-contained file, rendered in headless Chromium (Debian's
``chromium`` package, installed by ``.ci/run``), with charts and tables that are present and
non-empty, and a screenshot at laptop size saved under the test's temporary folder."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import report_data
from helpers import load_and_dedupe

from extractors.models import ExtractedArticle
from presswatch.cli import main
from testsupport.browser import CHROMIUM, MISSING_REASON, chromium
from warehouse import watchlists
from warehouse.db import open_connection

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


@pytest.mark.skipif(CHROMIUM is None, reason=MISSING_REASON)
def test_chromium_renders_the_report(report_html: Path, tmp_path: Path) -> None:
    url = report_html.resolve().as_uri()
    dumped = chromium("--dump-dom", url, profile=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    page = _parse(dumped.stdout)
    assert page.external == []
    for chart in CHARTS:
        assert page.charts.get(chart, {}).get("marks", 0) > 0, chart
    assert page.tables["stories"] >= 2 and page.tables["outlets"] >= 3

    shot = tmp_path / "coverage-1366x900.png"
    taken = chromium(f"--screenshot={shot}", url, profile=tmp_path / "profile-shot")
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1366, 900)
    assert len(data) > 20_000  # a real page, not a blank one


# --- links: every article row shown links to its URL (http(s) and file only) -----------

FERRY = (
    "The harbour board approved a second ferry route to the islands on Thursday after a "
    "year of consultation with fishermen, hauliers and island councils. Sailings start in "
    "June with two crossings a day, and fares stay frozen until the end of next year."
)
LINKED = {
    "orig": "https://herald.example/2024/ferry?id=1&ref=rss",
    "copy": "https://wire.example/ferry-route",
    "seed": "file:///srv/presswatch/seeds/ferry-notes.txt",
}
UNLINKED_TITLES = ("Scripted ferry story", "Unlinked ferry story")


def _ferry_articles() -> dict[str, ExtractedArticle]:
    def item(title: str, text: str, outlet: str, url: str | None, day: int) -> ExtractedArticle:
        return ExtractedArticle(
            title=title, text=text, method="test", outlet=outlet, url=url,
            published_at=date(2024, 6, day),
        )  # fmt: skip

    return {
        "orig": item("Second ferry route approved", FERRY, "Herald", LINKED["orig"], 3),
        "copy": item("Ferry route approved (wire)", FERRY, "Wire", LINKED["copy"], 4),
        "seed": item(
            "Ferry notes from the seed folder",
            "Notes kept on paper: the ferry timetable, the pier repairs and a list of "
            "volunteers for the summer festival in the old market hall by the quay.",
            "Seeds",
            LINKED["seed"],
            5,
        ),
        "evil": item(
            UNLINKED_TITLES[0] + " <script>alert(1)</script>",
            "A ferry captain retired after forty years of crossings; colleagues gathered at "
            "the slipway with cake, speeches and a brass band from the grammar school.",
            "Quay Times",
            "javascript:alert(document.domain)",
            6,
        ),
        "none": item(
            UNLINKED_TITLES[1],
            "Storm warnings cancelled every ferry sailing for two days while engineers "
            "checked the ramps; stranded visitors slept in the leisure centre and chapel.",
            "Island Post",
            None,
            7,
        ),
    }


class _Links(HTMLParser):
    """Each element marked data-article-row (an article shown) with the links inside it,
    and every href on the page."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, list[str] | str]] = []
        self.hrefs: list[str] = []
        self._depth = 0  # elements open inside the current row

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "href" in a:
            self.hrefs.append(a["href"] or "")
        if "data-article-row" in a and not self._depth:
            self.rows.append({"links": [], "text": ""})
            self._depth = 1
            return
        if self._depth:
            self._depth += 1
            if tag == "a" and "data-article" in a:
                self.rows[-1]["links"].append(a.get("href") or "")  # type: ignore[union-attr]

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.rows[-1]["text"] += data  # type: ignore[operator]


@pytest.fixture
def linked_report(tmp_path: Path) -> Path:
    db = tmp_path / "links.duckdb"
    con = open_connection(db)
    load_and_dedupe(con, _ferry_articles(), source="links")
    watchlists.add(con, "ferry", ["ferry"])
    con.close()
    out = tmp_path / "links.html"
    assert main(["report", "coverage", "--format", "html", "--out", str(out), "--db", str(db)]) == 0
    return out


def _assert_every_article_linked(html: str) -> None:
    page = _Links()
    page.feed(html)
    assert not any(h.strip().lower().startswith(("javascript:", "data:")) for h in page.hrefs)
    assert len(page.rows) >= 2 * len(LINKED)  # stories' originals or copies, and matches
    linked = 0
    for row in page.rows:
        if any(title in str(row["text"]) for title in UNLINKED_TITLES):
            assert row["links"] == [], row
        else:
            assert len(row["links"]) == 1 and row["links"][0] in LINKED.values(), row
            linked += 1
    shown = {link for row in page.rows for link in row["links"]}
    assert shown == set(LINKED.values())  # the copy, its original and the seed file
    assert linked == len(page.rows) - sum(
        1 for row in page.rows if any(t in str(row["text"]) for t in UNLINKED_TITLES)
    )
    assert "<script>alert" not in html


def test_every_article_row_links_to_its_url(linked_report: Path) -> None:
    html = linked_report.read_text(encoding="utf-8")
    _assert_every_article_linked(html)
    assert 'href="https://herald.example/2024/ferry?id=1&amp;ref=rss"' in html  # escaped


@pytest.mark.skipif(CHROMIUM is None, reason=MISSING_REASON)
def test_chromium_shows_every_article_linked(linked_report: Path, tmp_path: Path) -> None:
    dumped = chromium("--dump-dom", linked_report.resolve().as_uri(), profile=tmp_path / "p")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    _assert_every_article_linked(dumped.stdout)


def test_each_story_row_states_its_independent_origins(report_html: Path, tmp_path: Path) -> None:
    data = tmp_path / "coverage.json"
    db = tmp_path / "w.duckdb"
    args = ["report", "coverage", "--format", "json", "--out", str(data), "--db", str(db)]
    assert main(args) == 0
    stories = json.loads(data.read_text(encoding="utf-8"))["stories"]
    html = report_html.read_text(encoding="utf-8")
    for story in stories:
        n = story["independent_origins"]
        assert f"{n:,} independent origin{'' if n == 1 else 's'}" in html
    assert re.search(r"\d+ independent origins?", html)
