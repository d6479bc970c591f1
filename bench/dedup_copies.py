"""Copies benchmark: does dedup link republished copies, and only them?

The set (deterministic for a given ``--seed``; its composition is printed) is built from
the real articles of the WCXB corpus (``shared/corpora/wcxb-articles-dev``):

* **Originals**: ``--originals`` articles (default 200) cut to news length (their leading
  paragraphs up to 300-900 words, at least 12 evidence sentences and 4 paragraphs, so that
  "a third of the sentences" is more than the two or three a quote shares).
* **Copies**: each original gets 4-6 copies, each made by one transformation drawn at
  random (``testsupport/synth.py``): a new headline; byline and dateline prefixes; a rewrite
  keeping a third to a half of the sentences, in order, among as many new sentences
  (0.6-1.5x) taken from articles never loaded; an "originally appeared" footer; the last
  1-3 paragraphs dropped; 1-5% of the words edited (substituted, deleted, inserted,
  inflected); quote/apostrophe/dash/ellipsis style changes; 2-4 "Read more"/"RELATED"/
  newsletter lines inserted; another site's furniture around it (navigation, real
  furniture strings from two corpus pages, a "More from" block of four headlines,
  newsletter and copyright lines); and "syndicated", which chains headline, byline,
  dateline, sometimes truncation, style changes, 1-2% edits, read-more lines, footer and
  furniture. Copies are published 1-3 days after their original and on other outlets.
* **Hard negatives** (must stay unlinked), from articles that are neither originals nor
  new material: *same site* groups (2-3 different articles sharing a topic tag, or the
  corpus's real same-domain pages, published by one outlet and wrapped in that outlet's
  identical furniture: navigation, notices, a related-headlines block, footer); *shared
  quotes* groups (a source article and 2-3 different articles that each quote the same
  2-3 consecutive sentences of it, as coverage quoting a statement does).

Everything is loaded in shuffled order in batches (``--batch``) through the real
warehouse path (``warehouse.loader`` into a temporary DuckDB file, then
``warehouse.dedupe.dedupe_articles``), and ``duplicate_links`` is read back. Reported:
pairwise precision/recall/F1 over "same copy group" pairs, adjusted Rand index of the
copy groups (singletons included), recall per transformation, the hard-negative pair
false-positive rate, and how many copies point at their true original.

    .venv/bin/python bench/dedup_copies.py [--seed 7] [--originals 200] [--batch 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Item, load_and_dedupe
from bench.metrics import adjusted_rand_index, pairwise
from extractors.models import ExtractedArticle
from testsupport import synth

COPIES_PER_ORIGINAL = (4, 6)
START = date(2025, 1, 1)


@dataclass
class BenchSet:
    items: list[Item]
    negative_groups: list[tuple[str, list[str]]]  # (kind, refs) whose pairs must not link


def _eligible(page: synth.Page, rng: random.Random) -> list[str] | None:
    paragraphs = synth.news_length(page, rng)
    text = "\n\n".join(paragraphs)
    if len(paragraphs) >= 4 and synth.evidence_sentences(text) >= 12:
        return paragraphs
    return None


def _corpus_copies(pages: list[synth.Page]) -> bool:
    """Do two of these real pages share 30%+ of their sentences verbatim (the corpus holds
    one article under two URLs)? Such a group cannot serve as a negative."""
    sets = [
        {s.casefold() for s in synth.sentences(p.text.replace("\n\n", " ")) if synth.words(s) >= 6}
        for p in pages
    ]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            smaller = min(len(sets[i]), len(sets[j])) or 1
            if len(sets[i] & sets[j]) >= 0.3 * smaller:
                return True
    return False


def build(seed: int, n_originals: int) -> BenchSet:
    rng = random.Random(seed)
    pages = list(synth.load_pages())
    rng.shuffle(pages)
    by_domain: dict[str, list[synth.Page]] = defaultdict(list)
    for page in pages:
        by_domain[page.domain].append(page)
    same_domain = [
        ps
        for d, ps in by_domain.items()
        if len(ps) > 1 and d != "unknown" and not _corpus_copies(ps)
    ]
    reserved = {p.file_id for ps in same_domain for p in ps}

    originals: list[tuple[synth.Page, list[str]]] = []
    rest: list[synth.Page] = []
    for page in pages:
        body = None if page.file_id in reserved else _eligible(page, rng)
        if body and len(originals) < n_originals:
            originals.append((page, body))
        elif page.file_id not in reserved:
            rest.append(page)
    negative_pages, pool = rest[:160], rest[160:]
    ctx = synth.Context(
        rng=rng,
        pool_sentences=[
            s
            for p in pool
            for para in p.paragraphs
            for s in synth.sentences(para)
            if synth.words(s) >= 6
        ],
        other_titles=[p.title for p in pool],
        furniture_pages=[p for p in pool if p.furniture],
        vocabulary=sorted({w for p in pool[:50] for w in p.text.split() if w.isalpha()}),
    )

    items: list[Item] = []
    for k, (page, body) in enumerate(originals):
        ref = f"orig-{page.file_id}"
        published = synth.pick_date(rng, START, 90)
        items.append(
            Item(
                ref,
                ExtractedArticle(
                    title=page.title,
                    text="\n\n".join(body),
                    method="bench",
                    published_at=published,
                    outlet=page.domain,
                ),
                "original",
                ref,
            )
        )
        names = rng.sample(sorted(synth.COPY_TRANSFORMS), rng.randint(*COPIES_PER_ORIGINAL))
        for name in names:
            draft = synth.COPY_TRANSFORMS[name](synth.Draft(page.title, list(body)), ctx)
            items.append(
                Item(
                    f"copy-{k}-{name}",
                    ExtractedArticle(
                        title=draft.title,
                        text="\n\n".join(draft.paragraphs),
                        method="bench",
                        published_at=published + timedelta(days=rng.randint(1, 3)),
                        outlet=synth.outlet_name(rng),
                    ),
                    f"copy:{name}",
                    ref,
                )
            )

    negative_groups: list[tuple[str, list[str]]] = []

    def add_negative(kind: str, page: synth.Page, paragraphs: list[str], outlet: str) -> str:
        ref = f"neg-{kind}-{page.file_id}-{len(items)}"
        article = ExtractedArticle(
            title=page.title,
            text="\n\n".join(paragraphs),
            method="bench",
            published_at=synth.pick_date(rng, START, 90),
            outlet=outlet,
        )
        items.append(Item(ref, article, f"negative:{kind}", ref))
        return ref

    # Same site: real same-domain pages, then same-topic pages, in one outlet's furniture.
    by_tag: dict[str, list[synth.Page]] = defaultdict(list)
    for page in negative_pages[:100]:
        for tag in page.tags[:2]:
            by_tag[tag].append(page)
    groups = [ps[:3] for ps in same_domain]
    used: set[str] = set()
    for _tag, ps in sorted(by_tag.items()):
        fresh = [p for p in ps if p.file_id not in used]
        if len(fresh) >= 2:
            size = min(len(fresh), rng.randint(2, 3))
            groups.append(fresh[:size])
            used.update(p.file_id for p in fresh[:size])
    for group in groups:
        furniture_pages = [p for p in group if p.furniture] or rng.sample(ctx.furniture_pages, 2)
        site = synth.site_template(
            rng,
            furniture_pages[:2],
            [synth.Page("", "", t, (), (), ()) for t in rng.sample(ctx.other_titles, 4)],
        )
        refs = [
            add_negative("same_site", p, site.wrap(synth.news_length(p, rng)), site.name)
            for p in group
        ]
        negative_groups.append(("same_site", refs))

    # Shared quotes: a source and 2-3 other articles quoting 2-3 of its sentences.
    quote_pages = [p for p in negative_pages[100:] if p.file_id not in used]
    while len(quote_pages) >= 4:
        source, *others = quote_pages[:4]
        quote_pages = quote_pages[4:]
        others = others[: rng.randint(2, 3)]
        source_body = synth.news_length(source, rng)
        source_sentences = [
            s for p in source_body for s in synth.sentences(p) if synth.words(s) >= 6
        ]
        if len(source_sentences) < 4:
            continue
        quotes = synth.quote_block(source_sentences, rng)
        refs = [add_negative("shared_quotes", source, source_body, synth.outlet_name(rng))]
        for other in others:
            body = synth.insert_quotes(synth.news_length(other, rng), quotes, rng)
            refs.append(add_negative("shared_quotes", other, body, synth.outlet_name(rng)))
        negative_groups.append(("shared_quotes", refs))
    return BenchSet(items, negative_groups)


def run(bench: BenchSet, db_path: Path, batch: int, seed: int) -> dict[str, str]:
    """ref -> ref of its canonical (or itself), after loading in shuffled batches."""
    found = load_and_dedupe(bench.items, db_path, batch, seed + 1)
    return {ref: canonical for ref, (canonical, _story) in found.items()}


def report(bench: BenchSet, predicted: dict[str, str], elapsed: float) -> dict[str, float]:
    truth = {i.ref: i.group for i in bench.items}
    kinds = Counter(i.kind for i in bench.items)
    print(f"set: {len(bench.items)} articles")
    for kind, n in sorted(kinds.items()):
        print(f"  {kind:40s} {n:5d}")
    groups = Counter(g for g in truth.values())
    sizes = Counter(n for n in groups.values() if n > 1)
    print(
        f"  copy groups: {sum(sizes.values())} (original + copies; sizes "
        + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items()))
        + ")"
    )
    print(
        "  hard-negative groups: "
        + ", ".join(
            f"{k} {n}" for k, n in sorted(Counter(k for k, _ in bench.negative_groups).items())
        )
    )
    scores = pairwise(truth, predicted)
    ari = adjusted_rand_index(truth, predicted)
    print(
        f"\npairwise precision {scores.precision:.4f}  recall {scores.recall:.4f}  "
        f"F1 {scores.f1:.4f}  ({scores.correct_pairs} correct of {scores.predicted_pairs} "
        f"predicted, {scores.true_pairs} true pairs)"
    )
    print(f"adjusted Rand index {ari:.4f}")
    print("\nrecall per transformation (copy in its original's group):")
    per: dict[str, list[bool]] = defaultdict(list)
    canonical_ok = 0
    copies = [i for i in bench.items if i.kind.startswith("copy:")]
    for item in copies:
        per[item.kind[5:]].append(predicted[item.ref] == predicted[item.group])
        canonical_ok += predicted[item.ref] == item.group
    for name, hits in sorted(per.items()):
        print(f"  {name:28s} {sum(hits) / len(hits):.3f}  ({sum(hits)}/{len(hits)})")
    print(f"copies whose canonical is their true original: {canonical_ok}/{len(copies)}")
    print("\nhard negatives (pairs that must not be linked):")
    for kind in sorted({k for k, _ in bench.negative_groups}):
        pairs = linked = 0
        for k, refs in bench.negative_groups:
            if k != kind:
                continue
            for a in range(len(refs)):
                for b in range(a + 1, len(refs)):
                    pairs += 1
                    linked += predicted[refs[a]] == predicted[refs[b]]
        print(f"  {kind:14s} false-positive rate {linked / pairs:.4f}  ({linked}/{pairs} pairs)")
    wrong = [
        (ref, predicted[ref])
        for ref in truth
        if predicted[ref] != predicted[truth[ref]] or truth[predicted[ref]] != truth[ref]
    ]
    print(f"\nitems in a wrong group: {len(wrong)}")
    for ref, canonical in wrong[:15]:
        print(f"  {ref} -> {canonical}")
    print(f"\nelapsed {elapsed:.1f}s ({len(bench.items) / elapsed:.0f} articles/s incl. loading)")
    return {"precision": scores.precision, "recall": scores.recall, "ari": ari}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--originals", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    bench = build(args.seed, args.originals)
    with tempfile.TemporaryDirectory(prefix="presswatch-bench-") as tmp:
        started = time.perf_counter()
        predicted = run(bench, Path(tmp) / "bench.duckdb", args.batch, args.seed)
        elapsed = time.perf_counter() - started
    report(bench, predicted, elapsed)


if __name__ == "__main__":
    main()
