"""Building DCC 3.3.0 documents and validating them (schema + D-SI units)."""

from __future__ import annotations

import copy
import socket
import urllib.request

import pytest

from jiliang.dcc import (
    EXAMPLE_CERT,
    DccBuildError,
    SchemaNotFoundError,
    build_dcc,
    read_dcc,
    validate_dcc,
)
from jiliang.dcc import validate as validate_module

from .conftest import MINIMAL_CERT, example


def test_example_cert_validates() -> None:
    xml = build_dcc(EXAMPLE_CERT)
    assert xml.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<dcc:digitalCalibrationCertificate'
    )
    assert validate_dcc(xml) == []


def test_minimal_cert_validates() -> None:
    assert validate_dcc(build_dcc(MINIMAL_CERT)) == []


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "calibration", "statements": {}},
        {"kind": "verification_notice", "statements": {"conformity": "fail"}},
        {"uncertainty_element": "expandedMU"},
        {"replaces": {"number": "ZJJL-2026-J000100", "type": "substituted"}},
        {"performance_location": "customer", "languages": ["zh"], "mandatory_languages": ["zh"]},
        {"conditions": [{"kind": "temperature", "min": "19.5", "max": "20.5", "unit": "°C"}]},
        {
            "standards": [
                {
                    "name": {"zh": "标准砝码", "en": "Standard weight"},
                    "certificate_number": "ZJJL-2026-Z000456",
                    "certificate_issuer": {"zh": "浙江省计量院", "en": "ZJIM"},
                    "certificate_sha256": "ab" * 32,
                    "quantities": [{"name": "m", "value": "200.00001", "unit": "g"}],
                }
            ],
            "used_software": [{"name": "Jiliang", "release": "0.1.0"}],
            "statements": {
                "declarations": [{"ref_type": "jl_note", "text": {"zh": "说明", "en": "Note"}}]
            },
        },
    ],
)
def test_certificate_variants_validate(example_cert: dict, change: dict) -> None:
    example_cert.update(change)
    assert validate_dcc(build_dcc(example_cert)) == []


def test_read_back(example_cert: dict) -> None:
    summary = read_dcc(build_dcc(example_cert))
    assert summary["number"] == "ZJJL-2026-J000123"
    assert summary["laboratory"]["name"]["zh"] == "浙江省计量科学研究院"
    assert [p["role"] for p in summary["resp_persons"]] == ["metrologist", "reviewer", "approver"]
    assert summary["items"][0]["identifications"][0]["value"] == "B712345678"
    assert summary["conformity"] == "pass"
    assert summary["methods"][0]["norms"] == ["JJG 1036-2022"]
    std = summary["standards"][0]["identifications"]
    assert any(i["value"] == "ZJJL-2026-Z000456" for i in std)
    error = summary["results"][0]["quantities"][2]
    assert error["unit"] == r"\milli\gram"
    assert (error["value"], error["uncertainty"], error["coverage_factor"]) == ("0.3", "0.2", "2")
    assert error["conformity"] == "pass"
    temperature = summary["conditions"][0]["quantities"][0]
    assert (temperature["value"], temperature["unit"]) == ("20.3", r"\degreecelsius")
    assert summary["signed"] is False


def test_shipped_valid_example_validates() -> None:
    assert validate_dcc(example("valid.xml")) == []
    summary = read_dcc(example("valid.xml"))
    assert summary["number"] == "1234"
    assert summary["results"][0]["quantities"][2]["values"][0] == "0.072"


def test_shipped_invalid_example_is_rejected_readably() -> None:
    problems = validate_dcc(example("invalid_schema.xml"))
    assert problems
    text = "\n".join(str(p) for p in problems)
    assert any(p.line == 17 and "uniqueIdentifier" in p.path for p in problems), text
    assert any("item" in p.path and "'dcc:name' expected" in p.message for p in problems), text
    for p in problems:
        assert p.kind == "schema" and p.line and p.message


def test_bad_units_are_reported() -> None:
    xml = example("valid.xml").replace(
        rb"<si:unit>\kelvin</si:unit>", rb"<si:unit>\Kelvin</si:unit>", 1
    )
    xml = xml.replace(rb"<si:unitXMLList>\kelvin", rb"<si:unitXMLList>K", 1)
    problems = validate_dcc(xml)
    assert [p.kind for p in problems] == ["unit", "unit"]
    assert r"'\\Kelvin'" in problems[0].message and "did you mean" in problems[0].message
    assert "'K'" in problems[1].message
    assert problems[0].line and problems[0].path.endswith("si:unit")


def test_not_a_dcc() -> None:
    assert "not dcc:digitalCalibrationCertificate" in validate_dcc(b"<a/>")[0].message
    assert validate_dcc(b"<a>")[0].kind == "xml"
    wrong_version = example("valid.xml").replace(b'schemaVersion="3.3.0"', b'schemaVersion="3.2.1"')
    assert "3.3.0" in validate_dcc(wrong_version)[0].message


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("number",), "  ", "number"),
        (("begin_date",), "23.11.2026", "begin_date"),
        (("items",), [], "items"),
        (("results", 0, "quantities", 0, "unit"), "furlong", "unit"),
        (("results", 0, "quantities", 0, "value"), float("nan"), "value"),
        (("results", 0, "quantities", 2, "coverage_factor"), "0.5", "coverage_factor"),
        (("results", 0, "quantities", 2, "coverage_probability"), "95", "coverage_probability"),
        (("results", 0, "quantities", 2, "uncertainty"), "-0.2", "uncertainty"),
        (("statements", "conformity"), "ok", "conformity"),
        (("laboratory", "location"), {}, "laboratory.location"),
        (("country",), "CHN", "country"),
    ],
)
def test_build_errors_name_the_key(path: tuple, value: object, message: str) -> None:
    cert = copy.deepcopy(EXAMPLE_CERT)
    target = cert
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(DccBuildError, match=message):
        build_dcc(cert)


def test_schema_dir_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JILIANG_DCC_SCHEMA_DIR")
    with pytest.raises(SchemaNotFoundError, match="JILIANG_DCC_SCHEMA_DIR"):
        validate_dcc(example("valid.xml"))
    monkeypatch.setenv("JILIANG_DCC_SCHEMA_DIR", "/nonexistent")
    with pytest.raises(SchemaNotFoundError):
        validate_dcc(example("valid.xml"))


def test_validation_never_uses_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example names https://ptb.de/dcc/v3.3.0/dcc.xsd; nothing may be fetched."""

    opened: list[str] = []
    real_open = urllib.request.OpenerDirector.open

    def local_only(self, url, *args, **kwargs):  # noqa: ANN001, ANN202
        name = url if isinstance(url, str) else url.full_url
        opened.append(name)
        if not name.startswith("file:"):
            raise AssertionError(f"network access attempted: {name}")
        return real_open(self, url, *args, **kwargs)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", local_only)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(validate_module, "_CACHE", {})  # load the schema afresh
    assert validate_dcc(example("valid.xml")) == []
    assert validate_dcc(build_dcc(EXAMPLE_CERT)) == []
    assert opened and all(url.startswith("file:") for url in opened)


def test_problems_are_in_plain_words() -> None:
    xml = (
        build_dcc(EXAMPLE_CERT)
        .replace(b"<si:coverageFactor>2<", b"<si:coverageFactor>0.5<")
        .replace(b"<si:coverageProbability>0.95<", b"<si:coverageProbability>95<")
        .replace(b"<si:value>200.0003<", b"<si:value>200,0003<")
        .replace(b">CN<", b">China<", 1)
    )
    problems = validate_dcc(xml)
    messages = [p.message for p in problems]
    assert len(problems) == 4, messages  # one problem per bad element
    assert any("coverage factor k >= 1" in m and "'0.5'" in m for m in messages)
    assert any("probability from 0 to 1" in m and "'95'" in m for m in messages)
    assert any("decimal number" in m and "'200,0003'" in m for m in messages)
    assert any("ISO 3166-1" in m and "'China'" in m for m in messages)


def test_multilingual_texts_need_the_mandatory_languages(example_cert: dict) -> None:
    example_cert["mandatory_languages"] = ["zh", "en"]
    assert validate_dcc(build_dcc(example_cert)) == []
    example_cert["items"][0]["name"] = {"zh": "电子天平"}
    with pytest.raises(DccBuildError, match=r"items\[0\].name: no text in mandatory.* en"):
        build_dcc(example_cert)
    example_cert["items"][0]["name"] = "ME204E balance"  # language-neutral text is fine
    assert validate_dcc(build_dcc(example_cert)) == []
