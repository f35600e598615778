"""Complaints and reports (投诉举报): filing, following, routing, deadlines and the workflow.

Routing: a complaint belongs to the county of the place it is about — the county of the
instrument whose QR label was scanned, of the instrument a certificate number names, or the
county the filer chose. Regulators see the complaints of their region (county, city, province);
administrators see all; nobody else sees any (whistle-blowers are protected from the businesses
they report).

Deadlines are counted in working days (``add_working_days``): the day of receipt does not count;
Saturdays and Sundays are skipped unless listed as make-up working days (调休), and the listed
public holidays are skipped. Configuration, from the environment::

    JILIANG_COMPLAINTS_ACCEPT_DAYS=7          accept or reject within N working days of receipt
    JILIANG_COMPLAINTS_INVESTIGATE_DAYS=15    investigate within N working days of acceptance
    JILIANG_COMPLAINTS_HOLIDAYS=2026-10-01,2026-10-02,...   public holidays (ISO dates)
    JILIANG_COMPLAINTS_WORKDAYS=2026-10-10,...              weekend days that are working days
    JILIANG_COMPLAINTS_RATE_WINDOW_MINUTES=60
    JILIANG_COMPLAINTS_RATE_PER_IP=5          submissions per client address per window
    JILIANG_COMPLAINTS_RATE_PER_CONTACT=3     submissions per phone number or e-mail per window

No holiday list is shipped: the State Council publishes each year's list in the autumn before,
and the operator enters it.

Nothing is deleted: each step changes the status, appends a timeline event and an audit entry.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from jiliang.complaints.models import (
    CATEGORIES,
    EVENTS,
    OUTCOMES,
    STATUSES,
    Complaint,
    ComplaintEvent,
    ComplaintRateHit,
)
from jiliang.core import attachments, audit
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import region_clause, require
from jiliang.core.resources import Page
from jiliang.core.security import Principal
from jiliang.instruments.models import Instrument
from jiliang.orgs.models import Organisation
from jiliang.regions.models import Region

TICKET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
TICKET_RE = re.compile(r"^TS-\d{4}-[0-9A-Z]{8}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,100}@[^@\s]+\.[^@\s]{2,}$")
PRIVATE_CONTACT = ("contact_name", "contact_phone", "contact_email")


class ComplaintSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JILIANG_COMPLAINTS_", extra="ignore")

    accept_days: int = 7
    investigate_days: int = 15
    holidays: str = ""
    workdays: str = ""
    rate_window_minutes: int = 60
    rate_per_ip: int = 5
    rate_per_contact: int = 3

    def dates(self, raw: str) -> frozenset[date]:
        out = set()
        for part in raw.replace(";", ",").split(","):
            part = part.strip()
            if part:
                out.add(date.fromisoformat(part))
        return frozenset(out)


def settings() -> ComplaintSettings:
    """Read afresh on each use, so a changed environment takes effect without a restart."""
    return ComplaintSettings()


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self) -> None:
        super().__init__(
            "提交过于频繁，请稍后再试；如情况紧急，请拨打 12315。",
            "Too many submissions; please try again later. If it is urgent, call 12315.",
        )


# ------------------------------------------------------------------ working days


def is_working_day(day: date, holidays: frozenset[date], workdays: frozenset[date]) -> bool:
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: date, n: int, cfg: ComplaintSettings | None = None) -> date:
    """The n-th working day after ``start`` (the day of receipt itself does not count)."""
    cfg = cfg or settings()
    holidays, workdays = cfg.dates(cfg.holidays), cfg.dates(cfg.workdays)
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            counted += 1
    return day


def is_overdue(c: Complaint, today: date) -> bool:
    if c.status == "received":
        return today > c.accept_due
    if c.status == "accepted":
        return c.investigate_due is not None and today > c.investigate_due
    return False


def overdue_clause(today: date):
    return or_(
        and_(Complaint.status == "received", Complaint.accept_due < today),
        and_(Complaint.status == "accepted", Complaint.investigate_due < today),
    )


# ------------------------------------------------------------------ filing


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _flag(v: Any) -> bool:
    return v is True or str(v).strip().lower() in ("1", "on", "true", "yes")


def _bound(errors: dict, field: str, value: str, lo: int, hi: int, required: bool) -> None:
    if "\x00" in value:
        errors[field] = ("不能包含空字符", "must not contain NUL characters")
    elif not value:
        if required:
            errors[field] = ("必填", "required")
    elif len(value) < lo:
        errors[field] = (f"至少 {lo} 个字", f"at least {lo} characters")
    elif len(value) > hi:
        errors[field] = (f"最多 {hi} 个字", f"at most {hi} characters")


@dataclass
class Place:
    region_code: str
    city_code: str | None
    instrument_id: int | None = None
    subject_org_id: int | None = None
    owner_name: str | None = None


def _place(session: Session, data: dict, errors: dict) -> Place | None:
    qr, cert_no, county = _text(data.get("qr")), _text(data.get("certificate")), _text(data.get("county"))
    inst = None
    if qr:
        inst = None if "\x00" in qr or len(qr) > 32 else session.scalar(
            select(Instrument).where(Instrument.qr_token == qr))
        if inst is None:
            errors["qr"] = ("二维码对应的计量器具不存在", "no instrument has this QR code")
            return None
    elif cert_no:
        from jiliang.certificates.models import Certificate

        cert = None if "\x00" in cert_no or len(cert_no) > 64 else session.scalar(
            select(Certificate).where(Certificate.number == cert_no))
        if cert is None:
            errors["certificate"] = ("证书编号不存在", "no certificate has this number")
            return None
        inst = session.get(Instrument, cert.instrument_id)
    if inst is not None:
        owner = session.get(Organisation, inst.owner_org_id)
        return Place(inst.region_code, inst.city_code, inst.id, inst.owner_org_id, owner.name if owner else None)
    if not county:
        errors["county"] = ("请选择所在区县", "choose the county")
        return None
    region = None if "\x00" in county or len(county) > 6 else session.get(Region, county)
    if region is None or region.level != "county":
        errors["county"] = (f"区县代码 {county[:6]} 不存在", f"unknown county code {county[:6]}")
        return None
    return Place(region.code, region.city_code)


def validate(session: Session, data: dict) -> tuple[dict[str, Any], Place | None]:
    """Every rule at once: the cleaned values and the place, or a ValidationFailed naming each field."""
    errors: dict[str, tuple[str, str]] = {}
    category = _text(data.get("category"))
    if category not in CATEGORIES:
        errors["category"] = ("请选择投诉类别", "choose a category")
    place = _place(session, data, errors)
    values = {k: _text(data.get(k)) for k in (
        "business_name", "business_address", "description", *PRIVATE_CONTACT)}
    if not values["business_name"] and place is not None and place.owner_name:
        values["business_name"] = place.owner_name
    _bound(errors, "business_name", values["business_name"], 2, 200, True)
    _bound(errors, "business_address", values["business_address"], 0, 300, False)
    _bound(errors, "description", values["description"], 10, 5000, True)
    anonymous = _flag(data.get("anonymous"))
    if anonymous:
        for k in PRIVATE_CONTACT:
            values[k] = ""
    else:
        _bound(errors, "contact_name", values["contact_name"], 1, 100, True)
        phone, email = values["contact_phone"], values["contact_email"]
        if not phone and not email:
            errors["contact_phone"] = ("请填写电话或电子邮箱之一（或选择匿名）",
                                       "give a phone number or an e-mail address (or file anonymously)")
        if phone and not PHONE_RE.fullmatch(phone):
            errors["contact_phone"] = ("电话号码格式不正确", "not a valid phone number")
        if email and ("\x00" in email or len(email) > 200 or not EMAIL_RE.fullmatch(email)):
            errors["contact_email"] = ("电子邮箱格式不正确", "not a valid e-mail address")
    if not _flag(data.get("consent")):
        errors["consent"] = ("请确认所填内容属实并同意处理", "confirm the facts are true and consent to processing")
    if errors:
        raise ValidationFailed(errors)
    return {"category": category, "anonymous": anonymous, **values}, place


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"jiliang-complaints:{kind}:{value}".encode()).hexdigest()


def _rate_keys(client_ip: str, values: dict) -> list[tuple[str, str, int]]:
    cfg = settings()
    keys = [("ip", _digest("ip", client_ip or "unknown"), cfg.rate_per_ip)]
    phone = re.sub(r"\D", "", values.get("contact_phone") or "")
    if phone:
        keys.append(("contact", _digest("contact", phone), cfg.rate_per_contact))
    email = (values.get("contact_email") or "").lower()
    if email:
        keys.append(("contact", _digest("contact", email), cfg.rate_per_contact))
    return keys


def check_rate(session: Session, client_ip: str, values: dict | None = None) -> None:
    """Refuse (429) once a client address or a contact has filed the allowed number in the window."""
    since = utcnow() - timedelta(minutes=settings().rate_window_minutes)
    for kind, digest, limit in _rate_keys(client_ip, values or {}):
        n = session.scalar(select(func.count()).select_from(ComplaintRateHit).where(
            ComplaintRateHit.key_kind == kind, ComplaintRateHit.key_hash == digest,
            ComplaintRateHit.at >= since))
        if n >= limit:
            raise RateLimited()


def _new_ticket(session: Session, year: int) -> str:
    while True:
        ticket = f"TS-{year}-" + "".join(secrets.choice(TICKET_ALPHABET) for _ in range(8))
        if session.scalar(select(Complaint.id).where(Complaint.ticket == ticket)) is None:
            return ticket


def _subject_by_name(session: Session, name: str, region_code: str) -> int | None:
    return session.scalar(select(Organisation.id).where(
        Organisation.name == name, Organisation.region_code == region_code).order_by(Organisation.id).limit(1))


def _event(session: Session, c: Complaint, who: Principal | None, kind: str, public: bool,
           text: str | None = None) -> None:
    session.add(ComplaintEvent(
        complaint_id=c.id, kind=kind, public=public, text=text,
        actor_id=getattr(who, "user_id", None) or None,
        actor_name=(who.display_name or who.username) if who else "public",
    ))


def _audit_view(c: Complaint) -> dict:
    """The audit snapshot of a complaint, without the filer's contact details."""
    snap = audit.snapshot(c)
    for k in PRIVATE_CONTACT:
        if snap.get(k):
            snap[k] = "***"
    return snap


def create(
    session: Session,
    who: Principal | None,
    data: dict,
    client_ip: str,
    files: list[tuple[str, str, bytes]] | None = None,
    today: date | None = None,
) -> Complaint:
    """File a complaint (anyone, signed in or not): validated, rate-limited, routed, deadlined."""
    values, place = validate(session, data)
    checked = attachments.check_files(files) if files else []
    check_rate(session, client_ip, values)
    today = today or date.today()
    c = Complaint(
        ticket=_new_ticket(session, today.year), category=values["category"],
        region_code=place.region_code, city_code=place.city_code, instrument_id=place.instrument_id,
        certificate_number=None if _text(data.get("qr")) else _text(data.get("certificate")) or None,
        subject_org_id=place.subject_org_id or _subject_by_name(session, values["business_name"], place.region_code),
        business_name=values["business_name"], business_address=values["business_address"] or None,
        description=values["description"], anonymous=values["anonymous"],
        contact_name=values["contact_name"] or None, contact_phone=values["contact_phone"] or None,
        contact_email=values["contact_email"] or None, status="received",
        accept_due=add_working_days(today, settings().accept_days),
    )
    session.add(c)
    session.flush()
    _event(session, c, who, "created", True)
    for kind, digest, _limit in _rate_keys(client_ip, values):
        session.add(ComplaintRateHit(key_kind=kind, key_hash=digest))
    audit.record(session, who, "create", "complaint", c.id, after=_audit_view(c))
    if checked:
        attachments.store(session, who, "complaint", c.id, checked)
    _notify_regulators(session, c)
    return c


def _notify_regulators(session: Session, c: Complaint) -> None:
    """Tell the county's regulators through the outbox when that part of the platform is present."""
    from jiliang.features import present

    if not present("jiliang.supervision.outbox"):
        return
    from jiliang.supervision.outbox import enqueue

    regulator_orgs = session.scalars(select(Organisation.id).where(
        Organisation.kind == "regulator", Organisation.region_code == c.region_code))
    for org_id in regulator_orgs:
        enqueue(session, org_id=org_id, topic="complaint", dedup_key=c.ticket,
                title=(f"新投诉举报 {c.ticket}", f"New complaint {c.ticket}"),
                body=(f"{CATEGORIES[c.category][0]}：{c.business_name}", f"{CATEGORIES[c.category][1]}: {c.business_name}"),
                link=f"/complaints/{c.id}")


# ------------------------------------------------------------------ public follow-up


def by_ticket(session: Session, ticket: str) -> Complaint:
    ticket = (ticket or "").strip().upper()
    if not TICKET_RE.match(ticket):
        raise NotFound("complaint", "")
    c = session.scalar(select(Complaint).where(Complaint.ticket == ticket))
    if c is None:
        raise NotFound("complaint", "")
    return c


def public_view(session: Session, c: Complaint, lang: str) -> dict[str, Any]:
    """What the holder of the ticket may see: status, dates and public replies; nothing private."""
    region = session.get(Region, c.region_code)
    events = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == c.id, ComplaintEvent.public.is_(True)).order_by(ComplaintEvent.id))
    done = c.status in ("answered", "closed")
    return {
        "ticket": c.ticket,
        "category": c.category,
        "category_name": _pick(CATEGORIES[c.category], lang),
        "county": region.name(lang) if region else c.region_code,
        "status": c.status,
        "status_name": _pick(STATUSES[c.status], lang),
        "received_on": c.received_at.date().isoformat(),
        "accept_due": c.accept_due.isoformat(),
        "investigate_due": c.investigate_due.isoformat() if c.investigate_due else None,
        "outcome": c.outcome if done else None,
        "outcome_name": _pick(OUTCOMES[c.outcome], lang) if done and c.outcome else None,
        "replies": [
            {"at": e.at.isoformat(timespec="minutes"), "kind": e.kind,
             "kind_name": _pick(EVENTS.get(e.kind), lang), "text": e.text}
            for e in events
        ],
    }


def _pick(pair: tuple[str, str] | None, lang: str) -> str:
    return "" if not pair else pair[1] if lang == "en" else pair[0]


def published(session: Session, q: str | None, category: str | None, page: int, per_page: int,
              lang: str) -> tuple[list[dict], int]:
    """The complaints a regulator chose to publish, in the anonymised summary written for it."""
    stmt = select(Complaint).where(Complaint.published.is_(True))
    if category in CATEGORIES:
        stmt = stmt.where(Complaint.category == category)
    q = (q or "").replace("\x00", "").strip()
    if q:
        stmt = stmt.where(Complaint.public_summary.ilike(f"%{q}%"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Complaint.published_at.desc(), Complaint.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    names = {code: name for code, name in session.execute(
        select(Region.code, Region.name_en if lang == "en" else Region.name_zh))}
    return [
        {"category": c.category, "category_name": _pick(CATEGORIES[c.category], lang),
         "county": names.get(c.region_code, c.region_code), "outcome": c.outcome,
         "outcome_name": _pick(OUTCOMES.get(c.outcome or ""), lang),
         "received_on": c.received_at.date().isoformat(),
         "published_on": c.published_at.date().isoformat() if c.published_at else None,
         "summary": c.public_summary}
        for c in rows
    ], total


# ------------------------------------------------------------------ the regulator's side


def scoped(who: Principal | None, stmt):
    p = require(who)
    if p.is_admin:
        return stmt
    if p.is_regulator:
        return stmt.where(region_clause(p, Complaint.region_code, Complaint.city_code))
    raise Forbidden("只有监管人员可以处理投诉举报", "Only regulators handle complaints")


def get(session: Session, who: Principal | None, complaint_id: int) -> Complaint:
    if not 0 < complaint_id <= 2_147_483_647:
        raise NotFound("complaint", complaint_id)
    c = session.scalar(scoped(who, select(Complaint)).where(Complaint.id == complaint_id))
    if c is None:
        raise NotFound("complaint", complaint_id)
    return c


def can_read(session: Session, who: Principal | None, complaint_id: int) -> bool:
    try:
        get(session, who, complaint_id)
    except (NotFound, Forbidden, DomainError):
        return False
    return True


attachments.register_owner("complaint", can_read)


def inbox(
    session: Session,
    who: Principal | None,
    q: str | None = None,
    status: str | None = None,
    category: str | None = None,
    overdue: bool = False,
    county: str | None = None,
    page: int = 1,
    per_page: int = 25,
    today: date | None = None,
) -> Page:
    """Complaints in the caller's region, newest first, searchable and filterable."""
    today = today or date.today()
    for field, value, allowed in (("status", status, STATUSES), ("category", category, CATEGORIES)):
        if value and value not in allowed:
            raise ValidationFailed.one(field, f"未知的取值 {value[:20]}", f"unknown value {value[:20]}")
    stmt = scoped(who, select(Complaint))
    if status:
        stmt = stmt.where(Complaint.status == status)
    if category:
        stmt = stmt.where(Complaint.category == category)
    if overdue:
        stmt = stmt.where(overdue_clause(today))
    if county:
        stmt = stmt.where(Complaint.region_code == county.replace("\x00", "")[:6])
    q = (q or "").replace("\x00", "").strip()
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Complaint.ticket.ilike(like), Complaint.business_name.ilike(like),
                              Complaint.description.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc())
                                 .offset((page - 1) * per_page).limit(per_page)))
    return Page(items=items, total=total, page=page, per_page=per_page)


def as_dict(session: Session, c: Complaint, lang: str, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    region = session.get(Region, c.region_code)
    return {
        "id": c.id, "ticket": c.ticket, "category": c.category, "category_name": _pick(CATEGORIES[c.category], lang),
        "region_code": c.region_code, "county": region.name(lang) if region else c.region_code,
        "instrument_id": c.instrument_id, "certificate_number": c.certificate_number,
        "subject_org_id": c.subject_org_id, "business_name": c.business_name,
        "business_address": c.business_address, "description": c.description, "anonymous": c.anonymous,
        "contact_name": c.contact_name, "contact_phone": c.contact_phone, "contact_email": c.contact_email,
        "status": c.status, "status_name": _pick(STATUSES[c.status], lang),
        "received_at": c.received_at.isoformat(timespec="seconds"),
        "accept_due": c.accept_due.isoformat(),
        "investigate_due": c.investigate_due.isoformat() if c.investigate_due else None,
        "overdue": is_overdue(c, today), "decision_reason": c.decision_reason,
        "outcome": c.outcome, "reply": c.reply,
        "closed_at": c.closed_at.isoformat(timespec="seconds") if c.closed_at else None,
        "published": c.published, "public_summary": c.public_summary,
        "reward_amount": str(c.reward_amount) if c.reward_amount is not None else None,
        "reward_date": c.reward_date.isoformat() if c.reward_date else None,
        "reward_approved_by": c.reward_approved_by,
    }


def timeline(session: Session, c: Complaint) -> list[ComplaintEvent]:
    return list(session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                                .order_by(ComplaintEvent.id)))


def detail(session: Session, who: Principal | None, complaint_id: int, lang: str) -> dict[str, Any]:
    c = get(session, who, complaint_id)
    return {
        **as_dict(session, c, lang),
        "timeline": [
            {"at": e.at.isoformat(timespec="seconds"), "kind": e.kind, "kind_name": _pick(EVENTS.get(e.kind), lang),
             "public": e.public, "text": e.text, "by": e.actor_name}
            for e in timeline(session, c)
        ],
        "attachments": [attachments.as_dict(a) for a in attachments.list_for(session, "complaint", c.id)],
        "audit": [
            {"at": a.at.isoformat(timespec="seconds"), "who": a.actor_name, "action": a.action,
             "after": a.after, "reason": a.reason}
            for a in audit.entries_for(session, "complaint", c.id)
        ],
    }


ACTIONS: dict[str, tuple[str, str]] = {
    "accept": ("受理", "Accept"),
    "reject": ("不予受理", "Reject"),
    "note": ("添加调查记录", "Add an investigation note"),
    "reply": ("答复投诉人", "Reply to the filer"),
    "outcome": ("记录调查结论并答复", "Record the outcome and reply"),
    "close": ("办结", "Close"),
    "publish": ("公开（匿名）", "Publish (anonymised)"),
    "reward": ("记录举报奖励", "Record a whistle-blower reward"),
}

# action -> statuses it may be taken from
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "accept": frozenset({"received"}),
    "reject": frozenset({"received"}),
    "note": frozenset({"received", "accepted", "answered"}),
    "reply": frozenset({"accepted", "answered"}),
    "outcome": frozenset({"accepted"}),
    "close": frozenset({"answered"}),
    "publish": frozenset({"answered", "closed"}),
    "reward": frozenset({"answered", "closed"}),
}


def actions_for(c: Complaint) -> list[str]:
    return [a for a, allowed in ALLOWED_FROM.items() if c.status in allowed
            and not (a == "reward" and c.outcome != "upheld")]


def _required(data: dict, field: str, hi: int = 5000) -> str:
    value = _text(data.get(field))
    errors: dict = {}
    _bound(errors, field, value, 1, hi, True)
    if errors:
        raise ValidationFailed(errors)
    return value


def act(session: Session, who: Principal | None, complaint_id: int, action: str, data: dict,
        today: date | None = None) -> Complaint:
    """One workflow step by a regulator of the place (or an administrator), audited."""
    if action not in ACTIONS:
        raise ValidationFailed.one("action", f"未知的操作 {action[:20]}", f"unknown action {action[:20]}")
    c = get(session, who, complaint_id)
    if c.status not in ALLOWED_FROM[action]:
        raise Conflict(
            f"当前状态“{STATUSES[c.status][0]}”下不能执行“{ACTIONS[action][0]}”",
            f"Cannot {ACTIONS[action][1].lower()} a complaint that is {STATUSES[c.status][1].lower()}",
        )
    today = today or date.today()
    before = _audit_view(c)
    reason = _STEPS[action](session, who, c, data, today)
    session.flush()
    audit.record(session, who, action, "complaint", c.id, before=before, after=_audit_view(c), reason=reason)
    return c


def _optional(data: dict, field: str, hi: int = 5000) -> str | None:
    value = _text(data.get(field))
    errors: dict = {}
    _bound(errors, field, value, 0, hi, False)
    if errors:
        raise ValidationFailed(errors)
    return value or None


def _accept(session, who, c, data, today):
    reason = _optional(data, "reason")
    c.status, c.accepted_at = "accepted", utcnow()
    c.investigate_due = add_working_days(today, settings().investigate_days)
    c.decision_reason = reason
    _event(session, c, who, "accepted", True, reason)
    return reason


def _reject(session, who, c, data, today):
    reason = _required(data, "reason")
    c.status, c.decision_reason, c.closed_at = "rejected", reason, utcnow()
    _event(session, c, who, "rejected", True, reason)
    return reason


def _note(session, who, c, data, today):
    text = _required(data, "text")
    _event(session, c, who, "note", False, text)
    return text


def _reply(session, who, c, data, today):
    text = _required(data, "text")
    _event(session, c, who, "reply", True, text)
    return text


def _outcome(session, who, c, data, today):
    outcome = _text(data.get("outcome"))
    if outcome not in OUTCOMES:
        raise ValidationFailed.one("outcome", "请选择调查结论：属实或不属实", "choose upheld or not upheld")
    reply = _required(data, "reply")
    c.status, c.outcome, c.reply, c.answered_at = "answered", outcome, reply, utcnow()
    _event(session, c, who, "outcome", True, f"{OUTCOMES[outcome][0]} / {OUTCOMES[outcome][1]}: {reply}")
    return reply


def _close(session, who, c, data, today):
    c.status, c.closed_at = "closed", utcnow()
    _event(session, c, who, "closed", True, _optional(data, "reason"))
    return None


def _publish(session, who, c, data, today):
    summary = _required(data, "summary", 2000)
    lowered = summary.lower()
    for k in PRIVATE_CONTACT:
        value = (getattr(c, k) or "").strip().lower()
        if value and value in lowered:
            raise ValidationFailed.one("summary", "公开摘要不得包含投诉人的姓名或联系方式",
                                       "the public summary must not name the filer or their contact details")
    c.published, c.public_summary, c.published_at = True, summary, utcnow()
    _event(session, c, who, "published", False, summary)
    return None


def _reward(session, who, c, data, today):
    if c.outcome != "upheld":
        raise Conflict("只有属实的举报才能给予奖励", "Only an upheld report can be rewarded")
    errors: dict[str, tuple[str, str]] = {}
    try:
        amount = Decimal(_text(data.get("amount")))
        if not amount.is_finite() or not Decimal("0.01") <= amount <= Decimal("1000000000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = ("奖励金额须在 0.01 元到 10 亿元之间", "the amount must be between 0.01 and 10^9")
        amount = None
    try:
        paid_on = date.fromisoformat(_text(data.get("reward_date")))
    except ValueError:
        errors["reward_date"] = ("请填写日期（YYYY-MM-DD）", "give a date (YYYY-MM-DD)")
        paid_on = None
    approver = _text(data.get("approved_by"))
    _bound(errors, "approved_by", approver, 1, 100, True)
    if errors:
        raise ValidationFailed(errors)
    c.reward_amount, c.reward_date, c.reward_approved_by = amount.quantize(Decimal("0.01")), paid_on, approver
    text = f"{c.reward_amount} · {paid_on.isoformat()} · {approver}"
    _event(session, c, who, "reward", False, text)
    return text


_STEPS = {"accept": _accept, "reject": _reject, "note": _note, "reply": _reply, "outcome": _outcome,
          "close": _close, "publish": _publish, "reward": _reward}


# ------------------------------------------------------------------ export and integrity inputs


EXPORT_COLUMNS = (
    ("ticket", ("受理编号", "Ticket")), ("received_at", ("提交时间", "Received")),
    ("category_name", ("类别", "Category")), ("county", ("区县", "County")),
    ("business_name", ("被投诉经营者", "Business")), ("status_name", ("状态", "Status")),
    ("accept_due", ("受理期限", "Accept by")), ("investigate_due", ("办理期限", "Investigate by")),
    ("overdue", ("超期", "Overdue")), ("outcome", ("结论", "Outcome")),
)


def export_xlsx(session: Session, who: Principal | None, lang: str, **filters) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "complaints"
    ws.append([_pick(label, lang) for _k, label in EXPORT_COLUMNS])
    page = 1
    while True:
        batch = inbox(session, who, page=page, per_page=500, **filters)
        for c in batch.items:
            row = as_dict(session, c, lang)
            row["outcome"] = _pick(OUTCOMES.get(c.outcome or ""), lang)
            row["overdue"] = ("是" if lang != "en" else "yes") if row["overdue"] else ""
            ws.append([row[k] for k, _label in EXPORT_COLUMNS])
        if page >= batch.pages:
            break
        page += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upheld_counts(session: Session, since: date, until: date) -> dict[int, int]:
    """Upheld complaints per business (subject organisation) answered in [since, until]."""
    rows = session.execute(
        select(Complaint.subject_org_id, func.count()).where(
            Complaint.outcome == "upheld", Complaint.subject_org_id.is_not(None),
            Complaint.answered_at >= datetime.combine(since, datetime.min.time()),
            Complaint.answered_at < datetime.combine(until + timedelta(days=1), datetime.min.time()),
        ).group_by(Complaint.subject_org_id)
    )
    return {org: n for org, n in rows}
