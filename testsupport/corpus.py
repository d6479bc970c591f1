"""Access to the shared research corpora beside the checkout (read-only) for tests.

The corpora live in ``../shared/corpora/`` next to the clone, not in the repository
(publisher texts never go into it). A fresh clone has nothing beside it, so a test that
needs a corpus is skipped, with a reason naming the missing folder. CI has the corpora:
it sets ``PRESSWATCH_REQUIRE_CORPORA=1``, and a missing corpus then fails the test instead,
so a broken CI setup cannot pass by skipping every corpus test.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
WCXB = SHARED / "corpora" / "wcxb-articles-dev"  # CC-BY-4.0 article pages with ground truth
FEEDPARSER_TESTS = SHARED / "corpora" / "feedparser-tests"  # BSD-2 feed documents
REQUIRE_CORPORA_ENV = "PRESSWATCH_REQUIRE_CORPORA"


def missing_reason(corpus: Path) -> str:
    """The skip reason: which folder is missing and where it is expected."""
    return f"needs the shared corpus ../shared/corpora/{corpus.name} (not found at {corpus})"


def corpora_required() -> bool:
    return os.environ.get(REQUIRE_CORPORA_ENV, "") not in ("", "0")


def require_corpus(corpus: Path) -> None:
    """Skip the calling test when ``corpus`` is absent, or fail it where corpora are required."""
    if corpus.exists():
        return
    if corpora_required():
        pytest.fail(f"{missing_reason(corpus)}, and {REQUIRE_CORPORA_ENV} is set")
    pytest.skip(missing_reason(corpus))


@cache
def _ground_truth(file_id: str) -> dict:
    path = WCXB / "dev" / "ground-truth" / f"{file_id}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def ground_truth(file_id: str) -> dict:
    require_corpus(WCXB)
    return _ground_truth(file_id)


def main_content(file_id: str) -> str:
    return ground_truth(file_id)["ground_truth"]["main_content"]


def paragraphs(file_id: str) -> list[str]:
    return [p for p in main_content(file_id).split("\n\n") if p.strip()]
