"""The case workflow through the API: who may open, see and decide; dispositions, audit, closure;
owners notified once. Every endpoint is called through ``rolecheck.call``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from jiliang.core.audit import AuditEntry
from jiliang.traceability import reverse as svc
from jiliang.traceability.reverse_models import ReverseItem
from rolecheck import call

BASE = "/api/v1/trace/reverse"


def _body(chain, **extra):
    return {"standard_code": chain["code_a"], "since": chain["since"].isoformat(),
            "until": chain["until"].isoformat(), "error_found": 0.2, "error_unit": "kg",
            "description": "砝码组 A 期间核查发现超差 0.2 kg", **extra}


@pytest.fixture(scope="module")
def case(client, auth, chain):
    r = call(client, auth, "POST", BASE + "/cases", "labmanager", json=_body(chain))
    assert r.status_code == 201, r.text
    return r.json()


def _items(client, auth, user, case_id, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return call(client, auth, "GET", BASE + "/cases/{id}/items" + (f"?{query}" if query else ""), user, id=case_id)


def test_preview_lists_without_opening(client, auth, chain):
    body = {k: v for k, v in _body(chain).items() if k != "description"}
    r = call(client, auth, "POST", BASE + "/preview", "labmanager", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["count"] == 5 and doc["max_depth"] == 2
    assert {a["record"] for a in doc["affected"]} == {chain["records"][k] for k in ("D1", "R", "V", "S", "S2")}
    assert call(client, auth, "POST", BASE + "/preview", "admin", json=body).status_code == 200
    for user, status in (("metrologist", 403), ("labmanager_b", 403), ("enterprise", 403), ("yanta", 403),
                         (None, 401)):
        assert call(client, auth, "POST", BASE + "/preview", user, json=body).status_code == status, user
    bad = call(client, auth, "POST", BASE + "/preview", "labmanager", json={**body, "standard_code": "[T]nope"})
    assert bad.status_code == 422 and "standard_code" in bad.json()["fields"]
    bad = call(client, auth, "POST", BASE + "/preview", "labmanager", json={**body, "since": "2026-02-30"})
    assert bad.status_code == 422 and "since" in bad.json()["fields"]
    bad = call(client, auth, "POST", BASE + "/preview", "labmanager", json={**body, "per_page": 2**31})
    assert bad.status_code == 422 and "per_page" in bad.json()["fields"]


def test_open_is_for_the_standards_lab_manager(client, auth, chain, case):
    assert case["total"] == 5 and case["closed"] == 0 and case["status"] == "open" and case["max_depth"] == 2
    body = _body(chain, since=(chain["since"] + timedelta(days=1)).isoformat())
    for user, status in (("metrologist", 403), ("approver", 403), ("labmanager_b", 403), ("enterprise", 403),
                         ("province", 403), (None, 401)):
        assert call(client, auth, "POST", BASE + "/cases", user, json=body).status_code == status, user
    again = call(client, auth, "POST", BASE + "/cases", "labmanager", json=_body(chain))
    assert again.status_code == 409
    for field, value in (("description", ""), ("error_unit", ""), ("until", (date.today() + timedelta(days=2)).isoformat()),
                         ("subject_kind", "planet"), ("device_id", 0)):
        r = call(client, auth, "POST", BASE + "/cases", "labmanager", json={**body, field: value})
        assert r.status_code == 422 and field in r.json()["fields"], (field, r.text)
    r = call(client, auth, "POST", BASE + "/cases", "labmanager", json={**body, "standard_code": "a\x00b"})
    assert r.status_code == 422


def test_owners_are_notified_once(client, auth, db, case):
    owners = set(db.scalars(select(ReverseItem.owner_org_id).where(ReverseItem.case_id == case["id"])))
    notices = db.scalars(select(AuditEntry).where(AuditEntry.entity == svc.CASE_ENTITY,
                                                  AuditEntry.entity_id == str(case["id"]),
                                                  AuditEntry.action == "notify")).all()
    assert {n.after["owner_org_id"] for n in notices} == owners and len(notices) == len(owners)
    assert db.scalar(select(func.count()).where(ReverseItem.case_id == case["id"],
                                                ReverseItem.notified_at.is_(None))) == 0
    r = call(client, auth, "POST", BASE + "/cases/{id}/notify", "labmanager", id=case["id"])
    assert r.status_code == 200 and r.json() == {"notified_owners": 0}
    assert db.scalar(select(func.count()).where(AuditEntry.entity == svc.CASE_ENTITY,
                                                AuditEntry.entity_id == str(case["id"]),
                                                AuditEntry.action == "notify")) == len(owners)
    from jiliang.features import present

    if present("jiliang.supervision.outbox"):
        from jiliang.supervision.warning_models import Notice

        rows = db.scalars(select(Notice).where(Notice.topic == svc.TOPIC, Notice.dedup_key == f"case-{case['id']}")).all()
        assert sorted(n.org_id for n in rows) == sorted(owners)
    for user, status in (("metrologist", 403), ("enterprise", 403), ("yanta", 403), (None, 401)):
        assert call(client, auth, "POST", BASE + "/cases/{id}/notify", user, id=case["id"]).status_code == status, user


def test_who_sees_which_items(client, auth, db, chain, case):
    cid = case["id"]
    everything = {i["record"] for i in _items(client, auth, "labmanager", cid, per_page=200).json()["items"]}
    assert everything == {chain["records"][k] for k in ("D1", "R", "V", "S", "S2")}
    assert _items(client, auth, "admin", cid).json()["total"] == 5
    assert _items(client, auth, "metrologist", cid).json()["total"] == 5  # the case's lab
    own = {i["record"] for i in _items(client, auth, "enterprise", cid).json()["items"]}
    assert own == {chain["records"]["S"], chain["records"]["V"]}
    other = {i["record"] for i in _items(client, auth, "enterprise_b", cid).json()["items"]}
    assert other == {chain["records"]["D1"], chain["records"]["S2"]}
    lab_b = {i["record"] for i in _items(client, auth, "labmanager_b", cid).json()["items"]}
    assert lab_b == {chain["records"][k] for k in ("R", "S", "S2")}  # its own records, its own instrument
    regions = dict(db.execute(select(ReverseItem.record_number, ReverseItem.region_code)
                              .where(ReverseItem.case_id == cid)).all())
    for user, county in (("yanta", "610113"), ("beilin", "610103")):
        expected = {n for n, code in regions.items() if code == county}
        r = _items(client, auth, user, cid)
        if expected:
            assert {i["record"] for i in r.json()["items"]} == expected
        else:
            assert r.status_code == 404
            assert call(client, auth, "GET", BASE + "/cases/{id}", user, id=cid).status_code == 404
    assert _items(client, auth, "province", cid).json()["total"] == 5
    assert _items(client, auth, None, cid).status_code == 401
    # filters and paging
    assert {i["depth"] for i in _items(client, auth, "labmanager", cid, depth=2).json()["items"]} == {2}
    assert _items(client, auth, "labmanager", cid, may_change="true").json()["total"] == 2
    page = _items(client, auth, "labmanager", cid, per_page=2, page=3).json()
    assert page["total"] == 5 and len(page["items"]) == 1
    assert _items(client, auth, "labmanager", cid, q=chain["records"]["S2"]).json()["total"] == 1
    assert _items(client, auth, "labmanager", cid, region="6101").status_code == 422
    assert _items(client, auth, "labmanager", cid, status="bogus").status_code == 422


def test_case_list_and_detail_by_scope(client, auth, chain, case):
    def numbers(user, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        r = call(client, auth, "GET", BASE + "/cases" + (f"?{query}" if query else ""), user)
        assert r.status_code == 200, r.text
        return {c["number"] for c in r.json()["items"]}

    for user in ("labmanager", "admin", "enterprise", "enterprise_b", "labmanager_b", "province"):
        assert case["number"] in numbers(user, per_page=200), user
    assert case["number"] in numbers("labmanager", q=case["number"])
    assert case["number"] not in numbers("labmanager", status="closed", per_page=200)
    assert call(client, auth, "GET", BASE + "/cases", None).status_code == 401
    assert call(client, auth, "GET", BASE + "/cases?status=bogus", "admin").status_code == 422
    r = call(client, auth, "GET", BASE + "/cases/{id}", "enterprise", id=case["id"])
    assert r.status_code == 200 and sum(r.json()["by_depth"].values()) == 2
    assert call(client, auth, "GET", BASE + "/cases/{id}", "admin", id=2**31).status_code == 422
    assert call(client, auth, "GET", BASE + "/cases/{id}", "admin", id=2**31 - 1).status_code == 404


def test_dispositions_audit_and_closure(client, auth, db, chain, case):
    cid = case["id"]
    items = {i["record"]: i for i in _items(client, auth, "labmanager", cid, per_page=200).json()["items"]}
    n = chain["records"]
    url = BASE + "/cases/{cid}/items/{iid}/disposition"
    s_item, r_item = items[n["S"]], items[n["R"]]
    body = {"disposition": "reverify", "note": "通知企业送检复核"}
    # refused: wrong roles, the owner, a lab that has nothing to do with the item, bad input
    for user, status in (("metrologist", 403), ("enterprise", 403), ("yanta", 403), ("enterprise_b", 404),
                         ("labmanager_b", 403), (None, 401)):
        iid = r_item["id"] if user == "labmanager_b" else s_item["id"]
        assert call(client, auth, "POST", url, user, json=body, cid=cid, iid=iid).status_code == status, user
    for bad in ({"disposition": "shred", "note": "x"}, {"disposition": "recall", "note": ""}, {"disposition": "recall"}):
        r = call(client, auth, "POST", url, "approver", json=bad, cid=cid, iid=s_item["id"])
        assert r.status_code == 422 and set(r.json()["fields"]) & {"disposition", "note"}
    # the lab that performed the depth-2 record may decide on it
    r = call(client, auth, "POST", url, "labmanager_b", json=body, cid=cid, iid=s_item["id"])
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed"] == 1
    # revising keeps the count and leaves a second audit entry
    r = call(client, auth, "POST", url, "approver", json={"disposition": "recall", "note": "召回"}, cid=cid,
             iid=s_item["id"])
    assert r.status_code == 200 and r.json()["closed"] == 1 and r.json()["disposition"] == "recall"
    detail = call(client, auth, "GET", BASE + "/cases/{cid}/items/{iid}", "enterprise", cid=cid, iid=s_item["id"])
    assert detail.status_code == 200
    trail = detail.json()["audit"]
    assert [e["action"] for e in trail] == ["disposition", "disposition"]
    assert trail[0]["after"]["disposition"] == "recall" and trail[0]["before"]["disposition"] == "reverify"
    assert trail[1]["by"] == "labmanager_b" and trail[1]["reason"] == "通知企业送检复核"
    assert call(client, auth, "GET", BASE + "/cases/{cid}/items/{iid}", "enterprise_b", cid=cid,
                iid=s_item["id"]).status_code == 404
    assert call(client, auth, "GET", BASE + "/cases/{cid}/items/{iid}", None, cid=cid, iid=s_item["id"]).status_code == 401
    # close the rest: the last one closes the case
    rest = [i for k, i in items.items() if k != n["S"]]
    for i, item in enumerate(rest):
        r = call(client, auth, "POST", url, "labmanager", json={"disposition": "no_effect", "note": f"评估 {i}"},
                 cid=cid, iid=item["id"])
        assert r.status_code == 200
        assert r.json()["case_status"] == ("closed" if i == len(rest) - 1 else "open")
    got = call(client, auth, "GET", BASE + "/cases/{id}", "labmanager", id=cid).json()
    assert got["status"] == "closed" and got["closed"] == got["total"] == 5 and got["closed_at"]
    closes = db.scalar(select(func.count()).where(AuditEntry.entity == svc.CASE_ENTITY,
                                                  AuditEntry.entity_id == str(cid), AuditEntry.action == "close"))
    assert closes == 1
    late = call(client, auth, "POST", url, "labmanager", json=body, cid=cid, iid=s_item["id"])
    assert late.status_code == 409


def test_a_case_with_nothing_affected_closes_at_once(db, chain):
    from jiliang.core.security import SYSTEM

    spec = svc.parse_spec(db, {"standard_code": chain["code_a"], "since": chain["until"] + timedelta(days=1),
                               "until": chain["until"] + timedelta(days=5), "error_found": 1, "error_unit": "kg", "description": "nothing"}, for_case=True)
    case = svc.open_case(db, SYSTEM, spec)
    assert case.total == 0 and case.status == "closed"
    db.rollback()
