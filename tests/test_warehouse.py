"""Warehouse: migrations, idempotent loading, failure records, the writer lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import article, fresh_db
from warehouse import loader
from warehouse.db import WarehouseError, WarehouseLocked, migrate, open_connection


def test_migrations_are_recorded_in_order_and_applied_once(db_path: Path) -> None:
    con = fresh_db(db_path)
    applied = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [v for v, _ in applied] == sorted(v for v, _ in applied)
    assert applied[0] == (1, "001_initial.sql")
    assert migrate(con) == []  # nothing left to apply
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    for expected in (
        "ingestion_runs",
        "outlets",
        "sources",
        "articles",
        "ingest_errors",
        "duplicate_links",
        "stories",
        "story_members",
        "coverage_by_story",
        "coverage_by_outlet",
        "coverage_by_day",
    ):
        assert expected in tables


def test_loading_the_same_article_twice_adds_no_rows(db_path: Path) -> None:
    con = fresh_db(db_path)
    source_id = loader.ensure_source(con, "test", "src")
    item = loader.ArticleInput("one.txt", article("Some words here.", outlet="The Daily"))
    first = loader.load_articles(con, source_id, loader.start_run(con, "t", "src"), [item])
    second = loader.load_articles(con, source_id, loader.start_run(con, "t", "src"), [item])
    assert len(first.added) == 1 and not first.unchanged
    assert second.added == [] and second.updated == [] and second.unchanged == first.added
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM outlets").fetchone() == (1,)


def test_changed_content_updates_the_same_row(db_path: Path) -> None:
    con = fresh_db(db_path)
    source_id = loader.ensure_source(con, "test", "src")
    run = loader.start_run(con, "t", "src")
    loader.load_articles(con, source_id, run, [loader.ArticleInput("a", article("Old text."))])
    result = loader.load_articles(
        con, source_id, run, [loader.ArticleInput("a", article("New text."))]
    )
    assert len(result.updated) == 1
    assert con.execute("SELECT body_text FROM articles").fetchall() == [("New text.",)]


def test_failures_accumulate_attempts_and_resolve_when_loaded(db_path: Path) -> None:
    con = fresh_db(db_path)
    source_id = loader.ensure_source(con, "test", "src")
    failure = loader.FailedInput("bad.txt", "extract", "binary_content", "NUL bytes")
    loader.record_failures(con, source_id, "run1", [failure])
    loader.record_failures(con, source_id, "run2", [failure])
    row = con.execute("SELECT attempts, resolved_at FROM ingest_errors").fetchone()
    assert row == (2, None)
    loader.load_articles(
        con, source_id, "run3", [loader.ArticleInput("bad.txt", article("Now readable."))]
    )
    assert con.execute("SELECT resolved_at IS NOT NULL FROM ingest_errors").fetchone() == (True,)


def test_a_second_writer_process_gets_a_clear_lock_error(db_path: Path) -> None:
    fresh_db(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(db_path)!r})
                print("locked", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseLocked, match="being written by another process"):
            open_connection(db_path)
    finally:
        holder.kill()
        holder.wait()


def test_reading_a_missing_warehouse_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="presswatch ingest seeds"):
        open_connection(tmp_path / "nope.duckdb", read_only=True)
