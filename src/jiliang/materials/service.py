"""Reference materials (GBW numbers) and their certified values."""

from __future__ import annotations

import re

from jiliang.core.policies import ChildPolicy, OwnedPolicy
from jiliang.core.resources import Field, FieldRule, Resource, register, register_ref
from jiliang.materials.models import CertifiedValue, ReferenceMaterial
from jiliang.orgs.models import RECORD_STATUS

_GBW = re.compile(r"^GBW(\(E\))?\s?\d{5,6}[a-zA-Z]?$")


def _check_gbw(value: str) -> str:
    value = value.upper().replace("（", "(").replace("）", ")").replace(" ", "")
    if not _GBW.match(value):
        raise FieldRule(
            "编号格式应为 GBW 或 GBW(E) 加 5–6 位数字，如 GBW(E)081234",
            "must be GBW or GBW(E) followed by 5-6 digits, e.g. GBW(E)081234",
        )
    return value


_material_policy = OwnedPolicy(ReferenceMaterial, "holder_org_id", frozenset({"lab_manager"}))

MATERIALS = register(
    Resource(
        name="materials",
        entity="reference_material",
        model=ReferenceMaterial,
        label=("标准物质", "Reference materials"),
        policy=_material_policy,
        default_sort="expiry",
        title=lambda m, lang: f"{m.gbw_no} {m.name}",
        fields=[
            Field("gbw_no", ("标准物质编号", "GBW number"), required=True, list=True, search=True, sort=True, check=_check_gbw, max_len=40),
            Field("name", ("名称", "Name"), required=True, list=True, search=True, sort=True, max_len=200),
            Field("producer", ("研制单位", "Producer"), required=True, list=True, search=True, max_len=200),
            Field("holder_org_id", ("持有单位", "Holder"), "ref", ref="org", required=True, list=True, filter=True),
            Field("lot", ("批号", "Lot"), required=True, list=True, search=True, max_len=60),
            Field("expiry", ("有效期至", "Expiry"), "date", list=True, sort=True),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, list=True, filter=True, editable=False),
        ],
    )
)
register_ref("material", ReferenceMaterial, lambda m, lang: f"{m.gbw_no} {m.name}")

CERTIFIED_VALUES = register(
    Resource(
        name="certified-values",
        entity="certified_value",
        model=CertifiedValue,
        label=("认定值", "Certified values"),
        policy=ChildPolicy(CertifiedValue, "material_id", ReferenceMaterial, _material_policy),
        default_sort="analyte",
        title=lambda v, lang: v.analyte,
        fields=[
            Field("material_id", ("标准物质", "Reference material"), "ref", ref="material", required=True, list=True, filter=True),
            Field("analyte", ("特性量", "Property"), required=True, list=True, search=True, sort=True, max_len=100),
            Field("value", ("认定值", "Certified value"), "float", required=True, list=True),
            Field("expanded_uncertainty", ("扩展不确定度", "Expanded uncertainty"), "float", required=True, list=True, min_value=0),
            Field("coverage_factor", ("包含因子 k", "Coverage factor k"), "float", required=True, list=True, min_value=1),
            Field("unit", ("单位", "Unit"), required=True, list=True, max_len=30),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, filter=True, editable=False),
        ],
    )
)
