-- Core schema: runs, outlets, sources, articles, the errors that must be retried,
-- near-duplicate links and stories. Ids are deterministic strings (hashes of the
-- source identity) so that re-runs and concurrent writers agree on them.

CREATE TABLE ingestion_runs (
    run_id              VARCHAR PRIMARY KEY,
    flow                VARCHAR NOT NULL,          -- 'ingest_seeds', 'ingest_feeds', 'dedupe'
    target              VARCHAR,                   -- seed folder or feed list that was ingested
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ,
    status              VARCHAR NOT NULL,          -- 'running', 'completed', 'failed'
    items_seen          INTEGER DEFAULT 0,
    articles_added      INTEGER DEFAULT 0,
    articles_updated    INTEGER DEFAULT 0,
    articles_unchanged  INTEGER DEFAULT 0,
    errors              INTEGER DEFAULT 0,
    duplicates_linked   INTEGER DEFAULT 0,
    stories_touched     INTEGER DEFAULT 0,
    prefect_flow_run_id VARCHAR,
    message             VARCHAR
);

CREATE TABLE outlets (
    outlet_id  VARCHAR PRIMARY KEY,                -- slug of the name
    name       VARCHAR NOT NULL,
    domain     VARCHAR
);

CREATE TABLE sources (
    source_id  VARCHAR PRIMARY KEY,
    kind       VARCHAR NOT NULL,                   -- 'seed_folder', 'feed'
    reference  VARCHAR NOT NULL UNIQUE,            -- folder path or feed URL
    name       VARCHAR,
    outlet_id  VARCHAR,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE articles (
    article_id        VARCHAR PRIMARY KEY,
    source_id         VARCHAR NOT NULL,
    source_ref        VARCHAR NOT NULL,            -- seed file name, or feed item identity
    url               VARCHAR,
    canonical_url     VARCHAR,
    outlet_id         VARCHAR,
    title             VARCHAR,
    author            VARCHAR,
    published_at      TIMESTAMPTZ,
    language          VARCHAR,
    dateline          VARCHAR,
    body_text         VARCHAR NOT NULL,
    content_hash      VARCHAR NOT NULL,            -- sha256 of the normalised body
    extraction_method VARCHAR NOT NULL,            -- 'plaintext', 'trafilatura', 'feed-content', ...
    first_seen_at     TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    run_id            VARCHAR NOT NULL,            -- the run that first loaded it
    UNIQUE (source_id, source_ref)
);

-- Every input that could not become (or fully become) an article, with its reason.
-- An open error (resolved_at IS NULL) is retried by the next run of its flow.
CREATE TABLE ingest_errors (
    source_id   VARCHAR NOT NULL,
    item_ref    VARCHAR NOT NULL,                  -- file name, feed URL or item URL
    stage       VARCHAR NOT NULL,                  -- 'read', 'extract', 'fetch_feed', 'parse_feed', 'fetch_page', ...
    reason      VARCHAR NOT NULL,                  -- short code, e.g. 'binary_content', 'timeout'
    detail      VARCHAR,
    attempts    INTEGER NOT NULL DEFAULT 1,
    first_at    TIMESTAMPTZ NOT NULL,
    last_at     TIMESTAMPTZ NOT NULL,
    last_run_id VARCHAR NOT NULL,
    resolved_at TIMESTAMPTZ,
    PRIMARY KEY (source_id, item_ref, stage)
);

CREATE TABLE duplicate_links (
    article_id   VARCHAR PRIMARY KEY,              -- the copy
    canonical_id VARCHAR NOT NULL,                 -- the earliest article it reproduces
    score        DOUBLE NOT NULL,
    method       VARCHAR NOT NULL,
    linked_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE stories (
    story_id   VARCHAR PRIMARY KEY,
    label      VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE story_members (
    article_id  VARCHAR PRIMARY KEY,
    story_id    VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,                   -- similarity that placed it (1.0 for a story's founder)
    assigned_at TIMESTAMPTZ NOT NULL
);

-- Dedup index: sampled shingle hashes per article (candidate search without comparing all pairs).
CREATE TABLE shingle_index (
    shingle    BIGINT NOT NULL,
    article_id VARCHAR NOT NULL
);

-- Story index: each article's top weighted terms (candidate stories via shared terms).
CREATE TABLE article_terms (
    article_id VARCHAR NOT NULL,
    term       VARCHAR NOT NULL,
    weight     DOUBLE NOT NULL,                    -- L2-normalised, so a join's sum is a cosine
    day        DATE NOT NULL                       -- published (else first seen) day, for the window
);
