"""Hostile seed folders: same names in subfolders, names that are not UTF-8, bad manifests,
symbolic links out of the folder, special files. Nothing loadable is lost; nothing outside
the folder is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sources.seeds import (
    BAD_FILE_NAME,
    BAD_MANIFEST,
    OUTSIDE_ROOT,
    SPECIAL_FILE,
    SYMLINK,
    SeedFile,
    SeedMetadata,
    SeedReadError,
    read_seed_bytes,
    scan_seed_folder,
    stable_refs,
)

ARTICLE = b"A headline\n\nSome words of an article body that is long enough to count.\n"


def write(path: Path, data: bytes = ARTICLE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def reasons(folder: Path, **options: bool) -> dict[str, str]:
    return {s.ref: s.reason for s in scan_seed_folder(folder, **options).skipped}


def refs(folder: Path, **options: bool) -> list[str]:
    return [seed.ref for seed in scan_seed_folder(folder, **options).files]


def test_same_name_in_two_subfolders_is_two_seeds(tmp_path: Path) -> None:
    write(tmp_path / "a" / "same.txt")
    write(tmp_path / "b" / "same.txt")
    write(tmp_path / "top.txt")
    assert refs(tmp_path) == ["a/same.txt", "b/same.txt", "top.txt"]


def test_a_name_that_is_not_utf8_is_recorded_and_the_rest_found(tmp_path: Path) -> None:
    write(tmp_path / "good.txt")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "wb") as handle:
        handle.write(ARTICLE)
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"dir\xff"))
    assert refs(tmp_path) == ["good.txt"]
    assert reasons(tmp_path) == {"caf\\xe9.txt": BAD_FILE_NAME, "dir\\xff": BAD_FILE_NAME}


def test_a_manifest_that_is_not_utf8_is_recorded_and_files_load_without_it(
    tmp_path: Path,
) -> None:
    write(tmp_path / "one.txt")
    write(tmp_path / "manifest.csv", b"file,outlet\none.txt,Caf\xe9 Times\n")
    scan = scan_seed_folder(tmp_path)
    assert [(s.ref, s.metadata) for s in scan.files] == [("one.txt", SeedMetadata())]
    [skipped] = scan.skipped
    assert (skipped.ref, skipped.reason) == ("manifest.csv", BAD_MANIFEST)
    assert "line 2" in skipped.detail and "UTF-8" in skipped.detail


def test_a_bad_manifest_row_is_recorded_and_the_other_rows_apply(tmp_path: Path) -> None:
    write(tmp_path / "one.txt")
    write(tmp_path / "two.txt")
    write(tmp_path / "manifest.csv", b"file,outlet,published_at\none.txt,Good,\ntwo.txt,,June\n")
    scan = scan_seed_folder(tmp_path)
    assert scan.files[0].metadata.outlet == "Good"
    assert [(s.ref, s.reason) for s in scan.skipped] == [("manifest.csv:3", BAD_MANIFEST)]


def test_manifest_rows_name_files_by_relative_path_or_unique_bare_name(tmp_path: Path) -> None:
    write(tmp_path / "a" / "same.txt")
    write(tmp_path / "b" / "same.txt")
    write(tmp_path / "c" / "unique.txt")
    manifest = b"file,outlet\nb/same.txt,B Times\nsame.txt,Ambiguous\nunique.txt,U Times\n"
    write(tmp_path / "manifest.csv", manifest)
    outlets = {s.ref: s.metadata.outlet for s in scan_seed_folder(tmp_path).files}
    assert outlets == {"a/same.txt": None, "b/same.txt": "B Times", "c/unique.txt": "U Times"}


def test_symlinks_are_not_followed_by_default(tmp_path: Path) -> None:
    write(tmp_path / "real.txt")
    (tmp_path / "leak.txt").symlink_to("/proc/self/status")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "linked").symlink_to(tmp_path.parent)
    assert refs(tmp_path) == ["real.txt"]
    assert reasons(tmp_path) == {"alias.txt": SYMLINK, "leak.txt": SYMLINK, "linked": SYMLINK}


def test_followed_symlinks_never_leave_the_seed_folder_and_never_loop(tmp_path: Path) -> None:
    root = tmp_path / "seeds"
    write(root / "sub" / "real.txt")
    write(tmp_path / "outside.txt")
    (root / "leak.txt").symlink_to("/proc/self/status")
    (root / "escape.txt").symlink_to(tmp_path / "outside.txt")
    (root / "alias.txt").symlink_to(root / "sub" / "real.txt")
    (root / "sub" / "loop").symlink_to(root)
    assert refs(root, follow_symlinks=True) == ["alias.txt", "sub/real.txt"]
    assert reasons(root, follow_symlinks=True) == {
        "escape.txt": OUTSIDE_ROOT,
        "leak.txt": OUTSIDE_ROOT,
    }


def test_a_fifo_is_recorded_and_never_opened(tmp_path: Path) -> None:
    write(tmp_path / "real.txt")
    os.mkfifo(tmp_path / "pipe.txt")  # opening it for reading would block forever
    assert refs(tmp_path) == ["real.txt"]
    assert reasons(tmp_path) == {"pipe.txt": SPECIAL_FILE}


def test_reading_refuses_system_files_fifos_and_links_swapped_in(tmp_path: Path) -> None:
    with pytest.raises(SeedReadError, match=SPECIAL_FILE):
        read_seed_bytes(SeedFile(Path("/proc/self/status"), SeedMetadata()), 1_000)
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(SeedReadError, match=SPECIAL_FILE):
        read_seed_bytes(SeedFile(tmp_path / "pipe.txt", SeedMetadata()), 1_000)
    write(tmp_path / "real.txt")
    (tmp_path / "swapped.txt").symlink_to(tmp_path / "real.txt")
    with pytest.raises(SeedReadError, match=SYMLINK):
        read_seed_bytes(SeedFile(tmp_path / "swapped.txt", SeedMetadata()), 1_000)
    with pytest.raises(SeedReadError, match="too_large"):
        read_seed_bytes(SeedFile(tmp_path / "real.txt", SeedMetadata()), 10)
    assert read_seed_bytes(SeedFile(tmp_path / "real.txt", SeedMetadata()), 1_000) == ARTICLE


def seed(ref: str) -> SeedFile:
    return SeedFile(Path("/seeds") / ref, SeedMetadata(), ref)


def test_stable_refs_keep_the_bare_name_a_warehouse_already_holds() -> None:
    files = [seed("sub/old.txt"), seed("a/same.txt"), seed("b/same.txt"), seed("top.txt")]
    stored = ["old.txt", "same.txt", "top.txt"]
    assert stable_refs(files, stored) == {
        "sub/old.txt": "old.txt",  # loaded before under its bare name: keeps it
        "a/same.txt": "a/same.txt",  # ambiguous bare name: relative paths
        "b/same.txt": "b/same.txt",
        "top.txt": "top.txt",
    }


def test_stable_refs_prefer_the_relative_path_once_stored_or_claimed() -> None:
    assert stable_refs([seed("sub/x.txt")], ["x.txt", "sub/x.txt"]) == {"sub/x.txt": "sub/x.txt"}
    files = [seed("sub/x.txt"), seed("x.txt")]
    assert stable_refs(files, ["x.txt"]) == {"sub/x.txt": "sub/x.txt", "x.txt": "x.txt"}
    assert stable_refs([seed("sub/new.txt")], []) == {"sub/new.txt": "sub/new.txt"}
