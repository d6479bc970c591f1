"""docs/cli.md, generated from the argument parser: ``python -m presswatch.clidocs >
docs/cli.md``. tests/test_docs.py fails when the page is stale or when a command, argument
or option has no help text."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from presswatch.cli import build_parser
from presswatch.errors import EXIT_CODES

USAGE_WIDTH = 100  # fixed, so the page does not depend on the terminal it was made in

INTRO = """# The `presswatch` command

Generated from the argument parser by `python -m presswatch.clidocs > docs/cli.md`; a test
fails when this page is stale. Commands, options, exit codes and JSON fields are public
contracts: they are extended, never renamed or removed.

Every error a user can act on is one line on standard error starting `error:`, saying
what to do; notes (for example that a report shows the readers' copy while a flow writes
the warehouse) also go to standard error, so `--format json` and `--format csv` output on
standard output stays clean for scripts.
"""

BEHAVIOUR = """## What `ingest` prints

Every `presswatch ingest` ends with one summary, read back from the warehouse for that run:
feeds polled, not due and failed; each feed not due with the time it is due and why
(its poll interval, or a backoff after failures) and that `presswatch ingest feeds --force`
polls it now; failed feeds grouped by reason, with the fix for the common ones
(`blocked_address`: add the host to `allowed_hosts` in feeds.toml or to
`PRESSWATCH_ALLOWED_HOSTS`; `http_404`/`http_410`: `presswatch feeds update NAME --url URL`
or `feeds remove`; `not_a_feed`: use the feed's own URL; timeouts and connection errors are
retried with backoff); then the articles added, updated, unchanged and failed. When
anything failed the exit code is 4: everything that worked was loaded, and the next run
retries the rest (`presswatch errors` lists them).

Input files (`--feeds`, an OPML or TOML feed list, a seed path and its `manifest.csv`) are
checked before the flow starts, so a mistake there is one line and exit 1 within a second.

## Safe edits

- `feeds add NAME URL` refuses a name or URL already in the list (exit 1, naming the
  entry) unless `--replace`; adding the identical entry again says `unchanged`.
- `feeds update NAME [--url] [--outlet] [--tag ...] [--interval]` changes only what is
  given and says `updated` or `unchanged`.
- `watch add NAME QUERY...` creates the watchlist or adds to it, saying `added` or
  `unchanged` for each query; `--replace` makes the given queries the whole list (saying
  which were `removed`); a name differing from an existing watchlist's only in case or
  spacing is refused unless `--new`.
- Option values are checked before any work: `--limit` takes 0 to 1,000,000, `--out` must
  be a writable file path; a write that fails midway is one line and exit 1.
"""


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of each subcommand, in the order they were added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name, ""), sub


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    """Every command that runs something (the leaves), with its path and help."""
    for name, help_text, sub in _subcommands(parser):
        children = list(_subcommands(sub))
        if children:
            yield from _commands(sub, (*path, name))
        else:
            yield (*path, name), help_text, sub


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, "")
    return formatter.format_help().strip()


def _argument_rows(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = ", ".join(action.option_strings) or (action.metavar or action.dest)
        if action.option_strings and action.nargs != 0:
            name += f" {action.metavar or action.dest.upper()}"
        help_text = (action.help or "").replace("|", "\\|")
        if action.choices and not isinstance(action, argparse._SubParsersAction):
            help_text += f" (one of: {', '.join(map(str, action.choices))})"
        yield f"| `{name}` | {help_text} |"


def missing_help(parser: argparse.ArgumentParser | None = None) -> list[str]:
    """Commands, arguments and options that have no help text (each should have one)."""
    parser = parser or build_parser()
    missing = []
    for path, help_text, sub in _commands(parser):
        command = "presswatch " + " ".join(path)
        if not help_text:
            missing.append(command)
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{command} {'/'.join(action.option_strings) or action.dest}")
    return missing


def render() -> str:
    parser = build_parser()
    lines = [INTRO, "## Exit codes", "", "| code | meaning |", "| --- | --- |"]
    lines += [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES.items()]
    lines += ["", BEHAVIOUR, "## Commands", ""]
    for path, help_text, _ in _commands(parser):
        lines.append(f"- `presswatch {' '.join(path)}`: {help_text}")
    for path, help_text, sub in _commands(parser):
        lines += [
            "",
            f"### presswatch {' '.join(path)}",
            "",
            help_text[:1].upper() + help_text[1:] + ".",
            "",
        ]
        lines += ["```", _usage(sub), "```", ""]
        lines += ["| argument | meaning |", "| --- | --- |", *_argument_rows(sub)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
