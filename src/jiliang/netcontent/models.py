"""Net-content inspections of prepackaged goods and producers' C-mark self-declarations.

An inspection keeps the lot document given to the kernel (``jiliang.prepackaged.evaluate``) and
the kernel's full result, so every figure behind a verdict can be shown and printed again. The
producer's name, USCC and place are copied at inspection time: the record says what was
inspected even if the organisation is renamed or moves later.
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

CATEGORIES: dict[str, tuple[str, str]] = {
    "food": ("食品", "Food"),
    "beverage": ("饮料", "Beverages"),
    "alcohol": ("酒类", "Alcoholic drinks"),
    "daily_chemicals": ("日化用品", "Daily chemicals"),
    "building_materials": ("水泥及建材", "Cement and building materials"),
    "agricultural_inputs": ("农资（化肥、农药、种子）", "Agricultural inputs"),
    "paper_textiles": ("纸品及纺织品", "Paper and textiles"),
    "other": ("其他", "Other"),
}
QUANTITY_KINDS: dict[str, tuple[str, str]] = {
    "mass": ("质量", "Mass"),
    "volume": ("体积", "Volume"),
    "length": ("长度", "Length"),
    "area": ("面积", "Area"),
    "count": ("计数", "Count"),
}
VERDICTS: dict[str, tuple[str, str]] = {
    "pass": ("合格", "Pass"),
    "fail": ("不合格", "Fail"),
}
INSPECTION_STATUS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "Draft"),
    "final": ("已定稿", "Final"),
    "void": ("已作废", "Void"),
}
DECLARATION_STATUS: dict[str, tuple[str, str]] = {
    "active": ("有效", "Active"),
    "withdrawn": ("已撤回", "Withdrawn"),
}


class NetContentInspection(Base):
    __tablename__ = "netcontent_inspections"
    __table_args__ = (
        Index("ix_netcontent_scope", "city_code", "region_code"),
        Index("ix_netcontent_stats", "status", "category", "verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspector_name: Mapped[str] = mapped_column(String(100), default="")
    inspecting_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    producer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    producer_name: Mapped[str] = mapped_column(String(200))
    producer_uscc: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    product_name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    brand: Mapped[str | None] = mapped_column(String(100))
    batch_no: Mapped[str | None] = mapped_column(String(60))
    quantity: Mapped[str] = mapped_column(String(10))
    nominal: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10))
    rules: Mapped[str] = mapped_column(String(30))
    lot_size: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    campaign: Mapped[str | None] = mapped_column(String(100), index=True)
    sampled_at: Mapped[date] = mapped_column(Date)
    document: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CapabilityDeclaration(Base):
    """A producer's self-declaration of net-content capability (C 标志自我声明)."""

    __tablename__ = "capability_declarations"
    __table_args__ = (Index("ix_capability_scope", "city_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_name: Mapped[str] = mapped_column(String(200))
    org_uscc: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    categories: Mapped[list] = mapped_column(JSON)
    products: Mapped[str | None] = mapped_column(Text)
    declared_on: Mapped[date] = mapped_column(Date)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
