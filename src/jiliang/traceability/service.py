"""The traceability register: external certificates and trace links, as registry Resources.

* An external certificate belongs to the lab that holds it (``holder_org_id``): its lab manager
  enters and changes it; regulators read those of labs in their region.
* A trace link belongs to the lab that owns its subject (the standard, the device's standard,
  the RM lot's holder): only that lab's manager writes it, and only with a source the lab may
  cite (an approved Jiliang record, an external certificate it holds, or a declared terminal).

Validation names the field and the rule in both languages; every write is audited by
``jiliang.core.resources``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import Session

from jiliang.core.errors import Forbidden, ValidationFailed
from jiliang.core.policies import OwnedPolicy, orgs_in_scope, require
from jiliang.core.resources import Field, FieldRule, Policy, Resource, register, register_ref
from jiliang.core.security import Principal
from jiliang.materials.models import ReferenceMaterial
from jiliang.standards.models import MeasurementStandard, StandardDevice
from jiliang.traceability.models import (
    ISSUER_KINDS,
    LINK_STATES,
    REF_KINDS,
    SOURCE_KINDS,
    TERMINAL_KINDS,
    ExternalCertificate,
    TraceLink,
)

MANAGERS = frozenset({"lab_manager"})
EXTERNAL_STATES: dict[str, tuple[str, str]] = {
    "active": ("有效", "Active"),
    "revoked": ("已撤销", "Revoked"),
    "superseded": ("已被替代", "Superseded"),
}
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _country(value: str) -> str:
    value = value.upper()
    if not _COUNTRY.match(value):
        raise FieldRule("应为两位国家代码（ISO 3166），如 CN、DE", "must be a two-letter ISO 3166 code, e.g. CN, DE")
    return value


def subject_owner(session: Session, kind: str | None, ident: Any) -> int | None:
    """The organisation that owns a standard, a device (through its standard) or an RM lot."""
    if not isinstance(ident, int):
        return None
    if kind == "standard":
        std = session.get(MeasurementStandard, ident)
        return std.lab_org_id if std else None
    if kind == "device":
        dev = session.get(StandardDevice, ident)
        std = session.get(MeasurementStandard, dev.standard_id) if dev else None
        return std.lab_org_id if std else None
    if kind == "material":
        rm = session.get(ReferenceMaterial, ident)
        return rm.holder_org_id if rm else None
    return None


# ------------------------------------------------------------------ external certificates


def _prepare_external(session: Session, who: Principal, values: dict, obj: Any) -> dict:
    merged = {**({} if obj is None else {k: getattr(obj, k) for k in values.keys() | _EXT_KEYS}), **values}
    errors: dict[str, tuple[str, str]] = {}
    issued, until = merged.get("issued_on"), merged.get("valid_until")
    if issued and until and until < issued:
        errors["valid_until"] = ("有效期至：不能早于签发日期", "Valid until: cannot be before the issue date")
    if merged.get("issuer_kind") == "foreign_nmi":
        if not merged.get("kcdb_reference"):
            errors["kcdb_reference"] = ("KCDB 参考号：国外国家计量院证书须填写（CIPM MRA）",
                                        "KCDB reference: required for a foreign NMI certificate (CIPM MRA)")
        if not merged.get("issuer_country"):
            errors["issuer_country"] = ("国家代码：国外国家计量院证书须填写", "Country: required for a foreign NMI")
    if merged.get("terminal_kind") and not merged.get("terminal_reference"):
        errors["terminal_reference"] = ("溯源终点说明：声明为终点时须填写（基准名称或 SI 复现方法）",
                                        "Terminal reference: required for a terminal node (primary standard or SI realisation)")
    if errors:
        raise ValidationFailed(errors)
    if obj is None:
        values["created_by"] = who.user_id or None
    return values


_EXT_KEYS = {"issued_on", "valid_until", "issuer_kind", "kcdb_reference", "issuer_country",
             "terminal_kind", "terminal_reference"}

EXTERNAL = register(
    Resource(
        name="external-certificates",
        entity="external_certificate",
        model=ExternalCertificate,
        label=("外部溯源证书", "External certificates"),
        policy=OwnedPolicy(ExternalCertificate, "holder_org_id", MANAGERS),
        default_sort="-issued_on",
        title=lambda c, lang: f"{c.issuer_name} {c.number}",
        prepare=_prepare_external,
        retire_status="revoked",
        fields=[
            Field("holder_org_id", ("持有单位", "Holder"), "ref", ref="org", required=True, list=True, filter=True),
            Field("issuer_name", ("出具机构", "Issuer"), required=True, list=True, search=True, sort=True, max_len=200),
            Field("issuer_kind", ("机构类别", "Issuer kind"), "choice", choices=ISSUER_KINDS, required=True,
                  list=True, filter=True),
            Field("issuer_country", ("国家代码", "Country"), max_len=2, check=_country),
            Field("number", ("证书编号", "Certificate number"), required=True, list=True, search=True, sort=True, max_len=80),
            Field("issued_on", ("签发日期", "Issued on"), "date", required=True, list=True, sort=True),
            Field("valid_until", ("有效期至", "Valid until"), "date", list=True, sort=True),
            Field("quantity", ("量值", "Quantity"), search=True, max_len=100),
            Field("reported_values", ("证书所给值", "Reported values"), "text", max_len=4000),
            Field("expanded_uncertainty", ("扩展不确定度 U", "Expanded uncertainty U"), "float", min_value=0, list=True),
            Field("coverage_factor", ("包含因子 k", "Coverage factor k"), "float", min_value=1),
            Field("unit", ("单位", "Unit"), max_len=30, list=True),
            Field("kcdb_reference", ("KCDB 参考号（CIPM MRA）", "KCDB reference (CIPM MRA)"), search=True, max_len=100),
            Field("terminal_kind", ("溯源终点", "Terminal node"), "choice", choices=TERMINAL_KINDS, list=True, filter=True,
                  help=("出具机构以国家计量基准或 SI 复现给出该值时填写", "Set when the issuer realises the value with a national primary standard or an SI realisation")),
            Field("terminal_reference", ("终点说明", "Terminal reference"), max_len=200),
            Field("status", ("状态", "Status"), "choice", choices=EXTERNAL_STATES, list=True, filter=True),
        ],
    )
)
register_ref("external_certificate", ExternalCertificate, lambda c, lang: f"{c.issuer_name} {c.number}")


# ------------------------------------------------------------------ trace links


def _subjects_of(org_ids: Select | list[int]) -> Any:
    """SQL: trace links whose subject belongs to one of ``org_ids``."""
    stds = select(MeasurementStandard.id).where(MeasurementStandard.lab_org_id.in_(org_ids))
    devs = select(StandardDevice.id).where(StandardDevice.standard_id.in_(stds))
    rms = select(ReferenceMaterial.id).where(ReferenceMaterial.holder_org_id.in_(org_ids))
    return or_(
        and_(TraceLink.subject_kind == "standard", TraceLink.subject_id.in_(stds)),
        and_(TraceLink.subject_kind == "device", TraceLink.subject_id.in_(devs)),
        and_(TraceLink.subject_kind == "material", TraceLink.subject_id.in_(rms)),
    )


class LinkPolicy(Policy):
    """A link is its subject's owner's: lab members read, the lab manager writes; regulators read
    the links of labs in their region; admin all."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(_subjects_of(orgs_in_scope(p)))
        if p.is_lab and p.org_id is not None:
            return stmt.where(_subjects_of([p.org_id]))
        if p.is_org_member:
            return stmt.where(false())
        raise Forbidden()

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session) -> None:
        p = require(principal)
        if p.is_admin:
            return
        owner = subject_owner(session, values.get("subject_kind"), values.get("subject_id"))
        if p.role in MANAGERS and p.org_id is not None and owner == p.org_id:
            return
        raise Forbidden("只有该计量标准所属实验室的负责人可以登记其溯源关系",
                        "Only the manager of the lab owning the subject registers its traceability")


_LINK_KEYS = ("subject_kind", "subject_id", "source_kind", "record_id", "external_id", "terminal_kind",
              "terminal_reference", "calibrated_on", "valid_until")


def _prepare_link(session: Session, who: Principal, values: dict, obj: Any) -> dict:
    from jiliang.calibration.models import CalibrationRecord

    merged = {**({} if obj is None else {k: getattr(obj, k) for k in _LINK_KEYS}), **values}
    errors: dict[str, tuple[str, str]] = {}
    owner = subject_owner(session, merged.get("subject_kind"), merged.get("subject_id"))
    if owner is None:
        errors["subject_id"] = ("溯源对象：不存在（按所选类别）", "Subject: does not exist (for the kind chosen)")
    source = merged.get("source_kind")
    if source == "record":
        rec = session.get(CalibrationRecord, merged.get("record_id")) if merged.get("record_id") else None
        if rec is None:
            errors["record_id"] = ("检定校准记录：来源为本平台记录时须填写存在的记录编号",
                                   "Calibration record: required and must exist when the source is a Jiliang record")
        elif rec.status not in ("approved", "superseded"):
            errors["record_id"] = ("检定校准记录：须为已批准的记录", "Calibration record: must be approved")
        values["external_id"] = None
    elif source == "external":
        ext = session.get(ExternalCertificate, merged.get("external_id")) if merged.get("external_id") else None
        if ext is None:
            errors["external_id"] = ("外部证书：来源为外部证书时须填写", "External certificate: required when the source is external")
        elif owner is not None and ext.holder_org_id != owner:
            errors["external_id"] = ("外部证书：须为溯源对象所属单位持有的证书",
                                     "External certificate: must be held by the subject's owner")
        values["record_id"] = None
    elif source == "terminal":
        if not merged.get("terminal_kind"):
            errors["terminal_kind"] = ("溯源终点：来源为终点时须选择类别", "Terminal node: required when the source is terminal")
        if not merged.get("terminal_reference"):
            errors["terminal_reference"] = ("终点说明：须填写基准或 SI 复现的名称",
                                            "Terminal reference: name the primary standard or SI realisation")
        values["record_id"] = values["external_id"] = None
    cal, until = merged.get("calibrated_on"), merged.get("valid_until")
    if cal and until and until < cal:
        errors["valid_until"] = ("有效期至：不能早于校准日期", "Valid until: cannot be before the calibration date")
    if errors:
        raise ValidationFailed(errors)
    if obj is None:
        values["created_by"] = who.user_id or None
    return values


LINKS = register(
    Resource(
        name="trace-links",
        entity="trace_link",
        model=TraceLink,
        label=("溯源关系", "Trace links"),
        policy=LinkPolicy(),
        default_sort="-calibrated_on",
        title=lambda link, lang: f"{link.subject_kind} {link.subject_id} ← {link.source_kind}",
        prepare=_prepare_link,
        fields=[
            Field("subject_kind", ("溯源对象类别", "Subject kind"), "choice", choices=REF_KINDS, required=True,
                  list=True, filter=True),
            Field("subject_id", ("溯源对象编号", "Subject id"), "int", required=True, list=True, filter=True, min_value=1),
            Field("source_kind", ("溯源来源", "Source"), "choice", choices=SOURCE_KINDS, required=True, list=True,
                  filter=True),
            Field("record_id", ("本平台检定校准记录", "Jiliang record"), "int", filter=True, min_value=1),
            Field("external_id", ("外部证书", "External certificate"), "ref", ref="external_certificate",
                  list=True, filter=True),
            Field("terminal_kind", ("溯源终点", "Terminal node"), "choice", choices=TERMINAL_KINDS),
            Field("terminal_reference", ("终点说明", "Terminal reference"), max_len=200),
            Field("calibrated_on", ("校准日期", "Calibrated on"), "date", required=True, list=True, sort=True),
            Field("valid_until", ("有效期至", "Valid until"), "date", list=True, sort=True),
            Field("expanded_uncertainty", ("扩展不确定度 U", "Expanded uncertainty U"), "float", min_value=0, list=True),
            Field("coverage_factor", ("包含因子 k", "Coverage factor k"), "float", min_value=1),
            Field("unit", ("单位", "Unit"), max_len=30, list=True),
            Field("note", ("备注", "Note"), "text", max_len=2000),
            Field("status", ("状态", "Status"), "choice", choices=LINK_STATES, list=True, filter=True, editable=False),
        ],
    )
)


# ------------------------------------------------------------------ what a principal may check


def certificate_for(session: Session, who: Principal, number: str):
    """The certificate numbered ``number`` if the principal may see it (lab, regulator in scope,
    the customer), else the same "unknown certificate" answer as for a number never issued."""
    from jiliang.certificates import service as certificates
    from jiliang.certificates.models import Certificate

    number = (number or "").replace("\x00", "").strip()[:64]
    cert = session.scalar(certificates.scope(who, select(Certificate).where(Certificate.number == number)))
    if cert is None:
        raise certificates.UnknownCertificate(number)
    return cert


def record_for(session: Session, who: Principal, ident: Any):
    from jiliang.calibration import service as calibration

    return calibration.get_record(session, who, ident)


def instrument_record(session: Session, who: Principal, ident: int):
    """The latest approved record of an instrument among the records the principal may see."""
    from jiliang.calibration import service as calibration
    from jiliang.calibration.models import CalibrationRecord
    from jiliang.core.errors import NotFound

    stmt = calibration.RECORDS.policy.scope(who, select(CalibrationRecord)).where(
        CalibrationRecord.instrument_id == ident, CalibrationRecord.status == "approved"
    ).order_by(CalibrationRecord.performed_on.desc(), CalibrationRecord.id.desc())
    rec = session.scalars(stmt.limit(1)).first()
    if rec is None:
        raise NotFound("calibration_record", ident)
    return rec


class ReportPolicy(Policy):
    """Nightly chain reports: a lab reads its own rows, a regulator those of labs in his region."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        from jiliang.traceability.models import ChainReport

        p = require(principal)
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(ChainReport.lab_org_id.in_(orgs_in_scope(p)))
        if p.is_lab and p.org_id is not None:
            return stmt.where(ChainReport.lab_org_id == p.org_id)
        raise Forbidden()


REPORTS = ReportPolicy()


def list_reports(session: Session, who: Principal, page: int = 1, per_page: int = 25):
    from sqlalchemy import func

    from jiliang.traceability.models import ChainReport

    stmt = REPORTS.scope(who, select(ChainReport))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(ChainReport.run_at.desc(), ChainReport.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return list(rows), int(total)


def get_report(session: Session, who: Principal, ident: Any):
    from jiliang.core.errors import NotFound
    from jiliang.core.resources import MAX_INT
    from jiliang.traceability.models import ChainReport

    if not isinstance(ident, int) or not 0 < ident <= MAX_INT:
        raise NotFound("trace_chain_report", ident)
    row = session.scalar(REPORTS.scope(who, select(ChainReport).where(ChainReport.id == ident)))
    if row is None:
        raise NotFound("trace_chain_report", ident)
    return row


def report_dict(row, names: dict[int, str] | None = None, items: bool = False) -> dict[str, Any]:
    out = {"id": row.id, "run_at": row.run_at.isoformat(timespec="seconds"), "lab_org_id": row.lab_org_id,
           "lab": (names or {}).get(row.lab_org_id), "checked": row.checked, "traceable": row.traceable,
           "broken": row.broken, "by_code": row.by_code, "truncated": row.truncated}
    if items:
        out["items"] = row.items
    return out
