"""Corpus tests skip with a reason in a fresh clone, and fail where corpora are required (CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testsupport.corpus import REQUIRE_CORPORA_ENV, require_corpus


def test_a_missing_corpus_skips_with_a_reason_naming_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REQUIRE_CORPORA_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared/corpora/absent"):
        require_corpus(tmp_path / "absent")


def test_a_missing_corpus_fails_where_corpora_are_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_CORPORA_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE_CORPORA_ENV):
        require_corpus(tmp_path / "absent")


def test_a_present_corpus_lets_the_test_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_CORPORA_ENV, "1")
    require_corpus(tmp_path)  # exists: neither skips nor fails
