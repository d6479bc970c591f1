"""docs/cli.md is generated from the argument parser: it must be current, and every
command, argument and option must have help text."""

from __future__ import annotations

import argparse
from pathlib import Path

from presswatch import clidocs
from presswatch.cli import build_parser

CLI_DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_docs_cli_md_is_current() -> None:
    assert CLI_DOCS.read_text(encoding="utf-8") == clidocs.render(), (
        "docs/cli.md is stale: run `.venv/bin/python -m presswatch.clidocs > docs/cli.md`"
    )


def test_every_command_and_option_has_help() -> None:
    assert clidocs.missing_help() == []


def test_the_help_check_sees_a_command_or_option_without_help() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bare = commands.add_parser("bare")  # no help
    bare.add_argument("--quiet", action="store_true")  # no help
    assert clidocs.missing_help(parser) == ["presswatch bare", "presswatch bare --quiet"]


def test_docs_list_every_command_and_exit_code() -> None:
    text = CLI_DOCS.read_text(encoding="utf-8")
    for heading in (
        "### presswatch ingest feeds",
        "### presswatch feeds update",
        "### presswatch watch add",
    ):
        assert heading in text
    for code in ("| 0 |", "| 1 |", "| 3 |", "| 4 |"):
        assert code in text
