"""Issuing certificates of every kind: valid DCC 3.3.0, signature, log entry, PDF, numbering."""

from __future__ import annotations

import hashlib
import json

import certfix
import pytest

from rolecheck import call


@pytest.fixture(scope="module")
def issued(client, auth, setup):
    import calfix

    out = {}
    for name, kind, points in (
        ("verification", "subsequent_verification", None),
        ("verification_notice", "subsequent_verification", calfix.FAIL_POINTS),
        ("calibration", "calibration", None),
    ):
        rec = certfix.approved_record(client, auth, setup, kind=kind, points=points)
        r = certfix.issue(client, auth, rec["id"])
        assert r.status_code == 201, r.text
        out[name] = r.json()
    return out


def test_every_kind_validates_and_is_signed_and_logged(client, auth, issued):
    from jiliang.dcc import read_dcc, validate_dcc

    for kind, facts in issued.items():
        assert facts["kind"] == kind
        assert facts["status"] == "issued"
        r = call(client, auth, "GET", "/api/v1/certificates/{n}/xml", None, n=facts["number"])
        assert r.status_code == 200
        xml = r.content
        assert validate_dcc(xml) == [], kind
        assert hashlib.sha256(xml).hexdigest() == facts["xml_sha256"]
        summary = read_dcc(xml)
        assert summary["number"] == facts["number"] and summary["signed"]
        assert len(summary["resp_persons"]) == 3
        assert summary["standards"], "the standards used are in the traceability statement"
        q = [q for res in summary["results"] for q in res["quantities"]]
        assert any(x.get("uncertainty") for x in q)
        entry = client.get(f"/api/v1/log/entries/{facts['log_index']}").json()
        text = json.dumps(entry)
        assert facts["number"] in text and facts["xml_sha256"] in text
    assert issued["verification"]["conformity"] == "pass"
    assert issued["verification_notice"]["conformity"] == "fail"


def test_pdf_is_public_and_chinese(client, auth, issued):
    n = issued["verification"]["number"]
    r = call(client, auth, "GET", "/api/v1/certificates/{n}/pdf", None, n=n)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert b"STSong-Light" in r.content


def test_numbers_unique_and_never_reissued(client, auth, issued):
    numbers = [f["number"] for f in issued.values()]
    assert len(set(numbers)) == 3
    rec_id = None
    from jiliang.certificates.models import Certificate
    from jiliang.core.db import session_scope

    with session_scope() as s:
        rec_id = s.query(Certificate).filter_by(number=numbers[0]).one().record_id
    r = certfix.issue(client, auth, rec_id)
    assert r.status_code == 409


def test_numbering_takes_the_next_in_sequence(platform):
    from datetime import date

    from jiliang.certificates.service import next_number
    from jiliang.core.db import session_scope

    with session_scope() as s:
        a = next_number(s, 1, "calibration", date(2031, 1, 1))
        b = next_number(s, 1, "calibration", date(2031, 5, 1))
    assert a == "JL0001-2031-X00001" and b == "JL0001-2031-X00002"
