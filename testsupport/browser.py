"""Headless Chromium for tests that look at what a person would see (Debian's `chromium`,
installed by `.ci/run`). Background networking is off: this machine's network is closed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
MISSING_REASON = "Debian's chromium package is not installed (.ci/run installs it)"


def chromium(
    *args: str, profile: Path, window: str = "1366,900"
) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile folder and the given arguments."""
    assert CHROMIUM, MISSING_REASON
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            f"--window-size={window}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
