"""Aggregates for dashboards: counts by status, per child region, within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jiliang.core.errors import NotFound
from jiliang.core.security import Principal
from jiliang.instruments.models import STATUSES, Instrument
from jiliang.instruments.service import INSTRUMENTS
from jiliang.regions.models import Region

ACTIVE = ("registered", "in_service", "due", "overdue")
DUE_SOON_DAYS = 30


@dataclass
class RegionRow:
    code: str
    name: str
    total: int = 0
    active: int = 0
    overdue: int = 0
    due_soon: int = 0

    @property
    def overdue_rate(self) -> float | None:
        return self.overdue / self.active if self.active else None


@dataclass
class Dashboard:
    region: Region | None
    breadcrumbs: list[Region]
    by_status: dict[str, int]
    children: list[RegionRow] = field(default_factory=list)
    due_soon: int = 0
    due_items: list = field(default_factory=list)
    standards_due: list = field(default_factory=list)
    devices_due: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def default_region(principal: Principal) -> str | None:
    if principal.is_regulator:
        return principal.scope_region
    if principal.is_admin:
        return "610000"
    return None


def _in_scope(principal: Principal, region: Region) -> bool:
    if principal.is_admin:
        return True
    if not principal.is_regulator:
        return False
    if principal.scope_level == "province":
        return True
    if principal.scope_level == "city":
        return region.city_code == principal.scope_region
    return region.code == principal.scope_region


def build(session: Session, principal: Principal, region_code: str | None, lang: str) -> Dashboard:
    """The dashboard for a region (regulators, admin) or for the caller's own organisation.

    One grouped query over the scoped instruments gives every figure: counts by status, the
    due-soon count and the per-child-region sums; on PostgreSQL it is read from the
    ``ix_instr_city_summary`` / ``ix_instr_county_list`` indexes alone.
    """
    today = date.today()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    region = None
    crumbs: list[Region] = []
    due_soon = case(
        (Instrument.status.in_(ACTIVE) & (Instrument.due_date >= today) & (Instrument.due_date <= soon), 1),
        else_=0,
    )
    child_col = None
    stmt = INSTRUMENTS.policy.scope(principal, select(Instrument.status, func.count(), func.sum(due_soon)))
    if principal.is_regulator or principal.is_admin:
        region = session.get(Region, region_code or default_region(principal))
        if region is None or not _in_scope(principal, region):
            raise NotFound("region", region_code)
        node: Region | None = region
        while node is not None:
            crumbs.insert(0, node)
            node = session.get(Region, node.parent_code) if node.parent_code else None
        if region.level == "province":
            child_col = Instrument.city_code
        elif region.level == "city":
            stmt = stmt.where(Instrument.city_code == region.code)
            child_col = Instrument.region_code
        else:
            stmt = stmt.where(Instrument.region_code == region.code)
    if child_col is not None:
        stmt = stmt.add_columns(child_col).group_by(child_col, Instrument.status)
    else:
        stmt = stmt.group_by(Instrument.status)
    by_status = {s: 0 for s in STATUSES}
    per_child: dict[str, list[int]] = {}
    total_due = 0
    for row in session.execute(stmt):
        status, count, due = row[0], row[1], int(row[2] or 0)
        by_status[status] = by_status.get(status, 0) + count
        total_due += due
        if child_col is not None:
            figures = per_child.setdefault(row[3], [0, 0, 0, 0])  # total, active, overdue, due
            figures[0] += count
            figures[1] += count if status in ACTIVE else 0
            figures[2] += count if status == "overdue" else 0
            figures[3] += due
    dash = Dashboard(region, [c for c in crumbs if _in_scope(principal, c)], by_status)
    dash.due_soon = total_due
    if region is None:
        _own_organisation_lists(session, principal, dash, today, soon)
    if child_col is not None:
        kids = session.scalars(
            select(Region).where(Region.parent_code == region.code).order_by(Region.code)
        ).all()
        for kid in kids:
            total, active, overdue, due = per_child.get(kid.code, (0, 0, 0, 0))
            dash.children.append(RegionRow(kid.code, kid.name(lang), total, active, overdue, due))
    return dash


STANDARD_WARNING_DAYS = 90


def _own_organisation_lists(session: Session, principal: Principal, dash: Dashboard, today, soon) -> None:
    """What an enterprise or a laboratory has to act on: due instruments, expiring standards."""
    from jiliang.standards.models import MeasurementStandard, StandardDevice

    stmt = INSTRUMENTS.policy.scope(principal, select(Instrument)).where(
        Instrument.status.in_(ACTIVE), Instrument.due_date <= soon
    )
    dash.due_items = list(session.scalars(stmt.order_by(Instrument.due_date).limit(15)))
    if principal.is_lab and principal.org_id is not None:
        horizon = today + timedelta(days=STANDARD_WARNING_DAYS)
        dash.standards_due = list(session.scalars(
            select(MeasurementStandard)
            .where(MeasurementStandard.lab_org_id == principal.org_id,
                   MeasurementStandard.status == "active",
                   MeasurementStandard.assessment_valid_until <= horizon)
            .order_by(MeasurementStandard.assessment_valid_until)
        ))
        dash.devices_due = list(session.scalars(
            select(StandardDevice)
            .join(MeasurementStandard, StandardDevice.standard_id == MeasurementStandard.id)
            .where(MeasurementStandard.lab_org_id == principal.org_id,
                   StandardDevice.status == "active",
                   StandardDevice.certificate_valid_until <= horizon)
            .order_by(StandardDevice.certificate_valid_until)
        ))
