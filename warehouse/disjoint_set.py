"""A disjoint set (union-find) over hashable keys, shared by the copy and story deciders.

The smallest key of a set is its representative, so the result of a sequence of unions does
not depend on their order: a copy group's root is its earliest article id, a merged story
keeps its oldest id.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


class DisjointSet(Generic[Key]):
    def __init__(self, keys: Iterable[Key] = ()) -> None:
        self._parent: dict[Key, Key] = {key: key for key in keys}

    def add(self, key: Key) -> None:
        self._parent.setdefault(key, key)

    def find(self, key: Key) -> Key:
        """The representative of ``key``'s set (``key`` itself when it was never added)."""
        parent = self._parent
        root = key
        while parent.get(root, root) != root:
            root = parent[root]
        while key != root:  # path compression
            parent[key], key = root, parent[key]
        return root

    def union(self, a: Key, b: Key) -> Key:
        """Join the sets of ``a`` and ``b``; the smaller representative wins."""
        self.add(a)
        self.add(b)
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return root_a
        keep, drop = (root_a, root_b) if root_a < root_b else (root_b, root_a)  # type: ignore[operator]
        self._parent[drop] = keep
        return keep

    def groups(self) -> dict[Key, list[Key]]:
        """Every set with more than zero members, keyed by its representative."""
        out: dict[Key, list[Key]] = {}
        for key in self._parent:
            out.setdefault(self.find(key), []).append(key)
        return out

    def __contains__(self, key: object) -> bool:
        return key in self._parent
