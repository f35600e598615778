"""Storage of a log's perfect-subtree hashes behind ``get_node(level, index)``.

A log that keeps, for every append, the nodes returned by
:func:`jiliang.ledger.merkle.nodes_after_append` (the leaf plus each perfect subtree it
completes; about two rows per leaf on average) can answer root, inclusion and consistency
queries with ``O(log n)`` reads.  :class:`MemoryStore` does this in lists, for tests and
small tools; a database-backed store only needs a table ``(level, index, hash)`` with a unique
key on ``(level, index)`` and the same ``get_node`` method.
"""

from __future__ import annotations

from collections.abc import Iterable

from .merkle import leaf_hash, nodes_after_append, tree_root

__all__ = ["MemoryStore"]


class MemoryStore:
    """An append-only in-memory log of leaf hashes with all perfect subtree hashes.

    Examples
    --------
    >>> store = MemoryStore()
    >>> store.append_data(b"certificate 1")
    0
    >>> len(store)
    1
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.reads = 0  # number of get_node calls, to check O(log n) behaviour in tests
        for h in leaf_hashes:
            self.append(h)

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def get_node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree ``(level, index)``; ``KeyError`` if not complete."""
        self.reads += 1
        if level < 0 or index < 0 or level >= len(self._levels):
            raise KeyError((level, index))
        row = self._levels[level]
        if index >= len(row):
            raise KeyError((level, index))
        return row[index]

    def append(self, leaf_hash_: bytes) -> int:
        """Append a leaf hash; return its index."""
        if len(leaf_hash_) != 32:
            raise ValueError("a leaf hash is 32 bytes")
        index = self.size
        for level, idx, h in nodes_after_append(index, leaf_hash_, self.get_node):
            if level == len(self._levels):
                self._levels.append([])
            row = self._levels[level]
            if idx != len(row):  # pragma: no cover - guards the append-only invariant
                raise RuntimeError("node out of order")
            row.append(h)
        return index

    def append_data(self, data: bytes) -> int:
        """Append an entry (hashed with ``leaf_hash``); return its index."""
        return self.append(leaf_hash(data))

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first ``size`` leaves (default: all)."""
        return tree_root(self.size if size is None else size, self)
