-- The tables the dedupe step maintains (stories, story_members, duplicate_links) lose
-- their PRIMARY KEY constraints, and a story records which article its label comes from.
--
-- Why: DuckDB rewrites a table's key index at every checkpoint that follows a change to
-- the table, a cost that grows with the table (0.05-0.25 s per table at 1M articles, paid
-- for every 1,000 articles deduplicated). The dedupe code keeps these keys unique itself
-- (a DuckLake table has no constraints either, and the same code runs there): it deletes
-- an article's rows before writing them again, in one transaction. It also rewrites rows
-- as delete + insert rather than UPDATE: a deleted row is a mark in a deletion vector,
-- an updated text column rewrites its whole column segment at the next checkpoint.
--
-- label_article_id / label_at: the story's earliest original (non-copy) article with a
-- headline, whose headline is the label, and its published (else first seen) time. A new
-- batch then relabels a story by comparing its own articles with that one, without
-- reading the story's other members.

CREATE TABLE stories_v8 (
    story_id         VARCHAR NOT NULL,
    label            VARCHAR NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    label_article_id VARCHAR,                       -- NULL: no original with a headline
    label_at         TIMESTAMPTZ
);

INSERT INTO stories_v8
SELECT s.story_id, coalesce(l.label, s.label), s.created_at, s.updated_at,
       l.article_id, l.at
FROM stories s
LEFT JOIN (
    SELECT m.story_id,
           arg_min(a.title, (coalesce(a.published_at, a.first_seen_at), a.article_id)) AS label,
           arg_min(a.article_id, (coalesce(a.published_at, a.first_seen_at), a.article_id))
               AS article_id,
           min(coalesce(a.published_at, a.first_seen_at)) AS at
    FROM story_members m
    JOIN articles a ON a.article_id = m.article_id
    LEFT JOIN duplicate_links d ON d.article_id = m.article_id
    WHERE d.article_id IS NULL AND a.title IS NOT NULL
    GROUP BY m.story_id
) l ON l.story_id = s.story_id;

DROP TABLE stories;
ALTER TABLE stories_v8 RENAME TO stories;

CREATE TABLE story_members_v8 (
    article_id  VARCHAR NOT NULL,
    story_id    VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,                   -- similarity that placed it (1.0 for a story's founder)
    assigned_at TIMESTAMPTZ NOT NULL
);
INSERT INTO story_members_v8 SELECT * FROM story_members;
DROP TABLE story_members;
ALTER TABLE story_members_v8 RENAME TO story_members;

CREATE TABLE duplicate_links_v8 (
    article_id   VARCHAR NOT NULL,                 -- the copy
    canonical_id VARCHAR NOT NULL,                 -- the earliest article it reproduces
    score        DOUBLE NOT NULL,
    method       VARCHAR NOT NULL,
    linked_at    TIMESTAMPTZ NOT NULL
);
INSERT INTO duplicate_links_v8 SELECT * FROM duplicate_links;
DROP TABLE duplicate_links;
ALTER TABLE duplicate_links_v8 RENAME TO duplicate_links;
