"""Helpers shared by the trust tests (importable: tests/trust is on sys.path)."""

from __future__ import annotations

import copy
import uuid


def new_number(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


def signed_dcc(session, org_id: int, number: str) -> tuple[bytes, str]:
    """A DCC with this number signed by the organisation's active key; (xml, key fingerprint)."""
    from jiliang.dcc import EXAMPLE_CERT, build_dcc, sign_dcc
    from jiliang.trust import keys

    private, record = keys.signing_key_for(session, org_id)
    cert = copy.deepcopy(EXAMPLE_CERT)
    cert["number"] = number
    return sign_dcc(build_dcc(cert), private, private.public_key()), record.fingerprint
