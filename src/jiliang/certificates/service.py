"""Issue, revoke and supersede certificates; public facts and verification.

Issuing (:func:`issue`) takes an approved calibration record, picks the kind (verification
certificate for a passed verification, verification-result notice for a failed one, calibration
certificate), takes the next number of the laboratory under a row lock in the same transaction,
builds the DCC 3.3.0 document (:func:`jiliang.dcc.build_dcc`), validates it (refusing with the
problems listed), signs it with the laboratory's key (creating one, as the system, on first
use), appends an ``issued`` entry with the SHA-256 of the exact signed bytes to the public log,
renders the PDF and stores both.  A rolled-back issue gives its number back, so numbers have
no gaps from failures and are never reused.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jiliang.calibration.computation import rule_from
from jiliang.calibration.models import VERIFICATION_KINDS, CalibrationPoint, CalibrationRecord
from jiliang.calibration.service import get_record, signatures
from jiliang.certificates.models import CERT_KINDS, CERT_STATES, Certificate, CertificateSequence
from jiliang.core import audit
from jiliang.core.config import get_settings
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import orgs_in_scope, require
from jiliang.core.security import SYSTEM, Principal
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.orgs.models import Organisation
from jiliang.standards.models import MeasurementStandard, StandardDevice

ENTITY = "certificate"
ISSUERS = frozenset({"approver", "lab_manager"})
#: per-organisation number pattern; ``JILIANG_CERT_NUMBER_PATTERN`` may change it
NUMBER_PATTERN = "JL{org:04d}-{year}-{letter}{seq:05d}"
KIND_LETTERS = {"verification": "J", "verification_notice": "T", "calibration": "X"}
VERDICT_TO_DCC = {
    "pass": "pass",
    "fail": "fail",
    "conditional_pass": "conditionalPass",
    "conditional_fail": "conditionalFail",
}
VERDICT_TEXT = {
    "pass": ("合格", "Pass"),
    "fail": ("不合格", "Fail"),
    "conditional_pass": ("有条件合格", "Conditional pass"),
    "conditional_fail": ("有条件不合格", "Conditional fail"),
}
SIGNER_ROLES = {"performed": "metrologist", "reviewed": "reviewer", "approved": "approver"}


class CertificateInvalid(DomainError):
    """The DCC built from the record does not validate: nothing is issued."""

    status_code = 422
    code = "certificate_invalid"


class UnknownCertificate(NotFound):
    def __init__(self, number: str) -> None:
        DomainError.__init__(
            self, f"没有编号为 {number} 的证书", f"no certificate numbered {number}"
        )


# ------------------------------------------------------------------ scope and look-ups


def scope(who: Principal, stmt: Select) -> Select:
    """Certificates a principal may list: the lab's own, a regulator's region, a customer's."""
    p = require(who)
    if p.is_admin:
        return stmt
    if p.is_regulator:
        return stmt.where(Certificate.lab_org_id.in_(orgs_in_scope(p)))
    if p.is_lab and p.org_id is not None:
        return stmt.where(Certificate.lab_org_id == p.org_id)
    if p.role == "enterprise" and p.org_id is not None:
        return stmt.where(Certificate.customer_org_id == p.org_id)
    raise Forbidden()


def by_number(session: Session, number: str) -> Certificate:
    if not number or "\x00" in number or len(number) > 64:
        raise UnknownCertificate(number.replace("\x00", ""))
    cert = session.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None:
        raise UnknownCertificate(number)
    return cert


def list_certificates(
    session: Session,
    who: Principal,
    q: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Certificate], int]:
    stmt = scope(who, select(Certificate))
    if q:
        like = f"%{q.replace(chr(0), '').strip()}%"
        inst = select(Instrument.id).where(Instrument.serial_no.ilike(like))
        stmt = stmt.where(Certificate.number.ilike(like) | Certificate.instrument_id.in_(inst))
    if kind:
        if kind not in CERT_KINDS:
            raise ValidationFailed.one("kind", "未知证书类别", "unknown certificate kind")
        stmt = stmt.where(Certificate.kind == kind)
    if status:
        if status not in CERT_STATES:
            raise ValidationFailed.one("status", "未知证书状态", "unknown certificate status")
        stmt = stmt.where(Certificate.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = session.scalars(
        stmt.order_by(Certificate.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), int(total)


def pending_records(session: Session, who: Principal, limit: int = 200) -> list[CalibrationRecord]:
    """Approved records of the principal's lab that have no certificate yet."""
    p = require(who)
    stmt = select(CalibrationRecord).where(
        CalibrationRecord.status == "approved",
        CalibrationRecord.id.not_in(select(Certificate.record_id)),
    )
    if not p.is_admin:
        if not (p.is_lab and p.org_id is not None):
            return []
        stmt = stmt.where(CalibrationRecord.lab_org_id == p.org_id)
    return list(session.scalars(stmt.order_by(CalibrationRecord.id.desc()).limit(limit)))


def kind_for(rec: CalibrationRecord) -> str:
    if rec.kind in VERIFICATION_KINDS:
        failed = rec.overall_verdict in ("fail", "conditional_fail")
        return "verification_notice" if failed else "verification"
    return "calibration"


# ------------------------------------------------------------------ numbering


def next_number(session: Session, org_id: int, kind: str, on: date) -> str:
    """Take the next number of ``org_id`` for ``kind`` and year, under the sequence row's lock."""
    dialect = session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        ins(CertificateSequence)
        .values(org_id=org_id, year=on.year, kind=kind, last=0)
        .on_conflict_do_nothing()
    )
    seq = session.execute(
        update(CertificateSequence)
        .where(
            CertificateSequence.org_id == org_id,
            CertificateSequence.year == on.year,
            CertificateSequence.kind == kind,
        )
        .values(last=CertificateSequence.last + 1)
        .returning(CertificateSequence.last)
    ).scalar_one()
    pattern = os.environ.get("JILIANG_CERT_NUMBER_PATTERN") or NUMBER_PATTERN
    return pattern.format(org=org_id, year=on.year, letter=KIND_LETTERS[kind], seq=int(seq))


# ------------------------------------------------------------------ the certificate document


def _num(x: float | None, digits: int = 10) -> str | None:
    if x is None:
        return None
    text = f"{round(float(x), digits):.{digits}g}"
    return "0" if text in ("-0", "0") else text


def _location(org: Organisation) -> dict[str, Any]:
    loc: dict[str, Any] = {"country_code": "CN"}
    if org.address:
        loc["further"] = org.address
    return loc


def verify_url(number: str) -> str:
    from urllib.parse import quote

    base = (get_settings().public_url or "").rstrip("/")
    return f"{base}/verify?n={quote(number)}"


def certificate_data(
    session: Session, rec: CalibrationRecord, number: str, kind: str, issued_on: date
) -> dict[str, Any]:
    """The plain dict for :func:`jiliang.dcc.build_dcc` (and the PDF) of an approved record."""
    lab = session.get(Organisation, rec.lab_org_id)
    customer = session.get(Organisation, rec.customer_org_id)
    inst = session.get(Instrument, rec.instrument_id)
    itype = session.get(InstrumentType, inst.type_id)
    unit = rec.unit or "\\one"
    sigs = {s.role: s for s in signatures(session, rec.id, valid_only=True)}
    persons = [
        {"name": sigs[step].signer_name, "role": role, "main_signer": step == "approved"}
        for step, role in SIGNER_ROLES.items()
        if step in sigs
    ]
    standards: list[dict[str, Any]] = []
    for sid in rec.standard_ids or []:
        st = session.get(MeasurementStandard, sid)
        if st is None:
            continue
        entry: dict[str, Any] = {"name": st.name, "model": st.code}
        if st.assessment_cert_no:
            entry["certificate_number"] = st.assessment_cert_no
        if st.assessment_valid_until:
            entry["valid_until"] = st.assessment_valid_until
        standards.append(entry)
    for did in rec.device_ids or []:
        dev = session.get(StandardDevice, did)
        if dev is None:
            continue
        entry = {"name": dev.name}
        for key, value in (
            ("manufacturer", dev.maker),
            ("model", dev.model),
            ("serial_number", dev.serial_no),
            ("certificate_number", dev.certificate_no),
            ("valid_until", dev.certificate_valid_until),
        ):
            if value:
                entry[key] = value
        standards.append(entry)
    trace_zh = "本证书所用计量标准可溯源至国家计量基准"
    trace_en = "The standards used are traceable to the national measurement standards of China"
    cert_nos = [s["certificate_number"] for s in standards if s.get("certificate_number")]
    if cert_nos:
        trace_zh += "（标准证书编号：" + "、".join(cert_nos) + "）"
        trace_en += " (standard certificates: " + ", ".join(cert_nos) + ")"
    conditions: list[dict[str, Any]] = []
    if rec.temperature is not None:
        conditions.append({"kind": "temperature", "value": _num(rec.temperature), "unit": "°C"})
    if rec.humidity is not None:
        conditions.append({"kind": "humidity", "value": _num(rec.humidity), "unit": "%"})
    coverage_p = "0.95"
    if isinstance(rec.uncertainty_model, dict) and rec.uncertainty_model.get("coverage"):
        coverage_p = _num(rec.uncertainty_model["coverage"], 6) or "0.95"
    results = []
    points = session.scalars(
        select(CalibrationPoint)
        .where(CalibrationPoint.record_id == rec.id)
        .order_by(CalibrationPoint.seq)
    )
    for p in points:
        nominal = _num(p.nominal)
        quantities: list[dict[str, Any]] = [
            {
                "name": {"zh": "标准值", "en": "Reference value"},
                "value": nominal,
                "unit": unit,
                "ref_type": "basic_referenceValue",
            }
        ]
        readings = [float(x) for x in (p.readings or []) if isinstance(x, int | float)]
        indication = (
            p.as_found
            if p.as_found is not None
            else (sum(readings) / len(readings) if readings else None)
        )
        if indication is not None:
            quantities.append(
                {
                    "name": {"zh": "示值", "en": "Indication"},
                    "value": _num(indication),
                    "unit": unit,
                    "ref_type": "basic_measuredValue",
                }
            )
        if p.error is not None:
            err: dict[str, Any] = {
                "name": {"zh": "示值误差", "en": "Error of indication"},
                "value": _num(p.error),
                "unit": unit,
                "ref_type": "basic_measurementError",
            }
            if p.expanded_uncertainty is not None and p.expanded_uncertainty > 0:
                k = p.coverage_factor if p.coverage_factor and p.coverage_factor >= 1 else 2
                err.update(
                    uncertainty=_num(p.expanded_uncertainty, 4),
                    coverage_factor=_num(k, 4),
                    coverage_probability=coverage_p,
                )
            if p.verdict in VERDICT_TO_DCC:
                err["conformity"] = VERDICT_TO_DCC[p.verdict]
            quantities.append(err)
        if p.mpe_upper is not None:
            quantities.append(
                {
                    "name": {
                        "zh": "最大允许误差（上限）",
                        "en": "Maximum permissible error (upper)",
                    },
                    "value": _num(p.mpe_upper),
                    "unit": unit,
                }
            )
        if p.mpe_lower is not None:
            quantities.append(
                {
                    "name": {
                        "zh": "最大允许误差（下限）",
                        "en": "Maximum permissible error (lower)",
                    },
                    "value": _num(p.mpe_lower),
                    "unit": unit,
                }
            )
        results.append(
            {
                "name": {
                    "zh": f"测量点 {p.seq}（{nominal} {rec.unit or ''}）".replace(" ）", "）"),
                    "en": f"Point {p.seq} ({nominal} {rec.unit or ''})".replace(" )", ")"),
                },
                "quantities": quantities,
            }
        )
    rule = rule_from(rec.decision_rule)
    statements: dict[str, Any] = {
        "decision_rule": {
            "zh": rule.describe("zh"),
            "en": rule.describe("en"),
            "norms": [rec.procedure_code],
        },
        "traceability": {"zh": trace_zh + "。", "en": trace_en + "."},
    }
    verdict = rec.overall_verdict
    if verdict in VERDICT_TO_DCC and kind != "calibration":
        statements["conformity"] = VERDICT_TO_DCC[verdict]
        statements["conformity_norms"] = [rec.procedure_code]
        zh, en = VERDICT_TEXT[verdict]
        statements["conformity_declaration"] = {
            "zh": f"经检定，该{itype.name_zh}{zh}（{rec.procedure_code}）。",
            "en": f"Verified according to {rec.procedure_code}: {en.lower()}.",
        }
    elif verdict in VERDICT_TO_DCC:
        statements["conformity"] = VERDICT_TO_DCC[verdict]
        zh, en = VERDICT_TEXT[verdict]
        statements["conformity_declaration"] = {
            "zh": f"按所述判定规则，校准结果{zh}。",
            "en": f"Under the stated decision rule the calibration results are: {en.lower()}.",
        }
    if kind == "verification" and rec.next_due_date:
        statements["due_date"] = rec.next_due_date
    if kind == "verification_notice":
        statements["declarations"] = [
            {
                "ref_type": "jl_notice",
                "text": {
                    "zh": "经检定不合格，该计量器具已停止使用，请修理后重新送检。",
                    "en": "Failed verification: the instrument is suspended; repair it and "
                    "submit it again for verification.",
                },
            }
        ]
    item: dict[str, Any] = {
        "name": {"zh": itype.name_zh, "en": itype.name_en},
        "serial_number": inst.serial_no,
    }
    if inst.maker:
        item["manufacturer"] = inst.maker
    if inst.model:
        item["model"] = inst.model
    lab_contact: dict[str, Any] = {
        "name": lab.name,
        "location": _location(lab),
        "electronic_signature": True,
    }
    if lab.accreditation_no:
        lab_contact["code"] = lab.accreditation_no
    if lab.contact_phone:
        lab_contact["phone"] = lab.contact_phone
    cert: dict[str, Any] = {
        "number": number,
        "kind": kind,
        "country": "CN",
        "languages": ["zh", "en"],
        "mandatory_languages": ["zh"],
        "begin_date": rec.performed_on,
        "end_date": rec.performed_on,
        "issue_date": issued_on,
        "performance_location": "laboratory",
        "identifications": [
            {
                "issuer": "calibrationLaboratory",
                "value": rec.number,
                "name": {"zh": "记录编号", "en": "Record number"},
            }
        ],
        "items": [item],
        "laboratory": lab_contact,
        "resp_persons": persons,
        "customer": {"name": customer.name, "location": _location(customer)},
        "statements": statements,
        "methods": [
            {
                "code": rec.procedure_code,
                "name": rec.procedure_title or rec.procedure_code,
            }
        ],
        "standards": standards,
        "conditions": conditions,
        "results": results,
    }
    if rec.supersedes_id:
        old = session.scalar(select(Certificate).where(Certificate.record_id == rec.supersedes_id))
        if old is not None:
            cert["replaces"] = {"number": old.number, "type": "substituted"}
    return cert


# ------------------------------------------------------------------ issue, revoke, supersede


def _check_lab_role(who: Principal, lab_org_id: int, action_zh: str, action_en: str) -> None:
    if who.is_admin:
        return
    if who.role in ISSUERS and who.org_id == lab_org_id:
        return
    raise Forbidden(
        f"只有出具机构的批准人或实验室负责人可以{action_zh}",
        f"Only the issuing laboratory's approver or lab manager can {action_en}",
    )


def _signing_key(session: Session, who: Principal, org_id: int):
    from jiliang.trust import keys

    try:
        return keys.signing_key_for(session, org_id)
    except keys.NoSigningKey:
        record = keys.create_key(session, SYSTEM, "dcc", org_id)
        audit.record(
            session,
            SYSTEM,
            "create_key_for_issue",
            "signing_key",
            record.id,
            after={"org_id": org_id, "fingerprint": record.fingerprint},
            reason=f"机构首次签发证书，由系统创建签名密钥（{who.username}）/ "
            f"first certificate of the organisation: signing key created by the system",
        )
        return keys.signing_key_for(session, org_id)


def issue(session: Session, who: Principal, record_id: Any, lang: str = "zh") -> Certificate:
    """Issue the certificate of an approved record (see the module docstring)."""
    from jiliang.certificates.pdf import render_pdf
    from jiliang.dcc import build_dcc, sign_dcc, validate_dcc
    from jiliang.dcc.build import DccBuildError
    from jiliang.trust import service as log

    rec = get_record(session, who, record_id)
    _check_lab_role(who, rec.lab_org_id, "签发证书", "issue certificates")
    if rec.status != "approved":
        raise Conflict(
            f"记录 {rec.number} 尚未批准（状态 {rec.status}），不能出具证书",
            f"record {rec.number} is not approved (status {rec.status}): no certificate yet",
        )
    kind = kind_for(rec)
    today = date.today()
    number = next_number(session, rec.lab_org_id, kind, today)
    # checked under the sequence row's lock: a concurrent issue of the same record has
    # committed by now (its certificate row is visible) or waits behind us
    existing = session.scalar(select(Certificate.number).where(Certificate.record_id == rec.id))
    if existing:
        raise Conflict(
            f"记录 {rec.number} 已出具证书 {existing}",
            f"record {rec.number} already has certificate {existing}",
        )
    data = certificate_data(session, rec, number, kind, today)
    try:
        unsigned = build_dcc(data)
    except DccBuildError as exc:
        raise CertificateInvalid(
            f"无法生成数字证书：{exc}", f"the digital certificate cannot be built: {exc}"
        ) from exc
    problems = validate_dcc(unsigned)
    if problems:
        listed = "; ".join(str(p) for p in problems[:10])
        raise CertificateInvalid(
            f"数字证书未通过 DCC 3.3.0 校验，未出具：{listed}",
            f"the digital certificate does not validate against DCC 3.3.0; not issued: {listed}",
            problems=[str(p) for p in problems],
        )
    private_key, key_record = _signing_key(session, who, rec.lab_org_id)
    signed = sign_dcc(unsigned, private_key, key_record.public_key)
    digest = hashlib.sha256(signed).hexdigest()
    entry = log.append(
        session,
        who,
        "issued",
        {
            "certificate_number": number,
            "issuer_org_id": rec.lab_org_id,
            "xml_sha256": digest,
            "key_sha256": key_record.fingerprint,
        },
    )
    approver = next((p["name"] for p in data["resp_persons"] if p["main_signer"]), None)
    pdf = render_pdf(data, verify_url(number), {"log_index": entry.index, "sha256": digest})
    cert = Certificate(
        number=number,
        kind=kind,
        status="issued",
        record_id=rec.id,
        lab_org_id=rec.lab_org_id,
        customer_org_id=rec.customer_org_id,
        instrument_id=rec.instrument_id,
        conformity=rec.overall_verdict,
        xml=signed,
        xml_sha256=digest,
        pdf=pdf,
        key_fingerprint=key_record.fingerprint,
        log_index=entry.index,
        issued_at=utcnow(),
        issued_by=who.user_id or None,
        signer_name=approver,
    )
    session.add(cert)
    session.flush()
    audit.record(session, who, "issue", ENTITY, cert.id, after=_audit_view(cert))
    if rec.supersedes_id:
        old = session.scalar(
            select(Certificate).where(
                Certificate.record_id == rec.supersedes_id, Certificate.status == "issued"
            )
        )
        if old is not None:
            _end(
                session,
                who,
                old,
                "superseded",
                f"记录 {rec.number} 更正 / corrected by record {rec.number}",
                number,
            )
    return cert


def _audit_view(cert: Certificate) -> dict[str, Any]:
    return {
        "number": cert.number,
        "kind": cert.kind,
        "status": cert.status,
        "record_id": cert.record_id,
        "xml_sha256": cert.xml_sha256,
        "key_fingerprint": cert.key_fingerprint,
        "log_index": cert.log_index,
        "end_reason": cert.end_reason,
        "superseded_by": cert.superseded_by,
    }


def _reason(reason: Any) -> str:
    text = " ".join(str(reason or "").replace("\x00", "").split())
    if not text or len(text) > 500:
        raise ValidationFailed.one(
            "reason", "请说明原因（不超过 500 字）", "give a reason (at most 500 characters)"
        )
    return text


def _end(
    session: Session,
    who: Principal,
    cert: Certificate,
    status: str,
    reason: str,
    superseded_by: str | None = None,
) -> Certificate:
    from jiliang.trust import service as log

    if cert.status != "issued":
        raise Conflict(
            f"证书 {cert.number} 已被撤销或替代",
            f"certificate {cert.number} is already {cert.status}",
        )
    before = _audit_view(cert)
    payload: dict[str, Any] = {
        "certificate_number": cert.number,
        "issuer_org_id": cert.lab_org_id,
        "reason": reason,
        "effective": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if superseded_by:
        payload["superseded_by"] = superseded_by
    entry = log.append(session, who, "revoked" if status == "revoked" else "superseded", payload)
    cert.status = status
    cert.ended_at = utcnow()
    cert.ended_by = who.user_id or None
    cert.end_reason = reason
    cert.end_log_index = entry.index
    cert.superseded_by = superseded_by
    session.flush()
    audit.record(session, who, status, ENTITY, cert.id, before, _audit_view(cert), reason)
    return cert


def revoke(session: Session, who: Principal, number: str, reason: Any) -> Certificate:
    """Revoke an issued certificate, with a reason; logged as a ``revoked`` entry."""
    cert = by_number(session, number)
    _check_lab_role(who, cert.lab_org_id, "撤销证书", "revoke certificates")
    return _end(session, who, cert, "revoked", _reason(reason))


def supersede(
    session: Session, who: Principal, number: str, reason: Any, by: str | None = None
) -> Certificate:
    """Mark an issued certificate superseded (optionally by another of the same lab)."""
    cert = by_number(session, number)
    _check_lab_role(who, cert.lab_org_id, "替代证书", "supersede certificates")
    text = _reason(reason)
    by = (by or "").strip() or None
    if by is not None:
        new = by_number(session, by)
        if new.lab_org_id != cert.lab_org_id or new.id == cert.id or new.status != "issued":
            raise ValidationFailed.one(
                "superseded_by",
                "替代证书应为本机构另一张有效证书",
                "the superseding certificate must be another valid certificate of the same lab",
            )
    return _end(session, who, cert, "superseded", text, by)


# ------------------------------------------------------------------ public facts, verification


def public_facts(session: Session, cert: Certificate, lang: str = "zh") -> dict[str, Any]:
    lab = session.get(Organisation, cert.lab_org_id)
    customer = session.get(Organisation, cert.customer_org_id)
    inst = session.get(Instrument, cert.instrument_id)
    itype = session.get(InstrumentType, inst.type_id) if inst else None
    kind_zh, kind_en = CERT_KINDS[cert.kind]
    return {
        "number": cert.number,
        "kind": cert.kind,
        "kind_label": kind_en if lang == "en" else kind_zh,
        "status": cert.status,
        "issued_at": cert.issued_at.isoformat(timespec="seconds") + "Z",
        "laboratory": lab.name if lab else None,
        "laboratory_id": cert.lab_org_id,
        "customer": customer.name if customer else None,
        "instrument": {
            "type": (itype.name_en if lang == "en" else itype.name_zh) if itype else None,
            "serial_no": inst.serial_no if inst else None,
            "model": inst.model if inst else None,
        },
        "conformity": cert.conformity,
        "signer": cert.signer_name,
        "xml_sha256": cert.xml_sha256,
        "key_sha256": cert.key_fingerprint,
        "log_index": cert.log_index,
        "ended_at": cert.ended_at.isoformat(timespec="seconds") + "Z" if cert.ended_at else None,
        "end_reason": cert.end_reason,
        "end_log_index": cert.end_log_index,
        "superseded_by": cert.superseded_by,
        "verify_url": verify_url(cert.number),
    }


def check(session: Session, number: str, xml_bytes: bytes | None = None) -> dict[str, Any]:
    """Verify a certificate as the public page shows it.

    By number: the stored bytes are checked against the log (signature, logged hash, inclusion,
    checkpoint).  With ``xml_bytes`` (an upload): those bytes instead, so a forged or altered
    file is reported invalid even when its number is real.
    Returns ``{"status": valid|revoked|superseded|invalid|unknown, "facts", "proof", ...}``.
    """
    from jiliang.trust.bundle import make_bundle, verify_bundle

    number = number.replace("\x00", "")
    cert = session.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None:
        return {"status": "unknown", "number": number, "facts": None, "proof": None}
    bundle = make_bundle(session, number)
    result = verify_bundle(cert.xml if xml_bytes is None else xml_bytes, bundle)
    return {
        "status": result.status if result.ok else "invalid",
        "number": number,
        "facts": public_facts(session, cert),
        "proof": result.to_dict(),
    }


def verify_upload(session: Session, xml_bytes: bytes) -> dict[str, Any]:
    """Check an uploaded DCC: schema problems, and against our log when its number is ours."""
    from jiliang.dcc import read_dcc, validate_dcc
    from jiliang.dcc.safexml import DccXmlError

    problems = [str(p) for p in validate_dcc(xml_bytes)]
    try:
        summary = read_dcc(xml_bytes)
    except (DccXmlError, ValueError) as exc:
        return {
            "status": "invalid",
            "number": None,
            "problems": problems or [str(exc)],
            "facts": None,
            "proof": None,
            "summary": None,
        }
    number = summary.get("number")
    out: dict[str, Any]
    if number:
        out = check(session, number, xml_bytes)
    else:
        out = {"status": "unknown", "number": None, "facts": None, "proof": None}
    out["problems"] = problems
    out["summary"] = summary
    if problems:
        out["status"] = "invalid"
    return out
