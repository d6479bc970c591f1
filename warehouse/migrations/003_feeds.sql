-- Feed ingestion: monitored feeds with their health and validators, every item a feed
-- announced (kept until its article is loaded), and a log of every fetch.

CREATE TABLE feeds (
    feed_id               VARCHAR PRIMARY KEY,
    url                   VARCHAR NOT NULL UNIQUE,
    name                  VARCHAR NOT NULL,
    outlet_id             VARCHAR,
    tags                  VARCHAR[],
    poll_interval_minutes INTEGER,
    title                 VARCHAR,                 -- the feed's own title
    etag                  VARCHAR,                 -- validators sent back on the next poll
    last_modified         VARCHAR,
    body_hash             VARCHAR,                 -- skips re-parsing when a server ignores validators
    last_polled_at        TIMESTAMPTZ,
    last_success_at       TIMESTAMPTZ,
    last_status           VARCHAR,                 -- 'ok', 'not_modified', 'unchanged' or an error reason
    last_error            VARCHAR,
    bozo_reason           VARCHAR,                 -- feedparser's complaint about a feed still used
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    next_poll_at          TIMESTAMPTZ,             -- backoff / Retry-After / poll interval
    items_seen            INTEGER NOT NULL DEFAULT 0
);

-- Status: 'pending' (announced, article not loaded yet), 'extracted' (page extracted),
-- 'feed_content' (loaded from the feed's own content or summary; the page is retried),
-- 'failed' (nothing usable yet; retried). Nothing announced is ever deleted.
CREATE TABLE feed_items (
    feed_id         VARCHAR NOT NULL,
    item_key        VARCHAR NOT NULL,              -- guid, else canonical url, else content hash
    article_ref     VARCHAR NOT NULL,              -- the article's source_ref (canonical url or guid)
    guid            VARCHAR,
    url             VARCHAR,
    canonical_url   VARCHAR,
    title           VARCHAR,
    summary         VARCHAR,
    content_html    VARCHAR,
    author          VARCHAR,
    published_at    TIMESTAMPTZ,
    language        VARCHAR,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    page_attempts   INTEGER NOT NULL DEFAULT 0,
    last_reason     VARCHAR,
    next_attempt_at TIMESTAMPTZ,
    article_id      VARCHAR,
    PRIMARY KEY (feed_id, item_key)
);

CREATE TABLE fetch_log (
    logged_at  TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,                   -- 'feed' or 'page'
    url        VARCHAR NOT NULL,
    outcome    VARCHAR NOT NULL,                   -- 'ok', 'not_modified', 'unchanged', 'error', 'refused'
    status     INTEGER,                            -- HTTP status when there was one
    reason     VARCHAR,
    detail     VARCHAR,
    retryable  BOOLEAN,
    elapsed_ms INTEGER,
    bytes      INTEGER
);

-- Articles whose dedupe has not run yet (a run killed between load and dedupe leaves them
-- pending; the next run of any flow finishes the job).
ALTER TABLE articles ADD COLUMN dedupe_pending BOOLEAN DEFAULT true;
UPDATE articles SET dedupe_pending = false
WHERE article_id IN (SELECT article_id FROM story_members);
