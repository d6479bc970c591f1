"""Outlets and their aliases: one outlet for "Reuters", "reuters.com" and "Reuters UK".

An outlet is identified by the slug of its name (``loader.slug``). ``outlet_aliases``
maps other names' slugs to a canonical outlet. Articles keep the outlet their source named
(``articles.given_outlet_id``) and carry the canonical one in ``outlet_id``, so every
view, report and summary sees the canonical name without knowing about aliases; adding or
removing an alias re-points the articles it concerns (their ``updated_at`` moves, so the
coverage summaries refresh them). The same holds for ``wire_outlet_id``, the canonical
outlet of the agency an article credits.

An outlet may carry a ``weight`` (circulation, reach or tier) for share of voice.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.loader import ensure_outlet, slug


class OutletError(Exception):
    """A user's mistake with outlets (unknown name, alias of itself, bad weights file)."""


@dataclass(frozen=True)
class OutletRow:
    outlet_id: str
    name: str
    domain: str | None
    weight: float | None
    aliases: list[str]
    articles: int


def _now() -> datetime:
    return datetime.now(UTC)


def canonical_id(con: duckdb.DuckDBPyConnection, outlet_id: str | None) -> str | None:
    """The canonical outlet of ``outlet_id`` (itself when it is no alias)."""
    if outlet_id is None:
        return None
    row = con.execute(
        "SELECT outlet_id FROM outlet_aliases WHERE alias_id = ?", [outlet_id]
    ).fetchone()
    return row[0] if row else outlet_id


def _existing_outlet(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The canonical id of the outlet called ``name`` (by slug or alias), if known."""
    outlet_id = slug(name)
    known = con.execute("SELECT count(*) FROM outlets WHERE outlet_id = ?", [outlet_id]).fetchone()[
        0
    ]
    aliased = canonical_id(con, outlet_id)
    if aliased != outlet_id or known:
        return aliased
    return None


def list_outlets(con: duckdb.DuckDBPyConnection) -> list[OutletRow]:
    """Every canonical outlet with its aliases, weight and article count, by name."""
    rows = con.execute(
        """SELECT o.outlet_id, o.name, o.domain, o.weight,
                  coalesce((SELECT list(x.alias ORDER BY x.alias) FROM outlet_aliases x
                            WHERE x.outlet_id = o.outlet_id), []),
                  (SELECT count(*) FROM articles a WHERE a.outlet_id = o.outlet_id)
           FROM outlets o
           WHERE o.outlet_id NOT IN (SELECT alias_id FROM outlet_aliases)
           ORDER BY lower(o.name), o.outlet_id"""
    ).fetchall()
    return [OutletRow(r[0], r[1], r[2], r[3], list(r[4]), r[5]) for r in rows]


def add_aliases(con: duckdb.DuckDBPyConnection, name: str, aliases: Iterable[str]) -> str:
    """Make each of ``aliases`` another name of the outlet ``name`` (created if new); an
    alias that was itself canonical brings its own aliases along. Returns the outlet id."""
    target = _existing_outlet(con, name) or ensure_outlet(con, name)
    if target is None:
        raise OutletError("an outlet name cannot be empty")
    for alias in aliases:
        alias = alias.strip()
        alias_id = slug(alias) if alias else ""
        if not alias_id:
            raise OutletError("an alias cannot be empty")
        if alias_id == target:
            raise OutletError(f"{alias!r} is the outlet's own name, not an alias")
        con.execute("DELETE FROM outlet_aliases WHERE alias_id = ?", [alias_id])
        con.execute(
            "INSERT INTO outlet_aliases VALUES (?, ?, ?, ?)", [alias_id, alias, target, _now()]
        )
        con.execute(  # the alias's own aliases now name the target too
            "UPDATE outlet_aliases SET outlet_id = ? WHERE outlet_id = ?", [target, alias_id]
        )
    repoint_articles(con)
    return target


def remove_alias(con: duckdb.DuckDBPyConnection, alias: str) -> str:
    """Make ``alias`` an outlet of its own again; returns the outlet it was an alias of."""
    alias_id = slug(alias)
    row = con.execute(
        "SELECT outlet_id FROM outlet_aliases WHERE alias_id = ?", [alias_id]
    ).fetchone()
    if row is None:
        raise OutletError(f"{alias!r} is not an alias (see `presswatch outlets list`)")
    con.execute("DELETE FROM outlet_aliases WHERE alias_id = ?", [alias_id])
    ensure_outlet(con, alias)
    repoint_articles(con)
    return row[0]


def set_weight(con: duckdb.DuckDBPyConnection, name: str, weight: float | None) -> str:
    """Set (or clear, with None) the share-of-voice weight of the outlet ``name``."""
    if weight is not None and not weight >= 0:
        raise OutletError(f"a weight must be a number >= 0, not {weight}")
    outlet_id = _existing_outlet(con, name)
    if outlet_id is None:
        raise OutletError(f"no outlet named {name!r} (see `presswatch outlets list`)")
    con.execute("UPDATE outlets SET weight = ? WHERE outlet_id = ?", [weight, outlet_id])
    return outlet_id


def import_weights(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Set weights from a CSV file with columns ``outlet`` and ``weight`` (an empty weight
    clears it); unknown outlets are created. All rows or none. Returns the rows applied."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise OutletError(f"cannot read {path}: {exc.strerror or exc}") from exc
    parsed: list[tuple[str, float | None]] = []
    for line_no, row in enumerate(rows, start=2):
        name = (row.get("outlet") or "").strip()
        text = (row.get("weight") or "").strip()
        if not name:
            raise OutletError(f"{path}:{line_no}: the 'outlet' column is empty")
        try:
            weight = float(text) if text else None
        except ValueError as exc:
            raise OutletError(f"{path}:{line_no}: weight {text!r} is not a number") from exc
        if weight is not None and not weight >= 0:
            raise OutletError(f"{path}:{line_no}: weight {text!r} must be >= 0")
        parsed.append((name, weight))
    for name, weight in parsed:
        if _existing_outlet(con, name) is None:
            ensure_outlet(con, name)
        set_weight(con, name, weight)
    return len(parsed)


def repoint_articles(con: duckdb.DuckDBPyConnection) -> int:
    """Give every article the canonical outlet of its given outlet and of its wire credit
    (after aliases changed); returns how many articles changed."""
    now = _now()
    changed = con.execute(
        """UPDATE articles SET outlet_id = coalesce(x.outlet_id, articles.given_outlet_id),
               updated_at = ?
           FROM (SELECT a.article_id, al.outlet_id FROM articles a
                 LEFT JOIN outlet_aliases al ON al.alias_id = a.given_outlet_id
                 WHERE a.outlet_id IS DISTINCT FROM coalesce(al.outlet_id, a.given_outlet_id)
                ) x
           WHERE articles.article_id = x.article_id""",
        [now],
    ).fetchone()[0]
    credits = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT wire_credit FROM articles WHERE wire_credit IS NOT NULL"
        ).fetchall()
    ]
    for credit in credits:
        wire_id = canonical_id(con, slug(credit))
        changed += con.execute(
            "UPDATE articles SET wire_outlet_id = ?, updated_at = ? "
            "WHERE wire_credit = ? AND wire_outlet_id IS DISTINCT FROM ?",
            [wire_id, now, credit, wire_id],
        ).fetchone()[0]
    return changed
