"""Validation of DCC documents: the PTB schema 3.3.0 (with D-SI 2.2.1) plus our D-SI unit check.

The schema files are not shipped with Jiliang.  They are read from the folder named by the
environment variable ``JILIANG_DCC_SCHEMA_DIR`` (or the ``schema_dir`` argument), laid out as
published with local imports::

    <dir>/v3.3.0/dcc.xsd           imports ../dsi/v2.2.1.xsd and ../xmldsig-core-schema.xsd
    <dir>/dsi/v2.2.1.xsd           imports ../qudt/v2.2.1.xsd

xmlschema is run with ``allow="local"`` (no URL other than a local file is ever opened),
``defuse="always"`` and no location hints from the instance document, so validation never
touches the network even when a document names ``https://ptb.de/dcc/v3.3.0/dcc.xsd``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import xmlschema
from lxml import etree

from .safexml import DCC_NS, SI_NS, DccXmlError, parse_xml
from .units import DsiUnitError, check_dsi_unit

__all__ = ["Problem", "SchemaNotFoundError", "load_schema", "schema_dir", "validate_dcc"]

SCHEMA_VERSION = "3.3.0"
_MAIN = Path("v3.3.0") / "dcc.xsd"
_LOCK = threading.Lock()
_CACHE: dict[Path, xmlschema.XMLSchema] = {}


class SchemaNotFoundError(RuntimeError):
    """``JILIANG_DCC_SCHEMA_DIR`` is not set or does not hold the DCC 3.3.0 schema."""


@dataclass(frozen=True)
class Problem:
    """One reason a document is not a valid DCC: where (line, XPath-like path) and why."""

    line: int | None
    path: str
    message: str
    kind: str = "schema"  # "xml", "schema" or "unit"

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "document"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def schema_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The schema folder: ``path`` or ``$JILIANG_DCC_SCHEMA_DIR``; checked to hold dcc.xsd."""
    raw = path if path is not None else os.environ.get("JILIANG_DCC_SCHEMA_DIR")
    if not raw:
        raise SchemaNotFoundError(
            "set JILIANG_DCC_SCHEMA_DIR to the folder holding v3.3.0/dcc.xsd (the PTB DCC schema)"
        )
    folder = Path(raw).expanduser().resolve()
    if not (folder / _MAIN).is_file():
        raise SchemaNotFoundError(f"{folder / _MAIN} not found (JILIANG_DCC_SCHEMA_DIR)")
    return folder


def _remote_to_local(folder: Path) -> dict[str, str]:
    """Map the official schema URLs to the local copies, should a schema name them."""
    local = {
        "https://ptb.de/dcc/v3.3.0/dcc.xsd": folder / _MAIN,
        "https://ptb.de/si/v2.2.1/SI_Format.xsd": folder / "dsi" / "v2.2.1.xsd",
        "https://ptb.de/si/v2.2.1/si.xsd": folder / "dsi" / "v2.2.1.xsd",
        "https://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd": folder
        / "xmldsig-core-schema.xsd",
        "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd": folder
        / "xmldsig-core-schema.xsd",
    }
    return {url: path.as_uri() for url, path in local.items() if path.is_file()}


def load_schema(path: str | os.PathLike[str] | None = None) -> xmlschema.XMLSchema:
    """Load (once per folder) the DCC 3.3.0 schema from local files only."""
    folder = schema_dir(path)
    with _LOCK:
        schema = _CACHE.get(folder)
        if schema is None:
            schema = xmlschema.XMLSchema(
                str(folder / _MAIN),
                allow="local",
                defuse="always",
                uri_mapper=_remote_to_local(folder),
            )
            _CACHE[folder] = schema
    return schema


def _short_path(path: str | None) -> str:
    return (path or "").replace("/dcc:digitalCalibrationCertificate", "", 1) or "/"


# Plain words for the patterns of the DCC and D-SI simple types.
_PATTERN_WORDS = {
    r"[^\s]+(\s+[^\s]+)*": "must be a non-empty text without leading or trailing spaces",
    r"\+?(([1-9]\d*\.\d*)|([1-9]\d*))|NaN": "must be a coverage factor k >= 1, such as 2",
    r"\+?((0(\.\d*)?)|(1(\.0*)?))|NaN": "must be a probability from 0 to 1 without exponent, "
    "such as 0.95",
    r"[-+]?((\d*\.\d+)|(\d+\.\d*)|(\d+\.?))([Ee][-+]?\d+)?|NaN": "must be a decimal number "
    "such as 1.25 or 1.2E-3",
    r"\+?((\d*\.\d+)|(\d+\.\d*)|(\d+\.?))([Ee][-+]?\d+)?|NaN": "must be a non-negative "
    "decimal number",
    "[A-Z]{2}": "must be a two-letter ISO 3166-1 country code such as CN",
    "[a-z]{2}": "must be a two-letter ISO 639-1 language code such as zh",
}


def _plain_reason(error: xmlschema.XMLSchemaValidationError) -> str:
    reason = error.reason or error.message
    if "doesn't match any pattern" in reason:
        for pattern, words in _PATTERN_WORDS.items():
            if repr(pattern) in reason:
                reason = words
                break
    if isinstance(error.obj, str) and len(error.obj) < 80 and "got" not in reason:
        reason += f" (got {error.obj!r})"
    return reason


def _schema_problems(schema: xmlschema.XMLSchema, tree: etree._ElementTree) -> list[Problem]:
    problems = []
    seen: set[tuple[int | None, str]] = set()
    for error in schema.iter_errors(tree, use_location_hints=False):
        # One problem per element: the pattern, the xs:double lexical check and the float
        # conversion of one bad value would otherwise give three messages.
        where = (error.sourceline, _short_path(error.path))
        if where in seen:
            continue
        seen.add(where)
        reason = _plain_reason(error)
        elem = error.elem
        name = ""
        if elem is not None and isinstance(elem.tag, str):
            name = etree.QName(elem).localname
        message = f"<{name}>: {reason}" if name else reason
        problems.append(Problem(error.sourceline, _short_path(error.path), message))
    return problems


def _unit_problems(tree: etree._ElementTree) -> list[Problem]:
    problems = []
    unit_tags = {f"{{{SI_NS}}}unit", f"{{{SI_NS}}}unitXMLList", f"{{{SI_NS}}}unitPhase"}
    for elem in tree.iter(*unit_tags):
        text = (elem.text or "").strip()
        units = text.split() if elem.tag.endswith("XMLList") else [text]
        for unit in units or [""]:
            try:
                check_dsi_unit(unit)
            except DsiUnitError as exc:
                problems.append(
                    Problem(elem.sourceline, _short_path(tree.getpath(elem)), str(exc), "unit")
                )
    return problems


def validate_dcc(
    xml_bytes: bytes, schema_path: str | os.PathLike[str] | None = None
) -> list[Problem]:
    """Validate a DCC document; return the problems found, an empty list when it is valid.

    Checks, in order: well-formed XML without DOCTYPE/entities (see :mod:`.safexml`); the root
    is ``dcc:digitalCalibrationCertificate``; the PTB DCC 3.3.0 schema; every ``si:unit`` (and
    ``si:unitXMLList`` entry) is a D-SI unit string (:func:`check_dsi_unit`).
    """
    try:
        tree = parse_xml(xml_bytes)
    except DccXmlError as exc:
        return [Problem(exc.line, "", str(exc), "xml")]
    root = tree.getroot()
    if root.tag != f"{{{DCC_NS}}}digitalCalibrationCertificate":
        return [
            Problem(
                root.sourceline,
                "/",
                f"root element is {root.tag!r}, not dcc:digitalCalibrationCertificate "
                f"in namespace {DCC_NS}",
            )
        ]
    version = root.get("schemaVersion")
    problems = []
    if version != SCHEMA_VERSION:
        problems.append(
            Problem(
                root.sourceline,
                "/",
                f"schemaVersion is {version!r}; Jiliang validates DCC {SCHEMA_VERSION} only",
            )
        )
        return problems
    problems.extend(_schema_problems(load_schema(schema_path), tree))
    problems.extend(_unit_problems(tree))
    problems.sort(key=lambda p: p.line or 0)
    return problems
