"""A fresh clone with nothing beside it: `make demo` works verbatim, corpus tests skip.

The repository's own promise (README): in an empty folder, `make demo` installs and runs,
and the tests that need the shared corpora (``../shared``) are skipped with a reason that
names them, not failed. This test clones the current commit into an empty temporary
folder, runs `make demo` there with a fresh HOME (reusing only pip's download cache), then
runs the test files that use the corpora, and leaves the clone's `git status` clean: every
file a user's run writes is git-ignored.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

# A pip install, `make demo` (a temporary Prefect server) and the corpus test files, which
# include the scheduler's and DuckLake's: several minutes, more on a busy machine.
CLONE_TEST_TIMEOUT = 4200  # above the sum of the steps' own timeouts, which fire first

# A test file uses the corpora when it imports one of these helpers.
CORPUS_USERS = re.compile(
    r"from testsupport(\.corpus| import synth|\.newsite import [^\n]*corpus_page)"
)


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    """Run ``args`` in its own process group. On timeout it is interrupted (SIGINT: an inner
    pytest then runs its teardown, stopping any scheduler it started) before being killed."""
    env = {**env, "PWD": str(cwd)}  # as a shell sets it
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"{' '.join(args)} took over {timeout:.0f} s:\n{output[-4000:]}")
    assert process.returncode == 0, (
        f"{' '.join(args)} exited {process.returncode}:\n{output[-4000:]}"
    )
    return output


def _clean_environment(home: Path) -> dict[str, str]:
    """What a new user has: PATH, a locale, an empty HOME; pip keeps its download cache."""
    pip_cache = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "pip"), "cache", "dir"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    if pip_cache:
        env["PIP_CACHE_DIR"] = pip_cache
    return env


def corpus_test_files(tests: Path) -> list[str]:
    return sorted(
        f"tests/{path.name}"
        for path in tests.glob("test_*.py")
        if CORPUS_USERS.search(path.read_text(encoding="utf-8"))
    )


def test_the_corpus_test_files_are_found() -> None:
    files = corpus_test_files(REPO_ROOT / "tests")
    assert {"tests/test_dedup.py", "tests/test_feed_flow.py"} <= set(files)
    assert "tests/test_fresh_clone.py" not in files


@pytest.mark.timeout(CLONE_TEST_TIMEOUT)
def test_make_demo_and_the_corpus_tests_in_a_clone_with_nothing_beside_it(tmp_path: Path) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    empty, home = tmp_path / "empty", tmp_path / "home"
    empty.mkdir()
    home.mkdir()
    clone = empty / "presswatch"
    env = _clean_environment(home)
    _run(["git", "clone", "--quiet", "--no-checkout", str(REPO_ROOT), str(clone)], empty, env, 120)
    _run(["git", "checkout", "--quiet", head], clone, env, 120)
    assert sorted(p.name for p in empty.iterdir()) == ["presswatch"]

    demo = _run(["make", "demo"], clone, env, 1200)
    assert re.search(r"\b5\b", demo), demo[-3000:]
    assert "not on your PATH" in demo
    assert ". .venv/bin/activate" in demo

    files = corpus_test_files(clone / "tests")
    report = tmp_path / "corpus-tests.xml"
    _run(
        [".venv/bin/pytest", *files, "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        clone,
        env,
        2400,
    )
    skipped = [
        case.find("skipped").get("message", "")
        for case in ET.parse(report).getroot().iter("testcase")
        if case.find("skipped") is not None
    ]
    assert all(message.strip() for message in skipped), "a skip without a reason"
    naming_shared = [m for m in skipped if "../shared/corpora/" in m]
    assert len(naming_shared) >= 10, skipped

    status = _run(["git", "status", "--porcelain", "--ignored=no"], clone, env, 60)
    assert status.strip() == "", f"files left in the clone that git does not ignore:\n{status}"
