"""Reference materials (标准物质) with their certified values."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow


class ReferenceMaterial(Base):
    __tablename__ = "reference_materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    gbw_no: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    producer: Mapped[str] = mapped_column(String(200))
    lot: Mapped[str] = mapped_column(String(60))
    expiry: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CertifiedValue(Base):
    __tablename__ = "certified_values"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("reference_materials.id"), index=True)
    analyte: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    expanded_uncertainty: Mapped[float] = mapped_column(Float)
    coverage_factor: Mapped[float] = mapped_column(Float, default=2.0)
    unit: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="active")
