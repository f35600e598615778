"""Attachments (photos, scans, PDFs) kept in the database, owned by a record of some feature.

A feature registers an *owner kind* with a function that says whether a principal may read the
attachments of one of its records; the bytes are checked against their declared type by their
magic number, capped in size, and never rendered inline except as images. Attachments are never
deleted: a retired attachment keeps its bytes and its audit entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jiliang.core import audit
from jiliang.core.db import Base, utcnow
from jiliang.core.errors import NotFound, ValidationFailed
from jiliang.core.security import Principal

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_OWNER = 10

# content type -> accepted leading bytes
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}
ALLOWED_TYPES = tuple(_MAGIC)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# owner kind -> can_read(session, principal_or_None, owner_id) -> bool
READERS: dict[str, Callable[[Session, Principal | None, int], bool]] = {}


def register_owner(kind: str, can_read: Callable[[Session, Principal | None, int], bool]) -> None:
    """A feature declares who may read the attachments of its records (called once, at import)."""
    READERS[kind] = can_read


def sniff(content_type: str, data: bytes) -> str:
    """The content type if ``data`` really is one of the accepted kinds, else a ValidationFailed."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "image/jpg":
        ctype = "image/jpeg"
    if ctype not in _MAGIC:
        raise ValidationFailed.one(
            "attachments",
            f"不支持的文件类型“{ctype or '未知'}”；只接受 JPEG、PNG、WebP 图片或 PDF",
            f"Unsupported file type '{ctype or 'unknown'}': only JPEG, PNG, WebP images or PDF",
        )
    if not data:
        raise ValidationFailed.one("attachments", "文件为空", "The file is empty")
    if len(data) > MAX_BYTES:
        raise ValidationFailed.one(
            "attachments",
            f"文件超过 {MAX_BYTES // (1024 * 1024)} MB 上限",
            f"The file exceeds the {MAX_BYTES // (1024 * 1024)} MB limit",
        )
    if not any(data.startswith(m) for m in _MAGIC[ctype]) or (ctype == "image/webp" and data[8:12] != b"WEBP"):
        raise ValidationFailed.one(
            "attachments",
            f"文件内容与声明的类型 {ctype} 不符",
            f"The file's content does not match its declared type {ctype}",
        )
    return ctype


def check_files(files: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """Validate (filename, content type, bytes) triples before anything is stored."""
    if len(files) > MAX_PER_OWNER:
        raise ValidationFailed.one(
            "attachments", f"最多 {MAX_PER_OWNER} 个附件", f"At most {MAX_PER_OWNER} attachments"
        )
    out = []
    for name, ctype, data in files:
        clean = "".join(ch for ch in (name or "file") if ch.isprintable() and ch not in '/\\"')[-200:] or "file"
        out.append((clean, sniff(ctype, data), data))
    return out


def store(
    session: Session,
    who: Principal | None,
    owner_kind: str,
    owner_id: int,
    files: list[tuple[str, str, bytes]],
) -> list[Attachment]:
    """Store validated files for one owner record, each with an audit entry (no bytes in the log)."""
    if owner_kind not in READERS:
        raise ValueError(f"attachment owner kind {owner_kind!r} is not registered")
    existing = len(list(session.scalars(select(Attachment.id).where(
        Attachment.owner_kind == owner_kind, Attachment.owner_id == owner_id))))
    if existing + len(files) > MAX_PER_OWNER:
        raise ValidationFailed.one(
            "attachments", f"最多 {MAX_PER_OWNER} 个附件", f"At most {MAX_PER_OWNER} attachments"
        )
    stored = []
    for name, ctype, data in check_files(files):
        att = Attachment(
            owner_kind=owner_kind, owner_id=owner_id, filename=name, content_type=ctype,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
            uploaded_by=getattr(who, "user_id", None) or None,
        )
        session.add(att)
        session.flush()
        audit.record(session, who, "create", "attachment", att.id,
                     after={"owner": f"{owner_kind}:{owner_id}", "filename": name,
                            "content_type": ctype, "size": len(data), "sha256": att.sha256})
        stored.append(att)
    return stored


def list_for(session: Session, owner_kind: str, owner_id: int) -> list[Attachment]:
    """Metadata of an owner's attachments (the caller has already checked it may see the owner)."""
    return list(session.scalars(
        select(Attachment).where(Attachment.owner_kind == owner_kind, Attachment.owner_id == owner_id,
                                 Attachment.status == "active").order_by(Attachment.id)
    ))


def get_readable(session: Session, who: Principal | None, attachment_id: int) -> Attachment:
    """One attachment, if its owner's feature lets ``who`` read it; NotFound otherwise."""
    if not 0 < attachment_id <= 2_147_483_647:
        raise NotFound("attachment", attachment_id)
    att = session.get(Attachment, attachment_id)
    if att is None or att.status != "active":
        raise NotFound("attachment", attachment_id)
    reader = READERS.get(att.owner_kind)
    if reader is None or not reader(session, who, att.owner_id):
        raise NotFound("attachment", attachment_id)
    return att


def as_dict(att: Attachment) -> dict:
    return {
        "id": att.id, "filename": att.filename, "content_type": att.content_type, "size": att.size,
        "sha256": att.sha256, "url": f"/attachments/{att.id}",
        "created_at": att.created_at.isoformat(timespec="seconds") if att.created_at else None,
    }
