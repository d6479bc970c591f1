-- Coverage summaries: what the unfiltered coverage report reads instead of aggregating
-- every article (warehouse/summaries.py maintains them at the end of each dedupe step,
-- recomputing only the stories, days and outlets whose articles changed).
--
-- The views coverage_by_story / _outlet / _day and the report_* macros still compute from
-- the core tables; these tables are derived data, trusted by the report only while their
-- recorded input checksums equal the core tables' (else the report computes live).

-- One row per article: the narrow facts every coverage figure derives from.
CREATE TABLE coverage_facts (
    article_id    VARCHAR NOT NULL,
    story_id      VARCHAR,
    outlet_id     VARCHAR,
    outlet        VARCHAR,                         -- the outlet's name
    published_at  TIMESTAMPTZ,
    first_seen_at TIMESTAMPTZ NOT NULL,
    canonical_id  VARCHAR,                         -- duplicate_links: this article copies it
    score         DOUBLE
);

-- coverage_facts with article_overview's column names (a `src` for the report_* macros).
CREATE VIEW coverage_facts_overview AS
SELECT
    f.article_id,
    f.outlet,
    f.published_at,
    f.first_seen_at,
    coalesce(f.published_at, f.first_seen_at)   AS seen_or_published_at,
    f.canonical_id                              AS duplicate_of,
    f.score                                     AS duplicate_score,
    f.story_id
FROM coverage_facts f;

-- report_stories' aggregate columns, per story (label and original's title joined on read).
CREATE TABLE coverage_story_summary (
    story_id          VARCHAR NOT NULL,
    first_seen        TIMESTAMPTZ,
    first_published   TIMESTAMPTZ,
    articles          BIGINT NOT NULL,
    distinct_articles BIGINT NOT NULL,
    copies            BIGINT NOT NULL,
    outlets           BIGINT NOT NULL,
    outlet_names      VARCHAR,
    last_seen         TIMESTAMPTZ,
    days_active       BIGINT NOT NULL,
    original_id       VARCHAR,
    copied_by         VARCHAR
);

-- report_timeline, per story and day.
CREATE TABLE coverage_story_days (
    story_id          VARCHAR NOT NULL,
    day               DATE NOT NULL,
    articles          BIGINT NOT NULL,
    distinct_articles BIGINT NOT NULL,
    copies            BIGINT NOT NULL,
    outlets           BIGINT NOT NULL
);

-- report_outlets, per outlet name ('(unknown)' for articles without one).
CREATE TABLE coverage_outlet_summary (
    outlet           VARCHAR NOT NULL,
    articles         BIGINT NOT NULL,
    originals        BIGINT NOT NULL,
    copies           BIGINT NOT NULL,
    stories          BIGINT NOT NULL,
    first_article    TIMESTAMPTZ,
    last_article     TIMESTAMPTZ,
    originals_copied BIGINT NOT NULL,
    times_copied     BIGINT NOT NULL
);

-- report_days, per day.
CREATE TABLE coverage_day_summary (
    day               DATE NOT NULL,
    articles          BIGINT NOT NULL,
    distinct_articles BIGINT NOT NULL,
    stories           BIGINT NOT NULL,
    outlets           BIGINT NOT NULL,
    copies            BIGINT NOT NULL
);

-- The keys of watch_matches (copied, so a refresh can tell which matches changed) and
-- report_mentions per watchlist and day (an article counts once per watchlist).
CREATE TABLE coverage_watch_facts (
    watchlist  VARCHAR NOT NULL,
    query      VARCHAR NOT NULL,
    article_id VARCHAR NOT NULL
);

CREATE TABLE coverage_watch_days (
    watchlist         VARCHAR NOT NULL,
    day               DATE NOT NULL,
    articles          BIGINT NOT NULL,
    distinct_articles BIGINT NOT NULL
);

-- When the summaries were refreshed and the checksums of the inputs they reflect.
CREATE TABLE coverage_summary_state (
    id            INTEGER NOT NULL,                -- always 1
    refreshed_at  TIMESTAMPTZ NOT NULL,
    articles_sum  UBIGINT NOT NULL,                -- bit_xor of row hashes, see summaries.py
    members_sum   UBIGINT NOT NULL,
    links_sum     UBIGINT NOT NULL,
    outlets_sum   UBIGINT NOT NULL,
    watch_sum     UBIGINT NOT NULL
);

-- report_stories picks the earliest original by (date, id): the same article whichever
-- way it is computed (arg_min alone breaks ties arbitrarily).
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
    names.copied_by
FROM agg
JOIN stories s            ON s.story_id = agg.story_id
LEFT JOIN names           ON names.story_id = agg.story_id
LEFT JOIN articles o      ON o.article_id = agg.original_id
LEFT JOIN outlets oo      ON oo.outlet_id = o.outlet_id;
