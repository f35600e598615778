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


def test_invalid_document_is_refused_and_number_given_back(client, auth, setup, monkeypatch):
    import jiliang.dcc
    from jiliang.dcc import Problem

    rec = certfix.approved_record(client, auth, setup)
    real = jiliang.dcc.validate_dcc
    monkeypatch.setattr(
        jiliang.dcc,
        "validate_dcc",
        lambda xml: [Problem(3, "/dcc:administrativeData", "broken on purpose")],
    )
    r = certfix.issue(client, auth, rec["id"])
    assert r.status_code == 422
    assert "broken on purpose" in r.json()["message"] and r.json()["problems"]
    monkeypatch.setattr(jiliang.dcc, "validate_dcc", real)
    r = certfix.issue(client, auth, rec["id"])
    assert r.status_code == 201
    # the refused attempt consumed no number: this one follows the previous certificate
    from jiliang.certificates.models import Certificate
    from jiliang.core.db import session_scope

    with session_scope() as s:
        nums = sorted(
            n
            for (n,) in s.query(Certificate.number).filter(
                Certificate.kind == "verification", Certificate.lab_org_id == setup["lab"]
            )
        )
    seqs = [int(n.rsplit("J", 1)[1]) for n in nums]
    assert seqs == list(range(1, len(seqs) + 1))


def test_first_issue_creates_the_org_key_as_the_system_with_audit(issued, setup):
    from sqlalchemy import select

    from jiliang.core.audit import AuditEntry
    from jiliang.core.db import session_scope

    with session_scope() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "create_key_for_issue"))
        actors = [r.actor_name for r in rows]
        if actors:
            assert actors == ["system"]
        else:  # run after tests/trust, which gave the lab its key before any issue
            from jiliang.trust.keys import public_keys_for

            assert public_keys_for(s, setup["lab"])
        issues = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "certificate", AuditEntry.action == "issue"
            )
        ).all()
        assert len(issues) >= 3


def test_concurrent_numbering_is_unique(platform):
    import threading
    from datetime import date

    from jiliang.certificates.service import next_number
    from jiliang.core.db import session_scope

    if not platform.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (one write transaction at a time)")
    got: list[str] = []
    errors: list[Exception] = []

    def work() -> None:
        try:
            for _ in range(10):
                with session_scope() as s:
                    got.append(next_number(s, 1, "verification", date(2033, 1, 1)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == [f"JL0001-2033-J{i:05d}" for i in range(1, 41)]


def test_demo_certificates_of_every_kind(platform):
    """The demo loader issues a verification certificate, a notice, a calibration certificate
    and a revoked one, through the same services as the pages."""
    from sqlalchemy import select

    from jiliang import demo
    from jiliang.certificates.models import Certificate
    from jiliang.core.db import session_scope

    with session_scope() as session:
        numbers = demo.add_certificates(session)
    with session_scope() as session:
        certs = {c.number: c for c in session.scalars(select(Certificate).where(Certificate.number.in_(numbers)))}
        kinds = {c.kind for c in certs.values()}
        states = [certs[n].status for n in numbers]
    assert len(kinds) == 3
    assert states[-1] == "revoked" and states[0] != "revoked"
