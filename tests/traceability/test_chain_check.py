"""The chain check on built chains (issue 6 acceptance): a lapsed link three levels up, an RM lot
used after expiry, an uncertainty inversion, a revoked source certificate, a cycle, and a clean
chain with its depth; each found gap is named with its level, subject and the record to fix."""

from __future__ import annotations

import secrets
from datetime import timedelta

import chainfix
from chainfix import TODAY

from jiliang.traceability.chain import Checker, check_record, compare_u, public_part


def _codes(result, level=None):
    return {g["code"] for g in result["gaps"] if level is None or g["level"] == level}


def test_clean_chain_is_traceable_with_its_depth(db):
    c = chainfix.chain(db, 3)
    result = check_record(db, c["records"][0])
    assert result["traceable"] is True, result["gaps"]
    assert result["gaps"] == []
    # R1, R2, R3 and the NIM certificate: four calibration steps up to the national primary standard
    assert result["depth"] == 4
    kinds = {n["kind"] for n in result["nodes"]}
    assert {"record", "device", "standard", "external", "terminal"} <= kinds
    top = max(n["row"] for n in result["nodes"])
    assert all(n["row"] == top for n in result["nodes"] if n["kind"] == "terminal")
    assert [n for n in result["nodes"] if n["id"] == f"record:{c['records'][0].id}"][0]["row"] == 0


def test_depth_of_a_result_calibrated_directly_against_nim(db):
    c = chainfix.chain(db, 1)
    result = check_record(db, c["records"][0])
    assert result["traceable"] and result["depth"] == 2


def test_lapsed_link_three_levels_up_is_found_and_named(db):
    c = chainfix.chain(db, 4, expired_level=3)
    result = check_record(db, c["records"][0])
    assert result["traceable"] is False
    gap = [g for g in result["gaps"] if g["code"] == "link_expired"]
    assert len(gap) == 1
    gap = gap[0]
    dev = c["devices"][2]
    assert gap["level"] == 3
    assert gap["subject"] == {"kind": "device", "id": dev.id, "name": dev.name}
    assert dev.name in gap["reason_zh"] and dev.name in gap["reason_en"]
    assert gap["fix"] == {"kind": "trace_link", "id": c["links"][2].id, "url": f"/trace-links/{c['links'][2].id}"}
    # nothing wrong below it
    assert _codes(result, 1) == set() and _codes(result, 2) == set()
    # the same record higher up is checked once (memo): the same checker gives the same answer
    checker = Checker(db)
    again = checker.check_info(checker.info_of(c["records"][0]))
    assert [g["code"] for g in again["gaps"]] == [g["code"] for g in result["gaps"]]


def test_expired_top_link_to_an_external_certificate(db):
    c = chainfix.chain(db, 2, expired_level=2)
    result = check_record(db, c["records"][0])
    assert {"link_expired", "source_expired"} <= _codes(result, None)
    assert [g["level"] for g in result["gaps"] if g["code"] == "link_expired"] == [2]
    assert [g["level"] for g in result["gaps"] if g["code"] == "source_expired"] == [3]


def test_rm_lot_used_after_expiry_is_found(db):
    lab, cust = chainfix.demo_lab(db), chainfix.enterprise(db)
    tag = secrets.token_hex(4)
    rm = chainfix.material(db, lab, tag, expiry=TODAY - timedelta(days=20))
    chainfix.link(db, "material", rm.id, terminal=True, on=TODAY - timedelta(days=200), until=None, u=None)
    rec = chainfix.record(db, lab, cust, TODAY - timedelta(days=5), rm=rm, u=None)
    result = check_record(db, rec)
    assert result["traceable"] is False
    gap = [g for g in result["gaps"] if g["code"] == "material_expired"]
    assert len(gap) == 1 and gap[0]["level"] == 1
    assert gap[0]["subject"]["kind"] == "material" and gap[0]["subject"]["id"] == rm.id
    assert gap[0]["fix"]["url"] == f"/materials/{rm.id}"
    # the same lot used before its expiry is fine
    before = chainfix.record(db, lab, cust, TODAY - timedelta(days=30), rm=rm, u=None)
    assert check_record(db, before)["traceable"] is True


def test_uncertainty_inversion_is_found(db):
    # R1 claims U = 0.0005 kg with a device whose own calibration has U = 0.002 kg (same unit)
    c = chainfix.chain(db, 1, u_first=0.0005, u_links=(0.002,))
    result = check_record(db, c["records"][0])
    gap = [g for g in result["gaps"] if g["code"] == "uncertainty_inversion"]
    assert len(gap) == 1 and gap[0]["level"] == 1
    assert "0.0005" in gap[0]["reason_en"] and "0.002" in gap[0]["reason_en"]


def test_uncertainty_in_convertible_and_in_foreign_units(db):
    assert compare_u(0.5, "g", 0.002, "kg")[0] == "inverted"  # 0.5 g < 2 g
    assert compare_u(5.0, "g", 0.002, "kg")[0] == "ok"
    assert compare_u(5.0, "g", 0.002, "kPa")[0] == "not_comparable"
    assert compare_u(None, "g", 0.002, "kg")[0] == "unknown"
    c = chainfix.chain(db, 1, u_first=0.0005, u_links=(0.002,))
    link = c["links"][0]
    link.unit = "kPa"
    db.flush()
    result = check_record(db, c["records"][0])
    assert "uncertainty_inversion" not in _codes(result)
    assert any(n["code"] == "uncertainty_not_comparable" for n in result["notes"])


def test_revoked_source_certificate_is_found(db):
    from jiliang.certificates.models import Certificate

    c = chainfix.chain(db, 2)
    src = c["records"][1]
    cert = Certificate(number=f"T-REV-{secrets.token_hex(4)}", kind="calibration", status="revoked",
                       record_id=src.id, lab_org_id=src.lab_org_id, customer_org_id=src.customer_org_id,
                       instrument_id=src.instrument_id, xml=b"<x/>", xml_sha256="0" * 64, pdf=b"%PDF",
                       key_fingerprint="0" * 64, log_index=0)
    db.add(cert)
    db.flush()
    result = check_record(db, c["records"][0])
    gap = [g for g in result["gaps"] if g["code"] == "source_revoked"]
    assert len(gap) == 1 and gap[0]["level"] == 2
    assert gap[0]["subject"]["id"] == src.id and cert.number in gap[0]["reason_en"]


def test_revoked_external_certificate_and_no_terminal(db):
    c = chainfix.chain(db, 1)
    from jiliang.traceability.models import ExternalCertificate

    ext = db.get(ExternalCertificate, c["links"][0].external_id)
    ext.status, ext.terminal_kind = "revoked", None
    db.flush()
    result = check_record(db, c["records"][0])
    assert {"source_revoked", "no_terminal"} <= _codes(result, 2)


def test_superseded_source_and_missing_link(db):
    c = chainfix.chain(db, 2)
    c["records"][1].status = "superseded"
    db.flush()
    assert "source_superseded" in _codes(check_record(db, c["records"][0]), 2)
    lab, cust = chainfix.demo_lab(db), chainfix.enterprise(db)
    std, dev = chainfix.standard(db, lab, secrets.token_hex(4))
    rec = chainfix.record(db, lab, cust, TODAY, std, dev)
    result = check_record(db, rec)
    gap = [g for g in result["gaps"] if g["code"] == "no_link"]
    assert gap and gap[0]["severity"] == "unregistered"
    assert gap[0]["fix"]["url"] == f"/trace/links/new?subject_kind=device&subject_id={dev.id}"


def test_a_cycle_is_reported_not_followed(db):
    c = chainfix.chain(db, 2)
    # make R2's device calibrated by R1 (the result itself): R1 -> D1 -> R2 -> D2 -> R1
    top = c["links"][1]
    top.source_kind, top.record_id, top.external_id = "record", c["records"][0].id, None
    top.calibrated_on = c["records"][1].performed_on - timedelta(days=1)
    db.flush()
    result = check_record(db, c["records"][0])
    assert "cycle" in _codes(result)
    assert result["traceable"] is False


def test_public_part_shows_levels_and_issuers_only(db):
    c = chainfix.chain(db, 2)
    result = check_record(db, c["records"][0])
    public = public_part(result, "en")
    assert public["traceable"] is True and public["depth"] == 3
    assert public["levels"][0]["items"][0]["kind"] == "terminal"
    assert public["levels"][0]["items"][0]["terminal"] == "National primary standard"
    text = repr(public)
    assert c["records"][0].number not in text  # no record numbers, customers or instruments
    assert "中国计量科学研究院" in text


def test_nightly_report_counts_the_broken(db):
    from jiliang.traceability.chain import nightly
    from jiliang.traceability.models import ChainReport

    clean = chainfix.chain(db, 2)
    broken = chainfix.chain(db, 3, expired_level=3)
    summary = nightly(db, [clean["lab"]])
    assert summary["checked"] >= 6 and summary["broken"] >= 1
    row = db.query(ChainReport).filter(ChainReport.lab_org_id == clean["lab"]).order_by(ChainReport.id.desc()).first()
    listed = {i["record_id"]: i for i in row.items}
    assert broken["records"][0].id in listed
    assert "link_expired" in listed[broken["records"][0].id]["codes"]
    assert clean["records"][0].id not in listed
    assert row.broken == len(row.items) and row.checked == summary["checked"]


def test_a_record_naming_no_standard_is_not_traceable(db):
    lab, cust = chainfix.demo_lab(db), chainfix.enterprise(db)
    rec = chainfix.record(db, lab, cust, TODAY)
    result = check_record(db, rec)
    assert result["traceable"] is False and result["depth"] == 1
    assert [(g["code"], g["level"], g["severity"]) for g in result["gaps"]] == [("no_reference", 1, "unregistered")]
