"""Measurement integrity (诚信计量): commitments, capability self-declarations and the rating.

The rating formula (version ``FORMULA_VERSION``) is published on the public query page with each
operator's inputs; it is computed for operators (organisations of kind enterprise or individual
business) as of a date ``D``:

    score = clamp(0, 100,  90  - F - C - O + K)

    F  inspection findings against the operator found in the 730 days up to D:
       2 per minor, 5 per major, 10 per serious finding, plus 5 per finding still open past its
       rectification deadline; at most 40.
    C  complaints about the operator upheld (outcome recorded) in the 730 days up to D: 8 each;
       at most 30.
    O  overdue ratio: 30 × (instruments with status overdue) / (instruments in use: in service,
       due or overdue); 0 when none is in use. Instrument statuses are read as they are now.
    K  commitment: 10 when the operator has an active signed commitment to the current text.

    grade: A ≥ 95, B ≥ 80, C ≥ 60, D below 60.

Every term is monotone: more or graver findings, more upheld complaints or a higher overdue ratio
never raise the score; a commitment never lowers it. The nightly job stores one snapshot per
operator and date (a re-run on the same date replaces that day's snapshot), keeping the history.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import require
from jiliang.core.resources import Page
from jiliang.core.security import Principal
from jiliang.features import present
from jiliang.instruments.models import Instrument
from jiliang.integrity.models import CapabilityDeclaration, Commitment, Rating
from jiliang.orgs.models import Organisation

FORMULA_VERSION = "2026.1"
OPERATOR_KINDS = ("enterprise", "individual")
WINDOW_DAYS = 730
BASE = 90.0
FINDING_POINTS = {"minor": 2, "major": 5, "serious": 10}
OPEN_PAST_DEADLINE_POINTS = 5
FINDINGS_CAP = 40
UPHELD_POINTS = 8
UPHELD_CAP = 30
OVERDUE_WEIGHT = 30
COMMITMENT_BONUS = 10
GRADES = (("A", 95.0), ("B", 80.0), ("C", 60.0), ("D", 0.0))
IN_USE = ("in_service", "due", "overdue")

COMMITMENT_VERSION = "2026.1"
COMMITMENT_TEXTS: dict[str, tuple[str, str]] = {
    "2026.1": (
        "本单位郑重承诺：遵守《中华人民共和国计量法》及其实施细则；使用的强制检定计量器具按期申请检定，"
        "不使用未经检定、检定不合格或超过检定周期的计量器具；不破坏计量器具准确度，不伪造计量数据；"
        "定量包装商品净含量符合规定；明码标价、足斤足两、诚信经营；自觉接受市场监管部门和社会公众监督，"
        "如有违反，愿承担相应法律责任并接受信用惩戒。",
        "We solemnly commit to comply with the Metrology Law of the People's Republic of China and its "
        "implementing rules; to have our instruments under mandatory verification verified on time and never to use "
        "an instrument that is unverified, failed or past its verification period; never to tamper with an "
        "instrument's accuracy or falsify measurement data; to keep the net content of prepackaged goods within the "
        "rules; to trade honestly with full weight and clear prices; and to accept supervision by the market "
        "regulator and the public, bearing the legal and credit consequences of any breach.",
    ),
}


def commitment_text(version: str = COMMITMENT_VERSION) -> dict[str, str]:
    zh, en = COMMITMENT_TEXTS[version]
    return {"version": version, "zh": zh, "en": en,
            "sha256": hashlib.sha256(f"{zh}\n{en}".encode()).hexdigest()}


# ------------------------------------------------------------------ the formula


@dataclass(frozen=True)
class Inputs:
    minor: int = 0
    major: int = 0
    serious: int = 0
    open_past_deadline: int = 0
    upheld: int = 0
    overdue: int = 0
    in_use: int = 0
    commitment: bool = False
    findings_available: bool = True


@dataclass(frozen=True)
class Score:
    findings: float
    complaints: float
    overdue: float
    commitment: float
    score: float
    grade: str


def grade_for(score: float) -> str:
    return next(g for g, floor in GRADES if score >= floor)


def compute(x: Inputs) -> Score:
    """The published formula, term by term (see the module docstring)."""
    f = min(FINDINGS_CAP, FINDING_POINTS["minor"] * x.minor + FINDING_POINTS["major"] * x.major
            + FINDING_POINTS["serious"] * x.serious + OPEN_PAST_DEADLINE_POINTS * x.open_past_deadline)
    c = min(UPHELD_CAP, UPHELD_POINTS * x.upheld)
    o = round(OVERDUE_WEIGHT * x.overdue / x.in_use, 1) if x.in_use else 0.0
    k = COMMITMENT_BONUS if x.commitment else 0
    score = round(max(0.0, min(100.0, BASE - f - c - o + k)), 1)
    return Score(float(f), float(c), o, float(k), score, grade_for(score))


FORMULA_TERMS = (
    ("base", ("基础分 90", "Base score 90"),
     ("每个经营者从 90 分起算。", "Every operator starts from 90.")),
    ("findings", ("F 检查发现问题", "F Inspection findings"),
     (f"统计日前 {WINDOW_DAYS} 天内监督检查发现的问题：一般问题每项扣 2 分，较重问题扣 5 分，严重问题扣 10 分；"
      f"逾期未整改的每项再扣 5 分；合计最多扣 {FINDINGS_CAP} 分。",
      f"Findings of inspections in the {WINDOW_DAYS} days up to the date: 2 points per minor, 5 per major, "
      f"10 per serious finding, 5 more per finding still open past its deadline; at most {FINDINGS_CAP}.")),
    ("complaints", ("C 投诉属实", "C Complaints upheld"),
     (f"统计日前 {WINDOW_DAYS} 天内经调查属实的投诉举报，每件扣 {UPHELD_POINTS} 分，最多扣 {UPHELD_CAP} 分。",
      f"Complaints about the operator found upheld in the {WINDOW_DAYS} days up to the date: {UPHELD_POINTS} "
      f"points each, at most {UPHELD_CAP}.")),
    ("overdue", ("O 超期未检比例", "O Overdue ratio"),
     (f"在用计量器具（在用、待检、超期）中超期未检的比例 × {OVERDUE_WEIGHT}；无在用器具时为 0。",
      f"Share of the operator's instruments in use (in service, due, overdue) that are overdue, × {OVERDUE_WEIGHT}; "
      "0 when none is in use.")),
    ("commitment", ("K 诚信计量承诺", "K Integrity commitment"),
     (f"已签署现行版本诚信计量承诺的加 {COMMITMENT_BONUS} 分。",
      f"{COMMITMENT_BONUS} points for an active commitment to the current text.")),
)


def formula() -> dict[str, Any]:
    return {
        "version": FORMULA_VERSION,
        "expression": "score = clamp(0, 100, 90 - F - C - O + K)",
        "terms": [{"key": k, "name": {"zh": n[0], "en": n[1]}, "explanation": {"zh": e[0], "en": e[1]}}
                  for k, n, e in FORMULA_TERMS],
        "grades": [{"grade": g, "min_score": floor} for g, floor in GRADES],
        "window_days": WINDOW_DAYS,
    }


# ------------------------------------------------------------------ inputs from the platform


def _where_org(col, org_ids):
    return col.in_(org_ids) if org_ids is not None else col.is_not(None)


def gather(session: Session, as_of: date, org_ids: list[int] | None = None) -> dict[int, Inputs]:
    """The formula's inputs for the given operators (all operators when None), as of a date."""
    if org_ids is None:
        org_ids_all = list(session.scalars(select(Organisation.id).where(
            Organisation.kind.in_(OPERATOR_KINDS), Organisation.status == "active")))
    else:
        org_ids_all = list(org_ids)
    data: dict[int, dict[str, Any]] = {o: {} for o in org_ids_all}
    since = as_of - timedelta(days=WINDOW_DAYS)
    findings_available = present("jiliang.supervision.inspection_models")
    if findings_available:
        from jiliang.supervision.inspection_models import InspectionFinding as F

        window = (F.found_on > since, F.found_on <= as_of, _where_org(F.target_org_id, org_ids))
        for org, severity, n in session.execute(
            select(F.target_org_id, F.severity, func.count()).where(*window).group_by(F.target_org_id, F.severity)
        ):
            if org in data and severity in FINDING_POINTS:
                data[org][severity] = n
        for org, n in session.execute(
            select(F.target_org_id, func.count()).where(
                *window, F.status == "open", F.rectify_by.is_not(None), F.rectify_by < as_of
            ).group_by(F.target_org_id)
        ):
            if org in data:
                data[org]["open_past_deadline"] = n
    if present("jiliang.complaints.models"):
        from jiliang.complaints.service import upheld_counts

        for org, n in upheld_counts(session, since + timedelta(days=1), as_of).items():
            if org in data:
                data[org]["upheld"] = n
    for org, status, n in session.execute(
        select(Instrument.owner_org_id, Instrument.status, func.count()).where(
            Instrument.status.in_(IN_USE), _where_org(Instrument.owner_org_id, org_ids)
        ).group_by(Instrument.owner_org_id, Instrument.status)
    ):
        if org in data:
            data[org]["in_use"] = data[org].get("in_use", 0) + n
            if status == "overdue":
                data[org]["overdue"] = n
    cutoff = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    for org in session.scalars(select(Commitment.org_id).where(
        Commitment.status == "active", Commitment.text_version == COMMITMENT_VERSION,
        Commitment.signed_at < cutoff, _where_org(Commitment.org_id, org_ids),
    )):
        if org in data:
            data[org]["commitment"] = True
    return {org: Inputs(findings_available=findings_available, **vals) for org, vals in data.items()}


def rate(session: Session, org_id: int, as_of: date | None = None) -> dict[str, Any]:
    """One operator's rating computed now (not stored)."""
    as_of = as_of or date.today()
    inputs = gather(session, as_of, [org_id])[org_id]
    return _rating_dict(org_id, as_of, inputs, compute(inputs), live=True)


def _rating_dict(org_id: int, as_of: date, inputs: Inputs, s: Score, live: bool) -> dict[str, Any]:
    return {"org_id": org_id, "as_of": as_of.isoformat(), "formula_version": FORMULA_VERSION,
            "inputs": asdict(inputs), "terms": {"F": s.findings, "C": s.complaints, "O": s.overdue, "K": s.commitment},
            "score": s.score, "grade": s.grade, "live": live}


def recompute(session: Session, as_of: date | None = None) -> dict[str, Any]:
    """Store a snapshot for every operator as of the date (replacing that date's earlier run)."""
    as_of = as_of or date.today()
    all_inputs = gather(session, as_of)
    existing = {r.org_id: r for r in session.scalars(select(Rating).where(Rating.as_of == as_of))}
    grades: dict[str, int] = {g: 0 for g, _ in GRADES}
    new_rows = []
    now = utcnow()
    for org_id, inputs in all_inputs.items():
        s = compute(inputs)
        grades[s.grade] += 1
        values = {"score": s.score, "grade": s.grade, "formula_version": FORMULA_VERSION,
                  "inputs": {**asdict(inputs), "F": s.findings, "C": s.complaints, "O": s.overdue, "K": s.commitment},
                  "computed_at": now}
        row = existing.get(org_id)
        if row is None:
            new_rows.append({"org_id": org_id, "as_of": as_of, **values})
        else:
            for k, v in values.items():
                setattr(row, k, v)
    if new_rows:
        session.execute(Rating.__table__.insert(), new_rows)
    session.flush()
    return {"as_of": as_of.isoformat(), "operators": len(all_inputs), "grades": grades,
            "formula_version": FORMULA_VERSION}


def nightly(session: Session) -> dict[str, Any]:
    """Nightly job: today's rating snapshot for every operator (the job runner audits the run)."""
    return recompute(session)


def recompute_by(session: Session, who: Principal | None, as_of: date | None = None) -> dict[str, Any]:
    p = require(who)
    if not p.is_admin:
        raise Forbidden("只有管理员可以重新计算诚信等级", "Only administrators recompute ratings")
    as_of = check_as_of(as_of)
    summary = recompute(session, as_of)
    audit.record(session, p, "recompute", "integrity_rating", summary["as_of"], after=summary)
    return summary


def history(session: Session, org_id: int, limit: int = 60) -> list[Rating]:
    return list(session.scalars(select(Rating).where(Rating.org_id == org_id)
                                .order_by(Rating.as_of.desc()).limit(limit)))


# ------------------------------------------------------------------ public query


def _operator(session: Session, org_id: int) -> Organisation:
    if not 0 < org_id <= 2_147_483_647:
        raise NotFound("organisation", org_id)
    org = session.get(Organisation, org_id)
    if org is None or org.kind not in OPERATOR_KINDS or org.status != "active":
        raise NotFound("organisation", org_id)
    return org


def search(session: Session, q: str | None, page: int = 1, per_page: int = 25) -> Page:
    """Operators by name or USCC, with their latest rating (or a live one when none is stored)."""
    stmt = select(Organisation).where(Organisation.kind.in_(OPERATOR_KINDS), Organisation.status == "active")
    q = (q or "").replace("\x00", "").strip()[:100]
    if q:
        stmt = stmt.where(or_(Organisation.name.ilike(f"%{q}%"), Organisation.uscc == q.upper()))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    orgs = list(session.scalars(stmt.order_by(Organisation.name, Organisation.id)
                                .offset((page - 1) * per_page).limit(per_page)))
    return Page(items=[summary(session, o) for o in orgs], total=total, page=page, per_page=per_page)


def _latest(session: Session, org_ids: list[int]) -> dict[int, Rating]:
    latest = select(Rating.org_id, func.max(Rating.as_of).label("as_of")).where(
        Rating.org_id.in_(org_ids)).group_by(Rating.org_id).subquery()
    rows = session.scalars(select(Rating).join(latest, (Rating.org_id == latest.c.org_id)
                                               & (Rating.as_of == latest.c.as_of)))
    return {r.org_id: r for r in rows}


def _stored_dict(r: Rating) -> dict[str, Any]:
    inputs = dict(r.inputs or {})
    terms = {k: inputs.pop(k, None) for k in ("F", "C", "O", "K")}
    return {"org_id": r.org_id, "as_of": r.as_of.isoformat(), "formula_version": r.formula_version,
            "inputs": inputs, "terms": terms, "score": r.score, "grade": r.grade, "live": False}


def summary(session: Session, org: Organisation) -> dict[str, Any]:
    stored = _latest(session, [org.id]).get(org.id)
    rating = _stored_dict(stored) if stored is not None else rate(session, org.id)
    return {"org_id": org.id, "name": org.name, "uscc": org.uscc, "kind": org.kind,
            "region_code": org.region_code, "rating": rating,
            "commitment": _active_commitment(session, org.id) is not None}


EARLIEST = date(2000, 1, 1)


def check_as_of(as_of: date | None) -> date:
    """A rating date: from 2000-01-01 up to today (the instruments' statuses are today's)."""
    as_of = as_of or date.today()
    if not EARLIEST <= as_of <= date.today():
        raise ValidationFailed.one("as_of", "统计日期须在 2000-01-01 至今天之间",
                                   "the date must lie between 2000-01-01 and today")
    return as_of


def profile(session: Session, org_id: int, as_of: date | None = None) -> dict[str, Any]:
    """Everything public about an operator's integrity; ``live`` is computed as of ``as_of``."""
    as_of = check_as_of(as_of)
    org = _operator(session, org_id)
    commitment = _active_commitment(session, org.id)
    declaration = _active_declaration(session, org.id)
    return {
        **summary(session, org),
        "live": rate(session, org.id, as_of),
        "history": [{"as_of": r.as_of.isoformat(), "score": r.score, "grade": r.grade} for r in history(session, org.id)],
        "commitment": commitment_dict(commitment) if commitment else None,
        "declaration": declaration_dict(declaration) if declaration else None,
    }


# ------------------------------------------------------------------ commitments


def _own_org(who: Principal | None) -> int:
    p = require(who)
    if p.role != "enterprise" or p.org_id is None:
        raise Forbidden("只有企业用户可以为本单位签署承诺或声明", "Only an enterprise user signs for their own organisation")
    return p.org_id


def _active_commitment(session: Session, org_id: int) -> Commitment | None:
    return session.scalar(select(Commitment).where(Commitment.org_id == org_id, Commitment.status == "active")
                          .order_by(Commitment.id.desc()).limit(1))


def commitment_dict(c: Commitment) -> dict[str, Any]:
    return {"id": c.id, "org_id": c.org_id, "text_version": c.text_version, "text_sha256": c.text_sha256,
            "signer_name": c.signer_name, "signer_title": c.signer_title,
            "signed_at": c.signed_at.isoformat(timespec="seconds"), "status": c.status,
            "current": c.text_version == COMMITMENT_VERSION}


def sign(session: Session, who: Principal | None, data: dict) -> Commitment:
    """An enterprise user signs the current commitment text for their organisation."""
    org_id = _own_org(who)
    errors: dict[str, tuple[str, str]] = {}
    version = str(data.get("text_version") or "")
    if version != COMMITMENT_VERSION:
        errors["text_version"] = (f"请签署现行版本 {COMMITMENT_VERSION}", f"sign the current version {COMMITMENT_VERSION}")
    if data.get("agree") not in (True, "1", "on", "true"):
        errors["agree"] = ("请勾选同意承诺内容", "tick that you agree to the commitment")
    title = str(data.get("signer_title") or "").strip()
    if "\x00" in title or len(title) > 100:
        errors["signer_title"] = ("职务最多 100 个字", "at most 100 characters")
    if errors:
        raise ValidationFailed(errors)
    old = _active_commitment(session, org_id)
    if old is not None:
        if old.text_version == COMMITMENT_VERSION:
            raise Conflict("本单位已签署现行版本的承诺", "Your organisation has already signed the current text")
        before = audit.snapshot(old)
        old.status, old.ended_at, old.end_reason = "superseded", utcnow(), f"version {COMMITMENT_VERSION} signed"
        audit.record(session, who, "supersede", "integrity_commitment", old.id, before=before, after=audit.snapshot(old))
    c = Commitment(org_id=org_id, text_version=COMMITMENT_VERSION, text_sha256=commitment_text()["sha256"],
                   signer_id=who.user_id or None, signer_name=who.display_name or who.username,
                   signer_title=title or None, status="active")
    session.add(c)
    session.flush()
    audit.record(session, who, "sign", "integrity_commitment", c.id, after=audit.snapshot(c))
    return c


def withdraw(session: Session, who: Principal | None, commitment_id: int, reason: str) -> Commitment:
    org_id = _own_org(who)
    c = session.get(Commitment, commitment_id) if 0 < commitment_id <= 2_147_483_647 else None
    if c is None or c.org_id != org_id:
        raise NotFound("integrity_commitment", commitment_id)
    if c.status != "active":
        raise Conflict("该承诺已不再有效", "This commitment is no longer active")
    reason = (reason or "").strip()
    if not reason or "\x00" in reason or len(reason) > 500:
        raise ValidationFailed.one("reason", "请填写撤回原因（最多 500 字）", "give a reason (at most 500 characters)")
    before = audit.snapshot(c)
    c.status, c.ended_at, c.end_reason = "withdrawn", utcnow(), reason
    audit.record(session, who, "withdraw", "integrity_commitment", c.id, before=before, after=audit.snapshot(c),
                 reason=reason)
    return c


# ------------------------------------------------------------------ capability declarations

MAX_INT = 2_147_483_647
DECLARATION_TEXTS = {"management": (1, 2000, True), "management_certified": (0, 100, False),
                     "instruments_note": (0, 2000, False), "standards_note": (0, 2000, False),
                     "traceability": (1, 2000, True)}
DECLARATION_COUNTS = ("instruments_count", "standards_count", "staff_count", "registered_metrologists")


def _active_declaration(session: Session, org_id: int) -> CapabilityDeclaration | None:
    return session.scalar(select(CapabilityDeclaration).where(
        CapabilityDeclaration.org_id == org_id, CapabilityDeclaration.status == "active")
        .order_by(CapabilityDeclaration.id.desc()).limit(1))


def declaration_dict(d: CapabilityDeclaration) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in audit.snapshot(d).items()
            if k not in ("declared_by",)}


def clean_declaration(data: dict, today: date) -> dict[str, Any]:
    errors: dict[str, tuple[str, str]] = {}
    out: dict[str, Any] = {}
    for field, (lo, hi, required) in DECLARATION_TEXTS.items():
        value = str(data.get(field) or "").strip()
        if "\x00" in value:
            errors[field] = ("不能包含空字符", "must not contain NUL characters")
        elif required and len(value) < lo:
            errors[field] = ("必填", "required")
        elif len(value) > hi:
            errors[field] = (f"最多 {hi} 个字", f"at most {hi} characters")
        out[field] = value or None
    for field in DECLARATION_COUNTS:
        raw = data.get(field)
        try:
            n = int(str(raw).strip())
            if not 0 <= n <= MAX_INT:
                raise ValueError
            out[field] = n
        except (TypeError, ValueError):
            errors[field] = ("须为不小于 0 的整数", "must be a whole number of at least 0")
    if "registered_metrologists" not in errors and "staff_count" not in errors \
            and out["registered_metrologists"] > out["staff_count"]:
        errors["registered_metrologists"] = ("注册计量师人数不能超过计量人员总数",
                                             "cannot exceed the number of measurement staff")
    raw_date = str(data.get("declared_on") or today.isoformat())
    try:
        out["declared_on"] = date.fromisoformat(raw_date)
        if out["declared_on"] > today:
            errors["declared_on"] = ("声明日期不能晚于今天", "cannot be later than today")
    except ValueError:
        errors["declared_on"] = ("请填写日期（YYYY-MM-DD）", "give a date (YYYY-MM-DD)")
    if errors:
        raise ValidationFailed(errors)
    return out


def declare(session: Session, who: Principal | None, data: dict, today: date | None = None) -> CapabilityDeclaration:
    """An enterprise user declares their organisation's capability; the earlier one is superseded."""
    org_id = _own_org(who)
    values = clean_declaration(data, today or date.today())
    old = _active_declaration(session, org_id)
    if old is not None:
        before = audit.snapshot(old)
        old.status = "superseded"
        audit.record(session, who, "supersede", "integrity_declaration", old.id, before=before, after=audit.snapshot(old))
    d = CapabilityDeclaration(org_id=org_id, declared_by=who.user_id or None, status="active", **values)
    session.add(d)
    session.flush()
    audit.record(session, who, "declare", "integrity_declaration", d.id, after=audit.snapshot(d))
    return d
