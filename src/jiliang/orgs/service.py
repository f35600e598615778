"""Organisations: registration, editing and retirement, scoped by region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from jiliang.core.errors import Forbidden
from jiliang.core.policies import region_clause, require
from jiliang.core.resources import Field, FieldRule, Policy, Resource, register, register_ref
from jiliang.core.security import Principal
from jiliang.orgs.models import ORG_KINDS, RECORD_STATUS, Organisation
from jiliang.regions.service import county_and_city


def _check_uscc(value: str) -> str:
    from jiliang.core.uscc import UsccError, validate_uscc

    try:
        return validate_uscc(value)
    except UsccError as exc:
        raise FieldRule(getattr(exc, "message_zh", str(exc)), str(exc)) from None


def _check_phone(value: str) -> str:
    digits = value.replace("-", "").replace(" ", "")
    if not digits.isdigit() or not 7 <= len(digits) <= 13:
        raise FieldRule("电话号码应为 7–13 位数字", "a phone number has 7 to 13 digits")
    return value


class OrganisationPolicy(Policy):
    def scope(self, principal: Principal | None, stmt: Select) -> Select:
        p = require(principal)
        if p.is_admin:
            return stmt
        if p.is_regulator:
            return stmt.where(region_clause(p, Organisation.region_code, Organisation.city_code))
        if p.org_id is not None:
            return stmt.where(Organisation.id == p.org_id)
        raise Forbidden()

    def can_write(self, principal: Principal | None, values: dict[str, Any], session: Session):
        p = require(principal)
        if p.is_admin:
            return
        if p.is_regulator and values.get("kind") in ("enterprise", "individual"):
            if p.covers_region(values.get("region_code"), values.get("city_code")):
                return
        if p.role in ("lab_manager", "enterprise") and values.get("id") == p.org_id:
            return
        raise Forbidden()


def _prepare(session: Session, principal: Principal, values: dict, obj: Any) -> dict:
    if "region_code" in values:
        values["region_code"], values["city_code"] = county_and_city(session, values["region_code"])
    if obj is not None and not principal.is_admin and "kind" in values and values["kind"] != obj.kind:
        raise Forbidden("只有管理员可以变更单位类型", "Only an administrator may change the kind")
    return values


ORGANISATIONS = register(
    Resource(
        name="organisations",
        entity="organisation",
        model=Organisation,
        label=("单位", "Organisations"),
        policy=OrganisationPolicy(),
        default_sort="name",
        title=lambda o, lang: o.name,
        prepare=_prepare,
        fields=[
            Field("name", ("单位名称", "Name"), required=True, list=True, search=True, sort=True, max_len=200),
            Field("kind", ("单位类型", "Kind"), "choice", required=True, choices=ORG_KINDS, list=True, filter=True),
            Field("uscc", ("统一社会信用代码", "Unified social credit code"), list=True, search=True, check=_check_uscc, max_len=18),
            Field("region_code", ("所在地区", "Region"), "ref", ref="region", required=True, list=True, filter=True),
            Field("address", ("地址", "Address"), max_len=300, search=True),
            Field("contact_name", ("联系人", "Contact"), max_len=100),
            Field("contact_phone", ("联系电话", "Phone"), max_len=40, check=_check_phone),
            Field("accreditation_no", ("CNAS 认可证书号", "CNAS accreditation no."), max_len=40, search=True),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, list=True, filter=True, editable=False),
        ],
    )
)
register_ref("org", Organisation, lambda o, lang: o.name)
