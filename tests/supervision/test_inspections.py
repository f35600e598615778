"""Campaigns, inspections, findings with rectification follow-up, the inspector pool: workflow,
audit, and every endpoint per role and scope (through ``rolecheck.call``)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from rolecheck import call, exercised

API = "/api/v1/supervision"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def orgs(platform):
    """The enterprise demo user's organisation, another target in 610113, one outside it."""
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User

    with session_scope() as s:
        return _orgs(s, User, Organisation)


def _orgs(s, User, Organisation):
    mine = s.scalar(select(User.org_id).where(User.username == "enterprise"))
    other_b = s.scalar(select(User.org_id).where(User.username == "enterprise_b"))
    second = s.scalar(select(Organisation.id).where(
        Organisation.region_code == "610113", Organisation.kind.in_(("enterprise", "individual")),
        Organisation.id != mine, Organisation.status == "active").order_by(Organisation.id.desc()))
    outside = s.scalar(select(Organisation.id).where(
        Organisation.city_code == "610300", Organisation.kind == "enterprise").order_by(Organisation.id))
    return {"mine": mine, "other_b": other_b, "second": second, "outside": outside}


def _audit_count(entity: str, entity_id) -> int:
    from jiliang.core.audit import AuditEntry
    from jiliang.core.db import session_scope

    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id)))


@pytest.fixture(scope="module")
def campaign(client, auth, orgs):
    """A county campaign by the Yanta regulator with two targets; the first has inspectors."""
    pool = call(client, auth, "GET", API + "/inspectors", "yanta").json()["items"]
    ids = [i["id"] for i in pool if i["region_code"] == "610113"][:3]
    today = date.today()
    r = call(client, auth, "POST", API + "/campaigns", "yanta", json={
        "title": "雁塔区眼镜店专项检查", "category": "optician", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(), "inspector_ids": ids,
        "targets": [{"org_id": orgs["mine"], "inspector_ids": ids[:2]}, {"org_id": orgs["second"]}],
    })
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["region_code"] == "610113" and body["category"] == "optician"
    assert [c["code"] for c in body["checklist"]] == ["C1", "C2", "C3"]  # the optician defaults
    assert len(body["inspections"]) == 2
    return body


# ------------------------------------------------------------------ campaigns


def test_categories_builtin_and_defined(client, auth):
    r = call(client, auth, "GET", API + "/campaigns/categories", "xian")
    assert r.status_code == 200
    codes = [c["code"] for c in r.json()]
    assert codes[:5] == ["market", "fuel_station", "restaurant", "shop", "optician"]
    for user, status in (("enterprise", 403), ("labmanager", 403), (None, 401)):
        assert call(client, auth, "GET", API + "/campaigns/categories", user).status_code == status
    body = {"code": "taxi", "name_zh": "出租汽车", "name_en": "Taxis", "type_codes": ["TX-TAXI"],
            "checklist": ["计价器按期检定", "计价器铅封完好"]}
    r = call(client, auth, "POST", API + "/campaigns/categories", "xian", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["checklist"][1] == {"code": "C2", "text_zh": "计价器铅封完好", "text_en": "计价器铅封完好"}
    assert call(client, auth, "POST", API + "/campaigns/categories", "xian", json=body).status_code == 409
    bad = call(client, auth, "POST", API + "/campaigns/categories", "xian",
               json={**body, "code": "bus", "type_codes": ["NOPE"]})
    assert bad.status_code == 422 and "type_codes[0]" in bad.json()["fields"]
    bad = call(client, auth, "POST", API + "/campaigns/categories", "xian", json={**body, "code": "Bad Code"})
    assert bad.status_code == 422 and "code" in bad.json()["fields"]
    assert call(client, auth, "POST", API + "/campaigns/categories", "enterprise",
                json={**body, "code": "x1"}).status_code == 403


def test_campaign_created_with_audit_and_refused_outside_scope(client, auth, campaign, orgs):
    assert _audit_count("inspection_campaign", campaign["id"]) == 1
    for i in campaign["inspections"]:
        assert _audit_count("inspection", i["id"]) >= 1
    today = date.today().isoformat()
    base = {"title": "x", "category": "market", "starts_on": today, "ends_on": today}
    # a county regulator cannot run a campaign in another county; others cannot at all
    r = call(client, auth, "POST", API + "/campaigns", "baoji", json={**base, "region_code": "610113"})
    assert r.status_code == 403
    assert call(client, auth, "POST", API + "/campaigns", "enterprise", json=base).status_code == 403
    assert call(client, auth, "POST", API + "/campaigns", "labmanager", json=base).status_code == 403
    assert call(client, auth, "POST", API + "/campaigns", None, json=base).status_code == 401
    # bad input names the field
    r = call(client, auth, "POST", API + "/campaigns", "yanta",
             json={**base, "ends_on": (date.today() - timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "ends_on" in r.json()["fields"]
    r = call(client, auth, "POST", API + "/campaigns", "yanta", json={**base, "category": "nosuch"})
    assert r.status_code == 422 and "category" in r.json()["fields"]
    r = call(client, auth, "POST", API + "/campaigns", "yanta", json={**base, "title": "a\x00b"})
    assert r.status_code == 422 and "title" in r.json()["fields"]
    r = call(client, auth, "POST", API + "/campaigns", "yanta", json={**base, "targets": [{"org_id": orgs["outside"]}]})
    assert r.status_code == 422 and "targets[0].org_id" in r.json()["fields"]
    r = call(client, auth, "POST", API + "/campaigns", "yanta", json={**base, "region_code": "999999"})
    assert r.status_code == 422 and "region_code" in r.json()["fields"]


def test_campaign_read_per_role_and_scope(client, auth, campaign):
    t = API + "/campaigns/{id}"
    for user, status in (("yanta", 200), ("xian", 200), ("province", 200), ("admin", 200), ("enterprise", 200),
                         ("baoji", 404), ("beilin", 404), ("enterprise_b", 404), ("labmanager", 403), (None, 401)):
        assert call(client, auth, "GET", t, user, id=campaign["id"]).status_code == status, user
    # the enterprise sees only its own target in the campaign
    body = call(client, auth, "GET", t, "enterprise", id=campaign["id"]).json()
    assert len(body["inspections"]) == 1 and body["targets"] == 1
    lst = call(client, auth, "GET", API + "/campaigns?q=眼镜店", "yanta").json()
    assert campaign["id"] in [c["id"] for c in lst["items"]]
    assert campaign["id"] not in [c["id"] for c in call(client, auth, "GET", API + "/campaigns", "baoji").json()["items"]]
    assert call(client, auth, "GET", API + "/campaigns", "labmanager").status_code == 403
    assert call(client, auth, "GET", API + "/campaigns?status=nope", "yanta").status_code == 422
    r = call(client, auth, "GET", API + "/campaigns/export?q=眼镜店", "yanta")
    assert r.status_code == 200 and "雁塔区眼镜店专项检查" in r.content.decode("utf-8-sig")
    r = call(client, auth, "GET", API + "/campaigns/export?format=xlsx", "xian")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert call(client, auth, "GET", API + "/campaigns/export", "labmanager").status_code == 403


def test_campaign_update_targets_and_status(client, auth, campaign, orgs):
    t = API + "/campaigns/{id}"
    r = call(client, auth, "PATCH", t, "yanta", json={"description": "重点：验光仪"}, id=campaign["id"])
    assert r.status_code == 200 and r.json()["description"] == "重点：验光仪"
    assert call(client, auth, "PATCH", t, "beilin", json={"description": "x"}, id=campaign["id"]).status_code == 404
    assert call(client, auth, "PATCH", t, "enterprise", json={"description": "x"}, id=campaign["id"]).status_code == 403
    r = call(client, auth, "PATCH", t, "yanta", json={"ends_on": "2001-01-01"}, id=campaign["id"])
    assert r.status_code == 422 and "ends_on" in r.json()["fields"]
    tt = API + "/campaigns/{id}/targets"
    r = call(client, auth, "POST", tt, "yanta", json={"org_id": orgs["mine"]}, id=campaign["id"])
    assert r.status_code == 422 and "target.org_id" in r.json()["fields"]  # already a target
    r = call(client, auth, "POST", tt, "yanta", json={"org_id": orgs["outside"]}, id=campaign["id"])
    assert r.status_code == 422 and "target.org_id" in r.json()["fields"]
    assert call(client, auth, "POST", tt, "enterprise", json={"org_id": orgs["mine"]}, id=campaign["id"]).status_code == 403
    # another campaign, closed with a reason: no more changes
    today = date.today().isoformat()
    other = call(client, auth, "POST", API + "/campaigns", "xian", json={
        "title": "临时", "category": "shop", "starts_on": today, "ends_on": today, "region_code": "610113"}).json()
    r = call(client, auth, "POST", tt, "xian", json={"org_id": orgs["second"]}, id=other["id"])
    assert r.status_code == 201 and r.json()["target_org_id"] == orgs["second"]
    st = API + "/campaigns/{id}/status"
    assert call(client, auth, "POST", st, "enterprise", json={"status": "closed", "reason": "x"}, id=other["id"]).status_code == 403
    r = call(client, auth, "POST", st, "yanta", json={"status": "cancelled", "reason": "计划调整"}, id=other["id"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert call(client, auth, "PATCH", t, "yanta", json={"title": "y"}, id=other["id"]).status_code == 409
    assert call(client, auth, "POST", st, "yanta", json={"status": "open", "reason": "x"}, id=other["id"]).status_code == 422


# ------------------------------------------------------------------ inspections and findings


def test_inspection_record_and_scope(client, auth, campaign):
    first, second = campaign["inspections"]
    t = API + "/inspections/{id}"
    for user, status in (("yanta", 200), ("xian", 200), ("enterprise", 200), ("enterprise_b", 404),
                         ("baoji", 404), ("labmanager", 403), (None, 401)):
        assert call(client, auth, "GET", t, user, id=first["id"]).status_code == status, user
    assert call(client, auth, "GET", t, "enterprise", id=second["id"]).status_code == 404
    rec = API + "/inspections/{id}/record"
    body = {"inspected_on": date.today().isoformat(), "conclusion": "验光仪超期",
            "checklist_results": [{"code": "C1", "result": "fail", "note": "1 台超期"}, {"code": "C2", "result": "pass"}]}
    assert call(client, auth, "POST", rec, "enterprise", json=body, id=first["id"]).status_code == 403
    assert call(client, auth, "POST", rec, "beilin", json=body, id=first["id"]).status_code == 404
    r = call(client, auth, "POST", rec, "yanta", json={**body, "checklist_results": [{"code": "C9", "result": "pass"}]}, id=first["id"])
    assert r.status_code == 422 and "checklist_results[0].code" in r.json()["fields"]
    r = call(client, auth, "POST", rec, "yanta", json={**body, "inspected_on": "2999-01-01"}, id=first["id"])
    assert r.status_code == 422 and "inspected_on" in r.json()["fields"]
    r = call(client, auth, "POST", rec, "yanta", json=body, id=first["id"])
    assert r.status_code == 200 and r.json()["status"] == "inspected"
    assert r.json()["checklist_results"][0] == {"code": "C1", "result": "fail", "note": "1 台超期"}
    assert len(r.json()["team"]) == 2
    # the list: scoped, searchable, exportable
    mine = call(client, auth, "GET", API + "/inspections", "enterprise").json()["items"]
    assert mine and {i["target_org_id"] for i in mine} == {first["target_org_id"]}
    theirs = call(client, auth, "GET", API + "/inspections", "enterprise_b").json()["items"]
    assert first["id"] not in [i["id"] for i in theirs]
    assert call(client, auth, "GET", API + "/inspections", "labmanager").status_code == 403
    r = call(client, auth, "GET", API + "/inspections?campaign_id=" + str(campaign["id"]), "yanta")
    assert r.json()["total"] == 2
    r = call(client, auth, "GET", API + "/inspections/export?campaign_id=" + str(campaign["id"]), "yanta")
    assert r.status_code == 200 and first["target_name"] in r.content.decode("utf-8-sig")
    # cancelling a target without findings
    cancel = API + "/inspections/{id}/cancel"
    assert call(client, auth, "POST", cancel, "enterprise", json={"reason": "x"}, id=second["id"]).status_code == 403
    r = call(client, auth, "POST", cancel, "yanta", json={"reason": "已停业"}, id=second["id"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert call(client, auth, "POST", rec, "yanta", json=body, id=second["id"]).status_code == 409


@pytest.fixture(scope="module")
def finding(client, auth, campaign):
    first = campaign["inspections"][0]
    today = date.today()
    r = call(client, auth, "POST", API + "/findings", "yanta", json={
        "inspection_id": first["id"], "item": "验光仪检定标志过期", "description": "型号 RM-800",
        "severity": "major", "found_on": today.isoformat(), "rectify_by": (today + timedelta(days=10)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()


def test_finding_refusals_name_the_field(client, auth, campaign, finding):
    first = campaign["inspections"][0]
    t = API + "/findings"
    base = {"inspection_id": first["id"], "item": "x", "severity": "minor"}
    assert call(client, auth, "POST", t, "enterprise", json=base).status_code == 403
    assert call(client, auth, "POST", t, "labmanager", json=base).status_code == 403
    r = call(client, auth, "POST", t, "baoji", json=base)
    assert r.status_code == 422 and "inspection_id" in r.json()["fields"]
    r = call(client, auth, "POST", t, "yanta", json={**base, "severity": "fatal"})
    assert r.status_code == 422 and "severity" in r.json()["fields"]
    r = call(client, auth, "POST", t, "yanta", json={**base, "found_on": "2026-01-10", "rectify_by": "2026-01-09"})
    assert r.status_code == 422 and "rectify_by" in r.json()["fields"]
    r = call(client, auth, "POST", t, "yanta", json={**base, "instrument_id": 1})
    assert r.status_code == 422 and "instrument_id" in r.json()["fields"]
    assert finding["status"] == "open" and finding["target_org_id"] == first["target_org_id"]
    assert _audit_count("inspection_finding", finding["id"]) == 1


def test_finding_notifies_the_target_once(finding):
    """With the outbox present, a finding queues one notice to the inspected organisation."""
    from jiliang.core.db import session_scope
    from jiliang.features import present

    if not present("jiliang.supervision.outbox"):
        pytest.skip("the outbox is not part of this build")
    from jiliang.supervision import inspection_service as service
    from jiliang.supervision.inspection_models import Inspection, InspectionFinding
    from jiliang.supervision.warning_models import Notice

    with session_scope() as s:
        row = s.get(InspectionFinding, finding["id"])
        service._notify(s, row, s.get(Inspection, row.inspection_id))  # a second time: no new notice
        notices = list(s.scalars(select(Notice).where(Notice.topic == "inspection_finding",
                                                      Notice.dedup_key == str(finding["id"]))))
    assert len(notices) == 1 and notices[0].org_id == finding["target_org_id"]
    assert notices[0].link == f"/inspections/findings/{finding['id']}"


def test_finding_read_scope_and_lists(client, auth, finding):
    t = API + "/findings/{id}"
    for user, status in (("yanta", 200), ("xian", 200), ("admin", 200), ("enterprise", 200),
                         ("enterprise_b", 404), ("baoji", 404), ("labmanager", 403), (None, 401)):
        assert call(client, auth, "GET", t, user, id=finding["id"]).status_code == status, user
    mine = call(client, auth, "GET", API + "/findings?q=验光仪", "enterprise").json()
    assert [f["id"] for f in mine["items"]] == [finding["id"]]
    assert call(client, auth, "GET", API + "/findings?q=验光仪", "enterprise_b").json()["total"] == 0
    assert call(client, auth, "GET", API + "/findings", "labmanager").status_code == 403
    assert call(client, auth, "GET", API + "/findings?severity=bad", "yanta").status_code == 422
    r = call(client, auth, "GET", API + "/findings/export?q=验光仪", "yanta")
    assert r.status_code == 200 and "验光仪检定标志过期" in r.content.decode("utf-8-sig")


def test_overdue_rectifications_are_listed(client, auth):
    """The demo's overdue finding (rectify-by 10 days ago, still open) shows in the overdue list."""
    r = call(client, auth, "GET", API + "/findings?overdue=true", "xian")
    items = r.json()["items"]
    assert items and all(f["overdue"] and f["status"] == "open" for f in items)
    assert all(f["rectify_by"] < date.today().isoformat() for f in items)
    assert call(client, auth, "GET", API + "/findings?overdue=true", "baoji").json()["total"] == 0


def test_nightly_reminds_overdue_rectifications_once(platform):
    from jiliang.core.db import session_scope
    from jiliang.features import present
    from jiliang.supervision import inspection_service as service

    with session_scope() as s:
        first = service.nightly(s)
        again = service.nightly(s)
    assert first["overdue"] >= 1 and again["overdue"] == first["overdue"]
    assert again["notices"] == 0
    if present("jiliang.supervision.outbox"):
        from jiliang.supervision.warning_models import Notice

        with session_scope() as s:
            n = s.scalar(select(func.count()).select_from(Notice).where(Notice.topic == "rectification_overdue"))
        assert n >= first["overdue"]


def test_attachments_type_checked_and_readable_only_by_those_allowed(client, auth, finding):
    url = f"{API}/findings/{finding['id']}/attachments"
    exercised("POST", API + "/findings/{item_id}/attachments")
    r = client.post(url, headers=auth("yanta"), files=[("attachments", ("note.txt", b"hello", "text/plain"))])
    assert r.status_code == 422 and "attachments" in r.json()["fields"]
    r = client.post(url, headers=auth("yanta"), files=[("attachments", ("fake.png", b"GIF89a....", "image/png"))])
    assert r.status_code == 422 and "attachments" in r.json()["fields"]
    r = client.post(url, headers=auth("enterprise_b"), files=[("attachments", ("a.png", PNG, "image/png"))])
    assert r.status_code == 404
    r = client.post(url, headers=auth("yanta"), files=[("attachments", ("现场.png", PNG, "image/png"))])
    assert r.status_code == 201, r.text
    att = r.json()["attachments"][-1]
    assert att["content_type"] == "image/png" and att["size"] == len(PNG)
    path = att["url"]
    for user, status in (("yanta", 200), ("xian", 200), ("enterprise", 200), ("enterprise_b", 404),
                         ("baoji", 404), ("labmanager", 404), (None, 404)):
        got = client.get(path, headers=auth(user))
        assert got.status_code == status, user
        if status == 200:
            assert got.content == PNG
    assert _audit_count("attachment", att["id"]) == 1


def test_rectification_follow_up_to_closure(client, auth, finding, campaign):
    rep = API + "/findings/{id}/rectification"
    ver = API + "/findings/{id}/verify"
    fid = finding["id"]
    assert call(client, auth, "POST", rep, "yanta", json={"note": "x"}, id=fid).status_code == 403
    assert call(client, auth, "POST", rep, "enterprise_b", json={"note": "x"}, id=fid).status_code == 404
    assert call(client, auth, "POST", ver, "yanta", json={"accept": True, "note": "x"}, id=fid).status_code == 409
    r = call(client, auth, "POST", rep, "enterprise", json={"note": "已送检，检定合格"}, id=fid)
    assert r.status_code == 200 and r.json()["status"] == "rectified"
    assert call(client, auth, "POST", rep, "enterprise", json={"note": "again"}, id=fid).status_code == 409
    assert call(client, auth, "POST", ver, "enterprise", json={"accept": True, "note": "x"}, id=fid).status_code == 403
    assert call(client, auth, "POST", ver, "baoji", json={"accept": True, "note": "x"}, id=fid).status_code == 404
    r = call(client, auth, "POST", ver, "yanta", json={"accept": False, "note": "证书未附"}, id=fid)
    assert r.status_code == 422 and "new_deadline" in r.json()["fields"]
    later = (date.today() + timedelta(days=5)).isoformat()
    r = call(client, auth, "POST", ver, "yanta", json={"accept": False, "note": "证书未附", "new_deadline": later}, id=fid)
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["rectify_by"] == later
    call(client, auth, "POST", rep, "enterprise", json={"note": "附检定证书"}, id=fid)
    r = call(client, auth, "POST", ver, "yanta", json={"accept": True, "note": "核实通过"}, id=fid)
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed_on"] == date.today().isoformat()
    assert [u["kind"] for u in r.json()["follow_ups"]] == ["report", "reject", "report", "accept"]
    # the only finding closed: the inspection is done
    insp = call(client, auth, "GET", API + "/inspections/{id}", "yanta", id=finding["inspection_id"]).json()
    assert insp["status"] == "closed"
    assert _audit_count("inspection_finding", fid) == 5
    r = client.post(f"{API}/findings/{fid}/attachments", headers=auth("yanta"),
                    files=[("attachments", ("a.png", PNG, "image/png"))])
    assert r.status_code == 409


# ------------------------------------------------------------------ inspectors


def test_inspector_pool_scope_and_relations(client, auth, orgs):
    t = API + "/inspectors"
    assert call(client, auth, "GET", t, "enterprise").status_code == 403
    assert call(client, auth, "GET", t, "labmanager").status_code == 403
    r = call(client, auth, "POST", t, "yanta", json={"name": "测试员", "badge_no": "T-0001"})
    assert r.status_code == 201 and r.json()["region_code"] == "610113"
    iid = r.json()["id"]
    assert _audit_count("inspector", iid) == 1
    r = call(client, auth, "POST", t, "yanta", json={"name": "测试员", "badge_no": "T-0001"})
    assert r.status_code == 422 and "badge_no" in r.json()["fields"]
    assert call(client, auth, "POST", t, "yanta", json={"name": "x", "badge_no": "T-2", "region_code": "610100"}).status_code == 403
    assert call(client, auth, "POST", t, "enterprise", json={"name": "x", "badge_no": "T-3"}).status_code == 403
    r = call(client, auth, "POST", t, "yanta", json={"name": "x", "badge_no": "T-4", "user_id": 1})
    assert r.status_code == 422 and "user_id" in r.json()["fields"]
    one = t + "/{id}"
    assert call(client, auth, "GET", one, "yanta", id=iid).status_code == 200
    assert call(client, auth, "GET", one, "xian", id=iid).status_code == 200
    assert call(client, auth, "GET", one, "baoji", id=iid).status_code == 404
    rel = t + "/{id}/relations"
    body = {"org_id": orgs["second"], "note": "配偶在该单位任职"}
    assert call(client, auth, "POST", rel, "baoji", json=body, id=iid).status_code == 404
    assert call(client, auth, "POST", rel, "enterprise", json=body, id=iid).status_code == 403
    r = call(client, auth, "POST", rel, "yanta", json=body, id=iid)
    assert r.status_code == 200 and r.json()["relations"][0]["org_id"] == orgs["second"]
    r = call(client, auth, "POST", rel, "yanta", json={"org_id": 2_000_000_000, "note": "x"}, id=iid)
    assert r.status_code == 422 and "org_id" in r.json()["fields"]
    assert call(client, auth, "GET", t + "?q=T-0001", "yanta").json()["total"] == 1
    ret = t + "/{id}/retire"
    assert call(client, auth, "POST", ret, "enterprise", json={"reason": "x"}, id=iid).status_code == 403
    r = call(client, auth, "POST", ret, "yanta", json={"reason": "调岗"}, id=iid)
    assert r.status_code == 200 and r.json()["status"] == "retired"
    assert call(client, auth, "POST", rel, "yanta", json=body, id=iid).status_code == 409


# ------------------------------------------------------------------ pages


def _login(client, user):
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": user, "password": "jiliang-demo", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/inspections")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_pages_render_for_regulator_and_target(client, campaign, finding):
    first = campaign["inspections"][0]
    try:
        _login(client, "yanta")
        for url in ["/inspections", "/inspections/campaigns/new", f"/inspections/campaigns/{campaign['id']}",
                    "/inspections/tasks?mine=1", f"/inspections/{first['id']}", "/inspections/findings?overdue=1",
                    f"/inspections/findings/{finding['id']}", "/inspections/inspectors", "/inspections/draws",
                    "/inspections/export", "/inspections/findings/export?format=xlsx", "/inspections/tasks/export",
                    "/inspections?lang=en"]:
            r = client.get(url)
            assert r.status_code == 200, url
        page = client.get(f"/inspections/{first['id']}").text
        assert 'capture="environment"' in page and 'accept="image/*"' in page
        _login(client, "enterprise")
        assert client.get(f"/inspections/findings/{finding['id']}").status_code == 200
        assert client.get("/inspections/draws").status_code == 403
        _login(client, "enterprise_b")
        assert client.get(f"/inspections/{first['id']}").status_code == 404
    finally:
        client.cookies.clear()


def test_campaign_form_keeps_input_and_names_the_field(client):
    try:
        csrf = _login(client, "yanta")
        r = client.post("/inspections/campaigns/new", data={
            "csrf": csrf, "title": "保留的标题", "category": "market", "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
        assert r.status_code == 422
        assert "保留的标题" in r.text and "ends_on" in r.text
    finally:
        client.cookies.clear()
