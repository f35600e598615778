"""Measurement standards (计量标准) and the devices they are made of."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

STANDARD_LEVELS: dict[str, tuple[str, str]] = {
    "social_public": ("社会公用计量标准", "Social-public standard"),
    "department_highest": ("部门最高计量标准", "Departmental highest standard"),
    "enterprise_highest": ("企事业单位最高计量标准", "Enterprise highest standard"),
}


class MeasurementStandard(Base):
    __tablename__ = "measurement_standards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    quantity: Mapped[str] = mapped_column(String(60))
    measuring_range: Mapped[str | None] = mapped_column(String(120))
    uncertainty: Mapped[str | None] = mapped_column(String(160))
    level: Mapped[str] = mapped_column(String(30))
    assessment_cert_no: Mapped[str | None] = mapped_column(String(60))
    assessment_valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class StandardDevice(Base):
    __tablename__ = "standard_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("measurement_standards.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    maker: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    serial_no: Mapped[str | None] = mapped_column(String(100))
    accuracy: Mapped[str | None] = mapped_column(String(120))
    certificate_no: Mapped[str | None] = mapped_column(String(60))
    certificate_valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
