"""Signed checkpoints: C2SP tlog-checkpoint in a C2SP signed-note with Ed25519."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from jiliang.ledger import (
    CheckpointError,
    MemoryStore,
    key_id,
    make_checkpoint,
    make_vkey,
    parse_checkpoint,
    parse_vkey,
    verify_checkpoint,
)

ORIGIN = "jiliang.example/log"
SEED = bytes(range(32))


@pytest.fixture()
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEED)


@pytest.fixture()
def tree() -> MemoryStore:
    store = MemoryStore()
    for i in range(13):
        store.append_data(f"certificate {i}".encode())
    return store


def test_format(key: Ed25519PrivateKey, tree: MemoryStore) -> None:
    note = make_checkpoint(ORIGIN, 13, tree.root(), key, ORIGIN)
    body, sigs = note.split("\n\n")
    assert body.split("\n") == [ORIGIN, "13", base64.b64encode(tree.root()).decode()]
    assert sigs.startswith("\u2014 " + ORIGIN + " ") and sigs.endswith("\n")
    blob = base64.b64decode(sigs.split(" ")[2])
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert blob[:4] == hashlib.sha256(ORIGIN.encode() + b"\n\x01" + pub).digest()[:4]
    key.public_key().verify(blob[4:], (body + "\n").encode())  # raises if wrong


def test_round_trip(key: Ed25519PrivateKey, tree: MemoryStore) -> None:
    note = make_checkpoint(ORIGIN, 13, tree.root(), key, ORIGIN)
    vkey = make_vkey(ORIGIN, key.public_key())
    assert verify_checkpoint(note, vkey) == (ORIGIN, 13, tree.root())
    assert verify_checkpoint(note.encode(), parse_vkey(vkey), origin=ORIGIN)[1] == 13
    parsed = parse_checkpoint(note)
    assert parsed.origin == ORIGIN and parsed.size == 13 and len(parsed.signatures) == 1


def test_vkey_encoding(key: Ed25519PrivateKey) -> None:
    vkey = make_vkey(ORIGIN, key)
    name, hex_id, b64 = vkey.split("+", 2)
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert name == ORIGIN
    assert bytes.fromhex(hex_id) == key_id(ORIGIN, pub)
    assert base64.b64decode(b64) == b"\x01" + pub
    verifier = parse_vkey(vkey)
    assert verifier.public_key == pub
    with pytest.raises(CheckpointError):
        parse_vkey(f"{name}+00000000+{b64}")  # key ID does not match
    with pytest.raises(CheckpointError):
        wrong_type = base64.b64encode(b"\x02" + pub).decode()
        parse_vkey(f"{name}+{hex_id}+{wrong_type}")
    with pytest.raises(CheckpointError):
        make_vkey("bad name", pub)


def test_every_changed_byte_fails(key: Ed25519PrivateKey, tree: MemoryStore) -> None:
    note = make_checkpoint(ORIGIN, 13, tree.root(), key, ORIGIN).encode()
    vkey = make_vkey(ORIGIN, key)
    for i in range(len(note)):
        for delta in (1, 0x40):
            bad = bytearray(note)
            bad[i] = (bad[i] + delta) % 256
            with pytest.raises(CheckpointError):
                verify_checkpoint(bytes(bad), vkey)


def test_unknown_and_wrong_keys(key: Ed25519PrivateKey, tree: MemoryStore) -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(32))
    note = make_checkpoint(ORIGIN, 13, tree.root(), key, ORIGIN)
    with pytest.raises(CheckpointError, match="not signed"):
        verify_checkpoint(note, make_vkey(ORIGIN, other))
    with pytest.raises(CheckpointError, match="origin"):
        verify_checkpoint(note, make_vkey(ORIGIN, key), origin="other.example/log")
    # A cosignature by an unknown key is ignored; a second log key (rotation) also verifies.
    cosigned = (
        note + make_checkpoint(ORIGIN, 13, tree.root(), other, "witness.example").split("\n\n")[1]
    )
    assert verify_checkpoint(cosigned, make_vkey(ORIGIN, key))[1] == 13
    assert verify_checkpoint(cosigned, make_vkey("witness.example", other))[1] == 13


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no blank line\n",
        f"{ORIGIN}\n13\nAAAA\n\n\u2014 {ORIGIN} AAAAAAAA\n",  # short root
        f"{ORIGIN}\n013\n{'A' * 43}=\n\n\u2014 {ORIGIN} AAAAAAAA\n",  # leading zero
        f"{ORIGIN}\n13\n{'A' * 43}=\n\n- {ORIGIN} AAAAAAAA\n",  # hyphen, not em dash
        f"{ORIGIN}\n13\n{'A' * 43}=\n\n\u2014 {ORIGIN} AAAAAAAA",  # no final newline
        f"{ORIGIN}\x0713\n{'A' * 43}=\n\n\u2014 {ORIGIN} AAAAAAAA\n",  # control character
    ],
)
def test_malformed(text: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(text)


def test_refuses_to_sign_bad_input(key: Ed25519PrivateKey) -> None:
    with pytest.raises(CheckpointError):
        make_checkpoint("", 1, bytes(32), key)
    with pytest.raises(CheckpointError):
        make_checkpoint(ORIGIN, -1, bytes(32), key)
    with pytest.raises(CheckpointError):
        make_checkpoint(ORIGIN, 1, bytes(31), key)
    with pytest.raises(CheckpointError):
        make_checkpoint("two\nlines", 1, bytes(32), key)


def test_entry_and_consistency_against_checkpoints(key: Ed25519PrivateKey) -> None:
    from jiliang.ledger import (
        consistency_proof,
        inclusion_proof,
        verify_checkpoints_consistent,
        verify_entry_in_checkpoint,
    )

    store = MemoryStore()
    entries = [f"certificate {i}".encode() for i in range(20)]
    for e in entries[:7]:
        store.append_data(e)
    old = make_checkpoint(ORIGIN, 7, store.root(), key)
    for e in entries[7:]:
        store.append_data(e)
    new = make_checkpoint(ORIGIN, 20, store.root(), key)
    vkey = make_vkey(ORIGIN, key)

    proof = inclusion_proof(5, 20, store)
    assert verify_entry_in_checkpoint(entries[5], 5, proof, new, vkey) == (ORIGIN, 20, store.root())
    with pytest.raises(CheckpointError, match="inclusion proof"):
        verify_entry_in_checkpoint(entries[5] + b"!", 5, proof, new, vkey)
    with pytest.raises(CheckpointError, match="outside"):
        verify_entry_in_checkpoint(entries[5], 25, proof, new, vkey)

    verify_checkpoints_consistent(old, new, consistency_proof(7, 20, store), vkey)
    with pytest.raises(CheckpointError, match="not an extension"):
        verify_checkpoints_consistent(old, new, consistency_proof(6, 20, store), vkey)
    forged = make_checkpoint(ORIGIN, 20, bytes(32), key)
    with pytest.raises(CheckpointError, match="not an extension"):
        verify_checkpoints_consistent(old, forged, consistency_proof(7, 20, store), vkey)
    with pytest.raises(CheckpointError, match="larger"):
        verify_checkpoints_consistent(new, old, [], vkey)
