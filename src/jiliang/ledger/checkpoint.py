"""Signed checkpoints of the log: C2SP ``tlog-checkpoint`` in a C2SP ``signed-note``.

Format (c2sp.org/tlog-checkpoint, c2sp.org/signed-note)::

    <origin>\\n
    <tree size, decimal, no leading zeros>\\n
    <base64 root hash>\\n
    [extension lines]\\n
    \\n
    — <key name> <base64(key ID || Ed25519 signature)>\\n

The note text is everything up to and including the newline before the blank line; the Ed25519
signature (RFC 8032) is over those bytes.  ``key ID = SHA-256(key name || 0x0A || 0x01 ||
public key)[:4]``.  A verifier key ("vkey") is written ``<name>+<hex key ID>+<base64(0x01 ||
public key)>``.  Verifiers ignore signatures of unknown keys; a signature by the known key that
does not verify rejects the note (signed-note, "Signatures").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .merkle import leaf_hash, verify_consistency, verify_inclusion

__all__ = [
    "CheckpointError",
    "Checkpoint",
    "NoteSignature",
    "NoteVerifier",
    "ALG_ED25519",
    "key_id",
    "make_vkey",
    "parse_vkey",
    "make_checkpoint",
    "parse_checkpoint",
    "verify_checkpoint",
    "verify_entry_in_checkpoint",
    "verify_checkpoints_consistent",
]

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A checkpoint or note is malformed, or its signature does not verify."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the raw signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class NoteVerifier:
    """A known Ed25519 note key: name, key ID and the 32-byte public key."""

    name: str
    key_id: bytes
    public_key: bytes

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Checkpoint:
    """A parsed (not yet verified) checkpoint."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()
    signatures: tuple[NoteSignature, ...] = field(default=())
    text: bytes = b""  # the signed note text, final newline included


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _public_bytes(key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw = bytes(key)
    if len(raw) != 32:
        raise CheckpointError("an Ed25519 public key is 32 bytes")
    return raw


def key_id(name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` (signed-note, Ed25519 signatures)."""
    raw = _public_bytes(public_key)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + raw).digest()[:4]


def make_vkey(name: str, public_key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> str:
    """Verifier key text ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    if not _valid_name(name):
        raise CheckpointError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
    raw = _public_bytes(public_key)
    encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode()
    return f"{name}+{key_id(name, raw).hex()}+{encoded}"


def parse_vkey(vkey: str) -> NoteVerifier:
    """Parse a verifier key; checks the algorithm byte, the length and the key ID."""
    parts = vkey.strip().split("+", 2)  # base64 may contain "+"
    if len(parts) != 3:
        raise CheckpointError("a verifier key has the form <name>+<hex key ID>+<base64 key>")
    name, hex_id, b64 = parts
    if not _valid_name(name) or not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise CheckpointError("verifier key: bad name or key ID")
    try:
        blob = base64.b64decode(b64, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("verifier key: key is not base64") from exc
    if len(blob) != 33 or blob[0] != ALG_ED25519:
        raise CheckpointError("verifier key: not an Ed25519 (type 0x01) key")
    raw = blob[1:]
    kid = bytes.fromhex(hex_id)
    if key_id(name, raw) != kid:
        raise CheckpointError("verifier key: key ID does not match the key")
    return NoteVerifier(name=name, key_id=kid, public_key=raw)


def _b64_strict(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError(f"not base64: {text[:60]!r}") from exc
    if base64.b64encode(raw).decode() != text:
        raise CheckpointError(f"non-canonical base64: {text[:60]!r}")
    return raw


def make_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    private_key: Ed25519PrivateKey,
    key_name: str | None = None,
    extensions: tuple[str, ...] | list[str] = (),
) -> str:
    """Sign a checkpoint and return the whole note text (C2SP tlog-checkpoint).

    ``key_name`` defaults to ``origin`` (the checkpoint spec says the key name SHOULD match the
    origin line).  ``root`` is the 32-byte RFC 9162 root hash of the first ``size`` leaves.
    """
    key_name = origin if key_name is None else key_name
    if not origin or "\n" in origin or _CONTROL.search(origin):
        raise CheckpointError("origin must be a non-empty single line")
    if not _valid_name(key_name):
        raise CheckpointError(f"invalid key name {key_name!r}: non-empty, no spaces, no '+'")
    if not isinstance(size, int) or size < 0:
        raise CheckpointError("tree size must be a non-negative integer")
    if len(root) != 32:
        raise CheckpointError("root hash must be 32 bytes")
    for ext in extensions:
        if not ext or "\n" in ext or _CONTROL.search(ext):
            raise CheckpointError("extension lines must be non-empty single lines")
    lines = [origin, str(size), base64.b64encode(bytes(root)).decode(), *extensions]
    text = ("\n".join(lines) + "\n").encode()
    signature = private_key.sign(text)
    kid = key_id(key_name, private_key.public_key())
    sig_line = f"{SIG_PREFIX}{key_name} {base64.b64encode(kid + signature).decode()}\n"
    return text.decode() + "\n" + sig_line


def parse_checkpoint(note: str | bytes) -> Checkpoint:
    """Parse a signed checkpoint note without verifying it; raise :class:`CheckpointError`."""
    raw = note.encode() if isinstance(note, str) else bytes(note)
    if len(raw) > MAX_NOTE_BYTES:
        raise CheckpointError("note is too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError("note is not valid UTF-8") from exc
    if _CONTROL.search(text):
        raise CheckpointError("note contains control characters other than newline")
    if not text.endswith("\n"):
        raise CheckpointError("note must end with a newline")
    split = text.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    body, sig_block = text[: split + 1], text[split + 2 :]
    signatures = []
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise CheckpointError(f"malformed signature line: {line[:80]!r}")
        parts = line[len(SIG_PREFIX) :].split(" ")
        if len(parts) != 2 or not _valid_name(parts[0]):
            raise CheckpointError(f"malformed signature line: {line[:80]!r}")
        blob = _b64_strict(parts[1])
        if len(blob) < 5:
            raise CheckpointError("signature too short")
        signatures.append(NoteSignature(name=parts[0], key_id=blob[:4], signature=blob[4:]))
    if not signatures:
        raise CheckpointError("note has no signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise CheckpointError("note has too many signatures")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("checkpoint needs origin, size and root hash on non-empty lines")
    origin, size_text, root_text, *extensions = lines
    if not _SIZE.fullmatch(size_text):
        raise CheckpointError(f"bad tree size {size_text!r}: decimal without leading zeros")
    root = _b64_strict(root_text)
    if len(root) != 32:
        raise CheckpointError("root hash is not 32 bytes")
    return Checkpoint(
        origin=origin,
        size=int(size_text),
        root=root,
        extensions=tuple(extensions),
        signatures=tuple(signatures),
        text=body.encode(),
    )


def verify_checkpoint(
    note: str | bytes,
    verifier_key: str | NoteVerifier,
    origin: str | None = None,
) -> tuple[str, int, bytes]:
    """Verify a checkpoint against one known key; return ``(origin, size, root)``.

    Signatures whose (name, key ID) do not match the known key are ignored.  The note is
    rejected when a matching signature fails or when none matches (signed-note, "Signatures").
    When ``origin`` is given, the checkpoint's origin line must equal it.
    """
    verifier = parse_vkey(verifier_key) if isinstance(verifier_key, str) else verifier_key
    checkpoint = parse_checkpoint(note)
    matching = [
        s for s in checkpoint.signatures if s.name == verifier.name and s.key_id == verifier.key_id
    ]
    if not matching:
        raise CheckpointError(f"checkpoint is not signed by key {verifier.name!r}")
    for sig in matching:
        if not verifier.verifies(checkpoint.text, sig.signature):
            raise CheckpointError(f"signature of {verifier.name!r} does not verify")
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint.origin, checkpoint.size, checkpoint.root


def verify_entry_in_checkpoint(
    entry: bytes,
    index: int,
    proof: list[bytes],
    checkpoint: str | bytes,
    verifier_key: str | NoteVerifier,
    origin: str | None = None,
) -> tuple[str, int, bytes]:
    """Check that log entry ``entry`` (raw leaf data) is leaf ``index`` of a signed checkpoint.

    Verifies the checkpoint's signature (:func:`verify_checkpoint`), then the inclusion proof
    (RFC 9162 section 2.1.3.2) against the checkpoint's size and root.  Returns the
    checkpoint's ``(origin, size, root)``; raises :class:`CheckpointError` with the reason.
    """
    cp_origin, size, root = verify_checkpoint(checkpoint, verifier_key, origin)
    if not 0 <= index < size:
        raise CheckpointError(f"leaf index {index} is outside the checkpoint's tree of {size}")
    if not verify_inclusion(leaf_hash(entry), index, size, proof, root):
        raise CheckpointError("the inclusion proof does not lead to the checkpoint's root hash")
    return cp_origin, size, root


def verify_checkpoints_consistent(
    old_checkpoint: str | bytes,
    new_checkpoint: str | bytes,
    proof: list[bytes],
    verifier_key: str | NoteVerifier,
) -> None:
    """Check that a newer signed checkpoint extends an older one of the same log.

    Both signatures are verified; the origins must match; the consistency proof must hold
    (RFC 9162 section 2.1.4.2).  Raises :class:`CheckpointError` with the reason.
    """
    old_origin, old_size, old_root = verify_checkpoint(old_checkpoint, verifier_key)
    new_origin, new_size, new_root = verify_checkpoint(new_checkpoint, verifier_key)
    if old_origin != new_origin:
        raise CheckpointError(f"checkpoints of different logs: {old_origin!r}, {new_origin!r}")
    if old_size > new_size:
        raise CheckpointError(f"the older checkpoint ({old_size}) is larger than the newer one")
    if old_size == 0:
        return  # every tree extends the empty tree
    if not verify_consistency(old_size, new_size, old_root, new_root, proof):
        raise CheckpointError(
            f"the log at size {new_size} is not an extension of the log at size {old_size}"
        )
