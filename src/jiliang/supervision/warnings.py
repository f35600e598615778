"""Early warning (预警) of mandatory verification: rules, the nightly run, lists, trends, coverage.

Rules, per the catalogue form of the instrument's type (``instrument_type_catalogue`` →
``mandatory_catalogue_items.form``); ``today`` is the day of the run and ``lead`` the lead time of
the instrument's county (see *Lead time* below). Only instruments in an active status
(registered, in service, due, overdue) are warned about; suspended, under repair and scrapped
ones are the owner's declared business and get nothing.

* **periodic** (周期检定) — and every instrument whose type is not in the catalogue, which is
  treated as periodic on its ``due_date``:
  *overdue* when ``due_date < today``; *due soon* when ``today <= due_date <= today + lead``
  (a due date 15 days ahead is due soon with the default lead of 15 days, 16 days ahead is not;
  a due date of today is due soon, not overdue). No ``due_date``: nothing.
* **initial_scrap** (只作首次强制检定，失准报废): there is no periodic due date and no end of
  life, so nothing is warned about (the instrument is scrapped when found out of tolerance).
* **initial_life** (只作首次强制检定，限期使用，到期轮换): the end of life is the instrument's
  ``due_date`` when one is set (from its certificate — the certificate wins), otherwise
  ``last_verified`` + the item's ``service_life_months``. *Past service life* when
  ``today > end`` (an end of life of today is not past, of yesterday is); *due soon* when the end
  lies within the lead time, so the owner can plan the replacement. No end known: nothing.

Status effects, along ``instruments.models.TRANSITIONS``: an instrument *in service* that is due
soon becomes *due*; one *in service* or *due* that is overdue or past its service life becomes
*overdue*. Each move leaves an audit entry (actor "system", action "status", with the rule as the
reason), in the run's transaction. Other statuses are left alone.

Lead time: 15 days unless the province setting (``warning_settings`` row of 610000, changed by an
administrator or a province regulator) says otherwise; a city or county regulator may override it
for her region (county beats city beats province).

The nightly run (:func:`nightly`, registered as ``jiliang.supervision.warnings:nightly``) computes
the current warnings into ``instrument_warnings`` (derived data, rewritten each run), moves
statuses, queues one notice per owner per (rule, instrument, date) — dedup keys
``due:{id}:{date}``, ``overdue:{id}:{date}``, ``life:{id}:{date}`` — and one summary a day to
the regulator organisation of each county, city and the province with warnings, delivers the outbox, and writes the month's
snapshot row per county (``warning_snapshots``; a re-run in the same month replaces the row).
Running it twice, or after a restart, queues nothing new. Between runs a trigger on
``instruments`` (migration 0010) drops the warning of an instrument whose due date or region
changes or that leaves the active statuses, and decrements ``warning_counts`` — lists and counts
stay exact during the day without joining the register.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.audit import AuditEntry
from jiliang.core.db import utcnow
from jiliang.core.errors import Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import region_clause
from jiliang.core.security import Principal
from jiliang.features import present
from jiliang.instruments.dashboard import ACTIVE, default_region
from jiliang.instruments.models import Instrument, InstrumentCount, InstrumentType
from jiliang.orgs.models import Organisation
from jiliang.regions.models import Region
from jiliang.supervision import outbox
from jiliang.supervision.catalogue_models import CatalogueItem, TypeCatalogueLink
from jiliang.supervision.warning_models import (
    DEFAULT_LEAD_DAYS,
    KINDS,
    MAX_LEAD_DAYS,
    InstrumentWarning,
    WarningCount,
    WarningSetting,
    WarningSnapshot,
)

PROVINCE = "610000"
DEDUP_PREFIX = {"due_soon": "due", "overdue": "overdue", "past_life": "life"}
BATCH = 5000
RUN_LOCK = 0x6A6C7701  # PostgreSQL advisory lock held by a run until its transaction ends


# ------------------------------------------------------------------ rules


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of the month where that day does not exist)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_life(due_date: date | None, last_verified: date | None, life_months: int | None) -> date | None:
    """The certificate's date when there is one, else last verification + service life."""
    if due_date is not None:
        return due_date
    if last_verified is not None and life_months:
        return add_months(last_verified, life_months)
    return None


def classify(
    form: str | None,
    due_date: date | None,
    last_verified: date | None,
    life_months: int | None,
    today: date,
    lead_days: int,
) -> tuple[str, date] | None:
    """The warning (kind, date it is about) for one instrument, or None. See the module docstring."""
    if form == "initial_scrap":
        return None
    if form == "initial_life":
        end = end_of_life(due_date, last_verified, life_months)
        if end is None:
            return None
        if today > end:
            return "past_life", end
        return ("due_soon", end) if end <= today + timedelta(days=lead_days) else None
    if due_date is None:
        return None
    if due_date < today:
        return "overdue", due_date
    return ("due_soon", due_date) if due_date <= today + timedelta(days=lead_days) else None


def next_status(status: str, kind: str) -> str | None:
    """The status the nightly run moves an instrument to, or None to leave it."""
    if kind == "due_soon" and status == "in_service":
        return "due"
    if kind in ("overdue", "past_life") and status in ("in_service", "due"):
        return "overdue"
    return None


# ------------------------------------------------------------------ lead time


def lead_days_by_county(session: Session) -> tuple[dict[str, int], int]:
    """{county code: lead days} for every county, and the largest lead in force."""
    settings = dict(session.execute(select(WarningSetting.region_code, WarningSetting.lead_days)).all())
    base = settings.get(PROVINCE, DEFAULT_LEAD_DAYS)
    out = {}
    for code, city in session.execute(select(Region.code, Region.city_code).where(Region.level == "county")):
        out[code] = settings.get(code, settings.get(city, base))
    return out, max([base, *out.values()])


def effective_lead(session: Session, county_code: str) -> int:
    return lead_days_by_county(session)[0].get(county_code, DEFAULT_LEAD_DAYS)


def set_lead_days(session: Session, principal: Principal, region_code: str, lead_days: Any) -> WarningSetting:
    """Set the lead time of a region: the province by an admin or a province regulator, a city or
    county by a regulator whose scope holds it (or an admin)."""
    region = session.get(Region, region_code) if "\x00" not in region_code else None
    if region is None:
        raise NotFound("region", region_code)
    if not (principal.is_admin or (principal.is_regulator and _in_scope(principal, region))):
        raise Forbidden("只有管理员或辖区监管人员可以修改预警提前期",
                        "Only an administrator or the region's regulator may change the lead time")
    if isinstance(lead_days, bool) or not isinstance(lead_days, int) or not 1 <= lead_days <= MAX_LEAD_DAYS:
        raise ValidationFailed.one("lead_days", f"应为 1 到 {MAX_LEAD_DAYS} 之间的天数",
                                   f"must be a number of days from 1 to {MAX_LEAD_DAYS}")
    row = session.get(WarningSetting, region.code)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = WarningSetting(region_code=region.code, lead_days=lead_days, updated_by=principal.user_id or None)
        session.add(row)
    else:
        row.lead_days, row.updated_by = lead_days, principal.user_id or None
    session.flush()
    audit.record(session, principal, "update" if before else "create", "warning_setting", region.code,
                 before, audit.snapshot(row))
    return row


def settings_in_scope(session: Session, principal: Principal, lang: str) -> dict[str, Any]:
    """The province lead time and the overrides the caller may see (regulators, admin)."""
    _need_regulator(principal)
    rows = session.execute(
        select(WarningSetting, Region).join(Region, Region.code == WarningSetting.region_code).order_by(Region.code)
    ).all()
    province = next((s.lead_days for s, r in rows if r.code == PROVINCE), DEFAULT_LEAD_DAYS)
    overrides = [
        {"region_code": r.code, "region": r.name(lang), "level": r.level, "lead_days": s.lead_days,
         "updated_at": s.updated_at.isoformat(timespec="seconds")}
        for s, r in rows if r.code != PROVINCE and _in_scope(principal, r)
    ]
    mine = None
    if principal.is_regulator and principal.scope_region:
        mine = {"region_code": principal.scope_region,
                "lead_days": _lead_for_region(session, principal.scope_region)}
    return {"province_lead_days": province, "default_lead_days": DEFAULT_LEAD_DAYS,
            "overrides": overrides, "mine": mine}


def _lead_for_region(session: Session, code: str) -> int:
    region = session.get(Region, code)
    settings = dict(session.execute(select(WarningSetting.region_code, WarningSetting.lead_days)).all())
    base = settings.get(PROVINCE, DEFAULT_LEAD_DAYS)
    if region is None or region.level == "province":
        return base
    if region.level == "city":
        return settings.get(code, base)
    return settings.get(code, settings.get(region.city_code, base))


# ------------------------------------------------------------------ scope


def _in_scope(principal: Principal, region: Region) -> bool:
    from jiliang.instruments.dashboard import _in_scope as dash_in_scope

    return dash_in_scope(principal, region)


def _need_regulator(principal: Principal) -> None:
    if not (principal.is_admin or principal.is_regulator):
        raise Forbidden("只有监管人员可以查看", "Only regulators may see this")


def resolve_region(session: Session, principal: Principal, region_code: str | None) -> Region | None:
    """The region asked for (default: the caller's own), checked against the caller's scope.
    None for organisation members, whose lists are their own organisation's."""
    if not (principal.is_admin or principal.is_regulator):
        if region_code:
            raise Forbidden("只有监管人员可以按地区查看", "Only regulators may look by region")
        if principal.org_id is None:
            raise Forbidden()
        return None
    code = region_code or default_region(principal)
    region = session.get(Region, code) if code and "\x00" not in code else None
    if region is None or not _in_scope(principal, region):
        raise NotFound("region", region_code)
    return region


def _region_filter(stmt: Select, region: Region | None, county_col, city_col) -> Select:
    if region is None or region.level == "province":
        return stmt
    if region.level == "city":
        return stmt.where(city_col == region.code)
    return stmt.where(county_col == region.code)


def _scoped(stmt: Select, principal: Principal, region: Region | None) -> Select:
    W = InstrumentWarning
    if principal.is_admin or principal.is_regulator:
        if principal.is_regulator:
            stmt = stmt.where(region_clause(principal, W.region_code, W.city_code))
        return _region_filter(stmt, region, W.region_code, W.city_code)
    return stmt.where(W.owner_org_id == principal.org_id)


# ------------------------------------------------------------------ the nightly run


@dataclass
class Computed:
    warnings: list[dict] = field(default_factory=list)
    moves: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, from, to, kind
    notices: list[outbox.NoticeIn] = field(default_factory=list)


def _candidates(session: Session, today: date, horizon: date):
    """Active instruments that may warrant a warning: due by the horizon, or of a limited-life
    item without a due date (their end of life comes from the last verification)."""
    item = CatalogueItem
    stmt = (
        select(Instrument.id, Instrument.owner_org_id, Instrument.region_code, Instrument.city_code,
               Instrument.status, Instrument.due_date, Instrument.last_verified, Instrument.serial_no,
               InstrumentType.name_zh, InstrumentType.name_en, item.form, item.service_life_months)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .outerjoin(TypeCatalogueLink, TypeCatalogueLink.type_id == Instrument.type_id)
        .outerjoin(item, and_(item.id == TypeCatalogueLink.item_id, item.status == "active"))
        .where(Instrument.status.in_(ACTIVE))
        .where(or_(Instrument.due_date <= horizon,
                   and_(Instrument.due_date.is_(None), item.form == "initial_life")))
    )
    return session.execute(stmt.execution_options(yield_per=BATCH))


TITLES = {
    "due_soon": ("计量器具即将到期：{serial}", "Instrument due soon: {serial}"),
    "overdue": ("计量器具超期未检：{serial}", "Instrument overdue: {serial}"),
    "past_life": ("计量器具超过使用年限：{serial}", "Instrument past its service life: {serial}"),
}
BODIES = {
    "due_soon": ("{type}（出厂编号 {serial}）将于 {day} 到期，请及时申请检定。",
                 "{type} (serial {serial}) is due on {day}; please apply for verification in time."),
    "overdue": ("{type}（出厂编号 {serial}）的检定有效期已于 {day} 届满，请停止使用并尽快申请检定。",
                "{type} (serial {serial}) has been overdue since {day}; stop using it and apply for verification."),
    "past_life": ("{type}（出厂编号 {serial}）的使用年限已于 {day} 届满，请停止使用并更换。",
                  "{type} (serial {serial}) reached the end of its service life on {day}; stop using it and replace it."),
}


def compute(session: Session, today: date) -> Computed:
    """Classify the candidates; what the run would store, move and queue."""
    leads, max_lead = lead_days_by_county(session)
    out = Computed()
    horizon = today + timedelta(days=max_lead)
    for row in _candidates(session, today, horizon):
        (iid, owner, county, city, status, due, last, serial, type_zh, type_en, form, life) = row
        hit = classify(form, due, last, life, today, leads.get(county, DEFAULT_LEAD_DAYS))
        if hit is None:
            continue
        kind, day = hit
        out.warnings.append({"instrument_id": iid, "kind": kind, "due_on": day, "basis_due": due,
                             "owner_org_id": owner, "region_code": county, "city_code": city,
                             "computed_on": today})
        target = next_status(status, kind)
        if target is not None:
            out.moves.append((iid, status, target, kind))
        fmt = {"serial": serial, "day": day.isoformat()}
        out.notices.append(outbox.NoticeIn(
            org_id=owner, topic="warning", dedup_key=f"{DEDUP_PREFIX[kind]}:{iid}:{day.isoformat()}",
            title=(TITLES[kind][0].format(**fmt), TITLES[kind][1].format(**fmt)),
            body=(BODIES[kind][0].format(type=type_zh, **fmt), BODIES[kind][1].format(type=type_en, **fmt)),
            link=f"/instruments/{iid}",
        ))
    return out


def _store_warnings(session: Session, rows: list[dict]) -> None:
    """Replace the current warnings and their counts per county and kind."""
    session.execute(delete(InstrumentWarning))
    for start in range(0, len(rows), BATCH):
        session.execute(insert(InstrumentWarning), rows[start:start + BATCH])
    tally: Counter = Counter((r["region_code"], r["city_code"], r["kind"]) for r in rows)
    session.execute(delete(WarningCount))
    if tally:
        session.execute(insert(WarningCount), [
            {"region_code": county, "city_code": city, "kind": kind, "n": n}
            for (county, city, kind), n in sorted(tally.items(), key=lambda x: (x[0][0], x[0][2]))
        ])


REASONS = {
    "due_soon": "预警：即将到期 / early warning: due soon",
    "overdue": "预警：超期未检 / early warning: overdue",
    "past_life": "预警：超过使用年限 / early warning: past service life",
}


def _move_statuses(session: Session, moves: list[tuple[int, str, str, str]]) -> int:
    """Bulk status moves, each with its audit entry; only rows still in the expected status move."""
    moved = 0
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for iid, old, new, kind in moves:
        groups[(old, new, kind)].append(iid)
    now = utcnow()
    for (old, new, kind), ids in groups.items():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            done = list(session.scalars(
                update(Instrument).where(Instrument.id.in_(chunk), Instrument.status == old)
                .values(status=new, updated_at=now).returning(Instrument.id)
                .execution_options(synchronize_session=False)
            ))
            if done:
                session.execute(insert(AuditEntry), [
                    {"at": now, "actor_id": None, "actor_name": "system", "action": "status",
                     "entity": "instrument", "entity_id": str(i), "before": {"status": old},
                     "after": {"status": new}, "reason": REASONS[kind]}
                    for i in done
                ])
            moved += len(done)
    return moved


def _region_summaries(session: Session, warnings: list[dict], today: date) -> list[outbox.NoticeIn]:
    """One notice a day to the regulator organisation of each county, city and the province
    with warnings, with the region's figures."""
    per_region: dict[str, Counter] = defaultdict(Counter)
    for w in warnings:
        for code in (w["region_code"], w["city_code"], PROVINCE):
            if code:
                per_region[code][w["kind"]] += 1
    regulators = dict(session.execute(
        select(Organisation.region_code, func.min(Organisation.id))
        .where(Organisation.kind == "regulator", Organisation.status == "active")
        .group_by(Organisation.region_code)
    ).all())
    out = []
    for code, counts in sorted(per_region.items()):
        org = regulators.get(code)
        if org is None:
            continue
        due, over, life = counts["due_soon"], counts["overdue"], counts["past_life"]
        out.append(outbox.NoticeIn(
            org_id=org, topic="region_summary", dedup_key=f"summary:{code}:{today.isoformat()}",
            title=(f"辖区计量器具预警汇总（{today.isoformat()}）", f"Early-warning summary of the region ({today.isoformat()})"),
            body=(f"即将到期 {due} 台，超期未检 {over} 台，超过使用年限 {life} 台。",
                  f"{due} due soon, {over} overdue, {life} past service life."),
            link=f"/warnings?region={code}",
        ))
    return out


def month_start(day: date) -> date:
    return day.replace(day=1)


def write_snapshot(session: Session, today: date) -> int:
    """This month's row per county (replacing an earlier one of the same month)."""
    month = month_start(today)
    figures: dict[str, dict[str, Any]] = {}
    for county, city in session.execute(select(Region.code, Region.city_code).where(Region.level == "county")):
        figures[county] = {"month": month, "region_code": county, "city_code": city, "total": 0, "active": 0,
                           "due_soon": 0, "overdue": 0, "past_life": 0, "verified": 0, "mandatory": 0,
                           "filed": None, "verified_on_time": 0, "taken_on": today}
    for county, status, n in session.execute(
        select(InstrumentCount.region_code, InstrumentCount.status, InstrumentCount.n)
    ):
        row = figures.get(county)
        if row is None:
            continue
        row["total"] += n or 0
        row["active"] += (n or 0) if status in ACTIVE else 0
        row["overdue"] += (n or 0) if status == "overdue" else 0
    for county, kind, n in session.execute(
        select(InstrumentWarning.region_code, InstrumentWarning.kind, func.count())
        .where(InstrumentWarning.kind != "overdue")
        .group_by(InstrumentWarning.region_code, InstrumentWarning.kind)
    ):
        if county in figures:
            figures[county][kind] = n
    for county, n in session.execute(
        select(Instrument.region_code, func.count())
        .where(Instrument.last_verified >= month, Instrument.last_verified <= today)
        .group_by(Instrument.region_code)
    ):
        if county in figures:
            figures[county]["verified"] = n
    cols, filings = _coverage_columns(today)
    for county, *figs in session.execute(
        _coverage_from(select(Instrument.region_code, *cols)).group_by(Instrument.region_code)
    ):
        if county in figures:
            figures[county].update(mandatory=figs[0], verified_on_time=figs[1],
                                   filed=figs[2] if filings else None)
    session.execute(delete(WarningSnapshot).where(WarningSnapshot.month == month))
    session.execute(insert(WarningSnapshot), list(figures.values()))
    return len(figures)


def run(session: Session, today: date | None = None, notify: bool = True) -> dict[str, Any]:
    """The early-warning run for ``today`` (see the module docstring); returns its summary."""
    today = today or date.today()
    if session.get_bind().dialect.name == "postgresql":  # one run at a time (cron and in-process)
        session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})
    computed = compute(session, today)
    _store_warnings(session, computed.warnings)
    moved = _move_statuses(session, computed.moves)
    queued = delivered = 0
    summaries = 0
    if notify:
        queued = outbox.enqueue_many(session, computed.notices)
        county_notes = _region_summaries(session, computed.warnings, today)
        summaries = outbox.enqueue_many(session, county_notes)
        delivered = sum(v["sent"] for v in outbox.deliver_pending(session).values())
    snapshot_rows = write_snapshot(session, today)
    session.flush()
    kinds = Counter(w["kind"] for w in computed.warnings)
    return {
        "day": today.isoformat(), "warnings": dict(kinds), "moved": moved, "queued": queued,
        "region_summaries": summaries, "delivered": delivered, "snapshot_rows": snapshot_rows,
    }


def nightly(session: Session) -> dict[str, Any]:
    """The nightly job (``jiliang jobs run``)."""
    return run(session)


# ------------------------------------------------------------------ reading


SORTS = ("due_on", "-due_on", "serial_no")


@dataclass
class WarningPage:
    items: list[dict]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _list_stmt(principal: Principal, region: Region | None, kind: str | None, q: str | None,
               owner_org_id: int | None = None) -> Select:
    W = InstrumentWarning
    stmt = (
        select(W, Instrument.serial_no, Instrument.location, Instrument.status, Instrument.type_id,
               Organisation.name, Instrument.use)
        .join(Instrument, Instrument.id == W.instrument_id)
        .join(Organisation, Organisation.id == W.owner_org_id)
    )
    stmt = _scoped(stmt, principal, region)
    if kind:
        if kind not in KINDS:
            raise ValidationFailed.one("kind", "未知预警类型", "unknown warning kind")
        stmt = stmt.where(W.kind == kind)
    if owner_org_id is not None:
        stmt = stmt.where(W.owner_org_id == owner_org_id)
    if q:
        if "\x00" in q:
            raise ValidationFailed.one("q", "不能包含空字符", "must not contain NUL characters")
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(or_(Instrument.serial_no.ilike(like), Organisation.name.ilike(like),
                              Instrument.location.ilike(like)))
    return stmt


def _item(row, types: dict[int, tuple[str, str]], lang: str) -> dict[str, Any]:
    w, serial, location, status, type_id, owner, use = row
    names = types.get(type_id, ("", ""))
    return {
        "instrument_id": w.instrument_id, "kind": w.kind, "due_on": w.due_on.isoformat(),
        "serial_no": serial, "type": names[1] if lang == "en" else names[0], "owner_org_id": w.owner_org_id,
        "owner": owner, "location": location, "status": status, "use": use, "region_code": w.region_code,
        "city_code": w.city_code, "computed_on": w.computed_on.isoformat(),
    }


def _type_names(session: Session) -> dict[int, tuple[str, str]]:
    return {i: (zh, en) for i, zh, en in session.execute(
        select(InstrumentType.id, InstrumentType.name_zh, InstrumentType.name_en))}


def list_warnings(
    session: Session, principal: Principal, *, region_code: str | None = None, kind: str | None = None,
    q: str | None = None, owner_org_id: int | None = None, page: int = 1, per_page: int = 25,
    sort: str = "due_on", lang: str = "zh",
) -> WarningPage:
    """One page of current warnings within the caller's scope (a county, a city, the province,
    or the caller's own organisation)."""
    region = resolve_region(session, principal, region_code)
    if sort not in SORTS:
        raise ValidationFailed.one("sort", "未知排序", "unknown sort")
    page, per_page = max(1, page), min(max(1, per_page), 200)
    stmt = _list_stmt(principal, region, kind, q, owner_org_id)
    W = InstrumentWarning
    if q:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    else:  # the joins only add columns: count the warnings alone, from the index
        counted = _scoped(select(func.count()).select_from(W), principal, region)
        if kind:
            counted = counted.where(W.kind == kind)
        if owner_org_id is not None:
            counted = counted.where(W.owner_org_id == owner_org_id)
        total = session.scalar(counted) or 0
    order = {"due_on": (W.due_on, W.instrument_id), "-due_on": (W.due_on.desc(), W.instrument_id.desc()),
             "serial_no": (Instrument.serial_no, W.instrument_id)}[sort]
    rows = session.execute(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    types = _type_names(session)
    return WarningPage([_item(r, types, lang) for r in rows], total, page, per_page)


EXPORT_LIMIT = 200_000
EXPORT_COLUMNS = [
    ("kind", ("预警类型", "Warning")), ("due_on", ("到期日", "Due on")), ("serial_no", ("出厂编号", "Serial no.")),
    ("type", ("器具类型", "Type")), ("owner", ("使用单位", "Owner")), ("location", ("地点", "Location")),
    ("status", ("状态", "Status")), ("region_code", ("县区代码", "County")), ("instrument_id", ("器具ID", "Instrument id")),
]


def export_rows(
    session: Session, principal: Principal, *, region_code: str | None = None, kind: str | None = None,
    q: str | None = None, lang: str = "zh",
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the whole list (for csv/xlsx)."""
    from jiliang.core.i18n import pick

    region = resolve_region(session, principal, region_code)
    stmt = _list_stmt(principal, region, kind, q)
    W = InstrumentWarning
    types = _type_names(session)
    rows = []
    for r in session.execute(stmt.order_by(W.due_on, W.instrument_id).limit(EXPORT_LIMIT)):
        item = _item(r, types, lang)
        item["kind"] = pick(KINDS[item["kind"]], lang)
        rows.append([item[c] for c, _ in EXPORT_COLUMNS])
    return [pick(label, lang) for _, label in EXPORT_COLUMNS], rows


def counts(session: Session, principal: Principal, region_code: str | None = None) -> dict[str, Any]:
    """Warnings by kind in the scope, and by child region (city of a province, county of a city);
    for an organisation, its own by kind. Regions read the ~300 rows of ``warning_counts``."""
    region = resolve_region(session, principal, region_code)
    by_kind = dict.fromkeys(KINDS, 0)
    by_child: dict[str, dict[str, int]] = {}
    if region is None:
        W = InstrumentWarning
        for kind, n in session.execute(_scoped(select(W.kind, func.count()), principal, None).group_by(W.kind)):
            by_kind[kind] += n
        return {"region_code": None, "by_kind": by_kind, "by_region": by_child}
    C = WarningCount
    stmt = select(C.kind, C.n, C.city_code, C.region_code)
    if principal.is_regulator:
        stmt = stmt.where(region_clause(principal, C.region_code, C.city_code))
    stmt = _region_filter(stmt, region, C.region_code, C.city_code)
    for kind, n, city, county in session.execute(stmt):
        by_kind[kind] += n
        child = city if region.level == "province" else county if region.level == "city" else None
        if child is not None:
            by_child.setdefault(child, dict.fromkeys(KINDS, 0))[kind] += n
    return {"region_code": region.code, "by_kind": by_kind, "by_region": by_child}


def trends(session: Session, principal: Principal, region_code: str | None = None,
           months: int = 12, today: date | None = None) -> dict[str, Any]:
    """The last ``months`` months of the scope from the monthly snapshots (regulators, admin)."""
    _need_regulator(principal)
    if not 1 <= months <= 60:
        raise ValidationFailed.one("months", "应为 1 到 60", "must be from 1 to 60")
    region = resolve_region(session, principal, region_code)
    today = today or date.today()
    first = add_months(month_start(today), -(months - 1))
    S = WarningSnapshot
    stmt = select(S.month, func.sum(S.total), func.sum(S.active), func.sum(S.overdue), func.sum(S.due_soon),
                  func.sum(S.past_life), func.sum(S.verified)).where(S.month >= first)
    stmt = _region_filter(stmt, region, S.region_code, S.city_code).group_by(S.month)
    found = {m: r for m, *r in session.execute(stmt)}
    points = []
    for k in range(months):
        m = add_months(first, k)
        r = found.get(m)
        if r is None:
            points.append({"month": m.strftime("%Y-%m"), "total": None, "active": None, "overdue": None,
                           "overdue_rate": None, "due_soon": None, "past_life": None, "verified": None})
            continue
        total, active, overdue, due_soon, past_life, verified = (int(x or 0) for x in r)
        points.append({"month": m.strftime("%Y-%m"), "total": total, "active": active, "overdue": overdue,
                       "overdue_rate": round(overdue / active, 4) if active else None,
                       "due_soon": due_soon, "past_life": past_life, "verified": verified})
    return {"region_code": region.code if region else None, "months": points}


def _coverage_columns(today: date) -> tuple[list, bool]:
    """count(mandatory), count(verified on time)[, count(filed)] over the coverage join."""
    item = CatalogueItem
    on_time = or_(Instrument.due_date >= today,
                  and_(item.form == "initial_scrap", Instrument.last_verified.is_not(None)))
    cols = [func.count(), func.count().filter(on_time)]
    filings = present("jiliang.supervision.filing_models")
    if filings:
        from jiliang.supervision.filing_models import Filing

        approved = select(Filing.instrument_id).where(Filing.status == "approved")
        cols.append(func.count().filter(Instrument.id.in_(approved)))
    return cols, filings


def _coverage_from(stmt: Select) -> Select:
    return (
        stmt.select_from(Instrument)
        .join(TypeCatalogueLink, TypeCatalogueLink.type_id == Instrument.type_id)
        .join(CatalogueItem, CatalogueItem.id == TypeCatalogueLink.item_id)
        .where(Instrument.status.in_(ACTIVE))
    )


def _coverage_dict(region: Region | None, mandatory: int, verified: int, filed: int | None,
                   filings: bool, as_of: date) -> dict[str, Any]:
    return {
        "region_code": region.code if region else None, "mandatory": mandatory,
        "filed": filed, "filed_rate": round(filed / mandatory, 4) if filed is not None and mandatory else None,
        "verified_on_time": verified, "verified_rate": round(verified / mandatory, 4) if mandatory else None,
        "filings_available": filings, "as_of": as_of.isoformat(),
    }


def coverage(session: Session, principal: Principal, region_code: str | None = None,
             today: date | None = None) -> dict[str, Any]:
    """Coverage of mandatory verification in the scope, counted now (regulators, admin).

    *Mandatory*: instruments in an active status whose type is in the catalogue. *Filed*: those
    with an approved filing (强检备案; counted only when the filings feature is present).
    *Verified on time*: those with a due date of today or later, or — for an initial-only item
    scrapped when out of tolerance — verified at least once.
    """
    _need_regulator(principal)
    region = resolve_region(session, principal, region_code)
    today = today or date.today()
    cols, filings = _coverage_columns(today)
    stmt = _coverage_from(select(*cols))
    if principal.is_regulator:
        stmt = stmt.where(region_clause(principal, Instrument.region_code, Instrument.city_code))
    stmt = _region_filter(stmt, region, Instrument.region_code, Instrument.city_code)
    row = session.execute(stmt).one()
    return _coverage_dict(region, int(row[0] or 0), int(row[1] or 0),
                          int(row[2] or 0) if filings else None, filings, today)


def coverage_snapshot(session: Session, principal: Principal, region_code: str | None = None,
                      today: date | None = None) -> dict[str, Any]:
    """The same figures as of the last nightly run of this month (what the dashboard shows: a
    province of 10^6 instruments reads 107 rows instead of counting them)."""
    _need_regulator(principal)
    region = resolve_region(session, principal, region_code)
    S = WarningSnapshot
    month = month_start(today or date.today())
    stmt = select(func.sum(S.mandatory), func.sum(S.verified_on_time), func.sum(S.filed), func.count(S.filed),
                  func.max(S.taken_on)).where(S.month == month)
    stmt = _region_filter(stmt, region, S.region_code, S.city_code)
    mandatory, verified, filed, with_filed, taken = session.execute(stmt).one()
    filings = bool(with_filed)
    return _coverage_dict(region, int(mandatory or 0), int(verified or 0), int(filed or 0) if filings else None,
                          filings, taken or month)

def by_owner(session: Session, principal: Principal, region_code: str | None = None,
             limit: int = 20) -> list[dict[str, Any]]:
    """The owners with the most warnings in the scope (regulators, admin)."""
    _need_regulator(principal)
    region = resolve_region(session, principal, region_code)
    W = InstrumentWarning
    total = func.count().label("n")
    stmt = _scoped(select(W.owner_org_id, total,
                          func.count().filter(W.kind == "overdue"), func.count().filter(W.kind == "due_soon"),
                          func.count().filter(W.kind == "past_life")), principal, region)
    rows = session.execute(stmt.group_by(W.owner_org_id).order_by(total.desc(), W.owner_org_id).limit(limit)).all()
    names = dict(session.execute(select(Organisation.id, Organisation.name)
                                 .where(Organisation.id.in_([r[0] for r in rows]))).all()) if rows else {}
    return [{"owner_org_id": org, "owner": names.get(org, ""), "total": n, "overdue": over,
             "due_soon": due, "past_life": life} for org, n, over, due, life in rows]
