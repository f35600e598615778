"""Summarise a DCC (any 3.x document, ours or imported) as a plain dict for display.

Only reads; does not validate (use :func:`jiliang.dcc.validate.validate_dcc` for that).
Texts come back as dicts language → text (``""`` for content without a language).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .safexml import NS, parse_xml

__all__ = ["read_dcc", "pick_text"]


def _texts(elem: etree._Element | None) -> dict[str, str]:
    """A dcc:textType / richContentType as {lang: text}."""
    if elem is None:
        return {}
    out: dict[str, str] = {}
    for content in elem.findall("dcc:content", NS):
        lang = content.get("lang") or ""
        text = " ".join((content.text or "").split())
        out[lang] = f"{out[lang]} {text}".strip() if lang in out else text
    return out


def pick_text(texts: dict[str, str], lang: str = "zh") -> str:
    """The text in ``lang``, else without language, else English, else any."""
    for key in (lang, "", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


def _one(elem: etree._Element | None, path: str) -> str | None:
    if elem is None:
        return None
    found = elem.find(path, NS)
    return " ".join(found.text.split()) if found is not None and found.text else None


def _identifications(elem: etree._Element) -> list[dict[str, Any]]:
    return [
        {
            "issuer": _one(ident, "dcc:issuer"),
            "value": _one(ident, "dcc:value"),
            "name": _texts(ident.find("dcc:name", NS)),
        }
        for ident in elem.findall("dcc:identifications/dcc:identification", NS)
    ]


def _uncertainty(real: etree._Element) -> dict[str, str | None]:
    unc = real.find("si:expandedUnc", NS)
    if unc is not None:
        return {
            "uncertainty": _one(unc, "si:uncertainty"),
            "coverage_factor": _one(unc, "si:coverageFactor"),
            "coverage_probability": _one(unc, "si:coverageProbability"),
        }
    mu = real.find("si:measurementUncertaintyUnivariate/si:expandedMU", NS)
    if mu is not None:
        return {
            "uncertainty": _one(mu, "si:valueExpandedMU"),
            "coverage_factor": _one(mu, "si:coverageFactor"),
            "coverage_probability": _one(mu, "si:coverageProbability"),
        }
    return {}


def _quantity(q: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": _texts(q.find("dcc:name", NS)),
        "ref_type": q.get("refType"),
    }
    conformity = q.find("dcc:measurementMetaData/dcc:metaData/dcc:conformity", NS)
    if conformity is None:
        conformity = q.find("dcc:measurementMetaData/dcc:metaData/dcc:conformityXMLList", NS)
    if conformity is not None:
        out["conformity"] = conformity.text
    real = q.find("si:real", NS)
    if real is not None:
        out |= {"value": _one(real, "si:value"), "unit": _one(real, "si:unit")}
        out |= _uncertainty(real)
        return out
    # Lists (si:realListXMLList, possibly inside si:hybrid): keep the first representation.
    lst = q.find(".//si:realListXMLList", NS)
    if lst is not None:
        out |= {
            "values": (_one(lst, "si:valueXMLList") or "").split(),
            "unit": _one(lst, "si:unitXMLList"),
        }
        unc = lst.find("si:expandedUncXMLList", NS)
        if unc is not None:
            out["uncertainty"] = _one(unc, "si:uncertaintyXMLList")
            out["coverage_factor"] = _one(unc, "si:coverageFactorXMLList")
            out["coverage_probability"] = _one(unc, "si:coverageProbabilityXMLList")
        return out
    no = q.find("dcc:noQuantity", NS)
    if no is not None:
        out["text"] = _texts(no)
    return out


def read_dcc(xml_bytes: bytes) -> dict[str, Any]:
    """Summarise a DCC for display: number, dates, laboratory, customer, signers, items,
    standards, methods, conditions, statements and results.

    Raises :class:`jiliang.dcc.safexml.DccXmlError` for XML that is not well formed or
    declares a DOCTYPE, and ``ValueError`` when the root is not a DCC.
    """
    root = parse_xml(xml_bytes).getroot()
    if root.tag != f"{{{NS['dcc']}}}digitalCalibrationCertificate":
        raise ValueError("not a DCC: the root element is not dcc:digitalCalibrationCertificate")
    admin = root.find("dcc:administrativeData", NS)
    core = admin.find("dcc:coreData", NS) if admin is not None else None
    lab = admin.find("dcc:calibrationLaboratory", NS) if admin is not None else None
    customer = admin.find("dcc:customer", NS) if admin is not None else None

    def all_(path: str) -> list[etree._Element]:
        return root.findall(path, NS)

    summary: dict[str, Any] = {
        "schema_version": root.get("schemaVersion"),
        "number": _one(core, "dcc:uniqueIdentifier"),
        "country": _one(core, "dcc:countryCodeISO3166_1"),
        "languages": [e.text for e in all_(".//dcc:coreData/dcc:usedLangCodeISO639_1")],
        "begin_date": _one(core, "dcc:beginPerformanceDate"),
        "end_date": _one(core, "dcc:endPerformanceDate"),
        "issue_date": _one(core, "dcc:issueDate"),
        "performance_location": _one(core, "dcc:performanceLocation"),
        "replaces": _one(core, "dcc:reportAmendedSubstituted/dcc:replacedUniqueIdentifier"),
        "laboratory": {
            "name": _texts(lab.find("dcc:contact/dcc:name", NS)) if lab is not None else {},
            "code": _one(lab, "dcc:calibrationLaboratoryCode"),
            "city": _one(lab, "dcc:contact/dcc:location/dcc:city"),
        },
        "customer": {
            "name": _texts(customer.find("dcc:name", NS)) if customer is not None else {},
            "city": _one(customer, "dcc:location/dcc:city"),
        },
        "resp_persons": [
            {
                "name": _texts(p.find("dcc:person/dcc:name", NS)),
                "role": _one(p, "dcc:role"),
                "main_signer": _one(p, "dcc:mainSigner") == "true",
            }
            for p in all_("dcc:administrativeData/dcc:respPersons/dcc:respPerson")
        ],
        "items": [
            {
                "name": _texts(item.find("dcc:name", NS)),
                "manufacturer": _texts(item.find("dcc:manufacturer/dcc:name", NS)),
                "model": _one(item, "dcc:model"),
                "identifications": _identifications(item),
            }
            for item in all_("dcc:administrativeData/dcc:items/dcc:item")
        ],
        "statements": [
            {
                "ref_type": st.get("refType"),
                "name": _texts(st.find("dcc:name", NS)),
                "norms": [n.text for n in st.findall("dcc:norm", NS)],
                "declaration": _texts(st.find("dcc:declaration", NS)),
                "conformity": _one(st, "dcc:conformity"),
                "date": _one(st, "dcc:date"),
            }
            for st in all_("dcc:administrativeData/dcc:statements/dcc:statement")
        ],
        "methods": [
            {
                "name": _texts(m.find("dcc:name", NS)),
                "norms": [n.text for n in m.findall("dcc:norm", NS)],
            }
            for m in all_(".//dcc:usedMethods/dcc:usedMethod")
        ],
        "standards": [
            {
                "name": _texts(e.find("dcc:name", NS)),
                "model": _one(e, "dcc:model"),
                "identifications": _identifications(e),
                "certificate": _one(e, "dcc:certificate/dcc:referralID"),
            }
            for e in all_(".//dcc:measuringEquipments/dcc:measuringEquipment")
        ],
        "conditions": [
            {
                "name": _texts(c.find("dcc:name", NS)),
                "ref_type": c.get("refType"),
                "quantities": [_quantity(q) for q in c.findall("dcc:data/dcc:quantity", NS)],
            }
            for c in all_(".//dcc:influenceConditions/dcc:influenceCondition")
        ],
        "results": [
            {
                "name": _texts(r.find("dcc:name", NS)),
                "ref_type": r.get("refType"),
                "quantities": [
                    _quantity(q)
                    for q in r.xpath(
                        "dcc:data//dcc:quantity[not(ancestor::dcc:measurementMetaData)]",
                        namespaces=NS,
                    )
                ],
            }
            for r in all_("dcc:measurementResults/dcc:measurementResult/dcc:results/dcc:result")
        ],
        "signed": root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None,
    }
    conformity = [s["conformity"] for s in summary["statements"] if s["conformity"]]
    summary["conformity"] = conformity[0] if conformity else None
    return summary
