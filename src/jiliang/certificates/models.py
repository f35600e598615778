"""Tables of issued certificates and their per-organisation number sequences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

CERT_KINDS: dict[str, tuple[str, str]] = {
    "verification": ("检定证书", "Verification certificate"),
    "verification_notice": ("检定结果通知书", "Verification result notice"),
    "calibration": ("校准证书", "Calibration certificate"),
}
CERT_STATES: dict[str, tuple[str, str]] = {
    "issued": ("有效", "Valid"),
    "revoked": ("已撤销", "Revoked"),
    "superseded": ("已被替代", "Superseded"),
}


class Certificate(Base):
    """An issued certificate; the signed XML is stored byte for byte and never re-serialised."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_lab_status", "lab_org_id", "status"),
        Index("ix_certificates_customer", "customer_org_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(12), default="issued")
    record_id: Mapped[int] = mapped_column(ForeignKey("calibration_records.id"), unique=True)
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    customer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    conformity: Mapped[str | None] = mapped_column(String(20))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    xml_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    log_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str | None] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)
    end_log_index: Mapped[int | None] = mapped_column(Integer)
    superseded_by: Mapped[str | None] = mapped_column(String(64))


class CertificateSequence(Base):
    """The last number used per organisation, year and kind; taken under a row lock."""

    __tablename__ = "certificate_sequences"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
