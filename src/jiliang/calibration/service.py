"""Calibration and verification work: the rules of a record's life, in one place.

A record (检定/校准记录) is opened by a lab for an instrument (its own or a customer's) with the
decision rule chosen before the work (ILAC-G8:09/2019, ISO/IEC 17025 7.1.3), the standards and
reference materials used, and its measurement points. It is signed by three different qualified
people (performed → reviewed → approved, 21 CFR Part 11 style: password asked again, meaning
recorded), is never edited once approved (a correction supersedes it), and on approval changes
the instrument: a failed verification suspends it and yields the verification-result notice
(检定结果通知书); a pass sets the last verification and the next due date.

Every write records an audit entry in the same transaction; every list is scoped here.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from jiliang.calibration.computation import (  # noqa: F401  (part of the service's interface)
    MAX_POINTS,
    VERDICT_ORDER,
    _check_model,
    _num,
    add_months,
    compute,
    compute_point,
    overall_verdict,
    rule_from,
)
from jiliang.calibration.models import (
    KINDS,
    SIGNATURE_MEANINGS,
    VERIFICATION_KINDS,
    CalibrationPoint,
    CalibrationRecord,
    IntervalPolicy,
    Signature,
)
from jiliang.core import audit, resources
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from jiliang.core.policies import orgs_in_scope, require
from jiliang.core.resources import Field, Policy, Resource
from jiliang.core.security import Principal, verify_password
from jiliang.instruments.models import TRANSITIONS, Instrument, InstrumentType
from jiliang.materials.models import ReferenceMaterial
from jiliang.orgs.models import Organisation
from jiliang.people.models import Metrologist, User
from jiliang.standards.models import MeasurementStandard, StandardDevice
from jiliang.traceability.refs import sync_refs

WRITERS = frozenset({"metrologist", "lab_manager"})
STEP_ROLES = {
    "performed": frozenset({"metrologist", "lab_manager"}),
    "reviewed": frozenset({"reviewer", "lab_manager"}),
    "approved": frozenset({"approver", "lab_manager"}),
}
STEP_FROM = {
    "performed": ("draft", "returned"),
    "reviewed": ("submitted",),
    "approved": ("reviewed",),
}
STEP_TO = {"performed": "submitted", "reviewed": "reviewed", "approved": "approved"}


class SignatureRefused(DomainError):
    status_code = 403
    code = "signature_refused"


class LapsedStandard(Conflict):
    code = "lapsed_standard"


class BrokenChain(Conflict):
    code = "broken_chain"


# ------------------------------------------------------------------ scope


class RecordPolicy(Policy):
    """Lab roles: their organisation's records; enterprise: approved records of instruments it
    owns (read-only); regulators: records of labs in their region (read-only); admin: all."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(CalibrationRecord.lab_org_id.in_(orgs_in_scope(p)))
        if p.is_lab and p.org_id is not None:
            return stmt.where(CalibrationRecord.lab_org_id == p.org_id)
        if p.role == "enterprise" and p.org_id is not None:
            return stmt.where(
                CalibrationRecord.customer_org_id == p.org_id,
                CalibrationRecord.status.in_(("approved", "superseded")),
            )
        raise Forbidden()

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        p = require(principal)
        if p.is_admin:
            return
        if p.is_lab and p.org_id is not None and values.get("lab_org_id") == p.org_id:
            return
        raise Forbidden()


RECORDS = Resource(
    name="calibration-records",
    entity="calibration_record",
    model=CalibrationRecord,
    label=("检定校准记录", "Calibration records"),
    policy=RecordPolicy(),
    default_sort="-id",
    title=lambda r, lang: r.number,
    fields=[
        Field("number", ("记录编号", "Number"), list=True, search=True, sort=True),
        Field("instrument_id", ("器具", "Instrument"), "int", filter=True),
        Field("kind", ("类别", "Kind"), "choice", choices=KINDS, filter=True),
        Field("status", ("状态", "Status"), "str", filter=True, sort=True),
        Field("performed_on", ("检定日期", "Date"), "date", sort=True),
        Field("procedure_code", ("规程", "Procedure"), search=True),
    ],
)


class PolicyScope(Policy):
    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(IntervalPolicy.lab_org_id.in_(orgs_in_scope(p)))
        if p.is_lab and p.org_id is not None:
            return stmt.where(IntervalPolicy.lab_org_id == p.org_id)
        raise Forbidden()


POLICIES = Resource(
    name="interval-policies",
    entity="interval_policy",
    model=IntervalPolicy,
    label=("检定周期策略", "Interval policies"),
    policy=PolicyScope(),
    fields=[
        Field("type_id", ("器具类型", "Type"), "int", filter=True),
        Field("status", ("状态", "Status"), "str", filter=True),
    ],
)


def get_record(session: Session, who: Principal, ident: Any) -> CalibrationRecord:
    return resources.get(session, who, RECORDS, ident)


def list_records(
    session: Session,
    who: Principal,
    status: str | None = None,
    instrument_id: int | None = None,
    kind: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> resources.Page:
    filters = {
        "status": status or "",
        "instrument_id": str(instrument_id or ""),
        "kind": kind or "",
    }
    return resources.list_page(session, who, RECORDS, q, filters, None, page, per_page)


# ------------------------------------------------------------------ standards in use


def _lapsed_items(
    session: Session,
    lab_org_id: int,
    on: date,
    standard_ids: list,
    device_ids: list,
    material_ids: list,
) -> list[dict[str, Any]]:
    """Standards, devices and reference-material lots whose validity has lapsed on ``on``."""
    lapsed: list[dict[str, Any]] = []

    def owned(obj, org_id, field, ident):
        if obj is None or org_id != lab_org_id:
            raise ValidationFailed.one(
                field,
                f"{ident} 不存在或不属于本实验室",
                f"{ident} does not exist or is not this lab's",
            )

    for sid in standard_ids:
        std = session.get(MeasurementStandard, sid)
        owned(std, getattr(std, "lab_org_id", None), "standard_ids", sid)
        if (
            std.status != "active"
            or std.assessment_valid_until is None
            or std.assessment_valid_until < on
        ):
            lapsed.append(
                {
                    "kind": "standard",
                    "id": std.id,
                    "name": std.name,
                    "valid_until": _iso(std.assessment_valid_until),
                    "status": std.status,
                }
            )
    for did in device_ids:
        dev = session.get(StandardDevice, did)
        std = session.get(MeasurementStandard, dev.standard_id) if dev is not None else None
        owned(dev, getattr(std, "lab_org_id", None), "device_ids", did)
        if (
            dev.status != "active"
            or dev.certificate_valid_until is None
            or dev.certificate_valid_until < on
        ):
            lapsed.append(
                {
                    "kind": "device",
                    "id": dev.id,
                    "name": dev.name,
                    "valid_until": _iso(dev.certificate_valid_until),
                    "status": dev.status,
                }
            )
    for mid in material_ids:
        rm = session.get(ReferenceMaterial, mid)
        owned(rm, getattr(rm, "holder_org_id", None), "material_ids", mid)
        if rm.status != "active" or (rm.expiry is not None and rm.expiry < on):
            lapsed.append(
                {
                    "kind": "material",
                    "id": rm.id,
                    "name": f"{rm.name} {rm.lot}",
                    "valid_until": _iso(rm.expiry),
                    "status": rm.status,
                }
            )
    return lapsed


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _lapsed_message(lapsed: list[dict]) -> tuple[str, str]:
    kinds = {
        "standard": ("计量标准", "standard"),
        "device": ("标准器", "device"),
        "material": ("标准物质", "reference material"),
    }
    zh = "；".join(
        f"{kinds[i['kind']][0]}“{i['name']}”有效期至 {i['valid_until'] or '未登记'}" for i in lapsed
    )
    en = "; ".join(
        f"{kinds[i['kind']][1]} '{i['name']}' valid until {i['valid_until'] or 'not recorded'}"
        for i in lapsed
    )
    return (
        f"所用标准已失效，不能使用：{zh}。如确需使用，须由实验室负责人填写书面理由。",
        f"A standard used has lapsed on the record date: {en}. Only a lab manager may override, "
        "with a written reason.",
    )


def _check_standards(
    session: Session, who: Principal, rec: CalibrationRecord, override_reason: str | None
) -> dict | None:
    lapsed = _lapsed_items(
        session,
        rec.lab_org_id,
        rec.performed_on,
        rec.standard_ids or [],
        rec.device_ids or [],
        rec.material_ids or [],
    )
    if not lapsed:
        return None
    keyed = sorted((i["kind"], i["id"]) for i in lapsed)
    prior = rec.lapsed_override or None
    if (
        prior
        and sorted((i["kind"], i["id"]) for i in prior.get("items", [])) == keyed
        and not override_reason
    ):
        return prior  # the manager's earlier override still covers exactly these items
    reason = (override_reason or "").strip()
    if not reason:
        zh, en = _lapsed_message(lapsed)
        raise LapsedStandard(zh, en, lapsed=lapsed)
    if who.role != "lab_manager":
        raise Forbidden(
            "只有实验室负责人可以书面批准使用已失效的标准",
            "Only a lab manager may override a lapsed standard",
        )
    return {
        "by": who.username,
        "user_id": who.user_id,
        "reason": reason[:1000],
        "items": lapsed,
        "at": utcnow().isoformat(timespec="seconds"),
    }


# ------------------------------------------------------------------ writing records

_LIST_FIELDS = ("standard_ids", "device_ids", "material_ids")


def _id_list(value: Any, field: str) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > 50:
        raise ValidationFailed.one(field, "应为编号列表", "must be a list of ids")
    out = []
    for v in value:
        if isinstance(v, bool):
            raise ValidationFailed.one(field, "应为编号列表", "must be a list of ids")
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise ValidationFailed.one(field, "应为编号列表", "must be a list of ids") from None
        if not 0 < n <= resources.MAX_INT:
            raise ValidationFailed.one(field, f"{n} 不存在", f"{n} does not exist")
        if n not in out:
            out.append(n)
    return out


def _text(value: Any, field: str, max_len: int, required: bool = False) -> str | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise ValidationFailed.one(field, "必填", "required")
        return None
    if len(text) > max_len:
        raise ValidationFailed.one(
            field, f"长度不能超过 {max_len}", f"at most {max_len} characters"
        )
    return text


def _date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed.one(
            field, "日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"
        ) from None


def _writer(who: Principal) -> None:
    if not (who.is_admin or who.role in WRITERS):
        raise Forbidden(
            "只有检定员或实验室负责人可以编写记录",
            "Only a metrologist or lab manager writes records",
        )


def _apply(
    session: Session, who: Principal, rec: CalibrationRecord, data: dict, creating: bool
) -> None:
    """Validate ``data`` onto ``rec`` (header fields), including the lapsed-standard check."""
    if creating:
        inst_id = data.get("instrument_id")
        inst = (
            session.get(Instrument, inst_id)
            if isinstance(inst_id, int) and 0 < inst_id <= resources.MAX_INT
            else None
        )
        if inst is None:
            raise ValidationFailed.one("instrument_id", "器具不存在", "no such instrument")
        if inst.status == "scrapped":
            raise ValidationFailed.one("instrument_id", "器具已报废", "the instrument is scrapped")
        rec.instrument_id, rec.customer_org_id = inst.id, inst.owner_org_id
        itype = session.get(InstrumentType, inst.type_id)
        if not data.get("procedure_code") and itype is not None:
            data = {
                **data,
                "procedure_code": itype.regulation_code,
                "procedure_title": data.get("procedure_title") or itype.regulation_title,
            }
    if creating or "kind" in data:
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValidationFailed.one(
                "kind", f"取值应为：{'、'.join(KINDS)}", f"must be one of: {', '.join(KINDS)}"
            )
        rec.kind = kind
    if creating or "procedure_code" in data:
        code = _text(data.get("procedure_code"), "procedure_code", 40, required=True)
        if not code.upper().startswith(("JJG", "JJF")):
            raise ValidationFailed.one(
                "procedure_code",
                "规程代号应以 JJG 或 JJF 开头",
                "a procedure code starts with JJG or JJF",
            )
        rec.procedure_code = code.upper()
    if "procedure_title" in data:
        rec.procedure_title = _text(data.get("procedure_title"), "procedure_title", 200)
    if creating or "performed_on" in data:
        rec.performed_on = _date(
            data.get("performed_on") or date.today().isoformat(), "performed_on"
        )
        if rec.performed_on > date.today():
            raise ValidationFailed.one("performed_on", "不能晚于今天", "cannot be in the future")
    if "location" in data:
        rec.location = _text(data.get("location"), "location", 200)
    if "unit" in data:
        rec.unit = _text(data.get("unit"), "unit", 20)
    for name, lo, hi in (("temperature", -60, 200), ("humidity", 0, 100)):
        if name in data:
            value = _num(data.get(name), name)
            if value is not None and not lo <= value <= hi:
                raise ValidationFailed.one(
                    name, f"应在 {lo} 到 {hi} 之间", f"must be between {lo} and {hi}"
                )
            setattr(rec, name, value)
    for name in _LIST_FIELDS:
        if creating or name in data:
            setattr(rec, name, _id_list(data.get(name), name))
    if creating or "decision_rule" in data:
        rec.decision_rule = rule_from(data.get("decision_rule")).to_dict()
    if creating or "uncertainty_model" in data:
        rec.uncertainty_model = _check_model(data.get("uncertainty_model"))
    override = _check_standards(
        session, who, rec, _text(data.get("override_reason"), "override_reason", 1000)
    )
    if override is not rec.lapsed_override:
        rec.lapsed_override = override


def _set_points(session: Session, rec: CalibrationRecord, points: Any) -> list[dict]:
    result = compute(rec.decision_rule, rec.uncertainty_model, points if points is not None else [])
    for old in _points(session, rec.id):
        session.delete(old)  # a draft's points are replaced; their values stay in the audit trail
    session.flush()
    for i, p in enumerate(result["points"]):
        session.add(CalibrationPoint(record_id=rec.id, seq=i + 1, **p))
    rec.overall_verdict = result["overall_verdict"]
    session.flush()
    return result["points"]


def _points(session: Session, record_id: int) -> list[CalibrationPoint]:
    return list(
        session.scalars(
            select(CalibrationPoint)
            .where(CalibrationPoint.record_id == record_id)
            .order_by(CalibrationPoint.seq)
        )
    )


def _point_dicts(session: Session, record_id: int) -> list[dict]:
    cols = [c.key for c in CalibrationPoint.__table__.columns if c.key not in ("id", "record_id")]
    return [{c: getattr(p, c) for c in cols} for p in _points(session, record_id)]


def _next_number(session: Session, lab_org_id: int, on: date) -> str:
    """Record numbers ``JL{lab id:04d}-{year}-{sequence:05d}``, unique per lab."""
    prefix = f"JL{lab_org_id:04d}-{on.year}-"
    last = session.scalar(
        select(CalibrationRecord.number)
        .where(
            CalibrationRecord.lab_org_id == lab_org_id, CalibrationRecord.number.like(prefix + "%")
        )
        .order_by(CalibrationRecord.number.desc())
        .limit(1)
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def create_record(session: Session, who: Principal, data: dict) -> CalibrationRecord:
    """Open a record (draft) with its points; refuses lapsed standards unless overridden."""
    _writer(who)
    lab = who.org_id if not who.is_admin else data.get("lab_org_id")
    org = (
        session.get(Organisation, lab)
        if isinstance(lab, int) and 0 < lab <= resources.MAX_INT
        else None
    )
    if org is None or org.kind not in ("legal_institute", "calibration_lab"):
        raise ValidationFailed.one(
            "lab_org_id", "须为检定/校准机构", "must be a calibration or verification lab"
        )
    rec = CalibrationRecord(
        lab_org_id=org.id,
        status="draft",
        created_by=who.user_id or None,
        supersedes_id=data.get("supersedes_id"),
    )
    _apply(session, who, rec, data, creating=True)
    RECORDS.policy.can_write(who, {"lab_org_id": rec.lab_org_id}, session)
    rec.number = _next_number(session, rec.lab_org_id, rec.performed_on)
    session.add(rec)
    session.flush()
    sync_refs(session, rec)
    points = _set_points(session, rec, data.get("points"))
    audit.record(
        session,
        who,
        "create",
        RECORDS.entity,
        rec.id,
        after={**audit.snapshot(rec), "points": _jsonable(points)},
    )
    if rec.lapsed_override:
        audit.record(
            session,
            who,
            "override_lapsed",
            RECORDS.entity,
            rec.id,
            after={"items": rec.lapsed_override["items"]},
            reason=rec.lapsed_override["reason"],
        )
    return rec


def update_record(session: Session, who: Principal, ident: Any, data: dict) -> CalibrationRecord:
    """Change a draft or returned record; an approved record is never edited."""
    rec = get_record(session, who, ident)
    _writer(who)
    RECORDS.policy.can_write(who, {"lab_org_id": rec.lab_org_id}, session)
    if rec.status not in ("draft", "returned"):
        raise Conflict(
            "只有草稿或退回的记录可以修改；已批准的记录须以更正记录替代",
            "Only a draft or returned record can be changed; correct an approved record with a new one",
        )
    before = {**audit.snapshot(rec), "points": _jsonable(_point_dicts(session, rec.id))}
    old_override = rec.lapsed_override
    _apply(session, who, rec, data, creating=False)
    if "points" in data or "decision_rule" in data or "uncertainty_model" in data:
        raw = data["points"] if "points" in data else _point_dicts(session, rec.id)
        _set_points(session, rec, raw)
    session.flush()
    sync_refs(session, rec)
    after = {**audit.snapshot(rec), "points": _jsonable(_point_dicts(session, rec.id))}
    audit.record(session, who, "update", RECORDS.entity, rec.id, before, after, data.get("reason"))
    if rec.lapsed_override and rec.lapsed_override is not old_override:
        audit.record(
            session,
            who,
            "override_lapsed",
            RECORDS.entity,
            rec.id,
            after={"items": rec.lapsed_override["items"]},
            reason=rec.lapsed_override["reason"],
        )
    return rec


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# ------------------------------------------------------------------ signatures


def qualification(session: Session, who: Principal, rec: CalibrationRecord) -> Metrologist:
    """The signer's registered-metrologist entry qualified for the record's item, or refuse."""
    inst = session.get(Instrument, rec.instrument_id)
    itype = session.get(InstrumentType, inst.type_id)
    names = {itype.name_zh, itype.name_en, itype.code}
    rows = session.scalars(
        select(Metrologist).where(
            Metrologist.user_id == who.user_id, Metrologist.status == "active"
        )
    ).all()
    for m in rows:
        if m.org_id != rec.lab_org_id:
            continue
        if m.valid_until is not None and m.valid_until < date.today():
            continue
        if names & set(m.items or []):
            return m
    raise SignatureRefused(
        f"您没有“{itype.name_zh}”项目的有效注册计量师资格：须在注册计量师登记中关联您的账号"
        f"并包含该项目，且在有效期内",
        f"You hold no valid registered-metrologist qualification for '{itype.name_en}': a "
        f"metrologist entry of this lab linked to your account must list the item and be in date",
    )


def _check_password(session: Session, who: Principal, password: str | None) -> None:
    user = session.get(User, who.user_id)
    if user is None or not password or not verify_password(user.password_hash, password):
        raise SignatureRefused(
            "密码不正确，签名未完成", "Wrong password: the signature was not made"
        )


def signatures(session: Session, record_id: int, valid_only: bool = False) -> list[Signature]:
    stmt = select(Signature).where(Signature.record_id == record_id)
    if valid_only:
        stmt = stmt.where(Signature.status == "valid")
    return list(session.scalars(stmt.order_by(Signature.id)))


def _check_chain(
    session: Session, who: Principal, rec: CalibrationRecord, override_reason: str | None
) -> dict | None:
    """Approval needs an unbroken traceability chain, or the approver's recorded reason."""
    from jiliang.traceability.chain import blocking_gaps, check_record

    gaps = blocking_gaps(check_record(session, rec, graph=False))
    if not gaps:
        return None
    short = [{k: g[k] for k in ("code", "level", "subject", "reason_zh", "reason_en", "fix")} for g in gaps]
    reason = (override_reason or "").strip()
    if not reason:
        zh = "；".join(g["reason_zh"] for g in gaps[:5])
        en = "; ".join(g["reason_en"] for g in gaps[:5])
        raise BrokenChain(
            f"溯源链不完整，不能批准：{zh}。如确需批准，须填写书面理由（记录在案）。",
            f"The traceability chain is broken, the record cannot be approved: {en}. "
            "To approve anyway, give a written reason (it is recorded).",
            gaps=short,
        )
    return {
        "by": who.username,
        "user_id": who.user_id,
        "reason": reason[:1000],
        "gaps": short,
        "at": utcnow().isoformat(timespec="seconds"),
    }


def sign(
    session: Session,
    who: Principal,
    ident: Any,
    step: str,
    password: str | None,
    lang: str = "zh",
    override_reason: str | None = None,
) -> CalibrationRecord:
    """Sign a record as ``performed`` (submit), ``reviewed`` or ``approved``.

    The signer re-enters the password; the signature records who, when and what it means.
    Three different qualified people sign; approval applies the record's effects, and needs an
    unbroken traceability chain or the approver's recorded override reason.
    """
    if step not in STEP_ROLES:
        raise ValidationFailed.one("step", "未知签名类别", "unknown signature step")
    rec = get_record(session, who, ident)
    if who.role not in STEP_ROLES[step] or who.org_id != rec.lab_org_id:
        raise Forbidden("您的角色不能在此环节签名", "Your role cannot sign at this step")
    if rec.status not in STEP_FROM[step]:
        raise Conflict(
            f"记录当前状态为 {rec.status}，不能进行此签名",
            f"The record is {rec.status}; this signature is not possible now",
        )
    _check_password(session, who, password)
    valid = signatures(session, rec.id, valid_only=True)
    if any(s.user_id == who.user_id for s in valid):
        raise SignatureRefused(
            "同一人不能在同一记录上签名两次（检定、核验、批准须为三个不同的人）",
            "The same person cannot sign a record twice (three different people "
            "perform, review and approve)",
        )
    met = qualification(session, who, rec)
    if step == "performed":
        if not _points(session, rec.id):
            raise ValidationFailed.one(
                "points", "至少需要一个测量点", "at least one measurement point"
            )
        rec.lapsed_override = _check_standards(session, who, rec, None)
    chain_override = _check_chain(session, who, rec, override_reason) if step == "approved" else None
    before = audit.snapshot(rec)
    meaning_zh, meaning_en = SIGNATURE_MEANINGS[step]
    sig = Signature(
        record_id=rec.id,
        role=step,
        user_id=who.user_id,
        metrologist_id=met.id,
        signer_name=who.display_name or who.username,
        meaning=meaning_zh + " / " + meaning_en,
    )
    session.add(sig)
    rec.status = STEP_TO[step]
    if step == "performed":
        rec.return_reason = None
    session.flush()
    audit.record(
        session,
        who,
        f"sign_{step}",
        RECORDS.entity,
        rec.id,
        before,
        audit.snapshot(rec),
        reason=meaning_en if lang == "en" else meaning_zh,
    )
    if chain_override is not None:
        rec.chain_override = chain_override
        session.flush()
        audit.record(
            session,
            who,
            "override_chain",
            RECORDS.entity,
            rec.id,
            after={"gaps": [(g["code"], g["level"], g["subject"]) for g in chain_override["gaps"]]},
            reason=chain_override["reason"],
        )
    if step == "approved":
        _approve_effects(session, who, rec)
    return rec


def return_record(
    session: Session, who: Principal, ident: Any, reason: str | None
) -> CalibrationRecord:
    """Send a submitted (by the reviewer) or reviewed (by the approver) record back, with a reason."""
    rec = get_record(session, who, ident)
    step = {"submitted": "reviewed", "reviewed": "approved"}.get(rec.status)
    if step is None:
        raise Conflict(
            "只有待核验或待批准的记录可以退回",
            "Only a submitted or reviewed record can be returned",
        )
    if who.role not in STEP_ROLES[step] or who.org_id != rec.lab_org_id:
        raise Forbidden("您的角色不能退回此记录", "Your role cannot return this record")
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.one("reason", "退回须填写原因", "a reason is required")
    before = audit.snapshot(rec)
    for s in signatures(session, rec.id, valid_only=True):
        s.status = "void"
    rec.status, rec.return_reason = "returned", text[:1000]
    session.flush()
    audit.record(
        session, who, "return", RECORDS.entity, rec.id, before, audit.snapshot(rec), text[:1000]
    )
    return rec


def correct(session: Session, who: Principal, ident: Any, reason: str | None) -> CalibrationRecord:
    """A correction of an approved record: a new draft that supersedes it once approved."""
    old = get_record(session, who, ident)
    _writer(who)
    RECORDS.policy.can_write(who, {"lab_org_id": old.lab_org_id}, session)
    if old.status != "approved":
        raise Conflict("只有已批准的记录可以更正", "Only an approved record can be corrected")
    pending = session.scalar(
        select(CalibrationRecord.id).where(
            CalibrationRecord.supersedes_id == old.id, CalibrationRecord.status != "superseded"
        )
    )
    if pending is not None:
        raise Conflict(
            f"已有更正记录（编号 {pending}）", f"A correction already exists (id {pending})"
        )
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.one("reason", "更正须填写原因", "a reason is required")
    data = {
        c: getattr(old, c)
        for c in (
            "instrument_id",
            "kind",
            "procedure_code",
            "procedure_title",
            "performed_on",
            "location",
            "temperature",
            "humidity",
            "unit",
            "standard_ids",
            "device_ids",
            "material_ids",
            "decision_rule",
            "uncertainty_model",
        )
    }
    data["points"] = _point_dicts(session, old.id)
    data["supersedes_id"] = old.id
    if who.is_admin:
        data["lab_org_id"] = old.lab_org_id
    rec = CalibrationRecord(
        lab_org_id=old.lab_org_id,
        status="draft",
        created_by=who.user_id or None,
        supersedes_id=old.id,
        lapsed_override=old.lapsed_override,
    )
    _apply(session, who, rec, data, creating=True)
    rec.number = _next_number(session, rec.lab_org_id, rec.performed_on)
    session.add(rec)
    session.flush()
    sync_refs(session, rec)
    _set_points(session, rec, data["points"])
    audit.record(
        session, who, "create", RECORDS.entity, rec.id, after=audit.snapshot(rec), reason=text
    )
    audit.record(
        session,
        who,
        "correction_opened",
        RECORDS.entity,
        old.id,
        after={"correction_id": rec.id, "correction_number": rec.number},
        reason=text,
    )
    return rec


# ------------------------------------------------------------------ effects of approval


def _acting(who: Principal) -> Principal:
    """The approver acting on the owner's instrument through the record (audited as them)."""
    return Principal(
        user_id=who.user_id, username=who.username, role="admin", display_name=who.display_name
    )


def approved_interval(session: Session, lab_org_id: int, type_id: int) -> IntervalPolicy | None:
    return session.scalars(
        select(IntervalPolicy)
        .where(
            IntervalPolicy.lab_org_id == lab_org_id,
            IntervalPolicy.type_id == type_id,
            IntervalPolicy.status == "approved",
        )
        .order_by(IntervalPolicy.decided_at.desc(), IntervalPolicy.id.desc())
    ).first()


def next_due(session: Session, rec: CalibrationRecord, inst: Instrument) -> date | None:
    """Due date after a pass: the lab's approved interval for the type, else the type's period
    (有效期至 = date + period − 1 day)."""
    policy = approved_interval(session, rec.lab_org_id, inst.type_id)
    if policy is not None:
        return rec.performed_on + timedelta(days=policy.interval_days - 1)
    itype = session.get(InstrumentType, inst.type_id)
    if itype is None or not itype.period_months:
        return None
    return add_months(rec.performed_on, itype.period_months) - timedelta(days=1)


def _approve_effects(session: Session, who: Principal, rec: CalibrationRecord) -> None:
    from jiliang.instruments.service import INSTRUMENTS, transition

    inst = session.get(Instrument, rec.instrument_id)
    actor = _acting(who)
    why = f"检定校准记录 {rec.number} 批准 / record {rec.number} approved"
    failed = rec.overall_verdict in ("fail", "conditional_fail")
    if rec.kind in VERIFICATION_KINDS and failed:
        if inst.status != "suspended" and "suspended" in TRANSITIONS.get(inst.status, ()):
            transition(
                session, actor, inst.id, "suspended", why + "：检定不合格 / failed verification"
            )
        rec.notice = notice_data(session, rec)
    elif not failed:
        due = next_due(session, rec, inst)
        values: dict[str, Any] = {"last_verified": rec.performed_on}
        if due is not None:
            values["due_date"] = due
        resources.update(session, actor, INSTRUMENTS, inst.id, values, why)
        rec.next_due_date = due
        if inst.status != "in_service" and "in_service" in TRANSITIONS.get(inst.status, ()):
            transition(session, actor, inst.id, "in_service", why)
    if rec.supersedes_id:
        old = session.get(CalibrationRecord, rec.supersedes_id)
        if old is not None and old.status == "approved":
            before = audit.snapshot(old)
            old.status, old.superseded_by_id = "superseded", rec.id
            session.flush()
            audit.record(
                session,
                who,
                "superseded",
                RECORDS.entity,
                old.id,
                before,
                audit.snapshot(old),
                f"由记录 {rec.number} 更正 / corrected by {rec.number}",
            )
    session.flush()


def notice_data(session: Session, rec: CalibrationRecord) -> dict[str, Any]:
    """The verification-result notice (检定结果通知书) of a failed verification."""
    inst = session.get(Instrument, rec.instrument_id)
    itype = session.get(InstrumentType, inst.type_id)
    owner = session.get(Organisation, rec.customer_org_id)
    lab = session.get(Organisation, rec.lab_org_id)
    failed = [
        {
            "seq": p.seq,
            "nominal": p.nominal,
            "error": p.error,
            "mpe_lower": p.mpe_lower,
            "mpe_upper": p.mpe_upper,
            "verdict": p.verdict,
        }
        for p in _points(session, rec.id)
        if p.verdict in ("fail", "conditional_fail")
    ]
    return {
        "title_zh": "检定结果通知书",
        "title_en": "Verification result notice",
        "number": f"{rec.number}-N",
        "record_number": rec.number,
        "lab": lab.name if lab else "",
        "owner": owner.name if owner else "",
        "instrument": {
            "id": inst.id,
            "serial_no": inst.serial_no,
            "model": inst.model,
            "type_zh": itype.name_zh,
            "type_en": itype.name_en,
        },
        "procedure": f"{rec.procedure_code} {rec.procedure_title or ''}".strip(),
        "performed_on": rec.performed_on.isoformat(),
        "kind": rec.kind,
        "failed_points": failed,
        "conclusion_zh": "经检定不合格，该计量器具已停止使用，请修理后重新送检。",
        "conclusion_en": "Failed verification: the instrument is suspended; repair it and submit it "
        "again for verification.",
    }


# ------------------------------------------------------------------ reading


def record_dict(session: Session, rec: CalibrationRecord) -> dict[str, Any]:
    out = {c.key: getattr(rec, c.key) for c in CalibrationRecord.__table__.columns}
    for k, v in list(out.items()):
        if isinstance(v, date):
            out[k] = v.isoformat()
    rule = rule_from(rec.decision_rule)
    out["rule_text_zh"], out["rule_text_en"] = rule.describe("zh"), rule.describe("en")
    out["points"] = _point_dicts(session, rec.id)
    out["signatures"] = [
        {
            "role": s.role,
            "user_id": s.user_id,
            "signer_name": s.signer_name,
            "meaning": s.meaning,
            "metrologist_id": s.metrologist_id,
            "signed_at": s.signed_at.isoformat(timespec="seconds"),
            "status": s.status,
        }
        for s in signatures(session, rec.id)
    ]
    return out
