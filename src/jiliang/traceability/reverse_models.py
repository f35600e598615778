"""Reverse-traceability cases: a standard (or a device of it, or an RM lot) found out of
tolerance, and one impact item per calibration result reached through it.

An item is a snapshot taken when the case opens (record, certificate, instrument, owner,
county, depth, the path it was reached by, and the calibration points whose verdict could
change); the lab then records a disposition on each until every item is closed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.calibration.models import CalibrationRecord
from jiliang.core.db import Base, utcnow
from jiliang.traceability.models import RecordRef

CASE_STATES: dict[str, tuple[str, str]] = {
    "open": ("处理中", "Open"),
    "closed": ("已关闭", "Closed"),
}

ITEM_STATES: dict[str, tuple[str, str]] = {
    "open": ("待处置", "Open"),
    "closed": ("已处置", "Closed"),
}

DISPOSITIONS: dict[str, tuple[str, str]] = {
    "no_effect": ("无影响", "No effect"),
    "recall": ("召回", "Recall"),
    "reverify": ("重新检定/校准", "Re-verify"),
    "certificate_superseded": ("证书已替代", "Certificate superseded"),
}

SUBJECT_KINDS: dict[str, tuple[str, str]] = {
    "standard": ("计量标准", "Measurement standard"),
    "device": ("标准器", "Standard device"),
    "material": ("标准物质批次", "Reference material lot"),
}


class ReverseCase(Base):
    """A standard marked out of tolerance over a date window, with its impact assessment."""

    __tablename__ = "trace_reverse_cases"
    __table_args__ = (Index("ix_trace_reverse_cases_lab", "lab_org_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    subject_kind: Mapped[str] = mapped_column(String(10))  # standard | device | material
    subject_id: Mapped[int] = mapped_column(Integer)
    standard_id: Mapped[int | None] = mapped_column(ForeignKey("measurement_standards.id"))
    subject_label: Mapped[str] = mapped_column(String(300))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    error_found: Mapped[float] = mapped_column(Float)
    error_unit: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    total: Mapped[int] = mapped_column(Integer, default=0)
    closed_items: Mapped[int] = mapped_column(Integer, default=0)
    max_depth: Mapped[int] = mapped_column(Integer, default=0)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReverseItem(Base):
    """One affected calibration result of a case, and its disposition."""

    __tablename__ = "trace_reverse_items"
    __table_args__ = (
        UniqueConstraint("case_id", "record_id", name="uq_trace_reverse_items_case_record"),
        Index("ix_trace_reverse_items_case_status", "case_id", "status", "depth"),
        Index("ix_trace_reverse_items_case_owner", "case_id", "owner_org_id"),
        Index("ix_trace_reverse_items_case_region", "case_id", "region_code"),
        Index("ix_trace_reverse_items_case_lab", "case_id", "lab_org_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("trace_reverse_cases.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("calibration_records.id"))
    record_number: Mapped[str] = mapped_column(String(40))
    lab_org_id: Mapped[int] = mapped_column(Integer)
    performed_on: Mapped[date] = mapped_column(Date)
    certificate_id: Mapped[int | None] = mapped_column(Integer)
    certificate_number: Mapped[str | None] = mapped_column(String(64))
    instrument_id: Mapped[int] = mapped_column(Integer)
    serial_no: Mapped[str | None] = mapped_column(String(100))
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    owner_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    depth: Mapped[int] = mapped_column(Integer)
    via: Mapped[list] = mapped_column(JSON, default=list)
    points: Mapped[list] = mapped_column(JSON, default=list)
    verdict_may_change: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10), default="open")
    disposition: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)


# Covering indexes for the reverse trace (index-only scans at 10^6 records): the records that used
# a standard, device or RM lot over a window; the superseded records, which do not count.
Index("ix_record_refs_reverse", RecordRef.ref_kind, RecordRef.ref_id, RecordRef.performed_on, RecordRef.record_id)
Index("ix_calrec_status_id", CalibrationRecord.status, CalibrationRecord.id)
