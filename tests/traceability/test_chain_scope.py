"""Role and scope of every chain endpoint: the checks (certificate, record, instrument), the
nightly reports, and the registry routes of external certificates and trace links."""

from __future__ import annotations

from datetime import date, timedelta

import certfix
import pytest

from rolecheck import call

T = date.today()


@pytest.fixture(scope="module")
def issued(client, auth, setup):
    rec = certfix.approved_record(client, auth, setup)
    r = certfix.issue(client, auth, rec["id"])
    assert r.status_code == 201, r.text
    return {"record": rec, "number": r.json()["number"]}


@pytest.mark.parametrize(
    ("user", "status"),
    [("labmanager", 200), ("metrologist", 200), ("enterprise", 200), ("xian", 200), ("province", 200),
     ("admin", 200), ("labmanager_b", 404), ("enterprise_b", 404), ("baoji", 404), (None, 401)],
)
def test_check_by_certificate(client, auth, issued, user, status):
    r = call(client, auth, "GET", "/api/v1/trace/certificates/{number}", user, number=issued["number"])
    assert r.status_code == status, r.text
    if status == 200:
        body = r.json()
        assert {"traceable", "gaps", "depth", "nodes", "edges"} <= set(body)
        assert body["result"]["id"] == issued["record"]["id"]


def test_check_by_unknown_certificate(client, auth):
    r = call(client, auth, "GET", "/api/v1/trace/certificates/{number}", "admin", number="NOPE-1")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("user", "status"),
    [("approver", 200), ("enterprise", 200), ("yanta", 200), ("labmanager_b", 404), ("enterprise_b", 404),
     ("beilin", 404), (None, 401)],
)
def test_check_by_record(client, auth, issued, user, status):
    r = call(client, auth, "GET", "/api/v1/trace/records/{id}", user, id=issued["record"]["id"])
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    ("user", "status"),
    [("metrologist", 200), ("enterprise", 200), ("province", 200), ("labmanager_b", 404),
     ("enterprise_b", 404), ("baoji", 404), (None, 401)],
)
def test_check_by_instrument(client, auth, issued, user, status):
    r = call(client, auth, "GET", "/api/v1/trace/instruments/{id}", user, id=issued["record"]["instrument_id"])
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["result"]["id"] == issued["record"]["id"]


def test_nightly_reports_are_scoped(client, auth, db, setup):
    from jiliang.traceability.chain import nightly

    nightly(db)
    db.commit()
    own = call(client, auth, "GET", "/api/v1/trace/reports?per_page=200", "labmanager")
    assert own.status_code == 200
    items = own.json()["items"]
    assert items and {i["lab_org_id"] for i in items} == {setup["lab"]}
    province = call(client, auth, "GET", "/api/v1/trace/reports?per_page=200", "province").json()["items"]
    assert len({i["lab_org_id"] for i in province}) >= 2
    baoji = call(client, auth, "GET", "/api/v1/trace/reports", "baoji").json()["items"]
    assert setup["lab"] not in {i["lab_org_id"] for i in baoji}
    assert call(client, auth, "GET", "/api/v1/trace/reports", "enterprise").status_code == 403
    assert call(client, auth, "GET", "/api/v1/trace/reports", None).status_code == 401
    rid = items[0]["id"]
    for user, status in (("labmanager", 200), ("xian", 200), ("labmanager_b", 404), ("baoji", 404),
                         ("enterprise", 403), (None, 401)):
        r = call(client, auth, "GET", "/api/v1/trace/reports/{id}", user, id=rid)
        assert r.status_code == status, (user, r.text)
    detail = call(client, auth, "GET", "/api/v1/trace/reports/{id}", "labmanager", id=rid).json()
    assert detail["checked"] == detail["traceable"] + detail["broken"] and "items" in detail


def _ext_body(lab: int, **extra) -> dict:
    body = {"holder_org_id": lab, "issuer_name": "中国计量科学研究院", "issuer_kind": "national_institute",
            "issuer_country": "CN", "number": f"NIM-S-{extra.pop('tag', 'x')}", "issued_on": (T - timedelta(days=50)).isoformat(),
            "valid_until": (T + timedelta(days=300)).isoformat(), "expanded_uncertainty": 0.0001, "coverage_factor": 2,
            "unit": "kg", "terminal_kind": "national_primary", "terminal_reference": "国家千克基准"}
    body.update(extra)
    return body


def test_external_certificates_by_role_and_scope(client, auth, setup):
    base = "/api/v1/external-certificates"
    lab = setup["lab"]
    assert call(client, auth, "POST", base, "metrologist", json=_ext_body(lab)).status_code == 403
    assert call(client, auth, "POST", base, "labmanager_b", json=_ext_body(lab)).status_code == 403
    assert call(client, auth, "POST", base, "enterprise", json=_ext_body(lab)).status_code == 403
    assert call(client, auth, "POST", base, None, json=_ext_body(lab)).status_code == 401
    bad = call(client, auth, "POST", base, "labmanager", json=_ext_body(lab, issuer_kind="foreign_nmi", issuer_country=None))
    assert bad.status_code == 422 and {"kcdb_reference", "issuer_country"} <= set(bad.json()["fields"])
    bad = call(client, auth, "POST", base, "labmanager", json=_ext_body(lab, valid_until=(T - timedelta(days=60)).isoformat()))
    assert bad.status_code == 422 and "valid_until" in bad.json()["fields"]
    r = call(client, auth, "POST", base, "labmanager", json=_ext_body(lab, tag="scope1"))
    assert r.status_code == 201, r.text
    ext_id = r.json()["id"]
    listed = call(client, auth, "GET", base + "?q={q}", "labmanager", q="NIM-S-scope1").json()
    assert [i["id"] for i in listed["items"]] == [ext_id]
    for user in ("labmanager_b", "enterprise", "baoji"):
        r = call(client, auth, "GET", base + "?q={q}", user, q="NIM-S-scope1")
        assert r.status_code == 200 and r.json()["total"] == 0, user
    assert call(client, auth, "GET", base + "?q={q}", "xian", q="NIM-S-scope1").json()["total"] == 1
    exp = call(client, auth, "GET", base + "/export?q={q}", "labmanager", q="NIM-S-scope1")
    assert exp.status_code == 200 and "NIM-S-scope1" in exp.text
    assert call(client, auth, "GET", base + "/export", None).status_code == 401
    for user, status in (("reviewer", 200), ("province", 200), ("labmanager_b", 404), (None, 401)):
        assert call(client, auth, "GET", base + "/{id}", user, id=ext_id).status_code == status, user
    patch = {"valid_until": (T + timedelta(days=200)).isoformat(), "reason": "证书更正"}
    assert call(client, auth, "PATCH", base + "/{id}", "metrologist", json=patch, id=ext_id).status_code == 403
    assert call(client, auth, "PATCH", base + "/{id}", "labmanager_b", json=patch, id=ext_id).status_code == 404
    r = call(client, auth, "PATCH", base + "/{id}", "labmanager", json=patch, id=ext_id)
    assert r.status_code == 200 and r.json()["valid_until"] == patch["valid_until"]
    assert call(client, auth, "POST", base + "/{id}/retire", "approver", json={"reason": "x"}, id=ext_id).status_code == 403
    trail = call(client, auth, "GET", base + "/{id}/audit", "labmanager", id=ext_id)
    assert trail.status_code == 200 and [e["action"] for e in trail.json()] == ["update", "create"]
    assert call(client, auth, "GET", base + "/{id}/audit", "labmanager_b", id=ext_id).status_code == 404


def test_trace_links_by_role_and_scope(client, auth, db):
    import calfix

    from jiliang.traceability.models import ExternalCertificate

    setup = calfix.lab_setup(linked=False)
    lab = setup["lab"]
    ext = call(client, auth, "POST", "/api/v1/external-certificates", "labmanager", json=_ext_body(lab, tag="links")).json()
    other = db.query(ExternalCertificate).filter(ExternalCertificate.holder_org_id != lab).first()
    base = "/api/v1/trace-links"
    body = {"subject_kind": "device", "subject_id": setup["device"], "source_kind": "external",
            "external_id": ext["id"], "calibrated_on": (T - timedelta(days=50)).isoformat(),
            "valid_until": (T + timedelta(days=300)).isoformat(), "expanded_uncertainty": 0.0001, "unit": "kg"}
    for user, status in (("metrologist", 403), ("labmanager_b", 403), ("enterprise", 403), (None, 401)):
        assert call(client, auth, "POST", base, user, json=body).status_code == status, user
    bad = call(client, auth, "POST", base, "labmanager", json={**body, "subject_id": 2_000_000_000})
    assert bad.status_code == 422 and "subject_id" in bad.json()["fields"]
    bad = call(client, auth, "POST", base, "labmanager", json={**body, "source_kind": "record", "record_id": 2_000_000_000})
    assert bad.status_code == 422 and "record_id" in bad.json()["fields"]
    if other is not None:
        bad = call(client, auth, "POST", base, "labmanager", json={**body, "external_id": other.id})
        assert bad.status_code == 422 and "external_id" in bad.json()["fields"]
    bad = call(client, auth, "POST", base, "labmanager", json={**body, "source_kind": "terminal"})
    assert bad.status_code == 422 and {"terminal_kind", "terminal_reference"} <= set(bad.json()["fields"])
    r = call(client, auth, "POST", base, "labmanager", json=body)
    assert r.status_code == 201, r.text
    link_id = r.json()["id"]
    assert r.json()["external_id"] == ext["id"] and r.json()["status"] == "active"
    mine = call(client, auth, "GET", base + "?subject_kind=device&subject_id={sid}", "reviewer", sid=setup["device"]).json()
    assert [i["id"] for i in mine["items"]] == [link_id]
    for user, total in (("labmanager_b", 0), ("enterprise", 0), ("beilin", 0), ("yanta", 1)):
        r = call(client, auth, "GET", base + "?subject_kind=device&subject_id={sid}", user, sid=setup["device"])
        assert r.status_code == 200 and r.json()["total"] == total, user
    assert call(client, auth, "GET", base + "/export", "labmanager").status_code == 200
    for user, status in (("approver", 200), ("labmanager_b", 404), ("enterprise", 404), (None, 401)):
        assert call(client, auth, "GET", base + "/{id}", user, id=link_id).status_code == status, user
    r = call(client, auth, "PATCH", base + "/{id}", "labmanager", json={"note": "复核", "reason": "补充"}, id=link_id)
    assert r.status_code == 200 and r.json()["note"] == "复核"
    assert call(client, auth, "PATCH", base + "/{id}", "metrologist", json={"note": "x"}, id=link_id).status_code == 403
    r = call(client, auth, "POST", base + "/{id}/retire", "labmanager", json={"reason": "证书已更新"}, id=link_id)
    assert r.status_code == 200 and r.json()["status"] == "retired"
    trail = call(client, auth, "GET", base + "/{id}/audit", "labmanager", id=link_id).json()
    assert [e["action"] for e in trail] == ["retire", "update", "create"]
    # retiring the external certificate (revoked) shows up in a chain check that used it
    r = call(client, auth, "POST", "/api/v1/external-certificates/{id}/retire", "labmanager",
             json={"reason": "发证机构撤销"}, id=ext["id"])
    assert r.status_code == 200 and r.json()["status"] == "revoked"
