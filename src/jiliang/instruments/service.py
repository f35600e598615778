"""Instrument types and instruments: registration, life cycle, public facts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.errors import Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import CatalogPolicy, OwnedPolicy
from jiliang.core.resources import Field, FieldRule, Resource, get, register, register_ref
from jiliang.core.security import Principal
from jiliang.instruments.models import (
    MANDATORY_FORMS,
    STATUSES,
    TRANSITIONS,
    USES,
    Instrument,
    InstrumentType,
)
from jiliang.orgs.models import RECORD_STATUS, Organisation
from jiliang.regions.service import county_and_city


def _check_regulation(value: str) -> str:
    code = value.upper().replace(" ", " ")
    if not code.startswith(("JJG", "JJF")):
        raise FieldRule("规程代号应以 JJG 或 JJF 开头", "a regulation code starts with JJG or JJF")
    return code


INSTRUMENT_TYPES = register(
    Resource(
        name="instrument-types",
        entity="instrument_type",
        model=InstrumentType,
        label=("器具类型", "Instrument types"),
        policy=CatalogPolicy(),
        default_sort="code",
        title=lambda t, lang: t.name_en if lang == "en" else t.name_zh,
        fields=[
            Field("code", ("类型代码", "Code"), required=True, list=True, search=True, sort=True, max_len=20),
            Field("category", ("类别", "Category"), required=True, list=True, search=True, sort=True, max_len=60),
            Field("name_zh", ("名称（中文）", "Name (Chinese)"), required=True, list=True, search=True, max_len=100),
            Field("name_en", ("名称（英文）", "Name (English)"), required=True, search=True, max_len=150),
            Field("regulation_code", ("检定规程", "Regulation"), list=True, search=True, check=_check_regulation, max_len=40),
            Field("regulation_title", ("规程名称", "Regulation title"), max_len=200),
            Field("period_months", ("检定周期（月）", "Period (months)"), "int", list=True, min_value=1),
            Field("mandatory", ("强制检定", "Mandatory verification"), "bool", list=True, filter=True),
            Field("mandatory_form", ("强检形式", "Mandatory form"), "choice", choices=MANDATORY_FORMS, filter=True),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, filter=True, editable=False),
        ],
    )
)
register_ref("type", InstrumentType, lambda t, lang: t.name_en if lang == "en" else t.name_zh)


def _prepare(session: Session, principal: Principal, values: dict, obj: Any) -> dict:
    if obj is None:
        if values.get("owner_org_id") is None and principal.org_id is not None:
            values["owner_org_id"] = principal.org_id
        if values.get("owner_org_id") is None:
            raise ValidationFailed.one("owner_org_id", "必填", "required")
        if not values.get("region_code"):
            owner = session.get(Organisation, values["owner_org_id"])
            if owner is None:
                raise ValidationFailed.one("owner_org_id", "所属单位不存在", "does not exist")
            values["region_code"] = owner.region_code
        values["qr_token"] = secrets.token_urlsafe(16)
        values["status"] = "registered"
    if "region_code" in values:
        values["region_code"], values["city_code"] = county_and_city(session, values["region_code"])
    if obj is not None and "owner_org_id" in values and values["owner_org_id"] != obj.owner_org_id:
        if not principal.is_admin:
            raise Forbidden("只有管理员可以变更器具所有人", "Only an administrator may change the owner")
    return values


def _due_within(stmt: Select, raw: str) -> Select:
    try:
        days = int(raw)
    except ValueError:
        raise ValidationFailed.one("due_within", "应为天数", "must be a number of days") from None
    return stmt.where(Instrument.due_date <= date.today() + timedelta(days=days))


def _city(stmt: Select, raw: str) -> Select:
    return stmt.where(Instrument.city_code == raw)


INSTRUMENTS = register(
    Resource(
        name="instruments",
        entity="instrument",
        model=Instrument,
        label=("计量器具", "Instruments"),
        policy=OwnedPolicy(
            Instrument,
            "owner_org_id",
            frozenset({"enterprise", "lab_manager"}),
            region_attrs=("region_code", "city_code"),
        ),
        default_sort="due_date",
        title=lambda i, lang: f"{i.serial_no}",
        prepare=_prepare,
        retire_status="scrapped",
        extra_filters={"due_within": _due_within, "city": _city},
        fields=[
            Field("type_id", ("器具类型", "Type"), "ref", ref="type", required=True, list=True, filter=True),
            Field("serial_no", ("出厂编号", "Serial no."), required=True, list=True, search=True, sort=True, max_len=100),
            Field("owner_org_id", ("使用单位", "Owner"), "ref", ref="org", list=True, filter=True),
            Field("maker", ("制造单位", "Maker"), search=True, max_len=200),
            Field("model", ("型号规格", "Model"), search=True, max_len=100),
            Field("measuring_range", ("测量范围", "Range"), max_len=100),
            Field("accuracy", ("准确度等级/最大允许误差", "Accuracy class / MPE"), max_len=100),
            Field("location", ("安装使用地点", "Location"), search=True, max_len=300),
            Field("region_code", ("所在地区", "Region"), "ref", ref="region", list=True, filter=True),
            Field("use", ("用途", "Use"), "choice", choices=USES, required=True, filter=True),
            Field("status", ("状态", "Status"), "choice", choices=STATUSES, list=True, filter=True, sort=True, editable=False),
            Field("due_date", ("有效期至", "Due date"), "date", list=True, sort=True),
            Field("last_verified", ("上次检定日期", "Last verified"), "date", sort=True),
        ],
    )
)


def transition(
    session: Session, principal: Principal, ident: Any, status: str, reason: str | None = None
) -> Instrument:
    """Move an instrument along its life cycle; refuses transitions the cycle does not allow."""
    inst = get(session, principal, INSTRUMENTS, ident)
    INSTRUMENTS.policy.can_write(principal, audit.snapshot(inst), session)
    if status not in STATUSES:
        raise ValidationFailed.one("status", "未知状态", "unknown status")
    if status not in TRANSITIONS[inst.status]:
        zh_from, zh_to = STATUSES[inst.status][0], STATUSES[status][0]
        raise ValidationFailed.one(
            "status",
            f"不能从“{zh_from}”变更为“{zh_to}”",
            f"cannot go from {inst.status} to {status}",
        )
    if status in ("scrapped", "suspended") and not (reason or "").strip():
        raise ValidationFailed.one("reason", "须填写原因", "a reason is required")
    before = audit.snapshot(inst)
    inst.status = status
    session.flush()
    audit.record(session, principal, "status", "instrument", inst.id, before, audit.snapshot(inst), reason)
    return inst


@dataclass
class PublicFacts:
    type_name: str
    owner_name: str
    serial_no: str
    status: str
    verification: str  # valid | expired | not_verified | suspended
    due_date: date | None
    region_name: str


def public_facts(session: Session, token: str, lang: str) -> PublicFacts:
    """What anyone who scans the QR label may see, and nothing more."""
    from jiliang.regions.models import Region

    inst = None if "\x00" in token else session.scalar(select(Instrument).where(Instrument.qr_token == token))
    if inst is None:
        raise NotFound("instrument", "")
    itype = session.get(InstrumentType, inst.type_id)
    owner = session.get(Organisation, inst.owner_org_id)
    region = session.get(Region, inst.region_code)
    if inst.status in ("suspended", "scrapped", "under_repair"):
        verification = "suspended"
    elif inst.due_date is None:
        verification = "not_verified"
    elif inst.due_date < date.today():
        verification = "expired"
    else:
        verification = "valid"
    return PublicFacts(
        type_name=(itype.name_en if lang == "en" else itype.name_zh) if itype else "",
        owner_name=owner.name if owner else "",
        serial_no=inst.serial_no,
        status=inst.status,
        verification=verification,
        due_date=inst.due_date,
        region_name=region.name(lang) if region else "",
    )


def status_counts(session: Session, principal: Principal, group_by_region: str | None = None):
    """Counts by status within the caller's scope, optionally by city or county."""
    stmt = INSTRUMENTS.policy.scope(principal, select(Instrument.status, func.count()))
    if group_by_region:
        col = Instrument.city_code if group_by_region == "city" else Instrument.region_code
        stmt = stmt.add_columns(col).group_by(col, Instrument.status)
    else:
        stmt = stmt.group_by(Instrument.status)
    return session.execute(stmt).all()
