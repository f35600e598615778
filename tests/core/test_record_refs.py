"""The record-ref index equals each calibration record's standard/device/RM lists after every write."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "calibration"))

from calfix import lab_setup, new_scale, record_body  # noqa: E402


def _refs(db, record_id):
    from jiliang.traceability.models import RecordRef

    db.expire_all()
    return sorted((r.ref_kind, r.ref_id, r.performed_on.isoformat())
                  for r in db.scalars(select(RecordRef).where(RecordRef.record_id == record_id)))


def test_refs_follow_create_and_update(client, auth, db):
    from rolecheck import call

    setup = lab_setup()
    inst = new_scale()
    body = record_body(inst["id"], setup)
    r = call(client, auth, "POST", "/api/v1/calibration/records", "metrologist", json=body)
    assert r.status_code == 201, r.text
    rec = r.json()
    day = body["performed_on"]
    assert _refs(db, rec["id"]) == [("device", setup["device"], day), ("standard", setup["good"], day)]

    r = call(client, auth, "PATCH", "/api/v1/calibration/records/{id}", "metrologist",
             json={"device_ids": [], "reason": "device not used"}, id=rec["id"])
    assert r.status_code == 200, r.text
    assert _refs(db, rec["id"]) == [("standard", setup["good"], day)]
