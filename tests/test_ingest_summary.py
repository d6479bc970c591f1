"""The end-of-ingest summary as a pure function of the run's outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from presswatch.ingest_summary import LoadCounts, fix_for, summary_lines, summary_record
from warehouse.run_outcome import FeedFailure, FeedNotDue, InputFailure, RunOutcome

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COUNTS = LoadCounts(seen=3, added=2, updated=0, unchanged=1, copy_links=0)


def failure(name: str, url: str, reason: str) -> FeedFailure:
    return FeedFailure(name, url, reason, None, "", NOW + timedelta(minutes=5))


def outcome(**fields: object) -> RunOutcome:
    base: dict[str, object] = {
        "run_id": "r1",
        "feeds_polled": 0,
        "feeds_failed": (),
        "feeds_not_due": (),
        "input_failures": (),
    }
    return RunOutcome(**{**base, **fields})  # type: ignore[arg-type]


def test_blocked_addresses_name_every_host_in_both_places_to_allow_them() -> None:
    feeds = [
        failure("a", "http://intranet.local/rss", "blocked_address"),
        failure("b", "http://10.0.0.7:8080/feed", "blocked_address"),
    ]
    fix = fix_for("blocked_address", feeds)
    assert fix is not None
    assert "10.0.0.7, intranet.local" in fix and "allowed_hosts" in fix
    assert "PRESSWATCH_ALLOWED_HOSTS=10.0.0.7,intranet.local" in fix


def test_each_common_reason_has_a_fix_and_an_unknown_one_none() -> None:
    for reason in ("http_404", "http_410", "not_a_feed", "timeout", "connection_error", "http_503"):
        assert fix_for(reason, []), reason
    assert fix_for("too_large_for_words", []) is None


def test_not_due_feeds_say_when_and_why_and_long_lists_are_cut() -> None:
    later = NOW + timedelta(hours=3)
    regular = [
        FeedNotDue(f"feed{n:02}", f"https://{n}.example/rss", later, 0, "ok") for n in range(12)
    ]
    flaky = FeedNotDue("flaky", "https://f.example/rss", NOW + timedelta(minutes=20), 2, "timeout")
    waiting = (*regular, flaky)
    lines = summary_lines("ingest_feeds", COUNTS, outcome(feeds_not_due=waiting), NOW)
    assert "feeds: 0 polled, 13 not due, 0 failed" in lines
    assert "    feed00: due 2026-03-02 12:00 UTC (in 3.0 h), poll interval" in lines
    assert "    ... and 3 more" in lines
    assert "    `presswatch ingest feeds --force` polls them now" in lines
    everything = summary_lines("ingest_feeds", COUNTS, outcome(feeds_not_due=(flaky,)), NOW)
    assert (
        "    flaky: due 2026-03-02 09:20 UTC (in 20 min), backing off after 2 failure(s), "
        "last timeout" in everything
    )


def test_failed_inputs_are_grouped_by_reason_with_examples() -> None:
    inputs = tuple(InputFailure(f"f{n}.txt", "read", "binary_content", "") for n in range(5))
    lines = summary_lines("ingest_seeds", COUNTS, outcome(input_failures=inputs), NOW)
    assert (
        "articles: 2 added, 0 updated, 1 unchanged, 5 failed (3 input(s) seen, 0 copy link(s))"
        in lines
    )
    assert "  failed, read binary_content: 5 (f0.txt, f1.txt, f2.txt and 2 more)" in lines
    assert not any(line.startswith("feeds:") for line in lines)  # a seed run polls no feeds
    assert (
        summary_record("ingest_seeds", COUNTS, outcome(input_failures=inputs))["articles_failed"]
        == 5
    )


def test_a_clean_run_says_nothing_failed() -> None:
    lines = summary_lines("ingest_feeds", COUNTS, outcome(feeds_polled=2), NOW)
    assert lines[1] == "feeds: 2 polled, 0 not due, 0 failed"
    assert not any("failed," in line or "retried" in line for line in lines)
