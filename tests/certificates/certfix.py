"""Approved calibration records for certificate tests, made through the calibration API.

Reuses ``tests/calibration/calfix.py`` (qualified signers, standards, a fresh scale per call).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibration"))

import calfix  # noqa: E402

from rolecheck import call  # noqa: E402

PW = "jiliang-demo"


def approved_record(client, auth, setup, kind="subsequent_verification", points=None) -> dict:
    """Create, sign three times and approve a record; return its JSON."""
    scale = calfix.new_scale()
    body = calfix.record_body(scale["id"], setup, points=points, kind=kind)
    r = call(client, auth, "POST", "/api/v1/calibration/records", "metrologist", json=body)
    assert r.status_code == 201, r.text
    return calfix.approve_via_api(client, auth, r.json()["id"], PW)


def issue(client, auth, record_id: int, user: str = "approver"):
    return call(client, auth, "POST", "/api/v1/certificates", user, json={"record_id": record_id})
