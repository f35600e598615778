"""Enveloped XML signatures on DCC documents (W3C XMLDSig 1.1, ECDSA P-256 with SHA-256).

Profile (what :func:`sign_dcc` writes and :func:`verify_dcc_signature` demands):

* ``ds:Signature`` as the last child of ``dcc:digitalCalibrationCertificate`` (DCC 3.3.0
  allows ``ds:Signature`` there, after ``dcc:document``);
* ``SignatureMethod`` ``http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`` (RFC 6931), the
  value being the raw ``r || s`` pair as XMLDSig 1.1 requires (not DER);
* one ``Reference`` with ``URI=""`` (the whole document), transforms ``enveloped-signature``
  then exclusive C14N 1.0, digest SHA-256;
* ``KeyInfo`` with the ``dsig11:ECKeyValue`` of the key, or the X.509 certificate when one is
  given.

The signing and verification are done by the ``signxml`` library (on lxml), configured to this
profile only.  Trust comes from the public key the caller pins, never from the ``KeyInfo``.

Byte exactness.  XMLDSig signs the canonical form of the infoset, so some byte changes (a
space inside a tag, the quotes of the XML declaration) would not break the signature alone.
:func:`sign_dcc` therefore writes the signed document in canonical form (C14N 1.0 of the root
after a fixed XML declaration), and :func:`verify_dcc_signature` with ``strict=True`` (the
default) requires the bytes to be exactly that form: then every changed byte fails.  Documents
signed elsewhere are checked with ``strict=False``.  Signed bytes must be stored as they are,
never re-serialised.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from .safexml import DCC_NS, DS_NS, DccXmlError, parse_xml

__all__ = [
    "DccSignatureError",
    "XML_DECLARATION",
    "sign_dcc",
    "verify_dcc_signature",
    "canonical_document",
]

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_DS = {"ds": DS_NS}


class DccSignatureError(ValueError):
    """The DCC is not signed, not signed as Jiliang requires, or the signature fails."""


def _load_private_key(private_key_pem: bytes | str | ec.EllipticCurvePrivateKey):
    key: Any
    if isinstance(private_key_pem, ec.EllipticCurvePrivateKey):
        key = private_key_pem
    else:
        data = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise DccSignatureError(f"cannot read the private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise DccSignatureError("the signing key must be an ECDSA P-256 (secp256r1) key")
    return key


def _load_public(
    value: bytes | str | ec.EllipticCurvePublicKey | x509.Certificate | None,
) -> tuple[ec.EllipticCurvePublicKey | None, x509.Certificate | None]:
    """(public key, certificate or None) from a key, a certificate, or their PEM."""
    key: Any
    cert: x509.Certificate | None
    if value is None:
        return None, None
    if isinstance(value, x509.Certificate):
        key = value.public_key()
        cert = value
    elif isinstance(value, ec.EllipticCurvePublicKey):
        key, cert = value, None
    else:
        data = value.encode() if isinstance(value, str) else bytes(value)
        try:
            if b"CERTIFICATE" in data:
                cert = x509.load_pem_x509_certificate(data)
                key = cert.public_key()
            else:
                cert, key = None, serialization.load_pem_public_key(data)
        except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
            raise DccSignatureError(f"cannot read the public key or certificate: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise DccSignatureError("the public key must be an ECDSA P-256 (secp256r1) key")
    return key, cert


def _spki(key: Any) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


DSIG11_NS = "http://www.w3.org/2009/xmldsig11#"
P256_URN = "urn:oid:1.2.840.10045.3.1.7"


def _key_info(public_key: ec.EllipticCurvePublicKey, cert: x509.Certificate | None):
    """The exact ``ds:KeyInfo`` we write: the certificate, or the ECKeyValue (XMLDSig 1.1)."""
    key_info = etree.Element(f"{{{DS_NS}}}KeyInfo", nsmap={"ds": DS_NS})
    if cert is not None:
        data = etree.SubElement(key_info, f"{{{DS_NS}}}X509Data")
        der = cert.public_bytes(serialization.Encoding.DER)
        etree.SubElement(data, f"{{{DS_NS}}}X509Certificate").text = base64.b64encode(der)
    else:
        value = etree.SubElement(key_info, f"{{{DS_NS}}}KeyValue")
        ec_value = etree.SubElement(
            value, f"{{{DSIG11_NS}}}ECKeyValue", nsmap={"dsig11": DSIG11_NS}
        )
        etree.SubElement(ec_value, f"{{{DSIG11_NS}}}NamedCurve", URI=P256_URN)
        point = public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        etree.SubElement(ec_value, f"{{{DSIG11_NS}}}PublicKey").text = base64.b64encode(point)
    return key_info


def _exc_c14n(elem: etree._Element) -> bytes:
    return etree.tostring(elem, method="c14n", exclusive=True)


def canonical_document(root: etree._Element) -> bytes:
    """The byte form Jiliang stores signed DCCs in: XML declaration + C14N 1.0 of the root."""
    return XML_DECLARATION + etree.tostring(root, method="c14n")


def _dcc_root(xml_bytes: bytes) -> etree._Element:
    try:
        tree = parse_xml(xml_bytes)
    except DccXmlError as exc:
        raise DccSignatureError(f"cannot read the document: {exc}") from exc
    root = tree.getroot()
    if root.tag != f"{{{DCC_NS}}}digitalCalibrationCertificate":
        raise DccSignatureError("the document is not a dcc:digitalCalibrationCertificate")
    return root


def sign_dcc(
    xml_bytes: bytes,
    private_key_pem: bytes | str | ec.EllipticCurvePrivateKey,
    certificate_or_public_key: bytes | str | ec.EllipticCurvePublicKey | x509.Certificate | None,
) -> bytes:
    """Add an enveloped ECDSA P-256/SHA-256 XML signature; return the signed bytes.

    ``certificate_or_public_key`` must belong to ``private_key_pem``: with an X.509 certificate
    (object or PEM) the signature carries it in ``ds:X509Data``; with a public key (or None) it
    carries ``dsig11:ECKeyValue``.  The result is in canonical form (see module docstring) and
    must be stored byte for byte.  A document that already holds a ``ds:Signature`` is
    refused: a second enveloped signature would break the first.
    """
    from signxml import (
        CanonicalizationMethod,
        DigestAlgorithm,
        SignatureMethod,
        XMLSigner,
        methods,
    )

    key = _load_private_key(private_key_pem)
    public_key, cert = _load_public(certificate_or_public_key)
    if public_key is not None and _spki(public_key) != _spki(key.public_key()):
        raise DccSignatureError("the certificate or public key does not belong to the private key")
    root = _dcc_root(xml_bytes)
    if root.find(".//ds:Signature", _DS) is not None:
        raise DccSignatureError("the document is already signed")
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    key_info = _key_info(key.public_key(), cert)
    signed = signer.sign(root, key=key, key_info=key_info)
    return canonical_document(signed)


def _check_profile(signature: etree._Element) -> None:
    """Refuse anything but the one profile we sign with (no algorithm or reference games)."""

    def alg(path: str) -> list[str | None]:
        return [e.get("Algorithm") for e in signature.findall(path, _DS)]

    if alg("ds:SignedInfo/ds:SignatureMethod") != [ECDSA_SHA256]:
        raise DccSignatureError(f"signature method must be {ECDSA_SHA256}")
    if alg("ds:SignedInfo/ds:CanonicalizationMethod") != [EXC_C14N]:
        raise DccSignatureError(f"canonicalization must be exclusive C14N ({EXC_C14N})")
    refs = signature.findall("ds:SignedInfo/ds:Reference", _DS)
    if len(refs) != 1 or refs[0].get("URI") != "":
        raise DccSignatureError('the signature must have one Reference with URI="" (whole DCC)')
    if alg("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform") != [ENVELOPED, EXC_C14N]:
        raise DccSignatureError("transforms must be enveloped-signature then exclusive C14N")
    if alg("ds:SignedInfo/ds:Reference/ds:DigestMethod") != [SHA256]:
        raise DccSignatureError("the digest method must be SHA-256")


def _check_embedded_certificate(
    cert: x509.Certificate, trusted: x509.Certificate | None, expected_key: Any
) -> None:
    """The KeyInfo certificate is not covered by the XML signature: check it on its own.

    With a trusted certificate from the caller it must be that very certificate (byte for
    byte); with a bare public key it must be self-signed, its own signature intact, and hold
    that key.
    """
    try:
        if _spki(cert.public_key()) != _spki(expected_key):
            raise DccSignatureError("the document is signed with a different key")
        der = cert.public_bytes(serialization.Encoding.DER)
        if trusted is not None:
            if der != trusted.public_bytes(serialization.Encoding.DER):
                raise DccSignatureError("the embedded certificate is not the issuer's certificate")
            return
        if cert.issuer != cert.subject:
            raise DccSignatureError(
                "the signature carries a certificate issued by a CA: verify with that certificate"
            )
        # DER demands 0 unused bits in the signature BIT STRING; OpenSSL tolerates others, so a
        # changed byte there would otherwise go unnoticed (the rest is covered by the signature).
        if not der.endswith(b"\x00" + cert.signature):
            raise DccSignatureError("the embedded certificate is not valid DER (it was altered)")
        cert.verify_directly_issued_by(cert)
    except DccSignatureError:
        raise
    except (ValueError, TypeError, CryptoInvalidSignature, UnsupportedAlgorithm) as exc:
        raise DccSignatureError("the embedded certificate is unreadable or was altered") from exc


def verify_dcc_signature(
    xml_bytes: bytes,
    public_key: bytes | str | ec.EllipticCurvePublicKey | x509.Certificate,
    *,
    strict: bool = True,
) -> None:
    """Verify the enveloped signature of a DCC against a pinned ECDSA P-256 public key.

    ``public_key`` is the issuer's key (object or PEM) or its certificate; the ``KeyInfo`` of
    the document is only used after checking it is that same key (an embedded certificate
    must be the caller's certificate, or self-signed and intact when a bare key is given).
    Certificate validity dates are not enforced: the trust is the pinned key, so archived
    certificates stay verifiable after a key rotation.  With ``strict`` (default) the bytes
    must also be exactly the canonical form :func:`sign_dcc` writes, so that any changed byte
    fails.

    Returns None; raises :class:`DccSignatureError` with the reason.
    """
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput
    from signxml.exceptions import InvalidSignature as XmlInvalidSignature

    expected_key, trusted_cert = _load_public(public_key)
    assert expected_key is not None
    root = _dcc_root(xml_bytes)
    all_signatures = list(root.iter(f"{{{DS_NS}}}Signature"))
    signatures = root.findall("ds:Signature", _DS)
    if not all_signatures:
        raise DccSignatureError("the document is not signed (no ds:Signature)")
    if len(all_signatures) != 1 or len(signatures) != 1 or root[-1] is not signatures[0]:
        raise DccSignatureError(
            "expected exactly one ds:Signature, as the last child of the DCC root element"
        )
    signature = signatures[0]
    _check_profile(signature)
    try:
        canonical = canonical_document(root) if strict else b""
    except etree.LxmlError as exc:  # e.g. a relative namespace URI, which C14N refuses
        raise DccSignatureError(f"the document cannot be canonicalised: {exc}") from exc

    config = SignatureConfiguration(
        require_x509=False,
        location="./",
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    x509_cert = None
    cert_elem = signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _DS)
    if cert_elem is not None:
        try:
            x509_cert = x509.load_der_x509_certificate(
                base64.b64decode("".join((cert_elem.text or "").split()), validate=True)
            )
        except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
            raise DccSignatureError(f"the embedded certificate is unreadable: {exc}") from exc
        _check_embedded_certificate(x509_cert, trusted_cert, expected_key)
        middle = (
            x509_cert.not_valid_before_utc
            + (x509_cert.not_valid_after_utc - x509_cert.not_valid_before_utc) / 2
        )
        config = replace(config, require_x509=True, verification_time=middle)
    try:
        result = XMLVerifier().verify(root, x509_cert=x509_cert, expect_config=config)
    except InvalidDigest as exc:
        raise DccSignatureError(
            "the signed content was changed after signing (digest mismatch)"
        ) from exc
    except XmlInvalidSignature as exc:
        raise DccSignatureError(f"the signature does not verify: {exc}") from exc
    except CryptoInvalidSignature as exc:
        raise DccSignatureError("the signature value does not verify") from exc
    except InvalidCertificate as exc:
        raise DccSignatureError(f"the embedded certificate is not acceptable: {exc}") from exc
    except InvalidInput as exc:
        raise DccSignatureError(f"the signature is malformed: {exc}") from exc
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, etree.LxmlError) as exc:
        raise DccSignatureError(f"the signature cannot be checked: {exc}") from exc
    if isinstance(result, list):  # pragma: no cover - expect_references=1 gives one result
        raise DccSignatureError("the signature must have exactly one reference")
    used = serialization.load_pem_public_key(result.signature_key)
    if _spki(used) != _spki(expected_key):
        raise DccSignatureError("the document is signed with a different key")
    if strict:
        # KeyInfo is outside the signed content: demand exactly the form we write.
        key_info = signature.find("ds:KeyInfo", _DS)
        if key_info is None or _exc_c14n(key_info) != _exc_c14n(_key_info(expected_key, x509_cert)):
            raise DccSignatureError(
                "the KeyInfo differs from the form Jiliang signs with: it was changed after "
                "signing (for a DCC signed elsewhere, verify with strict=False)"
            )
    if strict and bytes(xml_bytes) != canonical:
        raise DccSignatureError(
            "the bytes differ from the canonical form the DCC was signed in: the file was "
            "changed or re-serialised after signing"
        )
