"""Filings of mandatory instruments (强检备案): create, review, withdraw, refile; lists in scope.

Who may do what (checked here, not in the pages):
- an enterprise user files the instruments of its own organisation, withdraws or refiles its
  own filings, and sees only them;
- a regulator sees the filings located in its region (county, city or province) and approves or
  rejects them (a reason is required to reject);
- laboratory staff have no filing rights; an administrator may do everything.
Nothing is deleted; every step leaves an audit entry in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from jiliang.core import audit, resources
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import region_clause, require
from jiliang.core.resources import Field, Policy, Resource
from jiliang.core.security import Principal
from jiliang.instruments.models import USES, Instrument, InstrumentType
from jiliang.orgs.models import LAB_KINDS, Organisation
from jiliang.supervision import catalogue
from jiliang.supervision.catalogue_models import CatalogueItem
from jiliang.supervision.filing_models import FILING_STATUS, OPEN_STATUSES, Filing

ENTITY = "mandatory_filing"
FILING_USES = {k: v for k, v in USES.items() if k in catalogue.MANDATORY_USES}
FILTERS = ("status", "use", "region_code", "city_code")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise resources.FieldRule("不能包含空字符", "must not contain NUL characters")
    return value


class FilingPolicy(Policy):
    """Admin: all; regulator: filings located in its region; owner: its own; others: none."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(region_clause(p, Filing.region_code, Filing.city_code))
        if p.role == "enterprise" and p.org_id is not None:
            return stmt.where(Filing.owner_org_id == p.org_id)
        raise Forbidden("实验室人员没有强检备案权限", "Laboratory staff have no filing rights")


FILINGS = Resource(
    name="filings",
    entity=ENTITY,
    model=Filing,
    label=("强检备案", "Mandatory filings"),
    policy=FilingPolicy(),
    default_sort="-submitted_at",
    title=lambda f, lang: f.serial_no,
    fields=[
        Field("serial_no", ("出厂编号", "Serial no."), search=True, sort=True, editable=False),
        Field("owner_name", ("使用单位", "Owner"), search=True, sort=True, editable=False),
        Field("location", ("安装使用地点", "Location"), search=True, editable=False),
        Field("contact_name", ("联系人", "Contact"), search=True, editable=False),
        Field("use", ("用途", "Use"), "choice", choices=FILING_USES, filter=True, editable=False),
        Field("status", ("状态", "Status"), "choice", choices=FILING_STATUS, filter=True, sort=True,
              editable=False),
        Field("region_code", ("所在区县", "County"), filter=True, editable=False),
        Field("city_code", ("所在城市", "City"), filter=True, editable=False),
        Field("submitted_at", ("提交时间", "Submitted"), sort=True, editable=False),
        Field("decided_at", ("审核时间", "Decided"), sort=True, editable=False),
    ],
)

# what an owner enters (also the columns of a bulk filing spreadsheet)
FILING_INPUT = Resource(
    name="filing-input",
    entity=ENTITY,
    model=Filing,
    label=("强检备案", "Mandatory filing"),
    policy=FilingPolicy(),
    fields=[
        Field("instrument_id", ("器具编号（ID）", "Instrument ID"), "int", required=True, min_value=1),
        Field("use", ("用途", "Use"), "choice", choices=FILING_USES, required=True),
        Field("location", ("安装使用地点", "Location"), required=True, max_len=300, check=_no_nul),
        Field("institution_org_id", ("检定机构（ID）", "Verification institution ID"), "int", required=True,
              min_value=1),
        Field("contact_name", ("联系人", "Contact"), required=True, max_len=100, check=_no_nul),
        Field("contact_phone", ("联系电话", "Contact phone"), required=True, max_len=40, check=_no_nul),
        Field("note", ("备注", "Note"), "text", max_len=2000, check=_no_nul),
    ],
)


# ------------------------------------------------------------------ reading


def list_filings(session: Session, who: Principal | None, q: str | None = None,
                 filters: dict[str, str] | None = None, sort: str | None = None,
                 page: int = 1, per_page: int = 25) -> resources.Page:
    return resources.list_page(session, who, FILINGS, q, _clean_filters(filters), sort, page, per_page)


def _clean_filters(filters: dict[str, str] | None) -> dict[str, str]:
    out = {}
    for k, v in (filters or {}).items():
        if k not in FILTERS:
            raise ValidationFailed.one(k, "不支持的筛选条件", "unknown filter")
        out[k] = v.replace("\x00", "") if isinstance(v, str) else v
    return out


def get(session: Session, who: Principal | None, filing_id: Any) -> Filing:
    return resources.get(session, who, FILINGS, filing_id)


def history(session: Session, filing: Filing) -> list[audit.AuditEntry]:
    return audit.entries_for(session, ENTITY, filing.id)


def institutions(session: Session) -> list[Organisation]:
    """Verification institutions an owner may designate (legal institutes and authorised labs)."""
    return list(session.scalars(
        select(Organisation).where(Organisation.kind.in_(LAB_KINDS), Organisation.status == "active")
        .order_by(Organisation.kind.desc(), Organisation.id)))


def fileable_instruments(session: Session, who: Principal, q: str | None = None, limit: int = 50):
    """The caller's instruments of a mandatory type without an open filing (for the form)."""
    if not (who.is_admin or who.role == "enterprise"):
        return []
    from jiliang.instruments.service import INSTRUMENTS

    open_ = select(Filing.instrument_id).where(Filing.status.in_(OPEN_STATUSES))
    stmt = INSTRUMENTS.policy.scope(who, select(Instrument)).where(
        Instrument.status != "scrapped", Instrument.type_id.in_(catalogue.mandatory_type_ids()),
        Instrument.id.not_in(open_))
    q = (q or "").replace("\x00", "").strip()
    if q:
        stmt = stmt.where(catalogue.search_clause(q))
    return list(session.scalars(stmt.order_by(Instrument.serial_no).limit(limit)))


def names(session: Session, filings: list[Filing], lang: str) -> dict[str, dict[int, str]]:
    """Institution names and instrument type names for a page of filings."""
    inst_ids = {f.institution_org_id for f in filings}
    orgs = {o.id: o.name for o in session.scalars(select(Organisation).where(Organisation.id.in_(inst_ids)))}
    type_rows = session.execute(
        select(Instrument.id, InstrumentType.name_zh, InstrumentType.name_en)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .where(Instrument.id.in_({f.instrument_id for f in filings})))
    types = {i: (en if lang == "en" else zh) for i, zh, en in type_rows}
    return {"institution": orgs, "type": types}


def filing_dict(f: Filing, names_: dict[str, dict[int, str]] | None = None) -> dict[str, Any]:
    names_ = names_ or {}
    return {
        "id": f.id,
        "instrument_id": f.instrument_id,
        "serial_no": f.serial_no,
        "type": names_.get("type", {}).get(f.instrument_id),
        "owner_org_id": f.owner_org_id,
        "owner_name": f.owner_name,
        "item_id": f.item_id,
        "region_code": f.region_code,
        "city_code": f.city_code,
        "use": f.use,
        "location": f.location,
        "institution_org_id": f.institution_org_id,
        "institution": names_.get("institution", {}).get(f.institution_org_id),
        "contact_name": f.contact_name,
        "contact_phone": f.contact_phone,
        "note": f.note,
        "previous_id": f.previous_id,
        "status": f.status,
        "submitted_at": f.submitted_at.isoformat() if f.submitted_at else None,
        "decided_at": f.decided_at.isoformat() if f.decided_at else None,
        "decision_reason": f.decision_reason,
    }


def export_rows(session: Session, who: Principal, q: str | None, filters: dict[str, str] | None,
                sort: str | None, lang: str) -> tuple[list[str], list[list[Any]]]:
    stmt = resources.query(session, who, FILINGS, q, _clean_filters(filters), sort)
    rows_ = list(session.scalars(stmt.limit(100_000)))
    nm = names(session, rows_, lang)
    en = lang == "en"
    header = (["ID", "Serial no.", "Type", "Owner", "County", "Use", "Location", "Institution", "Contact",
               "Phone", "Status", "Submitted", "Decided", "Reason"] if en else
              ["ID", "出厂编号", "器具类型", "使用单位", "区县", "用途", "安装使用地点", "检定机构", "联系人",
               "联系电话", "状态", "提交时间", "审核时间", "审核意见"])
    i = int(en)
    out = [[f.id, f.serial_no, nm["type"].get(f.instrument_id, ""), f.owner_name, f.region_code,
            FILING_USES.get(f.use, (f.use, f.use))[i], f.location, nm["institution"].get(f.institution_org_id, ""),
            f.contact_name, f.contact_phone, FILING_STATUS[f.status][i],
            f.submitted_at.isoformat(timespec="seconds"),
            f.decided_at.isoformat(timespec="seconds") if f.decided_at else "", f.decision_reason or ""]
           for f in rows_]
    return header, out


# ------------------------------------------------------------------ writing


def check_filer(who: Principal, org_id: int | None = None) -> None:
    if who.is_admin:
        return
    if who.role != "enterprise" or who.org_id is None:
        raise Forbidden("只有器具使用单位可以办理强检备案", "Only the owner of an instrument files it")
    if org_id is not None and org_id != who.org_id:
        raise Forbidden("只能办理本单位器具的备案", "You may only file your own organisation's instruments")


def _reviewer(who: Principal, f: Filing) -> None:
    if who.is_admin:
        return
    if who.is_regulator and who.covers_region(f.region_code, f.city_code):
        return
    raise Forbidden("只有器具所在地的监管部门可以审核备案", "Only the regulator of the place reviews a filing")


def _checked_instrument(session: Session, who: Principal, instrument_id: int) -> tuple[Instrument, CatalogueItem]:
    inst = session.get(Instrument, instrument_id)
    if inst is None or not (who.is_admin or inst.owner_org_id == who.org_id):
        raise NotFound("instrument", instrument_id)
    if inst.status == "scrapped":
        raise ValidationFailed.one("instrument_id", "器具已报废，无需备案", "the instrument is scrapped")
    item = catalogue.item_for_type(session, inst.type_id)
    if item is None or item.modes not in catalogue.VERIFIED_MODES or item.status != "active":
        raise ValidationFailed.one("instrument_id", "该器具类型不属于强制检定目录，无需备案",
                                   "the instrument's type is not under mandatory verification")
    return inst, item


def _checked_institution(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None or org.kind not in LAB_KINDS or org.status != "active":
        raise ValidationFailed.one("institution_org_id", "检定机构应为有效的法定计量检定机构或授权机构",
                                   "must be an active legal metrology institute or authorised lab")
    return org


def _open_filing(session: Session, instrument_id: int) -> Filing | None:
    return session.scalar(select(Filing).where(Filing.instrument_id == instrument_id,
                                               Filing.status.in_(OPEN_STATUSES)).limit(1))


def _prepare(session: Session, who: Principal, values: dict[str, Any], obj: Any) -> dict[str, Any]:
    """Checks and derived columns of a new filing (used by every path that creates one)."""
    check_filer(who)
    inst, item = _checked_instrument(session, who, values["instrument_id"])
    _checked_institution(session, values["institution_org_id"])
    if _open_filing(session, inst.id) is not None:
        raise Conflict("该器具已有待审核或已生效的备案", "The instrument already has a submitted or approved filing")
    owner = session.get(Organisation, inst.owner_org_id)
    return {**values, "owner_org_id": inst.owner_org_id, "owner_name": owner.name if owner else "",
            "serial_no": inst.serial_no, "item_id": item.id, "region_code": inst.region_code,
            "city_code": inst.city_code, "status": "submitted", "submitted_at": utcnow(),
            "submitted_by": who.user_id or None}


class _FilingWrite(FilingPolicy):
    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session) -> None:
        check_filer(require(principal), values.get("owner_org_id"))


FILING_INPUT.prepare = _prepare
FILING_INPUT.policy = _FilingWrite()


def create(session: Session, who: Principal, data: dict[str, Any], previous: Filing | None = None) -> Filing:
    """File one instrument (status ``submitted``); audited as ``create`` (and ``refile`` when it
    replaces a rejected or withdrawn filing)."""
    check_filer(who)
    f = resources.create(session, who, FILING_INPUT, data)
    if previous is not None:
        f.previous_id = previous.id
        session.flush()
        audit.record(session, who, "refile", ENTITY, f.id, after={"previous_id": previous.id})
    _notify_regulator(session, f)
    return f


def refile(session: Session, who: Principal, filing_id: Any, changes: dict[str, Any]) -> Filing:
    """A new filing from a rejected or withdrawn one, with the owner's corrections."""
    old = get(session, who, filing_id)
    check_filer(who, old.owner_org_id)
    if old.status not in ("rejected", "withdrawn"):
        raise Conflict("只有已退回或已撤回的备案可以重新提交", "Only a rejected or withdrawn filing can be refiled")
    if "instrument_id" in changes:
        raise ValidationFailed.one("instrument_id", "重新备案不能更换器具", "a refiled filing keeps its instrument")
    data = {k: getattr(old, k) for k in ("use", "location", "institution_org_id", "contact_name",
                                          "contact_phone", "note")}
    data.update({k: v for k, v in changes.items() if v is not None})
    data["instrument_id"] = old.instrument_id
    if data.get("note") is None:
        data.pop("note")
    return create(session, who, data, previous=old)


def _decide(session: Session, who: Principal, filing_id: Any, status: str, action: str,
            reason: str | None) -> Filing:
    f = get(session, who, filing_id)
    _reviewer(who, f)
    if f.status != "submitted":
        raise Conflict("只有待审核的备案可以审核", "Only a submitted filing can be reviewed")
    before = audit.snapshot(f)
    f.status, f.decided_at, f.decided_by = status, utcnow(), who.user_id or None
    f.decision_reason = reason
    session.flush()
    audit.record(session, who, action, ENTITY, f.id, before, audit.snapshot(f), reason)
    _notify_owner(session, f)
    return f


def _reason(reason: str | None, required: bool) -> str | None:
    reason = (reason or "").strip() or None
    if reason and "\x00" in reason:
        raise ValidationFailed.one("reason", "不能包含空字符", "must not contain NUL characters")
    if reason and len(reason) > 1000:
        raise ValidationFailed.one("reason", "长度不能超过 1000 个字符", "at most 1000 characters")
    if required and not reason:
        raise ValidationFailed.one("reason", "退回须填写原因", "a reason is required")
    return reason


def approve(session: Session, who: Principal, filing_id: Any, reason: str | None = None) -> Filing:
    return _decide(session, who, filing_id, "approved", "approve", _reason(reason, False))


def reject(session: Session, who: Principal, filing_id: Any, reason: str | None) -> Filing:
    return _decide(session, who, filing_id, "rejected", "reject", _reason(reason, True))


def withdraw(session: Session, who: Principal, filing_id: Any, reason: str | None = None) -> Filing:
    f = get(session, who, filing_id)
    check_filer(who, f.owner_org_id)
    if f.status not in OPEN_STATUSES:
        raise Conflict("只有待审核或已备案的备案可以撤回", "Only a submitted or approved filing can be withdrawn")
    reason = _reason(reason, False)
    before = audit.snapshot(f)
    f.status = "withdrawn"
    session.flush()
    audit.record(session, who, "withdraw", ENTITY, f.id, before, audit.snapshot(f), reason)
    return f


# ------------------------------------------------------------------ notices (when the outbox exists)


def _outbox():
    from jiliang.features import present

    if not present("jiliang.supervision.outbox"):
        return None
    from jiliang.supervision import outbox

    return outbox


def _notify_regulator(session: Session, f: Filing) -> None:
    box = _outbox()
    if box is None:
        return
    reg = session.scalar(select(Organisation.id).where(
        Organisation.kind == "regulator", Organisation.region_code == f.region_code).order_by(Organisation.id).limit(1))
    if reg is None:
        return
    box.enqueue(session, org_id=reg, topic="filing_submitted", dedup_key=f"filing:{f.id}",
                title=("新的强检备案待审核", "A mandatory filing awaits review"),
                body=(f"{f.owner_name} 提交了器具 {f.serial_no} 的强检备案。",
                      f"{f.owner_name} filed instrument {f.serial_no}."),
                link=f"/filings/{f.id}")


def _notify_owner(session: Session, f: Filing) -> None:
    box = _outbox()
    if box is None:
        return
    zh, en = FILING_STATUS[f.status]
    box.enqueue(session, org_id=f.owner_org_id, topic="filing_decided", dedup_key=f"filing:{f.id}:{f.status}",
                title=(f"强检备案{zh}", f"Mandatory filing {en.lower()}"),
                body=(f"器具 {f.serial_no} 的强检备案{zh}。" + (f"意见：{f.decision_reason}" if f.decision_reason else ""),
                      f"The filing of instrument {f.serial_no} was {en.lower()}."
                      + (f" Reason: {f.decision_reason}" if f.decision_reason else "")),
                link=f"/filings/{f.id}")


# ------------------------------------------------------------------ should be filed (应备未备)

UNFILED_FILTERS = ("region_code", "city_code", "type_id", "use")


def _unfiled_stmt(who: Principal | None, q: str | None, filters: dict[str, str] | None) -> Select:
    p = require(who)
    if not (p.is_admin or p.is_regulator or p.role == "enterprise"):
        raise Forbidden("实验室人员没有强检备案权限", "Laboratory staff have no filing rights")
    filters = filters or {}
    for k in filters:
        if k not in UNFILED_FILTERS:
            raise ValidationFailed.one(k, "不支持的筛选条件", "unknown filter")
    stmt = catalogue.unfiled_query(p)
    for key in ("region_code", "city_code"):
        if filters.get(key):
            stmt = stmt.where(getattr(Instrument, key) == filters[key].replace("\x00", ""))
    if filters.get("use"):
        if filters["use"] not in FILING_USES:
            raise ValidationFailed.one("use", "取值应为：" + "、".join(FILING_USES),
                                       "must be one of: " + ", ".join(FILING_USES))
        stmt = stmt.where(Instrument.use == filters["use"])
    if filters.get("type_id"):
        try:
            type_id = int(filters["type_id"])
        except ValueError:
            raise ValidationFailed.one("type_id", "应为整数", "must be a whole number") from None
        if not 0 < type_id <= resources.MAX_INT:
            raise ValidationFailed.one("type_id", "数值超出范围", "is out of range")
        stmt = stmt.where(Instrument.type_id == type_id)
    q = (q or "").replace("\x00", "").strip()
    if q:
        stmt = stmt.where(catalogue.search_clause(q))
    return stmt


def list_unfiled(session: Session, who: Principal | None, q: str | None = None,
                 filters: dict[str, str] | None = None, page: int = 1, per_page: int = 25) -> resources.Page:
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), resources.MAX_PER_PAGE)
    stmt = _unfiled_stmt(who, q, filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.order_by(Instrument.region_code, Instrument.serial_no, Instrument.id)
                                 .limit(per_page).offset((page - 1) * per_page)))
    return resources.Page(items=items, total=total, page=page, per_page=per_page)


def unfiled_names(session: Session, items: list[Instrument], lang: str) -> dict[str, dict]:
    orgs = {o.id: o.name for o in session.scalars(
        select(Organisation).where(Organisation.id.in_({i.owner_org_id for i in items})))}
    types = {t.id: (t.name_en if lang == "en" else t.name_zh) for t in session.scalars(
        select(InstrumentType).where(InstrumentType.id.in_({i.type_id for i in items})))}
    return {"owner": orgs, "type": types}


def unfiled_dict(i: Instrument, nm: dict[str, dict]) -> dict[str, Any]:
    return {"id": i.id, "serial_no": i.serial_no, "type_id": i.type_id, "type": nm["type"].get(i.type_id),
            "owner_org_id": i.owner_org_id, "owner": nm["owner"].get(i.owner_org_id),
            "use": i.use, "location": i.location, "region_code": i.region_code, "city_code": i.city_code,
            "status": i.status, "due_date": i.due_date.isoformat() if isinstance(i.due_date, date) else None}


def unfiled_export(session: Session, who: Principal, q: str | None, filters: dict[str, str] | None,
                   lang: str) -> tuple[list[str], list[list[Any]]]:
    items = list(session.scalars(_unfiled_stmt(who, q, filters).order_by(
        Instrument.region_code, Instrument.serial_no).limit(100_000)))
    nm = unfiled_names(session, items, lang)
    en = lang == "en"
    header = (["ID", "Serial no.", "Type", "Owner", "County", "Use", "Location", "Due date"] if en else
              ["ID", "出厂编号", "器具类型", "使用单位", "区县", "用途", "安装使用地点", "有效期至"])
    rows = [[i.id, i.serial_no, nm["type"].get(i.type_id, ""), nm["owner"].get(i.owner_org_id, ""), i.region_code,
             USES.get(i.use, (i.use, i.use))[int(en)], i.location or "",
             i.due_date.isoformat() if i.due_date else ""] for i in items]
    return header, rows


def is_unfiled(session: Session, instrument_id: int) -> bool:
    """Whether one instrument carries the should-be-filed flag (no scope: the caller checked)."""
    stmt = catalogue.unfiled_query(None).where(Instrument.id == instrument_id)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) == 1


# ------------------------------------------------------------------ bulk filing from a spreadsheet

IMPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "serial_no": ("出厂编号", "Serial no."),
    "instrument_id": ("器具编号（ID）", "Instrument ID"),
    "use": ("用途", "Use"),
    "location": ("安装使用地点", "Location"),
    "institution": ("检定机构", "Verification institution"),
    "institution_org_id": ("检定机构（ID）", "Verification institution ID"),
    "contact_name": ("联系人", "Contact"),
    "contact_phone": ("联系电话", "Contact phone"),
    "note": ("备注", "Note"),
}


def _import_preprocess(session: Session, who: Principal):
    """Resolve a serial number to the caller's instrument and an institution name to its id."""
    from jiliang.instruments.service import INSTRUMENTS

    labs = {o.name: o.id for o in institutions(session)}

    def run(row: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        data = {k: (str(v).strip() if v is not None else None) for k, v in row.items()}
        problems: list[tuple[str, str]] = []
        serial = data.pop("serial_no", None)
        if serial and not data.get("instrument_id"):
            found = list(session.scalars(INSTRUMENTS.policy.scope(who, select(Instrument.id)).where(
                Instrument.serial_no == serial.replace("\x00", "")).limit(2)))
            if len(found) == 1:
                data["instrument_id"] = found[0]
            else:
                problems.append(("serial_no", "本单位没有唯一对应此出厂编号的器具 / no single instrument of "
                                              "yours has this serial number"))
        name = data.pop("institution", None)
        if name and not data.get("institution_org_id"):
            if name in labs:
                data["institution_org_id"] = labs[name]
            else:
                problems.append(("institution", "不是已登记的检定机构 / not a registered verification institution"))
        if not data.get("note"):
            data.pop("note", None)
        return data, problems

    return run


def import_filings(session: Session, who: Principal, filename: str, content: bytes,
                   dry_run: bool = False, valid_only: bool = False):
    """File many instruments from an xlsx/csv sheet; every row is checked and reported."""
    from jiliang.core.importer import import_rows, read_rows

    check_filer(who)
    rows = read_rows(filename, content, IMPORT_COLUMNS, ("use", "location", "contact_name", "contact_phone"))
    return import_rows(session, who, FILING_INPUT, rows, _import_preprocess(session, who), dry_run, valid_only)
