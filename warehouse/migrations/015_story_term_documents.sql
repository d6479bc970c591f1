-- Story term weights (textanalysis/term_weights.py) weigh a term by how many of the
-- warehouse's articles of one language carry it. These two tables hold those counts,
-- updated in the dedupe step as articles are first deduplicated (warehouse/term_documents.py).
-- A term is counted among an article's candidate story terms (its heaviest by log TF x
-- wordfreq rarity). No primary keys: the writer deletes a batch's rows before writing
-- them again, as for the dedupe tables (see 008).
-- Articles grouped before this migration keep their stories; `presswatch dedupe --rebuild`
-- regroups them with the new weights.
CREATE TABLE story_term_documents (
    language   VARCHAR NOT NULL,   -- the statistics language (ISO 639-1; 'en' for und)
    term       BIGINT NOT NULL,    -- term id, as in article_terms
    documents  BIGINT NOT NULL     -- articles of the language carrying the term
);

CREATE TABLE story_language_documents (
    language   VARCHAR NOT NULL,
    documents  BIGINT NOT NULL     -- articles of the language counted
);

-- label_language: the primary language subtag of the story's label article ('und' when it
-- has none or no label article). A story is labelled in its dominant language
-- (warehouse/stories.py relabel); a batch that adds a member in another language than the
-- label's recomputes the label from all members, and this column tells it so without
-- reading the label's article.
ALTER TABLE stories ADD COLUMN label_language VARCHAR;
UPDATE stories SET label_language = coalesce((
    SELECT lower(split_part(replace(coalesce(a.language, 'und'), '_', '-'), '-', 1))
    FROM articles a WHERE a.article_id = stories.label_article_id), 'und');
