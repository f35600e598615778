"""Organisations: regulators, legal metrology institutes, labs, enterprises, individual businesses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

ORG_KINDS: dict[str, tuple[str, str]] = {
    "regulator": ("市场监管部门", "Market regulation bureau"),
    "legal_institute": ("法定计量检定机构", "Legal metrology institute"),
    "calibration_lab": ("授权校准机构", "Authorised calibration lab"),
    "enterprise": ("企业", "Enterprise"),
    "individual": ("个体工商户", "Individual business"),
}
LAB_KINDS = ("legal_institute", "calibration_lab")
RECORD_STATUS: dict[str, tuple[str, str]] = {
    "active": ("有效", "Active"),
    "retired": ("已注销", "Retired"),
}


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (Index("ix_org_scope", "city_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    city_code: Mapped[str | None] = mapped_column(String(6))
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    accreditation_no: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
