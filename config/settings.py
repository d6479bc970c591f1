"""Runtime settings: where the warehouse lives and the tuned thresholds, with their reasons.

Every threshold used by dedup and story grouping lives here, so a rebuild with new
settings is a configuration change, never a code change.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar


class SettingsError(ValueError):
    """An environment variable holds a value presswatch cannot use; the message names the
    variable and the accepted values (the CLI prints it as one line and exits 1)."""


_Number = TypeVar("_Number", int, float)


def _env_number(
    name: str, default: _Number, parse: Callable[[str], _Number], accepted: str, minimum: float
) -> _Number:
    """``name``'s value parsed with ``parse`` (``default`` when unset or empty)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or value != value or value < minimum:  # value != value: NaN
        raise SettingsError(f"{name} must be {accepted}, not {text!r}")
    return value


HOME_ENV = "PRESSWATCH_HOME"
DEFAULT_HOME = Path("presswatch-data")
DB_FILE_NAME = "presswatch.duckdb"
FEEDS_FILE_NAME = "feeds.toml"
# Where these files lived before the data folder; still used when found there (below).
LEGACY_DB_PATH = Path("warehouse") / DB_FILE_NAME
LEGACY_FEEDS_FILE = Path(FEEDS_FILE_NAME)
DB_PATH_ENV = "PRESSWATCH_DB"


def data_home() -> Path:
    """The folder of presswatch's working files (the warehouse with its lock and readers'
    copy, ``feeds.toml``): ``$PRESSWATCH_HOME``, else ``presswatch-data/`` in the current
    directory (git-ignored when that is a checkout of presswatch)."""
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value) if value else DEFAULT_HOME


def _working_file(name: str, legacy: Path) -> Path:
    """``name`` in the data folder. A file at its old default (``legacy``, relative to the
    current directory) keeps being used while the data folder has none and no
    ``PRESSWATCH_HOME`` is set, so upgrading moves no one's warehouse or feed list."""
    path = data_home() / name
    if not os.environ.get(HOME_ENV, "").strip() and not path.exists() and legacy.exists():
        return legacy
    return path


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """``--db`` wins over ``PRESSWATCH_DB``, which wins over ``presswatch.duckdb`` in the
    data folder (``data_home``; or ``warehouse/presswatch.duckdb`` where one already is).

    A value ``ducklake:sqlite:/path/catalog.sqlite`` or ``ducklake:postgres:dbname=..
    host=..`` names a DuckLake warehouse instead of a DuckDB file; its data files go to
    ``PRESSWATCH_DATA_PATH`` (see ``warehouse/ducklake.py``). It travels as a ``Path`` like
    a file name; ``warehouse.db`` tells the two apart."""
    if cli_value:
        return Path(cli_value)
    env_value = os.environ.get(DB_PATH_ENV)
    return Path(env_value) if env_value else _working_file(DB_FILE_NAME, LEGACY_DB_PATH)


@dataclass(frozen=True)
class DedupSettings:
    """Near-duplicate (copy) detection.

    A copy is judged sentence by sentence: a sentence of one article is *reproduced* when
    most of its word n-grams occur in the other article, which tolerates quote/dash style
    changes and a few edited words. The pair's score is the share of the better side's
    sentences that are reproduced, so a truncated copy scores near 1.0.
    """

    # Word n-gram size for shingles. 4 keeps a sentence recognisable after 1-5% word
    # edits (one edit breaks at most 4 shingles) while 4-word phrases rarely repeat by
    # chance between unrelated articles.
    shingle_size: int = 4
    # Sentences shorter than this carry no evidence ("He said.", datelines, captions).
    min_sentence_words: int = 6
    # A sentence counts as reproduced when this share of its shingles is in the other text:
    # survives a couple of edited words, rejects a sentence that merely shares a phrase.
    sentence_match_ratio: float = 0.5
    # Share of the article's sentences reproduced in the other, counting only reproduced
    # sentences *inside* the text (between its first and last unreproduced sentence):
    # shared furniture (navigation, notices, related links, footers) sits at both ends of
    # two unrelated pages of one site and never counts. Rewrites that keep a third of the
    # sentences are copies by contract; 0.25 leaves room for a few edited sentences.
    copy_min_share: float = 0.25
    # ...and at least this many reproduced sentences: different coverage of one story often
    # quotes the same two or three sentences (a statement, a finding) and is not a copy.
    copy_min_sentences: int = 4
    # A text nearly all of whose sentences are reproduced is a copy whatever their position
    # (an exact or truncated copy, a short text), given at least two reproduced sentences.
    nearly_all_share: float = 0.8
    # Candidate search: each evidence sentence has one anchor (its smallest shingle hash)
    # in ``shingle_index``; a loaded article is a candidate when it shares at least this
    # many anchors with the new one. Two: a copy shares nearly all of its sentences'
    # anchors, a rewrite keeping four sentences still shares two or more after 5% edits.
    candidate_min_shared: int = 2
    # Copy groups scored per new article (best first by shared anchors). A group is scored
    # through the member sharing most anchors, so a story syndicated forty times costs one
    # comparison, not forty.
    max_candidate_groups: int = 8
    # An anchor found in more than this many articles is boilerplate (a site's footer, a
    # standard disclaimer): dropped from candidate search and from scoring. Wire copy of
    # one story rarely runs in more than a few hundred outlets.
    anchor_max_df: int = 500


@dataclass(frozen=True)
class StorySettings:
    """Story grouping: IDF-weighted term vectors compared within a time window."""

    def join_threshold_for(self, language: str | None) -> float:
        """The join threshold for an article in ``language`` (a stored language code)."""
        primary = (language or "").split("-")[0].lower()
        return dict(self.join_threshold_by_language).get(primary, self.join_threshold)

    # Terms kept per article in the story index (the heaviest by log TF x corpus IDF,
    # ``textanalysis.term_weights``).
    top_terms: int = 60
    # The headline is counted this many times among an article's words: it names the event.
    headline_repeats: int = 3
    # Terms per article weighed against the warehouse's document counts, and counted in them
    # (the heaviest by log TF x wordfreq rarity; an article has fewer when shorter).
    candidate_terms: int = 250
    # How many documents wordfreq's general-language statistics count for in a term's
    # IDF: with few articles in the warehouse, they weigh the terms; with many, the
    # warehouse's own document frequencies do.
    prior_documents: float = 50.0
    # Candidate articles must share at least ``retrieval_min_shared`` of their
    # ``retrieval_terms`` heaviest terms; then the cosine over all ``top_terms`` decides.
    # Reports of one event share its names, which are among each one's heaviest terms; one
    # shared rare word is common by chance and would make the candidate join fan out.
    retrieval_terms: int = 30
    retrieval_min_shared: int = 2
    # Link strength (the cosine of top-term vectors, discounted for the days between the
    # articles: ``decay_days``) needed to join an existing story. Articles on one event share
    # its names and rare terms; unrelated articles from one outlet share only furniture and
    # common words, which the IDF weighting discounts.
    join_threshold: float = 0.1
    # The join threshold per language of the joining article (ISO 639-1 -> link); other
    # languages and ``und`` use ``join_threshold``. Languages differ in how much the
    # reports of one event share of their heaviest terms (inflection, compounds, how
    # wordfreq's statistics fit news text), so one threshold splits stories in one language
    # and merges unrelated ones in another. Chosen by 5-fold cross-validation on the
    # SemEval-2022 Task 8 training pairs, dated (bench/story_quality.py,
    # docs/dedup-and-stories.md): per language, the threshold chosen most often over the
    # five folds (the best F1 with at least 0.85 precision on the other four; ties: the
    # higher); English and Italian chose ``join_threshold``.
    join_threshold_by_language: tuple[tuple[str, float], ...] = (
        ("ar", 0.4),
        ("de", 0.05),
        ("es", 0.08),
        ("fr", 0.14),
        ("pl", 0.05),
        ("ru", 0.35),
        ("tr", 0.16),
        ("zh", 0.06),
    )
    # A new article linked to members of several stories bridges them, and they merge; a
    # weaker link (between join_threshold and this) only places the article. Where a
    # language's join threshold is higher (ar, ru, tr), every link that places can merge.
    # Chosen on the SemEval pairs, dated and all on one day (bench/story_quality.py --grid
    # merge): at 0.3 one event's pieces stayed split when a short report had started its
    # own story; at 0.1 unrelated same-day stories chain together (precision under 0.85 on
    # one day).
    merge_threshold: float = 0.15
    # Only articles within this many days of the new one can place it in their story.
    window_days: int = 14
    # A link is the cosine divided by 1 + (days apart / decay_days): reports of one event
    # mostly appear within a day or two, unrelated reports on one topic are spread over
    # weeks (warehouse.story_decider.discounted; an undated side is not discounted).
    decay_days: float = 7.0
    # Neighbours examined per new article (those with the strongest links).
    max_candidates: int = 50
    # A term carried by more than this many articles inside the window says little about
    # which event an article covers and would make the join fan out; it is skipped.
    term_max_df: int = 2000


ALLOWED_HOSTS_ENV = "PRESSWATCH_ALLOWED_HOSTS"
USER_AGENT_ENV = "PRESSWATCH_USER_AGENT"
FEEDS_FILE_ENV = "PRESSWATCH_FEEDS"


def resolve_feeds_path(cli_value: str | Path | None = None) -> Path:
    """``--feeds``/``--config`` wins over ``PRESSWATCH_FEEDS``, then ``feeds.toml`` in the
    data folder (or ``./feeds.toml`` where one already is)."""
    if cli_value:
        return Path(cli_value)
    env_value = os.environ.get(FEEDS_FILE_ENV)
    return Path(env_value) if env_value else _working_file(FEEDS_FILE_NAME, LEGACY_FEEDS_FILE)


def _env_float(name: str, default: float) -> float:
    """A number of seconds (0 or more)."""
    return _env_number(name, default, float, "a number of seconds, 0 or more", 0)


def _env_positive_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number, 1 or more", 1)


def allowed_hosts_from_env() -> list[str]:
    """``PRESSWATCH_ALLOWED_HOSTS``: comma-separated hosts (or CIDR ranges) that may be
    fetched although they are private; added to the feed list's ``allowed_hosts``."""
    return [h.strip() for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if h.strip()]


@dataclass(frozen=True)
class FetchSettings:
    """HTTP fetching and politeness for feed ingestion.

    Environment overrides (for slow intranets and for tests): ``PRESSWATCH_HTTP_TIMEOUT``
    (total seconds per request), ``PRESSWATCH_HOST_DELAY`` (seconds between requests to one
    host), ``PRESSWATCH_RETRY_BASE`` (seconds before the first retry of a failed feed/page),
    ``PRESSWATCH_PAGE_BATCH_SIZE`` (pages per fetch and per extraction task),
    ``PRESSWATCH_MAX_ITEMS_PER_POLL`` (items taken from one feed per poll, newest first),
    ``PRESSWATCH_USER_AGENT`` (the User-Agent sent, and the name robots.txt rules are read for).
    """

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    # A whole request, redirects included, never takes longer than this.
    total_timeout: float = 60.0
    # Feeds and pages above this (after decompression) are refused: 10 MB is ~20x a
    # large news page and bounds memory per concurrent fetch.
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    # Politeness: at most 2 requests in flight per host, half a second apart, 16 overall.
    per_host_concurrency: int = 2
    host_delay: float = 0.5
    global_concurrency: int = 16
    # Failed feeds and pages back off exponentially from this base up to the cap.
    retry_base_seconds: float = 300.0
    retry_max_seconds: float = 6 * 3600.0
    # A page is retried this many times; after that its item keeps the feed's own text.
    max_page_attempts: int = 6
    # Pages fetched and extracted per Prefect task (bounds per-task overhead and memory).
    page_batch_size: int = 25
    # The User-Agent sent and matched against robots.txt groups (None: presswatch's own).
    user_agent: str | None = None
    # Article pages obey robots.txt, fetched per site and kept this long.
    obey_robots: bool = True
    robots_max_age_seconds: float = 24 * 3600.0
    # Items taken from one feed per poll, newest first (Media Cloud takes at most 2,000).
    max_items_per_poll: int = 2_000

    @classmethod
    def from_env(cls) -> FetchSettings:
        defaults = cls()
        return cls(
            total_timeout=_env_float("PRESSWATCH_HTTP_TIMEOUT", defaults.total_timeout),
            read_timeout=min(
                defaults.read_timeout,
                _env_float("PRESSWATCH_HTTP_TIMEOUT", defaults.read_timeout),
            ),
            connect_timeout=min(
                defaults.connect_timeout,
                _env_float("PRESSWATCH_HTTP_TIMEOUT", defaults.connect_timeout),
            ),
            host_delay=_env_float("PRESSWATCH_HOST_DELAY", defaults.host_delay),
            retry_base_seconds=_env_float("PRESSWATCH_RETRY_BASE", defaults.retry_base_seconds),
            page_batch_size=_env_positive_int(
                "PRESSWATCH_PAGE_BATCH_SIZE", defaults.page_batch_size
            ),
            user_agent=os.environ.get(USER_AGENT_ENV, "").strip() or None,
            max_items_per_poll=_env_positive_int(
                "PRESSWATCH_MAX_ITEMS_PER_POLL", defaults.max_items_per_poll
            ),
        )


TASK_RUNNER_ENV = "PRESSWATCH_TASK_RUNNER"
DASK_ADDRESS_ENV = "PRESSWATCH_DASK_ADDRESS"
WORKERS_ENV = "PRESSWATCH_WORKERS"


@dataclass(frozen=True)
class TaskRunnerSettings:
    """Where the CPU-heavy steps (HTML and seed extraction, dedup fingerprints) run.

    ``PRESSWATCH_TASK_RUNNER``: ``local`` (default) runs them in a pool of processes on this
    machine; ``dask`` submits them to a Dask cluster through prefect-dask: the scheduler at
    ``PRESSWATCH_DASK_ADDRESS`` (``tcp://host:8786``) when set, else a temporary local
    cluster of ``workers`` processes. ``PRESSWATCH_WORKERS``: processes (local pool or
    temporary cluster); default: one per core. Fetching, DuckDB writes, the dedupe's index
    work and reports stay in the flow's process either way (one writer).
    """

    kind: str = "local"
    workers: int = 0  # 0: one per core
    dask_address: str | None = None
    # A flow run with fewer extraction batches than this extracts in its own process:
    # starting worker processes costs ~2-5 s, more than a handful of pages takes (``make
    # demo``'s seeds are one batch).
    min_batches_for_processes: int = 2

    @property
    def resolved_workers(self) -> int:
        return self.workers or os.cpu_count() or 1

    @classmethod
    def from_env(cls) -> TaskRunnerSettings:
        kind = (os.environ.get(TASK_RUNNER_ENV) or "local").strip().lower()
        if kind not in ("local", "dask"):
            raise SettingsError(f"{TASK_RUNNER_ENV} must be 'local' or 'dask', not {kind!r}")
        workers = os.environ.get(WORKERS_ENV, "").strip()
        if workers and (not workers.isdigit() or int(workers) < 1):
            raise SettingsError(f"{WORKERS_ENV} must be a positive integer, not {workers!r}")
        return cls(
            kind=kind,
            workers=int(workers) if workers else 0,
            dask_address=os.environ.get(DASK_ADDRESS_ENV, "").strip() or None,
        )


SMTP_SECURITY_CHOICES = ("none", "starttls", "tls")


@dataclass(frozen=True)
class SmtpSettings:
    """Outgoing mail for alerts and digests, from ``PRESSWATCH_SMTP_HOST``, ``_PORT``,
    ``_SECURITY`` (``none``, ``starttls``, ``tls``), ``_USER``, ``_PASSWORD`` and ``_FROM``.

    ``PRESSWATCH_SMTP_PASSWORD_BLOCK`` names a Prefect Secret block that supplies the
    password instead of ``PRESSWATCH_SMTP_PASSWORD``. Credentials are only ever held here,
    in memory: never written to the warehouse, never printed (``repr`` hides them).
    """

    host: str | None = None
    port: int = 25
    security: str = "none"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    password_block: str | None = None
    sender: str = "presswatch@localhost"
    timeout_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_env(cls) -> SmtpSettings:
        security = (os.environ.get("PRESSWATCH_SMTP_SECURITY") or "none").strip().lower()
        if security not in SMTP_SECURITY_CHOICES:
            raise SettingsError(
                f"PRESSWATCH_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, "
                f"not {security!r}"
            )
        default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
        port = _env_number("PRESSWATCH_SMTP_PORT", default_port, int, "a port number", 1)
        if port > 65535:
            raise SettingsError(f"PRESSWATCH_SMTP_PORT must be a port number, not {port}")
        return cls(
            host=(os.environ.get("PRESSWATCH_SMTP_HOST") or "").strip() or None,
            port=port,
            security=security,
            user=os.environ.get("PRESSWATCH_SMTP_USER") or None,
            password=os.environ.get("PRESSWATCH_SMTP_PASSWORD") or None,
            password_block=os.environ.get("PRESSWATCH_SMTP_PASSWORD_BLOCK") or None,
            sender=os.environ.get("PRESSWATCH_SMTP_FROM") or cls.sender,
            timeout_seconds=_env_float("PRESSWATCH_SMTP_TIMEOUT", cls.timeout_seconds),
        )


WEBHOOK_SECRET_ENV = "PRESSWATCH_WEBHOOK_SECRET"


@dataclass(frozen=True)
class AlertSettings:
    """Alert delivery, retries and the spike rule.

    Environment overrides: ``PRESSWATCH_WEBHOOK_SECRET`` (HMAC key for webhook
    signatures), ``PRESSWATCH_WEBHOOK_TIMEOUT`` (seconds per POST),
    ``PRESSWATCH_ALERT_RETRY_BASE`` (seconds before the first retry of a failed delivery).
    """

    webhook_secret: str | None = field(default=None, repr=False)
    webhook_timeout_seconds: float = 10.0
    # An article published (else first seen) longer ago than this is not news: it can
    # no longer raise an instant alert (an archive or backfill would otherwise send one per
    # old story); the digest still lists it.
    instant_max_age_hours: float = 72.0
    # A failed delivery waits base * 2^(attempts-1), capped, before the next run retries
    # it; after ``max_attempts`` it is recorded as failed for good.
    retry_base_seconds: float = 300.0
    retry_max_seconds: float = 6 * 3600.0
    max_attempts: int = 8
    # Spike rule: the last ``spike_window_hours`` against the same-sized windows of the
    # previous ``spike_baseline_days``. A spike needs at least ``spike_min_count`` articles
    # (a story going from 0 to 2 is noise) and a z-score of ``spike_min_z``; the standard
    # deviation is floored at 1 so a flat baseline does not turn +1 article into infinity.
    spike_window_hours: int = 6
    spike_baseline_days: int = 14
    spike_min_count: int = 10
    spike_min_z: float = 3.0
    # ...and a usual level: at least this many articles in the whole baseline period.
    spike_min_history: int = 3
    # One spike alert per watchlist or story per subscription within this many hours.
    spike_cooldown_hours: int = 24

    @classmethod
    def from_env(cls) -> AlertSettings:
        return cls(
            webhook_secret=os.environ.get(WEBHOOK_SECRET_ENV) or None,
            webhook_timeout_seconds=_env_float(
                "PRESSWATCH_WEBHOOK_TIMEOUT", cls.webhook_timeout_seconds
            ),
            retry_base_seconds=_env_float("PRESSWATCH_ALERT_RETRY_BASE", cls.retry_base_seconds),
        )


@dataclass(frozen=True)
class Settings:
    dedup: DedupSettings = DedupSettings()
    stories: StorySettings = StorySettings()


DATA_PATH_ENV = "PRESSWATCH_DATA_PATH"
LEASE_SECONDS_ENV = "PRESSWATCH_LEASE_SECONDS"
LEASE_WAIT_ENV = "PRESSWATCH_LEASE_WAIT"
MAINTAIN_EVERY_ENV = "PRESSWATCH_LAKE_MAINTAIN_EVERY"


@dataclass(frozen=True)
class LakeSettings:
    """A DuckLake warehouse (``--db ducklake:...``); see ``warehouse/ducklake.py``.

    ``PRESSWATCH_DATA_PATH``: where a new lake puts its Parquet files (a folder or an
    object-store URL); set later, it overrides the path recorded in the catalog.
    ``PRESSWATCH_LEASE_SECONDS``: a writer's lease lasts this long unless renewed (a writer
    stalled longer loses it). ``PRESSWATCH_LEASE_WAIT``: how long a writer waits for the
    lease. ``PRESSWATCH_LAKE_MAINTAIN_EVERY``: commits between automatic maintenances (0: off).
    """

    data_path: str | None = None
    lease_seconds: float = 600.0
    lease_wait_seconds: float = 1800.0
    # Loading in batches of 25 commits ~1 snapshot per 3 articles (each write section: the
    # lease taken and released, its transactions), so 1000 is every ~3,000 articles; a
    # maintenance then costs a few seconds (README, "Maintenance").
    maintain_every: int = 1000

    @classmethod
    def from_env(cls) -> LakeSettings:
        defaults = cls()
        every = _env_number(
            MAINTAIN_EVERY_ENV, defaults.maintain_every, int, "a whole number, 0 or more", 0
        )
        return cls(
            data_path=os.environ.get(DATA_PATH_ENV) or None,
            lease_seconds=_env_float(LEASE_SECONDS_ENV, defaults.lease_seconds),
            lease_wait_seconds=_env_float(LEASE_WAIT_ENV, defaults.lease_wait_seconds),
            maintain_every=every,
        )


def validate_environment() -> None:
    """Read every ``PRESSWATCH_*`` setting once, so a bad value stops a process at its start
    with one :class:`SettingsError` instead of failing midway through a run."""
    FetchSettings.from_env()
    SitemapSettings.from_env()
    PollingSettings.from_env()
    RevisionSettings.from_env()
    TaskRunnerSettings.from_env()
    LakeSettings.from_env()


# Prefect defaults presswatch relies on. The temporary (ephemeral) Prefect server takes
# 10-30 s to start on small machines, past Prefect's default start-up timeout; no telemetry.
# (The temporary server never serves the UI, so ``PREFECT_UI_ENABLED`` is left alone: set in
# the CLI's process it would also turn off the UI of ``presswatch scheduler start``'s server.)
PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def apply_prefect_defaults() -> None:
    """Put :data:`PREFECT_DEFAULTS` in this process's environment where not set (explicit
    settings win); the processes it starts inherit them.

    Called where a process starts: the CLI's ``main`` and the flow modules ``prefect.yaml``
    names (the scheduler's worker imports them). Prefect reads the environment into its
    global settings when it is first imported, so when it already is, they are re-read."""
    missing = {name: value for name, value in PREFECT_DEFAULTS.items() if name not in os.environ}
    if not missing:
        return
    os.environ.update(missing)
    prefect_context = sys.modules.get("prefect.context")
    if prefect_context is not None:
        prefect_context.refresh_global_settings_context()


SITEMAP_MAX_AGE_ENV = "PRESSWATCH_SITEMAP_MAX_AGE_DAYS"


@dataclass(frozen=True)
class SitemapSettings:
    """Bounds on reading a news sitemap or sitemap index as a source.

    Google News sitemaps list the last two days; entries older than ``max_age_days``
    (``PRESSWATCH_SITEMAP_MAX_AGE_DAYS``) are not announced, and child sitemaps whose index
    ``lastmod`` is older are not fetched. Depth, file count and total size bound what one
    poll of an index can cost, whatever the index lists.
    """

    max_age_days: int = 2
    max_depth: int = 2  # an index of indexes of sitemaps, no deeper
    max_files: int = 20  # child sitemaps fetched per poll
    max_total_bytes: int = 50_000_000  # all files of one poll, after decompression
    max_entries: int = 50_000  # per poll (sitemaps.org caps one sitemap at 50,000 URLs)

    @classmethod
    def from_env(cls) -> SitemapSettings:
        defaults = cls()
        return cls(max_age_days=_env_positive_int(SITEMAP_MAX_AGE_ENV, defaults.max_age_days))


POLL_FLOOR_ENV = "PRESSWATCH_POLL_FLOOR_MINUTES"
POLL_CEILING_ENV = "PRESSWATCH_POLL_CEILING_MINUTES"


@dataclass(frozen=True)
class PollingSettings:
    """Bounds of adaptive polling (``warehouse.polling``) for feeds with an interval:
    ``PRESSWATCH_POLL_FLOOR_MINUTES`` and ``PRESSWATCH_POLL_CEILING_MINUTES``."""

    floor_minutes: int = 5
    ceiling_minutes: int = 24 * 60

    @classmethod
    def from_env(cls) -> PollingSettings:
        defaults = cls()
        floor = _env_positive_int(POLL_FLOOR_ENV, defaults.floor_minutes)
        ceiling = _env_positive_int(POLL_CEILING_ENV, defaults.ceiling_minutes)
        return cls(floor_minutes=min(floor, ceiling), ceiling_minutes=max(floor, ceiling))


REVISIT_DAYS_ENV = "PRESSWATCH_REVISIT_DAYS"


@dataclass(frozen=True)
class RevisionSettings:
    """Articles first seen within ``revisit_days`` (``PRESSWATCH_REVISIT_DAYS``; 0 turns
    revisits off) whose feed item changes are fetched again, to store revisions."""

    revisit_days: int = 3

    @classmethod
    def from_env(cls) -> RevisionSettings:
        return cls(
            revisit_days=_env_number(
                REVISIT_DAYS_ENV, cls.revisit_days, int, "a whole number, 0 or more", 0
            )
        )
