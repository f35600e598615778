"""Net-content inspections: scope, the kernel's verdict, drafts, voiding, audit.

Inspections are created by regulators (their region and below) and administrators; the
measurements go through the kernel :func:`jiliang.prepackaged.evaluate` and the lot document
and its full result are stored with the record. A producer sees the final inspections of its
own products. Nothing is deleted: an inspection is voided with a reason, and every write leaves
an audit entry in the same transaction. Statistics live in :mod:`.stats`, the C-mark
declarations in :mod:`.declarations`.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from jiliang import prepackaged
from jiliang.core import audit, resources
from jiliang.core.errors import Conflict, Forbidden, ValidationFailed
from jiliang.core.policies import region_clause, require
from jiliang.core.resources import Field, FieldRule, Policy, Resource
from jiliang.core.security import Principal
from jiliang.netcontent.models import (
    CATEGORIES,
    INSPECTION_STATUS,
    QUANTITY_KINDS,
    VERDICTS,
    NetContentInspection,
)
from jiliang.orgs.models import Organisation

PRODUCER_KINDS = ("enterprise", "individual")
MAX_MEASUREMENTS = 10_000
RULE_CHOICES: dict[str, tuple[str, str]] = {
    key: (rs.title_zh or rs.title, rs.title) for key, rs in prepackaged.RULE_SETS.items()
}
DEFAULT_RULES = "JJF1070-2023"


# ------------------------------------------------------------------ errors


class InvalidLot(ValidationFailed):
    """The kernel refused the lot (negative value, unit mismatch, too few measurements …).

    The form field is named (``measurements`` for any measurement, else the document field);
    the body also carries the kernel's ``code`` and its own ``field`` path (e.g. ``net[3]``).
    """

    code = "invalid_lot"

    def __init__(self, exc: prepackaged.LotError) -> None:
        name = exc.field.split("[")[0].split(".")[0]
        form_field = "measurements" if name in ("net", "gross", "tare", "drained") else name
        super().__init__({form_field: (exc.message_zh, exc.message_en)})
        self.lot_code = exc.code
        self.lot_field = exc.field

    def to_dict(self, lang: str) -> dict:
        return {**super().to_dict(lang), "code": self.lot_code, "field": self.lot_field}


class NotADraft(Conflict):
    code = "not_a_draft"

    def __init__(self) -> None:
        super().__init__("只有草稿可以修改或定稿", "Only a draft can be changed or finalised")


# ------------------------------------------------------------------ policies


class InspectionPolicy(Policy):
    """Regulators: inspections of producers in their region and below; admin: all;
    an organisation: the final inspections of its own products; the public: nothing."""

    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        m = NetContentInspection
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(region_clause(p, m.region_code, m.city_code))
        if p.is_org_member and p.org_id is not None:
            return stmt.where(m.producer_org_id == p.org_id, m.status == "final")
        raise Forbidden()

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        p = require(principal)
        if p.is_admin:
            return
        if p.is_regulator:
            if p.covers_region(values.get("region_code"), values.get("city_code")):
                return
            raise Forbidden("该生产者不在您的辖区内", "This producer is outside your region")
        raise Forbidden(
            "只有监管人员可以录入净含量检验", "Only regulators record net-content inspections"
        )


def _no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL characters; refuse them as any other bad character."""
    if "\x00" in value:
        raise FieldRule("含有不允许的控制字符", "contains a NUL character")
    return value


def _plain(raw: str | None) -> str | None:
    """A search term or filter value without NUL characters (they match nothing anyway)."""
    return raw.replace("\x00", "") if isinstance(raw, str) else raw


def _plain_filters(filters: dict[str, str] | None) -> dict[str, str]:
    return {k: _plain(v) for k, v in (filters or {}).items()}


def _check_unit(value: str) -> str:
    if prepackaged.rules.unit_quantity(value) is None:
        raise FieldRule("不支持的计量单位", "is not a known unit (g, kg, mL, L, m, m2, count …)")
    return value


def _date_filter(op: str):
    def apply(stmt: Select, raw: str) -> Select:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValidationFailed.one(
                "from" if op == ">=" else "to",
                "日期格式应为 YYYY-MM-DD",
                "must be a date as YYYY-MM-DD",
            ) from None
        col = NetContentInspection.sampled_at
        return stmt.where(col >= day if op == ">=" else col <= day)

    return apply


INSPECTIONS = Resource(
    name="netcontent",
    entity="netcontent_inspection",
    model=NetContentInspection,
    label=("定量包装商品净含量检验", "Net-content inspections"),
    policy=InspectionPolicy(),
    default_sort="-sampled_at",
    title=lambda o, lang: o.product_name,
    extra_filters={"from": _date_filter(">="), "to": _date_filter("<=")},
    fields=[
        Field("producer_org_id", ("生产者", "Producer"), "ref", ref="org", required=True),
        Field(
            "product_name",
            ("商品名称", "Product"),
            required=True,
            search=True,
            sort=True,
            max_len=200,
            check=_no_nul,
        ),
        Field(
            "category",
            ("商品类别", "Category"),
            "choice",
            required=True,
            choices=CATEGORIES,
            filter=True,
        ),
        Field("brand", ("商标/品牌", "Brand"), search=True, max_len=100, check=_no_nul),
        Field("batch_no", ("批号", "Batch no."), search=True, max_len=60, check=_no_nul),
        Field(
            "quantity",
            ("量的类别", "Quantity kind"),
            "choice",
            required=True,
            choices=QUANTITY_KINDS,
        ),
        Field("nominal", ("标注净含量", "Nominal quantity"), "float", required=True, min_value=0),
        Field("unit", ("单位", "Unit"), required=True, max_len=10, check=_check_unit),
        Field(
            "rules",
            ("检验规则", "Rule set"),
            "choice",
            required=True,
            choices=RULE_CHOICES,
            filter=True,
        ),
        Field("lot_size", ("批量", "Lot size"), "int", required=True, min_value=1),
        Field(
            "campaign",
            ("专项检查", "Campaign"),
            filter=True,
            search=True,
            max_len=100,
            check=_no_nul,
        ),
        Field("sampled_at", ("抽样日期", "Sampled on"), "date", sort=True),
        Field(
            "producer_name", ("生产者名称", "Producer name"), search=True, sort=True, editable=False
        ),
        Field("producer_uscc", ("统一社会信用代码", "USCC"), search=True, editable=False),
        Field(
            "verdict", ("结论", "Verdict"), "choice", choices=VERDICTS, filter=True, editable=False
        ),
        Field("city_code", ("城市", "City"), filter=True, editable=False),
        Field("region_code", ("区县", "County"), filter=True, editable=False),
        Field(
            "status",
            ("状态", "Status"),
            "choice",
            choices=INSPECTION_STATUS,
            filter=True,
            editable=False,
        ),
    ],
)
INSPECTIONS.extra_filters["producer"] = lambda stmt, raw: stmt.where(
    NetContentInspection.producer_org_id == _int_or_zero(raw)
)


def _int_or_zero(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed.one("producer", "应为整数", "must be a whole number") from None
    return value if 0 < value <= resources.MAX_INT else 0


# ------------------------------------------------------------------ inspections


def _finite(value: Any) -> Any:
    """JSON-safe copy of a kernel result: non-finite floats become ``None`` (PostgreSQL JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def measurements_from(net: Any = None, text: Any = None) -> list[float]:
    """The net contents from a list of numbers (API) or pasted text (form)."""
    if net is None and (text is None or (isinstance(text, str) and not text.strip())):
        raise ValidationFailed.one("measurements", "请填写测量值", "enter the measurements")
    try:
        if net is None:
            values = prepackaged.parse_measurements(str(text))
        else:
            if not isinstance(net, list | tuple):
                raise ValidationFailed.one(
                    "measurements", "应为数值列表", "must be a list of numbers"
                )
            values = []
            for i, v in enumerate(net):
                if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                    raise ValidationFailed.one(
                        "measurements",
                        f"第 {i + 1} 个值不是有限数值",
                        f"value {i + 1} is not a finite number",
                    )
                values.append(float(v))
    except prepackaged.LotError as exc:
        raise InvalidLot(exc) from None
    if not values:
        raise ValidationFailed.one("measurements", "请填写测量值", "enter the measurements")
    if len(values) > MAX_MEASUREMENTS:
        raise ValidationFailed.one(
            "measurements",
            f"测量值不能超过 {MAX_MEASUREMENTS} 个",
            f"at most {MAX_MEASUREMENTS} values",
        )
    return values


def lot_document(
    values: dict[str, Any], net: list[float], producer_name: str = ""
) -> dict[str, Any]:
    doc = {
        "rules": values["rules"],
        "quantity": values["quantity"],
        "nominal": values["nominal"],
        "unit": values["unit"],
        "lot_size": values["lot_size"],
        "net": net,
        "product": values.get("product_name") or "",
        "producer": producer_name,
    }
    if values.get("batch_no"):
        doc["lot_id"] = values["batch_no"]
    return doc


def evaluate_lot(doc: dict[str, Any]) -> dict[str, Any]:
    try:
        return _finite(prepackaged.evaluate(doc))
    except prepackaged.LotError as exc:
        raise InvalidLot(exc) from None


def _producer(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None or org.kind not in PRODUCER_KINDS:
        raise ValidationFailed.one(
            "producer_org_id",
            "生产者：应为已登记的企业或个体工商户",
            "Producer: must be a registered enterprise",
        )
    return org


def _inspecting_org(session: Session, p: Principal) -> int | None:
    if p.org_id is not None:
        return p.org_id
    if p.scope_region is None:
        return None
    return session.scalar(
        select(Organisation.id)
        .where(Organisation.kind == "regulator", Organisation.region_code == p.scope_region)
        .order_by(Organisation.id)
        .limit(1)
    )


def _apply(
    session: Session, p: Principal, values: dict[str, Any], net: list[float]
) -> dict[str, Any]:
    """Producer facts, scope check and the kernel's verdict for a set of clean values."""
    producer = _producer(session, values["producer_org_id"])
    place = {"region_code": producer.region_code, "city_code": producer.city_code}
    INSPECTIONS.policy.can_write(p, place, session)
    doc = lot_document(values, net, producer.name)
    result = evaluate_lot(doc)
    return {
        **values,
        **place,
        "producer_name": producer.name,
        "producer_uscc": producer.uscc,
        "document": doc,
        "result": result,
        "verdict": result["verdict"],
        "sample_size": int(result["sample_size"]),
    }


def _status(raw: Any, default: str = "final") -> str:
    status = raw or default
    if status not in ("draft", "final"):
        raise ValidationFailed.one("status", "状态应为 draft 或 final", "must be draft or final")
    return status


def _clean_lot(data: dict[str, Any], net: Any, text: Any) -> tuple[dict[str, Any], list[float]]:
    """Check the record's fields and the measurements together, so a form shows every error."""
    errors: dict[str, tuple[str, str]] = {}
    values: dict[str, Any] = {}
    measured: list[float] = []
    try:
        values = resources.clean(INSPECTIONS, data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        measured = measurements_from(net, text)
    except ValidationFailed as exc:
        if not errors:
            raise
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return values, measured


def create_inspection(session: Session, principal: Principal | None, data: dict[str, Any]):
    """Record an inspection: check the producer is in scope, run the kernel, audit."""
    p = require(principal)
    data = dict(data)
    status = _status(data.pop("status", None))
    net = data.pop("net", None)
    text = data.pop("measurements", None)
    if not (p.is_admin or p.is_regulator):
        raise Forbidden(
            "只有监管人员可以录入净含量检验", "Only regulators record net-content inspections"
        )
    values, measured = _clean_lot(data, net, text)
    if values.get("sampled_at") is None:
        values["sampled_at"] = date.today()
    full = _apply(session, p, values, measured)
    obj = NetContentInspection(
        **full,
        status=status,
        inspector_id=p.user_id or None,
        inspector_name=p.display_name or p.username,
        inspecting_org_id=_inspecting_org(session, p),
    )
    session.add(obj)
    session.flush()
    audit.record(session, p, "create", INSPECTIONS.entity, obj.id, after=audit.snapshot(obj))
    return obj


def update_inspection(
    session: Session, principal: Principal | None, ident: Any, data: dict[str, Any]
):
    """Change a draft (and evaluate it again); a final or void inspection is never changed."""
    p = require(principal)
    obj = resources.get(session, p, INSPECTIONS, ident)
    INSPECTIONS.policy.can_write(p, audit.snapshot(obj), session)
    if obj.status != "draft":
        raise NotADraft()
    data = dict(data)
    status = _status(data.pop("status", None), "draft")
    net = data.pop("net", None)
    text = data.pop("measurements", None)
    changes = resources.clean(INSPECTIONS, data, partial=True)
    current = {f.name: getattr(obj, f.name) for f in INSPECTIONS.form_fields}
    values = {**current, **changes}
    if values.get("sampled_at") is None:
        values["sampled_at"] = obj.sampled_at
    measured = (
        obj.document.get("net", [])
        if net is None and text is None
        else measurements_from(net, text)
    )
    full = _apply(session, p, values, measured)
    before = audit.snapshot(obj)
    for key, value in full.items():
        setattr(obj, key, value)
    obj.status = status
    session.flush()
    audit.record(session, p, "update", INSPECTIONS.entity, obj.id, before, audit.snapshot(obj))
    return obj


def finalize_inspection(session: Session, principal: Principal | None, ident: Any):
    p = require(principal)
    obj = resources.get(session, p, INSPECTIONS, ident)
    before = audit.snapshot(obj)
    INSPECTIONS.policy.can_write(p, before, session)
    if obj.status != "draft":
        raise NotADraft()
    obj.status = "final"
    session.flush()
    audit.record(session, p, "finalize", INSPECTIONS.entity, obj.id, before, audit.snapshot(obj))
    return obj


def void_inspection(session: Session, principal: Principal | None, ident: Any, reason: str | None):
    """Nothing is deleted: a mistaken inspection is voided with a reason and stays readable."""
    p = require(principal)
    if not reason or not str(reason).strip():
        raise ValidationFailed.one("reason", "作废须填写原因", "a reason is required")
    obj = resources.get(session, p, INSPECTIONS, ident)
    before = audit.snapshot(obj)
    INSPECTIONS.policy.can_write(p, before, session)
    if obj.status == "void":
        return obj
    obj.status = "void"
    session.flush()
    audit.record(
        session,
        p,
        "void",
        INSPECTIONS.entity,
        obj.id,
        before,
        audit.snapshot(obj),
        str(reason).strip(),
    )
    return obj


def get_inspection(
    session: Session, principal: Principal | None, ident: Any
) -> NetContentInspection:
    return resources.get(session, principal, INSPECTIONS, ident)


def list_inspections(
    session: Session,
    principal: Principal | None,
    q: str | None = None,
    filters: dict[str, str] | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> resources.Page:
    return resources.list_page(
        session, principal, INSPECTIONS, _plain(q), _plain_filters(filters), sort, page, per_page
    )


FILTERS = (
    "category",
    "verdict",
    "city_code",
    "region_code",
    "status",
    "rules",
    "campaign",
    "from",
    "to",
    "producer",
)


def inspection_dict(obj: NetContentInspection, full: bool = True) -> dict[str, Any]:
    out = {
        "id": obj.id,
        "producer_org_id": obj.producer_org_id,
        "producer_name": obj.producer_name,
        "producer_uscc": obj.producer_uscc,
        "region_code": obj.region_code,
        "city_code": obj.city_code,
        "product_name": obj.product_name,
        "category": obj.category,
        "brand": obj.brand,
        "batch_no": obj.batch_no,
        "quantity": obj.quantity,
        "nominal": obj.nominal,
        "unit": obj.unit,
        "rules": obj.rules,
        "lot_size": obj.lot_size,
        "sample_size": obj.sample_size,
        "campaign": obj.campaign,
        "sampled_at": obj.sampled_at.isoformat() if obj.sampled_at else None,
        "verdict": obj.verdict,
        "status": obj.status,
        "inspector_name": obj.inspector_name,
        "inspecting_org_id": obj.inspecting_org_id,
        "created_at": obj.created_at.isoformat() if obj.created_at else None,
    }
    if full:
        out["document"] = obj.document
        out["result"] = obj.result
    return out


def report(
    session: Session, principal: Principal | None, ident: Any, lang: str
) -> tuple[bytes, str]:
    """The PDF report of one inspection (the kernel's layout) and a file name."""
    obj = get_inspection(session, principal, ident)
    pdf = prepackaged.report_pdf(obj.document, obj.result, lang=lang)
    return pdf, f"netcontent-{obj.id}.pdf"


def producers(
    session: Session, principal: Principal | None, q: str | None, limit: int = 20
) -> list[Organisation]:
    """Producers an inspector may pick: enterprises in the caller's region, by name or USCC."""
    p = require(principal)
    if not (p.is_admin or p.is_regulator):
        raise Forbidden()
    q = _plain(q)
    stmt = select(Organisation).where(
        Organisation.kind.in_(PRODUCER_KINDS), Organisation.status == "active"
    )
    if p.is_regulator:
        stmt = stmt.where(region_clause(p, Organisation.region_code, Organisation.city_code))
    if q and q.strip():
        term = f"%{q.strip()}%"
        stmt = stmt.where(or_(Organisation.name.ilike(term), Organisation.uscc.ilike(term)))
    return list(
        session.scalars(
            stmt.order_by(Organisation.name, Organisation.id).limit(max(1, min(limit, 100)))
        )
    )


def campaigns(session: Session, principal: Principal | None, limit: int = 200) -> list[str]:
    """Campaign names used by the inspections the caller may see (for filters and the form)."""
    m = NetContentInspection
    stmt = INSPECTIONS.policy.scope(principal, select(m.campaign).where(m.campaign.is_not(None)))
    return sorted({c for c in session.scalars(stmt.distinct().limit(limit)) if c})
