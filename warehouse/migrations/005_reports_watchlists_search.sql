-- Coverage reports with filters, watchlists (matched at load time) and the search index state.
--
-- Filtered reports are table macros over article_overview; every filter defaults to NULL
-- (no filter), so `FROM report_stories()` is the whole warehouse and, e.g.,
--   FROM report_stories(since := DATE '2009-02-01', outlet_name := 'Reuters', watch := 'laming')
-- narrows it. The CLI, the HTML report and the Prefect artifact all read these macros.
-- Columns of report_stories / report_outlets / report_days start with those of the views
-- coverage_by_story / coverage_by_outlet / coverage_by_day (002, 004) and add more.

-- Watchlists: named sets of boolean queries (see textanalysis/query.py for the syntax).
CREATE TABLE watchlists (
    name        VARCHAR PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE watch_queries (
    watchlist   VARCHAR NOT NULL,
    query       VARCHAR NOT NULL,                  -- as the user wrote it
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (watchlist, query)
);

-- One row per (watchlist, query, article) match, written when the article is loaded (and
-- for every loaded article when a query is added). No key: rows are replaced per article.
CREATE TABLE watch_matches (
    watchlist   VARCHAR NOT NULL,
    query       VARCHAR NOT NULL,
    article_id  VARCHAR NOT NULL,
    snippet     VARCHAR,                           -- text around the first match
    matched_at  TIMESTAMPTZ NOT NULL
);

-- The full-text index (schema fts_main_articles, built by the fts extension) is a snapshot:
-- articles updated after `watermark` are searched directly until the next rebuild.
CREATE TABLE search_index_state (
    id            INTEGER PRIMARY KEY,             -- always 1
    built_at      TIMESTAMPTZ NOT NULL,
    watermark     TIMESTAMPTZ,                     -- max(articles.updated_at) when built
    articles      BIGINT NOT NULL,
    build_seconds DOUBLE NOT NULL
);

CREATE MACRO report_articles(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
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
           OR s.label ILIKE '%' || CAST(story AS VARCHAR) || '%'))
  AND (watch IS NULL OR v.article_id IN (
        SELECT w.article_id FROM watch_matches w WHERE w.watchlist = CAST(watch AS VARCHAR)));

-- Per story: the coverage_by_story columns, then when coverage ended, how many days it
-- ran, its original (earliest non-copy article) and the outlets that ran copies.
-- (Outlet names are aggregated per (story, outlet) first: far cheaper than DISTINCT.)
CREATE MACRO report_stories(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                            watch := NULL, src := 'article_overview') AS TABLE
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
        arg_min(article_id, seen_or_published_at)
            FILTER (WHERE duplicate_of IS NULL)                AS original_id
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

-- Per outlet: the coverage_by_outlet columns (002 and 004's syndication counts).
CREATE MACRO report_outlets(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                            watch := NULL, src := 'article_overview') AS TABLE
WITH copied AS (
    SELECT canonical_id, count(*) AS copies FROM duplicate_links GROUP BY canonical_id
)
SELECT
    coalesce(v.outlet, '(unknown)')                    AS outlet,
    count(*)                                           AS articles,
    count(*) FILTER (WHERE v.duplicate_of IS NULL)     AS originals,
    count(*) FILTER (WHERE v.duplicate_of IS NOT NULL) AS copies,
    count(DISTINCT v.story_id)                         AS stories,
    min(v.seen_or_published_at)                        AS first_article,
    max(v.seen_or_published_at)                        AS last_article,
    count(k.canonical_id)                              AS originals_copied,
    coalesce(sum(k.copies), 0)                         AS times_copied
FROM report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) v
LEFT JOIN copied k ON k.canonical_id = v.article_id
GROUP BY 1;

-- Per day: the coverage_by_day columns, then copies.
CREATE MACRO report_days(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                         watch := NULL, src := 'article_overview') AS TABLE
SELECT
    CAST(v.seen_or_published_at AS DATE)               AS day,
    count(*)                                           AS articles,
    count(*) FILTER (WHERE v.duplicate_of IS NULL)     AS distinct_articles,
    count(DISTINCT v.story_id)                         AS stories,
    count(DISTINCT v.outlet)                           AS outlets,
    count(*) FILTER (WHERE v.duplicate_of IS NOT NULL) AS copies
FROM report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) v
GROUP BY 1;

-- Per story and day: how the story spread.
CREATE MACRO report_timeline(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                             watch := NULL, src := 'article_overview') AS TABLE
SELECT
    v.story_id,
    CAST(v.seen_or_published_at AS DATE)               AS day,
    count(*)                                           AS articles,
    count(*) FILTER (WHERE v.duplicate_of IS NULL)     AS distinct_articles,
    count(*) FILTER (WHERE v.duplicate_of IS NOT NULL) AS copies,
    count(DISTINCT v.outlet)                           AS outlets
FROM report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) v
WHERE v.story_id IS NOT NULL
GROUP BY 1, 2;

-- Every copy (in the filtered set) with its original: where and how soon it was copied.
CREATE MACRO report_copies(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
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
                    c.seen_or_published_at) / 3600.0, 2) AS lag_hours
FROM report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) c
JOIN articles o      ON o.article_id = c.duplicate_of
JOIN articles ca     ON ca.article_id = c.article_id
LEFT JOIN outlets oo ON oo.outlet_id = o.outlet_id;

-- Watchlist mentions per day (articles matching any of the watchlist's queries).
CREATE MACRO report_mentions(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
                             watch := NULL, src := 'article_overview') AS TABLE
SELECT
    m.watchlist,
    CAST(v.seen_or_published_at AS DATE)               AS day,
    count(DISTINCT m.article_id)                       AS articles,
    count(DISTINCT m.article_id) FILTER (WHERE v.duplicate_of IS NULL) AS distinct_articles
FROM watch_matches m
JOIN report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) v ON v.article_id = m.article_id
GROUP BY 1, 2;

-- Every watchlist match with the article's title, outlet, date, story and snippet.
CREATE MACRO report_matches(since := NULL, until := NULL, outlet_name := NULL, story := NULL,
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
    m.snippet
FROM watch_matches m
JOIN report_articles(since := since, until := until, outlet_name := outlet_name,
                     story := story, watch := watch, src := src) v ON v.article_id = m.article_id
JOIN articles a ON a.article_id = m.article_id;

-- Unfiltered views of the new reports, for the duckdb CLI.
CREATE VIEW story_timeline AS SELECT * FROM report_timeline();
CREATE VIEW watch_mentions_by_day AS SELECT * FROM report_mentions();
CREATE VIEW watch_match_overview AS SELECT * FROM report_matches();
