"""Pure text fingerprints for dedup and story grouping (no database here).

* Copy detection works on sentences: each evidence sentence (at least
  ``min_sentence_words`` words) becomes the set of its word n-gram hashes, so two texts
  are compared sentence by sentence ("is this sentence reproduced nearly verbatim over
  there?"). Each sentence also has an *anchor*, its smallest n-gram hash cut to 32 bits
  (a per-sentence min-hash): reproduced sentences share their anchor unless an edit hit
  that very n-gram, so anchors index candidates with one row per sentence.
  Hashes are stable across processes and machines: each token is hashed once with
  blake2b and n-grams combine token hashes polynomially (mod 2^64).
* Story grouping works on weighted terms. Here each article gets its candidate terms
  (``TermCounts``): counts, and how common each is in general language (wordfreq's
  frequencies in the article's language), so a story's names ("Haringey", "Laming") can
  weigh far more than words every article uses ("said", "report"); the weights
  themselves come from ``textanalysis.term_weights``, against the warehouse's document
  counts. Terms are stems where the language has them (``textanalysis.stems``); a stem is
  as common as its most common form in the article.
* Chinese and Japanese text is tokenised into overlapping character bigrams (for both
  fingerprints), as those languages write words without spaces.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np

from config.settings import DedupSettings, StorySettings
from textanalysis.folding import normalise
from textanalysis.language import UNDETERMINED, primary_subtag
from textanalysis.stems import STEMMED_LANGUAGES, stem

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
# The same sentence breaks, found faster: the end mark is consumed instead of looked behind
# (it is no word character, so each sentence keeps the same tokens).
_SENTENCE_BREAK = re.compile(r"[.!?][\"')\]]*\s+|\n+")
_TOKEN = re.compile(r"\w+", re.UNICODE)
# ASCII text is tokenised by str.translate + str.split (several times faster than the
# regular expression, same tokens): every ASCII character that \w does not match becomes
# a space, except NUL, which marks the sentence breaks.
_ASCII_NON_WORD = str.maketrans(
    {c: " " for c in range(1, 128) if not (chr(c).isalnum() or chr(c) == "_")}
)
# Chinese and Japanese write words without spaces, so ``\w+`` would take a whole clause as
# one token: their runs of ideographs and kana become overlapping character bigrams
# instead (the usual unit for indexing them without a dictionary).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_TOKEN_OR_CJK_RUN = re.compile(f"[{_CJK}]+|[^\\W{_CJK}]+")
_SHINGLE_BASE = np.uint64(1_000_003)
_EMPTY_U64 = np.empty(0, dtype=np.uint64)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


# Token hashes are cached in a plain dict (faster than lru_cache on the hot path); the
# cache is dropped when it grows past the limit, which bounds memory on endless streams.
_TOKEN_HASHES: dict[str, int] = {}
_TOKEN_CACHE_LIMIT = 2_000_000


def token_hash(token: str) -> int:
    value = _TOKEN_HASHES.get(token)
    if value is None:
        if len(_TOKEN_HASHES) >= _TOKEN_CACHE_LIMIT:
            _TOKEN_HASHES.clear()
        value = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        _TOKEN_HASHES[token] = value
    return value


# --- copy fingerprints --------------------------------------------------------------------


@dataclass(frozen=True)
class CopyFingerprint:
    """A text's evidence sentences as n-gram hashes, their anchors, and all its n-grams.

    ``flat`` holds every sentence's n-gram hashes one sentence after another, ``owner``
    the index of the sentence each belongs to, ``sizes`` the count per sentence.
    """

    flat: np.ndarray  # uint64
    owner: np.ndarray  # int32, sentence index per entry of ``flat``
    sizes: np.ndarray  # int64, n-grams per sentence
    anchors: np.ndarray  # int32, one per sentence (top 32 bits of its smallest n-gram)

    @property
    def sentence_count(self) -> int:
        return len(self.sizes)

    @cached_property
    def shingles(self) -> np.ndarray:
        """Sorted unique n-gram hashes (computed only for texts that get scored)."""
        return np.unique(self.flat)


_EMPTY_FINGERPRINT = CopyFingerprint(
    flat=_EMPTY_U64,
    owner=np.empty(0, dtype=np.int32),
    sizes=np.empty(0, dtype=np.int64),
    anchors=np.empty(0, dtype=np.int32),
)


def _cjk_tokens(text: str) -> list[str]:
    """``\\w+`` tokens, but runs of ideographs and kana as overlapping bigrams."""
    found: list[str] = []
    for token in _TOKEN_OR_CJK_RUN.findall(text):
        if _HAS_CJK.match(token) and len(token) > 2:
            found += [token[k : k + 2] for k in range(len(token) - 1)]
        else:
            found.append(token)
    return found


def _tokeniser(folded: str) -> Callable[[str], list[str]]:
    return _cjk_tokens if _HAS_CJK.search(folded) else _TOKEN.findall


def sentence_tokens(text: str) -> list[list[str]]:
    """The normalised tokens of each sentence (or line) of ``text``."""
    folded = normalise(text)
    if folded.isascii() and "\x00" not in folded:
        marked = _SENTENCE_BREAK.sub("\x00", folded).translate(_ASCII_NON_WORD)
        return [found for part in marked.split("\x00") if (found := part.split())]
    findall = _tokeniser(folded)
    return [found for part in _SENTENCE_BREAK.split(folded) if (found := findall(part))]


def word_tokens(text: str) -> list[str]:
    """The normalised tokens of ``text`` (``tokens``, with the ASCII fast path)."""
    folded = normalise(text)
    if folded.isascii():
        return folded.translate(_ASCII_NON_WORD).replace("\x00", " ").split()
    return _tokeniser(folded)(folded)


def copy_fingerprint(text: str, settings: DedupSettings) -> CopyFingerprint:
    return copy_fingerprints([text], settings)[0]


def copy_fingerprints(texts: list[str], settings: DedupSettings) -> list[CopyFingerprint]:
    """The copy fingerprint of each text, hashed in one pass (see ``analyse_batch``)."""
    floor = max(settings.min_sentence_words, settings.shingle_size)
    vocabulary = _VOCABULARY
    if len(vocabulary.words) >= _TOKEN_CACHE_LIMIT:
        vocabulary.reset()
    words: list[str] = []
    lengths: list[int] = []
    per_text: list[int] = []
    for text in texts:
        evidence = [found for found in sentence_tokens(text) if len(found) >= floor]
        for found in evidence:
            words += found
        lengths += map(len, evidence)
        per_text.append(len(evidence))
    ids = vocabulary.lookup(words)
    return _fingerprints(
        vocabulary.hashes[ids],
        np.array(lengths, dtype=np.int64),
        np.array(per_text, dtype=np.int64),
        settings.shingle_size,
    )


def _slices(values: np.ndarray, bounds: list[int]) -> list[np.ndarray]:
    """``np.split(values, bounds)`` without its per-piece overhead."""
    edges = [0, *bounds, len(values)]
    return [values[a:b] for a, b in pairwise(edges)]


def in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for an already sorted ``sorted_set``: a binary
    search per value, where ``np.isin`` sorts both arrays again on every call."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    positions = np.searchsorted(sorted_set, values)
    return sorted_set[np.minimum(positions, len(sorted_set) - 1)] == values


def reproduced(text: CopyFingerprint, other: CopyFingerprint, ratio: float) -> np.ndarray:
    """Per sentence of ``text``: is it reproduced in ``other`` (``ratio`` of its n-grams)?"""
    if not text.sentence_count:
        return np.zeros(0, dtype=bool)
    present = in_sorted(text.flat, other.shingles)
    hits = np.bincount(text.owner, weights=present, minlength=text.sentence_count)
    return hits >= ratio * text.sizes


@dataclass(frozen=True)
class Reproduction:
    """How much of a text is reproduced in another, and where.

    ``interior`` counts reproduced sentences that are not site furniture. Shared furniture
    (navigation, notices, related links, footers) sits at the ends of both pages: it is a
    run of reproduced sentences at the start or end of one text (before its first or after
    its last unreproduced sentence) that is reproduced by such an end run of the other text
    too. Every other reproduced sentence is interior. A copy's reproduced text is the body
    itself, inside both texts, or it covers nearly everything.
    """

    matched: int
    interior: int
    total: int

    @property
    def share(self) -> float:
        return self.matched / self.total if self.total else 0.0


def end_runs(flags: np.ndarray) -> np.ndarray:
    """Reproduced sentences before the first or after the last unreproduced one."""
    missing = np.flatnonzero(~flags)
    ends = np.ones(len(flags), dtype=bool)
    if len(missing):
        ends[missing[0] : missing[-1] + 1] = False
    return ends & flags


def _subset(fp: CopyFingerprint, keep: np.ndarray) -> CopyFingerprint:
    """``fp`` restricted to the sentences flagged in ``keep``."""
    if keep.all():
        return fp
    entry_keep = keep[fp.owner]
    renumber = np.cumsum(keep) - 1
    flat = fp.flat[entry_keep]
    return CopyFingerprint(
        flat=flat,
        owner=renumber[fp.owner[entry_keep]].astype(np.int32),
        sizes=fp.sizes[keep],
        anchors=fp.anchors[keep],
    )


def reproductions(
    a: CopyFingerprint, b: CopyFingerprint, ratio: float
) -> tuple[Reproduction, Reproduction]:
    """(a's sentences reproduced in b, b's in a), furniture runs told apart."""
    flags_a, flags_b = reproduced(a, b, ratio), reproduced(b, a, ratio)
    ends_a, ends_b = end_runs(flags_a), end_runs(flags_b)
    found = []
    for text, other, flags, ends, other_ends in (
        (a, b, flags_a, ends_a, ends_b),
        (b, a, flags_b, ends_b, ends_a),
    ):
        furniture = 0
        if ends.any() and other_ends.any():
            edge_text = _subset(text, ends)
            furniture = int(reproduced(edge_text, _subset(other, other_ends), ratio).sum())
        found.append((int(flags.sum()), furniture, len(flags)))
    # Evidence is counted one-to-one: two quoted sentences can "reproduce" several
    # near-identical sentences of the other text (repeated legal or list boilerplate), but
    # they are still two sentences of evidence.
    both = min(found[0][0], found[1][0])
    return tuple(  # type: ignore[return-value]
        Reproduction(min(m, both), min(m - f, both), n) for m, f, n in found
    )


def is_copy(found: Reproduction, settings: DedupSettings) -> bool:
    substantial = (
        found.interior >= settings.copy_min_sentences
        and found.interior >= settings.copy_min_share * found.total
    )
    nearly_all = found.share >= settings.nearly_all_share and found.matched >= 2
    return substantial or nearly_all


def copy_score(
    a: CopyFingerprint,
    b: CopyFingerprint,
    settings: DedupSettings,
    frequent_anchors: np.ndarray | None = None,
) -> float:
    """Share of reproduced sentences on the side that reproduces more; 0.0 if not a copy.

    Taking the better direction catches both a truncated copy (all of its sentences are in
    the original) and an expanded rewrite (the original's sentences are in the rewrite).
    Sentences whose anchor is in ``frequent_anchors`` (sorted; text repeated across many
    articles: furniture, boilerplate) are not evidence either way.
    """
    if frequent_anchors is not None and len(frequent_anchors):
        a = _subset(a, ~in_sorted(a.anchors, frequent_anchors))
        b = _subset(b, ~in_sorted(b.anchors, frequent_anchors))
    return max(
        (
            f.share
            for f in reproductions(a, b, settings.sentence_match_ratio)
            if is_copy(f, settings)
        ),
        default=0.0,
    )


# --- story terms -------------------------------------------------------------------------

# Rarity weight: wordfreq's Zipf scale runs from ~8 ("the") down to 0 (unseen). A word at
# Zipf 7 or above carries no topical signal; unseen words are capped like very rare ones.
_ZIPF_CEILING = 7.0
_UNSEEN_ZIPF = 1.0
_MIN_TERM_LENGTH = 3
_FREQUENCIES: dict[str, dict[str, float]] = {}


def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's whole word list for ``language`` (English when it has none), loaded once:
    a dict lookup per term instead of wordfreq's per-call tokenisation."""
    found = _FREQUENCIES.get(language)
    if found is None:
        # Imported here: wordfreq takes ~0.4 s to import, and query parsing (search,
        # watchlists) uses this module's tokens but never the frequencies.
        from wordfreq import get_frequency_dict

        try:
            found = get_frequency_dict(language)
        except LookupError:  # a language wordfreq does not know: use English statistics
            found = _frequencies("en") if language != "en" else {}
        _FREQUENCIES[language] = found
    return found


def statistics_language(language: str | None) -> str:
    """The language whose word statistics weigh an article's terms: its primary subtag;
    English for an undetermined or missing language (wordfreq falls back to it too)."""
    found = primary_subtag(language)
    return "en" if found is None or found == UNDETERMINED else found


def _compute_rarity(term: str, language: str) -> float:
    shortest = 2 if _HAS_CJK.match(term) else _MIN_TERM_LENGTH  # a bigram is a word there
    if len(term) < shortest or term.isdigit():
        return 0.0  # never a term
    frequency = _frequencies(language).get(term)
    zipf = math.log10(frequency) + 9.0 if frequency else 0.0
    return max(0.0, _ZIPF_CEILING - max(zipf, _UNSEEN_ZIPF))


# A document of this many tokens is assumed when a word's general-language frequency is
# turned into the share of documents that contain it (``TermCounts.presence``).
_DOCUMENT_TOKENS = 400


def _presence(rarities: np.ndarray) -> np.ndarray:
    """The share of general-language documents of ``_DOCUMENT_TOKENS`` tokens expected to
    contain a word of each rarity (its Zipf frequency is ``_ZIPF_CEILING - rarity``)."""
    per_token = 10.0 ** (_ZIPF_CEILING - rarities - 9.0)
    return -np.expm1(-per_token * _DOCUMENT_TOKENS)


@dataclass(frozen=True)
class Terms:
    """An article's story terms, heaviest first: ``term_id`` values and L2-normalised weights."""

    ids: np.ndarray  # int64
    weights: np.ndarray  # float64

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.ids.tolist(), self.weights.tolist(), strict=True))


@dataclass(frozen=True)
class TermCounts:
    """An article's candidate story terms before weighting (``textanalysis.term_weights``
    weighs them against the warehouse's document counts): ``term_id`` values, how often
    each occurs (the headline counted ``headline_repeats`` times) and ``presence``, the
    share of general-language documents expected to contain it (from wordfreq), which
    stands in for document counts the warehouse does not have yet. Ordered by
    log TF x rarity, heaviest first, at most ``candidate_terms``."""

    ids: np.ndarray  # int64
    counts: np.ndarray  # int64
    presence: np.ndarray  # float64, in (0, 1]


class _Vocabulary:
    """Tokens as small integer ids, with their hash and (per language) rarity in numpy
    arrays: one dict lookup per token, then vectorised gathers. Reset past the cache limit."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []
        self.hashes = np.empty(1 << 15, dtype=np.uint64)
        self.rarities: dict[str, np.ndarray] = {}
        self.stems: dict[str, np.ndarray] = {}

    def lookup(self, words: list[str]) -> np.ndarray:
        found = list(map(self.ids.get, words))
        if None in found:
            for k, value in enumerate(found):
                if value is None:
                    found[k] = self._add(words[k])
        return np.array(found, dtype=np.int64)

    def _add(self, word: str) -> int:
        known = self.ids.get(word)
        if known is not None:
            return known
        new_id = len(self.words)
        if new_id >= len(self.hashes):
            self.hashes = np.concatenate([self.hashes, np.empty_like(self.hashes)])
        self.hashes[new_id] = token_hash(word)
        self.ids[word] = new_id
        self.words.append(word)
        return new_id

    def rarity(self, ids: np.ndarray, language: str) -> np.ndarray:
        table = self.rarities.get(language)
        if table is None or len(table) < len(self.words):
            grown = np.full(max(len(self.hashes), 1), np.nan)
            if table is not None:
                grown[: len(table)] = table
            table = self.rarities[language] = grown
        values = table[ids]
        missing = np.isnan(values)
        if missing.any():
            for k in np.unique(ids[missing]).tolist():
                table[k] = _compute_rarity(self.words[k], language)
            values = table[ids]
        return values

    def stem(self, ids: np.ndarray, language: str) -> np.ndarray:
        """The vocabulary id of each word's stem in ``language`` (``textanalysis.stems``)."""
        table = self.stems.get(language)
        if table is None or len(table) < len(self.words):
            grown = np.full(max(len(self.hashes), 1), -1, dtype=np.int64)
            if table is not None:
                grown[: len(table)] = table
            table = self.stems[language] = grown
        values = table[ids]
        missing = values < 0
        if missing.any():
            for k in np.unique(ids[missing]).tolist():
                stem_id = self._add(stem(self.words[k], language))
                if stem_id >= len(table):  # the vocabulary grew past the table
                    table = self.stems[language] = np.concatenate(
                        [table, np.full(len(self.hashes) - len(table), -1, dtype=np.int64)]
                    )
                table[k] = stem_id
            values = table[ids]
        return values


_VOCABULARY = _Vocabulary()


Analysis = tuple[CopyFingerprint, TermCounts]
"""Both fingerprints of one article: its copy fingerprint and its candidate story terms."""

ArticleText = tuple[str | None, str, str | None]
"""What ``analyse_batch`` reads of an article: (title, body, language)."""


def analysis_key(article: ArticleText, dedup: DedupSettings, stories: StorySettings) -> bytes:
    """A digest of everything ``analyse`` depends on: an analysis computed elsewhere (by
    the extraction workers) is reused only for the same text under the same settings."""
    terms = (stories.headline_repeats, stories.candidate_terms)
    return hashlib.blake2b(repr((article, dedup, terms)).encode(), digest_size=16).digest()


def analyse_ahead(
    articles: list[ArticleText], dedup: DedupSettings, stories: StorySettings
) -> dict[bytes, Analysis]:
    """``analyse_batch`` keyed by ``analysis_key``, for ``analyse_or_reuse``."""
    analysed = analyse_batch(articles, dedup, stories)
    keys = (analysis_key(a, dedup, stories) for a in articles)
    return dict(zip(keys, analysed, strict=True))


def analyse_or_reuse(
    articles: list[ArticleText],
    dedup: DedupSettings,
    stories: StorySettings,
    ready: Mapping[bytes, Analysis],
) -> tuple[list[Analysis], int]:
    """``analyse_batch`` of ``articles``, taking each analysis found in ``ready`` (from
    ``analyse_ahead``) instead of computing it; returns the analyses and how many were
    taken from ``ready``."""
    found: list[Analysis | None] = [None] * len(articles)
    if ready:  # (no digests to compute when nothing was analysed ahead)
        found = [ready.get(analysis_key(a, dedup, stories)) for a in articles]
    missing = [k for k, f in enumerate(found) if f is None]
    computed = iter(analyse_batch([articles[k] for k in missing], dedup, stories))
    reused = len(articles) - len(missing)
    return [f if f is not None else next(computed) for f in found], reused


def analyse_batch(
    articles: list[ArticleText],
    dedup: DedupSettings,
    stories: StorySettings,
) -> list[Analysis]:
    """Both fingerprints of each (title, body, language) from one tokenisation: the copy
    fingerprint of the body (as ``copy_fingerprint`` gives it), and the candidate story
    terms (``TermCounts``; ties: smaller term id first) of the headline (counted
    ``headline_repeats`` times: it names the event) and the body.

    The whole batch goes through numpy at once (one vocabulary lookup, one rolling hash,
    one sort for the term counts): per-article numpy calls cost more than the arithmetic.
    """
    if not articles:
        return []
    vocabulary = _VOCABULARY
    if len(vocabulary.words) >= _TOKEN_CACHE_LIMIT:
        vocabulary.reset()
    floor = max(dedup.min_sentence_words, dedup.shingle_size)
    words: list[str] = []
    heads: list[int] = []  # headline tokens (counted ``headline_repeats`` times) per article
    lengths: list[int] = []  # body sentence lengths, all articles one after another
    sentence_counts: list[int] = []
    for title, body, _language in articles:
        headline = word_tokens(title) if title else []
        sentences = sentence_tokens(body)
        words += headline * stories.headline_repeats
        for found in sentences:
            words += found
        heads.append(stories.headline_repeats * len(headline))
        lengths += map(len, sentences)
        sentence_counts.append(len(sentences))
    ids = vocabulary.lookup(words)
    n = len(articles)
    head = np.array(heads, dtype=np.int64)
    sentence_length = np.array(lengths, dtype=np.int64)
    sentence_article = np.repeat(np.arange(n), sentence_counts)
    body_tokens = np.bincount(sentence_article, weights=sentence_length, minlength=n).astype(
        np.int64
    )
    article_tokens = head + body_tokens
    article_start = np.cumsum(article_tokens) - article_tokens
    token_article = np.repeat(np.arange(n), article_tokens)
    # Copy fingerprints: evidence sentences of every body, hashed in one pass.
    token_in_head = np.arange(len(ids)) - article_start[token_article] < head[token_article]
    evidence = sentence_length >= floor
    body_ids = ids[~token_in_head]
    fingerprints = _fingerprints(
        vocabulary.hashes[body_ids[np.repeat(evidence, sentence_length)]],
        sentence_length[evidence],
        np.bincount(sentence_article[evidence], minlength=n),
        dedup.shingle_size,
    )
    # Story terms: counts per (article, token), rarity, candidate_terms heaviest per article.
    key = (token_article.astype(np.int64) << 32) | ids
    unique, counts = np.unique(key, return_counts=True)
    owner = (unique >> 32).astype(np.int64)
    token = unique & 0xFFFFFFFF
    languages = [statistics_language(language) for _t, _b, language in articles]
    rarities = np.empty(len(token), dtype=np.float64)
    stems = token.copy()
    for lang in set(languages):
        rows = (
            slice(None)
            if len(set(languages)) == 1
            else np.isin(owner, [k for k, x in enumerate(languages) if x == lang])
        )
        rarities[rows] = vocabulary.rarity(token[rows], lang)
        if lang in STEMMED_LANGUAGES:
            stems[rows] = vocabulary.stem(token[rows], lang)
    keep = rarities > 0
    owner, token, counts, rarities = owner[keep], stems[keep], counts[keep], rarities[keep]
    if set(languages) & STEMMED_LANGUAGES:  # forms of one stem: counts add, rarity lowest
        unique, inverse = np.unique((owner << 32) | token, return_inverse=True)
        counts = np.bincount(inverse, weights=counts).astype(np.int64)
        lowest = np.full(len(unique), np.inf)
        np.minimum.at(lowest, inverse, rarities)
        owner, token, rarities = unique >> 32, unique & 0xFFFFFFFF, lowest
    weights = (np.log(counts) + 1.0) * rarities
    term_ids = vocabulary.hashes[token].view(np.int64)
    order = np.lexsort((term_ids, -weights, owner))
    owner, counts, rarities, term_ids = (
        owner[order],
        counts[order],
        rarities[order],
        term_ids[order],
    )
    per_article = np.bincount(owner, minlength=n)
    first = np.cumsum(per_article) - per_article
    top = np.arange(len(owner)) - first[owner] < stories.candidate_terms
    owner, counts, rarities, term_ids = owner[top], counts[top], rarities[top], term_ids[top]
    presence = _presence(rarities)
    bounds = np.cumsum(np.bincount(owner, minlength=n))[:-1].tolist()
    terms = [
        TermCounts(t, c, p)
        for t, c, p in zip(
            _slices(term_ids, bounds),
            _slices(counts.astype(np.int64), bounds),
            _slices(presence, bounds),
            strict=True,
        )
    ]
    return list(zip(fingerprints, terms, strict=True))


def _fingerprints(
    hashes: np.ndarray, lengths: np.ndarray, per_article: np.ndarray, size: int
) -> list[CopyFingerprint]:
    """``_fingerprint`` of several texts at once: ``lengths`` are the evidence sentences of
    all texts one after another, ``per_article`` how many belong to each text."""
    if not len(lengths):
        return [_EMPTY_FINGERPRINT] * len(per_article)
    count = len(hashes) - size + 1
    combined = np.zeros(max(count, 0), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined = combined * _SHINGLE_BASE + hashes[offset : offset + count]
    sentence_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keep = sentence_of[:count] == sentence_of[size - 1 :]
    flat = combined[keep]
    owner = sentence_of[:count][keep]
    sizes = lengths - size + 1
    offsets = np.cumsum(sizes) - sizes
    anchors = (np.minimum.reduceat(flat, offsets) >> np.uint64(32)).astype(np.uint32)
    anchors = anchors.view(np.int32)
    first_sentence = np.cumsum(per_article) - per_article
    sentence_bounds = np.cumsum(per_article)[:-1].tolist()
    entry_bounds = np.searchsorted(owner, first_sentence[1:]).tolist()
    local_owner = (
        owner - first_sentence[np.repeat(np.arange(len(per_article)), per_article)][owner]
    ).astype(np.int32)
    result = []
    for f, o, s, a in zip(
        _slices(flat, entry_bounds),
        _slices(local_owner, entry_bounds),
        _slices(sizes, sentence_bounds),
        _slices(anchors, sentence_bounds),
        strict=True,
    ):
        result.append(CopyFingerprint(f, o, s, a) if len(s) else _EMPTY_FINGERPRINT)
    return result


def term_id(term: str) -> int:
    """A term's signed 64-bit id in the story index."""
    value = token_hash(term)
    return value - (1 << 64) if value >= 1 << 63 else value


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())
