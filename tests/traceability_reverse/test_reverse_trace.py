"""The reverse trace: two levels down, only inside the windows, and the verdict-could-change rule."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from jiliang.core.errors import ValidationFailed
from jiliang.traceability import reverse as svc

KG = "kg"


def _spec(db, chain, **extra):
    data = {"standard_code": chain["code_a"], "since": chain["since"], "until": chain["until"],
            "error_found": 0.2, "error_unit": KG, **extra}
    return svc.parse_spec(db, data)


def test_trace_reaches_two_levels_down_inside_the_windows(db, chain):
    spec = _spec(db, chain)
    tr = svc.trace(db, spec.subject, spec.since, spec.until)
    got = {h.record_id: h for h in tr.hits}
    ids = chain["record_ids"]
    assert set(got) == {ids[k] for k in ("D1", "R", "V", "S", "S2")}
    # P before since, U after until, Q after B1's recalibration: excluded
    assert not {ids["P"], ids["U"], ids["Q"]} & set(got)
    assert {k: got[ids[k]].depth for k in ("D1", "R", "V", "S", "S2")} == {"D1": 1, "R": 1, "V": 1, "S": 2, "S2": 2}
    rec_r = chain["records"]["R"]
    assert got[ids["S"]].via[1] == f"record:{rec_r}"
    assert got[ids["S"]].via[0] == f"standard:{chain['code_a']}"
    assert got[ids["S"]].via[2].startswith(f"device:{chain['code_b']}")
    assert tr.max_depth == 2


def test_details_certificate_owner_and_verdicts(db, chain):
    spec = _spec(db, chain)
    tr = svc.trace(db, spec.subject, spec.since, spec.until)
    rows = {r["record"]: r for r in svc.describe(db, tr.hits, spec.error_found, spec.error_unit)}
    n = chain["records"]
    assert rows[n["S"]]["certificate"] == chain["cert_s"]
    assert rows[n["S"]]["instrument_id"] == chain["inst_c"]
    assert rows[n["S"]]["owner_org_id"] == chain["e1"]
    assert rows[n["S2"]]["certificate"] is None
    # S: 0.25 + 0.2 > 0.3 -> could fail; S2: 0.1 + 0.2 lands on the limit -> unchanged
    assert rows[n["S"]]["verdict_may_change"] is True
    assert [p["may_change"] for p in rows[n["S"]]["points"]] == [False, True]
    assert rows[n["S2"]]["verdict_may_change"] is False
    # R fails by 0.05; within 0.2 of the limit -> could pass
    assert rows[n["R"]]["verdict_may_change"] is True
    # V in grams against an error found in kg: unknown; D1 has no points: unknown
    assert rows[n["V"]]["verdict_may_change"] is None
    assert rows[n["D1"]]["verdict_may_change"] is None


def test_a_device_subject_and_the_default_since(db, chain):
    spec = svc.parse_spec(db, {"subject_kind": "device", "device_id": chain["device_a"], "until": chain["until"]})
    assert spec.since == chain["since"]  # the standard's last calibration link
    assert spec.subject.kind == "device" and spec.subject.code == chain["code_a"]
    tr = svc.trace(db, spec.subject, spec.since, spec.until)
    ids = chain["record_ids"]
    # records naming the device, or the standard without any of its devices
    assert {h.record_id for h in tr.hits} >= {ids["D1"], ids["R"], ids["S"], ids["S2"], ids["V"]}


@pytest.mark.parametrize("error,lo,hi,shift,expected", [
    (0.1, -0.3, 0.3, 0.2, False),        # lands exactly on the upper limit: still conforms
    (0.1, -0.3, 0.3, 0.2000001, True),   # just beyond it
    (-0.1, -0.3, 0.3, 0.2, False),       # exactly on the lower limit
    (-0.1, -0.3, 0.3, 0.21, True),
    (0.5, -0.3, 0.3, 0.2, True),         # a failing point reaches the limit: could pass
    (0.5, -0.3, 0.3, 0.1999999, False),
    (-0.35, -0.3, 0.3, 0.05, True),
    (0.3, -0.3, 0.3, 0.0, False),        # on the limit, no shift
    (0.0, None, 0.3, 0.31, True),        # one-sided limit
    (0.0, None, 0.3, 0.3, False),
    (None, -0.3, 0.3, 0.2, None),        # no error: unknown
    (0.1, None, None, 0.2, None),        # no limits: unknown
])
def test_verdict_could_change_at_the_boundary(error, lo, hi, shift, expected):
    assert svc.point_may_change(error, lo, hi, shift) is expected


def test_record_flag_combines_points():
    assert svc.record_may_change([False, True, None]) is True
    assert svc.record_may_change([False, False]) is False
    assert svc.record_may_change([False, None]) is None
    assert svc.record_may_change([]) is None


def test_cycles_end_and_records_are_listed_once(db):
    import rtfix

    orgs = rtfix.users_orgs(db)
    tag = "CY" + date.today().strftime("%j") + str(id(db) % 10000)
    today = date.today()
    x, xd = rtfix.standard(db, orgs["labmanager"], f"[T]{tag}-X")
    y, yd = rtfix.standard(db, orgs["labmanager"], f"[T]{tag}-Y")
    inst = rtfix._instrument(db, orgs["enterprise"], tag)
    r1 = rtfix.record(db, orgs["labmanager"], inst, today - timedelta(days=40), f"[T]{tag}-1", [x.id])
    r2 = rtfix.record(db, orgs["labmanager"], inst, today - timedelta(days=30), f"[T]{tag}-2", [y.id])
    rtfix.link(db, "device", yd.id, today - timedelta(days=40), r1.id)  # X calibrated Y
    rtfix.link(db, "device", xd.id, today - timedelta(days=30), r2.id)  # Y calibrated X
    subject = svc.resolve_subject(db, "standard", x.code)
    tr = svc.trace(db, subject, today - timedelta(days=50), today)
    assert [(h.record_id, h.depth) for h in tr.hits] == [(r1.id, 1), (r2.id, 2)]
    db.rollback()


def test_input_is_validated_by_field(db, chain):
    cases = [
        ({"standard_code": "[T]no-such-code"}, "standard_code"),
        ({"since": chain["until"] + timedelta(days=1)}, "since"),
        ({"until": date.today() + timedelta(days=1)}, "until"),
        ({"since": "2026-13-01"}, "since"),
        ({"error_found": "abc"}, "error_found"),
        ({"error_found": "inf"}, "error_found"),
        ({"error_unit": ""}, "error_unit"),
        ({"subject_kind": "planet"}, "subject_kind"),
        ({"subject_kind": "device", "device_id": "0"}, "device_id"),
        ({"subject_kind": "material", "material_id": None}, "material_id"),
        ({"error_unit": "k\x00g"}, "error_unit"),
    ]
    for extra, field in cases:
        with pytest.raises(ValidationFailed) as err:
            _spec(db, chain, **extra)
        assert field in err.value.errors, (extra, err.value.errors)
    with pytest.raises(ValidationFailed) as err:
        svc.parse_spec(db, {"standard_code": chain["code_a"], "since": chain["since"]}, for_case=True)
    assert "description" in err.value.errors


def test_cli_json(chain):
    from jiliang.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["trace", "reverse", chain["code_a"], "--since", chain["since"].isoformat(),
                              "--until", chain["until"].isoformat(), "--error-found", "0.2", "--unit", "kg", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["standard"] == chain["code_a"] and doc["count"] == 5 == len(doc["affected"])
    assert doc["since"] == chain["since"].isoformat() and doc["until"] == chain["until"].isoformat()
    by = {a["record"]: a for a in doc["affected"]}
    s = by[chain["records"]["S"]]
    assert s["depth"] == 2 and s["certificate"] == chain["cert_s"] and s["verdict_may_change"] is True
    assert set(s) == {"record", "certificate", "instrument_id", "serial_no", "owner", "region_code", "depth",
                      "performed_on", "verdict_may_change", "via"}
    plain = runner.invoke(app, ["trace", "reverse", chain["code_a"], "--since", chain["since"].isoformat(),
                                "--until", chain["until"].isoformat()])
    assert plain.exit_code == 0 and chain["records"]["S2"] in plain.output
    bad = runner.invoke(app, ["trace", "reverse", "[T]no-such", "--since", "2025-01-01"])
    assert bad.exit_code == 2 and "no standard with code [T]no-such" in bad.output
    bad_date = runner.invoke(app, ["trace", "reverse", chain["code_a"], "--since", "yesterday"])
    assert bad_date.exit_code == 2
