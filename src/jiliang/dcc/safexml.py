"""The one way this package parses XML: lxml with entities, DTDs and network access disabled.

User input never reaches a parser that could expand entities (billion laughs), load external
entities or DTDs (XXE), or fetch anything from the network.  A document that declares a
DOCTYPE at all is rejected before and after parsing: a DCC has no use for one.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["DccXmlError", "UnsafeXmlError", "safe_parser", "parse_xml", "NS", "DCC_NS", "SI_NS"]

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"dcc": DCC_NS, "si": SI_NS, "ds": DS_NS}

MAX_XML_BYTES = 50 * 1024 * 1024


class DccXmlError(ValueError):
    """The bytes are not well-formed XML (with the parser's line number when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


class UnsafeXmlError(DccXmlError):
    """The document declares a DOCTYPE or entities, which a DCC never needs."""


def safe_parser() -> etree.XMLParser:
    """A fresh lxml parser that resolves no entities and loads no DTD or network resource."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def _declares_doctype(head: bytes) -> bool:
    # Cheap pre-check on the raw bytes (UTF-8/ASCII and UTF-16 spellings) before parsing.
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        if marker in head or marker.decode().encode("utf-16-le") in head:
            return True
        if marker.decode().encode("utf-16-be") in head:
            return True
    return False


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML bytes; raise :class:`UnsafeXmlError` or :class:`DccXmlError`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("XML must be given as bytes")
    data = bytes(data)
    if len(data) > MAX_XML_BYTES:
        raise DccXmlError("document is too large")
    if _declares_doctype(data):
        raise UnsafeXmlError("DOCTYPE and entity declarations are not allowed in a DCC")
    try:
        tree = etree.ElementTree(etree.fromstring(data, safe_parser()))
    except etree.XMLSyntaxError as exc:
        raise DccXmlError(f"not well-formed XML: {exc.msg}", exc.lineno) from exc
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError("DOCTYPE declarations are not allowed in a DCC")
    for _ in tree.iter(etree.Entity):
        raise UnsafeXmlError("entity references are not allowed in a DCC")
    return tree
