"""Clustering metrics shared by the dedup and story benchmarks (numpy only).

Every metric compares two labelings of the same items: ``truth`` and ``predicted`` map an
item to a cluster label. Singletons are clusters of one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairScores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(
    truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]
) -> PairScores:
    """Precision/recall over unordered item pairs put in one cluster (empty sets score 1.0)."""
    items = list(truth)
    joint = Counter((truth[i], predicted[i]) for i in items)
    correct = sum(_pairs(n) for n in joint.values())
    true_pairs = sum(_pairs(n) for n in Counter(truth[i] for i in items).values())
    pred_pairs = sum(_pairs(n) for n in Counter(predicted[i] for i in items).values())
    p = correct / pred_pairs if pred_pairs else 1.0
    r = correct / true_pairs if true_pairs else 1.0
    return PairScores(p, r, _f1(p, r), true_pairs, pred_pairs, correct)


def adjusted_rand_index(
    truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]
) -> float:
    """Hubert-Arabie adjusted Rand index from the contingency table."""
    items = list(truth)
    t_codes = {c: k for k, c in enumerate(dict.fromkeys(truth[i] for i in items))}
    p_codes = {c: k for k, c in enumerate(dict.fromkeys(predicted[i] for i in items))}
    table = np.zeros((len(t_codes), len(p_codes)), dtype=np.int64)
    for i in items:
        table[t_codes[truth[i]], p_codes[predicted[i]]] += 1
    comb = lambda x: x * (x - 1) / 2.0  # noqa: E731
    index = comb(table).sum()
    rows = comb(table.sum(axis=1)).sum()
    cols = comb(table.sum(axis=0)).sum()
    total = comb(float(len(items)))
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2.0
    if maximum == expected:  # both labelings trivial (all singletons or one cluster)
        return 1.0
    return float((index - expected) / (maximum - expected))


def bcubed(
    truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]
) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin), averaged over items."""
    by_truth: dict[Hashable, set] = defaultdict(set)
    by_pred: dict[Hashable, set] = defaultdict(set)
    for item in truth:
        by_truth[truth[item]].add(item)
        by_pred[predicted[item]].add(item)
    precisions, recalls = [], []
    for item in truth:
        t, p = by_truth[truth[item]], by_pred[predicted[item]]
        overlap = len(t & p)
        precisions.append(overlap / len(p))
        recalls.append(overlap / len(t))
    p, r = float(np.mean(precisions)), float(np.mean(recalls))
    return p, r, _f1(p, r)
