-- Alerts and digests (issue 17): who wants to hear about which watchlist, what was decided
-- to be sent, and what happened to each delivery. No credentials are ever stored here.

CREATE TABLE alert_subscriptions (
    name            VARCHAR PRIMARY KEY,
    watchlist       VARCHAR NOT NULL,
    emails          VARCHAR[] NOT NULL,
    webhooks        VARCHAR[] NOT NULL,
    mode            VARCHAR NOT NULL,              -- 'instant' or 'digest'
    digest_at       VARCHAR,                       -- 'HH:MM' local time; NULL: no digest
    timezone        VARCHAR NOT NULL,              -- IANA name, e.g. 'Europe/London'
    min_articles    INTEGER NOT NULL,              -- a story alerts once it has this many
    quiet_start     VARCHAR,                       -- 'HH:MM' local time, or NULL
    quiet_end       VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    digest_through  TIMESTAMPTZ                    -- end of the period the last digest covered
);

-- One row per message decided: written (with its deliveries) before anything is sent.
CREATE TABLE alerts (
    alert_id      VARCHAR PRIMARY KEY,             -- stable for one decision (re-runs agree)
    subscription  VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,                -- 'instant', 'digest', 'spike', 'test'
    topic         VARCHAR,                         -- 'story:<id>' or 'watchlist:<name>'
    story_id      VARCHAR,                         -- the story when the alert was decided
    subject       VARCHAR NOT NULL,
    text_body     VARCHAR NOT NULL,
    html_body     VARCHAR,
    payload       VARCHAR NOT NULL,                -- JSON: the structured webhook fields
    created_at    TIMESTAMPTZ NOT NULL,
    period_start  TIMESTAMPTZ,                     -- digests: the period covered
    period_end    TIMESTAMPTZ
);

-- The articles an alert covered: a story whose members include one of them has alerted
-- (this survives story merges and rebuilds, which change story ids).
CREATE TABLE alert_articles (
    alert_id    VARCHAR NOT NULL,
    article_id  VARCHAR NOT NULL
);

CREATE TABLE alert_deliveries (
    alert_id         VARCHAR NOT NULL,
    channel          VARCHAR NOT NULL,             -- 'email' or 'webhook'
    target           VARCHAR NOT NULL,             -- address or URL
    status           VARCHAR NOT NULL,             -- 'pending', 'retrying', 'sent', 'failed'
    attempts         INTEGER NOT NULL DEFAULT 0,
    due_at           TIMESTAMPTZ NOT NULL,         -- not before (backoff, quiet hours)
    last_attempt_at  TIMESTAMPTZ,
    sent_at          TIMESTAMPTZ,
    last_error       VARCHAR,
    PRIMARY KEY (alert_id, channel, target)
);
