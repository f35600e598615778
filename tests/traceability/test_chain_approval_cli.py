"""A record with a broken chain cannot be approved without a recorded override (409 with the
gaps; the reason is stored and audited), and ``jiliang trace check NUMBER [--json]``."""

from __future__ import annotations

import json
from datetime import date, timedelta

import calfix
import certfix
from typer.testing import CliRunner

from jiliang.cli import app
from rolecheck import call

runner = CliRunner()
PW = "jiliang-demo"


def _link(device_id: int, on: date, until: date | None) -> int:
    from jiliang.core.db import session_scope
    from jiliang.traceability.models import TraceLink

    with session_scope() as s:
        lk = TraceLink(subject_kind="device", subject_id=device_id, source_kind="terminal",
                       terminal_kind="national_primary", terminal_reference="国家千克基准",
                       calibrated_on=on, valid_until=until, status="active")
        s.add(lk)
        s.flush()
        return lk.id


def _reviewed(client, auth, setup) -> int:
    scale = calfix.new_scale()
    r = call(client, auth, "POST", "/api/v1/calibration/records", "metrologist",
             json=calfix.record_body(scale["id"], setup))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    for action, user in (("submit", "metrologist"), ("review", "reviewer")):
        r = call(client, auth, "POST", "/api/v1/calibration/records/{id}/" + action, user, json={"password": PW}, id=rid)
        assert r.status_code == 200, r.text
    return rid


def test_broken_chain_blocks_approval_until_a_reason_is_recorded(client, auth, platform):
    setup = calfix.lab_setup(linked=False)
    today = date.today()
    link_id = _link(setup["device"], today - timedelta(days=400), today - timedelta(days=30))
    rid = _reviewed(client, auth, setup)
    url = "/api/v1/calibration/records/{id}/approve"
    r = call(client, auth, "POST", url, "approver", json={"password": PW}, id=rid)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "broken_chain"
    gap = [g for g in body["gaps"] if g["code"] == "link_expired"]
    assert gap and gap[0]["level"] == 1 and gap[0]["fix"]["id"] == link_id
    assert call(client, auth, "GET", "/api/v1/calibration/records/{id}", "approver", id=rid).json()["status"] == "reviewed"
    # the page shows the gaps and offers the reason field
    page = client.get(f"/calibration/{rid}", headers=auth("approver"))
    assert 'data-testid="chain-gaps"' in page.text and 'name="override_reason"' in page.text
    r = call(client, auth, "POST", url, "approver", json={"password": PW, "override_reason": "上级溯源证书复校中，已核对临时数据"},
             id=rid)
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["status"] == "approved"
    assert rec["chain_override"]["reason"].startswith("上级溯源证书复校中")
    assert rec["chain_override"]["by"] == "approver"
    assert rec["chain_override"]["gaps"][0]["code"] == "link_expired"
    trail = call(client, auth, "GET", "/api/v1/calibration/records/{id}/audit", "approver", id=rid).json()
    override = [e for e in trail if e["action"] == "override_chain"]
    assert len(override) == 1 and override[0]["reason"].startswith("上级溯源证书复校中")


def test_unregistered_chain_blocks_approval_too(client, auth, platform):
    rid = _reviewed(client, auth, calfix.lab_setup(linked=False))
    check = call(client, auth, "GET", "/api/v1/trace/records/{id}", "approver", id=rid).json()
    assert check["traceable"] is False and {g["severity"] for g in check["gaps"]} == {"unregistered"}
    r = call(client, auth, "POST", "/api/v1/calibration/records/{id}/approve", "approver", json={"password": PW}, id=rid)
    assert r.status_code == 409 and r.json()["error"] == "broken_chain"
    assert {g["code"] for g in r.json()["gaps"]} == {g["code"] for g in check["gaps"]}


def test_cli_trace_check_json_and_exit_codes(client, auth, platform):
    setup = calfix.lab_setup()
    rec = certfix.approved_record(client, auth, setup)
    r = certfix.issue(client, auth, rec["id"])
    assert r.status_code == 201, r.text
    number = r.json()["number"]

    res = runner.invoke(app, ["trace", "check", number, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the record (step 1) used a device calibrated by NIM, whose certificate is terminal (step 2)
    assert out["traceable"] is True and out["gaps"] == [] and out["depth"] == 2
    assert out["certificate"]["number"] == number
    res = runner.invoke(app, ["trace", "check", number, "--lang", "en"])
    assert res.exit_code == 0 and f"{number}: traceable, depth 2" in res.stdout

    # a later link of the device, expired on the day of use, takes over and breaks the chain
    yesterday = date.today() - timedelta(days=1)
    _link(setup["device"], yesterday, yesterday)
    res = runner.invoke(app, ["trace", "check", number, "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["traceable"] is False and {g["code"] for g in out["gaps"]} == {"link_expired"}
    res = runner.invoke(app, ["trace", "check", "NO-SUCH-CERT", "--json", "--lang", "en"])
    assert res.exit_code == 2
    assert "no certificate numbered NO-SUCH-CERT" in res.stderr and res.stdout == ""
    res = runner.invoke(app, ["trace", "check", "NO-SUCH-CERT"])
    assert res.exit_code == 2 and "没有编号为 NO-SUCH-CERT 的证书" in res.stderr


def test_cli_nightly(platform):
    res = runner.invoke(app, ["trace", "nightly", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["checked"] == summary["traceable"] + summary["broken"] and summary["labs"] >= 1
    yanta = json.loads(runner.invoke(app, ["trace", "nightly", "--region", "610113", "--json"]).stdout)
    assert 1 <= yanta["labs"] <= summary["labs"] and yanta["checked"] <= summary["checked"]
    assert runner.invoke(app, ["trace", "nightly", "--region", "61"]).exit_code == 2
