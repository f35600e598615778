"""Measurement standards and their devices, owned by a laboratory."""

from __future__ import annotations

from jiliang.core.policies import ChildPolicy, OwnedPolicy
from jiliang.core.resources import Field, Resource, register, register_ref
from jiliang.orgs.models import RECORD_STATUS
from jiliang.standards.models import STANDARD_LEVELS, MeasurementStandard, StandardDevice

_standard_policy = OwnedPolicy(MeasurementStandard, "lab_org_id", frozenset({"lab_manager"}))

STANDARDS = register(
    Resource(
        name="standards",
        entity="standard",
        model=MeasurementStandard,
        label=("计量标准", "Measurement standards"),
        policy=_standard_policy,
        default_sort="assessment_valid_until",
        title=lambda s, lang: s.name,
        fields=[
            Field("name", ("标准名称", "Name"), required=True, list=True, search=True, sort=True, max_len=200),
            Field("code", ("标准代码", "Code"), required=True, list=True, search=True, sort=True, max_len=60),
            Field("lab_org_id", ("建标单位", "Laboratory"), "ref", ref="org", required=True, list=True, filter=True),
            Field("quantity", ("量值", "Quantity"), required=True, list=True, search=True, max_len=60),
            Field("measuring_range", ("测量范围", "Range"), max_len=120),
            Field("uncertainty", ("不确定度或准确度等级", "Uncertainty / accuracy"), max_len=160),
            Field("level", ("标准类别", "Level"), "choice", choices=STANDARD_LEVELS, required=True, list=True, filter=True),
            Field("assessment_cert_no", ("考核证书编号", "Assessment certificate"), search=True, max_len=60),
            Field("assessment_valid_until", ("考核有效期至", "Assessment valid until"), "date", list=True, sort=True),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, list=True, filter=True, editable=False),
        ],
    )
)
register_ref("standard", MeasurementStandard, lambda s, lang: s.name)

STANDARD_DEVICES = register(
    Resource(
        name="standard-devices",
        entity="standard_device",
        model=StandardDevice,
        label=("标准器", "Standard devices"),
        policy=ChildPolicy(StandardDevice, "standard_id", MeasurementStandard, _standard_policy),
        default_sort="name",
        title=lambda d, lang: d.name,
        fields=[
            Field("standard_id", ("所属计量标准", "Standard"), "ref", ref="standard", required=True, list=True, filter=True),
            Field("name", ("标准器名称", "Name"), required=True, list=True, search=True, sort=True, max_len=200),
            Field("maker", ("制造单位", "Maker"), max_len=200),
            Field("model", ("型号", "Model"), max_len=100),
            Field("serial_no", ("出厂编号", "Serial no."), list=True, search=True, max_len=100),
            Field("accuracy", ("准确度", "Accuracy"), list=True, max_len=120),
            Field("certificate_no", ("检定/校准证书号", "Certificate no."), list=True, search=True, max_len=60),
            Field("certificate_valid_until", ("证书有效期至", "Certificate valid until"), "date", list=True, sort=True),
            Field("status", ("状态", "Status"), "choice", choices=RECORD_STATUS, list=True, filter=True, editable=False),
        ],
    )
)
