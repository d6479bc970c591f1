-- Reports a reader can check and weigh (issue 14): every article row carries its URL,
-- outlets carry an optional weight, and a story filter matches words, not patterns.
--
-- * outlets.weight: circulation, reach or tier, set by the user; NULL counts as 1. The
--   outlet_weights view gives each outlet name its weight for the share-of-voice figures
--   (warehouse/reports.py adds weighted_articles and shares to the outlet and story rows).
-- * report_articles: `story` matches a story id or words of its label as plain text
--   (`--story %` or `--story _` no longer match every story: LIKE wildcards are gone).
-- * report_stories gains original_url, report_copies original_url and copy_url,
--   report_matches url: added at the end, no column renamed.

ALTER TABLE outlets ADD COLUMN IF NOT EXISTS weight DOUBLE;

CREATE OR REPLACE VIEW outlet_weights AS
SELECT name AS outlet, coalesce(max(weight), 1.0) AS weight
FROM outlets
GROUP BY name;

CREATE OR REPLACE MACRO report_articles(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                             watch := NULL, src := 'article_overview') AS TABLE
SELECT v.*
FROM query_table(src) v
WHERE (since IS NULL OR v.seen_or_published_at >= CAST(CAST(since AS DATE) AS TIMESTAMPTZ))
  AND (until IS NULL
       OR v.seen_or_published_at < CAST(CAST(until AS DATE) + 1 AS TIMESTAMPTZ))
  AND (outlet_name IS NULL OR lower(v.outlet) = lower(CAST(outlet_name AS VARCHAR)))
  AND (story IS NULL OR v.story_id IN (
        SELECT s.story_id FROM stories s
        WHERE s.story_id = CAST(story AS VARCHAR)
           OR contains(lower(s.label), lower(CAST(story AS VARCHAR)))))
  AND (watch IS NULL OR v.article_id IN (
        SELECT w.article_id FROM watch_matches w WHERE w.watchlist = CAST(watch AS VARCHAR)));

CREATE OR REPLACE MACRO report_stories(since := NULL, until := NULL, outlet_name := NULL,
                                       story := NULL, watch := NULL,
                                       src := 'article_overview') AS TABLE
WITH v AS (
    FROM report_articles(since := since, until := until, outlet_name := outlet_name,
                         story := story, watch := watch, src := src)
    WHERE story_id IS NOT NULL
),
per_outlet AS (
    SELECT story_id, outlet, count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies
    FROM v WHERE outlet IS NOT NULL GROUP BY 1, 2
),
names AS (
    SELECT story_id,
           count(*)                                                   AS outlets,
           string_agg(outlet, ', ' ORDER BY outlet)                   AS outlet_names,
           string_agg(outlet, ', ' ORDER BY outlet) FILTER (WHERE copies > 0) AS copied_by
    FROM per_outlet GROUP BY 1
),
agg AS (
    SELECT
        story_id,
        min(first_seen_at)                                     AS first_seen,
        min(published_at)                                      AS first_published,
        count(*)                                               AS articles,
        count(*) FILTER (WHERE duplicate_of IS NULL)           AS distinct_articles,
        count(*) FILTER (WHERE duplicate_of IS NOT NULL)       AS copies,
        max(seen_or_published_at)                              AS last_seen,
        count(DISTINCT CAST(seen_or_published_at AS DATE))     AS days_active,
        (min({'at': seen_or_published_at, 'id': article_id})
            FILTER (WHERE duplicate_of IS NULL)).id            AS original_id
    FROM v GROUP BY 1
)
SELECT
    s.story_id,
    s.label,
    agg.first_seen,
    agg.first_published,
    agg.articles,
    agg.distinct_articles,
    agg.copies,
    coalesce(names.outlets, 0)                                 AS outlets,
    names.outlet_names,
    agg.last_seen,
    agg.days_active,
    agg.original_id,
    o.title                                                    AS original_title,
    oo.name                                                    AS original_outlet,
    names.copied_by,
    o.url                                                      AS original_url
FROM agg
JOIN stories s            ON s.story_id = agg.story_id
LEFT JOIN names           ON names.story_id = agg.story_id
LEFT JOIN articles o      ON o.article_id = agg.original_id
LEFT JOIN outlets oo      ON oo.outlet_id = o.outlet_id;

CREATE OR REPLACE MACRO report_copies(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                           watch := NULL, src := 'article_overview') AS TABLE
SELECT
    c.story_id,
    c.duplicate_of                                     AS original_id,
    o.title                                            AS original_title,
    oo.name                                            AS original_outlet,
    coalesce(o.published_at, o.first_seen_at)          AS original_at,
    c.article_id                                       AS copy_id,
    ca.title                                           AS copy_title,
    c.outlet                                           AS copy_outlet,
    c.seen_or_published_at                             AS copy_at,
    c.duplicate_score                                  AS score,
    round(date_diff('second', coalesce(o.published_at, o.first_seen_at),
                    c.seen_or_published_at) / 3600.0, 2) AS lag_hours,
    o.url                                              AS original_url,
    ca.url                                             AS copy_url
FROM report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) c
JOIN articles o      ON o.article_id = c.duplicate_of
JOIN articles ca     ON ca.article_id = c.article_id
LEFT JOIN outlets oo ON oo.outlet_id = o.outlet_id;

CREATE OR REPLACE MACRO report_matches(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                            watch := NULL, src := 'article_overview') AS TABLE
SELECT
    m.watchlist,
    m.query,
    v.article_id,
    a.title,
    v.outlet,
    v.seen_or_published_at                             AS published_or_seen,
    v.story_id,
    v.duplicate_of,
    m.snippet,
    a.url
FROM watch_matches m
JOIN report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) v ON v.article_id = m.article_id
JOIN articles a ON a.article_id = m.article_id;
