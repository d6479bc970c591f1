-- Adaptive polling (warehouse/polling.py): the interval a feed is polled at now, which
-- starts at its configured poll_interval_minutes and moves between a floor and a ceiling
-- with what each poll yields, and why it has its current value (shown by `feeds status`).
ALTER TABLE feeds ADD COLUMN current_interval_minutes INTEGER;
ALTER TABLE feeds ADD COLUMN interval_reason VARCHAR;

-- Revisions: when an article's page is fetched again (its feed item changed within the
-- revisit window) and the extracted headline or body differ, the text it replaces is kept
-- here with the time it was stored (text_seen_at) and the time it was replaced.
-- The articles row always holds the newest text, so dedupe and stories see the newest.
CREATE TABLE article_revisions (
    article_id    VARCHAR NOT NULL,
    revision      INTEGER NOT NULL,               -- 1 for the first text replaced, then 2, ...
    title         VARCHAR,
    body_text     VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    published_at  TIMESTAMPTZ,
    text_seen_at  TIMESTAMPTZ NOT NULL,           -- when this text was stored
    replaced_at   TIMESTAMPTZ NOT NULL            -- when the newer text replaced it
);
