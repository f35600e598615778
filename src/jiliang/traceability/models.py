"""The traceability chain as data.

* ``RecordRef``: which standards, devices and reference-material lots a calibration record used
  (one row each, kept by the calibration service on every write), so "every result reached through
  standard A" is an index range scan, not a scan of JSON arrays.
* ``ExternalCertificate``: a certificate issued outside Jiliang (a national metrology institute,
  another region's lab, a foreign NMI under the CIPM MRA with its KCDB reference), entered by the
  lab that holds it; it may be terminal (a national primary standard, or a declared SI realisation).
* ``TraceLink``: "subject X was calibrated by source S on date D, valid until V, with expanded
  uncertainty U": the edge from a standard, a device or an RM lot up to a Jiliang calibration
  record, an external certificate, or directly to a terminal node.
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
)
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

REF_KINDS: dict[str, tuple[str, str]] = {
    "standard": ("计量标准", "Measurement standard"),
    "device": ("标准器", "Standard device"),
    "material": ("标准物质", "Reference material lot"),
}

SOURCE_KINDS: dict[str, tuple[str, str]] = {
    "record": ("本平台检定/校准记录", "Jiliang calibration record"),
    "external": ("外部证书", "External certificate"),
    "terminal": ("溯源终点", "Terminal node"),
}

ISSUER_KINDS: dict[str, tuple[str, str]] = {
    "national_institute": ("国家计量院/国家授权机构", "National metrology institute"),
    "regional_lab": ("其他地区法定计量技术机构", "Another region's laboratory"),
    "foreign_nmi": ("国外国家计量院（CIPM MRA）", "Foreign NMI (CIPM MRA)"),
    "other": ("其他机构", "Other issuer"),
}

TERMINAL_KINDS: dict[str, tuple[str, str]] = {
    "national_primary": ("国家计量基准", "National primary standard"),
    "si_realisation": ("SI 单位复现（声明）", "Declared SI realisation"),
}

LINK_STATES: dict[str, tuple[str, str]] = {
    "active": ("有效", "Active"),
    "retired": ("已停用", "Retired"),
}


class RecordRef(Base):
    __tablename__ = "calibration_record_refs"
    __table_args__ = (Index("ix_record_refs_ref", "ref_kind", "ref_id", "performed_on"),)

    record_id: Mapped[int] = mapped_column(ForeignKey("calibration_records.id"), primary_key=True)
    ref_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    performed_on: Mapped[date] = mapped_column(Date)
    lab_org_id: Mapped[int] = mapped_column(Integer)


class ExternalCertificate(Base):
    __tablename__ = "external_certificates"
    __table_args__ = (Index("ix_extcert_holder_number", "holder_org_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    issuer_name: Mapped[str] = mapped_column(String(200))
    issuer_kind: Mapped[str] = mapped_column(String(30))
    issuer_country: Mapped[str | None] = mapped_column(String(2))
    number: Mapped[str] = mapped_column(String(80))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[str | None] = mapped_column(String(100))
    reported_values: Mapped[str | None] = mapped_column(Text)
    expanded_uncertainty: Mapped[float | None] = mapped_column(Float)
    coverage_factor: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(30))
    kcdb_reference: Mapped[str | None] = mapped_column(String(100))
    terminal_kind: Mapped[str | None] = mapped_column(String(20))
    terminal_reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | revoked | superseded
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class TraceLink(Base):
    __tablename__ = "trace_links"
    __table_args__ = (
        Index("ix_trace_links_subject", "subject_kind", "subject_id", "calibrated_on"),
        Index("ix_trace_links_record", "record_id"),
        Index("ix_trace_links_external", "external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))  # standard | device | material
    subject_id: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(10))  # record | external | terminal
    record_id: Mapped[int | None] = mapped_column(ForeignKey("calibration_records.id"))
    external_id: Mapped[int | None] = mapped_column(ForeignKey("external_certificates.id"))
    terminal_kind: Mapped[str | None] = mapped_column(String(20))
    terminal_reference: Mapped[str | None] = mapped_column(String(200))
    calibrated_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    expanded_uncertainty: Mapped[float | None] = mapped_column(Float)
    coverage_factor: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ChainReport(Base):
    """One laboratory's part of a nightly chain check: counts and the broken results with reasons.

    A nightly run writes one row per laboratory that has approved records (the run is named by
    ``run_at``), so a lab reads its own rows and a regulator the rows of labs in his region.
    """

    __tablename__ = "trace_chain_reports"
    __table_args__ = (Index("ix_trace_chain_reports_lab", "lab_org_id", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    checked: Mapped[int] = mapped_column(Integer, default=0)
    traceable: Mapped[int] = mapped_column(Integer, default=0)
    broken: Mapped[int] = mapped_column(Integer, default=0)
    by_code: Mapped[dict] = mapped_column(JSON, default=dict)
    items: Mapped[list] = mapped_column(JSON, default=list)  # broken results, capped
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)


# the Resources (external certificates, trace links) register with the registry when the
# tables are imported, so the generic API routes and pages see them
from jiliang.traceability import service as _service  # noqa: E402,F401
