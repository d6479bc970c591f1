"""Dates, outlets and provenance (issue 14): the pure rules, and the feed flow on a real
HTTP server on 127.0.0.1 with pages written for these tests."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from extractors.dates import DateClaim, FeedDates, choose_published, feed_dates
from extractors.outlets import registered_domain
from extractors.provenance import find_provenance
from flows.ingest_feeds import ingest_feeds
from sources.feedlist import FeedList, FeedSource, save_feed_list
from testsupport.localserver import LocalServer
from warehouse import outlets, reports
from warehouse.db import connection

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


# --- the date rule (pure) ----------------------------------------------------------------


def test_a_feed_date_beats_htmldates_guess_and_every_claim_is_kept() -> None:
    claims = [
        DateClaim("htmldate", at("2012-03-01")),
        DateClaim("feed_published", at("2021-06-02")),
    ]
    choice = choose_published(claims, now=NOW)
    assert (choice.value, choice.source, choice.distrusted) == (
        at("2021-06-02"),
        "feed_published",
        (),
    )


def test_page_metadata_beats_a_feed_that_stamps_every_item() -> None:
    claims = [DateClaim("feed_published", at("2026-05-20")), DateClaim("json_ld", at("2026-05-18"))]
    assert choose_published(claims, now=NOW).source == "feed_published"
    stamped = FeedDates(median=at("2026-05-20"), stamped=True)
    assert choose_published(claims, now=NOW, feed=stamped).source == "json_ld"
    # ...and a feed date inside the fetch window is the fetch time, stamped or not.
    fetched = [DateClaim("feed_published", NOW - timedelta(minutes=1)), claims[1]]
    choice = choose_published(fetched, now=NOW, fetched_from=NOW - timedelta(minutes=3))
    assert choice.source == "json_ld"
    # A stamped feed still beats htmldate's guess when the page states nothing explicit.
    guessed = [claims[0], DateClaim("htmldate", at("2026-05-01"))]
    assert choose_published(guessed, now=NOW, feed=stamped).source == "feed_published"


def test_future_dates_and_dates_decades_before_the_feed_are_distrusted() -> None:
    future = DateClaim("feed_published", NOW + timedelta(days=3))
    epoch = DateClaim("json_ld", at("1970-01-01"))
    guess = DateClaim("htmldate", at("2026-05-10"))
    choice = choose_published(
        [future, epoch, guess], now=NOW, feed=FeedDates(median=at("2026-05-01"))
    )
    assert (choice.value, choice.source) == (at("2026-05-10"), "htmldate")
    assert dict(choice.distrusted) == {future: "future", epoch: "decades_before_feed"}
    # Only relative to the feed's other items: a 1970 date alone is not an outlier.
    assert choose_published([epoch], now=NOW).source == "json_ld"


def test_a_manifest_date_wins_and_a_year_alone_places_nothing() -> None:
    manifest = DateClaim("manifest", at("2009-03-12"))
    assert choose_published([DateClaim("text", at("2010-01-01")), manifest], now=NOW).value == (
        at("2009-03-12")
    )
    year = DateClaim("manifest", at("2009-01-01"), "year")
    choice = choose_published([year], now=NOW)
    assert (choice.value, dict(choice.distrusted)) == (None, {year: "imprecise"})


def test_feed_profile_median_and_stamping() -> None:
    same_minute = [at("2026-05-20T10:00:05"), at("2026-05-20T10:00:40"), at("2026-05-20T10:00:59")]
    assert feed_dates(same_minute).stamped
    spread = [at("2026-05-18"), at("2026-05-19"), at("2026-05-20")]
    assert feed_dates(spread) == FeedDates(median=at("2026-05-19"), stamped=False)
    assert not feed_dates(same_minute[:2]).stamped  # too few items to tell


# --- provenance (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (["LONDON (Reuters) - Ministers met on Monday."], ("LONDON", "Reuters", None)),
        (["BEIJING, March 3 (Reuters) - Exports rose."], ("BEIJING", "Reuters", None)),
        (["(AP) — The Senate passed the bill."], (None, "Associated Press", None)),
        (
            ["Bill passes", "By Jane Doe, Associated Press", "WASHINGTON — The Senate voted."],
            ("WASHINGTON", "Associated Press", "Jane Doe"),
        ),
        (["By JANE DOE Associated Press Writer", "Text."], (None, "Associated Press", "Jane Doe")),
        (
            ["Text.", "This article originally appeared in The Conversation."],
            (None, "The Conversation", None),
        ),
        (["By Jane Smith, Political Editor", "Text."], (None, None, "Jane Smith")),
        (["UPDATE - Ministers met on Monday."], (None, None, None)),
        (["Ministers met on Monday in London."], (None, None, None)),
    ],
)
def test_datelines_wire_credits_and_bylines(
    paragraphs: list[str], expected: tuple[str | None, str | None, str | None]
) -> None:
    found = find_provenance(paragraphs)
    assert (found.dateline_place, found.wire_credit, found.byline) == expected


# --- registered domains, offline ---------------------------------------------------------


def test_registered_domain_uses_the_bundled_suffix_list_without_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("registered_domain tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert registered_domain("https://www.bbc.co.uk/news/uk-1") == "bbc.co.uk"
    assert registered_domain("https://uk.reuters.com/article/x") == "reuters.com"
    assert registered_domain("https://news.example.com.au/a") == "example.com.au"
    assert registered_domain("http://127.0.0.1:8080/a") is None
    assert registered_domain("http://localhost/a") is None


# --- the feed flow on a local server -----------------------------------------------------

BODY = (
    "The harbour authority approved the new ferry timetable on Tuesday after a long debate "
    "about fares, winter sailings and the repair of the old northern pier."
)


def html_page(
    body: str,
    *,
    title: str,
    site_name: str | None = None,
    json_ld: dict | None = None,
    canonical: str | None = None,
) -> bytes:
    head = f"<title>{escape(title)}</title>"
    if site_name:
        head += f'<meta property="og:site_name" content="{escape(site_name)}">'
    if json_ld:
        head += f'<script type="application/ld+json">{json.dumps(json_ld)}</script>'
    if canonical:
        head += f'<link rel="canonical" href="{escape(canonical)}">'
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{head}</head>'
        f"<body><article><h1>{escape(title)}</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss(items: list[tuple[str, str, datetime | None]]) -> bytes:
    """RSS 2.0 with (link, title, pubDate or None) items."""
    entries = "".join(
        f"<item><guid>{escape(link)}</guid><link>{escape(link)}</link>"
        f"<title>{escape(title)}</title>"
        + (f"<pubDate>{format_datetime(published)}</pubDate>" if published else "")
        + "<description>A short summary of the story.</description></item>"
        for link, title, published in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Local</title><link>http://127.0.0.1/</link><description>d</description>"
        f"{entries}</channel></rss>"
    ).encode()


@pytest.fixture(autouse=True)
def fast_network_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("PRESSWATCH_HOST_DELAY", "0")
    monkeypatch.delenv("PRESSWATCH_ALLOWED_HOSTS", raising=False)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def serve(server: LocalServer, pages: dict[str, bytes], items: list) -> str:
    for path, html in pages.items():
        server.route(path, html, headers={"Content-Type": "text/html; charset=utf-8"})
    server.route("/feed.xml", rss(items), headers={"Content-Type": "application/rss+xml"})
    return server.url("/feed.xml")


def run_feed(tmp_path: Path, db_path: Path, feed_url: str, outlet: str | None = None) -> None:
    path = tmp_path / "feeds.toml"
    feed = FeedSource(name="local", url=feed_url, outlet=outlet)
    save_feed_list(FeedList(feeds=(feed,), allowed_hosts=("127.0.0.1",)), path)
    ingest_feeds(feeds=str(path), db=str(db_path))


def query(db_path: Path, sql: str) -> list[tuple]:
    with connection(db_path, read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.usefixtures("prefect_server")
def test_feed_dates_beat_conflicting_page_dates_and_all_are_kept(
    tmp_path: Path, db_path: Path, server: LocalServer
) -> None:
    pages = {
        # the page's JSON-LD and visible metadata say 2012, the feed says 2021
        "/a.html": html_page(
            BODY,
            title="Ferry timetable approved",
            json_ld={"@type": "NewsArticle", "datePublished": "2012-04-03T09:00:00Z"},
        ),
        "/b.html": html_page(BODY.replace("ferry", "tram"), title="Tram timetable approved"),
    }
    feed_url = serve(
        server,
        pages,
        [
            (server.url("/a.html"), "Ferry timetable approved", at("2021-06-02T08:30:00")),
            (server.url("/b.html"), "Tram timetable approved", at("2021-06-03T08:30:00")),
        ],
    )
    run_feed(tmp_path, db_path, feed_url)
    stored = dict(
        query(
            db_path,
            "SELECT title, CAST(published_at AS DATE) || ' ' || published_source FROM articles",
        )
    )
    assert stored == {
        "Ferry timetable approved": "2021-06-02 feed_published",
        "Tram timetable approved": "2021-06-03 feed_published",
    }
    claims = query(
        db_path,
        "SELECT d.source, CAST(d.value AS DATE) FROM article_dates d JOIN articles a "
        "USING (article_id) WHERE a.title LIKE 'Ferry%' ORDER BY d.source",
    )
    sources = dict(claims)
    assert sources["feed_published"] == date(2021, 6, 2)
    assert sources["json_ld"] == date(2012, 4, 3)
    assert "first_seen" in sources


@pytest.mark.usefixtures("prefect_server")
def test_a_feed_stamping_items_with_the_fetch_time_loses_to_the_pages_json_ld(
    tmp_path: Path, db_path: Path, server: LocalServer
) -> None:
    stamp = datetime.now(UTC).replace(microsecond=0)
    words = ["ferry", "tram", "bus"]
    pages = {
        f"/{w}.html": html_page(
            BODY.replace("ferry", w),
            title=f"{w.title()} timetable approved",
            json_ld={"@type": "NewsArticle", "datePublished": f"2026-0{n + 1}-1{n}"},
        )
        for n, w in enumerate(words)
    }
    items = [(server.url(f"/{w}.html"), f"{w.title()} timetable", stamp) for w in words]
    run_feed(tmp_path, db_path, serve(server, pages, items))
    stored = sorted(
        query(db_path, "SELECT CAST(published_at AS DATE), published_source FROM articles")
    )
    assert stored == [
        (date(2026, 1, 10), "json_ld"),
        (date(2026, 2, 11), "json_ld"),
        (date(2026, 3, 12), "json_ld"),
    ]


@pytest.mark.usefixtures("prefect_server")
def test_every_article_gets_an_outlet_from_feed_site_name_or_domain(
    tmp_path: Path, db_path: Path, server: LocalServer
) -> None:
    pages = {
        "/og.html": html_page(BODY, title="Ferry fares", site_name="Harbour Gazette"),
        "/ld.html": html_page(
            BODY.replace("ferry", "tram"),
            title="Tram fares",
            json_ld={
                "@type": "NewsArticle",
                "publisher": {"@type": "Organization", "name": "Tram Times"},
            },
        ),
        "/none.html": html_page(
            BODY.replace("ferry", "bus"),
            title="Bus fares",
            canonical="https://www.example-news.co.uk/local/bus-fares",
        ),
        "/bare.html": html_page(BODY.replace("ferry", "cable car"), title="Cable car fares"),
    }
    items = [
        (server.url(p), t, at("2026-05-01"))
        for p, t in [
            ("/og.html", "Ferry fares"),
            ("/ld.html", "Tram fares"),
            ("/none.html", "Bus fares"),
            ("/bare.html", "Cable car fares"),
        ]
    ]
    run_feed(tmp_path, db_path, serve(server, pages, items))
    stored = dict(
        query(
            db_path,
            "SELECT a.title, o.name || ' (' || a.outlet_source || ')' FROM articles a "
            "LEFT JOIN outlets o ON o.outlet_id = a.outlet_id",
        )
    )
    assert stored == {
        "Ferry fares": "Harbour Gazette (site_name)",
        "Tram fares": "Tram Times (site_name)",
        "Bus fares": "example-news.co.uk (domain)",
        "Cable car fares": None,  # served from 127.0.0.1 with no name: nothing to go on
    }
    # a configured outlet wins over the page's own name
    run_feed(tmp_path, tmp_path / "configured.duckdb", serve(server, pages, items), "Port News")
    names = query(
        tmp_path / "configured.duckdb",
        "SELECT DISTINCT o.name, a.outlet_source FROM articles a JOIN outlets o USING (outlet_id)",
    )
    assert names == [("Port News", "feed")]


WIRE = (
    "LONDON (Reuters) - Britain's harbour authorities approved a new national ferry "
    "timetable on Tuesday after months of talks about fares, winter sailings and repairs.\n\n"
    "The timetable adds forty winter sailings and keeps fares frozen until next spring, "
    "the authority said in a statement issued after the vote.\n\n"
    "Unions welcomed the agreement but warned that the repair of the northern piers was "
    "still years behind the schedule agreed with the government."
)


@pytest.mark.usefixtures("prefect_server")
def test_wire_copy_keeps_its_dateline_links_to_the_agency_original_and_counts_one_origin(
    tmp_path: Path, db_path: Path, server: LocalServer
) -> None:
    pages = {
        "/reuters.html": html_page(WIRE, title="Ferry timetable agreed", site_name="Reuters"),
        "/copy.html": html_page(WIRE, title="New ferry timetable", site_name="Daily Example"),
    }
    items = [
        (server.url("/reuters.html"), "Ferry timetable agreed", at("2026-05-05T09:00:00")),
        (server.url("/copy.html"), "New ferry timetable", at("2026-05-05T11:00:00")),
    ]
    run_feed(tmp_path, db_path, serve(server, pages, items))
    rows = query(
        db_path,
        """SELECT o.name, p.dateline_place, p.wire_credit, ao.name,
                  contains(a.body_text, 'LONDON (Reuters) - Britain')
           FROM article_provenance p JOIN articles a USING (article_id)
           JOIN outlets o ON o.outlet_id = a.outlet_id
           LEFT JOIN articles ag ON ag.article_id = p.agency_original_id
           LEFT JOIN outlets ao ON ao.outlet_id = ag.outlet_id ORDER BY 1""",
    )
    assert rows == [
        ("Daily Example", "LONDON", "Reuters", "Reuters", True),
        ("Reuters", "LONDON", "Reuters", None, True),  # the original itself
    ]
    assert query(db_path, "SELECT articles, independent_origins FROM story_origins") == [(2, 1)]
    with connection(db_path, read_only=True) as con:
        story = reports.coverage_report(con)["stories"][0]
    assert (story["articles"], story["independent_origins"]) == (2, 1)


def test_aliases_map_names_to_one_outlet_and_weights_load_from_csv(
    db_path: Path, tmp_path: Path
) -> None:
    from extractors.models import ExtractedArticle
    from warehouse import loader

    with connection(db_path) as con:
        source_id = loader.ensure_source(con, "seed_folder", "/tmp/x")
        run_id = loader.start_run(con, "ingest_seeds", "/tmp/x")
        inputs = [
            loader.ArticleInput(
                name,
                ExtractedArticle(title=name, text=f"{BODY} ({n})", method="plaintext", outlet=name),
            )
            for n, name in enumerate(["Reuters", "reuters.com", "Reuters UK"])
        ]
        loader.load_articles(con, source_id, run_id, inputs)
        assert outlets.add_aliases(con, "Reuters", ["reuters.com", "Reuters UK"]) == "reuters"
        shown = con.execute("SELECT DISTINCT outlet FROM article_overview").fetchall()
        assert shown == [("Reuters",)]
        listed = outlets.list_outlets(con)
        assert [(o.name, o.aliases, o.articles) for o in listed] == [
            ("Reuters", ["Reuters UK", "reuters.com"], 3)
        ]
        # an article loaded later under an alias joins the outlet too
        late = ExtractedArticle(
            title="t", text=f"{BODY} late", method="plaintext", outlet="REUTERS UK"
        )
        loader.load_articles(con, source_id, run_id, [loader.ArticleInput("late", late)])
        assert con.execute("SELECT count(DISTINCT outlet_id) FROM articles").fetchone()[0] == 1

        assert outlets.remove_alias(con, "Reuters UK") == "reuters"
        counts = dict(
            con.execute("SELECT outlet, count(*) FROM article_overview GROUP BY 1").fetchall()
        )
        assert counts == {"Reuters": 2, "Reuters UK": 2}

        weights = tmp_path / "weights.csv"
        weights.write_text("outlet,weight\nreuters.com,3.5\nNew Outlet,1\n", encoding="utf-8")
        assert outlets.import_weights(con, weights) == 2
        assert dict(
            con.execute("SELECT name, weight FROM outlets WHERE weight IS NOT NULL").fetchall()
        ) == {"Reuters": 3.5, "New Outlet": 1.0}
        weights.write_text("outlet,weight\nReuters,lots\n", encoding="utf-8")
        with pytest.raises(outlets.OutletError, match="not a number"):
            outlets.import_weights(con, weights)
        with pytest.raises(outlets.OutletError, match="own name"):
            outlets.add_aliases(con, "Reuters", ["REUTERS"])
        with pytest.raises(outlets.OutletError, match="not an alias"):
            outlets.remove_alias(con, "Nobody")


def test_a_reloaded_article_replaces_its_claims_and_keeps_its_first_seen(db_path: Path) -> None:
    from dataclasses import replace

    from extractors.models import ExtractedArticle
    from warehouse import loader

    first = ExtractedArticle(
        title="t",
        text=BODY,
        method="trafilatura",
        dates=(DateClaim("htmldate", at("2026-05-01")), DateClaim("json_ld", at("2026-05-02"))),
    )
    changed = replace(
        first, text=f"{BODY} Updated.", dates=(DateClaim("htmldate", at("2026-05-03")),)
    )
    with connection(db_path) as con:
        source_id = loader.ensure_source(con, "feed", "http://127.0.0.1/feed.xml")
        run_id = loader.start_run(con, "ingest_feeds", "http://127.0.0.1/feed.xml")
        loader.load_articles(con, source_id, run_id, [loader.ArticleInput("a", first)])
        loader.load_articles(con, source_id, run_id, [loader.ArticleInput("a", changed)])
        # and twice in one batch: the later version's claims win
        twice = [loader.ArticleInput("b", first), loader.ArticleInput("b", changed)]
        loader.load_articles(con, source_id, run_id, twice)
        rows = con.execute(
            "SELECT a.source_ref, d.source, CAST(d.value AS DATE) FROM article_dates d "
            "JOIN articles a USING (article_id) ORDER BY 1, 2"
        ).fetchall()
        published = con.execute(
            "SELECT source_ref, CAST(published_at AS DATE), published_source FROM articles "
            "ORDER BY 1"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        ("a", "first_seen"),
        ("a", "htmldate"),
        ("b", "first_seen"),
        ("b", "htmldate"),
    ]
    assert {r[2] for r in rows if r[1] == "htmldate"} == {date(2026, 5, 3)}
    assert published == [("a", date(2026, 5, 3), "htmldate"), ("b", date(2026, 5, 3), "htmldate")]


def test_a_feed_date_decades_before_the_feeds_other_items_is_set_aside(db_path: Path) -> None:
    from extractors.models import ExtractedArticle
    from warehouse import loader

    def item(ref: str, feed_day: str, page_day: str, feed_id: str) -> loader.ArticleInput:
        claims = (DateClaim("feed_published", at(feed_day)), DateClaim("htmldate", at(page_day)))
        article = ExtractedArticle(title=ref, text=f"{BODY} {ref}", method="t", dates=claims)
        return loader.ArticleInput(ref, article, feed_id=feed_id)

    with connection(db_path) as con:
        source_id = loader.ensure_source(con, "web", "web")
        run_id = loader.start_run(con, "ingest_feeds", "feeds.toml")
        inputs = [
            item("epoch", "1970-01-01", "2026-04-30", "news"),
            item("one", "2026-05-01", "2026-05-01", "news"),
            item("two", "2026-05-02", "2026-05-02", "news"),
            # another feed's old items do not make 1970 look normal for this one
            item("archive", "1975-06-01", "1975-06-01", "archive"),
        ]
        loader.load_articles(con, source_id, run_id, inputs)
        rows = dict(
            con.execute(
                "SELECT source_ref, strftime(published_at, '%Y-%m-%d') || ' ' || published_source "
                "FROM articles"
            ).fetchall()
        )
        distrusted = con.execute(
            "SELECT distrusted FROM article_dates WHERE distrusted IS NOT NULL"
        ).fetchall()
    assert rows == {
        "epoch": "2026-04-30 htmldate",
        "one": "2026-05-01 feed_published",
        "two": "2026-05-02 feed_published",
        "archive": "1975-06-01 feed_published",
    }
    assert distrusted == [("decades_before_feed",)]
