"""Interval analysis per instrument type from approved records; approval by a lab manager."""

from __future__ import annotations

from datetime import date, timedelta

import calfix
import pytest

from rolecheck import call


@pytest.fixture(scope="module")
def history(setup):
    """Six electronic price-computing scales with three yearly approved records each."""
    from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
    from jiliang.core.db import session_scope

    scales = [calfix.new_scale(type_code="WT-PRICE") for _ in range(6)]
    with session_scope() as s:
        for n, sc in enumerate(scales):
            for j in range(3):
                on = date.today() - timedelta(days=365 * (3 - j) + n)
                ok = not (n == 0 and j == 2)
                rec = CalibrationRecord(
                    number=f"HIST-{sc['id']}-{j}",
                    lab_org_id=setup["lab"],
                    instrument_id=sc["id"],
                    customer_org_id=sc["owner"],
                    kind="subsequent_verification",
                    procedure_code="JJG 539-2016",
                    performed_on=on,
                    standard_ids=[],
                    device_ids=[],
                    material_ids=[],
                    decision_rule={"kind": "simple"},
                    status="approved",
                    overall_verdict="pass" if ok else "fail",
                )
                s.add(rec)
                s.flush()
                s.add(
                    CalibrationPoint(
                        record_id=rec.id,
                        seq=1,
                        nominal=10.0,
                        readings=[],
                        as_found=10.0 + (0.004 if ok else 0.02),
                        error=0.004 if ok else 0.02,
                        mpe_lower=-0.01,
                        mpe_upper=0.01,
                        verdict="pass" if ok else "fail",
                    )
                )
    return scales


@pytest.mark.parametrize(
    "user", ["labmanager", "metrologist", "province", "enterprise", "labmanager_b", None]
)
def test_interval_analysis_by_role(client, auth, history, user):
    tid = history[0]["type_id"]
    r = call(client, auth, "GET", "/api/v1/calibration/intervals/{id}?method=a3", user, id=tid)
    if user is None:
        assert r.status_code == 401
        return
    assert r.status_code == 200
    rows = r.json()["rows"]
    if user in (
        "labmanager",
        "metrologist",
        "province",
        "enterprise",
    ):  # the scales are the enterprise's
        assert len(rows) >= 12 and r.json()["result"]["recommended_interval_days"] > 0
    else:
        assert not any(
            row["calibration_date"]
            for row in rows
            if int(row["instrument"]) in {h["id"] for h in history}
        )
    r = call(client, auth, "GET", "/api/v1/calibration/interval-policies", user)
    assert r.status_code == (403 if user == "enterprise" else 200)


def test_propose_and_approve_interval(client, auth, history, setup):
    tid = history[0]["type_id"]
    for user, expected in (("enterprise", 403), ("province", 403), (None, 401)):
        r = call(
            client,
            auth,
            "POST",
            "/api/v1/calibration/intervals/{id}/proposals",
            user,
            json={"method": "s2", "target": 0.9},
            id=tid,
        )
        assert r.status_code == expected
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/intervals/{id}/proposals",
        "metrologist",
        json={"method": "a3", "target": 0.9},
        id=tid,
    )
    assert r.status_code == 201, r.text
    pol = r.json()
    assert pol["status"] == "proposed" and pol["interval_days"] > 0
    for user, expected in (
        ("metrologist", 403),
        ("labmanager_b", 404),
        ("enterprise", 403),
        (None, 401),
        ("province", 403),
    ):
        r = call(
            client,
            auth,
            "POST",
            "/api/v1/calibration/interval-policies/{id}/decision",
            user,
            json={"approve": True, "reason": "ok"},
            id=pol["id"],
        )
        assert r.status_code == expected, (user, r.text)
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/interval-policies/{id}/decision",
        "labmanager",
        json={"approve": True, "reason": "A3 检验，可靠度高于目标"},
        id=pol["id"],
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    # the approved interval now sets the due date of a passed verification of this type
    sc = calfix.new_scale(type_code="WT-PRICE")
    rid = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records",
        "metrologist",
        json=calfix.record_body(sc["id"], setup),
    ).json()["id"]
    calfix.approve_via_api(client, auth, rid)
    rec = call(
        client, auth, "GET", "/api/v1/calibration/records/{id}", "metrologist", id=rid
    ).json()
    expected = date.today() + timedelta(days=pol["interval_days"] - 1)
    assert rec["next_due_date"] == expected.isoformat()
