"""Inspections and enforcement (专项检查) and the stored "double random, one public" draws.

A campaign (专项检查) has a category, a region, a period, checklist items and inspectors; each of
its targets is an :class:`Inspection` (an organisation, optionally some of its instruments, the
inspectors sent, the checklist results). An inspection yields findings (table
``inspection_findings``, the interface other features read), each followed up until closed:
the target reports its rectification, a regulator verifies it. :class:`Draw` keeps a verifiable
draw: the commitment (SHA-256 of a server-generated seed, published first), the population
snapshot and its hash, the selection, and — once revealed — the document
``jiliang draw verify`` accepts. Nothing here is deleted: rows are retired, cancelled or closed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

SEVERITIES: dict[str, tuple[str, str]] = {
    "minor": ("轻微", "Minor"),
    "major": ("一般", "Major"),
    "serious": ("严重", "Serious"),
}
FINDING_STATUS: dict[str, tuple[str, str]] = {
    "open": ("待整改", "Open"),
    "rectified": ("已报整改", "Rectification reported"),
    "closed": ("已销号", "Closed"),
}
CAMPAIGN_STATUS: dict[str, tuple[str, str]] = {
    "active": ("进行中", "Active"),
    "closed": ("已结束", "Closed"),
    "cancelled": ("已撤销", "Cancelled"),
}
INSPECTION_STATUS: dict[str, tuple[str, str]] = {
    "planned": ("待检查", "Planned"),
    "inspected": ("已检查", "Inspected"),
    "closed": ("已办结", "Closed"),
    "cancelled": ("已取消", "Cancelled"),
}
CHECK_RESULTS: dict[str, tuple[str, str]] = {
    "pass": ("符合", "Pass"),
    "fail": ("不符合", "Fail"),
    "na": ("不适用", "Not applicable"),
}
DRAW_STATUS: dict[str, tuple[str, str]] = {
    "committed": ("已承诺种子", "Seed committed"),
    "snapshotted": ("已固定对象库", "Population fixed"),
    "drawn": ("已抽取", "Drawn"),
    "published": ("已公示", "Published"),
}
FOLLOWUP_KINDS: dict[str, tuple[str, str]] = {
    "report": ("整改报告", "Rectification report"),
    "accept": ("验证通过", "Verified"),
    "reject": ("验证不通过", "Not accepted"),
}


class InspectionCategory(Base):
    """A category of inspection defined by a regulator, next to the built-in ones."""

    __tablename__ = "inspection_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150))
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    type_codes: Mapped[list] = mapped_column(JSON, default=list)
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    region_code: Mapped[str] = mapped_column(String(6))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Inspector(Base):
    """One member of the inspector pool (执法检查人员库) with the relations declared."""

    __tablename__ = "inspection_inspectors"
    __table_args__ = (Index("ix_inspectors_scope", "city_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    badge_no: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    region_level: Mapped[str] = mapped_column(String(10))
    # declared relations: [{"org_id": int, "note": str, "declared_on": "YYYY-MM-DD"}]
    relations: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Campaign(Base):
    __tablename__ = "inspection_campaigns"
    __table_args__ = (Index("ix_campaigns_scope", "city_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    region_level: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    # [{"code": "C1", "text": "..."}]
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    inspector_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Draw(Base):
    """A verifiable draw: commitment first, then snapshot, selection, and the revealed seed.

    ``seed_hex`` stays private until ``status`` is ``published``; ``document`` is the exact JSON
    ``jiliang draw verify`` re-runs (it contains the seed, so it is shown only once published).
    """

    __tablename__ = "inspection_draws"
    __table_args__ = (Index("ix_draws_scope", "city_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    region_level: Mapped[str] = mapped_column(String(10))
    # {"category": str | None, "region_code": str, "kinds": [...]}
    filter: Mapped[dict] = mapped_column(JSON)
    n_targets: Mapped[int] = mapped_column(Integer)
    inspectors_per_target: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str] = mapped_column(String(64))
    seed_hex: Mapped[str] = mapped_column(String(128))
    population_hash: Mapped[str | None] = mapped_column(String(64))
    population: Mapped[dict | None] = mapped_column(JSON)
    selection: Mapped[list | None] = mapped_column(JSON)
    document: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="committed")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    committed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    snapshotted_at: Mapped[datetime | None] = mapped_column(DateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)


class Inspection(Base):
    """One target of a campaign, inspected on site."""

    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_scope", "city_code", "region_code"),
        Index("ix_inspections_campaign", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaigns.id"))
    target_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    target_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    instrument_ids: Mapped[list] = mapped_column(JSON, default=list)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_draws.id"))
    # [{"code": "C1", "result": "pass|fail|na", "note": str}]
    checklist_results: Mapped[list] = mapped_column(JSON, default=list)
    conclusion: Mapped[str | None] = mapped_column(Text)
    inspected_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class InspectionTeam(Base):
    """The inspectors sent to one inspection (the source of "the inspector's earlier case")."""

    __tablename__ = "inspection_team"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), primary_key=True)
    inspector_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_inspectors.id"), primary_key=True, index=True
    )


class InspectionFinding(Base):
    __tablename__ = "inspection_findings"
    __table_args__ = (Index("ix_findings_follow_up", "status", "rectify_by"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    target_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    item: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instruments.id"))
    found_on: Mapped[date] = mapped_column(Date)
    rectify_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class FindingFollowUp(Base):
    """The rectification follow-up of a finding: the target's report, the regulator's verdicts."""

    __tablename__ = "inspection_followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspection_findings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text)
    new_deadline: Mapped[date | None] = mapped_column(Date)
    by_user: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
