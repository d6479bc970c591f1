"""Alert state in the warehouse: subscriptions, the alerts decided, their deliveries.

The protocol that keeps alerts exactly-once-or-at-most-one-duplicate (``alerts.engine``):

1. *Decide*: one transaction inserts the alert (its rendered message), the articles it
   covers and one ``pending`` delivery per recipient. Nothing is sent yet, so a crash
   here loses nothing and sends nothing; the next run decides the same alert again
   (same ``alert_id``, and a second insert of it is skipped).
2. *Send* each due delivery, then *record* its result in its own transaction. A crash
   between the send and the record is the one window in which a message can go out twice:
   the next run finds the delivery still pending and sends it again.

Every write here is plain INSERT/UPDATE/DELETE (no ON CONFLICT), so the same SQL runs on a
DuckDB file and on a DuckLake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from warehouse.db import transaction


@dataclass(frozen=True)
class Subscription:
    name: str
    watchlist: str
    emails: tuple[str, ...]
    webhooks: tuple[str, ...]
    mode: str  # 'instant' or 'digest'
    digest_at: str | None  # 'HH:MM' local time, None: no digest
    timezone: str
    min_articles: int
    quiet: str | None  # 'HH:MM-HH:MM' local time, None: never quiet
    created_at: datetime
    digest_through: datetime | None = None

    @property
    def targets(self) -> list[tuple[str, str]]:
        """(channel, target) for every recipient."""
        return [("email", e) for e in self.emails] + [("webhook", w) for w in self.webhooks]

    def as_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "watchlist": self.watchlist,
            "emails": list(self.emails),
            "webhooks": list(self.webhooks),
            "mode": self.mode,
            "digest_at": self.digest_at,
            "timezone": self.timezone,
            "min_articles": self.min_articles,
            "quiet": self.quiet,
            "created_at": self.created_at,
            "digest_through": self.digest_through,
        }


_SUBSCRIPTION_COLUMNS = (
    "name, watchlist, emails, webhooks, mode, digest_at, timezone, min_articles, "
    "quiet_start, quiet_end, created_at, digest_through"
)


def _subscription(row: tuple[Any, ...]) -> Subscription:
    name, watchlist, emails, webhooks, mode, digest_at, tz, minimum, q_start, q_end = row[:10]
    return Subscription(
        name=name,
        watchlist=watchlist,
        emails=tuple(emails or ()),
        webhooks=tuple(webhooks or ()),
        mode=mode,
        digest_at=digest_at,
        timezone=tz,
        min_articles=minimum,
        quiet=f"{q_start}-{q_end}" if q_start else None,
        created_at=row[10],
        digest_through=row[11],
    )


def subscriptions(con: duckdb.DuckDBPyConnection) -> list[Subscription]:
    rows = con.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM alert_subscriptions ORDER BY name"
    ).fetchall()
    return [_subscription(r) for r in rows]


def subscription(con: duckdb.DuckDBPyConnection, name: str) -> Subscription | None:
    row = con.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM alert_subscriptions WHERE name = ?", [name]
    ).fetchone()
    return _subscription(row) if row else None


def insert_subscription(con: duckdb.DuckDBPyConnection, sub: Subscription) -> None:
    q_start, _, q_end = (sub.quiet or "").partition("-")
    with transaction(con):
        con.execute(
            f"INSERT INTO alert_subscriptions ({_SUBSCRIPTION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                sub.name,
                sub.watchlist,
                list(sub.emails),
                list(sub.webhooks),
                sub.mode,
                sub.digest_at,
                sub.timezone,
                sub.min_articles,
                q_start or None,
                q_end or None,
                sub.created_at,
                sub.digest_through,
            ],
        )


def delete_subscription(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Remove a subscription and its undelivered messages (what was sent stays in the
    log); returns the number of pending deliveries dropped."""
    with transaction(con):
        dropped = con.execute(
            """SELECT count(*) FROM alert_deliveries d JOIN alerts a USING (alert_id)
               WHERE a.subscription = ? AND d.status IN ('pending', 'retrying')""",
            [name],
        ).fetchone()[0]
        con.execute(
            """DELETE FROM alert_deliveries WHERE status IN ('pending', 'retrying')
               AND alert_id IN (SELECT alert_id FROM alerts WHERE subscription = ?)""",
            [name],
        )
        con.execute("DELETE FROM alert_subscriptions WHERE name = ?", [name])
    return int(dropped)


def watchlist_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM watchlists WHERE name = ?", [name]).fetchone()[0])


# --- what to alert about -----------------------------------------------------------------


@dataclass(frozen=True)
class StoryNews:
    """A story as an alert shows it: the state when the alert was decided."""

    story_id: str
    label: str
    articles: int
    outlets: int
    original_title: str | None
    original_outlet: str | None
    original_url: str | None
    snippet: str | None
    member_ids: tuple[str, ...]


_STORY_FACTS = """
members AS (
    SELECT sm.story_id, a.article_id, coalesce(a.published_at, a.first_seen_at) AS seen_at,
           d.article_id IS NOT NULL AS is_copy, a.outlet_id, o.name AS outlet,
           coalesce(a.url, a.canonical_url) AS url, a.title
    FROM story_members sm
    JOIN articles a ON a.article_id = sm.article_id
    LEFT JOIN duplicate_links d ON d.article_id = a.article_id
    LEFT JOIN outlets o ON o.outlet_id = a.outlet_id
    WHERE sm.story_id IN (SELECT story_id FROM chosen)
),
facts AS (
    SELECT story_id, count(*) AS articles, count(DISTINCT outlet_id) AS outlets,
           list(article_id ORDER BY seen_at, article_id) AS member_ids,
           coalesce(arg_min(article_id, seen_at) FILTER (WHERE NOT is_copy),
                    arg_min(article_id, seen_at)) AS original_id
    FROM members GROUP BY story_id
)
SELECT f.story_id, s.label, f.articles, f.outlets, m.title, m.outlet, m.url, c.snippet,
       f.member_ids
FROM facts f
JOIN stories s ON s.story_id = f.story_id
JOIN members m ON m.article_id = f.original_id
JOIN chosen c ON c.story_id = f.story_id
"""


_ALERTED_STORIES = """alerted AS (
    SELECT DISTINCT sm.story_id
    FROM alerts al
    JOIN alert_articles aa ON aa.alert_id = al.alert_id
    JOIN story_members sm ON sm.article_id = aa.article_id
    WHERE al.subscription = $name AND al.kind = 'instant' AND al.created_at >= $since
)"""
"""SQL (a CTE): the stories a member of which one of subscription ``$name``'s instant
alerts since ``$since`` covered."""


def new_stories(
    con: duckdb.DuckDBPyConnection, sub: Subscription, published_since: datetime
) -> list[StoryNews]:
    """Stories with an article matching ``sub``'s watchlist, first seen since the
    subscription began and published (else first seen) since ``published_since``, that
    have not alerted ``sub`` yet (no member was covered by one of its instant alerts) and
    have at least ``min_articles`` articles. Oldest first."""
    rows = con.execute(
        f"""WITH matched AS (
                SELECT sm.story_id, m.article_id, m.snippet,
                       coalesce(a.published_at, a.first_seen_at) AS seen_at
                FROM watch_matches m
                JOIN articles a ON a.article_id = m.article_id
                JOIN story_members sm ON sm.article_id = m.article_id
                WHERE m.watchlist = $watchlist AND a.first_seen_at >= $since
                  AND coalesce(a.published_at, a.first_seen_at) >= $published_since
            ),
            {_ALERTED_STORIES},
            chosen AS (
                SELECT story_id, arg_min(snippet, seen_at) AS snippet, min(seen_at) AS first_at
                FROM matched WHERE story_id NOT IN (SELECT story_id FROM alerted)
                GROUP BY story_id
            ),
            {_STORY_FACTS}
            WHERE f.articles >= $minimum
            ORDER BY c.first_at, f.story_id""",
        {
            "watchlist": sub.watchlist,
            "since": sub.created_at,
            "name": sub.name,
            "minimum": sub.min_articles,
            "published_since": published_since,
        },
    ).fetchall()
    return [StoryNews(*row[:8], tuple(row[8])) for row in rows]


def story_news(con: duckdb.DuckDBPyConnection, story_id: str) -> StoryNews | None:
    row = con.execute(
        f"WITH chosen AS (SELECT ? AS story_id, NULL::VARCHAR AS snippet), {_STORY_FACTS}",
        [story_id],
    ).fetchone()
    return StoryNews(*row[:8], tuple(row[8])) if row else None


# --- recording decisions -----------------------------------------------------------------


@dataclass(frozen=True)
class NewAlert:
    """A message decided for one subscription, rendered, before any delivery."""

    alert_id: str
    subscription: str
    kind: str  # 'instant', 'digest', 'spike', 'test'
    subject: str
    text_body: str
    html_body: str | None
    payload: str  # JSON
    topic: str | None = None
    story_id: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """An alert to record with the articles it covers and its recipients."""

    alert: NewAlert
    article_ids: Sequence[str]
    targets: Sequence[tuple[str, str]]
    digest_through: datetime | None = None  # digests: the end of the period covered


def record_alerts(
    con: duckdb.DuckDBPyConnection, decisions: Sequence[Decision], now: datetime
) -> list[str]:
    """Insert each alert, its articles and a pending delivery per target, all in one
    transaction (one commit for a pass, however many stories it alerts); for a digest
    also move the subscription's ``digest_through``. An alert already recorded is
    skipped. Returns the ids recorded."""
    recorded: list[str] = []
    if not decisions:
        return recorded
    with transaction(con):
        for decision in decisions:
            if _record(con, decision, now):
                recorded.append(decision.alert.alert_id)
    return recorded


def record_alert(
    con: duckdb.DuckDBPyConnection,
    alert: NewAlert,
    article_ids: Sequence[str],
    targets: Sequence[tuple[str, str]],
    now: datetime,
    digest_through: datetime | None = None,
) -> bool:
    """``record_alerts`` for one alert; False when it was already recorded."""
    decision = Decision(alert, article_ids, targets, digest_through)
    return bool(record_alerts(con, [decision], now))


def _record(con: duckdb.DuckDBPyConnection, decision: Decision, now: datetime) -> bool:
    alert = decision.alert
    known = con.execute(
        "SELECT count(*) FROM alerts WHERE alert_id = ?", [alert.alert_id]
    ).fetchone()[0]
    if known:
        return False
    con.execute(
        "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            alert.alert_id,
            alert.subscription,
            alert.kind,
            alert.topic,
            alert.story_id,
            alert.subject,
            alert.text_body,
            alert.html_body,
            alert.payload,
            now,
            alert.period_start,
            alert.period_end,
        ],
    )
    if decision.article_ids:
        con.execute(
            "INSERT INTO alert_articles SELECT ?, unnest(?)",
            [alert.alert_id, list(decision.article_ids)],
        )
    for channel, target in dict.fromkeys(decision.targets):
        con.execute(
            "INSERT INTO alert_deliveries (alert_id, channel, target, status, attempts, "
            "due_at) VALUES (?, ?, ?, 'pending', 0, ?)",
            [alert.alert_id, channel, target, now],
        )
    if decision.digest_through is not None:
        con.execute(
            "UPDATE alert_subscriptions SET digest_through = ? WHERE name = ?",
            [decision.digest_through, alert.subscription],
        )
    return True


def advance_digest(con: duckdb.DuckDBPyConnection, name: str, through: datetime) -> None:
    """Move a subscription's digest period on without a message (nothing matched)."""
    with transaction(con):
        con.execute(
            "UPDATE alert_subscriptions SET digest_through = ? WHERE name = ?", [through, name]
        )


def recent_alert(
    con: duckdb.DuckDBPyConnection, subscription: str, kind: str, topic: str, since: datetime
) -> bool:
    return bool(
        con.execute(
            """SELECT count(*) FROM alerts WHERE subscription = ? AND kind = ? AND topic = ?
               AND created_at >= ?""",
            [subscription, kind, topic, since],
        ).fetchone()[0]
    )


# --- delivering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient, due to be attempted."""

    alert_id: str
    channel: str
    target: str
    attempts: int
    kind: str
    subscription: str
    subject: str
    text_body: str
    html_body: str | None
    payload: str


def due_deliveries(
    con: duckdb.DuckDBPyConnection, now: datetime, alert_ids: Sequence[str] | None = None
) -> list[Delivery]:
    """Pending and retrying deliveries whose time has come, oldest alert first."""
    sql = """SELECT d.alert_id, d.channel, d.target, d.attempts, a.kind, a.subscription,
                    a.subject, a.text_body, a.html_body, a.payload
             FROM alert_deliveries d JOIN alerts a ON a.alert_id = d.alert_id
             WHERE d.status IN ('pending', 'retrying') AND d.due_at <= ?"""
    params: list[Any] = [now]
    if alert_ids is not None:
        sql += " AND d.alert_id IN (SELECT unnest(?))"
        params.append(list(alert_ids))
    rows = con.execute(sql + " ORDER BY a.created_at, d.alert_id, d.channel, d.target", params)
    return [Delivery(*row) for row in rows.fetchall()]


def _key(d: Delivery) -> list[str]:
    return [d.alert_id, d.channel, d.target]


def postpone(con: duckdb.DuckDBPyConnection, delivery: Delivery, until: datetime) -> None:
    """Hold a delivery back without counting an attempt (quiet hours)."""
    with transaction(con):
        con.execute(
            "UPDATE alert_deliveries SET due_at = ? "
            "WHERE alert_id = ? AND channel = ? AND target = ?",
            [until, *_key(delivery)],
        )


def record_sent(con: duckdb.DuckDBPyConnection, delivery: Delivery, now: datetime) -> None:
    with transaction(con):
        con.execute(
            """UPDATE alert_deliveries SET status = 'sent', attempts = attempts + 1,
                      last_attempt_at = ?, sent_at = ?, last_error = NULL
               WHERE alert_id = ? AND channel = ? AND target = ?""",
            [now, now, *_key(delivery)],
        )


def record_failure(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    now: datetime,
    error: str,
    retry_after: timedelta | None,
) -> None:
    """A failed attempt: retried at ``now + retry_after``, or failed for good when None."""
    status = "retrying" if retry_after is not None else "failed"
    due = now + retry_after if retry_after is not None else now
    with transaction(con):
        con.execute(
            """UPDATE alert_deliveries SET status = ?, attempts = attempts + 1,
                      last_attempt_at = ?, due_at = ?, last_error = ?
               WHERE alert_id = ? AND channel = ? AND target = ?""",
            [status, now, due, error[:1000], *_key(delivery)],
        )


def delivery_log(
    con: duckdb.DuckDBPyConnection, subscription: str | None = None, limit: int | None = 100
) -> list[dict[str, Any]]:
    """The latest deliveries, newest first: what was sent, what waits, what failed."""
    sql = """SELECT a.created_at, a.subscription, a.kind, a.subject, d.channel, d.target,
                    d.status, d.attempts, d.sent_at, d.due_at AS next_attempt_at,
                    d.last_error, a.alert_id
             FROM alert_deliveries d JOIN alerts a ON a.alert_id = d.alert_id"""
    params: list[Any] = []
    if subscription is not None:
        sql += " WHERE a.subscription = ?"
        params.append(subscription)
    sql += " ORDER BY a.created_at DESC, d.channel, d.target"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    cursor = con.execute(sql, params)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# --- digests and spikes ------------------------------------------------------------------


@dataclass(frozen=True)
class DigestArticle:
    article_id: str
    title: str | None
    outlet: str | None
    url: str | None
    at: datetime
    is_copy: bool
    snippet: str | None


@dataclass(frozen=True)
class DigestStory:
    story_id: str | None
    label: str
    articles_total: int  # all articles of the story so far
    outlets_total: int
    alerted: bool  # an instant alert of this subscription covered it
    new_articles: tuple[DigestArticle, ...]  # matching, first seen in the period


def digest_stories(
    con: duckdb.DuckDBPyConnection, sub: Subscription, start: datetime, end: datetime
) -> list[DigestStory]:
    """Stories with articles matching ``sub``'s watchlist first seen in [start, end), the
    busiest first; every matching article of the period is listed."""
    rows = con.execute(
        f"""WITH period AS (
               SELECT DISTINCT m.article_id, sm.story_id
               FROM watch_matches m
               JOIN articles a ON a.article_id = m.article_id
               LEFT JOIN story_members sm ON sm.article_id = m.article_id
               WHERE m.watchlist = $watchlist AND a.first_seen_at >= $start
                 AND a.first_seen_at < $end
           ),
           totals AS (
               SELECT sm.story_id, count(*) AS articles, count(DISTINCT a.outlet_id) AS outlets
               FROM story_members sm JOIN articles a ON a.article_id = sm.article_id
               WHERE sm.story_id IN (SELECT story_id FROM period)
               GROUP BY sm.story_id
           ),
           {_ALERTED_STORIES}
           SELECT p.story_id, coalesce(s.label, a.title, '(untitled)'),
                  coalesce(t.articles, 1), coalesce(t.outlets, 1),
                  p.story_id IN (SELECT story_id FROM alerted),
                  a.article_id, a.title, o.name, coalesce(a.url, a.canonical_url),
                  coalesce(a.published_at, a.first_seen_at), d.article_id IS NOT NULL,
                  (SELECT first(w.snippet) FROM watch_matches w
                   WHERE w.article_id = a.article_id AND w.watchlist = $watchlist)
           FROM period p
           JOIN articles a ON a.article_id = p.article_id
           LEFT JOIN stories s ON s.story_id = p.story_id
           LEFT JOIN totals t ON t.story_id = p.story_id
           LEFT JOIN outlets o ON o.outlet_id = a.outlet_id
           LEFT JOIN duplicate_links d ON d.article_id = a.article_id
           ORDER BY coalesce(a.published_at, a.first_seen_at), a.article_id""",
        {
            "watchlist": sub.watchlist,
            "start": start,
            "end": end,
            "name": sub.name,
            "since": sub.created_at,
        },
    ).fetchall()
    grouped: dict[str, tuple[tuple[Any, ...], list[DigestArticle]]] = {}
    for row in rows:
        key = row[0] or f"article:{row[5]}"
        _head, articles = grouped.setdefault(key, (row[:5], []))
        articles.append(DigestArticle(*row[5:]))
    stories = [
        DigestStory(head[0], head[1], head[2], head[3], bool(head[4]), tuple(articles))
        for head, articles in grouped.values()
    ]
    return sorted(stories, key=lambda s: (-len(s.new_articles), -s.articles_total, s.label))


def watchlist_volume(
    con: duckdb.DuckDBPyConnection, watchlist: str, now: datetime, window_hours: int, windows: int
) -> list[int]:
    """Matching articles per ``window_hours`` window, newest first: index 0 is the window
    ending at ``now``, then ``windows`` earlier ones (by published, else first-seen time)."""
    rows = con.execute(
        """WITH dated AS (
               SELECT DISTINCT m.article_id, coalesce(a.published_at, a.first_seen_at) AS seen_at
               FROM watch_matches m JOIN articles a ON a.article_id = m.article_id
               WHERE m.watchlist = $watchlist
           )
           SELECT CAST(floor((epoch($now) - epoch(seen_at)) / ($hours * 3600)) AS INTEGER) AS w,
                  count(*)
           FROM dated WHERE seen_at <= $now AND seen_at > $now - to_hours($hours * ($windows + 1))
           GROUP BY w""",
        {"watchlist": watchlist, "now": now, "hours": window_hours, "windows": windows},
    ).fetchall()
    return _series(rows, windows)


def story_volumes(
    con: duckdb.DuckDBPyConnection, watchlist: str, now: datetime, window_hours: int, windows: int
) -> dict[str, list[int]]:
    """For each story with an article matching ``watchlist`` in the latest window: all its
    articles per window, newest first (as ``watchlist_volume``)."""
    rows = con.execute(
        """WITH recent AS (
               SELECT DISTINCT sm.story_id
               FROM watch_matches m
               JOIN articles a ON a.article_id = m.article_id
               JOIN story_members sm ON sm.article_id = m.article_id
               WHERE m.watchlist = $watchlist
                 AND coalesce(a.published_at, a.first_seen_at) > $now - to_hours($hours)
           ),
           dated AS (
               SELECT sm.story_id, coalesce(a.published_at, a.first_seen_at) AS seen_at
               FROM story_members sm JOIN articles a ON a.article_id = sm.article_id
               WHERE sm.story_id IN (SELECT story_id FROM recent)
           )
           SELECT story_id,
                  CAST(floor((epoch($now) - epoch(seen_at)) / ($hours * 3600)) AS INTEGER) AS w,
                  count(*)
           FROM dated WHERE seen_at <= $now AND seen_at > $now - to_hours($hours * ($windows + 1))
           GROUP BY ALL""",
        {"watchlist": watchlist, "now": now, "hours": window_hours, "windows": windows},
    ).fetchall()
    by_story: dict[str, list[tuple[int, int]]] = {}
    for story_id, window, count in rows:
        by_story.setdefault(story_id, []).append((window, count))
    return {story: _series(counts, windows) for story, counts in by_story.items()}


def _series(rows: Sequence[tuple[int, int]], windows: int) -> list[int]:
    series = [0] * (windows + 1)
    for window, count in rows:
        if 0 <= window <= windows:
            series[window] += count
    return series


def alerted_story_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Stories (current ids) any of whose articles was covered by a sent instant or spike
    alert: what the HTML report marks. Empty on a readers' copy taken before the warehouse
    had alert tables."""
    try:
        rows = _alerted_rows(con)
    except duckdb.CatalogException:
        return set()
    return {r[0] for r in rows}


def _alerted_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        """SELECT DISTINCT sm.story_id
           FROM alerts al
           JOIN alert_articles aa ON aa.alert_id = al.alert_id
           JOIN story_members sm ON sm.article_id = aa.article_id
           WHERE al.kind IN ('instant', 'spike') AND EXISTS (
               SELECT 1 FROM alert_deliveries d
               WHERE d.alert_id = al.alert_id AND d.status = 'sent')"""
    ).fetchall()
