"""Texts and builders for the alert tests: a wire story and unrelated news, written for
these tests (no publisher text), loaded through the real loader and dedupe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import duckdb

from alerts.engine import Channels
from config.settings import AlertSettings, Settings, SmtpSettings
from extractors.models import ExtractedArticle
from sources.urls import parse_allowed_hosts
from warehouse import watchlists
from warehouse.db import open_connection
from warehouse.dedupe import dedupe_articles
from warehouse.loader import ArticleInput, ensure_source, load_articles, start_run

WIRE_TITLE = "Acme Turbines recalls coastal wind blades after cracks found"
WIRE = """\
Acme Turbines said on Tuesday it would recall four hundred wind blades fitted along the
northern coast. Engineers found hairline cracks in the root section of several blades during
a routine winter inspection. The company said no blade had failed and that the recall was a
precaution agreed with the safety regulator. Replacement blades will be shipped from the
plant in Halvergate over the next eleven weeks. Shares in the manufacturer fell by six
percent in early trading before recovering most of the loss. A spokesperson for the
regulator said inspectors would visit every affected site before the spring storms. Local
councils asked the company to publish the full list of affected turbines and their
locations. The union representing maintenance crews welcomed the decision but asked for
extra staff during the work."""

OTHER = [
    (
        "Harbour festival returns with lantern parade",
        """The harbour festival returns this weekend with a lantern parade along the old quay.
Organisers expect twenty thousand visitors across the three days of music and food stalls.
Volunteers spent the autumn building paper lanterns shaped like fishing boats and gulls.
Road closures will be in place around the market square from Friday afternoon onwards.
The ferry company is adding late sailings so visitors from the islands can stay for the fireworks.
Local cafes said bookings were already higher than at any festival since the event began.""",
    ),
    (
        "Library extends opening hours for exam season",
        """The central library will open until ten in the evening during the exam season.
Students asked for longer hours after the reading rooms filled up every afternoon last spring.
The council found the money by moving two mobile library routes to a shared timetable.
Security staff and a part time librarian will cover the extra hours on weekdays.
A quiet study floor will be reserved for students with a booking made online.
Librarians said the extension would be reviewed at the end of the summer term.""",
    ),
]


def fresh(path: Path) -> duckdb.DuckDBPyConnection:
    return open_connection(path)


def watch(con: duckdb.DuckDBPyConnection, name: str = "acme", query: str = "acme") -> None:
    watchlists.add(con, name, [query])


def wire_copy(outlet: str, published: date | datetime | None = None) -> ExtractedArticle:
    slug = outlet.lower().replace(" ", "-")
    return ExtractedArticle(
        title=WIRE_TITLE,
        text=WIRE,
        method="test",
        outlet=outlet,
        published_at=published,
        url=f"https://{slug}.example/news/acme-recall",
    )


def load_run(
    con: duckdb.DuckDBPyConnection, items: Sequence[tuple[str, ExtractedArticle]]
) -> list[str]:
    """One ingestion run's load and dedupe (as the flows do); returns the article ids."""
    source_id = ensure_source(con, "test", "alert-tests")
    run_id = start_run(con, "test", "alert-tests")
    result = load_articles(con, source_id, run_id, [ArticleInput(r, a) for r, a in items])
    dedupe_articles(con, result.changed, Settings())
    return list(result.changed)


OUTLETS = [f"Outlet {name}" for name in "ABCDEFGHIJKL"]


def channels(
    smtp_port: int | None, retry_base: float = 60.0, timeout: float = 2.0, secret: str | None = None
) -> Channels:
    smtp = SmtpSettings(host="127.0.0.1", port=smtp_port) if smtp_port else SmtpSettings()
    return Channels(
        smtp,
        AlertSettings(
            retry_base_seconds=retry_base, webhook_timeout_seconds=timeout, webhook_secret=secret
        ),
        parse_allowed_hosts("127.0.0.1"),
    )


SECOND_TITLE = "Choir concert fills cathedral for the winter appeal"
SECOND = """\
The county youth choir filled the cathedral on Saturday evening for its winter appeal concert.
Singers aged nine to eighteen performed carols and a new piece written by their director.
The evening raised money for the night shelter, which needs a new kitchen before January.
Tickets sold out within a day, so the choir will repeat the programme next Friday night.
The concert programme thanked Acme for printing the posters and lending the staging.
Parents ran the interval cafe and served mulled apple juice to more than five hundred guests."""


def synthetic_mention(number: int, published: datetime) -> ExtractedArticle:
    """A short distinct article mentioning Acme (its own story), for volume tests."""
    topics = ["port", "school", "council", "grid", "harbour", "market", "rail", "storm"]
    topic = topics[number % len(topics)]
    text = (
        f"Report {number} on the {topic}: Acme Turbines was named in item {number} today. "
        f"The note numbered {number * 7} covers the {topic} and nothing else of interest. "
        f"Readers of bulletin {number * 13} were told the {topic} would be reviewed."
    )
    return ExtractedArticle(
        title=f"Acme item {number}",
        text=text,
        method="test",
        outlet=f"Outlet {number % 5}",
        published_at=published,
        url=f"https://outlet-{number % 5}.example/item/{number}",
    )
