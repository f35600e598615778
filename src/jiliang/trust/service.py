"""The public log of certificates: append, proofs, signed checkpoints.

Append (:func:`append`) takes the next index by incrementing the one-row ``log_head`` counter
inside the caller's transaction: on PostgreSQL the ``UPDATE`` locks that row until commit, on
SQLite it takes the database's write lock.  A concurrent append waits, then sees the new size;
a rolled-back append rolls the counter back with it, so indices never have gaps.  The leaf and
every perfect subtree it completes are inserted (:func:`jiliang.ledger.nodes_after_append`);
nothing is ever updated or deleted (triggers refuse it as well).

Proofs read only the ``O(log n)`` perfect subtree hashes their plan names, in one query.
Checkpoints are signed with the log's Ed25519 key on demand (:func:`publish_checkpoint`) and
kept, so older checkpoints and consistency between them can be checked later.

Leaf bytes are canonical JSON (keys sorted, no spaces, UTF-8), stored exactly as hashed::

    {"certificate_number":"...","index":7,"issuer_org_id":3,"key_sha256":"<hex>",
     "kind":"issued","logged_at":"2026-11-27T04:00:00Z","v":1,"xml_sha256":"<hex>"}

Only public fields are accepted in a payload (:data:`PAYLOAD_FIELDS`): the log is public.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from jiliang.core.security import SYSTEM, Principal
from jiliang.ledger import (
    EMPTY_ROOT,
    consistency_proof,
    consistency_proof_plan,
    inclusion_proof,
    inclusion_proof_plan,
    leaf_hash,
    make_checkpoint,
    nodes_after_append,
    subtree_nodes,
    tree_root,
)
from jiliang.trust import keys
from jiliang.trust.models import ENTRY_KINDS, LogCheckpoint, LogEntry, LogHead, LogNode

ENTRY_VERSION = 1
#: payload fields a log entry may carry (all public), and their checks
PAYLOAD_FIELDS = {
    "certificate_number",
    "issuer_org_id",
    "xml_sha256",
    "key_sha256",
    "reason",
    "superseded_by",
    "effective",
}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LogRangeError(ValidationFailed):
    """An index or tree size outside the log (404, with the field named)."""

    status_code = 404
    code = "out_of_range"


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()


def encode_entry(kind: str, index: int, payload: dict[str, Any], logged_at: datetime) -> bytes:
    """The leaf bytes of an entry: canonical JSON of the payload, kind, index and time."""
    doc = dict(payload)
    doc.update(
        kind=kind,
        index=index,
        v=ENTRY_VERSION,
        logged_at=logged_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _bad(field: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed.one(field, zh, en)


def check_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate a payload for ``kind``; return a clean copy (only :data:`PAYLOAD_FIELDS`)."""
    if kind not in ENTRY_KINDS:
        raise _bad(
            "kind",
            "条目类型应为 issued、revoked 或 superseded",
            "kind must be issued, revoked or superseded",
        )
    if not isinstance(payload, dict):
        raise _bad("payload", "条目内容应为对象", "the payload must be an object")
    extra = sorted(set(payload) - PAYLOAD_FIELDS)
    if extra:
        raise _bad(
            "payload",
            f"不允许的字段：{', '.join(extra)}",
            f"fields not allowed in the public log: {', '.join(extra)}",
        )
    number = payload.get("certificate_number")
    if not isinstance(number, str) or not 0 < len(number) <= 64 or number != number.strip():
        raise _bad(
            "certificate_number",
            "证书编号应为 1 至 64 个字符",
            "certificate_number must be 1 to 64 characters",
        )
    org = payload.get("issuer_org_id")
    if not isinstance(org, int) or isinstance(org, bool) or org < 1:
        raise _bad("issuer_org_id", "应为机构编号", "issuer_org_id must be an organisation id")
    for name in ("xml_sha256", "key_sha256"):
        value = payload.get(name)
        if value is not None and not (isinstance(value, str) and _HEX64.fullmatch(value)):
            raise _bad(name, "应为 64 位小写十六进制 SHA-256", f"{name} must be 64 lower-case hex")
    if kind == "issued":
        for name in ("xml_sha256", "key_sha256"):
            if payload.get(name) is None:
                raise _bad(name, "签发条目必须包含此字段", f"an issued entry needs {name}")
    else:
        reason = payload.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise _bad(
                "reason",
                "撤销或替代须说明原因（不超过 500 字）",
                "a revocation or supersession needs a reason (at most 500 characters)",
            )
    for name in ("superseded_by", "effective"):
        value = payload.get(name)
        if value is not None and not (isinstance(value, str) and 0 < len(value) <= 64):
            raise _bad(
                name, "应为不超过 64 个字符的文本", f"{name} must be text of 1 to 64 characters"
            )
    return {k: payload[k] for k in sorted(payload) if payload[k] is not None}


# ----------------------------------------------------------------------------------------------
# Reading nodes
# ----------------------------------------------------------------------------------------------


_PG_NODES = text(
    "SELECT n.level, n.idx, n.hash FROM unnest(CAST(:levels AS smallint[]), "
    "CAST(:idxs AS bigint[])) AS w(level, idx) JOIN log_nodes n "
    "ON n.level = w.level AND n.idx = w.idx"
)


def fetch_nodes(
    session: Session, wanted: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """Perfect subtree hashes ``{(level, idx): hash}`` in one query.

    On PostgreSQL the query text is the same for any number of nodes (two arrays joined to the
    primary key), so the driver prepares it once per connection and it is not planned again.
    """
    wanted = sorted(set(wanted))
    if not wanted:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            _PG_NODES, {"levels": [lv for lv, _ in wanted], "idxs": [ix for _, ix in wanted]}
        )
    else:
        rows = session.execute(
            select(LogNode.level, LogNode.idx, LogNode.hash).where(
                tuple_(LogNode.level, LogNode.idx).in_(wanted)
            )
        )
    return {(level, idx): bytes(h) for level, idx, h in rows}


def _planned_reader(session: Session, ranges: Iterable[tuple[int, int]]):
    wanted = [node for lo, hi in ranges for node in subtree_nodes(lo, hi)]
    found = fetch_nodes(session, wanted)

    def get_node(level: int, index: int) -> bytes:
        return found[(level, index)]

    return get_node


def log_size(session: Session) -> int:
    """Number of committed (or own-transaction) entries."""
    return session.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0


def root_at(session: Session, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    return tree_root(size, _planned_reader(session, [(0, size)]))


def inclusion_proof_for(session: Session, index: int, size: int) -> list[bytes]:
    """Audit path of leaf ``index`` in the tree of ``size`` leaves (one query)."""
    plan = inclusion_proof_plan(index, size)
    return inclusion_proof(index, size, _planned_reader(session, plan))


def consistency_proof_for(session: Session, old: int, new: int) -> list[bytes]:
    """Consistency proof from size ``old`` to size ``new`` (one query)."""
    plan = consistency_proof_plan(old, new)
    return consistency_proof(old, new, _planned_reader(session, plan))


# ----------------------------------------------------------------------------------------------
# Appending
# ----------------------------------------------------------------------------------------------


def _take_indices(session: Session, count: int) -> int:
    """Lock the head row, add ``count`` to it, return the first index taken."""
    stmt = (
        update(LogHead)
        .where(LogHead.id == 1)
        .values(size=LogHead.size + count)
        .returning(LogHead.size)
    )
    size = session.execute(stmt).scalar()
    if size is None:  # a database whose head row is missing (created outside the migrations)
        session.execute(insert(LogHead).values(id=1, size=0))
        size = session.execute(stmt).scalar()
    return int(size) - count


def _check_history(session: Session, items: list[tuple[str, dict[str, Any]]]) -> None:
    """An issued number is never issued again; only an issued, live certificate is ended."""
    numbers = sorted({p["certificate_number"] for _, p in items})
    kinds: dict[str, set[str]] = {n: set() for n in numbers}
    for i in range(0, len(numbers), 1000):
        rows = session.execute(
            select(LogEntry.certificate_number, LogEntry.kind).where(
                LogEntry.certificate_number.in_(numbers[i : i + 1000])
            )
        )
        for number, kind in rows:
            kinds[number].add(kind)
    for kind, payload in items:
        number = payload["certificate_number"]
        seen = kinds[number]
        if kind == "issued" and seen:
            raise Conflict(
                f"证书编号 {number} 已在日志中，编号不得重复使用",
                f"certificate number {number} is in the log already: numbers are never reused",
            )
        if kind != "issued" and "issued" not in seen:
            raise Conflict(
                f"日志中没有签发证书 {number}", f"the log has no issued certificate {number}"
            )
        if kind != "issued" and seen & {"revoked", "superseded"}:
            raise Conflict(
                f"证书 {number} 已被撤销或替代",
                f"certificate {number} is already revoked or superseded",
            )
        seen.add(kind)


def _external_siblings(first: int, count: int) -> list[tuple[int, int]]:
    """Stored nodes the appends of leaves ``first .. first+count-1`` read (left siblings)."""
    out = []
    for index in range(first, first + count):
        level, i = 0, index
        while i & 1:
            if (i - 1) << level < first:
                out.append((level, i - 1))
            level, i = level + 1, i >> 1
    return out


def append(
    session: Session, principal: Principal | None, kind: str, payload: dict[str, Any]
) -> LogEntry:
    """Append an entry (``issued``, ``revoked`` or ``superseded``) in the caller's transaction.

    The caller (the certificate service) has already decided that ``principal`` may issue,
    revoke or supersede; the log checks the payload and the certificate's history (a number is
    issued once; only an issued, live certificate is revoked or superseded).
    ``principal`` (or None for the system) is recorded in the audit trail.  Returns the new
    :class:`LogEntry`; its index is final once the transaction commits and freed if it rolls
    back.
    """
    return append_many(session, principal, [(kind, payload)])[0]


def append_many(
    session: Session, principal: Principal | None, items: list[tuple[str, dict[str, Any]]]
) -> list[LogEntry]:
    """Append several entries ``[(kind, payload), ...]`` in order, with a few queries in all.

    Same rules as :func:`append`: the indices are consecutive, taken under the head-row lock
    and given back on a refused entry (then nothing is appended) or with a rollback.
    """
    if not items:
        return []
    cleaned = [(kind, check_payload(kind, payload)) for kind, payload in items]
    first = _take_indices(session, len(cleaned))  # appends are serialised from here on
    try:
        _check_history(session, cleaned)
    except Conflict:
        # give the indices back, so that a caller who catches the error and commits leaves no gap
        session.execute(
            update(LogHead).where(LogHead.id == 1).values(size=LogHead.size - len(cleaned))
        )
        raise
    now = datetime.now(UTC).replace(microsecond=0)
    created = now.replace(tzinfo=None)
    nodes = fetch_nodes(session, _external_siblings(first, len(cleaned)))
    entries: list[LogEntry] = []
    node_rows: list[dict[str, Any]] = []
    for offset, (kind, clean) in enumerate(cleaned):
        index = first + offset
        data = encode_entry(kind, index, clean, now)
        leaf = leaf_hash(data)
        for lv, ix, h in nodes_after_append(index, leaf, lambda lv, ix: nodes[(lv, ix)]):
            nodes[(lv, ix)] = h
            node_rows.append({"level": lv, "idx": ix, "hash": h})
        entries.append(
            LogEntry(
                index=index,
                kind=kind,
                certificate_number=clean["certificate_number"],
                issuer_org_id=clean["issuer_org_id"],
                data=data,
                leaf_hash=leaf,
                created_at=created,
            )
        )
    session.add_all(entries)
    session.flush()
    session.execute(insert(LogNode), node_rows)
    who = principal or SYSTEM
    for entry, (kind, clean) in zip(entries, cleaned, strict=True):
        audit.record(
            session,
            who,
            "append",
            "log_entry",
            entry.index,
            after={"kind": kind, **clean, "leaf_hash": entry.leaf_hash.hex()},
        )
    return entries


# ----------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------


def latest_checkpoint(session: Session) -> LogCheckpoint | None:
    return session.scalars(
        select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
    ).first()


def checkpoint_at(session: Session, size: int) -> LogCheckpoint:
    cp = session.get(LogCheckpoint, size)
    if cp is None:
        raise LogRangeError(
            {
                "size": (
                    f"没有树大小为 {size} 的检查点",
                    f"no checkpoint was published at tree size {size}",
                )
            }
        )
    return cp


def publish_checkpoint(session: Session) -> LogCheckpoint:
    """The signed checkpoint of the whole log, signing and storing one if the log grew.

    After a rotation of the log key, the checkpoint of an unchanged log is signed again with
    the new key (and not stored: the stored one of that size keeps the old key's signature).
    """
    size = log_size(session)
    latest = latest_checkpoint(session)
    active = keys.log_key(session)
    if latest is not None and latest.size >= size:
        if active is None or latest.key_fingerprint == active.fingerprint:
            return latest
        private, record = keys.log_signing_key(session)
        note = make_checkpoint(record.name, latest.size, bytes(latest.root), private)
        return LogCheckpoint(
            size=latest.size,
            root=bytes(latest.root),
            note=note,
            key_fingerprint=record.fingerprint,
            created_at=utcnow(),
        )
    private, record = keys.log_signing_key(session)
    root = root_at(session, size)
    note = make_checkpoint(record.name, size, root, private)
    values = {
        "size": size,
        "root": root,
        "note": note,
        "key_fingerprint": record.fingerprint,
        "created_at": utcnow(),
    }
    # another request may publish the same size meanwhile: Ed25519 signatures are
    # deterministic, so both notes are the same; keep the first
    if session.get_bind().dialect.name == "postgresql":
        stmt: Any = pg_insert(LogCheckpoint).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(LogCheckpoint).values(**values).on_conflict_do_nothing()
    session.execute(stmt)
    return checkpoint_at(session, size)


def log_vkey(session: Session) -> str:
    """Verifier key of the log (created with the log key on first use)."""
    record = keys.log_key(session)
    if record is None:
        _, record = keys.log_signing_key(session)
    assert record.vkey is not None
    return record.vkey


# ----------------------------------------------------------------------------------------------
# Public views
# ----------------------------------------------------------------------------------------------


def get_entry(session: Session, index: int) -> LogEntry:
    entry = session.get(LogEntry, index)
    if entry is None:
        raise LogRangeError(
            {"index": (f"日志中没有第 {index} 条", f"the log has no entry {index}")}
        )
    return entry


def entry_view(session: Session, index: int) -> dict[str, Any]:
    """An entry with its inclusion proof against the latest published checkpoint."""
    entry = get_entry(session, index)
    cp = publish_checkpoint(session)
    if cp.size <= index:  # pragma: no cover - publish covers every committed entry
        raise LogRangeError({"index": ("条目尚未发布", "the entry is not in a checkpoint yet")})
    return {
        "index": entry.index,
        "kind": entry.kind,
        "certificate_number": entry.certificate_number,
        "entry": entry.data.decode(),
        "payload": json.loads(entry.data),
        "leaf_hash": b64(entry.leaf_hash),
        "tree_size": cp.size,
        "inclusion_proof": [b64(h) for h in inclusion_proof_for(session, index, cp.size)],
        "checkpoint": cp.note,
    }


def consistency_view(session: Session, old: int, new: int) -> dict[str, Any]:
    size = log_size(session)
    if not 1 <= old <= size:
        raise LogRangeError(
            {"old": (f"应在 1 与 {size} 之间", f"old must be between 1 and {size}")}
        )
    if not old <= new <= size:
        raise LogRangeError(
            {"new": (f"应在 {old} 与 {size} 之间", f"new must be between {old} and {size}")}
        )
    out: dict[str, Any] = {
        "old": old,
        "new": new,
        "proof": [b64(h) for h in consistency_proof_for(session, old, new)],
    }
    for name, size_ in (("old_checkpoint", old), ("new_checkpoint", new)):
        cp = session.get(LogCheckpoint, size_)
        out[name] = cp.note if cp is not None else None
    return out


def entries_for_certificate(session: Session, number: str) -> list[LogEntry]:
    stmt = select(LogEntry).where(LogEntry.certificate_number == number).order_by(LogEntry.index)
    return list(session.scalars(stmt))


class UnknownCertificate(NotFound):
    def __init__(self, number: str) -> None:
        DomainError.__init__(
            self, f"日志中没有证书 {number}", f"the log has no certificate {number}"
        )
