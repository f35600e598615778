"""Aggregates for dashboards: counts by status, per child region, within the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.core.errors import NotFound
from jiliang.core.security import Principal
from jiliang.instruments.models import STATUSES, Instrument, InstrumentCount
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

    A region's counts by status come from ``instrument_counts`` (kept by triggers, one row per
    county and status) and its due-soon figures from a range scan of the ``ix_instr_due_window``
    index, so a province of 10^6 instruments answers in milliseconds. An organisation's
    dashboard is one grouped query over its own instruments.
    """
    today = date.today()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    if not (principal.is_regulator or principal.is_admin):
        return _organisation_dashboard(session, principal, today, soon)
    region = session.get(Region, region_code or default_region(principal))
    if region is None or not _in_scope(principal, region):
        raise NotFound("region", region_code)
    crumbs: list[Region] = []
    node: Region | None = region
    while node is not None:
        crumbs.insert(0, node)
        node = session.get(Region, node.parent_code) if node.parent_code else None

    counts = select(InstrumentCount.status, InstrumentCount.n)
    due = select(func.count()).where(
        Instrument.status.in_(ACTIVE), Instrument.due_date >= today, Instrument.due_date <= soon
    )
    child_count = child_due = None
    if region.level == "province":
        child_count, child_due = InstrumentCount.city_code, Instrument.city_code
    elif region.level == "city":
        counts = counts.where(InstrumentCount.city_code == region.code)
        due = due.where(Instrument.city_code == region.code)
        child_count, child_due = InstrumentCount.region_code, Instrument.region_code
    else:
        counts = counts.where(InstrumentCount.region_code == region.code)
        due = due.where(Instrument.region_code == region.code)

    by_status = {s: 0 for s in STATUSES}
    per_child: dict[str, list[int]] = {}
    for row in session.execute(counts.add_columns(child_count) if child_count is not None else counts):
        status, n = row[0], int(row[1] or 0)
        by_status[status] = by_status.get(status, 0) + n
        if child_count is not None:
            figures = per_child.setdefault(row[2], [0, 0, 0, 0])  # total, active, overdue, due
            figures[0] += n
            figures[1] += n if status in ACTIVE else 0
            figures[2] += n if status == "overdue" else 0
    dash = Dashboard(region, [c for c in crumbs if _in_scope(principal, c)], by_status)
    if child_due is None:
        dash.due_soon = session.scalar(due) or 0
        return dash
    for code, n in session.execute(due.with_only_columns(child_due, func.count()).group_by(child_due)):
        per_child.setdefault(code, [0, 0, 0, 0])[3] = n
        dash.due_soon += n
    kids = session.scalars(select(Region).where(Region.parent_code == region.code).order_by(Region.code))
    for kid in kids:
        total, active, overdue, due_soon = per_child.get(kid.code, (0, 0, 0, 0))
        dash.children.append(RegionRow(kid.code, kid.name(lang), total, active, overdue, due_soon))
    return dash


def _organisation_dashboard(session: Session, principal: Principal, today, soon) -> Dashboard:
    due_soon = func.count().filter(Instrument.due_date >= today, Instrument.due_date <= soon)
    stmt = INSTRUMENTS.policy.scope(principal, select(Instrument.status, func.count(), due_soon))
    dash = Dashboard(None, [], {s: 0 for s in STATUSES})
    for status, count, due in session.execute(stmt.group_by(Instrument.status)):
        dash.by_status[status] = count
        dash.due_soon += due if status in ACTIVE else 0
    _own_organisation_lists(session, principal, dash, today, soon)
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
