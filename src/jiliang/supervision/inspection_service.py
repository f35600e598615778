"""Campaigns, inspections, findings and their follow-up, the inspector pool, and stored draws.

Who may do what (checked here, never in a template):

* administrators: everything;
* regulators: campaigns, draws and inspectors whose region overlaps theirs (read) or lies inside
  theirs (write); inspections and findings of targets located in their region;
* an enterprise (the target): its own inspections and findings, and it reports its rectification;
* laboratories: nothing.

Every write leaves one audit entry in the same transaction. A draw's seed never appears in an
answer or an audit entry before the draw is published.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from jiliang.core import attachments, audit
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jiliang.core.i18n import pick
from jiliang.core.policies import region_clause, require
from jiliang.core.resources import MAX_INT, MAX_PER_PAGE, Page
from jiliang.core.security import Principal
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.orgs.models import Organisation
from jiliang.regions.models import Region
from jiliang.supervision import draw as kernel
from jiliang.supervision.inspection_models import (
    CHECK_RESULTS,
    SEVERITIES,
    Campaign,
    Draw,
    FindingFollowUp,
    Inspection,
    InspectionCategory,
    InspectionFinding,
    InspectionTeam,
    Inspector,
)

TARGET_KINDS = ("enterprise", "individual")
ATTACHMENT_KIND = "inspection_finding"

# Built-in categories: how the population is found (name keywords, or instruments of these types
# owned) and the default checklist. Regulators add their own in ``inspection_categories``.
BUILTIN: dict[str, dict[str, Any]] = {
    "market": {
        "name": ("集贸市场", "Markets"),
        "keywords": ["市场"],
        "type_codes": ["WT-PRICE"],
        "checklist": [
            ("在用计量器具已登记并按期检定", "Instruments in use are registered and verified on time"),
            ("公平秤设置且准确", "A fair scale is in place and accurate"),
            ("无作弊装置、无破坏封印", "No cheating devices, seals intact"),
            ("计量器具检定合格标志在有效期内", "Verification marks are valid"),
        ],
    },
    "fuel_station": {
        "name": ("加油站", "Fuel stations"),
        "keywords": ["加油站"],
        "type_codes": ["FL-FUEL"],
        "checklist": [
            ("加油机按期检定，检定标志有效", "Fuel dispensers verified on time, marks valid"),
            ("加油机铅封完好、无改动", "Dispenser seals intact, no tampering"),
            ("付油量示值误差在允许范围内", "Delivered volume within the maximum permissible error"),
            ("液位计、油罐容积表有效", "Tank gauges and capacity tables valid"),
        ],
    },
    "restaurant": {
        "name": ("餐饮", "Restaurants"),
        "keywords": ["餐饮", "饭店", "酒楼"],
        "type_codes": [],
        "checklist": [
            ("按重量计价的计量器具检定合格", "Scales used for priced-by-weight dishes are verified"),
            ("明示计量单位与计量方式", "Units and weighing method are displayed"),
            ("燃气报警器按期检定", "Gas alarms verified on time"),
        ],
    },
    "shop": {
        "name": ("商店", "Shops"),
        "keywords": ["超市", "商店", "商场"],
        "type_codes": [],
        "checklist": [
            ("电子计价秤按期检定", "Price-computing scales verified on time"),
            ("定量包装商品净含量标注规范", "Prepackaged goods labelled correctly"),
            ("称重计价商品计量准确", "Goods sold by weight are weighed correctly"),
        ],
    },
    "optician": {
        "name": ("眼镜店", "Opticians"),
        "keywords": ["眼镜"],
        "type_codes": ["OP-REFR", "OP-LENS"],
        "checklist": [
            ("验光仪、焦度计按期检定", "Refractometers and focimeters verified on time"),
            ("验光人员持证上岗", "Optometrists hold their qualification"),
            ("配镜质量符合国家标准", "Spectacles meet the national standard"),
        ],
    },
}


# ------------------------------------------------------------------ small helpers


def _field_error(field: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed.one(field, zh, en)


def _plain(raw: str | None) -> str | None:
    return raw.replace("\x00", "").strip() or None if isinstance(raw, str) else raw


def _id(raw: Any, entity: str) -> int:
    try:
        key = int(raw)
    except (TypeError, ValueError):
        raise NotFound(entity, raw) from None
    if not 0 < key <= MAX_INT:
        raise NotFound(entity, raw)
    return key


def _page(session: Session, stmt: Select, page: int, per_page: int) -> Page:
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total or 0, page=page, per_page=per_page)


def _region(session: Session, code: str | None, field: str = "region_code") -> Region:
    region = session.get(Region, code) if code else None
    if region is None:
        raise _field_error(field, f"行政区划代码 {code} 不存在", f"unknown region code {code}")
    return region


def _no_lab(p: Principal) -> None:
    if p.is_lab:
        raise Forbidden("检验检测机构无权查看执法检查", "Laboratories have no access to inspections")


def regulator_only(who: Principal | None) -> Principal:
    p = require(who)
    if not (p.is_admin or p.is_regulator):
        raise Forbidden("只有监管人员可以执行此操作", "Only regulators may do this")
    return p


def covers(p: Principal, region_code: str | None, city_code: str | None) -> bool:
    return p.is_admin or (p.is_regulator and p.covers_region(region_code, city_code))


def _require_covers(p: Principal, region_code: str | None, city_code: str | None, field: str) -> None:
    if not covers(p, region_code, city_code):
        raise Forbidden(
            f"{field}：不在您的辖区内", f"{field}: outside your region"
        )


def _overlap_clause(session: Session, p: Principal, model: type):
    """Rows (campaigns, draws, inspectors) whose region contains or lies in the regulator's."""
    if p.scope_level == "province":
        return true()
    if p.scope_level == "city":
        return or_(model.city_code == p.scope_region, model.region_level == "province")
    if p.scope_level == "county":
        county = session.get(Region, p.scope_region)
        city = county.city_code if county else None
        return or_(
            model.region_code == p.scope_region,
            (model.region_level == "city") & (model.region_code == city),
            model.region_level == "province",
        )
    return false()


def _place(region: Region) -> dict[str, Any]:
    return {"region_code": region.code, "city_code": region.city_code, "region_level": region.level}


def _dates(start: date | None, end: date | None, start_field: str, end_field: str) -> None:
    if start and end and end < start:
        raise _field_error(end_field, f"不能早于{start_field}", f"must not be before {start_field}")


# ------------------------------------------------------------------ categories


def categories(session: Session, who: Principal | None) -> list[dict[str, Any]]:
    """The built-in categories and those defined by regulators (readable by regulators)."""
    regulator_only(who)
    out = [
        {
            "code": code,
            "name_zh": c["name"][0],
            "name_en": c["name"][1],
            "keywords": c["keywords"],
            "type_codes": c["type_codes"],
            "checklist": _checklist_rows(c["checklist"]),
            "builtin": True,
        }
        for code, c in BUILTIN.items()
    ]
    for c in session.scalars(
        select(InspectionCategory).where(InspectionCategory.status == "active").order_by(InspectionCategory.code)
    ):
        out.append(
            {
                "code": c.code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "keywords": c.keywords,
                "type_codes": c.type_codes,
                "checklist": c.checklist,
                "builtin": False,
            }
        )
    return out


def _checklist_rows(items: Iterable[Any]) -> list[dict[str, str]]:
    rows = []
    for i, item in enumerate(items, 1):
        zh, en = (item, item) if isinstance(item, str) else item
        rows.append({"code": f"C{i}", "text_zh": zh, "text_en": en})
    return rows


def category_info(session: Session, code: str) -> dict[str, Any] | None:
    if code in BUILTIN:
        c = BUILTIN[code]
        return {"code": code, "name": c["name"], "keywords": c["keywords"], "type_codes": c["type_codes"],
                "checklist": _checklist_rows(c["checklist"])}
    row = session.scalar(select(InspectionCategory).where(InspectionCategory.code == code,
                                                          InspectionCategory.status == "active"))
    if row is None:
        return None
    return {"code": row.code, "name": (row.name_zh, row.name_en), "keywords": row.keywords,
            "type_codes": row.type_codes, "checklist": row.checklist}


def category_name(session: Session, code: str, lang: str) -> str:
    info = category_info(session, code)
    return pick(info["name"], lang) if info else code


def define_category(session: Session, who: Principal | None, data: dict[str, Any]) -> dict[str, Any]:
    """A regulator defines a category: code, names, keywords, instrument types, checklist."""
    p = regulator_only(who)
    code = data["code"]
    if code in BUILTIN or session.scalar(select(InspectionCategory.id).where(InspectionCategory.code == code)):
        raise Conflict(f"类别代码 {code} 已存在", f"category code {code} already exists")
    known = set(session.scalars(select(InstrumentType.code)))
    for i, t in enumerate(data.get("type_codes") or []):
        if t not in known:
            raise _field_error(f"type_codes[{i}]", f"器具类型 {t} 不存在", f"unknown instrument type {t}")
    if not (data.get("keywords") or data.get("type_codes")):
        raise _field_error("keywords", "关键词与器具类型至少填一项", "give keywords or instrument types (or both)")
    row = InspectionCategory(
        code=code,
        name_zh=data["name_zh"],
        name_en=data.get("name_en") or data["name_zh"],
        keywords=list(data.get("keywords") or []),
        type_codes=list(data.get("type_codes") or []),
        checklist=_checklist_rows(data.get("checklist") or []),
        region_code=p.scope_region or "610000",
        created_by=p.user_id or None,
    )
    session.add(row)
    session.flush()
    audit.record(session, p, "create", "inspection_category", row.id, after=audit.snapshot(row))
    return category_info(session, code) | {"builtin": False}


def _category_or_error(session: Session, code: str | None, field: str = "category") -> dict[str, Any]:
    info = category_info(session, code or "")
    if info is None:
        raise _field_error(field, f"未知的检查类别 {code}", f"unknown category {code}")
    return info


# ------------------------------------------------------------------ inspectors


def _inspector_scope(session: Session, p: Principal, stmt: Select) -> Select:
    if p.is_admin:
        return stmt
    if p.is_regulator:
        return stmt.where(_overlap_clause(session, p, Inspector))
    raise Forbidden("只有监管人员可以查看执法检查人员库", "Only regulators see the inspector pool")


def list_inspectors(session: Session, who: Principal | None, q: str | None = None, status: str | None = None,
                    page: int = 1, per_page: int = 25) -> Page:
    p = require(who)
    stmt = _inspector_scope(session, p, select(Inspector))
    q = _plain(q)
    if q:
        stmt = stmt.where(or_(Inspector.name.ilike(f"%{q}%"), Inspector.badge_no.ilike(f"%{q}%")))
    if status:
        stmt = stmt.where(Inspector.status == status)
    return _page(session, stmt.order_by(Inspector.badge_no), page, per_page)


def get_inspector(session: Session, who: Principal | None, ident: Any) -> Inspector:
    p = require(who)
    row = session.scalars(_inspector_scope(session, p, select(Inspector).where(Inspector.id == _id(ident, "inspector")))).first()
    if row is None:
        raise NotFound("inspector", ident)
    return row


def create_inspector(session: Session, who: Principal | None, data: dict[str, Any]) -> Inspector:
    p = regulator_only(who)
    region = _region(session, data.get("region_code") or p.scope_region or "610000")
    _require_covers(p, region.code, region.city_code, "region_code")
    if session.scalar(select(Inspector.id).where(Inspector.badge_no == data["badge_no"])):
        raise _field_error("badge_no", "执法证号已登记", "this badge number is already registered")
    if data.get("org_id") is not None and session.get(Organisation, data["org_id"]) is None:
        raise _field_error("org_id", "单位不存在", "organisation does not exist")
    if data.get("user_id") is not None:
        from jiliang.people.models import User

        user = session.get(User, data["user_id"])
        if user is None or user.role != "regulator":
            raise _field_error("user_id", "应为监管人员账号", "must be a regulator's account")
    row = Inspector(
        name=data["name"], badge_no=data["badge_no"], org_id=data.get("org_id"), user_id=data.get("user_id"),
        relations=[], **_place(region),
    )
    session.add(row)
    session.flush()
    audit.record(session, p, "create", "inspector", row.id, after=audit.snapshot(row))
    return row


def _may_edit_inspector(p: Principal, row: Inspector) -> None:
    if p.user_id and row.user_id == p.user_id:
        return
    _require_covers(p, row.region_code, row.city_code, "inspector")


def declare_relation(session: Session, who: Principal | None, ident: Any, data: dict[str, Any]) -> Inspector:
    """Declare a relation between an inspector and an organisation (a conflict of interest)."""
    p = regulator_only(who)
    row = get_inspector(session, p, ident)
    _may_edit_inspector(p, row)
    if row.status != "active":
        raise Conflict("该人员已退出人员库", "This inspector has left the pool")
    if session.get(Organisation, data["org_id"]) is None:
        raise _field_error("org_id", "单位不存在", "organisation does not exist")
    before = {"relations": list(row.relations)}
    entry = {"org_id": data["org_id"], "note": data["note"], "declared_on": date.today().isoformat()}
    row.relations = [r for r in row.relations if r["org_id"] != data["org_id"]] + [entry]
    session.flush()
    audit.record(session, p, "declare_relation", "inspector", row.id, before=before,
                 after={"relations": row.relations})
    return row


def retire_inspector(session: Session, who: Principal | None, ident: Any, reason: str) -> Inspector:
    p = regulator_only(who)
    row = get_inspector(session, p, ident)
    _require_covers(p, row.region_code, row.city_code, "inspector")
    if row.status != "retired":
        row.status = "retired"
        session.flush()
        audit.record(session, p, "retire", "inspector", row.id, before={"status": "active"},
                     after={"status": "retired"}, reason=reason)
    return row


def inspector_dict(row: Inspector) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "badge_no": row.badge_no, "org_id": row.org_id, "user_id": row.user_id,
        "region_code": row.region_code, "region_level": row.region_level, "relations": row.relations,
        "status": row.status,
    }


# ------------------------------------------------------------------ campaigns


def _campaign_scope(session: Session, p: Principal, stmt: Select) -> Select:
    if p.is_admin:
        return stmt
    if p.is_regulator:
        return stmt.where(_overlap_clause(session, p, Campaign))
    _no_lab(p)
    if p.is_org_member and p.org_id is not None:
        mine = select(Inspection.campaign_id).where(Inspection.target_org_id == p.org_id)
        return stmt.where(Campaign.id.in_(mine))
    raise Forbidden()


def list_campaigns(session: Session, who: Principal | None, q: str | None = None,
                   filters: dict[str, Any] | None = None, page: int = 1, per_page: int = 25) -> Page:
    p = require(who)
    stmt = _campaign_scope(session, p, select(Campaign))
    q = _plain(q)
    if q:
        stmt = stmt.where(Campaign.title.ilike(f"%{q}%"))
    for key in ("status", "category", "region_code"):
        value = _plain((filters or {}).get(key))
        if value:
            stmt = stmt.where(getattr(Campaign, key) == value)
    return _page(session, stmt.order_by(Campaign.starts_on.desc(), Campaign.id.desc()), page, per_page)


def get_campaign(session: Session, who: Principal | None, ident: Any) -> Campaign:
    p = require(who)
    row = session.scalars(_campaign_scope(session, p, select(Campaign).where(Campaign.id == _id(ident, "campaign")))).first()
    if row is None:
        raise NotFound("campaign", ident)
    return row


def _inspectors_in(session: Session, p: Principal, ids: Iterable[int], field: str = "inspector_ids") -> list[int]:
    out = []
    for i, ident in enumerate(ids or []):
        row = session.get(Inspector, ident) if 0 < ident <= MAX_INT else None
        if row is None or row.status != "active":
            raise _field_error(f"{field}[{i}]", f"执法检查人员 {ident} 不存在或已退出", f"inspector {ident} does not exist or has left")
        if not session.scalar(_inspector_scope(session, p, select(Inspector.id).where(Inspector.id == row.id))):
            raise _field_error(f"{field}[{i}]", f"执法检查人员 {ident} 不在您的辖区", f"inspector {ident} is outside your region")
        if row.id not in out:
            out.append(row.id)
    return out


def create_campaign(session: Session, who: Principal | None, data: dict[str, Any]) -> Campaign:
    p = regulator_only(who)
    info = _category_or_error(session, data.get("category"))
    region = _region(session, data.get("region_code") or p.scope_region or "610000")
    _require_covers(p, region.code, region.city_code, "region_code")
    _dates(data["starts_on"], data["ends_on"], "starts_on", "ends_on")
    items = data.get("checklist")
    checklist = _checklist_rows(items) if items else info["checklist"]
    row = Campaign(
        title=data["title"], category=info["code"], starts_on=data["starts_on"], ends_on=data["ends_on"],
        description=data.get("description"), checklist=checklist,
        inspector_ids=_inspectors_in(session, p, data.get("inspector_ids") or []),
        created_by=p.user_id or None, **_place(region),
    )
    session.add(row)
    session.flush()
    audit.record(session, p, "create", "inspection_campaign", row.id, after=audit.snapshot(row))
    for i, target in enumerate(data.get("targets") or []):
        _add_target(session, p, row, target, f"targets[{i}]")
    return row


def _writable_campaign(session: Session, p: Principal, ident: Any) -> Campaign:
    row = get_campaign(session, p, ident)
    _require_covers(p, row.region_code, row.city_code, "campaign")
    if row.status != "active":
        raise Conflict("专项检查已结束或撤销", "The campaign is closed or cancelled")
    return row


def update_campaign(session: Session, who: Principal | None, ident: Any, data: dict[str, Any]) -> Campaign:
    p = regulator_only(who)
    row = _writable_campaign(session, p, ident)
    before = audit.snapshot(row)
    if "checklist" in data and data["checklist"] is not None:
        if session.scalar(select(Inspection.id).where(Inspection.campaign_id == row.id, Inspection.status != "planned")):
            raise _field_error("checklist", "已有检查结果，检查项不能再改", "results are recorded; the checklist cannot change")
        row.checklist = _checklist_rows(data["checklist"])
    if data.get("inspector_ids") is not None:
        row.inspector_ids = _inspectors_in(session, p, data["inspector_ids"])
    for key in ("title", "description", "starts_on", "ends_on"):
        if data.get(key) is not None:
            setattr(row, key, data[key])
    _dates(row.starts_on, row.ends_on, "starts_on", "ends_on")
    session.flush()
    audit.record(session, p, "update", "inspection_campaign", row.id, before, audit.snapshot(row))
    return row


def set_campaign_status(session: Session, who: Principal | None, ident: Any, status: str, reason: str) -> Campaign:
    p = regulator_only(who)
    row = _writable_campaign(session, p, ident)
    before = audit.snapshot(row)
    row.status = status
    session.flush()
    audit.record(session, p, "status", "inspection_campaign", row.id, before, audit.snapshot(row), reason)
    return row


def _target_org(session: Session, org_id: int, field: str) -> Organisation:
    org = session.get(Organisation, org_id) if 0 < org_id <= MAX_INT else None
    if org is None or org.status != "active" or org.kind not in TARGET_KINDS:
        raise _field_error(field, "检查对象应为在册的企业或个体工商户", "the target must be an active enterprise or individual business")
    return org


def _in_region(org: Organisation, campaign: Campaign) -> bool:
    if campaign.region_level == "province":
        return True
    if campaign.region_level == "city":
        return org.city_code == campaign.region_code
    return org.region_code == campaign.region_code


def _add_target(session: Session, p: Principal, campaign: Campaign, data: dict[str, Any], field: str,
                team: list[int] | None = None, draw_id: int | None = None) -> Inspection:
    org = _target_org(session, data["org_id"], f"{field}.org_id")
    if not _in_region(org, campaign):
        raise _field_error(f"{field}.org_id", "检查对象不在专项检查的地域范围内", "the target lies outside the campaign's region")
    _require_covers(p, org.region_code, org.city_code, f"{field}.org_id")
    if session.scalar(select(Inspection.id).where(Inspection.campaign_id == campaign.id,
                                                  Inspection.target_org_id == org.id,
                                                  Inspection.status != "cancelled")):
        raise _field_error(f"{field}.org_id", "该单位已是本专项检查的检查对象", "this organisation is already a target of the campaign")
    instrument_ids = list(dict.fromkeys(data.get("instrument_ids") or []))
    for i, iid in enumerate(instrument_ids):
        inst = session.get(Instrument, iid) if 0 < iid <= MAX_INT else None
        if inst is None or inst.owner_org_id != org.id:
            raise _field_error(f"{field}.instrument_ids[{i}]", "计量器具不属于该检查对象", "the instrument does not belong to the target")
    if team is None:
        team = _inspectors_in(session, p, data.get("inspector_ids") or [], f"{field}.inspector_ids")
    row = Inspection(
        campaign_id=campaign.id, target_org_id=org.id, target_name=org.name, region_code=org.region_code,
        city_code=org.city_code, instrument_ids=instrument_ids, draw_id=draw_id, checklist_results=[],
    )
    session.add(row)
    session.flush()
    for inspector_id in team:
        session.add(InspectionTeam(inspection_id=row.id, inspector_id=inspector_id))
    session.flush()
    audit.record(session, p, "create", "inspection", row.id, after={**audit.snapshot(row), "team": team})
    return row


def add_target(session: Session, who: Principal | None, ident: Any, data: dict[str, Any]) -> Inspection:
    p = regulator_only(who)
    campaign = _writable_campaign(session, p, ident)
    return _add_target(session, p, campaign, data, "target")


def campaign_dict(session: Session, row: Campaign, lang: str = "zh", who: Principal | None = None,
                  full: bool = False) -> dict[str, Any]:
    """A campaign; its targets counted (and, when ``full``, listed) as far as ``who`` may see them."""
    targets = select(Inspection).where(Inspection.campaign_id == row.id)
    if who is not None:
        targets = _inspection_scope(who, targets)
    sub = targets.subquery()
    counts = dict(session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all())
    out = {
        "id": row.id, "title": row.title, "category": row.category,
        "category_name": category_name(session, row.category, lang), "region_code": row.region_code,
        "region_level": row.region_level, "starts_on": row.starts_on.isoformat(),
        "ends_on": row.ends_on.isoformat(), "status": row.status, "description": row.description,
        "checklist": row.checklist, "inspector_ids": row.inspector_ids,
        "targets": sum(counts.values()), "by_status": counts,
    }
    if full:
        out["inspectors"] = [{"id": i.id, "name": i.name, "badge_no": i.badge_no} for i in session.scalars(
            select(Inspector).where(Inspector.id.in_(row.inspector_ids or [0])).order_by(Inspector.badge_no))]
        out["inspections"] = [inspection_dict(session, i) for i in session.scalars(targets.order_by(Inspection.id))]
        regulator = who is None or who.is_admin or who.is_regulator
        out["draws"] = [draw_dict(d, public=not regulator) for d in session.scalars(
            select(Draw).where(Draw.campaign_id == row.id).order_by(Draw.id))]
    return out


# ------------------------------------------------------------------ inspections


def _inspection_scope(p: Principal, stmt: Select, model: type = Inspection, org_col=None) -> Select:
    if p.is_admin:
        return stmt
    if p.is_regulator:
        return stmt.where(region_clause(p, model.region_code, model.city_code))
    _no_lab(p)
    if p.is_org_member and p.org_id is not None:
        return stmt.where((org_col if org_col is not None else model.target_org_id) == p.org_id)
    raise Forbidden()


def list_inspections(session: Session, who: Principal | None, q: str | None = None,
                     filters: dict[str, Any] | None = None, page: int = 1, per_page: int = 25) -> Page:
    p = require(who)
    stmt = _inspection_scope(p, select(Inspection))
    q = _plain(q)
    if q:
        stmt = stmt.where(Inspection.target_name.ilike(f"%{q}%"))
    f = filters or {}
    if f.get("status"):
        stmt = stmt.where(Inspection.status == f["status"])
    if f.get("campaign_id"):
        stmt = stmt.where(Inspection.campaign_id == f["campaign_id"])
    if f.get("region_code"):
        stmt = stmt.where(Inspection.region_code == _plain(f["region_code"]))
    if f.get("mine") and p.user_id:
        mine = select(InspectionTeam.inspection_id).join(Inspector, Inspector.id == InspectionTeam.inspector_id).where(
            Inspector.user_id == p.user_id)
        stmt = stmt.where(Inspection.id.in_(mine))
    return _page(session, stmt.order_by(Inspection.id.desc()), page, per_page)


def get_inspection(session: Session, who: Principal | None, ident: Any) -> Inspection:
    p = require(who)
    row = session.scalars(_inspection_scope(p, select(Inspection).where(Inspection.id == _id(ident, "inspection")))).first()
    if row is None:
        raise NotFound("inspection", ident)
    return row


def _writable_inspection(session: Session, p: Principal, ident: Any) -> Inspection:
    p = regulator_only(p)
    row = get_inspection(session, p, ident)
    _require_covers(p, row.region_code, row.city_code, "inspection")
    if row.status == "cancelled":
        raise Conflict("该检查已取消", "This inspection is cancelled")
    return row


def record_inspection(session: Session, who: Principal | None, ident: Any, data: dict[str, Any]) -> Inspection:
    """The inspector's on-site record: checklist results, conclusion, date."""
    row = _writable_inspection(session, require(who), ident)
    p = require(who)
    campaign = session.get(Campaign, row.campaign_id)
    codes = {c["code"] for c in campaign.checklist}
    results = []
    for i, r in enumerate(data.get("checklist_results") or []):
        if r["code"] not in codes:
            raise _field_error(f"checklist_results[{i}].code", f"检查项 {r['code']} 不在本专项检查中", f"item {r['code']} is not on the campaign's checklist")
        if r["result"] not in CHECK_RESULTS:
            raise _field_error(f"checklist_results[{i}].result", "取值应为 pass、fail 或 na", "must be pass, fail or na")
        results.append({"code": r["code"], "result": r["result"], "note": r.get("note") or ""})
    on = data.get("inspected_on") or date.today()
    if on > date.today():
        raise _field_error("inspected_on", "检查日期不能晚于今天", "must not be in the future")
    before = audit.snapshot(row)
    row.checklist_results = results
    row.conclusion = data.get("conclusion")
    row.inspected_on = on
    if row.status == "planned":
        row.status = "inspected"
    session.flush()
    audit.record(session, p, "record", "inspection", row.id, before, audit.snapshot(row))
    return row


def cancel_inspection(session: Session, who: Principal | None, ident: Any, reason: str) -> Inspection:
    row = _writable_inspection(session, require(who), ident)
    if session.scalar(select(InspectionFinding.id).where(InspectionFinding.inspection_id == row.id)):
        raise Conflict("已有检查发现的检查不能取消", "An inspection with findings cannot be cancelled")
    before = audit.snapshot(row)
    row.status = "cancelled"
    session.flush()
    audit.record(session, require(who), "cancel", "inspection", row.id, before, audit.snapshot(row), reason)
    return row


def team_of(session: Session, inspection_id: int) -> list[Inspector]:
    return list(session.scalars(
        select(Inspector).join(InspectionTeam, InspectionTeam.inspector_id == Inspector.id)
        .where(InspectionTeam.inspection_id == inspection_id).order_by(Inspector.badge_no)))


def inspection_dict(session: Session, row: Inspection, full: bool = False) -> dict[str, Any]:
    out = {
        "id": row.id, "campaign_id": row.campaign_id, "target_org_id": row.target_org_id,
        "target_name": row.target_name, "region_code": row.region_code, "instrument_ids": row.instrument_ids,
        "draw_id": row.draw_id, "status": row.status,
        "inspected_on": row.inspected_on.isoformat() if row.inspected_on else None,
        "checklist_results": row.checklist_results, "conclusion": row.conclusion,
        "team": [{"id": i.id, "name": i.name, "badge_no": i.badge_no} for i in team_of(session, row.id)],
    }
    if full:
        out["findings"] = [finding_dict(session, f) for f in session.scalars(
            select(InspectionFinding).where(InspectionFinding.inspection_id == row.id).order_by(InspectionFinding.id))]
    return out


# ------------------------------------------------------------------ findings


def _finding_scope(p: Principal, stmt: Select) -> Select:
    return _inspection_scope(p, stmt, InspectionFinding)


def list_findings(session: Session, who: Principal | None, q: str | None = None,
                  filters: dict[str, Any] | None = None, page: int = 1, per_page: int = 25,
                  today: date | None = None) -> Page:
    p = require(who)
    stmt = _finding_scope(p, select(InspectionFinding))
    q = _plain(q)
    if q:
        stmt = stmt.where(or_(InspectionFinding.item.ilike(f"%{q}%"), InspectionFinding.description.ilike(f"%{q}%")))
    f = filters or {}
    for key in ("status", "severity", "inspection_id", "target_org_id"):
        if f.get(key):
            stmt = stmt.where(getattr(InspectionFinding, key) == f[key])
    if f.get("overdue"):
        stmt = stmt.where(InspectionFinding.status == "open",
                          InspectionFinding.rectify_by < (today or date.today()))
    return _page(session, stmt.order_by(InspectionFinding.rectify_by.asc().nulls_last(), InspectionFinding.id), page, per_page)


def get_finding(session: Session, who: Principal | None, ident: Any) -> InspectionFinding:
    p = require(who)
    row = session.scalars(_finding_scope(p, select(InspectionFinding).where(
        InspectionFinding.id == _id(ident, "finding")))).first()
    if row is None:
        raise NotFound("finding", ident)
    return row


def create_finding(session: Session, who: Principal | None, data: dict[str, Any],
                   files: list[tuple[str, str, bytes]] | None = None) -> InspectionFinding:
    p = require(who)
    try:
        inspection = _writable_inspection(session, p, data["inspection_id"])
    except NotFound:
        raise _field_error("inspection_id", "检查不存在或不在您的辖区", "no such inspection in your region") from None
    if data["severity"] not in SEVERITIES:
        raise _field_error("severity", "取值应为 minor、major 或 serious", "must be minor, major or serious")
    found_on = data.get("found_on") or date.today()
    if found_on > date.today():
        raise _field_error("found_on", "发现日期不能晚于今天", "must not be in the future")
    rectify_by = data.get("rectify_by")
    if rectify_by is not None and rectify_by < found_on:
        raise _field_error("rectify_by", "整改期限不能早于发现日期", "must not be before the day it was found")
    iid = data.get("instrument_id")
    if iid is not None:
        inst = session.get(Instrument, iid) if 0 < iid <= MAX_INT else None
        if inst is None or inst.owner_org_id != inspection.target_org_id:
            raise _field_error("instrument_id", "计量器具不属于该检查对象", "the instrument does not belong to the target")
    checked = attachments.check_files(files or [])
    row = InspectionFinding(
        inspection_id=inspection.id, target_org_id=inspection.target_org_id, item=data["item"],
        description=data.get("description"), severity=data["severity"], instrument_id=iid, found_on=found_on,
        rectify_by=rectify_by, status="open", region_code=inspection.region_code, city_code=inspection.city_code,
        created_by=p.user_id or None,
    )
    session.add(row)
    session.flush()
    audit.record(session, p, "create", "inspection_finding", row.id, after=audit.snapshot(row))
    if inspection.status == "planned":
        before = audit.snapshot(inspection)
        inspection.status = "inspected"
        inspection.inspected_on = inspection.inspected_on or found_on
        audit.record(session, p, "status", "inspection", inspection.id, before, audit.snapshot(inspection),
                     "finding recorded")
    if checked:
        attachments.store(session, p, ATTACHMENT_KIND, row.id, checked)
    _notify(session, row, inspection)
    return row


def _notify(session: Session, finding: InspectionFinding, inspection: Inspection) -> None:
    """Tell the target (through the outbox, when present) that it has a finding to rectify."""
    from jiliang.features import present

    if not present("jiliang.supervision.outbox"):
        return
    from jiliang.supervision import outbox

    deadline = finding.rectify_by.isoformat() if finding.rectify_by else "—"
    outbox.enqueue(
        session, org_id=finding.target_org_id, topic="inspection_finding", dedup_key=str(finding.id),
        title=("执法检查发现问题，请按期整改", "An inspection found a problem to rectify"),
        body=(f"{inspection.target_name}：{finding.item}（整改期限 {deadline}）",
              f"{inspection.target_name}: {finding.item} (rectify by {deadline})"),
        link=f"/inspections/findings/{finding.id}",
    )


def add_finding_files(session: Session, who: Principal | None, ident: Any,
                      files: list[tuple[str, str, bytes]]) -> InspectionFinding:
    """Photos or documents for a finding: the inspector's evidence or the target's rectification."""
    p = require(who)
    row = get_finding(session, p, ident)
    if not (covers(p, row.region_code, row.city_code) or (p.role == "enterprise" and p.org_id == row.target_org_id)):
        raise Forbidden()
    if row.status == "closed":
        raise Conflict("已销号的问题不能再添加附件", "A closed finding takes no more attachments")
    if not files:
        raise _field_error("attachments", "请选择文件", "choose at least one file")
    attachments.store(session, p, ATTACHMENT_KIND, row.id, attachments.check_files(files))
    return row


def report_rectification(session: Session, who: Principal | None, ident: Any, note: str) -> InspectionFinding:
    """The target organisation reports what it did; the finding waits for verification."""
    p = require(who)
    row = get_finding(session, p, ident)
    if not (p.is_admin or (p.role == "enterprise" and p.org_id == row.target_org_id)):
        raise Forbidden("只有被检查单位可以报告整改", "Only the inspected organisation reports its rectification")
    if row.status != "open":
        raise Conflict("该问题不在待整改状态", "This finding is not open")
    return _follow_up(session, p, row, "report", note, "rectified")


def verify_rectification(session: Session, who: Principal | None, ident: Any, accept: bool, note: str,
                         new_deadline: date | None = None) -> InspectionFinding:
    """A regulator verifies the reported rectification: closed, or open again with a new deadline."""
    p = regulator_only(who)
    row = get_finding(session, p, ident)
    _require_covers(p, row.region_code, row.city_code, "finding")
    if row.status != "rectified":
        raise Conflict("尚未报告整改，不能验证", "No rectification has been reported")
    if accept:
        row = _follow_up(session, p, row, "accept", note, "closed")
        _close_inspection_if_done(session, p, row.inspection_id)
        return row
    if new_deadline is None or new_deadline < date.today():
        raise _field_error("new_deadline", "不通过时须给出不早于今天的新整改期限", "give a new deadline, today or later")
    return _follow_up(session, p, row, "reject", note, "open", new_deadline)


def _follow_up(session: Session, p: Principal, row: InspectionFinding, kind: str, note: str, status: str,
               new_deadline: date | None = None) -> InspectionFinding:
    before = audit.snapshot(row)
    session.add(FindingFollowUp(finding_id=row.id, kind=kind, note=note, new_deadline=new_deadline,
                                by_user=p.user_id or None, by_name=p.display_name or p.username))
    row.status = status
    if new_deadline is not None:
        row.rectify_by = new_deadline
    row.closed_on = date.today() if status == "closed" else None
    session.flush()
    audit.record(session, p, kind, "inspection_finding", row.id, before, audit.snapshot(row), note)
    return row


def _close_inspection_if_done(session: Session, p: Principal, inspection_id: int) -> None:
    inspection = session.get(Inspection, inspection_id)
    pending = session.scalar(select(func.count()).select_from(InspectionFinding).where(
        InspectionFinding.inspection_id == inspection_id, InspectionFinding.status != "closed"))
    if inspection.status == "inspected" and not pending:
        before = audit.snapshot(inspection)
        inspection.status = "closed"
        session.flush()
        audit.record(session, p, "status", "inspection", inspection.id, before, audit.snapshot(inspection),
                     "every finding closed")


def is_overdue(row: InspectionFinding, today: date | None = None) -> bool:
    return row.status == "open" and row.rectify_by is not None and row.rectify_by < (today or date.today())


def finding_dict(session: Session, row: InspectionFinding, full: bool = False) -> dict[str, Any]:
    out = {
        "id": row.id, "inspection_id": row.inspection_id, "target_org_id": row.target_org_id, "item": row.item,
        "description": row.description, "severity": row.severity, "instrument_id": row.instrument_id,
        "found_on": row.found_on.isoformat(), "rectify_by": row.rectify_by.isoformat() if row.rectify_by else None,
        "status": row.status, "overdue": is_overdue(row),
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
    }
    if full:
        out["follow_ups"] = [
            {"kind": f.kind, "note": f.note, "by": f.by_name, "at": f.at.isoformat(timespec="seconds"),
             "new_deadline": f.new_deadline.isoformat() if f.new_deadline else None}
            for f in session.scalars(select(FindingFollowUp).where(FindingFollowUp.finding_id == row.id)
                                     .order_by(FindingFollowUp.id))
        ]
        out["attachments"] = [attachments.as_dict(a) for a in attachments.list_for(session, ATTACHMENT_KIND, row.id)]
    return out


def _can_read_finding(session: Session, who: Principal | None, owner_id: int) -> bool:
    if who is None:
        return False
    try:
        get_finding(session, who, owner_id)
    except (NotFound, Forbidden):
        return False
    return True


attachments.register_owner(ATTACHMENT_KIND, _can_read_finding)


# ------------------------------------------------------------------ draws


def _draw_scope(session: Session, p: Principal, stmt: Select) -> Select:
    if p.is_admin:
        return stmt
    if p.is_regulator:
        return stmt.where(_overlap_clause(session, p, Draw))
    raise Forbidden("只有监管人员可以管理抽取", "Only regulators manage draws")


def list_draws(session: Session, who: Principal | None, status: str | None = None, page: int = 1,
               per_page: int = 25) -> Page:
    p = require(who)
    stmt = _draw_scope(session, p, select(Draw))
    if status:
        stmt = stmt.where(Draw.status == status)
    return _page(session, stmt.order_by(Draw.id.desc()), page, per_page)


def get_draw(session: Session, who: Principal | None, ident: Any) -> Draw:
    p = require(who)
    row = session.scalars(_draw_scope(session, p, select(Draw).where(Draw.id == _id(ident, "draw")))).first()
    if row is None:
        raise NotFound("draw", ident)
    return row


def public_draws(session: Session, page: int = 1, per_page: int = 25) -> Page:
    """Every draw, for everyone: the commitment from the start, the rest once published."""
    return _page(session, select(Draw).order_by(Draw.id.desc()), page, per_page)


def public_draw(session: Session, ident: Any) -> Draw:
    row = session.get(Draw, _id(ident, "draw"))
    if row is None:
        raise NotFound("draw", ident)
    return row


def published_document(session: Session, ident: Any) -> dict[str, Any]:
    row = public_draw(session, ident)
    if row.status != "published" or row.document is None:
        raise NotFound("draw", ident)
    return row.document


def _draw_audit(row: Draw) -> dict[str, Any]:
    """What the audit log keeps of a draw: never the seed before it is published."""
    out = {
        "title": row.title, "campaign_id": row.campaign_id, "region_code": row.region_code, "filter": row.filter,
        "n_targets": row.n_targets, "inspectors_per_target": row.inspectors_per_target,
        "commitment": row.commitment, "population_hash": row.population_hash, "selection": row.selection,
        "status": row.status,
    }
    if row.status == "published":
        out["seed"] = row.seed_hex
    return out


def commit_draw(session: Session, who: Principal | None, data: dict[str, Any], seed: bytes | None = None) -> Draw:
    """(a) The server makes a secret seed and publishes only its SHA-256 with the filter.

    ``seed`` is for the demo data set only (reproducible demo); the API never passes one.
    """
    p = regulator_only(who)
    campaign = None
    if data.get("campaign_id") is not None:
        try:
            campaign = _writable_campaign(session, p, data["campaign_id"])
        except NotFound:
            raise _field_error("campaign_id", "专项检查不存在或不在您的辖区", "no such campaign in your region") from None
    category = data.get("category") or (campaign.category if campaign else None)
    if category:
        _category_or_error(session, category)
    code = data.get("region_code") or (campaign.region_code if campaign else None) or p.scope_region or "610000"
    region = _region(session, code)
    _require_covers(p, region.code, region.city_code, "region_code")
    if campaign is not None and not _region_inside(region, campaign):
        raise _field_error("region_code", "应在专项检查的地域范围内", "must lie inside the campaign's region")
    seed = seed or secrets.token_bytes(32)
    row = Draw(
        campaign_id=campaign.id if campaign else None, title=data.get("title") or (campaign.title if campaign else "双随机抽查"),
        filter={"category": category, "region_code": region.code, "kinds": list(TARGET_KINDS)},
        n_targets=data["n_targets"], inspectors_per_target=data.get("inspectors_per_target") or 2,
        commitment=kernel.commit(seed), seed_hex=seed.hex(), status="committed", created_by=p.user_id or None,
        **_place(region),
    )
    session.add(row)
    session.flush()
    audit.record(session, p, "commit", "inspection_draw", row.id, after=_draw_audit(row))
    return row


def _region_inside(region: Region, campaign: Campaign) -> bool:
    if campaign.region_level == "province":
        return True
    if campaign.region_level == "city":
        return region.city_code == campaign.region_code
    return region.code == campaign.region_code


def _draw_step(session: Session, who: Principal | None, ident: Any, expected: str) -> tuple[Principal, Draw]:
    p = regulator_only(who)
    row = get_draw(session, p, ident)
    _require_covers(p, row.region_code, row.city_code, "draw")
    if row.status != expected:
        raise Conflict(f"当前状态为 {row.status}，此步骤需要 {expected}",
                       f"the draw is {row.status}; this step needs {expected}")
    return p, row


def population_for(session: Session, row: Draw) -> dict[str, Any]:
    """(b) The population: targets by category and region, inspectors with their conflicts."""
    region = session.get(Region, row.filter["region_code"])
    orgs = select(Organisation).where(Organisation.status == "active", Organisation.kind.in_(TARGET_KINDS))
    if region.level == "city":
        orgs = orgs.where(Organisation.city_code == region.code)
    elif region.level == "county":
        orgs = orgs.where(Organisation.region_code == region.code)
    category = row.filter.get("category")
    if category:
        info = category_info(session, category) or {"keywords": [], "type_codes": []}
        terms = [Organisation.name.contains(k) for k in info["keywords"]]
        if info["type_codes"]:
            owners = select(Instrument.owner_org_id).join(InstrumentType, InstrumentType.id == Instrument.type_id).where(
                InstrumentType.code.in_(info["type_codes"]), Instrument.status != "scrapped")
            terms.append(Organisation.id.in_(owners))
        orgs = orgs.where(or_(*terms)) if terms else orgs.where(false())
    targets = {o.id: o for o in session.scalars(orgs.order_by(Organisation.id))}
    tid = {oid: f"org-{oid}" for oid in targets}

    pool = select(Inspector).where(Inspector.status == "active")
    campaign = session.get(Campaign, row.campaign_id) if row.campaign_id else None
    if campaign is not None and campaign.inspector_ids:
        pool = pool.where(Inspector.id.in_(campaign.inspector_ids))
    else:
        pool = pool.where(_pool_clause(region))
    inspectors = list(session.scalars(pool.order_by(Inspector.id)))
    earlier: dict[int, set[int]] = {}
    if inspectors and targets:
        for inspector_id, org_id in session.execute(
            select(InspectionTeam.inspector_id, Inspection.target_org_id)
            .join(Inspection, Inspection.id == InspectionTeam.inspection_id)
            .where(InspectionTeam.inspector_id.in_([i.id for i in inspectors]), Inspection.status != "cancelled")
        ):
            earlier.setdefault(inspector_id, set()).add(org_id)
    return {
        "targets": [
            {"id": tid[o.id], "name": o.name, "uscc": o.uscc or "", "region": o.region_code,
             "organisation": tid[o.id]}
            for o in targets.values()
        ],
        "inspectors": [
            {"id": f"inspector-{i.id}", "name": i.name, "badge_no": i.badge_no,
             "organisation": f"org-{i.org_id}" if i.org_id else "",
             "relations": sorted(tid[r["org_id"]] for r in i.relations if r["org_id"] in tid),
             "earlier_cases": sorted(tid[o] for o in earlier.get(i.id, ()) if o in tid)}
            for i in inspectors
        ],
        "exclusions": [],
    }


def _pool_clause(region: Region):
    """Inspectors of the draw's region: its own, those above it, and those below it."""
    if region.level == "province":
        return true()
    if region.level == "city":
        return or_(Inspector.city_code == region.code, Inspector.region_level == "province")
    return or_(Inspector.region_code == region.code,
               (Inspector.region_level == "city") & (Inspector.region_code == region.city_code),
               Inspector.region_level == "province")


def snapshot_draw(session: Session, who: Principal | None, ident: Any) -> Draw:
    p, row = _draw_step(session, who, ident, "committed")
    population = population_for(session, row)
    try:
        row.population_hash = kernel.snapshot_hash(population)
    except kernel.DrawError as exc:  # pragma: no cover - our own rows are always well-formed
        raise _field_error("population", exc.message_zh, exc.message_en) from None
    row.population = population
    row.status = "snapshotted"
    row.snapshotted_at = utcnow()
    session.flush()
    audit.record(session, p, "snapshot", "inspection_draw", row.id,
                 after={**_draw_audit(row), "targets": len(population["targets"]),
                        "inspectors": len(population["inspectors"])})
    return row


def run_draw(session: Session, who: Principal | None, ident: Any) -> Draw:
    """(c) The kernel draws targets and, for each, at least two inspectors free of conflicts."""
    p, row = _draw_step(session, who, ident, "snapshotted")
    pop = row.population
    try:
        document = kernel.draw(bytes.fromhex(row.seed_hex), pop["targets"], pop["inspectors"], row.n_targets,
                               row.inspectors_per_target, pop["exclusions"])
    except kernel.DrawError as exc:
        field = exc.field if exc.field in ("n_targets", "inspectors_per_target") else "inspectors" if exc.field.startswith("inspectors") else exc.field
        raise _field_error(field, exc.message_zh, exc.message_en) from None
    if document["population_hash"] != row.population_hash:  # pragma: no cover - JSON round trip is exact
        raise Conflict("对象库快照不一致", "the stored snapshot no longer matches its hash")
    row.selection = document["selection"]
    row.document = document
    row.status = "drawn"
    row.drawn_at = utcnow()
    session.flush()
    audit.record(session, p, "draw", "inspection_draw", row.id, after=_draw_audit(row))
    campaign = session.get(Campaign, row.campaign_id) if row.campaign_id else None
    if campaign is not None:
        for pick_ in row.selection:
            org_id = int(pick_["target"].removeprefix("org-"))
            team = [int(i.removeprefix("inspector-")) for i in pick_["inspectors"]]
            if session.scalar(select(Inspection.id).where(Inspection.campaign_id == campaign.id,
                                                          Inspection.target_org_id == org_id,
                                                          Inspection.status != "cancelled")):
                continue
            _add_target(session, p, campaign, {"org_id": org_id}, "selection", team=team, draw_id=row.id)
    return row


def publish_draw(session: Session, who: Principal | None, ident: Any) -> Draw:
    """(d) Reveal the seed: the document is public and anyone can re-run it."""
    p, row = _draw_step(session, who, ident, "drawn")
    result = kernel.verify(row.document)
    if not result.ok:  # pragma: no cover - a stored draw always re-verifies
        raise Conflict("抽取结果无法复核：" + "；".join(result.reasons), "the draw does not verify: " + "; ".join(result.reasons))
    row.status = "published"
    row.published_at = utcnow()
    session.flush()
    audit.record(session, p, "publish", "inspection_draw", row.id, before={"status": "drawn"},
                 after={"status": "published", "seed": row.seed_hex})
    return row


def conflict_count(population: dict[str, Any]) -> int:
    """How many (inspector, target) pairs of the snapshot the draw must never make."""
    targets = {t["id"]: t for t in population["targets"]}
    count = 0
    for inspector in population["inspectors"]:
        org = inspector.get("organisation")
        marked = set(inspector.get("relations", [])) | set(inspector.get("earlier_cases", []))
        if org in targets:
            marked.add(org)
        count += len(marked & set(targets))
    return count + len(population.get("exclusions", []))


def names_for(row: Draw) -> tuple[dict[str, str], dict[str, str]]:
    pop = row.population or {"targets": [], "inspectors": []}
    return ({t["id"]: t["name"] for t in pop["targets"]}, {i["id"]: i["name"] for i in pop["inspectors"]})


def draw_dict(row: Draw, public: bool = False) -> dict[str, Any]:
    published = row.status == "published"
    out = {
        "id": row.id, "title": row.title, "campaign_id": row.campaign_id, "region_code": row.region_code,
        "filter": row.filter, "n_targets": row.n_targets, "inspectors_per_target": row.inspectors_per_target,
        "status": row.status, "commitment": row.commitment, "population_hash": row.population_hash,
        "committed_at": row.committed_at.isoformat(timespec="seconds") if row.committed_at else None,
        "snapshotted_at": row.snapshotted_at.isoformat(timespec="seconds") if row.snapshotted_at else None,
        "drawn_at": row.drawn_at.isoformat(timespec="seconds") if row.drawn_at else None,
        "published_at": row.published_at.isoformat(timespec="seconds") if row.published_at else None,
        "seed": row.seed_hex if published else None,
        "population_size": (
            {"targets": len(row.population["targets"]), "inspectors": len(row.population["inspectors"]),
             "conflicts": conflict_count(row.population)}
            if row.population else None
        ),
    }
    if published or not public:
        targets, inspectors = names_for(row)
        out["selection"] = [
            {"target": s["target"], "target_name": targets.get(s["target"], ""), "inspectors": s["inspectors"],
             "inspector_names": [inspectors.get(i, "") for i in s["inspectors"]]}
            for s in (row.selection or [])
        ]
    else:
        out["selection"] = None
    if published:
        out["document_url"] = f"/api/v1/public/draws/{row.id}/document"
    return out


# ------------------------------------------------------------------ exports


def overdue_count(session: Session, who: Principal | None, today: date | None = None) -> int:
    p = require(who)
    stmt = _finding_scope(p, select(func.count()).select_from(InspectionFinding)).where(
        InspectionFinding.status == "open", InspectionFinding.rectify_by < (today or date.today()))
    return session.scalar(stmt) or 0


def export_rows(session: Session, who: Principal | None, kind: str, q: str | None, filters: dict[str, Any],
                lang: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a list as it is filtered on screen (at most 50,000 rows)."""
    en = lang == "en"
    if kind == "findings":
        total = list_findings(session, who, q, filters, 1, 1).total
        rows = _all(lambda n: list_findings(session, who, q, filters, n, MAX_PER_PAGE).items, total)
        header = (["ID", "Inspection", "Target", "Item", "Severity", "Found on", "Rectify by", "Status", "Overdue"]
                  if en else ["编号", "检查", "被检查单位", "问题", "严重程度", "发现日期", "整改期限", "状态", "逾期"])
        names = org_names(session, {r.target_org_id for r in rows})
        return header, [[r.id, r.inspection_id, names.get(r.target_org_id, ""), r.item,
                         pick(SEVERITIES[r.severity], lang), r.found_on.isoformat(),
                         r.rectify_by.isoformat() if r.rectify_by else "", r.status,
                         ("yes" if en else "是") if is_overdue(r) else ""] for r in rows]
    if kind == "inspections":
        total = list_inspections(session, who, q, filters, 1, 1).total
        rows = _all(lambda n: list_inspections(session, who, q, filters, n, MAX_PER_PAGE).items, total)
        header = (["ID", "Campaign", "Target", "County", "Status", "Inspected on", "Drawn"]
                  if en else ["编号", "专项检查", "被检查单位", "区县", "状态", "检查日期", "随机抽取"])
        return header, [[r.id, r.campaign_id, r.target_name, r.region_code, r.status,
                         r.inspected_on.isoformat() if r.inspected_on else "", r.draw_id or ""] for r in rows]
    total = list_campaigns(session, who, q, filters, 1, 1).total
    rows = _all(lambda n: list_campaigns(session, who, q, filters, n, MAX_PER_PAGE).items, total)
    header = (["ID", "Title", "Category", "Region", "Starts", "Ends", "Status"]
              if en else ["编号", "名称", "类别", "地域", "开始", "结束", "状态"])
    return header, [[r.id, r.title, category_name(session, r.category, lang), r.region_code,
                     r.starts_on.isoformat(), r.ends_on.isoformat(), r.status] for r in rows]


def _all(fetch, total: int, cap: int = 50_000) -> list[Any]:
    out: list[Any] = []
    n = 1
    while len(out) < min(total, cap):
        chunk = fetch(n)
        if not chunk:
            break
        out.extend(chunk)
        n += 1
    return out[:cap]


def org_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def default_deadline(found_on: date, severity: str) -> date:
    """A suggestion for the form: 30 days for minor, 15 for major, 7 for serious findings."""
    return found_on + timedelta(days={"minor": 30, "major": 15, "serious": 7}.get(severity, 15))


# ------------------------------------------------------------------ nightly


def nightly(session: Session, today: date | None = None) -> dict[str, int]:
    """Remind each target of its overdue rectifications (once per finding and deadline).

    Through the outbox when it is present (a notice is never queued twice); otherwise the
    overdue findings are only counted. For ``NIGHTLY_JOBS`` as
    ``"jiliang.supervision.inspection_service:nightly"``.
    """
    from jiliang.features import present

    today = today or date.today()
    rows = list(session.scalars(select(InspectionFinding).where(
        InspectionFinding.status == "open", InspectionFinding.rectify_by < today).order_by(InspectionFinding.id)))
    queued = 0
    if rows and present("jiliang.supervision.outbox"):
        from jiliang.supervision import outbox

        names = org_names(session, {r.target_org_id for r in rows})
        for r in rows:
            name = names.get(r.target_org_id, "")
            queued += outbox.enqueue(
                session, org_id=r.target_org_id, topic="rectification_overdue",
                dedup_key=f"{r.id}:{r.rectify_by.isoformat()}",
                title=("整改逾期提醒", "Rectification overdue"),
                body=(f"{name}：“{r.item}”的整改期限 {r.rectify_by.isoformat()} 已过，请尽快整改并报告。",
                      f"{name}: the deadline {r.rectify_by.isoformat()} to rectify “{r.item}” has passed."),
                link=f"/inspections/findings/{r.id}",
            )
    return {"overdue": len(rows), "notices": queued}
