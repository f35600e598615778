"""Tables of the trust infrastructure: signing keys (public halves only) and the public log.

* ``trust_keys`` — public keys with their validity; the private keys live in files under
  ``<data dir>/keys/`` (0600), never in the database.
* ``log_entries`` — one row per leaf of the append-only Merkle log (RFC 9162), with the exact
  leaf bytes; ``log_nodes`` — every completed perfect subtree ``(level, index, hash)``;
  ``log_checkpoints`` — the signed checkpoints published so far; ``log_head`` — a one-row
  counter, locked by each append so that indices are assigned without gaps.

Entries, nodes and checkpoints are never updated or deleted: the service offers no way to and
triggers refuse it in the database (migration 0004).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

import jiliang.orgs.models  # noqa: F401  (trust_keys.org_id refers to organisations)
from jiliang.core.db import Base, utcnow

KEY_KINDS = ("log", "dcc")
ENTRY_KINDS = ("issued", "revoked", "superseded")


class SigningKey(Base):
    """A public signing key and its validity; the private key is a file named by ``file_name``."""

    __tablename__ = "trust_keys"
    __table_args__ = (Index("ix_trust_keys_owner", "kind", "org_id", "retired_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # log | dcc
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    algorithm: Mapped[str] = mapped_column(String(20))  # ed25519 | ecdsa-p256
    # SHA-256 of the DER SubjectPublicKeyInfo, hex: the key's identity everywhere
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # log origin / key name, or the org's name
    public_key: Mapped[str] = mapped_column(Text)  # PEM (SubjectPublicKeyInfo)
    vkey: Mapped[str | None] = mapped_column(Text)  # signed-note verifier key (log keys)
    file_name: Mapped[str] = mapped_column(String(200))  # under <data dir>/keys/
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)


class LogHead(Base):
    """One row (id 1): the number of entries; each append locks and increments it."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)


class LogEntry(Base):
    """Leaf ``index`` of the log: its exact bytes (canonical JSON) and their leaf hash."""

    __tablename__ = "log_entries"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(12))  # issued | revoked | superseded
    certificate_number: Mapped[str] = mapped_column(String(64), index=True)
    issuer_org_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # the leaf bytes, never re-serialised
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LogNode(Base):
    """Hash of the perfect subtree of ``2**level`` leaves starting at leaf ``idx * 2**level``."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogCheckpoint(Base):
    """A signed checkpoint (C2SP signed note) of the first ``size`` entries."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
