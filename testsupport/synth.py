"""Real articles (the WCXB corpus) and the transformations syndication applies to them.

Used by the dedup benchmarks and by the tests: pure functions of text and a seeded
``random.Random``, no database. Each transformation mirrors something republished copies
really show (see ``COPY_TRANSFORMS``); ``SiteTemplate`` wraps a body in a site's furniture
built from real furniture strings the corpus annotators removed from pages.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
WCXB = Path(
    os.environ.get("WCXB_CORPUS", REPO.parent / "shared" / "corpora" / "wcxb-articles-dev" / "dev")
)

_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]\u201d\u2019]*\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    """One corpus article: its ground-truth text split into paragraphs, and metadata."""

    file_id: str
    domain: str
    title: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]
    furniture: tuple[str, ...]  # strings annotators marked as not main content

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@cache
def load_pages(corpus: Path = WCXB) -> tuple[Page, ...]:
    folder = corpus / "ground-truth"
    if not folder.exists():
        raise SystemExit(f"WCXB corpus not found at {corpus} (set WCXB_CORPUS)")
    pages = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        truth = record.get("ground_truth", {})
        text = truth.get("main_content") or ""
        paragraphs = tuple(p.strip() for p in text.split("\n\n") if p.strip())
        if not paragraphs or not truth.get("title"):
            continue
        page_type = record.get("_internal", {}).get("page_type")
        tags = tuple(page_type.get("tags") or ()) if isinstance(page_type, dict) else ()
        pages.append(
            Page(
                file_id=record.get("file_id", path.stem),
                domain=urlparse(record.get("url") or "").netloc or "unknown",
                title=" ".join(truth["title"].split()),
                paragraphs=paragraphs,
                tags=tuple(t.lower() for t in tags if t not in ("verified", "pool-import")),
                furniture=tuple(s for s in truth.get("without") or () if isinstance(s, str)),
            )
        )
    return tuple(pages)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def words(text: str) -> int:
    return len(_WORD.findall(text))


def evidence_sentences(text: str, min_words: int = 6) -> int:
    """Sentences long enough to count as evidence (the same floor the dedup uses)."""
    return sum(1 for p in text.split("\n\n") for s in sentences(p) if words(s) >= min_words)


def news_length(page: Page, rng: random.Random, low: int = 300, high: int = 900) -> list[str]:
    """The page's leading paragraphs up to a news-article length drawn from [low, high] words.

    WCXB pages are long guides (median ~85 sentences); news articles are 15-40 sentences,
    and shorter texts make furniture and shared quotes a larger, harder share.
    """
    target = rng.randint(low, high)
    kept, count = [], 0
    for paragraph in page.paragraphs:
        kept.append(paragraph)
        count += words(paragraph)
        if count >= target:
            break
    return kept


# --- furniture -----------------------------------------------------------------------------

_NAV = ("Home", "News", "World", "Business", "Sport", "Opinion", "Culture", "Tech", "Science")
_OUTLET_A = ("Daily", "Evening", "Morning", "Weekly", "National", "Metro", "Coastal", "Valley")
_OUTLET_B = ("Courier", "Herald", "Gazette", "Ledger", "Tribune", "Post", "Chronicle", "Record")


def outlet_name(rng: random.Random) -> str:
    return f"The {rng.choice(_OUTLET_A)} {rng.choice(_OUTLET_B)} {rng.randint(1, 999)}"


@dataclass(frozen=True)
class SiteTemplate:
    """A site's furniture: navigation and notices above the body, related links and footer
    below. Built from real furniture strings (WCXB ``without``) plus related headlines."""

    name: str
    header: tuple[str, ...]
    footer: tuple[str, ...]

    def wrap(self, paragraphs: Sequence[str]) -> list[str]:
        return [*self.header, *paragraphs, *self.footer]


def site_template(
    rng: random.Random, furniture_pages: Sequence[Page], headline_pages: Sequence[Page]
) -> SiteTemplate:
    name = outlet_name(rng)
    real = [s for p in furniture_pages for s in p.furniture]
    header = [" | ".join(rng.sample(_NAV, 6)), *real[: len(real) // 2]]
    footer = [
        *real[len(real) // 2 :],
        f"More from {name}",
        *(p.title for p in headline_pages),
        f"Sign up for the {name} newsletter to get the day's top stories in your inbox.",
        f"Copyright {rng.randint(2019, 2025)} {name}. All rights reserved. "
        "Use of this site constitutes acceptance of our terms of use and privacy policy.",
    ]
    return SiteTemplate(name, tuple(header), tuple(footer))


# --- copy transformations ------------------------------------------------------------------


@dataclass
class Context:
    """What transformations may draw on: other articles' sentences and headlines."""

    rng: random.Random
    pool_sentences: list[str]  # sentences of articles never loaded (a rewriter's new material)
    other_titles: list[str]
    furniture_pages: list[Page]
    vocabulary: list[str] = field(default_factory=list)


@dataclass
class Draft:
    title: str
    paragraphs: list[str]


_PREFIXES = ("Explained:", "Analysis:", "What to know:", "Update:", "Watch:", "In depth:")
_FIRST = ("Maria", "James", "Aisha", "Tom", "Priya", "Lena", "Kwame", "Sofia", "Daniel")
_LAST = ("Okafor", "Smith", "Haddad", "Novak", "Fischer", "Tanaka", "Moreau", "Reyes")
_CITY = ("LONDON", "NEW YORK", "PARIS", "NAIROBI", "SYDNEY", "TORONTO", "BERLIN", "MUMBAI")
_AGENCY = ("Reuters", "AP", "AFP", "PA", "Bloomberg", "dpa")
_MONTH = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct")


def new_headline(d: Draft, c: Context) -> Draft:
    words_ = d.title.split()
    if len(words_) > 4:
        del words_[c.rng.randrange(len(words_))]
    head = words_[: max(2, len(words_) // 3)]
    c.rng.shuffle(head)
    words_[: len(head)] = head
    title = f"{c.rng.choice(_PREFIXES)} {' '.join(words_)}"
    return Draft(title, d.paragraphs)


def byline_dateline(d: Draft, c: Context) -> Draft:
    byline = f"By {c.rng.choice(_FIRST)} {c.rng.choice(_LAST)}, {c.rng.choice(_AGENCY)}"
    dateline = (
        f"{c.rng.choice(_CITY)}, {c.rng.choice(_MONTH)} {c.rng.randint(1, 28)} "
        f"({c.rng.choice(_AGENCY)}) - "
    )
    return Draft(d.title, [byline, dateline + d.paragraphs[0], *d.paragraphs[1:]])


def rewrite(d: Draft, c: Context) -> Draft:
    """Keep a third to a half of the sentences, in order, among new material."""
    original = [s for p in d.paragraphs for s in sentences(p)]
    share = c.rng.uniform(1 / 3, 1 / 2)
    # The share applies to prose sentences; fragments ("Language: Spanish") go along with
    # the same probability.
    prose = [i for i, s in enumerate(original) if words(s) >= 6]
    keep = set(c.rng.sample(prose, max(1, round(share * len(prose)))))
    keep |= {i for i, s in enumerate(original) if words(s) < 6 and c.rng.random() < share}
    kept = [original[i] for i in sorted(keep)]
    fresh = c.rng.sample(c.pool_sentences, round(len(kept) * c.rng.uniform(0.6, 1.5)))
    merged: list[str] = []
    while kept or fresh:
        source = kept if kept and (not fresh or c.rng.random() < 0.5) else fresh
        merged.append(source.pop(0))
    paragraphs, i = [], 0
    while i < len(merged):
        size = c.rng.randint(1, 4)
        paragraphs.append(" ".join(merged[i : i + size]))
        i += size
    return Draft(d.title, paragraphs)


def originally_appeared(d: Draft, c: Context) -> Draft:
    outlet = outlet_name(c.rng)
    footer = c.rng.choice(
        (
            f"This article originally appeared on {outlet}.",
            f"This story was originally published by {outlet} and is republished with permission.",
            f"A version of this article first appeared in {outlet}. Read the original here.",
        )
    )
    return Draft(d.title, [*d.paragraphs, footer])


def truncated(d: Draft, c: Context) -> Draft:
    drop = c.rng.randint(1, min(3, max(1, len(d.paragraphs) // 3)))
    return Draft(d.title, d.paragraphs[:-drop])


def word_edits(d: Draft, c: Context, low: float = 0.01, high: float = 0.05) -> Draft:
    """Edit 1-5% of the words: substitutions, deletions, insertions, changed inflections."""
    paragraphs = [p.split(" ") for p in d.paragraphs]
    positions = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p))]
    edits = max(1, round(len(positions) * c.rng.uniform(low, high)))
    for i, j in sorted(c.rng.sample(positions, edits), reverse=True):
        kind = c.rng.random()
        word = paragraphs[i][j]
        if kind < 0.4:
            paragraphs[i][j] = c.rng.choice(c.vocabulary)
        elif kind < 0.6 and len(paragraphs[i]) > 1:
            del paragraphs[i][j]
        elif kind < 0.8:
            paragraphs[i].insert(j, c.rng.choice(c.vocabulary))
        else:
            paragraphs[i][j] = word[:-1] if word.endswith("s") else word + "s"
    return Draft(d.title, [" ".join(p) for p in paragraphs])


def typography(d: Draft, c: Context) -> Draft:
    """Quote, apostrophe, dash and ellipsis styles as another CMS renders them."""
    curly = c.rng.random() < 0.5

    def restyle(text: str) -> str:
        if curly:
            text = re.sub(r'"(\S)', "\u201c\\1", text).replace('"', "\u201d")
            text = text.replace("'", "\u2019").replace(" - ", " \u2014 ").replace("...", "\u2026")
        else:
            text = re.sub("[\u201c\u201d]", '"', text).replace("\u2019", "'")
            text = text.replace(" \u2014 ", " -- ").replace("\u2013", "-").replace("\u2026", "...")
        return text

    return Draft(restyle(d.title), [restyle(p) for p in d.paragraphs])


def read_more(d: Draft, c: Context) -> Draft:
    lines = [
        f"Read more: {c.rng.choice(c.other_titles)}",
        f"RELATED: {c.rng.choice(c.other_titles)}",
        "Continue reading below",
        "Click here to sign up for breaking news alerts delivered straight to your phone.",
        f"See also: {c.rng.choice(c.other_titles)}",
    ]
    paragraphs = list(d.paragraphs)
    for line in c.rng.sample(lines, c.rng.randint(2, 4)):
        paragraphs.insert(c.rng.randint(1, len(paragraphs)), line)
    return Draft(d.title, paragraphs)


def furniture(d: Draft, c: Context) -> Draft:
    pages = c.rng.sample(c.furniture_pages, 2)
    headlines = [Page("", "", t, (), (), ()) for t in c.rng.sample(c.other_titles, 4)]
    site = site_template(c.rng, pages, headlines)
    return Draft(d.title, site.wrap(d.paragraphs))


def syndicated(d: Draft, c: Context) -> Draft:
    """A typical wire pickup: several of the above at once."""
    steps: list[Callable[[Draft, Context], Draft]] = [new_headline, byline_dateline]
    if c.rng.random() < 0.5:
        steps.append(truncated)
    steps += [
        typography,
        lambda x, y: word_edits(x, y, 0.01, 0.02),
        read_more,
        originally_appeared,
        furniture,
    ]
    for step in steps:
        d = step(d, c)
    return d


COPY_TRANSFORMS: dict[str, Callable[[Draft, Context], Draft]] = {
    "new_headline": new_headline,
    "byline_dateline": byline_dateline,
    "rewrite_third_to_half": rewrite,
    "originally_appeared": originally_appeared,
    "truncated_1_3_paragraphs": truncated,
    "word_edits_1_5pct": word_edits,
    "quote_dash_style": typography,
    "read_more_lines": read_more,
    "other_site_furniture": furniture,
    "syndicated_combined": syndicated,
}


def quote_block(source: Sequence[str], rng: random.Random) -> list[str]:
    """Two or three consecutive sentences of ``source`` (a statement or finding)."""
    size = rng.randint(2, 3)
    start = rng.randrange(0, max(1, len(source) - size))
    return list(source[start : start + size])


def insert_quotes(
    paragraphs: Sequence[str], quotes: Sequence[str], rng: random.Random
) -> list[str]:
    lead = rng.choice(("In a statement,", "The report found:", "According to the release,"))
    result = list(paragraphs)
    result.insert(rng.randint(1, max(1, len(result) - 1)), f"{lead} " + " ".join(quotes))
    return result


def pick_date(rng: random.Random, start: date, days: int) -> date:
    return date.fromordinal(start.toordinal() + rng.randrange(days))
