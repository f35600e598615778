"""Filings of mandatory instruments (强检备案): an owner declares an instrument under mandatory
verification — its use, location, designated verification institution and contact — and the
county regulator of the place reviews the filing. Nothing is deleted: a filing is approved,
rejected, withdrawn or superseded by a refiled one, every step audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

FILING_STATUS: dict[str, tuple[str, str]] = {
    "submitted": ("待审核", "Submitted"),
    "approved": ("已备案", "Approved"),
    "rejected": ("已退回", "Rejected"),
    "withdrawn": ("已撤回", "Withdrawn"),
}
OPEN_STATUSES = ("submitted", "approved")


class Filing(Base):
    __tablename__ = "mandatory_filings"
    __table_args__ = (
        Index("ix_filings_instrument", "instrument_id", "status"),
        Index("ix_filings_owner", "owner_org_id", "status"),
        Index("ix_filings_region", "region_code", "status"),
        Index("ix_filings_city", "city_code", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("mandatory_catalogue_items.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    # what the owner declared, kept as filed (the instrument may change later)
    serial_no: Mapped[str] = mapped_column(String(100))
    owner_name: Mapped[str] = mapped_column(String(200))
    use: Mapped[str] = mapped_column(String(30))
    location: Mapped[str] = mapped_column(String(300))
    institution_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("mandatory_filings.id"))
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decision_reason: Mapped[str | None] = mapped_column(Text)
