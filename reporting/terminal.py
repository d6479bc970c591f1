"""The coverage report in a terminal: the summary sentence, then the view's tables, each
fitted to the console (``reporting.output.print_rows``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from reporting import output
from reporting.cells import plain
from reporting.model import coverage_view

# Text columns are cut at this many characters even on a wide console.
MAX_COLUMN_WIDTH = 48


def coverage_table(console: Console, report: dict[str, Any], limit: int | None = None) -> None:
    """``report`` (``warehouse.reports.coverage_report``) as text tables on ``console``."""
    view = coverage_view(report, limit)
    output.print_phrases(console, view.headline, lead="Coverage: ")
    if view.filters:
        output.print_phrases(
            console, [f"{name}={value}" for name, value in view.filters], lead="filters: "
        )
    for table in view.tables:
        output.print_report_table(console, table, max_width=MAX_COLUMN_WIDTH)
    if not report["totals"]["articles"]:
        console.print(Text(plain(view.summary)))
