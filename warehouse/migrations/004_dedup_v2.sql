-- Dedup v2: compact integer-keyed indexes for incremental copy detection and story
-- grouping at scale, the syndication report, and per-outlet syndication counts.
--
-- The v1 indexes (sampled shingles and term strings keyed by article id) are replaced;
-- links and stories are derived data, so they are cleared and every article is marked
-- pending: the next ingestion run (or `presswatch dedupe --rebuild`) recomputes them.

DROP TABLE shingle_index;
DROP TABLE article_terms;

-- One row per deduplicated article: its integer key in the indexes below (allocated in
-- chronological order within each batch) and its chronology (canonical = smallest).
CREATE TABLE dedup_index (
    article_id    VARCHAR NOT NULL,
    seq           INTEGER NOT NULL,
    sort_ts       TIMESTAMPTZ NOT NULL,            -- published, else first seen
    first_seen_at TIMESTAMPTZ NOT NULL,
    day           DATE NOT NULL,
    sentences     INTEGER NOT NULL                 -- evidence sentences fingerprinted
);

-- Copy candidates: one anchor (the sentence's smallest 4-gram hash, top 32 bits) per
-- evidence sentence; rows are appended in seq order.
CREATE TABLE shingle_index (
    anchor INTEGER NOT NULL,
    seq    INTEGER NOT NULL
);

-- Anchors seen in more articles than DedupSettings.anchor_max_df: boilerplate, ignored.
CREATE TABLE frequent_anchors (
    anchor   INTEGER PRIMARY KEY,
    articles INTEGER NOT NULL
);

-- Story candidates: each article's heaviest terms (64-bit term hash), L2-normalised, so a
-- join's sum of products is a cosine; rows are appended in seq (roughly day) order.
CREATE TABLE article_terms (
    term   BIGINT NOT NULL,
    seq    INTEGER NOT NULL,
    weight FLOAT NOT NULL,
    day    DATE NOT NULL,
    heavy  BOOLEAN NOT NULL                        -- among the article's retrieval terms
);

-- Key/value state of the dedup indexes (e.g. the settings the last rebuild used).
CREATE TABLE dedup_state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

DELETE FROM duplicate_links;
DELETE FROM story_members;
DELETE FROM stories;
UPDATE articles SET dedupe_pending = true;

-- Per story, each copy with its original: outlets, score and how long after it ran.
CREATE VIEW syndication AS
SELECT
    m.story_id,
    s.label                                            AS story_label,
    d.canonical_id                                     AS original_id,
    o.title                                            AS original_title,
    oo.name                                            AS original_outlet,
    coalesce(o.published_at, o.first_seen_at)          AS original_at,
    d.article_id                                       AS copy_id,
    c.title                                            AS copy_title,
    co.name                                            AS copy_outlet,
    coalesce(c.published_at, c.first_seen_at)          AS copy_at,
    d.score,
    d.method,
    round(date_diff('second', coalesce(o.published_at, o.first_seen_at),
                    coalesce(c.published_at, c.first_seen_at)) / 3600.0, 2) AS lag_hours
FROM duplicate_links d
JOIN articles c        ON c.article_id = d.article_id
JOIN articles o        ON o.article_id = d.canonical_id
LEFT JOIN outlets co   ON co.outlet_id = c.outlet_id
LEFT JOIN outlets oo   ON oo.outlet_id = o.outlet_id
LEFT JOIN story_members m ON m.article_id = d.canonical_id
LEFT JOIN stories s    ON s.story_id = m.story_id;

-- coverage_by_outlet, same columns plus how often the outlet's originals were copied.
CREATE OR REPLACE VIEW coverage_by_outlet AS
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
FROM article_overview v
LEFT JOIN copied k ON k.canonical_id = v.article_id
GROUP BY 1;
