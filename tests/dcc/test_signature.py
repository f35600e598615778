"""Enveloped XMLDSig (ECDSA P-256 / SHA-256, exclusive C14N) on DCC documents."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from jiliang.dcc import (
    EXAMPLE_CERT,
    DccSignatureError,
    build_dcc,
    read_dcc,
    sign_dcc,
    validate_dcc,
    verify_dcc_signature,
)
from jiliang.dcc.signature import canonical_document

from .conftest import MINIMAL_CERT, example

DS = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(0x1234_5678_9ABC_DEF0, ec.SECP256R1())


@pytest.fixture(scope="module")
def pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def signed(key: ec.EllipticCurvePrivateKey, pem: bytes) -> bytes:
    return sign_dcc(build_dcc(EXAMPLE_CERT), pem, key.public_key())


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jiliang test lab")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # long expired: the pinned key is the trust
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def test_round_trip(signed: bytes, key: ec.EllipticCurvePrivateKey) -> None:
    verify_dcc_signature(signed, key.public_key())
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verify_dcc_signature(signed, public_pem)
    verify_dcc_signature(signed, public_pem.decode())


def test_signed_document_is_a_valid_dcc(signed: bytes) -> None:
    assert validate_dcc(signed) == []
    assert read_dcc(signed)["signed"] is True
    root = etree.fromstring(signed)
    assert root[-1].tag == f"{DS}Signature"  # where DCC 3.3.0 puts it


def test_signature_profile(signed: bytes) -> None:
    sig = etree.fromstring(signed)[-1]
    algorithms = [e.get("Algorithm") for e in sig.iter() if e.get("Algorithm")]
    assert algorithms == [
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ]
    assert sig.find(f"{DS}SignedInfo/{DS}Reference").get("URI") == ""
    value = base64.b64decode(sig.find(f"{DS}SignatureValue").text)
    assert len(value) == 64  # raw r || s, not DER


def test_signed_bytes_are_canonical(signed: bytes) -> None:
    assert signed == canonical_document(etree.fromstring(signed))


def test_certificate_in_keyinfo(key: ec.EllipticCurvePrivateKey, pem: bytes) -> None:
    cert = _self_signed(key)
    signed = sign_dcc(build_dcc(MINIMAL_CERT), pem, cert)
    assert b"X509Certificate" in signed
    assert validate_dcc(signed) == []
    verify_dcc_signature(signed, key.public_key())
    verify_dcc_signature(signed, cert)
    verify_dcc_signature(signed, cert.public_bytes(serialization.Encoding.PEM))
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DccSignatureError, match="different key"):
        verify_dcc_signature(signed, other.public_key())


def test_wrong_key_is_refused(signed: bytes) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DccSignatureError, match="different key"):
        verify_dcc_signature(signed, other.public_key())


def test_key_mismatch_and_bad_keys(key: ec.EllipticCurvePrivateKey, pem: bytes) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DccSignatureError, match="does not belong"):
        sign_dcc(build_dcc(MINIMAL_CERT), pem, other.public_key())
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(DccSignatureError, match="P-256"):
        sign_dcc(build_dcc(MINIMAL_CERT), p384, None)
    with pytest.raises(DccSignatureError, match="private key"):
        sign_dcc(build_dcc(MINIMAL_CERT), b"not a key", None)


def test_unsigned_and_double_signed(
    signed: bytes, key: ec.EllipticCurvePrivateKey, pem: bytes
) -> None:
    with pytest.raises(DccSignatureError, match="not signed"):
        verify_dcc_signature(example("valid.xml"), key.public_key())
    with pytest.raises(DccSignatureError, match="already signed"):
        sign_dcc(signed, pem, key.public_key())


def test_profile_is_enforced(signed: bytes, key: ec.EllipticCurvePrivateKey) -> None:
    swaps = [
        (b"xmldsig-more#ecdsa-sha256", b"xmldsig-more#ecdsa-sha512", "signature method"),
        (b'<ds:Reference URI="">', b'<ds:Reference URI="#x">', "Reference"),
        (b"xmlenc#sha256", b"xmlenc#sha512", "digest"),
    ]
    for old, new, message in swaps:
        with pytest.raises(DccSignatureError, match=message):
            verify_dcc_signature(signed.replace(old, new), key.public_key())


def test_content_change_is_reported_as_such(signed: bytes, key: ec.EllipticCurvePrivateKey) -> None:
    changed = signed.replace(b"<si:value>200.0003</si:value>", b"<si:value>200.0002</si:value>")
    with pytest.raises(DccSignatureError, match="changed after signing"):
        verify_dcc_signature(changed, key.public_key())
    # Re-serialising (same infoset, other bytes) is caught in strict mode only.
    reserialised = etree.tostring(etree.fromstring(signed), xml_declaration=True, encoding="UTF-8")
    verify_dcc_signature(reserialised, key.public_key(), strict=False)
    with pytest.raises(DccSignatureError, match="canonical form"):
        verify_dcc_signature(reserialised, key.public_key())


def _mutations(data: bytes, positions: range) -> list[bytes]:
    out = []
    for i in positions:
        for delta in (1, 0x20):
            changed = bytearray(data)
            changed[i] = (changed[i] + delta) % 256
            out.append(bytes(changed))
    return out


def test_every_changed_byte_fails_small_document(key: ec.EllipticCurvePrivateKey, pem: bytes):
    signed = sign_dcc(build_dcc(MINIMAL_CERT), pem, key.public_key())
    failures = []
    for i, changed in enumerate(_mutations(signed, range(len(signed)))):
        try:
            verify_dcc_signature(changed, key.public_key())
        except DccSignatureError:
            continue
        failures.append(i // 2)
    assert failures == [], f"changes at bytes {failures[:10]} were accepted"


def test_changed_bytes_fail_throughout_example(signed: bytes, key: ec.EllipticCurvePrivateKey):
    # A stride through the whole example (every byte is covered by the small document test).
    for changed in _mutations(signed, range(0, len(signed), 13)):
        with pytest.raises(DccSignatureError):
            verify_dcc_signature(changed, key.public_key())


@pytest.mark.parametrize("trust", ["public key", "certificate"])
def test_changed_bytes_fail_with_certificate(
    key: ec.EllipticCurvePrivateKey, pem: bytes, trust: str
) -> None:
    cert = _self_signed(key)
    trusted = cert if trust == "certificate" else key.public_key()
    signed = sign_dcc(build_dcc(MINIMAL_CERT), pem, cert)
    verify_dcc_signature(signed, trusted)
    start = signed.index(b"<ds:KeyInfo>")
    for changed in _mutations(signed, range(start, len(signed))):
        with pytest.raises(DccSignatureError):
            verify_dcc_signature(changed, trusted)
    for changed in _mutations(signed, range(0, start, 7)):
        with pytest.raises(DccSignatureError):
            verify_dcc_signature(changed, trusted)


def test_ca_issued_certificate_needs_the_certificate(
    key: ec.EllipticCurvePrivateKey, pem: bytes
) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lab")]))
        .issuer_name(ca)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    signed = sign_dcc(build_dcc(MINIMAL_CERT), pem, cert)
    verify_dcc_signature(signed, cert)
    with pytest.raises(DccSignatureError, match="issued by a CA"):
        verify_dcc_signature(signed, key.public_key())
    with pytest.raises(DccSignatureError, match="not the issuer's certificate"):
        verify_dcc_signature(signed, _self_signed(key))
