"""Filings of mandatory instruments (强检备案): the workflow with its audit trail, permissions per
role and scope, the should-be-filed flag, lists and exports; every endpoint via rolecheck."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from rolecheck import call
from supervision import filingfix as fx

FILINGS = "/api/v1/supervision/filings"
ONE = FILINGS + "/{id}"


def _file(client, auth, inst_id: int, user: str = "enterprise", **extra):
    return call(client, auth, "POST", FILINGS, user, json=fx.body(inst_id, **extra))


def _history(client, auth, filing_id: int, user: str = "enterprise") -> list[str]:
    r = call(client, auth, "GET", ONE, user, id=filing_id)
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["history"]]


def test_owner_files_county_regulator_approves_and_the_flag_goes(client, auth):
    inst = fx.new_instrument()
    assert inst["region"] == "610113"
    assert inst["id"] in fx.unfiled_ids(client, auth, "enterprise", q=inst["serial_no"])
    assert inst["id"] in fx.unfiled_ids(client, auth, "yanta", q=inst["serial_no"])

    r = _file(client, auth, inst["id"])
    assert r.status_code == 201, r.text
    f = r.json()
    assert f["status"] == "submitted" and f["region_code"] == "610113" and f["serial_no"] == inst["serial_no"]
    assert f["institution"] and f["item_id"]
    # submitted is not yet filed
    assert inst["id"] in fx.unfiled_ids(client, auth, "yanta", q=inst["serial_no"])

    # the neighbouring county, another city, the owner itself and a lab cannot approve
    assert call(client, auth, "POST", ONE + "/approve", "beilin", id=f["id"]).status_code == 404
    assert call(client, auth, "POST", ONE + "/approve", "baoji", id=f["id"]).status_code == 404
    assert call(client, auth, "POST", ONE + "/approve", "enterprise", id=f["id"]).status_code == 403
    assert call(client, auth, "POST", ONE + "/approve", "labmanager", id=f["id"]).status_code == 403
    assert call(client, auth, "POST", ONE + "/approve", None, id=f["id"]).status_code == 401

    r = call(client, auth, "POST", ONE + "/approve", "yanta", json={"reason": "资料齐全"}, id=f["id"])
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decided_at"]
    assert inst["id"] not in fx.unfiled_ids(client, auth, "yanta", q=inst["serial_no"])
    assert inst["id"] not in fx.unfiled_ids(client, auth, "enterprise", q=inst["serial_no"])
    # a decided filing cannot be decided again
    assert call(client, auth, "POST", ONE + "/reject", "yanta", json={"reason": "x"}, id=f["id"]).status_code == 409

    r = call(client, auth, "GET", FILINGS + "?q={q}", "enterprise", q=inst["serial_no"])
    assert [(i["id"], i["status"]) for i in r.json()["items"]] == [(f["id"], "approved")]
    assert _history(client, auth, f["id"]) == ["approve", "create"]


def test_every_step_is_audited_and_nothing_is_deleted(client, auth, db):
    from jiliang.supervision.filing_models import Filing

    inst = fx.new_instrument(type_code="FL-WATER")
    first = _file(client, auth, inst["id"]).json()
    # a second open filing for the same instrument is refused
    assert _file(client, auth, inst["id"]).status_code == 409
    r = call(client, auth, "POST", ONE + "/reject", "yanta", json={"reason": ""}, id=first["id"])
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    r = call(client, auth, "POST", ONE + "/reject", "xian", json={"reason": "检定机构不符"}, id=first["id"])
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["decision_reason"] == "检定机构不符"
    # refile with a correction; the old filing stays, linked
    r = call(client, auth, "POST", ONE + "/refile", "enterprise", json={"contact_phone": "029-88888888"},
             id=first["id"])
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["previous_id"] == first["id"] and second["contact_phone"] == "029-88888888"
    assert second["location"] == first["location"] and second["status"] == "submitted"
    assert call(client, auth, "POST", ONE + "/refile", "enterprise", json={}, id=second["id"]).status_code == 409
    assert call(client, auth, "POST", ONE + "/approve", "province", id=second["id"]).status_code == 200
    # the owner withdraws the approved filing: the instrument is unfiled again
    assert call(client, auth, "POST", ONE + "/withdraw", "yanta", id=second["id"]).status_code == 403
    r = call(client, auth, "POST", ONE + "/withdraw", "enterprise", json={"reason": "已拆除"}, id=second["id"])
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert inst["id"] in fx.unfiled_ids(client, auth, "enterprise", q=inst["serial_no"])
    assert call(client, auth, "POST", ONE + "/withdraw", "enterprise", id=second["id"]).status_code == 409
    assert _history(client, auth, first["id"]) == ["reject", "create"]
    assert _history(client, auth, second["id"]) == ["withdraw", "approve", "refile", "create"]
    rows = db.scalars(select(Filing).where(Filing.instrument_id == inst["id"]).order_by(Filing.id)).all()
    assert [f.status for f in rows] == ["rejected", "withdrawn"]


def test_owners_file_only_their_own_mandatory_instruments(client, auth):
    yanta_inst = fx.new_instrument()
    # another enterprise cannot file (nor see) Yanta's instrument
    assert _file(client, auth, yanta_inst["id"], user="enterprise_b").status_code == 404
    for user in ("yanta", "labmanager", "metrologist"):
        assert _file(client, auth, yanta_inst["id"], user=user).status_code == 403
    assert _file(client, auth, yanta_inst["id"], user=None).status_code == 401
    # a type outside the catalogue needs no filing
    tape = fx.new_instrument(type_code="LN-TAPE")
    r = _file(client, auth, tape["id"])
    assert r.status_code == 422 and "instrument_id" in r.json()["fields"]
    # the institution must be a legal institute or an authorised lab
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation

    with session_scope() as s:
        regulator = s.scalar(select(Organisation.id).where(Organisation.kind == "regulator"))
    r = _file(client, auth, yanta_inst["id"], institution_org_id=regulator)
    assert r.status_code == 422 and "institution_org_id" in r.json()["fields"]
    r = _file(client, auth, yanta_inst["id"], use="other")
    assert r.status_code == 422
    r = _file(client, auth, yanta_inst["id"], location="a\x00b")
    assert r.status_code == 422 and "location" in r.json()["fields"]
    # the administrator may file for an owner
    assert _file(client, auth, yanta_inst["id"], user="admin").status_code == 201


def test_lists_are_scoped(client, auth):
    b_inst = fx.new_instrument("enterprise_b", type_code="PR-GAUGE", use="safety_protection")
    b_filing = _file(client, auth, b_inst["id"], user="enterprise_b").json()
    a_filing = _file(client, auth, fx.new_instrument()["id"]).json()

    def ids(user, status=None):
        template = FILINGS + "?per_page=200" + ("&status={status}" if status else "")
        r = call(client, auth, "GET", template, user, status=status)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    mine = ids("enterprise")
    assert {i["owner_org_id"] for i in mine} == {a_filing["owner_org_id"]}
    assert b_filing["id"] not in {i["id"] for i in ids("enterprise")}
    assert {i["region_code"] for i in ids("yanta", status="submitted")} == {"610113"}
    assert a_filing["id"] not in {i["id"] for i in ids("beilin")}
    assert b_filing["id"] in {i["id"] for i in ids("province")}
    assert b_filing["id"] in {i["id"] for i in ids("admin")}
    assert call(client, auth, "GET", FILINGS, "labmanager").status_code == 403
    assert call(client, auth, "GET", FILINGS, None).status_code == 401
    assert call(client, auth, "GET", ONE, "enterprise_b", id=a_filing["id"]).status_code == 404
    assert call(client, auth, "GET", ONE, "beilin", id=a_filing["id"]).status_code == 404
    assert call(client, auth, "GET", ONE, "xian", id=a_filing["id"]).status_code == 200
    assert call(client, auth, "GET", ONE, "yanta", id=2_147_483_647).status_code == 404
    assert call(client, auth, "GET", FILINGS + "?status=bogus", "yanta").status_code == 422
    assert call(client, auth, "GET", FILINGS + "?region_code=61", "yanta").status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_filing_export_is_the_scoped_list(client, auth, fmt):
    _file(client, auth, fx.new_instrument()["id"])
    r = call(client, auth, "GET", FILINGS + "/export?format={fmt}&status=submitted", "yanta", fmt=fmt)
    assert r.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:2] == ["ID", "出厂编号"] and len(rows) > 1
        assert {row[4] for row in rows[1:]} == {"610113"} and {row[10] for row in rows[1:]} == {"待审核"}
    else:
        assert r.content[:2] == b"PK"
    assert call(client, auth, "GET", FILINGS + "/export", "metrologist").status_code == 403


def test_unfiled_list_scope_filters_and_export(client, auth):
    a = fx.new_instrument(type_code="PR-BP", use="medical_health")
    b = fx.new_instrument("enterprise_b", type_code="PR-BP", use="medical_health")
    other_use = fx.new_instrument(type_code="PR-BP", use="other")
    assert a["id"] in fx.unfiled_ids(client, auth, "enterprise", q="FIL")
    assert b["id"] not in fx.unfiled_ids(client, auth, "enterprise", q="FIL")
    assert other_use["id"] not in fx.unfiled_ids(client, auth, "admin", q="FIL")
    assert a["id"] in fx.unfiled_ids(client, auth, "xian", q=a["serial_no"])
    assert a["id"] not in fx.unfiled_ids(client, auth, "beilin", q=a["serial_no"])
    assert a["id"] not in fx.unfiled_ids(client, auth, "baoji", q=a["serial_no"])
    r = call(client, auth, "GET", "/api/v1/supervision/unfiled?use={use}&region_code=610113", "province",
             use="medical_health")
    assert r.status_code == 200 and {i["use"] for i in r.json()["items"]} <= {"medical_health"}
    assert {i["region_code"] for i in r.json()["items"]} <= {"610113"}
    assert call(client, auth, "GET", "/api/v1/supervision/unfiled?use=other", "yanta").status_code == 422
    assert call(client, auth, "GET", "/api/v1/supervision/unfiled", "labmanager").status_code == 403
    assert call(client, auth, "GET", "/api/v1/supervision/unfiled", None).status_code == 401
    r = call(client, auth, "GET", "/api/v1/supervision/unfiled/export?format=csv&q={q}", "enterprise",
             q=a["serial_no"])
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == [a["serial_no"]]
    r = call(client, auth, "GET", "/api/v1/supervision/unfiled/export?format=xlsx", "yanta")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert call(client, auth, "GET", "/api/v1/supervision/unfiled/export", "approver").status_code == 403


def test_unfiled_query_for_other_modules(db):
    from sqlalchemy import func

    from jiliang.supervision.catalogue import unfiled_query

    inst = fx.new_instrument(type_code="CH-GAS", use="safety_protection")
    total = db.scalar(select(func.count()).select_from(unfiled_query().subquery()))
    county = db.scalar(select(func.count()).select_from(unfiled_query(region_code="610113").subquery()))
    owner = db.scalar(select(func.count()).select_from(unfiled_query(owner_org_id=inst["owner"]).subquery()))
    assert total >= county >= owner >= 1
    scrapped_or_other = unfiled_query().where(unfiled_query().selected_columns.id == inst["id"])
    assert db.scalar(select(func.count()).select_from(scrapped_or_other.subquery())) == 1


def test_demo_filings_cover_every_status_and_leave_some_unfiled(db):
    from sqlalchemy import func

    from jiliang.supervision.catalogue import unfiled_query
    from jiliang.supervision.filing_models import Filing

    statuses = set(db.scalars(select(Filing.status).where(Filing.submitted_by.is_(None)).distinct()))
    assert {"approved", "submitted", "rejected"} <= statuses
    assert db.scalar(select(func.count()).select_from(unfiled_query().subquery())) > 0


def _sheet(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["出厂编号", "用途", "安装使用地点", "检定机构", "联系人", "联系电话"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def test_bulk_filing_reports_every_row_and_files_all_or_valid_only(client, auth, db):
    from jiliang.orgs.models import Organisation
    from rolecheck import exercised

    exercised("POST", FILINGS + "/import")
    institute = db.get(Organisation, fx.institution_id()).name
    good, other = fx.new_instrument(), fx.new_instrument("enterprise_b")
    sheet = _sheet([
        [good["serial_no"], "贸易结算", "一楼收银台", institute, "王经理", "13800000000"],
        [other["serial_no"], "trade_settlement", "仓库", institute, "王经理", "13800000000"],
        [good["serial_no"] + "X", "贸易结算", "仓库", "不存在的机构", "王经理", ""],
    ])

    def send(user, **form):
        return client.post(FILINGS + "/import", headers=auth(user), data=form,
                           files={"file": ("filings.csv", sheet, "text/csv")})

    r = send("enterprise")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["valid"], report["imported"]) == (3, 1, 0)
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(3, "serial_no"), (4, "serial_no"),
                                                                   (4, "institution")}
    assert good["id"] in fx.unfiled_ids(client, auth, "enterprise", q=good["serial_no"])
    assert send("enterprise", dry_run="true").json()["imported"] == 0
    r = send("enterprise", valid_only="true")
    assert r.json()["imported"] == 1
    mine = call(client, auth, "GET", FILINGS + "?q={q}", "enterprise", q=good["serial_no"]).json()["items"]
    assert [(i["status"], i["location"]) for i in mine] == [("submitted", "一楼收银台")]
    assert send("labmanager").status_code == 403
    assert send("yanta").status_code == 403
    assert send(None).status_code == 401
    bad = client.post(FILINGS + "/import", headers=auth("enterprise"),
                      files={"file": ("x.txt", b"hello", "text/plain")})
    assert bad.status_code == 422


def test_the_owner_is_notified_once_of_a_decision(client, auth, db):
    from jiliang.features import present

    if not present("jiliang.supervision.outbox"):
        pytest.skip("the outbox is not part of this build")
    from jiliang.supervision.warning_models import Notice

    inst = fx.new_instrument()
    f = _file(client, auth, inst["id"]).json()
    call(client, auth, "POST", ONE + "/approve", "yanta", id=f["id"])
    notices = db.scalars(select(Notice).where(Notice.topic == "filing_decided",
                                              Notice.dedup_key == f"filing:{f['id']}:approved")).all()
    assert [n.org_id for n in notices] == [f["owner_org_id"]]
    assert inst["serial_no"] in notices[0].body_zh
