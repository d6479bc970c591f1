"""Would a static embedding that ships inside a pip package group stories better than the
story terms? A probe on the SemEval-2022 Task 8 training pairs (local use only; see
``bench/story_quality.py``).

The one such model found on PyPI with its weights in the wheel is WordLlama (``wordllama``,
a 16 MB table of 256-dimension token embeddings on the LLaMA-2 tokenizer); model2vec,
sentence-transformers, fastText and spaCy fetch their models at run time, which cannot
work here. It is not a presswatch dependency: install it into the venv to run this probe.

For each language set: how well each similarity separates same-story from unrelated pairs
(AUC: the chance that a same-story pair scores above an unrelated one) and the F1 of its
best single threshold (in-sample, an optimistic bound); and the embedding's cost per article.

    .venv/bin/pip install wordllama==0.4.0.post1
    .venv/bin/python bench/story_embedding.py [--pairs data/training_set.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from story_quality import (
    LANGUAGE_SETS,
    Pair,
    build,
    detect_languages,
    read_rows,
    score,
    term_cosines,
)

MAX_CHARACTERS = 5000  # the head of each article, as long texts average to a topic


def auc(scores: Sequence[float], same: Sequence[bool]) -> float:
    positive = np.array([s for s, x in zip(scores, same, strict=True) if x])
    negative = np.array([s for s, x in zip(scores, same, strict=True) if not x])
    above = positive[:, None] > negative[None, :]
    tied = positive[:, None] == negative[None, :]
    return float(np.mean(above) + 0.5 * np.mean(tied))


def best_f1(scores: Sequence[float], pairs: Sequence[Pair]) -> float:
    return max(
        score(pairs, [s >= threshold for s in scores])["all"].f1 for threshold in sorted(scores)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=Path, default=None, help="training_set.csv")
    args = parser.parse_args()
    try:
        import wordllama
    except ImportError:
        raise SystemExit(
            "wordllama is not installed: .venv/bin/pip install wordllama==0.4.0.post1"
        ) from None

    articles, pairs = build(read_rows(args.pairs), None)
    articles, _ = detect_languages(articles)
    # The wheel holds its tokenizer under tokenizers/, where load() looks only in a cache
    # directory: point the cache at the package, so nothing is downloaded.
    model = wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )
    refs = list(articles)
    texts = [f"{articles[r].title or ''}\n{articles[r].text}"[:MAX_CHARACTERS] for r in refs]
    started = time.perf_counter()
    vectors = model.embed(texts, norm=True)
    per_article = (time.perf_counter() - started) * 1000 / len(refs)
    row = {r: k for k, r in enumerate(refs)}
    embedded = [float(vectors[row[p.left]] @ vectors[row[p.right]]) for p in pairs]
    terms = term_cosines(articles, pairs)
    print(f"{len(refs)} articles; embedding {per_article:.2f} ms/article")
    print("pairs          terms AUC embedding AUC  terms F1  emb. F1")
    for key in LANGUAGE_SETS:
        chosen = [k for k, p in enumerate(pairs) if p.languages == key]
        chosen_pairs = [pairs[k] for k in chosen]
        same = [p.same for p in chosen_pairs]
        t, e = [terms[k] for k in chosen], [embedded[k] for k in chosen]
        print(
            f"{key:14s} {auc(t, same):9.3f} {auc(e, same):13.3f} "
            f"{best_f1(t, chosen_pairs):9.3f} {best_f1(e, chosen_pairs):8.3f}"
        )


if __name__ == "__main__":
    main()
