"""RFC 9162 Merkle tree: hashes, proof generation against the recursive definitions of the RFC,
O(log n) storage reads, and property tests of the verifiers (hypothesis)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.ledger import (
    EMPTY_ROOT,
    MemoryStore,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# ---- reference definitions, written straight from RFC 9162 sections 2.1.1, 2.1.3.1, 2.1.4.1


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return leaf_hash(d[0])
    k = _k(len(d))
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = _k(len(d))
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def store_of(n: int) -> MemoryStore:
    store = MemoryStore()
    for e in entries(n):
        store.append_data(e)
    return store


# ---- hashing


def test_hash_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_root_known_value() -> None:
    # RFC 6962 test tree of 8 leaves (the same leaves as the reference vectors' happy paths).
    leaves = [
        bytes.fromhex(h)
        for h in [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
    ]
    assert root([leaf_hash(x) for x in leaves]).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize("n", range(0, 40))
def test_root_matches_rfc_definition(n: int) -> None:
    d = entries(n)
    assert root([leaf_hash(x) for x in d]) == mth(d)
    assert store_of(n).root() == mth(d)


def test_proofs_match_rfc_definitions() -> None:
    for n in range(1, 34):
        d = entries(n)
        store = store_of(n)
        for m in range(n):
            assert inclusion_proof(m, n, store) == path(m, d)
        for m in range(1, n + 1):
            assert consistency_proof(m, n, store) == subproof(m, d, True)
            # a smaller tree read from the same (larger) store
            assert tree_root(m, store) == mth(d[:m])


def test_callable_store_and_errors() -> None:
    store = store_of(5)
    assert inclusion_proof(2, 5, store.get_node) == inclusion_proof(2, 5, store)
    with pytest.raises(ProofError):
        inclusion_proof(5, 5, store)
    with pytest.raises(ProofError):
        consistency_proof(0, 5, store)
    with pytest.raises(ProofError):
        consistency_proof(6, 5, store)
    with pytest.raises(KeyError):
        tree_root(6, store)


def test_reads_are_logarithmic() -> None:
    n = 3000  # not a power of two, so right-edge subtrees are folded
    store = store_of(n)
    bound = 2 * (n.bit_length() + 1)
    worst_inclusion = worst_consistency = 0
    for m in list(range(0, n, 97)) + [n - 1]:
        store.reads = 0
        inclusion_proof(m, n, store)
        worst_inclusion = max(worst_inclusion, store.reads)
        store.reads = 0
        consistency_proof(m + 1, n, store)
        worst_consistency = max(worst_consistency, store.reads)
    assert worst_inclusion <= bound
    assert worst_consistency <= bound


# ---- property tests

SIZES = st.integers(min_value=1, max_value=300)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(SIZES)
    return n, draw(st.integers(min_value=0, max_value=n - 1))


def _flip(b: bytes, i: int, bit: int) -> bytes:
    out = bytearray(b)
    out[i % len(out)] ^= 1 << bit
    return bytes(out)


@settings(max_examples=150, deadline=None)
@given(tree_and_index(), st.integers(min_value=0, max_value=10_000), st.integers(0, 7))
def test_inclusion_proofs_verify_and_tampering_fails(
    case: tuple[int, int], where: int, bit: int
) -> None:
    n, m = case
    store = store_of(n)
    r = store.root()
    lh = store.get_node(0, m)
    proof = inclusion_proof(m, n, store)
    assert verify_inclusion(lh, m, n, proof, r)
    # another index (the shape of the path, and so the hash, changes)
    for other in {m - 1, m + 1, m ^ 1}:
        if other != m:
            assert not verify_inclusion(lh, other, n, proof, r)
    # flip one bit of the leaf hash, of the root, of any proof element
    assert not verify_inclusion(_flip(lh, where, bit), m, n, proof, r)
    assert not verify_inclusion(lh, m, n, proof, _flip(r, where, bit))
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = _flip(bad[j], where, bit)
        assert not verify_inclusion(lh, m, n, bad, r)
    # dropped or extra elements
    if proof:
        assert not verify_inclusion(lh, m, n, proof[:-1], r)
    assert not verify_inclusion(lh, m, n, [*proof, r], r)


@settings(max_examples=150, deadline=None)
@given(SIZES, SIZES, st.integers(min_value=0, max_value=10_000), st.integers(0, 7))
def test_consistency_proofs_verify_and_tampering_fails(
    a: int, b: int, where: int, bit: int
) -> None:
    m, n = min(a, b), max(a, b)
    store = store_of(n)
    r1, r2 = store.root(m), store.root(n)
    proof = consistency_proof(m, n, store)
    assert verify_consistency(m, n, r1, r2, proof)
    assert not verify_consistency(m, n, _flip(r1, where, bit), r2, proof)
    assert not verify_consistency(m, n, r1, _flip(r2, where, bit), proof)
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = _flip(bad[j], where, bit)
        assert not verify_consistency(m, n, r1, r2, bad)
    if m < n:
        assert not verify_consistency(m, n, r2, r1, proof)
        assert not verify_consistency(m, n, r1, r2, proof[:-1])
        assert not verify_consistency(m, n, r1, r2, [*proof, r1])
