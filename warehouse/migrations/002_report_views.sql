-- Report views: plain SQL over the core tables, queryable from the duckdb CLI.

CREATE VIEW article_overview AS
SELECT
    a.article_id,
    a.source_ref,
    a.url,
    a.title,
    o.name                                   AS outlet,
    a.author,
    a.published_at,
    a.first_seen_at,
    coalesce(a.published_at, a.first_seen_at) AS seen_or_published_at,
    d.canonical_id                           AS duplicate_of,
    d.score                                  AS duplicate_score,
    m.story_id,
    a.language,
    a.extraction_method,
    a.body_text
FROM articles a
LEFT JOIN outlets o         ON o.outlet_id = a.outlet_id
LEFT JOIN duplicate_links d ON d.article_id = a.article_id
LEFT JOIN story_members m   ON m.article_id = a.article_id;

CREATE VIEW coverage_by_story AS
SELECT
    s.story_id,
    s.label,
    min(v.first_seen_at)                               AS first_seen,
    min(v.published_at)                                AS first_published,
    count(*)                                           AS articles,
    count(*) FILTER (WHERE v.duplicate_of IS NULL)     AS distinct_articles,
    count(*) FILTER (WHERE v.duplicate_of IS NOT NULL) AS copies,
    count(DISTINCT v.outlet)                           AS outlets,
    string_agg(DISTINCT v.outlet, ', ' ORDER BY v.outlet) AS outlet_names
FROM stories s
JOIN article_overview v ON v.story_id = s.story_id
GROUP BY s.story_id, s.label;

CREATE VIEW coverage_by_outlet AS
SELECT
    coalesce(v.outlet, '(unknown)')                    AS outlet,
    count(*)                                           AS articles,
    count(*) FILTER (WHERE v.duplicate_of IS NULL)     AS originals,
    count(*) FILTER (WHERE v.duplicate_of IS NOT NULL) AS copies,
    count(DISTINCT v.story_id)                         AS stories,
    min(v.seen_or_published_at)                        AS first_article,
    max(v.seen_or_published_at)                        AS last_article
FROM article_overview v
GROUP BY 1;

CREATE VIEW coverage_by_day AS
SELECT
    CAST(v.seen_or_published_at AS DATE)               AS day,
    count(*)                                           AS articles,
    count(*) FILTER (WHERE v.duplicate_of IS NULL)     AS distinct_articles,
    count(DISTINCT v.story_id)                         AS stories,
    count(DISTINCT v.outlet)                           AS outlets
FROM article_overview v
GROUP BY 1;
