"""A two-level chain for reverse-traceability tests (every row made here, with a unique tag).

Standard A (the demo provincial lab, device A1) calibrated device B1 of standard B (another lab)
by record R; B then calibrated instruments C and C2; B1 was recalibrated later (an external
certificate), after which record Q used it. Dates count back from today::

    P   today-320  A      instrument of the demo enterprise   before ``since``: excluded
    D1  today-280  A1     instrument of enterprise_b          depth 1, no points
    R   today-250  A      B1's own instrument                 depth 1, calibrates B1 (a fail point)
    S   today-200  B, B1  instrument C (demo enterprise)      depth 2, one point can change
    S2  today-150  B1     instrument C2 (enterprise_b)        depth 2, a point exactly on the limit
    --  today-100  B1 recalibrated (external certificate)
    V   today-30   A      instrument of the demo enterprise   depth 1, points in g (unknown)
    Q   today-50   B1     instrument C                        after B's recalibration: excluded
    U   today-10   A      instrument of the demo enterprise   after ``until``: excluded

The trace runs with since = today-300, until = today-20 and an error found of 0.2 kg.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy import select

SINCE_DAYS, UNTIL_DAYS = 300, 20


def _instrument(s, owner_org_id: int, tag: str):
    from jiliang.instruments.models import Instrument, InstrumentType
    from jiliang.orgs.models import Organisation

    org = s.get(Organisation, owner_org_id)
    t = s.scalar(select(InstrumentType).where(InstrumentType.code == "WT-NAWI"))
    inst = Instrument(owner_org_id=owner_org_id, type_id=t.id, serial_no=f"RT{tag}{secrets.token_hex(3).upper()}",
                      region_code=org.region_code, city_code=org.city_code, use="trade_settlement",
                      status="in_service", qr_token=secrets.token_urlsafe(16))
    s.add(inst)
    s.flush()
    return inst


def record(s, lab: int, inst, day: date, number: str, standards=(), devices=(), unit="kg", points=(),
           status="approved"):
    """An approved record with its points and its ref rows (as the calibration service keeps them)."""
    from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
    from jiliang.traceability.refs import sync_refs

    rec = CalibrationRecord(
        number=number, lab_org_id=lab, instrument_id=inst.id, customer_org_id=inst.owner_org_id,
        kind="subsequent_verification", procedure_code="JJG 539-2016", performed_on=day, unit=unit,
        standard_ids=list(standards), device_ids=list(devices), material_ids=[],
        decision_rule={"kind": "simple"}, status=status,
    )
    s.add(rec)
    s.flush()
    for seq, (error, lo, hi) in enumerate(points, 1):
        s.add(CalibrationPoint(record_id=rec.id, seq=seq, nominal=10.0, readings=[], error=error,
                               mpe_lower=lo, mpe_upper=hi,
                               verdict="pass" if lo <= error <= hi else "fail"))
    sync_refs(s, rec)
    return rec


def standard(s, lab: int, code: str):
    from jiliang.standards.models import MeasurementStandard, StandardDevice

    std = MeasurementStandard(lab_org_id=lab, name=f"标准 {code}", code=code, quantity="质量", level="social_public",
                              assessment_valid_until=date.today() + timedelta(days=300))
    s.add(std)
    s.flush()
    dev = StandardDevice(standard_id=std.id, name=f"砝码组 {code}", serial_no=f"SN-{code}")
    s.add(dev)
    s.flush()
    return std, dev


def link(s, subject_kind: str, subject_id: int, day: date, record_id: int | None = None):
    from jiliang.traceability.models import TraceLink

    s.add(TraceLink(subject_kind=subject_kind, subject_id=subject_id,
                    source_kind="record" if record_id else "terminal", record_id=record_id,
                    terminal_kind=None if record_id else "national_primary",
                    terminal_reference=None if record_id else "国家质量基准",
                    calibrated_on=day, status="active"))
    s.flush()


def users_orgs(s) -> dict[str, int]:
    from jiliang.people.models import User

    names = ("labmanager", "labmanager_b", "enterprise", "enterprise_b")
    return {u: s.scalar(select(User.org_id).where(User.username == u)) for u in names}


def build_chain() -> dict:
    from jiliang.certificates.models import Certificate
    from jiliang.core.db import session_scope

    tag = secrets.token_hex(3).upper()
    today = date.today()
    d = lambda n: today - timedelta(days=n)  # noqa: E731
    with session_scope() as s:
        orgs = users_orgs(s)
        lab, lab_b, e1, e2 = orgs["labmanager"], orgs["labmanager_b"], orgs["enterprise"], orgs["enterprise_b"]
        std_a, dev_a = standard(s, lab, f"[T]RT{tag}-A")
        std_b, dev_b = standard(s, lab_b, f"[T]RT{tag}-B")
        link(s, "standard", std_a.id, d(SINCE_DAYS))
        link(s, "device", dev_b.id, d(400))
        b1_inst = _instrument(s, lab_b, tag)
        inst_c, inst_c2 = _instrument(s, e1, tag), _instrument(s, e2, tag)
        recs = {
            "P": record(s, lab, _instrument(s, e1, tag), d(320), f"[T]RT{tag}-P", [std_a.id], [dev_a.id],
                        points=[(0.0, -0.3, 0.3)]),
            "D1": record(s, lab, _instrument(s, e2, tag), d(280), f"[T]RT{tag}-D1", [], [dev_a.id]),
            "R": record(s, lab, b1_inst, d(250), f"[T]RT{tag}-R", [std_a.id], points=[(0.35, -0.3, 0.3)]),
            "S": record(s, lab_b, inst_c, d(200), f"[T]RT{tag}-S", [std_b.id], [dev_b.id],
                        points=[(0.1, -0.3, 0.3), (0.25, -0.3, 0.3)]),
            "S2": record(s, lab_b, inst_c2, d(150), f"[T]RT{tag}-S2", [], [dev_b.id], points=[(0.1, -0.3, 0.3)]),
            "Q": record(s, lab_b, inst_c, d(50), f"[T]RT{tag}-Q", [std_b.id], [dev_b.id], points=[(0.1, -0.3, 0.3)]),
            "V": record(s, lab, _instrument(s, e1, tag), d(30), f"[T]RT{tag}-V", [std_a.id], unit="g",
                        points=[(100.0, -300.0, 300.0)]),
            "U": record(s, lab, _instrument(s, e1, tag), d(10), f"[T]RT{tag}-U", [std_a.id]),
        }
        link(s, "device", dev_b.id, d(250), recs["R"].id)
        link(s, "device", dev_b.id, d(100))
        s.add(Certificate(number=f"[T]RT{tag}-CERT-S", kind="verification", status="issued", record_id=recs["S"].id,
                          lab_org_id=lab_b, customer_org_id=e1, instrument_id=inst_c.id, conformity="pass",
                          xml=b"<dcc/>", xml_sha256="0" * 64, pdf=b"%PDF-1.4", key_fingerprint="0" * 64,
                          log_index=0))
        s.flush()
        return {
            "tag": tag, "code_a": std_a.code, "code_b": std_b.code, "device_a": dev_a.id, "device_b": dev_b.id,
            "standard_a": std_a.id, "lab": lab, "lab_b": lab_b, "e1": e1, "e2": e2,
            "records": {k: r.number for k, r in recs.items()}, "record_ids": {k: r.id for k, r in recs.items()},
            "since": d(SINCE_DAYS), "until": d(UNTIL_DAYS), "cert_s": f"[T]RT{tag}-CERT-S",
            "inst_c": inst_c.id,
        }
