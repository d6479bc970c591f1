-- Dates, outlets and provenance (issue 14).
--
-- article_dates: every date an article was given, with its source (extractors/dates.py):
-- 'manifest', 'feed_published', 'json_ld', 'article_published_time',
-- 'text', 'htmldate' and 'first_seen'. articles.published_at is the one the rule chose
-- (articles.published_source says which), 'distrusted' says why a date was set aside
-- ('future', 'decades_before_feed', 'imprecise'). Rows are replaced per article on load.
CREATE TABLE article_dates (
    article_id  VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    value       TIMESTAMPTZ NOT NULL,              -- a range's last day, a month's first
    earliest    TIMESTAMPTZ,                       -- a range's first day
    precision   VARCHAR NOT NULL,                  -- 'day', 'range', 'month' or 'year'
    distrusted  VARCHAR,                           -- NULL: trusted
    recorded_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE articles ADD COLUMN published_source VARCHAR;
-- Where the outlet came from: 'feed', 'manifest', 'site_name', 'text', 'domain'.
ALTER TABLE articles ADD COLUMN outlet_source VARCHAR;
-- The outlet as the source named it, before aliases (outlet_id is the canonical outlet).
ALTER TABLE articles ADD COLUMN given_outlet_id VARCHAR;
ALTER TABLE articles ADD COLUMN wire_credit VARCHAR;  -- the agency the text credits
ALTER TABLE articles ADD COLUMN wire_outlet_id VARCHAR;  -- that agency's canonical outlet
ALTER TABLE articles ADD COLUMN byline VARCHAR;
UPDATE articles SET given_outlet_id = outlet_id;

-- Share of voice: an optional weight per outlet (circulation, reach or tier).
ALTER TABLE outlets ADD COLUMN IF NOT EXISTS weight DOUBLE;

-- Other names of an outlet: "reuters-com" and "reuters-uk" -> "reuters". alias_id is the
-- slug of the alias (an outlets.outlet_id when articles were loaded under that name).
CREATE TABLE outlet_aliases (
    alias_id   VARCHAR NOT NULL,
    alias      VARCHAR NOT NULL,                   -- as the user wrote it
    outlet_id  VARCHAR NOT NULL,                   -- the canonical outlet
    created_at TIMESTAMPTZ NOT NULL
);

-- Each article with its provenance: the dateline place, wire credit and byline, and for
-- an article that credits an agency, the agency's own article in the same story when one
-- is loaded (the earliest, by published else first seen time).
CREATE VIEW article_provenance AS
WITH originals AS (
    SELECT a.article_id,
           min({'at': coalesce(o.published_at, o.first_seen_at), 'id': o.article_id}).id
               AS agency_original_id
    FROM articles a
    JOIN story_members am ON am.article_id = a.article_id
    JOIN story_members om ON om.story_id = am.story_id AND om.article_id <> a.article_id
    JOIN articles o       ON o.article_id = om.article_id AND o.outlet_id = a.wire_outlet_id
    WHERE a.wire_outlet_id IS NOT NULL
    GROUP BY a.article_id
)
SELECT a.article_id,
       a.dateline                    AS dateline_place,
       a.wire_credit,
       a.byline,
       r.agency_original_id
FROM articles a
LEFT JOIN originals r ON r.article_id = a.article_id;

-- Per story: its independent origins, the originals (articles that are not copies) counted
-- once per agency: every original crediting Reuters, and Reuters' own articles, are one
-- origin, and an original crediting nobody is an origin of its own.
CREATE VIEW story_origins AS
WITH agencies AS (
    SELECT DISTINCT wire_outlet_id AS outlet_id FROM articles WHERE wire_outlet_id IS NOT NULL
)
SELECT m.story_id,
       count(*)                                                       AS articles,
       count(DISTINCT coalesce(a.wire_outlet_id, g.outlet_id, a.article_id))
           FILTER (WHERE d.article_id IS NULL)                        AS independent_origins
FROM story_members m
JOIN articles a             ON a.article_id = m.article_id
LEFT JOIN duplicate_links d ON d.article_id = m.article_id
LEFT JOIN agencies g        ON g.outlet_id = a.outlet_id
GROUP BY m.story_id;
