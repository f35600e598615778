"""Signing keys: Ed25519 for the log's checkpoints, ECDSA P-256 per organisation for DCCs.

Private keys are PKCS#8 PEM files under ``<data dir>/keys/`` created with mode 0600 (the folder
0700); the database holds only the public key, its fingerprint (SHA-256 of the DER
SubjectPublicKeyInfo) and its validity (created, retired).  Rotation retires the active key and
creates a new one; retired public keys stay in the table so that everything signed with them
remains verifiable.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.config import get_settings
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from jiliang.core.security import Principal
from jiliang.ledger import make_vkey
from jiliang.trust.models import KEY_KINDS, LogHead, SigningKey

__all__ = [
    "KeyFileError",
    "NoSigningKey",
    "create_key",
    "rotate_key",
    "list_keys",
    "log_origin",
    "log_signing_key",
    "signing_key_for",
    "public_keys_for",
    "fingerprint",
    "keys_dir",
]


class NoSigningKey(DomainError):
    status_code = 409
    code = "no_signing_key"


class KeyFileError(DomainError):
    """The private key file is missing, unreadable, too open or not the recorded key."""

    status_code = 503  # the operator must restore the file; not something a user can fix
    code = "key_file"


def keys_dir() -> Path:
    """``<data dir>/keys``, created 0700."""
    path = get_settings().data_path / "keys"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def log_origin() -> str:
    """``$JILIANG_LOG_ORIGIN`` or ``jiliang.<hostname>/log`` (fixed once the log key exists)."""
    configured = os.environ.get("JILIANG_LOG_ORIGIN", "").strip()
    if configured:
        return configured
    host = "".join(ch for ch in socket.gethostname().lower() if ch.isalnum() or ch in ".-")
    return f"jiliang.{host or 'localhost'}/log"


def fingerprint(public_key: Any) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo of a public key."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _public_pem(public_key: Any) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _write_private(file_name: str, private_key: Any) -> None:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = keys_dir() / file_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def load_private_key(record: SigningKey) -> Any:
    """The private key of a key record, read from its file and checked against the record."""
    path = keys_dir() / record.file_name
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(
            f"无法读取私钥文件 {path}：{exc.strerror}",
            f"cannot read the private key file {path}: {exc.strerror}",
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"私钥文件 {path} 的权限过宽（应为 0600）",
            f"the private key file {path} is readable by others (must be 0600)",
        )
    key = serialization.load_pem_private_key(data, password=None)
    if fingerprint(key.public_key()) != record.fingerprint:
        raise KeyFileError(
            f"私钥文件 {path} 与数据库中的公钥不符",
            f"the private key file {path} does not match its public key in the database",
        )
    return key


def _check_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("只有系统管理员可以管理签名密钥", "Only administrators manage signing keys")


def _active(session: Session, kind: str, org_id: int | None) -> SigningKey | None:
    stmt = select(SigningKey).where(SigningKey.kind == kind, SigningKey.retired_at.is_(None))
    stmt = stmt.where(
        SigningKey.org_id.is_(None) if org_id is None else SigningKey.org_id == org_id
    )
    return session.scalars(stmt.order_by(SigningKey.id.desc())).first()


def _lock(session: Session) -> None:
    """Serialise key creation with appends (the log head row lock / SQLite write lock)."""
    session.execute(update(LogHead).where(LogHead.id == 1).values(size=LogHead.size))


def create_key(
    session: Session, principal: Principal, kind: str = "dcc", org_id: int | None = None
) -> SigningKey:
    """Create the active key of an organisation (``dcc``) or of this log instance (``log``).

    Refused (409) when one is active already: use :func:`rotate_key`.
    """
    _check_admin(principal)
    if kind not in KEY_KINDS:
        raise ValidationFailed.one("kind", "密钥类型应为 log 或 dcc", "kind must be log or dcc")
    if kind == "dcc":
        from jiliang.orgs.models import Organisation

        org = session.get(Organisation, org_id) if org_id is not None else None
        if org is None:
            raise ValidationFailed.one(
                "org", f"机构 {org_id} 不存在", f"no organisation with id {org_id}"
            )
        name = org.name
    else:
        org_id = None
        name = log_origin()
    _lock(session)
    if _active(session, kind, org_id) is not None:
        raise Conflict(
            "已有有效密钥，请使用 jiliang keys rotate 轮换",
            "an active key exists already: rotate it with jiliang keys rotate",
        )
    return _new_key(session, principal, kind, org_id, name)


def _new_key(
    session: Session, principal: Principal, kind: str, org_id: int | None, name: str
) -> SigningKey:
    if kind == "log":
        private: Any = Ed25519PrivateKey.generate()
        algorithm = "ed25519"
    else:
        private = ec.generate_private_key(ec.SECP256R1())
        algorithm = "ecdsa-p256"
    public = private.public_key()
    fp = fingerprint(public)
    owner = "log" if kind == "log" else f"org{org_id}"
    file_name = f"{kind}-{owner}-{fp[:16]}.pem"
    _write_private(file_name, private)
    record = SigningKey(
        kind=kind,
        org_id=org_id,
        algorithm=algorithm,
        fingerprint=fp,
        name=name,
        public_key=_public_pem(public),
        vkey=make_vkey(name, public) if kind == "log" else None,
        file_name=file_name,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    audit.record(session, principal, "create", "signing_key", record.id, after=_public(record))
    return record


def rotate_key(
    session: Session, principal: Principal, kind: str = "dcc", org_id: int | None = None
) -> SigningKey:
    """Retire the active key (its public half stays verifiable) and create a new one."""
    _check_admin(principal)
    if kind not in KEY_KINDS:
        raise ValidationFailed.one("kind", "密钥类型应为 log 或 dcc", "kind must be log or dcc")
    org_id = None if kind == "log" else org_id
    _lock(session)
    old = _active(session, kind, org_id)
    if old is None:
        raise NoSigningKey(
            "没有可轮换的有效密钥，请先 jiliang keys create",
            "no active key to rotate: create one with jiliang keys create",
        )
    before = _public(old)
    old.retired_at = utcnow()
    audit.record(session, principal, "retire", "signing_key", old.id, before, _public(old))
    return _new_key(session, principal, kind, org_id, old.name)


def _public(record: SigningKey) -> dict:
    return {
        "id": record.id,
        "kind": record.kind,
        "org_id": record.org_id,
        "algorithm": record.algorithm,
        "fingerprint": record.fingerprint,
        "name": record.name,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "retired_at": record.retired_at.isoformat() if record.retired_at else None,
    }


def key_info(record: SigningKey) -> dict:
    """The public description of a key (JSON-ready)."""
    info = _public(record)
    info["public_key"] = record.public_key
    if record.vkey:
        info["vkey"] = record.vkey
    return info


def list_keys(
    session: Session, kind: str | None = None, org_id: int | None = None
) -> list[SigningKey]:
    """All keys, oldest first (public data only)."""
    stmt = select(SigningKey).order_by(SigningKey.id)
    if kind:
        stmt = stmt.where(SigningKey.kind == kind)
    if org_id is not None:
        stmt = stmt.where(SigningKey.org_id == org_id)
    return list(session.scalars(stmt))


def signing_key_for(session: Session, org_id: int) -> tuple[Any, SigningKey]:
    """``(private key, public key record)`` of an organisation's active DCC key."""
    record = _active(session, "dcc", org_id)
    if record is None:
        raise NoSigningKey(
            f"机构 {org_id} 没有有效的签名密钥（jiliang keys create --org {org_id}）",
            f"organisation {org_id} has no active signing key (jiliang keys create --org {org_id})",
        )
    return load_private_key(record), record


def public_keys_for(session: Session, org_id: int) -> list[SigningKey]:
    """Every DCC key an organisation ever had, active and retired, oldest first."""
    return list_keys(session, kind="dcc", org_id=org_id)


def log_key(session: Session) -> SigningKey | None:
    """The active log key record, or None."""
    return _active(session, "log", None)


def log_signing_key(session: Session) -> tuple[Ed25519PrivateKey, SigningKey]:
    """The log's private key and record; created on first use (one per instance)."""
    from jiliang.core.security import SYSTEM

    record = _active(session, "log", None)
    if record is None:
        _lock(session)
        record = _active(session, "log", None)
        if record is None:
            record = _new_key(session, SYSTEM, "log", None, log_origin())
    return load_private_key(record), record
