"""Seed folders: local article files for manual runs, with an optional ``manifest.csv``.

The manifest gives per-file metadata the file itself cannot carry (outlet, url, published
date, language). Only what is known goes in it; empty cells mean "unknown". A published
date may be as precise as is known: ``2009-03-12`` (a day), ``2009-03-08/2009-03-11``
(between two days, an ISO 8601 interval), ``2009-03`` (a month) or ``2009`` (a year);
extra columns (e.g. ``notes``, the evidence for a date) are ignored.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

SEED_SUFFIXES = (".txt", ".html", ".htm")
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "outlet", "url", "published_at", "language")


class SeedFolderError(Exception):
    """The seed path cannot be read (missing, not a folder, bad manifest)."""


@dataclass(frozen=True)
class SeedMetadata:
    outlet: str | None = None
    url: str | None = None
    published_at: date | None = None  # a range's last day, a month's or year's first
    language: str | None = None
    published_precision: str = "day"  # "day", "range", "month" or "year"
    published_from: date | None = None  # a range's first day


@dataclass(frozen=True)
class SeedFile:
    path: Path
    metadata: SeedMetadata

    @property
    def name(self) -> str:
        return self.path.name


def _cell(row: dict[str, str], column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return value or None


def read_manifest(folder: Path) -> dict[str, SeedMetadata]:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    entries: dict[str, SeedMetadata] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):
            name = _cell(row, "file")
            if not name:
                raise SeedFolderError(f"{path}:{line_no}: the 'file' column is empty")
            published = _cell(row, "published_at")
            try:
                published_date, precision, earliest = (
                    _partial_date(published) if published else (None, "day", None)
                )
            except ValueError as exc:
                raise SeedFolderError(
                    f"{path}:{line_no}: published_at {published!r} is not a date "
                    "(write YYYY-MM-DD, YYYY-MM-DD/YYYY-MM-DD, YYYY-MM or YYYY)"
                ) from exc
            entries[name] = SeedMetadata(
                outlet=_cell(row, "outlet"),
                url=_cell(row, "url"),
                published_at=published_date,
                language=_cell(row, "language"),
                published_precision=precision,
                published_from=earliest,
            )
    return entries


def _partial_date(text: str) -> tuple[date, str, date | None]:
    """(date, precision, range start): ``2009-03-12`` -> that day; ``2009-03-08/2009-03-11``
    -> the 11th, from the 8th; ``2009-03`` -> 1 March; ``2009`` -> 1 January. Raises
    ValueError for anything else."""
    text = text.strip()
    if "/" in text:
        first, last = (date.fromisoformat(part.strip()) for part in text.split("/", 1))
        if first > last:
            raise ValueError(text)
        return last, "range", first
    parts = text.split("-")
    if len(parts) == 3:
        return date.fromisoformat(text[:10]), "day", None
    if len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        return date(int(parts[0]), int(parts[1]), 1), "month", None
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) == 4:
        return date(int(parts[0]), 1, 1), "year", None
    raise ValueError(text)


def discover_seed_files(path: Path) -> list[SeedFile]:
    """The seed files under ``path`` (a folder, searched recursively, or a single file)."""
    if not path.exists():
        raise SeedFolderError(f"seed path {path} does not exist")
    if path.is_file():
        return [SeedFile(path, read_manifest(path.parent).get(path.name, SeedMetadata()))]
    manifest = read_manifest(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SEED_SUFFIXES)
    return [SeedFile(p, manifest.get(p.name, SeedMetadata())) for p in files]
