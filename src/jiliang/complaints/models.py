"""Complaints (投诉举报), their timeline of events and replies, and the anti-abuse hit log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

CATEGORIES: dict[str, tuple[str, str]] = {
    "short_weight": ("短斤缺两", "Short weight"),
    "fuel_dispenser": ("加油机", "Fuel dispenser"),
    "taxi_meter": ("出租车计价器", "Taxi meter"),
    "medical": ("医疗计量器具", "Medical instrument"),
    "prepackaged": ("定量包装商品净含量", "Prepackaged net content"),
    "certificate_fraud": ("伪造计量证书", "Certificate fraud"),
    "other": ("其他", "Other"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "received": ("待受理", "Received"),
    "accepted": ("已受理，调查中", "Accepted, under investigation"),
    "rejected": ("不予受理", "Rejected"),
    "answered": ("已答复", "Answered"),
    "closed": ("已办结", "Closed"),
}

OUTCOMES: dict[str, tuple[str, str]] = {
    "upheld": ("投诉属实", "Upheld"),
    "not_upheld": ("投诉不属实", "Not upheld"),
}

# event kinds of the timeline
EVENTS: dict[str, tuple[str, str]] = {
    "created": ("提交", "Filed"),
    "accepted": ("受理", "Accepted"),
    "rejected": ("不予受理", "Rejected"),
    "note": ("调查记录", "Investigation note"),
    "reply": ("答复", "Reply"),
    "outcome": ("调查结论", "Outcome"),
    "closed": ("办结", "Closed"),
    "published": ("公开", "Published"),
    "reward": ("举报奖励", "Whistle-blower reward"),
}


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_scope", "city_code", "region_code", "status"),
        Index("ix_complaints_subject", "subject_org_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    city_code: Mapped[str | None] = mapped_column(String(6))
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instruments.id"))
    certificate_number: Mapped[str | None] = mapped_column(String(64))
    subject_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    business_name: Mapped[str] = mapped_column(String(200))
    business_address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="received", index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    accept_due: Mapped[date] = mapped_column(Date)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    investigate_due: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(12))
    reply: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    public_summary: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    reward_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reward_date: Mapped[date | None] = mapped_column(Date)
    reward_approved_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ComplaintEvent(Base):
    """One step of a complaint's timeline; ``public`` events are the replies the filer sees."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(12))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100), default="public")


class ComplaintRateHit(Base):
    """One accepted submission per key (a client address or a contact), hashed; the rate limit
    counts these in a sliding window, so it holds across workers and restarts."""

    __tablename__ = "complaint_rate_hits"
    __table_args__ = (Index("ix_complaint_rate_hits_key", "key_kind", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_kind: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
