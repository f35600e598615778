"""Build a Digital Calibration Certificate (PTB DCC schema 3.3.0, D-SI 2.2.1) from a plain dict.

The element order follows ``dcc.xsd`` 3.3.0 (administrativeData, measurementResults); numbers
are written in the lexical forms the D-SI patterns accept; units go through
:func:`jiliang.dcc.units.pint_to_dsi` (``"mg"`` → ``\\milli\\gram``) unless already in D-SI
backslash form, and are checked by :func:`jiliang.dcc.units.check_dsi_unit`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from .safexml import DCC_NS, SI_NS
from .units import DsiUnitError, pint_to_dsi

__all__ = ["DccBuildError", "build_dcc", "EXAMPLE_CERT", "SOFTWARE_NAME"]

SOFTWARE_NAME = "Jiliang"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_NSMAP = {"dcc": DCC_NS, "si": SI_NS, "xsi": XSI_NS}
_DECIMAL = re.compile(r"[-+]?((\d*\.\d+)|(\d+\.\d*)|(\d+\.?))([Ee][-+]?\d+)?")
_UNCERTAINTY = re.compile(r"\+?((\d*\.\d+)|(\d+\.\d*)|(\d+\.?))([Ee][-+]?\d+)?")
_K = re.compile(r"\+?(([1-9]\d*\.\d*)|([1-9]\d*))")
_P = re.compile(r"\+?((0(\.\d*)?)|(1(\.0*)?))")

ROLE_NAMES = {
    "metrologist": {"zh": "检定/校准员", "en": "Metrologist"},
    "reviewer": {"zh": "核验员", "en": "Reviewer"},
    "approver": {"zh": "批准人", "en": "Approver"},
}
CONFORMITY = ("pass", "fail", "conditionalPass", "conditionalFail", "noPass", "noFail")
KIND_NAMES = {
    "verification": {"zh": "检定证书", "en": "Verification certificate"},
    "verification_notice": {"zh": "检定结果通知书", "en": "Verification result notice"},
    "calibration": {"zh": "校准证书", "en": "Calibration certificate"},
}


# Mandatory languages of the document being built (every multilingual text must have them).
_MANDATORY: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "dcc_mandatory_languages", default=()
)


class DccBuildError(ValueError):
    """The certificate dict is missing something the DCC needs, or holds a bad value."""


# ---- small element helpers ------------------------------------------------------------------


def _d(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    elem = etree.SubElement(parent, f"{{{DCC_NS}}}{name}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        elem.text = text
    return elem


def _si(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    elem = etree.SubElement(parent, f"{{{SI_NS}}}{name}")
    if text is not None:
        elem.text = text
    return elem


def _nonempty(value: Any, what: str) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    if not text:
        raise DccBuildError(f"{what} must not be empty")
    return text


def _text(parent: etree._Element, name: str, value: Any, what: str) -> etree._Element:
    """A ``dcc:textType``: a str (no language) or a mapping language → text."""
    elem = _d(parent, name)
    if isinstance(value, Mapping):
        if not value:
            raise DccBuildError(f"{what} must not be empty")
        missing = [lang for lang in _MANDATORY.get() if lang not in value]
        if missing:
            raise DccBuildError(f"{what}: no text in mandatory language(s) {', '.join(missing)}")
        for lang, text in value.items():
            if not re.fullmatch(r"[a-z]{2}", str(lang)):
                raise DccBuildError(f"{what}: language code {lang!r} is not ISO 639-1")
            _d(elem, "content", _nonempty(text, what), lang=str(lang))
    else:
        _d(elem, "content", _nonempty(value, what))
    return elem


def _rich(parent: etree._Element, name: str, value: Any, what: str) -> etree._Element:
    """A ``dcc:richContentType`` holding text only (same input as :func:`_text`)."""
    return _text(parent, name, value, what)


def _date(value: Any, what: str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise DccBuildError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _number(value: Any, what: str, pattern: re.Pattern[str] = _DECIMAL) -> str:
    """Lexical form of a number for the D-SI patterns; str and Decimal keep their digits."""
    if isinstance(value, bool):
        raise DccBuildError(f"{what}: {value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DccBuildError(f"{what}: {value!r} is not a finite number")
        text = repr(value)
    elif isinstance(value, int | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise DccBuildError(f"{what}: {value!r} is not a number")
    if not pattern.fullmatch(text):
        raise DccBuildError(f"{what}: {text!r} is not allowed here")
    return text


def _unit(value: Any, what: str) -> str:
    try:
        return pint_to_dsi(str(value))
    except DsiUnitError as exc:
        raise DccBuildError(f"{what}: {exc}") from exc


def _location(parent: etree._Element, name: str, loc: Mapping[str, Any], what: str) -> None:
    elem = _d(parent, name)
    fields = (
        ("street", "street"),
        ("street_no", "streetNo"),
        ("post_code", "postCode"),
        ("city", "city"),
        ("state", "state"),
        ("country_code", "countryCode"),
    )
    for key, tag in fields:
        if loc.get(key):
            _d(elem, tag, _nonempty(loc[key], f"{what}.{key}"))
    if loc.get("further"):
        _rich(elem, "further", loc["further"], f"{what}.further")
    if not len(elem):
        raise DccBuildError(f"{what}: a location needs at least a city or country code")


def _contact(parent: etree._Element, name: str, c: Mapping[str, Any], what: str, strict: bool):
    elem = _d(parent, name)
    _text(elem, "name", c.get("name"), f"{what}.name")
    for key, tag in (("email", "eMail"), ("phone", "phone"), ("fax", "fax")):
        if c.get(key):
            _d(elem, tag, _nonempty(c[key], f"{what}.{key}"))
    if c.get("link"):
        _d(elem, "link", str(c["link"]))
    if c.get("location"):
        _location(elem, "location", c["location"], f"{what}.location")
    elif strict:
        raise DccBuildError(f"{what}.location is required")
    return elem


def _identifications(parent: etree._Element, ids: Iterable[Mapping[str, Any]], what: str) -> None:
    ids = list(ids)
    if not ids:
        return
    elem = _d(parent, "identifications")
    for i, ident in enumerate(ids):
        issuer = ident.get("issuer", "other")
        if issuer not in ("manufacturer", "calibrationLaboratory", "customer", "owner", "other"):
            raise DccBuildError(f"{what}[{i}].issuer {issuer!r} is not allowed")
        node = _d(elem, "identification")
        _d(node, "issuer", issuer)
        _d(node, "value", _nonempty(ident.get("value"), f"{what}[{i}].value"))
        if ident.get("name"):
            _text(node, "name", ident["name"], f"{what}[{i}].name")


def _real(parent: etree._Element, q: Mapping[str, Any], what: str, style: str) -> None:
    """``si:real`` with value, unit and, when given, the expanded uncertainty."""
    real = _si(parent, "real")
    if q.get("label"):
        _si(real, "label", str(q["label"]))
    _si(real, "value", _number(q.get("value"), f"{what}.value"))
    _si(real, "unit", _unit(q.get("unit"), f"{what}.unit"))
    if q.get("uncertainty") is None:
        return
    u = _number(q["uncertainty"], f"{what}.uncertainty", _UNCERTAINTY)
    k = _number(q.get("coverage_factor", 2), f"{what}.coverage_factor", _K)
    p = _number(q.get("coverage_probability", "0.95"), f"{what}.coverage_probability", _P)
    if style == "expandedMU":
        mu = _si(_si(real, "measurementUncertaintyUnivariate"), "expandedMU")
        _si(mu, "valueExpandedMU", u)
    else:
        mu = _si(real, "expandedUnc")
        _si(mu, "uncertainty", u)
    _si(mu, "coverageFactor", k)
    _si(mu, "coverageProbability", p)
    if q.get("distribution"):
        _si(mu, "distribution", str(q["distribution"]))


def _quantity(parent, q: Mapping[str, Any], what: str, style: str, tag: str = "quantity"):
    elem = _d(parent, tag, refType=q.get("ref_type", ""))
    if q.get("name"):
        _text(elem, "name", q["name"], f"{what}.name")
    if q.get("description"):
        _rich(elem, "description", q["description"], f"{what}.description")
    if q.get("value") is None and q.get("text"):
        _rich(elem, "noQuantity", q["text"], f"{what}.text")
    else:
        _real(elem, q, what, style)
    if tag == "quantity" and q.get("conformity"):
        meta = _d(_d(elem, "measurementMetaData"), "metaData", refType="basic_conformity")
        _d(meta, "conformity", _conformity(q["conformity"], f"{what}.conformity"))
    return elem


def _conformity(value: Any, what: str) -> str:
    if value not in CONFORMITY:
        raise DccBuildError(f"{what} must be one of {', '.join(CONFORMITY)}")
    return str(value)


# ---- the two rings ----------------------------------------------------------------------------


def _core_data(admin: etree._Element, cert: Mapping[str, Any]) -> None:
    core = _d(admin, "coreData")
    country = str(cert.get("country", "CN"))
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise DccBuildError("country must be an ISO 3166-1 alpha-2 code such as CN")
    _d(core, "countryCodeISO3166_1", country)
    languages = list(cert.get("languages", ["zh", "en"]))
    mandatory = list(cert.get("mandatory_languages", languages[:1]))
    for lang in languages + mandatory:
        if not re.fullmatch(r"[a-z]{2}", str(lang)):
            raise DccBuildError(f"language {lang!r} is not an ISO 639-1 code")
    if not languages or not mandatory or not set(mandatory) <= set(languages):
        raise DccBuildError("mandatory_languages must be a non-empty subset of languages")
    for lang in languages:
        _d(core, "usedLangCodeISO639_1", lang)
    for lang in mandatory:
        _d(core, "mandatoryLangCodeISO639_1", lang)
    _d(core, "uniqueIdentifier", _nonempty(cert.get("number"), "number"))
    _identifications(core, cert.get("identifications", []), "identifications")
    if cert.get("receipt_date"):
        _d(core, "receiptDate", _date(cert["receipt_date"], "receipt_date"))
    begin = _date(cert.get("begin_date"), "begin_date")
    end = _date(cert.get("end_date", cert.get("begin_date")), "end_date")
    if end < begin:
        raise DccBuildError("end_date is before begin_date")
    _d(core, "beginPerformanceDate", begin)
    _d(core, "endPerformanceDate", end)
    location = cert.get("performance_location", "laboratory")
    if location not in ("laboratory", "customer", "laboratoryBranch", "customerBranch", "other"):
        raise DccBuildError(f"performance_location {location!r} is not allowed")
    _d(core, "performanceLocation", location)
    if cert.get("issue_date"):
        _d(core, "issueDate", _date(cert["issue_date"], "issue_date"))
    replaces = cert.get("replaces")
    if replaces:
        change = replaces.get("type", "substituted")
        if change not in ("amended", "substituted"):
            raise DccBuildError("replaces.type must be 'amended' or 'substituted'")
        node = _d(core, "reportAmendedSubstituted")
        _d(node, "typeOfChange", change)
        _d(node, "replacedUniqueIdentifier", _nonempty(replaces.get("number"), "replaces.number"))


def _items(admin: etree._Element, cert: Mapping[str, Any]) -> None:
    items = list(cert.get("items", []))
    if not items:
        raise DccBuildError("items: at least one calibration item is required")
    parent = _d(admin, "items")
    for i, item in enumerate(items):
        what = f"items[{i}]"
        elem = _d(parent, "item")
        _text(elem, "name", item.get("name"), f"{what}.name")
        if item.get("description"):
            _rich(elem, "description", item["description"], f"{what}.description")
        if item.get("manufacturer"):
            maker = item["manufacturer"]
            maker = maker if isinstance(maker, Mapping) and "name" in maker else {"name": maker}
            _contact(elem, "manufacturer", maker, f"{what}.manufacturer", strict=False)
        if item.get("model"):
            _d(elem, "model", _nonempty(item["model"], f"{what}.model"))
        ids = []
        if item.get("serial_number"):
            ids.append(
                {
                    "issuer": "manufacturer",
                    "value": item["serial_number"],
                    "name": {"zh": "出厂编号", "en": "Serial number"},
                }
            )
        ids.extend(item.get("identifications", []))
        if not ids:
            raise DccBuildError(f"{what}: a serial number or another identification is required")
        _identifications(elem, ids, f"{what}.identifications")
        quantities = list(item.get("quantities", []))
        if quantities:
            node = _d(elem, "itemQuantities")
            for j, q in enumerate(quantities):
                _quantity(node, q, f"{what}.quantities[{j}]", "expandedUnc", "itemQuantity")


def _resp_persons(admin: etree._Element, cert: Mapping[str, Any]) -> None:
    persons = list(cert.get("resp_persons", []))
    if not persons:
        raise DccBuildError(
            "resp_persons: the signers (metrologist, reviewer, approver) are needed"
        )
    parent = _d(admin, "respPersons")
    for i, person in enumerate(persons):
        what = f"resp_persons[{i}]"
        elem = _d(parent, "respPerson")
        _contact(elem, "person", person, what, strict=False)
        role = person.get("role")
        if role in ROLE_NAMES:
            _rich(elem, "description", ROLE_NAMES[role], f"{what}.role")
        if role:
            _d(elem, "role", _nonempty(role, f"{what}.role"))
        if person.get("main_signer") is not None:
            _d(elem, "mainSigner", "true" if person["main_signer"] else "false")


def _statement(parent: etree._Element, ref_type: str, **parts: Any) -> etree._Element:
    """``dcc:statement`` with its children in schema order (statementMetaDataType)."""
    elem = _d(parent, "statement", refType=ref_type)
    if parts.get("name"):
        _text(elem, "name", parts["name"], f"statement {ref_type}.name")
    if parts.get("traceable") is not None:
        _d(elem, "traceable", "true" if parts["traceable"] else "false")
    for norm in parts.get("norms", []):
        _d(elem, "norm", _nonempty(norm, f"statement {ref_type}.norm"))
    if parts.get("declaration"):
        _rich(elem, "declaration", parts["declaration"], f"statement {ref_type}.declaration")
    if parts.get("date"):
        _d(elem, "date", _date(parts["date"], f"statement {ref_type}.date"))
    if parts.get("conformity"):
        _d(elem, "conformity", _conformity(parts["conformity"], f"statement {ref_type}"))
    return elem


def _statements(admin: etree._Element, cert: Mapping[str, Any]) -> None:
    st = dict(cert.get("statements", {}))
    kind = cert.get("kind")
    parent = _d(admin, "statements")
    if kind:
        if kind not in KIND_NAMES:
            raise DccBuildError(f"kind must be one of {', '.join(KIND_NAMES)}")
        _statement(parent, "jl_certificateKind", name=KIND_NAMES[kind])
    if st.get("conformity") or st.get("conformity_declaration"):
        _statement(
            parent,
            "basic_conformity",
            name={"zh": "符合性声明", "en": "Statement of conformity"},
            norms=st.get("conformity_norms", []),
            declaration=st.get("conformity_declaration"),
            conformity=st.get("conformity"),
        )
    rule = st.get("decision_rule")
    if rule:
        rule = dict(rule)
        norms = rule.pop("norms", [])
        _statement(
            parent,
            "jl_decisionRule",
            name={"zh": "判定规则", "en": "Decision rule"},
            norms=norms,
            declaration=rule,
        )
    if st.get("traceability"):
        _statement(
            parent,
            "jl_traceability",
            name={"zh": "计量溯源性", "en": "Metrological traceability"},
            traceable=True,
            declaration=st["traceability"],
        )
    if st.get("due_date"):
        _statement(
            parent,
            "basic_recalibration",
            name={"zh": "有效期至 / 建议复校日期", "en": "Valid until / recalibration due"},
            date=st["due_date"],
        )
    for i, extra in enumerate(st.get("declarations", [])):
        if not extra.get("text"):
            raise DccBuildError(f"statements.declarations[{i}].text must not be empty")
        _statement(
            parent, extra.get("ref_type", ""), name=extra.get("name"), declaration=extra["text"]
        )
    if not len(parent):
        admin.remove(parent)


def _administrative_data(root: etree._Element, cert: Mapping[str, Any]) -> None:
    admin = _d(root, "administrativeData")
    software = _d(admin, "dccSoftware")
    entries = list(cert.get("software", [])) or [{"name": SOFTWARE_NAME, "release": "0.1.0"}]
    for i, sw in enumerate(entries):
        node = _d(software, "software")
        _text(node, "name", sw.get("name"), f"software[{i}].name")
        _d(node, "release", _nonempty(sw.get("release"), f"software[{i}].release"))
        if sw.get("type"):
            _d(node, "type", sw["type"])
    _core_data(admin, cert)
    _items(admin, cert)
    lab = cert.get("laboratory")
    if not lab:
        raise DccBuildError("laboratory is required")
    lab_elem = _d(admin, "calibrationLaboratory")
    if lab.get("code"):
        _d(lab_elem, "calibrationLaboratoryCode", _nonempty(lab["code"], "laboratory.code"))
    _contact(lab_elem, "contact", lab, "laboratory", strict=True)
    if lab.get("electronic_signature") is not None:
        flag = "true" if lab["electronic_signature"] else "false"
        _d(lab_elem, "cryptElectronicSignature", flag)
    _resp_persons(admin, cert)
    if not cert.get("customer"):
        raise DccBuildError("customer is required")
    _contact(admin, "customer", cert["customer"], "customer", strict=True)
    _statements(admin, cert)


def _measurement_results(root: etree._Element, cert: Mapping[str, Any], style: str) -> None:
    results = list(cert.get("results", []))
    if not results:
        raise DccBuildError("results: at least one measurement result is required")
    parent = _d(root, "measurementResults")
    mr = _d(parent, "measurementResult")
    _text(mr, "name", cert.get("results_name", {"zh": "测量结果", "en": "Measurement results"}), "")
    methods = list(cert.get("methods", []))
    if methods:
        node = _d(mr, "usedMethods")
        for i, m in enumerate(methods):
            what = f"methods[{i}]"
            elem = _d(node, "usedMethod", refType=m.get("ref_type", ""))
            _text(elem, "name", m.get("name") or m.get("code"), f"{what}.name")
            if m.get("description"):
                _rich(elem, "description", m["description"], f"{what}.description")
            if m.get("code"):
                _d(elem, "norm", _nonempty(m["code"], f"{what}.code"))
    software = list(cert.get("used_software", []))
    if software:
        node = _d(mr, "usedSoftware")
        for i, sw in enumerate(software):
            elem = _d(node, "software")
            _text(elem, "name", sw.get("name"), f"used_software[{i}].name")
            _d(elem, "release", _nonempty(sw.get("release"), f"used_software[{i}].release"))
    standards = list(cert.get("standards", []))
    if standards:
        node = _d(mr, "measuringEquipments")
        for i, s in enumerate(standards):
            _standard(node, s, f"standards[{i}]")
    conditions = list(cert.get("conditions", []))
    if conditions:
        node = _d(mr, "influenceConditions")
        for i, c in enumerate(conditions):
            _condition(node, c, f"conditions[{i}]", style)
    res_parent = _d(mr, "results")
    for i, r in enumerate(results):
        what = f"results[{i}]"
        elem = _d(res_parent, "result", refType=r.get("ref_type", ""))
        _text(elem, "name", r.get("name"), f"{what}.name")
        if r.get("description"):
            _rich(elem, "description", r["description"], f"{what}.description")
        data = _d(elem, "data")
        quantities = list(r.get("quantities", []))
        if not quantities:
            raise DccBuildError(f"{what}.quantities must not be empty")
        for j, q in enumerate(quantities):
            _quantity(data, q, f"{what}.quantities[{j}]", style)


def _standard(parent: etree._Element, s: Mapping[str, Any], what: str) -> None:
    elem = _d(parent, "measuringEquipment", refType=s.get("ref_type", "basic_normalUsed"))
    _text(elem, "name", s.get("name"), f"{what}.name")
    if s.get("description"):
        _rich(elem, "description", s["description"], f"{what}.description")
    if s.get("certificate_sha256"):
        cert = _d(elem, "certificate")
        _text(cert, "referral", s.get("certificate_issuer") or "-", f"{what}.certificate_issuer")
        _d(cert, "referralID", _nonempty(s.get("certificate_number"), f"{what}.certificate_number"))
        _d(cert, "procedure", "SHA-256")
        _d(cert, "value", _nonempty(s["certificate_sha256"], f"{what}.certificate_sha256"))
        _d(cert, "traceable", "true")
    if s.get("manufacturer"):
        _contact(elem, "manufacturer", {"name": s["manufacturer"]}, f"{what}.manufacturer", False)
    if s.get("model"):
        _d(elem, "model", _nonempty(s["model"], f"{what}.model"))
    ids = []
    if s.get("serial_number"):
        ids.append(
            {
                "issuer": "manufacturer",
                "value": s["serial_number"],
                "name": {"zh": "出厂编号", "en": "Serial number"},
            }
        )
    if s.get("certificate_number"):
        name = {"zh": "检定/校准证书编号", "en": "Calibration certificate number"}
        if s.get("certificate_issuer"):
            issuer = s["certificate_issuer"]
            issuer_zh = issuer.get("zh") if isinstance(issuer, Mapping) else issuer
            issuer_en = issuer.get("en", issuer_zh) if isinstance(issuer, Mapping) else issuer
            name = {"zh": f"{name['zh']}（{issuer_zh}）", "en": f"{name['en']} ({issuer_en})"}
        ids.append({"issuer": "other", "value": s["certificate_number"], "name": name})
    if s.get("valid_until"):
        ids.append(
            {
                "issuer": "other",
                "value": _date(s["valid_until"], f"{what}.valid_until"),
                "name": {"zh": "证书有效期至", "en": "Certificate valid until"},
            }
        )
    ids.extend(s.get("identifications", []))
    _identifications(elem, ids, f"{what}.identifications")
    quantities = list(s.get("quantities", []))
    if quantities:
        node = _d(elem, "measuringEquipmentQuantities")
        for j, q in enumerate(quantities):
            _quantity(
                node, q, f"{what}.quantities[{j}]", "expandedUnc", "measuringEquipmentQuantity"
            )


_CONDITION_REFTYPES = {"temperature": "basic_temperature", "humidity": "basic_humidityRelative"}
_CONDITION_NAMES = {
    "temperature": {"zh": "环境温度", "en": "Ambient temperature"},
    "humidity": {"zh": "相对湿度", "en": "Relative humidity"},
}


def _condition(parent: etree._Element, c: Mapping[str, Any], what: str, style: str) -> None:
    kind = c.get("kind", "")
    ref = c.get("ref_type") or _CONDITION_REFTYPES.get(kind, "")
    elem = _d(parent, "influenceCondition", refType=ref)
    _text(elem, "name", c.get("name") or _CONDITION_NAMES.get(kind), f"{what}.name")
    if c.get("description"):
        _rich(elem, "description", c["description"], f"{what}.description")
    data = _d(elem, "data")
    points = []
    if c.get("value") is not None:
        points.append(({"zh": "测量值", "en": "Value"}, c["value"], ref))
    if c.get("min") is not None:
        points.append(({"zh": "下限", "en": "Minimum"}, c["min"], f"{ref}Min" if ref else ""))
    if c.get("max") is not None:
        points.append(({"zh": "上限", "en": "Maximum"}, c["max"], f"{ref}Max" if ref else ""))
    if not points:
        raise DccBuildError(f"{what}: give value, or min and max")
    for name, value, qref in points:
        q = {"name": name, "value": value, "unit": c.get("unit"), "ref_type": qref}
        if c.get("uncertainty") is not None:
            q |= {
                k: c[k]
                for k in ("uncertainty", "coverage_factor", "coverage_probability")
                if k in c
            }
        _quantity(data, q, what, style)


def build_dcc(cert: Mapping[str, Any]) -> bytes:
    """Build a DCC 3.3.0 document (UTF-8 bytes with XML declaration) from a plain dict.

    Texts are either a ``str`` (language-neutral, e.g. a name) or a dict language → text
    (``{"zh": "电子天平", "en": "Electronic balance"}``) holding every mandatory language.
    Dates are ``datetime.date`` or ISO strings.  Numbers may be ``str``, ``Decimal``, ``int``
    or ``float``; strings keep the digits as written (preferred: ``"0.0003"`` keeps its
    significant digits).  Units are D-SI strings or anything :func:`pint_to_dsi`
    reads (``"mg"``, ``"°C"``, ``"%"``).  Keys (``*`` = required):

    ``number``*
        certificate number → ``coreData/uniqueIdentifier``.
    ``kind``
        ``"verification"`` (检定证书), ``"verification_notice"`` (检定结果通知书) or
        ``"calibration"`` (校准证书) → statement ``jl_certificateKind``.
    ``country`` (``"CN"``), ``languages`` (``["zh", "en"]``), ``mandatory_languages``
    (``["zh"]``)
        → ``countryCodeISO3166_1``, ``usedLangCodeISO639_1``, ``mandatoryLangCodeISO639_1``.
    ``begin_date``*, ``end_date`` (= begin), ``receipt_date``, ``issue_date``
        → ``beginPerformanceDate`` etc.
    ``performance_location``
        ``laboratory`` (default), ``customer``, ``laboratoryBranch``, ``customerBranch``,
        ``other``.
    ``identifications``
        list of ``{"issuer", "value", "name"}`` for the certificate (e.g. the order number).
    ``replaces``
        ``{"number": ..., "type": "substituted" | "amended"}`` → ``reportAmendedSubstituted``.
    ``software``
        list of ``{"name", "release", "type"}`` → ``dccSoftware`` (default: Jiliang).
    ``items``*
        list of ``{"name"*, "manufacturer", "model", "serial_number", "identifications",
        "description", "quantities"}`` (the instrument; ``quantities`` are item quantities
        such as the measuring range, same keys as result quantities).
    ``laboratory``*
        ``{"name"*, "code", "email", "phone", "fax", "link", "location"*,
        "electronic_signature"}``; a location is ``{"street", "street_no", "post_code",
        "city", "state", "country_code", "further"}``.
    ``resp_persons``*
        list of ``{"name"*, "role", "main_signer"}``; ``role`` ``metrologist`` / ``reviewer``
        / ``approver`` adds the Chinese and English role names.
    ``customer``*
        ``{"name"*, "email", "phone", "location"*}``.
    ``statements``
        ``{"conformity": "pass" | "fail" | ..., "conformity_declaration": text,
        "conformity_norms": [...], "decision_rule": {"zh": ..., "en": ..., "norms": [...]},
        "traceability": text, "due_date": date, "declarations": [{"ref_type", "text"}]}``.
    ``methods``
        list of ``{"code" (JJG/JJF number → norm), "name", "description", "ref_type"}``.
    ``used_software``
        list of ``{"name", "release"}``.
    ``standards``
        the measurement standards used (the traceability chain): list of ``{"name"*,
        "manufacturer", "model", "serial_number", "certificate_number",
        "certificate_issuer", "valid_until", "certificate_sha256", "quantities"}``.
    ``conditions``
        list of ``{"kind": "temperature" | "humidity" | other, "name", "value" or
        "min"/"max", "unit"}``.
    ``results``*
        list of ``{"name"*, "description", "ref_type", "quantities"*}``; a quantity is
        ``{"name", "value"*, "unit"*, "uncertainty", "coverage_factor" (2),
        "coverage_probability" ("0.95"), "distribution", "ref_type", "conformity"}``.
    ``uncertainty_element``
        ``"expandedUnc"`` (default, ``si:expandedUnc``) or ``"expandedMU"`` (the D-SI 2.2
        ``si:measurementUncertaintyUnivariate/si:expandedMU`` form).

    Raises :class:`DccBuildError` naming the key at fault.  See :data:`EXAMPLE_CERT`.
    """
    style = cert.get("uncertainty_element", "expandedUnc")
    if style not in ("expandedUnc", "expandedMU"):
        raise DccBuildError("uncertainty_element must be 'expandedUnc' or 'expandedMU'")
    root = etree.Element(
        f"{{{DCC_NS}}}digitalCalibrationCertificate", {"schemaVersion": "3.3.0"}, nsmap=_NSMAP
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{DCC_NS} {DCC_NS}/v3.3.0/dcc.xsd")
    languages = list(cert.get("languages", ["zh", "en"]))
    token = _MANDATORY.set(tuple(cert.get("mandatory_languages", languages[:1])))
    try:
        _administrative_data(root, cert)
        _measurement_results(root, cert, style)
    finally:
        _MANDATORY.reset(token)
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


EXAMPLE_CERT: dict[str, Any] = {
    "number": "ZJJL-2026-J000123",
    "kind": "verification",
    "country": "CN",
    "languages": ["zh", "en"],
    "mandatory_languages": ["zh"],
    "receipt_date": "2026-11-20",
    "begin_date": "2026-11-23",
    "end_date": "2026-11-23",
    "issue_date": "2026-11-25",
    "performance_location": "laboratory",
    "identifications": [
        {
            "issuer": "calibrationLaboratory",
            "value": "WT-2026-04567",
            "name": {"zh": "委托单号", "en": "Order number"},
        }
    ],
    "software": [{"name": "Jiliang", "release": "0.1.0", "type": "application"}],
    "items": [
        {
            "name": {"zh": "电子天平", "en": "Electronic balance"},
            "manufacturer": "梅特勒-托利多",
            "model": "ME204E",
            "serial_number": "B712345678",
            "identifications": [
                {
                    "issuer": "customer",
                    "value": "ZC-0815",
                    "name": {"zh": "设备编号", "en": "Asset number"},
                }
            ],
            "quantities": [
                {"name": {"zh": "最大秤量", "en": "Maximum capacity"}, "value": "220", "unit": "g"},
                {
                    "name": {"zh": "检定分度值 e", "en": "Verification scale interval e"},
                    "value": "1",
                    "unit": "mg",
                },
            ],
        }
    ],
    "laboratory": {
        "name": {"zh": "浙江省计量科学研究院", "en": "Zhejiang Institute of Metrology"},
        "code": "CNAS L0000",
        "email": "lab@example.org",
        "phone": "+86 571 0000 0000",
        "location": {
            "street": "学源街",
            "street_no": "300",
            "post_code": "310018",
            "city": "杭州市",
            "state": "浙江省",
            "country_code": "CN",
        },
        "electronic_signature": True,
    },
    "resp_persons": [
        {"name": "王小明", "role": "metrologist"},
        {"name": "李华", "role": "reviewer"},
        {"name": "张建国", "role": "approver", "main_signer": True},
    ],
    "customer": {
        "name": "杭州示例食品有限公司",
        "location": {"city": "杭州市", "state": "浙江省", "country_code": "CN"},
    },
    "statements": {
        "conformity": "pass",
        "conformity_norms": ["JJG 1036-2022"],
        "conformity_declaration": {
            "zh": "经检定，该电子天平符合 JJG 1036-2022 规定的 I 级要求。",
            "en": "The balance meets the requirements of accuracy class I of JJG 1036-2022.",
        },
        "decision_rule": {
            "zh": "按 JJG 1036-2022 规定的最大允许误差判定，不考虑测量不确定度（简单接受）。",
            "en": "Compared with the maximum permissible errors of JJG 1036-2022; measurement "
            "uncertainty is not taken into account (simple acceptance).",
            "norms": ["JJF 1059.1-2012"],
        },
        "traceability": {
            "zh": "本证书所用计量标准可溯源至国家计量基准。",
            "en": "The standards used are traceable to the national measurement standards "
            "of China.",
        },
        "due_date": "2027-11-22",
    },
    "methods": [
        {
            "code": "JJG 1036-2022",
            "name": {
                "zh": "电子天平检定规程",
                "en": "Verification regulation of electronic balances",
            },
        },
    ],
    "standards": [
        {
            "name": {"zh": "E2 等级砝码组", "en": "Weight set, class E2"},
            "manufacturer": "示例砝码厂",
            "serial_number": "E2-2019-0042",
            "certificate_number": "ZJJL-2026-Z000456",
            "certificate_issuer": {
                "zh": "浙江省计量科学研究院",
                "en": "Zhejiang Institute of Metrology",
            },
            "valid_until": "2027-03-14",
        }
    ],
    "conditions": [
        {"kind": "temperature", "value": "20.3", "unit": "°C"},
        {"kind": "humidity", "value": "45", "unit": "%"},
    ],
    "results": [
        {
            "name": {"zh": "示值误差 (200 g)", "en": "Error of indication (200 g)"},
            "quantities": [
                {
                    "name": {"zh": "标准值", "en": "Reference value"},
                    "value": "200.0000",
                    "unit": "g",
                    "ref_type": "basic_referenceValue",
                },
                {
                    "name": {"zh": "示值", "en": "Indication"},
                    "value": "200.0003",
                    "unit": "g",
                    "ref_type": "basic_measuredValue",
                },
                {
                    "name": {"zh": "示值误差", "en": "Error of indication"},
                    "value": "0.3",
                    "unit": "mg",
                    "uncertainty": "0.2",
                    "coverage_factor": "2",
                    "coverage_probability": "0.95",
                    "ref_type": "basic_measurementError",
                    "conformity": "pass",
                },
                {
                    "name": {"zh": "最大允许误差", "en": "Maximum permissible error"},
                    "value": "1.0",
                    "unit": "mg",
                },
            ],
        }
    ],
}
