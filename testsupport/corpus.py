"""Access to the shared WCXB article corpus (read-only, CC-BY-4.0) for tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

WCXB = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "wcxb-articles-dev"


@cache
def ground_truth(file_id: str) -> dict:
    path = WCXB / "dev" / "ground-truth" / f"{file_id}.json"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {WCXB}")
    return json.loads(path.read_text(encoding="utf-8"))


def main_content(file_id: str) -> str:
    return ground_truth(file_id)["ground_truth"]["main_content"]


def paragraphs(file_id: str) -> list[str]:
    return [p for p in main_content(file_id).split("\n\n") if p.strip()]
