"""Public verification (page and bundle), tampering, revocation/supersession, role and scope."""

from __future__ import annotations

import json

import certfix
import pytest

from rolecheck import call, exercised


@pytest.fixture(scope="module")
def cert(client, auth, setup):
    rec = certfix.approved_record(client, auth, setup)
    r = certfix.issue(client, auth, rec["id"])
    assert r.status_code == 201, r.text
    return r.json()


def _files(client, auth, number):
    xml = call(client, auth, "GET", "/api/v1/certificates/{n}/xml", None, n=number).content
    bundle = call(client, auth, "GET", "/api/v1/certificates/{n}/bundle", None, n=number).content
    checkpoint = client.get("/.well-known/jiliang/checkpoint").text.encode()
    return xml, bundle, checkpoint


def test_public_facts_and_verify_page(web, client, auth, cert):
    r = call(client, auth, "GET", "/api/v1/certificates/{n}", None, n=cert["number"])
    assert r.status_code == 200 and r.json()["status"] == "issued"
    page = web.get(f"/verify?n={cert['number']}&lang=zh")
    assert page.status_code == 200
    assert 'data-status="valid"' in page.text and "有效" in page.text
    assert 'data-testid="proof-ok"' in page.text
    unknown = web.get("/verify?n=NOPE-0000&lang=en")
    assert 'data-status="unknown"' in unknown.text
    assert call(client, auth, "GET", "/api/v1/certificates/{n}", None, n="NOPE").status_code == 404


def test_upload_valid_tampered_and_invalid_example(web, client, auth, cert, reference_dir):
    xml, _, _ = _files(client, auth, cert["number"])
    ok = web.post("/verify", files={"file": ("c.xml", xml, "application/xml")})
    assert 'data-status="valid"' in ok.text
    i = xml.index(b"<si:value>") + len(b"<si:value>")
    forged = xml[:i] + (b"9" if xml[i : i + 1] != b"9" else b"8") + xml[i + 1 :]
    bad = web.post("/verify", files={"file": ("c.xml", forged, "application/xml")})
    assert 'data-status="invalid"' in bad.text and 'data-testid="proof-reasons"' in bad.text
    example = (reference_dir / "dcc" / "examples" / "invalid_schema.xml").read_bytes()
    r = web.post("/verify?lang=en", files={"file": ("x.xml", example, "application/xml")})
    assert r.status_code == 200
    assert 'data-testid="dcc-problems"' in r.text and "line" in r.text
    assert 'data-status="invalid"' in r.text
    garbage = web.post("/verify", files={"file": ("g.xml", b"<not xml", "text/xml")})
    assert garbage.status_code == 200 and 'data-status="invalid"' in garbage.text


def test_offline_verification_fails_on_any_changed_byte(client, auth, cert):
    from jiliang.trust.bundle import verify_bundle

    xml, bundle, checkpoint = _files(client, auth, cert["number"])
    assert verify_bundle(xml, bundle, checkpoint).ok
    for name, blob in (("xml", xml), ("bundle", bundle), ("checkpoint", checkpoint)):
        for pos in (len(blob) // 3, len(blob) // 2, len(blob) - 20):
            changed = bytearray(blob)
            changed[pos] = (changed[pos] + 1) % 256 if changed[pos] != 0x0A else 0x20
            args = {"xml": xml, "bundle": bundle, "checkpoint": checkpoint}
            args[name] = bytes(changed)
            res = verify_bundle(args["xml"], args["bundle"], args["checkpoint"])
            assert not res.ok and res.reasons, (name, pos)


def test_roles_and_scope(client, auth, setup, cert):
    n = cert["number"]
    r = call(client, auth, "GET", "/api/v1/certificates", "labmanager")
    assert r.status_code == 200 and n in [c["number"] for c in r.json()["items"]]
    r = call(client, auth, "GET", "/api/v1/certificates", "labmanager_b")
    assert n not in [c["number"] for c in r.json()["items"]]
    r = call(client, auth, "GET", "/api/v1/certificates", "enterprise")
    assert n in [c["number"] for c in r.json()["items"]]
    r = call(client, auth, "GET", "/api/v1/certificates", "enterprise_b")
    assert n not in [c["number"] for c in r.json()["items"]]
    assert call(client, auth, "GET", "/api/v1/certificates", None).status_code == 401
    rec = certfix.approved_record(client, auth, setup)
    for user, code in (
        (None, 401),
        ("metrologist", 403),
        ("enterprise", 403),
        ("labmanager_b", 404),
    ):
        assert certfix.issue(client, auth, rec["id"], user).status_code == code, user
    body = {"reason": "测试"}
    for user, code in (
        (None, 401),
        ("metrologist", 403),
        ("reviewer", 403),
        ("labmanager_b", 403),
        ("enterprise", 403),
    ):
        for action in ("revoke", "supersede"):
            r = call(
                client, auth, "POST", "/api/v1/certificates/{n}/" + action, user, json=body, n=n
            )
            assert r.status_code == code, (user, action, r.text)


def test_revoked_shows_after_restart(client, auth, setup):
    rec = certfix.approved_record(client, auth, setup)
    n = certfix.issue(client, auth, rec["id"]).json()["number"]
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/certificates/{n}/revoke",
        "approver",
        json={"reason": "送检单位信息有误"},
        n=n,
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    again = call(
        client,
        auth,
        "POST",
        "/api/v1/certificates/{n}/revoke",
        "approver",
        json={"reason": "again"},
        n=n,
    )
    assert again.status_code == 409
    # a new application on a fresh engine: nothing kept in memory
    from fastapi.testclient import TestClient

    from jiliang.app import create_app
    from jiliang.core.db import reset_engine

    reset_engine()
    with TestClient(create_app()) as fresh:
        page = fresh.get(f"/verify?n={n}&lang=zh")
        assert 'data-status="revoked"' in page.text and "已撤销" in page.text
        assert "送检单位信息有误" in page.text
        facts = fresh.get(f"/api/v1/certificates/{n}").json()
        assert facts["status"] == "revoked" and facts["end_log_index"] > facts["log_index"]
    xml, bundle, _ = _files(client, auth, n)
    from jiliang.trust.bundle import verify_bundle

    res = verify_bundle(xml, bundle)
    assert res.ok and res.status == "revoked"


def test_supersede_by_another(web, client, auth, setup):
    a = certfix.issue(client, auth, certfix.approved_record(client, auth, setup)["id"]).json()
    b = certfix.issue(client, auth, certfix.approved_record(client, auth, setup)["id"]).json()
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/certificates/{n}/supersede",
        "labmanager",
        json={"reason": "换发", "superseded_by": a["number"]},
        n=a["number"],
    )
    assert r.status_code == 422
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/certificates/{n}/supersede",
        "labmanager",
        json={"reason": "换发", "superseded_by": b["number"]},
        n=a["number"],
    )
    assert r.status_code == 200 and r.json()["superseded_by"] == b["number"]
    page = web.get(f"/verify?n={a['number']}&lang=en")
    assert 'data-status="superseded"' in page.text and b["number"] in page.text
    entry = client.get(f"/api/v1/log/entries/{r.json()['end_log_index']}").json()
    assert "superseded" in json.dumps(entry)


def test_pages_for_the_lab(app, client, auth, setup):
    import re

    from fastapi.testclient import TestClient

    rec = certfix.approved_record(client, auth, setup)
    c = TestClient(app)
    login = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    r = c.post(
        "/login",
        data={"username": "approver", "password": certfix.PW, "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = c.get("/certificates")
    assert page.status_code == 200 and f'data-testid="issue-{rec["id"]}"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/certificates/issue", data={"record_id": rec["id"], "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and "/certificates/" in r.headers["location"]
    detail = c.get(r.headers["location"])
    assert detail.status_code == 200 and 'data-testid="end-submit"' in detail.text
    number = r.headers["location"].split("/certificates/")[1].split("?")[0]
    listing = c.get("/certificates?kind=verification&status=issued&q=" + number)
    assert number in listing.text
    r = c.post(
        f"/certificates/{number}/end",
        data={"action": "revoke", "reason": "测试撤销", "csrf": csrf},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "已撤销" in r.text
    assert (
        c.post(
            "/certificates/issue",
            data={"record_id": rec["id"], "csrf": "x"},
            follow_redirects=False,
        ).status_code
        == 403
    )
    anon = TestClient(app).get("/certificates", follow_redirects=False)
    assert anon.status_code in (303, 401)


def test_corrected_record_supersedes_its_certificate(web, client, auth, setup):
    from jiliang.dcc import read_dcc

    rec = certfix.approved_record(client, auth, setup)
    old = certfix.issue(client, auth, rec["id"]).json()
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/correct",
        "metrologist",
        json={"reason": "环境温度录入错误"},
        id=rec["id"],
    )
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    for action, user in (
        ("submit", "metrologist"),
        ("review", "reviewer"),
        ("approve", "approver"),
    ):
        r = call(
            client,
            auth,
            "POST",
            "/api/v1/calibration/records/{id}/" + action,
            user,
            json={"password": certfix.PW},
            id=new_id,
        )
        assert r.status_code == 200, r.text
    new = certfix.issue(client, auth, new_id).json()
    facts = call(client, auth, "GET", "/api/v1/certificates/{n}", None, n=old["number"]).json()
    assert facts["status"] == "superseded" and facts["superseded_by"] == new["number"]
    xml = call(client, auth, "GET", "/api/v1/certificates/{n}/xml", None, n=new["number"]).content
    assert read_dcc(xml)["replaces"] == old["number"]
    page = web.get(f"/verify?n={old['number']}")
    assert 'data-status="superseded"' in page.text


def test_verify_api_with_raw_xml(client, auth, setup, reference_dir):
    rec = certfix.approved_record(client, auth, setup)
    n = certfix.issue(client, auth, rec["id"]).json()["number"]
    xml = client.get(f"/api/v1/certificates/{n}/xml").content
    exercised("POST", "/api/v1/certificates/verify")
    r = client.post(
        "/api/v1/certificates/verify", content=xml, headers={"Content-Type": "application/xml"}
    )
    assert r.status_code == 200 and r.json()["status"] == "valid", r.text
    assert r.json()["proof"]["ok"] and r.json()["facts"]["number"] == n
    bad = client.post(
        "/api/v1/certificates/verify",
        content=xml.replace(b"</dcc:", b"</dcc:", 1)[:-40] + b"x" * 40,
        headers={"Content-Type": "application/xml"},
    )
    assert bad.status_code == 200 and bad.json()["status"] == "invalid"
    other = (reference_dir / "dcc" / "examples" / "valid.xml").read_bytes()
    r = client.post(
        "/api/v1/certificates/verify", content=other, headers={"Content-Type": "application/xml"}
    )
    assert r.status_code == 200 and r.json()["status"] == "unknown"
    assert r.json()["problems"] == [] and r.json()["summary"]["number"]


def test_upload_of_a_foreign_valid_dcc_is_shown(web, reference_dir):
    other = (reference_dir / "dcc" / "examples" / "valid.xml").read_bytes()
    r = web.post("/verify", files={"file": ("valid.xml", other, "application/xml")})
    assert r.status_code == 200
    assert 'data-status="unknown"' in r.text and 'data-testid="dcc-summary"' in r.text
    assert 'data-testid="dcc-problems"' not in r.text


def test_nul_and_unknown_filters_are_refused_not_500(client, auth, web):
    r = call(client, auth, "GET", "/api/v1/certificates/{n}", None, n="A%00B")
    assert r.status_code == 404
    r = client.get("/api/v1/certificates?kind=x%00", headers=auth("labmanager"))
    assert r.status_code == 422
    r = client.get("/api/v1/certificates?status=bogus&q=%00", headers=auth("labmanager"))
    assert r.status_code == 422
    assert web.get("/verify?n=A%00B").status_code == 200
    r = client.post(
        "/api/v1/certificates/A%00B/revoke", json={"reason": "x\u0000"}, headers=auth("approver")
    )
    assert r.status_code in (404, 422)
