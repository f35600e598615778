"""Merkle hash trees of an append-only log, as specified by RFC 9162 section 2.1.

Hashing (RFC 9162 section 2.1.1), with SHA-256:

* leaf hash ``MTH({d}) = SHA-256(0x00 || d)``
* node hash ``SHA-256(0x01 || left || right)``
* the hash of the empty tree is ``SHA-256()`` (the hash of the empty string).

A tree of ``n`` leaves is split at ``k``, the largest power of two smaller than ``n``; the left
part is therefore always a *perfect* subtree of ``2**level`` leaves.  This module only ever needs
to read perfect subtree hashes, addressed by ``(level, index)``: the node at ``(level, index)``
covers leaves ``[index * 2**level, (index + 1) * 2**level)``, and level 0 holds the leaf hashes.
Any other subtree hash (the right edge of a tree whose size is not a power of two) is folded from
at most ``log2(n)`` perfect nodes.  Storage is therefore behind a single function
``get_node(level, index) -> bytes`` (see :mod:`jiliang.ledger.store`), and an inclusion or
consistency proof costs ``O(log n)`` node reads: at most one non-perfect subtree is folded per
proof half (see :func:`inclusion_proof_plan`).

Verification follows the algorithms of RFC 9162 section 2.1.3.2 (inclusion) and section 2.1.4.2
(consistency) step by step.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

__all__ = [
    "HASH_SIZE",
    "EMPTY_ROOT",
    "NodeReader",
    "NodeStore",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "root",
    "tree_root",
    "subtree_nodes",
    "inclusion_proof_plan",
    "consistency_proof_plan",
    "inclusion_proof",
    "consistency_proof",
    "verify_inclusion",
    "verify_consistency",
    "root_from_inclusion_proof",
    "nodes_after_append",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``get_node(level, index)`` returns the hash of the perfect subtree of ``2**level`` leaves
#: starting at leaf ``index * 2**level``.
NodeReader = Callable[[int, int], bytes]

#: A range of leaves ``[start, end)`` whose hash a proof needs.
LeafRange = tuple[int, int]


@runtime_checkable
class NodeStore(Protocol):
    """Anything that can read stored perfect-subtree hashes (an in-memory list, a table)."""

    def get_node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree ``(level, index)``; raise ``KeyError`` when absent."""
        ...


class ProofError(ValueError):
    """A proof was requested for sizes or indices that make no sense (e.g. index >= size)."""


# --------------------------------------------------------------------------------------------
# Hashing (RFC 9162 section 2.1.1)
# --------------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """Return the leaf hash ``SHA-256(0x00 || data)`` (RFC 9162 section 2.1.1)."""
    return hashlib.sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``SHA-256(0x01 || left || right)`` (RFC 9162 2.1.1)."""
    return hashlib.sha256(b"\x01" + bytes(left) + bytes(right)).digest()


def _largest_power_of_two_below(n: int) -> int:
    """``k`` of RFC 9162 section 2.1.1: the largest power of two strictly smaller than ``n``."""
    if n < 2:
        raise ValueError("n must be at least 2")
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle tree hash ``MTH(D[n])`` of a list of *leaf hashes* (RFC 9162 section 2.1.1).

    The inputs are leaf hashes (already passed through :func:`leaf_hash`), which is what a log
    stores.  The empty list gives :data:`EMPTY_ROOT`.  Runs in ``O(n)`` time, iteratively: each
    level pairs nodes left to right and carries an odd last node up unchanged, which is the same
    tree as the recursive split at the largest power of two.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = [bytes(h) for h in leaf_hashes]
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


# --------------------------------------------------------------------------------------------
# Reading subtrees from storage
# --------------------------------------------------------------------------------------------


def _reader(store: NodeStore | NodeReader) -> NodeReader:
    if isinstance(store, NodeStore):
        return store.get_node
    if callable(store):
        return store
    raise TypeError("store must have get_node(level, index) or be a callable (level, index)")


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Perfect nodes ``(level, index)`` whose right fold gives ``MTH(D[start:end])``.

    ``[start, end)`` must be a subtree of the RFC 9162 tree shape, i.e. ``start`` is a multiple
    of the largest power of two not exceeding ``end - start`` (every range met while computing
    proofs is).  The nodes come in decreasing size, left to right; there are at most
    ``log2(end - start) + 1`` of them.
    """
    if not 0 <= start < end:
        raise ProofError(f"empty or negative leaf range [{start}, {end})")
    nodes = []
    pos = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        size = 1 << level
        if pos % size:
            raise ProofError(f"leaf range [{start}, {end}) is not a subtree of the log")
        nodes.append((level, pos >> level))
        pos += size
        remaining -= size
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold ``h0 . (h1 . (... . hn))`` of the perfect nodes of one subtree."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _range_hash(start: int, end: int, get_node: NodeReader) -> bytes:
    return _fold([get_node(level, index) for level, index in subtree_nodes(start, end)])


def tree_root(size: int, store: NodeStore | NodeReader) -> bytes:
    """Root hash of the first ``size`` leaves of a stored log (``O(log size)`` reads)."""
    if size < 0:
        raise ProofError("tree size must not be negative")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(0, size, _reader(store))


# --------------------------------------------------------------------------------------------
# Proof generation (RFC 9162 sections 2.1.3.1 and 2.1.4.1)
# --------------------------------------------------------------------------------------------


def inclusion_proof_plan(index: int, size: int) -> list[LeafRange]:
    """Leaf ranges whose hashes form ``PATH(index, D[size])``, leaf's sibling first.

    RFC 9162 section 2.1.3.1: for ``n > 1`` and ``k`` the largest power of two below ``n``,
    ``PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])`` if ``m < k``, otherwise
    ``PATH(m - k, D[k:n]) : MTH(D[0:k])``.  Once the path turns left it stays inside a perfect
    subtree, so at most one range (the first right sibling met from the top) is not perfect.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[LeafRange] = []  # collected from the root downwards
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
    ranges.reverse()
    return ranges


def consistency_proof_plan(old_size: int, new_size: int) -> list[LeafRange]:
    """Leaf ranges whose hashes form ``PROOF(m, D[n])`` (RFC 9162 section 2.1.4.1).

    ``SUBPROOF(m, D[n], b)``: if ``m == n`` the result is empty when ``b`` is true and
    ``{MTH(D[m])}`` otherwise; for ``m < n`` with ``k`` the largest power of two below ``n``,
    ``SUBPROOF(m, D[0:k], b) : MTH(D[k:n])`` if ``m <= k``, otherwise
    ``SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])``.  Requires ``0 < old_size <= new_size``.
    """
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    ranges: list[LeafRange] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, size: int, store: NodeStore | NodeReader) -> list[bytes]:
    """Audit path of leaf ``index`` in the tree of the first ``size`` leaves (RFC 9162 2.1.3.1).

    ``store`` gives perfect-subtree hashes (see :class:`NodeStore`); ``O(log size)`` reads.
    """
    get_node = _reader(store)
    return [_range_hash(lo, hi, get_node) for lo, hi in inclusion_proof_plan(index, size)]


def consistency_proof(old_size: int, new_size: int, store: NodeStore | NodeReader) -> list[bytes]:
    """Consistency proof between two tree sizes of one log (RFC 9162 section 2.1.4.1).

    Empty when ``old_size == new_size``; ``O(log new_size)`` reads.
    """
    get_node = _reader(store)
    return [_range_hash(lo, hi, get_node) for lo, hi in consistency_proof_plan(old_size, new_size)]


def nodes_after_append(
    size: int, new_leaf_hash: bytes, store: NodeStore | NodeReader
) -> list[tuple[int, int, bytes]]:
    """Perfect nodes ``(level, index, hash)`` to store when leaf number ``size`` is appended.

    The first is the leaf itself at ``(0, size)``; then every perfect subtree completed by it
    (one per trailing one-bit of ``size``), reading its left siblings from ``store``.
    """
    get_node = _reader(store)
    out = [(0, size, bytes(new_leaf_hash))]
    level, index, acc = 0, size, bytes(new_leaf_hash)
    while index & 1:
        acc = node_hash(get_node(level, index - 1), acc)
        level, index = level + 1, index >> 1
        out.append((level, index, acc))
    return out


# --------------------------------------------------------------------------------------------
# Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2)
# --------------------------------------------------------------------------------------------


def _as_hashes(proof: Iterable[bytes] | None) -> list[bytes] | None:
    """Proof as a list of 32-byte hashes, or ``None`` when an element has the wrong size."""
    out = [bytes(p) for p in (proof or [])]
    if any(len(p) != HASH_SIZE for p in out):
        return None
    return out


def _equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(bytes(a), bytes(b))


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes] | None
) -> bytes | None:
    """Root implied by an inclusion proof, or ``None`` when the proof is malformed.

    Steps 1 to 4 of RFC 9162 section 2.1.3.2 plus the ``sn == 0`` check of step 5.
    """
    path = _as_hashes(proof)
    # 1. If leaf_index is greater than or equal to tree_size, fail.  (A leaf hash is 32 bytes.)
    if path is None or len(leaf_hash) != HASH_SIZE or index < 0 or index >= size:
        return None
    # 2. Set fn to leaf_index and sn to tree_size - 1.  3. Set r to hash.
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    # 4. For each value p in the inclusion_path array:
    for p in path:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return None
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # ii. If LSB(fn) is not set, right-shift fn and sn until LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # i. Set r to HASH(0x01 || r || p).
            r = node_hash(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 (the caller compares r with the root hash).
    if sn != 0:
        return None
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes] | None, root: bytes
) -> bool:
    """True when ``proof`` proves that ``leaf_hash`` is leaf ``index`` of the tree ``root``.

    RFC 9162 section 2.1.3.2.  ``leaf_hash`` is ``leaf_hash(entry)``; a leaf hash, root or proof
    element that is not 32 bytes long makes the proof fail.
    """
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    return computed is not None and len(root) == HASH_SIZE and _equal(computed, root)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes] | None,
) -> bool:
    """True when ``proof`` shows that tree ``(new_size, new_root)`` extends ``(old_size, ...)``.

    RFC 9162 section 2.1.4.2, with the preconditions made explicit:

    * ``old_size > new_size`` fails;
    * ``old_size == 0`` fails: every tree extends the empty tree, so such a proof proves nothing
      and a client has nothing to check it against (this is what the reference vectors require);
    * ``old_size == new_size`` succeeds exactly when the proof is empty and the roots are equal.
    """
    path = _as_hashes(proof)
    if path is None or old_size < 1 or old_size > new_size:
        return False
    if old_size == new_size:
        return not path and _equal(old_root, new_root)
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not path:
        return False
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # iii. If LSB(fn) is not set, right-shift fn and sn until LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # i. Set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Verify fr == first_hash, sr == second_hash and sn == 0.
    return sn == 0 and _equal(fr, old_root) and _equal(sr, new_root)
