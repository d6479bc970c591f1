"""Seed folders: local article files for manual runs, with an optional ``manifest.csv``.

The manifest gives per-file metadata the file itself cannot carry (outlet, url, published
date, language). Only what is known goes in it; empty cells mean "unknown". Its ``file``
column names a file by its path relative to the seed folder (``a/same.txt``) or, for files
whose name is unique in the folder, by the bare name.

A published date may be as precise as is known: ``2009-03-12`` (a day),
``2009-03-08/2009-03-11`` (between two days, an ISO 8601 interval), ``2009-03`` (a month)
or ``2009`` (a year); extra columns (e.g. ``notes``, the evidence for a date) are ignored.

A seed's identity (``SeedFile.ref``) is its path relative to the seed folder, with ``/``
between parts, so ``a/same.txt`` and ``b/same.txt`` are two articles. Files at the top of
the folder keep the identity they always had (the bare name). ``stable_refs`` keeps the
identity of a file in a subfolder that a warehouse already holds under its bare name.

Hostile folders lose nothing that can be loaded and read nothing they should not: a file
name that is not UTF-8, a symbolic link (not followed unless asked; never out of the
folder), a special file (fifo, device, socket) and a bad manifest are each recorded as a
``SkippedSeed`` with its reason, and every other file still loads.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

SEED_SUFFIXES = (".txt", ".html", ".htm")
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "outlet", "url", "published_at", "language")

# Reasons a seed path is skipped (``SkippedSeed.reason``).
BAD_FILE_NAME = "bad_file_name"
BAD_MANIFEST = "bad_manifest"
SYMLINK = "symlink"
OUTSIDE_ROOT = "outside_root"
SPECIAL_FILE = "special_file"


class SeedFolderError(Exception):
    """The seed path cannot be read at all (missing, or neither a folder nor a file)."""


class SeedReadError(Exception):
    """One seed file could not be read; ``reason`` is a short code for the error log."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


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
    ref: str = ""  # path relative to the seed folder, "/"-separated; the bare name if empty

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def identity(self) -> str:
        return self.ref or self.name


@dataclass(frozen=True)
class SkippedSeed:
    """A path in the seed folder that was not loaded, and why (for the error log)."""

    ref: str  # printable: bytes that are not UTF-8 appear as \\xNN escapes
    reason: str
    detail: str


@dataclass(frozen=True)
class SeedScan:
    files: list[SeedFile]
    skipped: list[SkippedSeed] = field(default_factory=list)


# --- manifest ------------------------------------------------------------------------------


def _cell(row: dict[str, str], column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return value or None


def read_manifest(folder: Path) -> tuple[dict[str, SeedMetadata], list[SkippedSeed]]:
    """The manifest's entries by ``file``, and its problems: a manifest that is not UTF-8
    is skipped whole; a bad row is skipped on its own."""
    path = folder / MANIFEST_NAME
    if not path.is_file() or path.is_symlink():
        return {}, []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        detail = (
            f"not UTF-8 (byte 0x{error.object[error.start]:02x} on line {line}); the files "
            "were loaded without it: save it as UTF-8"
        )
        return {}, [SkippedSeed(MANIFEST_NAME, BAD_MANIFEST, detail)]
    except OSError as error:
        return {}, [SkippedSeed(MANIFEST_NAME, BAD_MANIFEST, f"unreadable: {error.strerror}")]
    entries: dict[str, SeedMetadata] = {}
    problems: list[SkippedSeed] = []
    for line_no, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
        try:
            name, metadata = _manifest_row(row)
        except ValueError as error:
            problems.append(SkippedSeed(f"{MANIFEST_NAME}:{line_no}", BAD_MANIFEST, str(error)))
            continue
        entries[name] = metadata
    return entries, problems


def _manifest_row(row: dict[str, str]) -> tuple[str, SeedMetadata]:
    name = _cell(row, "file")
    if not name:
        raise ValueError("the 'file' column is empty")
    published = _cell(row, "published_at")
    try:
        published_date, precision, earliest = (
            _partial_date(published) if published else (None, "day", None)
        )
    except ValueError:
        raise ValueError(
            f"published_at {published!r} is not an ISO date "
            "(write YYYY-MM-DD, YYYY-MM-DD/YYYY-MM-DD, YYYY-MM or YYYY)"
        ) from None
    metadata = SeedMetadata(
        outlet=_cell(row, "outlet"),
        url=_cell(row, "url"),
        published_at=published_date,
        language=_cell(row, "language"),
        published_precision=precision,
        published_from=earliest,
    )
    return name, metadata


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


# --- discovery -----------------------------------------------------------------------------


def scan_seed_folder(path: Path, *, follow_symlinks: bool = False) -> SeedScan:
    """The seed files under ``path`` (a folder, searched recursively, or a single file),
    and the paths skipped with their reasons.

    Symbolic links are skipped unless ``follow_symlinks``; even then a link whose target
    lies outside the seed folder is skipped.
    """
    if not path.exists():
        raise SeedFolderError(f"seed path {path} does not exist")
    if path.is_file():
        entries, problems = read_manifest(path.parent)
        return SeedScan([SeedFile(path, entries.get(path.name, SeedMetadata()))], problems)
    if not path.is_dir():
        raise SeedFolderError(f"seed path {path} is neither a folder nor a file")
    entries, skipped = read_manifest(path)
    found: list[tuple[Path, str]] = []
    for item in _walk(path, path.resolve(), follow_symlinks, set()):
        (skipped if isinstance(item, SkippedSeed) else found).append(item)
    found.sort(key=lambda pair: pair[1])
    name_counts = Counter(file_path.name for file_path, _ in found)

    def metadata(file_path: Path, ref: str) -> SeedMetadata:
        by_name = entries.get(file_path.name) if name_counts[file_path.name] == 1 else None
        return entries.get(ref) or by_name or SeedMetadata()

    files = [SeedFile(file_path, metadata(file_path, ref), ref) for file_path, ref in found]
    return SeedScan(files, skipped)


def discover_seed_files(path: Path) -> list[SeedFile]:
    """The seed files under ``path``; see ``scan_seed_folder`` for what is skipped."""
    return scan_seed_folder(path).files


def _walk(
    folder: Path,
    root: Path,
    follow_symlinks: bool,
    walked: set[Path],
    parts: tuple[str, ...] = (),
) -> Iterator[tuple[Path, str] | SkippedSeed]:
    """Seed files (path, ref) and skipped paths under ``folder``, depth first; ``walked``
    holds the real folders already searched, so followed links cannot loop."""
    real_folder = folder.resolve()
    if real_folder in walked:
        return
    walked.add(real_folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        yield SkippedSeed(_printable([*parts]) or ".", "unreadable", str(error.strerror))
        return
    for entry in entries:
        entry_parts = (*parts, entry.name)
        ref = _printable(entry_parts)
        is_dir = _is_dir(entry)
        if not is_dir and not entry.name.lower().endswith(SEED_SUFFIXES):
            continue  # not a seed (and not a folder): ignored, as it always was
        if not _is_utf8(entry.name):
            yield SkippedSeed(ref, BAD_FILE_NAME, "the name is not valid UTF-8: rename it")
            continue
        target = Path(entry.path)
        if entry.is_symlink():
            if not follow_symlinks:
                yield SkippedSeed(ref, SYMLINK, "symbolic links are not followed")
                continue
            target = target.resolve()  # read through the link's target, never the link
            if not target.is_relative_to(root):
                yield SkippedSeed(ref, OUTSIDE_ROOT, "the link points outside the seed folder")
                continue
        if is_dir:
            yield from _walk(target, root, follow_symlinks, walked, entry_parts)
            continue
        kind = _file_kind(target)
        if kind is not None:
            yield SkippedSeed(ref, SPECIAL_FILE, f"a {kind}, not a regular file")
            continue
        yield target, ref


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one (a broken link is neither)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _file_kind(path: Path) -> str | None:
    """None for a regular file, else what it is (fifo, device, socket...)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "missing or unreadable file"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _is_utf8(name: str) -> bool:
    """File names that are not UTF-8 reach Python as lone surrogates (surrogateescape)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(parts: Iterable[str]) -> str:
    return "/".join(os.fsencode(part).decode("utf-8", "backslashreplace") for part in parts)


# --- reading -------------------------------------------------------------------------------

# Files under these are never seeds, whatever path is given (they change as they are read).
_PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


def read_seed_bytes(seed: SeedFile, max_bytes: int) -> bytes:
    """The file's bytes, read only if it is a regular file of at most ``max_bytes``.

    The file is opened without following a final symbolic link and checked on the open
    descriptor, so a path swapped for a link or a fifo after discovery is not read.
    Raises ``SeedReadError`` ("unreadable", "special_file" or "too_large").
    """
    resolved = seed.path.resolve()
    if any(resolved.is_relative_to(pseudo) for pseudo in _PSEUDO_FILESYSTEMS):
        raise SeedReadError(SPECIAL_FILE, f"{resolved} is a system file, not an article")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(seed.path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise SeedReadError(SYMLINK, "it became a symbolic link") from error
        raise SeedReadError("unreadable", str(error.strerror)) from error
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise SeedReadError(SPECIAL_FILE, "not a regular file")
        if status.st_size > max_bytes:
            raise SeedReadError("too_large", f"{status.st_size} bytes > {max_bytes}")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SeedReadError("too_large", f"more than {max_bytes} bytes")
    return data


# --- identity ------------------------------------------------------------------------------


def stable_refs(files: Iterable[SeedFile], stored_refs: Iterable[str]) -> dict[str, str]:
    """The identity each file is loaded under: its ``ref``, except a file in a subfolder
    that the warehouse already holds under its bare name (as loaded before identities
    were relative paths) keeps that name, while the name is unambiguous in this folder and
    no file claims it as its own ref."""
    files = list(files)
    stored = set(stored_refs)
    names = Counter(seed.name for seed in files)
    own_refs = {seed.identity for seed in files}
    refs: dict[str, str] = {}
    for seed in files:
        legacy = seed.name
        keeps_legacy = (
            seed.identity != legacy
            and seed.identity not in stored
            and legacy in stored
            and names[legacy] == 1
            and legacy not in own_refs
        )
        refs[seed.identity] = legacy if keeps_legacy else seed.identity
    return refs
