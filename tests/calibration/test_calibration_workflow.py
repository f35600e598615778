"""Calibration records through the API: computation, signatures, effects, scope."""

from __future__ import annotations

from datetime import date, timedelta

import calfix
import pytest

from rolecheck import call

PW = "jiliang-demo"


@pytest.fixture()
def scale(platform):
    return calfix.new_scale()


def _create(client, auth, setup, scale, user="metrologist", **extra):
    body = calfix.record_body(scale["id"], setup, **extra)
    return call(client, auth, "POST", "/api/v1/calibration/records", user, json=body)


def _step(client, auth, rid, action, user, password=PW):
    return call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/" + action,
        user,
        json={"password": password},
        id=rid,
    )


def test_compute_gives_error_u_tur_and_verdict(client, auth):
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/compute",
        "metrologist",
        json={
            "decision_rule": {"kind": "guard_band", "r": 1},
            "uncertainty_model": calfix.MODEL,
            "points": [
                {"nominal": 10, "readings": [10.004, 10.006], "mpe": 0.01},
                {
                    "nominal": 1,
                    "as_found": 1.0,
                    "mpe_lower": -0.005,
                    "mpe_upper": 0.005,
                    "expanded_uncertainty": 0.002,
                    "coverage_factor": 2,
                },
            ],
        },
    )
    assert r.status_code == 200, r.text
    p0, p1 = r.json()["points"]
    assert p0["error"] == pytest.approx(0.005)
    # u = sqrt((0.001/sqrt 3)^2 + 0.0005^2) = 7.64e-4; k = 1.96
    assert p0["expanded_uncertainty"] == pytest.approx(1.96 * 7.6376e-4, rel=2e-3)
    assert p0["tur"] == pytest.approx(0.02 / (2 * p0["expanded_uncertainty"]))
    assert p0["verdict"] == "pass"  # 0.005 <= 0.01 - U
    assert p1["tur"] == pytest.approx(2.5)
    assert r.json()["overall_verdict"] == "pass"
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/compute",
        "metrologist",
        json={"points": [{"nominal": 10, "as_found": 10.02, "mpe": 0.01}]},
    )
    assert r.json()["overall_verdict"] == "fail"
    assert (
        call(client, auth, "POST", "/api/v1/calibration/compute", None, json={}).status_code == 401
    )
    bad = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/compute",
        "metrologist",
        json={"uncertainty_model": {"equations": ["E = ("]}, "points": [{"nominal": 1}]},
    )
    assert bad.status_code == 422


def test_full_workflow_pass_sets_due_date(client, auth, setup, scale):
    r = _create(client, auth, setup, scale)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["status"] == "draft" and rec["overall_verdict"] == "pass"
    assert rec["number"].startswith(f"JL{setup['lab']:04d}-")
    assert all(p["expanded_uncertainty"] > 0 for p in rec["points"])
    rid = rec["id"]
    assert _step(client, auth, rid, "submit", "metrologist", "wrong").status_code == 403
    assert _step(client, auth, rid, "review", "reviewer").status_code == 409  # not submitted yet
    assert _step(client, auth, rid, "submit", "metrologist").status_code == 200
    # reviewer sends it back with a reason
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/return",
        "reviewer",
        json={"reason": "第 2 点示值有误"},
        id=rid,
    )
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert all(s["status"] == "void" for s in r.json()["signatures"])
    # corrected and resubmitted
    pts = [dict(p) for p in calfix.PASS_POINTS]
    pts[1]["readings"] = [10.002]
    r = call(
        client,
        auth,
        "PATCH",
        "/api/v1/calibration/records/{id}",
        "metrologist",
        json={"points": pts, "reason": "改正第 2 点"},
        id=rid,
    )
    assert r.status_code == 200, r.text
    assert r.json()["points"][1]["error"] == pytest.approx(0.002)
    assert _step(client, auth, rid, "submit", "metrologist").status_code == 200
    # the performer cannot also review (same person twice)
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/review",
        "labmanager",
        json={"password": PW},
        id=rid,
    )
    assert r.status_code == 200  # lab manager may review
    r = _step(client, auth, rid, "approve", "labmanager")
    assert r.status_code == 403 and "两次" in r.json()["message"]
    r = _step(client, auth, rid, "approve", "approver")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "approved"
    assert [s["role"] for s in done["signatures"] if s["status"] == "valid"] == [
        "performed",
        "reviewed",
        "approved",
    ]
    assert len({s["user_id"] for s in done["signatures"] if s["status"] == "valid"}) == 3
    due = date.fromisoformat(done["next_due_date"])
    assert due > date.today() + timedelta(days=300)
    inst = call(
        client, auth, "GET", "/api/v1/instruments/{id}", "enterprise", id=scale["id"]
    ).json()
    assert inst["status"] == "in_service" and inst["due_date"] == done["next_due_date"]
    assert inst["last_verified"] == date.today().isoformat()
    # an approved record is never edited
    r = call(
        client,
        auth,
        "PATCH",
        "/api/v1/calibration/records/{id}",
        "metrologist",
        json={"location": "x"},
        id=rid,
    )
    assert r.status_code == 409
    # the owner sees it, read-only
    assert (
        call(
            client, auth, "GET", "/api/v1/calibration/records/{id}", "enterprise", id=rid
        ).status_code
        == 200
    )
    assert (
        call(
            client,
            auth,
            "POST",
            "/api/v1/calibration/records/{id}/correct",
            "enterprise",
            json={"reason": "x"},
            id=rid,
        ).status_code
        == 403
    )
    # audit trail shows every step
    trail = call(
        client, auth, "GET", "/api/v1/calibration/records/{id}/audit", "metrologist", id=rid
    ).json()
    actions = [e["action"] for e in trail]
    assert actions == [
        "create",
        "sign_performed",
        "return",
        "update",
        "sign_performed",
        "sign_reviewed",
        "sign_approved",
    ]
    hist = call(
        client,
        auth,
        "GET",
        "/api/v1/calibration/instruments/{id}/history",
        "metrologist",
        id=scale["id"],
    ).json()
    assert hist["records"][0]["id"] == rid and len(hist["series"]) == 3


def test_failed_verification_suspends_and_gives_notice(client, auth, setup, scale):
    r = _create(client, auth, setup, scale, points=calfix.FAIL_POINTS)
    rid = r.json()["id"]
    assert r.json()["overall_verdict"] == "fail"
    for action, user in (
        ("submit", "metrologist"),
        ("review", "reviewer"),
        ("approve", "approver"),
    ):
        assert _step(client, auth, rid, action, user).status_code == 200
    inst = call(
        client, auth, "GET", "/api/v1/instruments/{id}", "enterprise", id=scale["id"]
    ).json()
    assert inst["status"] == "suspended"
    notice = call(
        client, auth, "GET", "/api/v1/calibration/records/{id}/notice", "enterprise", id=rid
    ).json()
    assert notice["notice"]["title_zh"] == "检定结果通知书"
    assert [p["nominal"] for p in notice["notice"]["failed_points"]] == [30.0]
    # a correction supersedes the approved record once approved
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/correct",
        "metrologist",
        json={"reason": "砝码修正值录入错误"},
        id=rid,
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["supersedes_id"] == rid and new["status"] == "draft"
    call(
        client,
        auth,
        "PATCH",
        "/api/v1/calibration/records/{id}",
        "metrologist",
        json={"points": calfix.PASS_POINTS},
        id=new["id"],
    )
    for action, user in (
        ("submit", "metrologist"),
        ("review", "reviewer"),
        ("approve", "approver"),
    ):
        assert _step(client, auth, new["id"], action, user).status_code == 200
    old = call(
        client, auth, "GET", "/api/v1/calibration/records/{id}", "metrologist", id=rid
    ).json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == new["id"]
    inst = call(
        client, auth, "GET", "/api/v1/instruments/{id}", "enterprise", id=scale["id"]
    ).json()
    assert inst["status"] == "in_service"


def test_lapsed_standard_refused_unless_manager_overrides(client, auth, setup, scale):
    r = _create(client, auth, setup, scale, standard_ids=[setup["lapsed"]])
    assert r.status_code == 409 and r.json()["error"] == "lapsed_standard"
    assert "已失效" in r.json()["message"]
    r = _create(
        client, auth, setup, scale, standard_ids=[setup["lapsed"]], override_reason="复评中"
    )
    assert r.status_code == 403  # only a lab manager may override
    r = _create(
        client,
        auth,
        setup,
        scale,
        user="labmanager",
        standard_ids=[setup["lapsed"]],
        override_reason="新证书已取得，待录入（见函 2026-17）",
    )
    assert r.status_code == 201, r.text
    assert r.json()["lapsed_override"]["by"] == "labmanager"
    trail = call(
        client,
        auth,
        "GET",
        "/api/v1/calibration/records/{id}/audit",
        "labmanager",
        id=r.json()["id"],
    ).json()
    assert trail[-1]["action"] == "override_lapsed" and "2026-17" in trail[-1]["reason"]


def test_unqualified_signer_is_refused(client, auth, setup, scale, db):
    from sqlalchemy import update

    from jiliang.people.models import Metrologist

    rid = _create(client, auth, setup, scale).json()["id"]
    db.execute(
        update(Metrologist)
        .where(Metrologist.user_id == setup["users"]["metrologist"])
        .values(items=["压力表"])
    )
    db.commit()
    try:
        r = _step(client, auth, rid, "submit", "metrologist")
        assert r.status_code == 403 and "数字指示秤" in r.json()["message"]
    finally:
        db.execute(
            update(Metrologist)
            .where(Metrologist.user_id == setup["users"]["metrologist"])
            .values(items=[calfix.ITEM, "压力表"])
        )
        db.commit()


def test_lapsed_device_and_reference_material_lot_are_refused(client, auth, setup, scale, db):
    from datetime import date, timedelta

    from jiliang.core import resources
    from jiliang.core.security import SYSTEM
    from jiliang.materials.service import MATERIALS
    from jiliang.standards.service import STANDARD_DEVICES

    dev = resources.create(
        db,
        SYSTEM,
        STANDARD_DEVICES,
        {
            "standard_id": setup["good"],
            "name": "过期砝码 M1",
            "certificate_valid_until": date.today() - timedelta(days=1),
        },
    )
    rm = resources.create(
        db,
        SYSTEM,
        MATERIALS,
        {
            "holder_org_id": setup["lab"],
            "gbw_no": "GBW(E)000001",
            "name": "pH 标准物质",
            "producer": "中国计量科学研究院",
            "lot": "202301",
            "expiry": date.today() - timedelta(days=3),
        },
    )
    db.commit()
    r = _create(client, auth, setup, scale, device_ids=[dev.id])
    assert r.status_code == 409 and "过期砝码 M1" in r.json()["message"]
    assert r.json()["lapsed"][0]["kind"] == "device"
    r = _create(client, auth, setup, scale, material_ids=[rm.id])
    assert r.status_code == 409 and r.json()["lapsed"][0]["kind"] == "material"
    en = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records?lang=en",
        "metrologist",
        json=calfix.record_body(scale["id"], setup, material_ids=[rm.id]),
    )
    assert en.status_code == 409 and "lapsed" in en.json()["message"]
    # another lab's standard cannot be used at all
    r = _create(client, auth, setup, scale, user="labmanager_b")
    assert r.status_code == 422 and "standard_ids" in r.json()["fields"]


def test_a_record_carries_its_decision_rule(client, auth, setup, scale):
    rule = {"kind": "non_binary", "r": 1, "reference": "委托协议 2026-042"}
    r = _create(
        client,
        auth,
        setup,
        scale,
        decision_rule=rule,
        points=[{"nominal": 10, "as_found": 10.0095, "mpe": 0.01}],
    )
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["decision_rule"]["kind"] == "non_binary"
    assert "委托协议 2026-042" in rec["rule_text_zh"] and "non-binary" in rec["rule_text_en"]
    assert rec["points"][0]["verdict"] == "conditional_pass"
    assert rec["overall_verdict"] == "conditional_pass"
    bad = _create(client, auth, setup, scale, decision_rule={"kind": "coin_toss"})
    assert bad.status_code == 422 and "decision_rule" in bad.json()["fields"]
