"""Tables of calibration and verification work: records, points, signatures, interval policies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
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

from jiliang.core.db import Base, utcnow

KINDS: dict[str, tuple[str, str]] = {
    "initial_verification": ("首次检定", "Initial verification"),
    "subsequent_verification": ("后续检定", "Subsequent verification"),
    "in_use_inspection": ("使用中检查", "In-use inspection"),
    "calibration": ("校准", "Calibration"),
}
VERIFICATION_KINDS = frozenset(
    {"initial_verification", "subsequent_verification", "in_use_inspection"}
)

RECORD_STATES: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "Draft"),
    "submitted": ("待核验", "Submitted"),
    "reviewed": ("待批准", "Reviewed"),
    "approved": ("已批准", "Approved"),
    "returned": ("已退回", "Returned"),
    "superseded": ("已被更正", "Superseded"),
}

# signature role -> (zh, en) meaning, recorded with each signature (21 CFR 11.50)
SIGNATURE_MEANINGS: dict[str, tuple[str, str]] = {
    "performed": (
        "检定/校准人员：本人完成了本记录所载的测量工作，数据真实",
        "Performed by: I carried out the measurements in this record and the data are true",
    ),
    "reviewed": (
        "核验员：本人已核验本记录的数据、计算与结论",
        "Reviewed by: I checked the data, calculations and conclusion of this record",
    ),
    "approved": (
        "批准人：本人批准本记录的结论",
        "Approved by: I approve the conclusion of this record",
    ),
}

POLICY_STATES: dict[str, tuple[str, str]] = {
    "proposed": ("待批准", "Proposed"),
    "approved": ("已批准", "Approved"),
    "rejected": ("已驳回", "Rejected"),
}


class CalibrationRecord(Base):
    __tablename__ = "calibration_records"
    __table_args__ = (
        UniqueConstraint("lab_org_id", "number", name="uq_calibration_records_lab_number"),
        Index("ix_calrec_lab_status", "lab_org_id", "status"),
        Index("ix_calrec_instrument", "instrument_id", "performed_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    customer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    procedure_code: Mapped[str] = mapped_column(String(40))
    procedure_title: Mapped[str | None] = mapped_column(String(200))
    performed_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(200))
    temperature: Mapped[float | None] = mapped_column(Float)
    humidity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    standard_ids: Mapped[list] = mapped_column(JSON, default=list)
    device_ids: Mapped[list] = mapped_column(JSON, default=list)
    material_ids: Mapped[list] = mapped_column(JSON, default=list)
    lapsed_override: Mapped[dict | None] = mapped_column(JSON)
    chain_override: Mapped[dict | None] = mapped_column(JSON)
    decision_rule: Mapped[dict] = mapped_column(JSON)
    uncertainty_model: Mapped[dict | None] = mapped_column(JSON)
    overall_verdict: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    return_reason: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("calibration_records.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(Integer)
    notice: Mapped[dict | None] = mapped_column(JSON)
    next_due_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CalibrationPoint(Base):
    __tablename__ = "calibration_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("calibration_records.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    nominal: Mapped[float] = mapped_column(Float)
    readings: Mapped[list] = mapped_column(JSON, default=list)
    as_found: Mapped[float | None] = mapped_column(Float)
    as_left: Mapped[float | None] = mapped_column(Float)
    error: Mapped[float | None] = mapped_column(Float)
    mpe_lower: Mapped[float | None] = mapped_column(Float)
    mpe_upper: Mapped[float | None] = mapped_column(Float)
    expanded_uncertainty: Mapped[float | None] = mapped_column(Float)
    coverage_factor: Mapped[float | None] = mapped_column(Float)
    uncertainty_basis: Mapped[str | None] = mapped_column(String(300))
    tur: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[str | None] = mapped_column(String(20))
    conformance_probability: Mapped[float | None] = mapped_column(Float)


class Signature(Base):
    __tablename__ = "calibration_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("calibration_records.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # performed | reviewed | approved
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    metrologist_id: Mapped[int | None] = mapped_column(ForeignKey("metrologists.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    meaning: Mapped[str] = mapped_column(String(300))
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="valid")  # valid | void


class IntervalPolicy(Base):
    """A lab's approved calibration interval for an instrument type (JJF 1139)."""

    __tablename__ = "calibration_interval_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("instrument_types.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    target: Mapped[float] = mapped_column(Float)
    current_interval_days: Mapped[int | None] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
