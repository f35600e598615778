"""Commitments (诚信计量承诺), capability self-declarations and rating snapshots."""

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


class Commitment(Base):
    """An operator's signed commitment to honest measurement, for one version of the text."""

    __tablename__ = "integrity_commitments"
    __table_args__ = (Index("ix_integrity_commitments_org", "org_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    text_version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    signer_title: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | superseded | withdrawn
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)


class CapabilityDeclaration(Base):
    """An enterprise's self-declared measurement capability; each new one supersedes the last."""

    __tablename__ = "integrity_declarations"
    __table_args__ = (Index("ix_integrity_declarations_org", "org_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    management: Mapped[str] = mapped_column(Text)
    management_certified: Mapped[str | None] = mapped_column(String(100))
    instruments_count: Mapped[int] = mapped_column(Integer)
    instruments_note: Mapped[str | None] = mapped_column(Text)
    standards_count: Mapped[int] = mapped_column(Integer)
    standards_note: Mapped[str | None] = mapped_column(Text)
    staff_count: Mapped[int] = mapped_column(Integer)
    registered_metrologists: Mapped[int] = mapped_column(Integer)
    traceability: Mapped[str] = mapped_column(Text)
    declared_on: Mapped[date] = mapped_column(Date)
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | superseded | withdrawn
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Rating(Base):
    """One operator's integrity score and grade as of a date, with the inputs it came from."""

    __tablename__ = "integrity_ratings"
    __table_args__ = (
        UniqueConstraint("org_id", "as_of", name="uq_integrity_ratings_org_as_of"),
        Index("ix_integrity_ratings_as_of", "as_of", "grade"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(1))
    formula_version: Mapped[str] = mapped_column(String(10))
    inputs: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
