"""Story benchmark: are articles about one event grouped, and unrelated ones kept apart?

No public set of multi-outlet event clusters is available here, so the set is assembled
(deterministic for a given ``--seed``; its composition is printed):

* **Seeds** (real): the five seed articles (extracted with ``extract_plaintext``), one
  story: Lord Laming's child-protection review after Baby P; 000 and 001 are also copies.
* **Synthesised events** (from real WCXB text): ``--events`` long corpus articles (at least
  45 prose sentences) each stand for one event. Each is cut into 3-5 disjoint runs of 8-14
  consecutive prose sentences; each run becomes one outlet's coverage, published within
  three days, with its own headline (the first 6-10 words of its lead sentence). Half of
  the pieces also quote the same 2-3 sentences from elsewhere in the article (the
  "statement"). Pieces share the event's names and vocabulary but no other text, so they
  are not copies (the copy rules hold them apart) yet one story. Honest limits: every
  piece comes from one author's page, which makes the shared vocabulary stronger than
  between real outlets; and the corpus pages are evergreen guides, not news events.
* **Syndicated copies**: one in four events also has a wire copy of one piece (new
  headline, byline, footer, another site's furniture); it must join the story.
* **Unrelated articles** (hard negatives): news-length cuts of other corpus articles,
  each its own story: (a) articles sharing a topic tag with an event or each other (same
  topic, different story), (b) the corpus's real same-domain pages and same-topic groups
  published by one outlet inside that outlet's identical furniture, (c) singletons.

Dates spread over 60 days (the story window is 7 days either side). Everything is loaded
in publication-day order, shuffled within each day (as feeds deliver it), in batches
through ``warehouse.loader`` + ``dedupe_articles`` into a temporary DuckDB file, and
``story_members`` is read back. Reported: pairwise precision, recall and F1 over "same
story" pairs, B-cubed precision/recall/F1, the seeds case, and how often unrelated
same-outlet or same-topic articles were put in one story.

    .venv/bin/python bench/dedup_stories.py [--seed 11] [--events 60] [--batch 50]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Item, load_and_dedupe
from bench.metrics import bcubed, pairwise
from extractors.models import ExtractedArticle
from extractors.plaintext import extract_plaintext
from testsupport import synth

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
START = date(2025, 1, 1)
DAYS = 60


def _headline(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    return " ".join(words[: rng.randint(6, 10)]).rstrip(",;:")


def _article(title: str, paragraphs: list[str], day: date, outlet: str) -> ExtractedArticle:
    return ExtractedArticle(
        title=title, text="\n\n".join(paragraphs), method="bench", published_at=day, outlet=outlet
    )


def build(seed: int, n_events: int) -> tuple[list[Item], dict[str, list[list[str]]]]:
    rng = random.Random(seed)
    items: list[Item] = []
    negatives: dict[str, list[list[str]]] = defaultdict(list)

    seed_day = synth.pick_date(rng, START, DAYS)
    for path in sorted(SEEDS.glob("*.txt")):
        article = extract_plaintext(path.read_bytes())
        article = ExtractedArticle(
            title=article.title,
            text=article.text,
            method=article.method,
            published_at=seed_day + timedelta(days=int(path.name[:3]) % 3),
            outlet=article.outlet,
        )
        items.append(Item(f"seed-{path.name[:3]}", article, "seed", "story-seeds"))

    pages = list(synth.load_pages())
    rng.shuffle(pages)
    prose = {
        p.file_id: [
            s for para in p.paragraphs for s in synth.sentences(para) if synth.words(s) >= 6
        ]
        for p in pages
    }
    events = [p for p in pages if len(prose[p.file_id]) >= 45][:n_events]
    event_ids = {p.file_id for p in events}
    rest = [p for p in pages if p.file_id not in event_ids]
    pool = rest[300:]
    ctx = synth.Context(
        rng=rng,
        pool_sentences=[s for p in pool for s in prose[p.file_id]],
        other_titles=[p.title for p in pool],
        furniture_pages=[p for p in pool if p.furniture],
        vocabulary=sorted({w for p in pool[:50] for w in p.text.split() if w.isalpha()}),
    )

    for k, page in enumerate(events):
        story = f"story-event-{page.file_id}"
        sentences = prose[page.file_id]
        day = synth.pick_date(rng, START, DAYS)
        pieces = rng.randint(3, 5)
        quotes = synth.quote_block(sentences[-12:], rng)
        position = 0
        refs = []
        for piece in range(pieces):
            size = rng.randint(8, 14)
            run = sentences[position : position + size]
            position += size
            if len(run) < 6 or position > len(sentences) - 12:
                break
            paragraphs = [" ".join(run[i : i + 3]) for i in range(0, len(run), 3)]
            if rng.random() < 0.5:
                paragraphs = synth.insert_quotes(paragraphs, quotes, rng)
            ref = f"event-{page.file_id}-{piece}"
            published = day + timedelta(days=rng.randint(0, 3))
            article = _article(
                _headline(run[0], rng), paragraphs, published, synth.outlet_name(rng)
            )
            items.append(Item(ref, article, "event piece", story))
            refs.append((ref, article))
        if k % 4 == 0 and refs:
            ref, article = refs[0]
            draft = synth.syndicated(synth.Draft(article.title, article.text.split("\n\n")), ctx)
            items.append(
                Item(
                    f"{ref}-wire-copy",
                    _article(
                        draft.title,
                        draft.paragraphs,
                        article.published_at + timedelta(days=1),
                        synth.outlet_name(rng),
                    ),
                    "syndicated copy of a piece",
                    story,
                )
            )

    # Unrelated articles: same topic, same outlet in identical furniture, singletons.
    def unrelated(page: synth.Page, kind: str, paragraphs: list[str], outlet: str) -> str:
        ref = f"other-{page.file_id}-{len(items)}"
        day = synth.pick_date(rng, START, DAYS)
        items.append(Item(ref, _article(page.title, paragraphs, day, outlet), kind, ref))
        return ref

    candidates = [p for p in rest[:300] if len(prose[p.file_id]) >= 8]
    by_domain: dict[str, list[synth.Page]] = defaultdict(list)
    for page in candidates:
        by_domain[page.domain].append(page)
    used: set[str] = set()
    groups = [ps[:3] for d, ps in by_domain.items() if len(ps) > 1 and d != "unknown"]
    by_tag: dict[str, list[synth.Page]] = defaultdict(list)
    for page in candidates[:150]:
        for tag in page.tags[:2]:
            by_tag[tag].append(page)
    for _tag, ps in sorted(by_tag.items()):
        fresh = [p for p in ps if p.file_id not in used]
        if len(fresh) >= 2:
            groups.append(fresh[:2])
            used.update(p.file_id for p in fresh[:2])
    for group in groups:
        site = synth.site_template(
            rng,
            [p for p in group if p.furniture][:2] or rng.sample(ctx.furniture_pages, 2),
            [synth.Page("", "", t, (), (), ()) for t in rng.sample(ctx.other_titles, 4)],
        )
        refs = [
            unrelated(p, "unrelated, same outlet", site.wrap(synth.news_length(p, rng)), site.name)
            for p in group
        ]
        negatives["same outlet (shared furniture)"].append(refs)
        used.update(p.file_id for p in group)
    topic_groups: dict[str, list[str]] = defaultdict(list)
    event_tags = {t for p in events for t in p.tags[:2]}
    for page in candidates[150:]:
        if page.file_id in used:
            continue
        ref = unrelated(
            page, "unrelated, single", synth.news_length(page, rng), synth.outlet_name(rng)
        )
        for tag in page.tags[:2]:
            if tag in event_tags:
                topic_groups[tag].append(ref)
    for page in events:
        for tag in page.tags[:2]:
            if topic_groups.get(tag):
                negatives["same topic as an event"].append(
                    [f"event-{page.file_id}-0", *topic_groups[tag][:3]]
                )
    return items, negatives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    items, negatives = build(args.seed, args.events)
    with tempfile.TemporaryDirectory(prefix="presswatch-bench-") as tmp:
        started = time.perf_counter()
        found = load_and_dedupe(
            items, Path(tmp) / "stories.duckdb", args.batch, args.seed + 1, by_day=True
        )
        elapsed = time.perf_counter() - started

    truth = {i.ref: i.group for i in items}
    predicted = {ref: story for ref, (_canonical, story) in found.items()}
    print(f"set: {len(items)} articles")
    for kind, n in sorted(Counter(i.kind for i in items).items()):
        print(f"  {kind:32s} {n:5d}")
    sizes = Counter(Counter(truth.values()).values())
    print("  true stories by size: " + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items())))
    scores = pairwise(truth, predicted)
    b_p, b_r, b_f = bcubed(truth, predicted)
    print(
        f"\npairwise precision {scores.precision:.4f}  recall {scores.recall:.4f}  "
        f"F1 {scores.f1:.4f}  ({scores.correct_pairs} correct of {scores.predicted_pairs} "
        f"predicted, {scores.true_pairs} true pairs)"
    )
    print(f"B-cubed precision {b_p:.4f}  recall {b_r:.4f}  F1 {b_f:.4f}")
    seeds = {predicted[i.ref] for i in items if i.kind == "seed"}
    copies = {
        (found[i.ref][0], r)
        for i in items
        for r in [i.ref]
        if i.kind == "seed" and found[i.ref][0] != i.ref
    }
    print(f"seeds: {len(seeds)} story; copy links {sorted(copies)}")
    events = defaultdict(set)
    for i in items:
        if i.group.startswith("story-event"):
            events[i.group].add(predicted[i.ref])
    whole = sum(1 for s in events.values() if len(s) == 1)
    print(f"events grouped whole: {whole}/{len(events)}")
    for kind, groups in sorted(negatives.items()):
        pairs = together = 0
        for refs in groups:
            for a in range(len(refs)):
                for b in range(a + 1, len(refs)):
                    pairs += 1
                    together += predicted[refs[a]] == predicted[refs[b]]
        print(f"{kind}: {together}/{pairs} pairs wrongly in one story")
    print(f"\nelapsed {elapsed:.1f}s")


if __name__ == "__main__":
    main()
