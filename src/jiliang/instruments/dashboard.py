"""Aggregates for dashboards: counts by status, per child region, within the caller's scope."""

from __future__ import annotations

import math
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


# ------------------------------------------------------------------ early-warning panels


@dataclass
class SupervisionPanels:
    """What the regulator dashboard adds from early warning: counts, trend, coverage."""

    warnings: dict
    trends: list[dict]
    coverage: dict
    trend_svg: str


def supervision_panels(session: Session, principal: Principal, region: Region | None, lang: str):
    """The early-warning panels of a regulator's dashboard, or None (feature absent, not a regulator)."""
    from jiliang.features import present

    if region is None or not (principal.is_regulator or principal.is_admin):
        return None
    if not present("jiliang.supervision.warnings"):
        return None
    from jiliang.supervision import warnings

    counts = warnings.counts(session, principal, region.code)
    trend = warnings.trends(session, principal, region.code)["months"]
    cover = warnings.coverage_snapshot(session, principal, region.code)
    return SupervisionPanels(counts, trend, cover, trend_svg(trend, lang))


def trend_svg(points: list[dict], lang: str) -> str:
    """A small inline SVG: bars of instruments verified per month, a line of the overdue rate."""
    from html import escape

    width, height, pad_l, pad_b, pad_t = 640, 200, 40, 28, 14
    n = max(1, len(points))
    step = (width - pad_l - 10) / n
    plot_h = height - pad_b - pad_t
    verified = [p["verified"] or 0 for p in points]
    rates = [p["overdue_rate"] for p in points]
    vmax = max(verified, default=0) or 1
    rmax = max((r for r in rates if r is not None), default=0) or 0.05
    rmax = math.ceil(rmax * 20) / 20
    en = lang == "en"
    parts = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" data-testid="trend-chart" '
        f'aria-label="{escape("Overdue rate and instruments verified, by month" if en else "逐月超期率与检定数量")}">'
    ]
    line = []
    for i, p in enumerate(points):
        x = pad_l + i * step
        bar = plot_h * verified[i] / vmax
        label = escape(f"{p['month']}: " + (f"verified {verified[i]}" if en else f"检定 {verified[i]} 台"))
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{pad_t + plot_h - bar:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{bar:.1f}" class="bar-verified"><title>{label}</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 10}" text-anchor="middle" class="axis">'
                     f'{escape(p["month"][5:])}</text>')
        if rates[i] is not None:
            y = pad_t + plot_h - plot_h * rates[i] / rmax
            line.append((x + step / 2, y, p["month"], rates[i]))
    if line:
        parts.append('<polyline class="line-overdue" fill="none" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in line) + '"/>')
        for x, y, month, rate in line:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot-overdue">'
                         f'<title>{escape(month)}: {rate:.1%}</title></circle>')
    parts.append(f'<text x="4" y="{pad_t + 4}" class="axis">{rmax:.0%}</text>')
    parts.append(f'<text x="4" y="{pad_t + plot_h}" class="axis">0%</text>')
    parts.append("</svg>")
    return "".join(parts)
