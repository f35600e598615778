"""Append-only Merkle log of issued, revoked and superseded certificates.

* :mod:`.merkle` — RFC 9162 hashing, inclusion and consistency proofs and their verification;
  storage is read through ``get_node(level, index)`` only, so proofs cost ``O(log n)`` reads.
* :mod:`.store` — :class:`MemoryStore`, the in-memory node store (tests, tools).
* :mod:`.checkpoint` — signed checkpoints (C2SP tlog-checkpoint + signed-note, Ed25519).

Pure functions: no database and no web imports.
"""

from .checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSignature,
    NoteVerifier,
    key_id,
    make_checkpoint,
    make_vkey,
    parse_checkpoint,
    parse_vkey,
    verify_checkpoint,
    verify_checkpoints_consistent,
    verify_entry_in_checkpoint,
)
from .merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeReader,
    NodeStore,
    ProofError,
    consistency_proof,
    consistency_proof_plan,
    inclusion_proof,
    inclusion_proof_plan,
    leaf_hash,
    node_hash,
    nodes_after_append,
    root,
    root_from_inclusion_proof,
    subtree_nodes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from .store import MemoryStore

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "CheckpointError",
    "MemoryStore",
    "NodeReader",
    "NodeStore",
    "NoteSignature",
    "NoteVerifier",
    "ProofError",
    "consistency_proof",
    "consistency_proof_plan",
    "inclusion_proof",
    "inclusion_proof_plan",
    "key_id",
    "leaf_hash",
    "make_checkpoint",
    "make_vkey",
    "node_hash",
    "nodes_after_append",
    "parse_checkpoint",
    "parse_vkey",
    "root",
    "root_from_inclusion_proof",
    "subtree_nodes",
    "tree_root",
    "verify_checkpoint",
    "verify_checkpoints_consistent",
    "verify_consistency",
    "verify_entry_in_checkpoint",
    "verify_inclusion",
]
