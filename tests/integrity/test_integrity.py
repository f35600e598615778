"""Integrity (诚信计量): the published formula on hand-computed cases and its monotonicity, the
inputs read from the platform, snapshots with history, commitments and declarations by role,
and the public query."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

import rolecheck
from jiliang.integrity.service import Inputs, compute, grade_for

USERS = ["admin", "province", "yanta", "labmanager", "metrologist", "enterprise", "enterprise_b", None]


# ------------------------------------------------------------------ the formula, by hand


@pytest.mark.parametrize("inputs, terms, score, grade", [
    # a clean operator without commitment: 90 → B
    (Inputs(), (0, 0, 0.0, 0), 90.0, "B"),
    # commitment: 90 + 10 = 100 → A
    (Inputs(commitment=True), (0, 0, 0.0, 10), 100.0, "A"),
    # findings: 2×1 minor + 5×1 major + 10×1 serious + 5×1 open past deadline = 22 → 68 → C
    (Inputs(minor=1, major=1, serious=1, open_past_deadline=1), (22, 0, 0.0, 0), 68.0, "C"),
    # findings capped at 40: 5 serious = 50 → 40 → 50 → D
    (Inputs(serious=5), (40, 0, 0.0, 0), 50.0, "D"),
    # complaints: 2 upheld × 8 = 16 → 74 → C; 5 upheld = 40 → capped 30 → 60 → C
    (Inputs(upheld=2), (0, 16, 0.0, 0), 74.0, "C"),
    (Inputs(upheld=5), (0, 30, 0.0, 0), 60.0, "C"),
    # overdue ratio: 3 of 12 in use → 30 × 0.25 = 7.5 → 82.5 → B
    (Inputs(overdue=3, in_use=12), (0, 0, 7.5, 0), 82.5, "B"),
    # 1 of 3 → 30 / 3 = 10.0 → 90 − 10 + 10 = 90 → B
    (Inputs(overdue=1, in_use=3, commitment=True), (0, 0, 10.0, 10), 90.0, "B"),
    # no instrument in use → O = 0
    (Inputs(overdue=0, in_use=0), (0, 0, 0.0, 0), 90.0, "B"),
    # everything at once, floored at 0: 40 + 30 + 30 = 100 > 90
    (Inputs(serious=9, upheld=9, overdue=4, in_use=4), (40, 30, 30.0, 0), 0.0, "D"),
    # 1 minor, commitment: 90 − 2 + 10 = 98 → A; 1 major → 95 → A (threshold inclusive)
    (Inputs(minor=1, commitment=True), (2, 0, 0.0, 10), 98.0, "A"),
    (Inputs(major=1, commitment=True), (5, 0, 0.0, 10), 95.0, "A"),
])
def test_hand_computed_cases(inputs, terms, score, grade):
    s = compute(inputs)
    assert (s.findings, s.complaints, s.overdue, s.commitment) == terms
    assert s.score == score and s.grade == grade


def test_grade_thresholds():
    assert [grade_for(x) for x in (100, 95, 94.9, 80, 79.9, 60, 59.9, 0)] == ["A", "A", "B", "B", "C", "C", "D", "D"]


def test_monotone_in_every_term():
    """More or graver findings, more upheld complaints, a higher overdue ratio never raise the
    score; a commitment never lowers it."""
    grid = itertools.product(range(0, 4), range(0, 3), range(0, 3), range(0, 2), range(0, 5), range(0, 5),
                             (False, True))
    for minor, major, serious, late, upheld, overdue, commit in grid:
        base = Inputs(minor=minor, major=major, serious=serious, open_past_deadline=late, upheld=upheld,
                      overdue=overdue, in_use=4, commitment=commit)
        s = compute(base).score
        worse = [
            Inputs(**{**base.__dict__, "minor": minor + 1}), Inputs(**{**base.__dict__, "major": major + 1}),
            Inputs(**{**base.__dict__, "serious": serious + 1}),
            Inputs(**{**base.__dict__, "open_past_deadline": late + 1}),
            Inputs(**{**base.__dict__, "upheld": upheld + 1}),
        ]
        if overdue < 4:
            worse.append(Inputs(**{**base.__dict__, "overdue": overdue + 1}))
        for w in worse:
            assert compute(w).score <= s, (base, w)
        assert compute(Inputs(**{**base.__dict__, "commitment": True})).score >= s
        # a graver finding weighs at least as much as a lighter one
        assert compute(Inputs(**{**base.__dict__, "serious": serious + 1})).score <= compute(
            Inputs(**{**base.__dict__, "major": major + 1})).score <= compute(
            Inputs(**{**base.__dict__, "minor": minor + 1})).score


# ------------------------------------------------------------------ inputs from the platform


@pytest.fixture()
def operator(db):
    """A fresh enterprise in 610113 with four instruments in use, one of them overdue."""
    import secrets

    from jiliang.instruments.models import Instrument, InstrumentType
    from jiliang.orgs.models import Organisation

    org = Organisation(name=f"诚信测试商行{secrets.token_hex(3)}", kind="enterprise", region_code="610113",
                       city_code="610100")
    db.add(org)
    db.flush()
    type_id = db.scalar(select(InstrumentType.id).order_by(InstrumentType.id))
    for i, status in enumerate(("in_service", "in_service", "due", "overdue", "scrapped")):
        db.add(Instrument(owner_org_id=org.id, type_id=type_id, serial_no=f"INT-{org.id}-{i}", region_code="610113",
                          city_code="610100", status=status, qr_token=secrets.token_hex(16)))
    db.commit()
    return org


def test_inputs_from_instruments_complaints_and_commitments(db, operator, monkeypatch):
    from jiliang.complaints import service as complaints
    from jiliang.core.security import Principal
    from jiliang.integrity import service

    today = date.today()
    x = service.gather(db, today, [operator.id])[operator.id]
    assert (x.overdue, x.in_use, x.upheld, x.commitment) == (1, 4, 0, False)
    assert service.rate(db, operator.id)["terms"] == {"F": 0.0, "C": 0.0, "O": 7.5, "K": 0.0}
    # an upheld complaint about the operator counts; a not-upheld one does not
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_IP", "1000")
    from jiliang.core.security import SYSTEM

    for outcome in ("upheld", "not_upheld"):
        c = complaints.create(db, None, {
            "category": "short_weight", "county": "610113", "business_name": operator.name,
            "description": "多次称量不足，反映给市场监管部门。", "anonymous": True, "consent": True}, "192.0.2.50")
        assert c.subject_org_id == operator.id  # matched by name within the county
        complaints.act(db, SYSTEM, c.id, "accept", {})
        complaints.act(db, SYSTEM, c.id, "outcome", {"outcome": outcome, "reply": "已处理"})
    x = service.gather(db, today, [operator.id])[operator.id]
    assert x.upheld == 1
    # a commitment
    who = Principal(user_id=0, username="t", role="enterprise", org_id=operator.id, display_name="测试")
    service.sign(db, who, {"text_version": service.COMMITMENT_VERSION, "agree": True})
    r = service.rate(db, operator.id)
    assert r["inputs"]["commitment"] is True
    assert r["score"] == 90 - 8 - 7.5 + 10 == 84.5 and r["grade"] == "B"
    db.rollback()


@pytest.mark.skipif(not __import__("jiliang.features", fromlist=["present"]).present(
    "jiliang.supervision.inspection_models"), reason="inspections not built yet")
def test_findings_term_reads_inspection_findings(db, operator):
    from jiliang.integrity import service
    from jiliang.supervision.inspection_models import InspectionFinding

    cols = {c.name for c in InspectionFinding.__table__.columns}
    today = date.today()
    base = service.gather(db, today, [operator.id])[operator.id]
    assert base.findings_available and (base.minor, base.major, base.serious) == (0, 0, 0)
    # findings need an inspection; use whatever row the demo holds
    inspection_id = db.scalar(select(InspectionFinding.inspection_id).limit(1))
    if inspection_id is None:
        pytest.skip("no inspection in the demo data")
    extra = {"status": "open"}
    for sev, found, rectify in (("serious", today - timedelta(days=10), today - timedelta(days=1)),
                                ("minor", today - timedelta(days=900), None)):
        values = {"inspection_id": inspection_id, "target_org_id": operator.id, "item": "铅封破损",
                  "severity": sev, "found_on": found, "rectify_by": rectify, "region_code": "610113",
                  "city_code": "610100", **extra}
        db.add(InspectionFinding(**{k: v for k, v in values.items() if k in cols}))
    db.flush()
    x = service.gather(db, today, [operator.id])[operator.id]
    assert (x.serious, x.minor, x.open_past_deadline) == (1, 0, 1)  # the old one is outside 730 days
    assert compute(x).findings == 15
    db.rollback()


def test_nightly_keeps_a_history(db, operator):
    from jiliang.integrity import service
    from jiliang.integrity.models import Rating

    day1, day2 = date.today() - timedelta(days=2), date.today() - timedelta(days=1)
    s1 = service.recompute(db, day1)
    service.recompute(db, day2)
    again = service.recompute(db, day2)  # a re-run on the same date replaces that day's row
    assert s1["operators"] == again["operators"] >= 1 and sum(again["grades"].values()) == again["operators"]
    rows = db.scalars(select(Rating).where(Rating.org_id == operator.id).order_by(Rating.as_of)).all()
    assert [r.as_of for r in rows][-2:] == [day1, day2] and len({r.as_of for r in rows}) == len(rows)
    assert rows[-1].inputs["O"] == 7.5 and rows[-1].formula_version == service.FORMULA_VERSION
    out = service.nightly(db)
    assert out["as_of"] == date.today().isoformat()
    db.commit()


# ------------------------------------------------------------------ API by role


def test_public_endpoints_answer_everyone(client, auth, db):
    from jiliang.people.models import User

    org_id = db.scalar(select(User.org_id).where(User.username == "enterprise"))
    for user in USERS:
        f = rolecheck.call(client, auth, "GET", "/api/v1/integrity/formula", user)
        assert f.status_code == 200 and f.json()["expression"].startswith("score")
        assert [g["grade"] for g in f.json()["grades"]] == ["A", "B", "C", "D"]
        t = rolecheck.call(client, auth, "GET", "/api/v1/integrity/commitment-text", user)
        assert t.status_code == 200 and "计量法" in t.json()["zh"]
        q = rolecheck.call(client, auth, "GET", "/api/v1/integrity/operators?q={q}", user, q="")
        assert q.status_code == 200 and q.json()["total"] >= 1
        p = rolecheck.call(client, auth, "GET", "/api/v1/integrity/operators/{id}", user, id=org_id)
        assert p.status_code == 200 and p.json()["rating"]["grade"] in "ABCD"
    prof = client.get(f"/api/v1/integrity/operators/{org_id}").json()
    assert prof["commitment"]["current"] and prof["declaration"]["instruments_count"] == 42
    assert "declared_by" not in prof["declaration"]
    uscc = prof["uscc"]
    if uscc:
        hit = client.get("/api/v1/integrity/operators", params={"q": uscc}).json()
        assert [i["org_id"] for i in hit["items"]] == [org_id]
    then = (date.today() - timedelta(days=30)).isoformat()
    dated = rolecheck.call(client, auth, "GET", "/api/v1/integrity/operators/{id}?as_of={d}", None, id=org_id, d=then)
    assert dated.status_code == 200 and dated.json()["live"]["as_of"] == then
    for bad in ("1999-12-31", (date.today() + timedelta(days=1)).isoformat(), "2026-02-30"):
        r = client.get(f"/api/v1/integrity/operators/{org_id}", params={"as_of": bad})
        assert r.status_code == 422 and "as_of" in r.json()["fields"], bad
    # a laboratory or a regulator is not an operator
    lab = db.scalar(select(User.org_id).where(User.username == "labmanager"))
    assert client.get(f"/api/v1/integrity/operators/{lab}").status_code == 404


def test_commitments_by_role(client, auth, operator, db):
    from jiliang.core.security import SYSTEM
    from jiliang.people.service import create_user

    create_user(db, SYSTEM, username=f"op{operator.id}", display_name="经营者", role="enterprise",
                password="jiliang-demo", org_id=operator.id)
    db.commit()
    me = f"op{operator.id}"
    body = {"text_version": "2026.1", "agree": True, "signer_title": "店长"}
    for user, status in (("admin", 403), ("yanta", 403), ("labmanager", 403), (None, 401)):
        assert rolecheck.call(client, auth, "POST", "/api/v1/integrity/commitments", user, json=body).status_code \
            == status, user
    bad = client.post("/api/v1/integrity/commitments", headers=auth(me), json={**body, "agree": False,
                                                                              "text_version": "1999"})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"agree", "text_version"}
    r = rolecheck.call(client, auth, "POST", "/api/v1/integrity/commitments", me, json=body)
    assert r.status_code == 201 and r.json()["org_id"] == operator.id and r.json()["signer_title"] == "店长"
    assert client.post("/api/v1/integrity/commitments", headers=auth(me), json=body).status_code == 409
    cid = r.json()["id"]
    url = "/api/v1/integrity/commitments/{id}/withdraw"
    for user, status in (("enterprise", 404), ("enterprise_b", 404), ("admin", 403), ("yanta", 403), (None, 401)):
        assert rolecheck.call(client, auth, "POST", url, user, json={"reason": "x"}, id=cid).status_code == status
    assert rolecheck.call(client, auth, "POST", url, me, json={"reason": ""}, id=cid).status_code == 422
    w = rolecheck.call(client, auth, "POST", url, me, json={"reason": "经营主体变更"}, id=cid)
    assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    assert client.post(url.format(id=cid), headers=auth(me), json={"reason": "again"}).status_code == 409
    from jiliang.core import audit

    assert [e.action for e in audit.entries_for(db, "integrity_commitment", cid)] == ["withdraw", "sign"]
    # signing again after a withdrawal is allowed
    assert client.post("/api/v1/integrity/commitments", headers=auth(me), json=body).status_code == 201


def test_declarations_by_role_and_validation(client, auth, operator, db):
    from jiliang.core.security import SYSTEM
    from jiliang.people.service import create_user

    me = f"decl{operator.id}"
    create_user(db, SYSTEM, username=me, display_name="经营者", role="enterprise", password="jiliang-demo",
                org_id=operator.id)
    db.commit()
    body = {"management": "设专职计量员", "instruments_count": 4, "standards_count": 0, "staff_count": 2,
            "registered_metrologists": 0, "traceability": "由西安市计量院检定"}
    for user, status in (("admin", 403), ("yanta", 403), ("metrologist", 403), (None, 401)):
        assert rolecheck.call(client, auth, "POST", "/api/v1/integrity/declarations", user,
                              json=body).status_code == status, user
    bad = client.post("/api/v1/integrity/declarations", headers=auth(me),
                      json={**body, "registered_metrologists": 3, "management": "a\x00",
                            "declared_on": (date.today() + timedelta(days=1)).isoformat()})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"registered_metrologists", "management", "declared_on"}
    assert client.post("/api/v1/integrity/declarations", headers=auth(me),
                       json={**body, "staff_count": -1}).status_code == 422
    first = rolecheck.call(client, auth, "POST", "/api/v1/integrity/declarations", me, json=body)
    assert first.status_code == 201 and first.json()["org_id"] == operator.id
    second = client.post("/api/v1/integrity/declarations", headers=auth(me), json={**body, "staff_count": 3})
    assert second.status_code == 201
    prof = client.get(f"/api/v1/integrity/operators/{operator.id}").json()
    assert prof["declaration"]["id"] == second.json()["id"] and prof["declaration"]["staff_count"] == 3
    from jiliang.integrity.models import CapabilityDeclaration

    old = db.get(CapabilityDeclaration, first.json()["id"])
    db.refresh(old)
    assert old.status == "superseded"  # kept, not deleted


def test_recompute_by_role(client, auth):
    url = "/api/v1/integrity/ratings/recompute"
    for user, status in (("yanta", 403), ("province", 403), ("enterprise", 403), (None, 401)):
        assert rolecheck.call(client, auth, "POST", url, user, json={}).status_code == status, user
    future = (date.today() + timedelta(days=3)).isoformat()
    r = rolecheck.call(client, auth, "POST", url, "admin", json={"as_of": future})
    assert r.status_code == 422 and "as_of" in r.json()["fields"]
    r = rolecheck.call(client, auth, "POST", url, "admin", json={})
    assert r.status_code == 200 and r.json()["operators"] >= 1


# ------------------------------------------------------------------ pages


def test_public_query_page_shows_formula_inputs_and_grade(client, db):
    from jiliang.people.models import User

    org_id = db.scalar(select(User.org_id).where(User.username == "enterprise"))
    r = client.get("/public/integrity")
    assert r.status_code == 200 and 'data-testid="formula"' in r.text and "90 − F − C − O + K" in r.text
    p = client.get(f"/public/integrity/{org_id}")
    assert p.status_code == 200
    for testid in ("term-F", "term-C", "term-O", "term-K", "commitment", "declaration"):
        assert f'data-testid="{testid}"' in p.text
    en = client.get(f"/public/integrity/{org_id}?lang=en")
    assert "Capability self-declaration" in en.text
    client.cookies.clear()


def test_enterprise_page_signs_and_keeps_declaration_values(app, db, operator):
    import re

    from fastapi.testclient import TestClient

    from jiliang.core.security import SYSTEM
    from jiliang.people.service import create_user

    me = f"page{operator.id}"
    create_user(db, SYSTEM, username=me, display_name="经营者", role="enterprise", password="jiliang-demo",
                org_id=operator.id)
    db.commit()
    with TestClient(app) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": me, "password": "jiliang-demo", "csrf": csrf})
        page = c.get("/integrity")
        assert page.status_code == 200 and 'data-testid="sign-form"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = c.post("/integrity/commitment", data={"csrf": csrf, "text_version": "2026.1"})
        assert r.status_code == 422 and 'data-testid="error-agree"' in r.text
        r = c.post("/integrity/commitment", data={"csrf": csrf, "text_version": "2026.1", "agree": "1"},
                   follow_redirects=False)
        assert r.status_code == 303
        form = {"csrf": csrf, "management": "计量管理制度齐全", "instruments_count": "七",
                "standards_count": "0", "staff_count": "2", "registered_metrologists": "1",
                "traceability": "由省计量院检定", "instruments_note": "电子秤 7 台"}
        r = c.post("/integrity/declaration", data=form)
        assert r.status_code == 422 and 'data-testid="error-instruments_count"' in r.text
        for value in ("计量管理制度齐全", "七", "由省计量院检定", "电子秤 7 台"):
            assert value in r.text
        form["instruments_count"] = "7"
        assert c.post("/integrity/declaration", data=form, follow_redirects=False).status_code == 303
    public = TestClient(app).get(f"/public/integrity/{operator.id}")
    assert "电子秤 7 台" in public.text and "已签署" in public.text
