"""Seed folders: local article files for manual runs, with an optional ``manifest.csv``.

The manifest gives per-file metadata the file itself cannot carry (outlet, url, published
date, language). Only what is known goes in it; empty cells mean "unknown".
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
    published_at: date | None = None
    language: str | None = None


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
                published_date = date.fromisoformat(published[:10]) if published else None
            except ValueError as exc:
                raise SeedFolderError(
                    f"{path}:{line_no}: published_at {published!r} is not an ISO date"
                ) from exc
            entries[name] = SeedMetadata(
                outlet=_cell(row, "outlet"),
                url=_cell(row, "url"),
                published_at=published_date,
                language=_cell(row, "language"),
            )
    return entries


def discover_seed_files(path: Path) -> list[SeedFile]:
    """The seed files under ``path`` (a folder, searched recursively, or a single file)."""
    if not path.exists():
        raise SeedFolderError(f"seed path {path} does not exist")
    if path.is_file():
        return [SeedFile(path, read_manifest(path.parent).get(path.name, SeedMetadata()))]
    manifest = read_manifest(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SEED_SUFFIXES)
    return [SeedFile(p, manifest.get(p.name, SeedMetadata())) for p in files]
