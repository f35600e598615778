"""Instrument types and instruments (计量器具) with their life-cycle status."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

MANDATORY_FORMS: dict[str, tuple[str, str]] = {
    "periodic": ("周期检定", "Periodic verification"),
    "initial_only": ("首次检定（限期使用/失准报废）", "Initial verification only"),
}

USES: dict[str, tuple[str, str]] = {
    "trade_settlement": ("贸易结算", "Trade settlement"),
    "safety_protection": ("安全防护", "Safety protection"),
    "medical_health": ("医疗卫生", "Medical and health"),
    "environmental_monitoring": ("环境监测", "Environmental monitoring"),
    "other": ("其他", "Other"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "registered": ("已登记", "Registered"),
    "in_service": ("在用", "In service"),
    "due": ("待检", "Due"),
    "overdue": ("超期未检", "Overdue"),
    "suspended": ("停用", "Suspended"),
    "under_repair": ("维修中", "Under repair"),
    "scrapped": ("已报废", "Scrapped"),
}

# The life cycle: which status may follow which. ``scrapped`` is final (never deleted).
TRANSITIONS: dict[str, frozenset[str]] = {
    "registered": frozenset({"in_service", "due", "suspended", "scrapped"}),
    "in_service": frozenset({"due", "overdue", "suspended", "under_repair", "scrapped"}),
    "due": frozenset({"in_service", "overdue", "suspended", "under_repair", "scrapped"}),
    "overdue": frozenset({"in_service", "suspended", "under_repair", "scrapped"}),
    "suspended": frozenset({"in_service", "under_repair", "scrapped"}),
    "under_repair": frozenset({"in_service", "suspended", "scrapped"}),
    "scrapped": frozenset(),
}


class InstrumentType(Base):
    __tablename__ = "instrument_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150))
    regulation_code: Mapped[str | None] = mapped_column(String(40))
    regulation_title: Mapped[str | None] = mapped_column(String(200))
    period_months: Mapped[int | None] = mapped_column(Integer)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    mandatory_form: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active")


class Instrument(Base):
    __tablename__ = "instruments"
    __table_args__ = (
        Index("ix_instr_county_list", "region_code", "status", "type_id", "due_date"),
        Index("ix_instr_county_due", "region_code", "due_date"),
        # the due-soon window of the dashboards, read from the index alone
        Index("ix_instr_due_window", "due_date", "status", "city_code", "region_code"),
        Index("ix_instr_owner_due", "owner_org_id", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("instrument_types.id"), index=True)
    maker: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    serial_no: Mapped[str] = mapped_column(String(100), index=True)
    measuring_range: Mapped[str | None] = mapped_column(String(100))
    accuracy: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    city_code: Mapped[str | None] = mapped_column(String(6))
    use: Mapped[str] = mapped_column(String(30), default="other")
    status: Mapped[str] = mapped_column(String(20), default="registered")
    due_date: Mapped[date | None] = mapped_column(Date)
    last_verified: Mapped[date | None] = mapped_column(Date)
    qr_token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class InstrumentCount(Base):
    """How many instruments each county holds in each status: derived data for dashboards.

    Kept exact by database triggers on ``instruments`` (migration 0001), in the same
    transaction as every insert, status or region change, whatever code path writes.
    """

    __tablename__ = "instrument_counts"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    city_code: Mapped[str | None] = mapped_column(String(6), index=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
