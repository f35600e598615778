"""Digital Calibration Certificates: PTB DCC schema 3.3.0 with D-SI 2.2.1.

* :func:`build_dcc` — a DCC document from a plain dict (:data:`EXAMPLE_CERT`);
* :func:`validate_dcc` — schema (read from ``JILIANG_DCC_SCHEMA_DIR``) plus D-SI unit check;
* :func:`read_dcc` — a display summary of any DCC, ours or imported;
* :func:`check_dsi_unit`, :func:`pint_to_dsi` — D-SI unit strings;
* :func:`sign_dcc`, :func:`verify_dcc_signature` — enveloped XMLDSig, ECDSA P-256/SHA-256.

All XML is parsed by :func:`jiliang.dcc.safexml.parse_xml` (no entities, DTDs or network).
A kernel: no database and no web imports.
"""

from .build import EXAMPLE_CERT, DccBuildError, build_dcc
from .read import pick_text, read_dcc
from .safexml import DccXmlError, UnsafeXmlError, parse_xml
from .signature import DccSignatureError, sign_dcc, verify_dcc_signature
from .units import DsiUnitError, check_dsi_unit, is_dsi_unit, pint_to_dsi
from .validate import Problem, SchemaNotFoundError, load_schema, validate_dcc

__all__ = [
    "EXAMPLE_CERT",
    "DccBuildError",
    "DccSignatureError",
    "DccXmlError",
    "DsiUnitError",
    "Problem",
    "SchemaNotFoundError",
    "UnsafeXmlError",
    "build_dcc",
    "check_dsi_unit",
    "is_dsi_unit",
    "load_schema",
    "parse_xml",
    "pick_text",
    "pint_to_dsi",
    "read_dcc",
    "sign_dcc",
    "validate_dcc",
    "verify_dcc_signature",
]
