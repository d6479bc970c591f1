"""Document counts for story term weights (``textanalysis.term_weights``): read a batch's
counts, write them back once the batch is weighed. Rows of a batch's keys are deleted and
inserted again (no UPDATE; see migration 008)."""

from __future__ import annotations

import duckdb
import numpy as np

from textanalysis.term_weights import BatchVocabulary, CorpusCounts


def _keys(words: BatchVocabulary, keep: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
    """The (language, term) columns of ``words``' keys (those selected by ``keep``)."""
    return {
        "language": np.array(words.languages, dtype=object)[words.key_language[keep]],
        "term": words.key_term[keep],
    }


def read(con: duckdb.DuckDBPyConnection, words: BatchVocabulary) -> CorpusCounts:
    """The counts of ``words``' keys and languages (zero where none yet)."""
    documents = np.zeros(len(words.key_term), dtype=np.int64)
    positions = np.arange(len(words.key_term), dtype=np.int64)
    con.register("batch_keys", {**_keys(words), "position": positions})
    try:
        found = con.execute(
            """SELECT k.position, d.documents FROM story_term_documents d
               JOIN batch_keys k ON k.language = d.language AND k.term = d.term"""
        ).fetchnumpy()
    finally:
        con.unregister("batch_keys")
    documents[found["position"].astype(np.int64)] = found["documents"]
    languages = dict(
        con.execute(
            "SELECT language, documents FROM story_language_documents "
            "WHERE list_contains($1, language)",
            [list(words.languages)],
        ).fetchall()
    )
    return CorpusCounts(documents, languages)


def write(
    con: duckdb.DuckDBPyConnection,
    words: BatchVocabulary,
    before: CorpusCounts,
    after: CorpusCounts,
) -> None:
    """Store ``after`` where it differs from ``before`` (keys whose count grew)."""
    grew = after.key_documents != before.key_documents
    if grew.any():
        con.register("batch_counts", {**_keys(words, grew), "documents": after.key_documents[grew]})
        try:
            con.execute(
                """DELETE FROM story_term_documents d USING batch_counts k
                   WHERE k.language = d.language AND k.term = d.term"""
            )
            con.execute(
                "INSERT INTO story_term_documents "
                "SELECT language, term, documents FROM batch_counts"
            )
        finally:
            con.unregister("batch_counts")
    languages = [
        x for x, n in after.language_documents.items() if n != before.language_documents.get(x, 0)
    ]
    if languages:
        con.execute(
            "DELETE FROM story_language_documents WHERE list_contains($1, language)", [languages]
        )
        con.executemany(
            "INSERT INTO story_language_documents VALUES (?, ?)",
            [(x, after.language_documents[x]) for x in languages],
        )
