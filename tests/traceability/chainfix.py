"""Built chains for the chain-check tests: standards, devices, RM lots, approved records, external
certificates and trace links written straight into the test database (each call makes new rows
with a fresh tag, so tests do not depend on one another).

A chain of ``n`` records: R1 (the checked result) used device D1, calibrated by record R2, which
used D2, calibrated by R3 ... and the last device is calibrated by a NIM certificate that is a
terminal node (national primary standard). Depth = n + 1.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy import select

TODAY = date.today()


def demo_lab(s) -> int:
    from jiliang.people.models import User

    return s.scalar(select(User.org_id).where(User.username == "labmanager"))


def enterprise(s) -> int:
    from jiliang.people.models import User

    return s.scalar(select(User.org_id).where(User.username == "enterprise"))


def standard(s, lab: int, tag: str, valid_until: date | None = None, device_until: date | None = None):
    from jiliang.standards.models import MeasurementStandard, StandardDevice

    std = MeasurementStandard(lab_org_id=lab, name=f"链测标准 {tag}", code=f"[CH]{tag}", quantity="质量",
                              level="social_public", assessment_valid_until=valid_until or TODAY + timedelta(days=300),
                              status="active")
    s.add(std)
    s.flush()
    dev = StandardDevice(standard_id=std.id, name=f"链测砝码 {tag}", serial_no=f"SN{tag}",
                         certificate_valid_until=device_until or TODAY + timedelta(days=300), status="active")
    s.add(dev)
    s.flush()
    return std, dev


def material(s, lab: int, tag: str, expiry: date):
    from jiliang.materials.models import ReferenceMaterial

    rm = ReferenceMaterial(holder_org_id=lab, gbw_no="GBW(E)081234", name=f"链测标准物质 {tag}", producer="NIM",
                           lot=f"L{tag}", expiry=expiry, status="active")
    s.add(rm)
    s.flush()
    return rm


def instrument(s, owner: int, tag: str):
    from jiliang.instruments.models import Instrument, InstrumentType
    from jiliang.orgs.models import Organisation

    org = s.get(Organisation, owner)
    t = s.scalar(select(InstrumentType).where(InstrumentType.code == "WT-NAWI"))
    inst = Instrument(owner_org_id=owner, type_id=t.id, serial_no=f"CH{tag}", region_code=org.region_code,
                      city_code=org.city_code, use="other", status="in_service", qr_token=secrets.token_urlsafe(16))
    s.add(inst)
    s.flush()
    return inst


def record(s, lab: int, customer: int, on: date, std=None, dev=None, rm=None, u: float | None = 0.01,
           unit: str | None = "kg", status: str = "approved"):
    from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
    from jiliang.traceability.refs import sync_refs

    tag = secrets.token_hex(4)
    inst = instrument(s, customer, tag)
    rec = CalibrationRecord(number=f"CH-{tag}", lab_org_id=lab, instrument_id=inst.id, customer_org_id=customer,
                            kind="calibration", procedure_code="JJG 99-2022", performed_on=on, unit=unit,
                            standard_ids=[std.id] if std else [], device_ids=[dev.id] if dev else [],
                            material_ids=[rm.id] if rm else [], decision_rule={"kind": "simple"}, status=status)
    s.add(rec)
    s.flush()
    s.add(CalibrationPoint(record_id=rec.id, seq=1, nominal=1.0, readings=[1.0], expanded_uncertainty=u,
                           coverage_factor=2.0 if u else None, verdict="pass"))
    sync_refs(s, rec)
    return rec


def nim(s, holder: int, issued: date, valid_until: date, terminal: bool = True, u: float | None = 0.0001,
        status: str = "active"):
    from jiliang.traceability.models import ExternalCertificate

    ext = ExternalCertificate(holder_org_id=holder, issuer_name="中国计量科学研究院", issuer_kind="national_institute",
                              issuer_country="CN", number=f"NIM-{secrets.token_hex(4)}", issued_on=issued,
                              valid_until=valid_until, expanded_uncertainty=u, coverage_factor=2.0, unit="kg",
                              terminal_kind="national_primary" if terminal else None,
                              terminal_reference="国家千克基准" if terminal else None, status=status)
    s.add(ext)
    s.flush()
    return ext


def link(s, kind: str, subject_id: int, *, record_id=None, external_id=None, terminal=False, on: date,
         until: date | None, u: float | None = None, unit: str | None = "kg"):
    from jiliang.traceability.models import TraceLink

    source = "record" if record_id else "external" if external_id else "terminal"
    lk = TraceLink(subject_kind=kind, subject_id=subject_id, source_kind=source, record_id=record_id,
                   external_id=external_id, terminal_kind="national_primary" if terminal else None,
                   terminal_reference="国家千克基准" if terminal else None, calibrated_on=on, valid_until=until,
                   expanded_uncertainty=u, unit=unit, status="active")
    s.add(lk)
    s.flush()
    return lk


def chain(s, n: int = 3, *, expired_level: int | None = None, u_first: float = 0.01,
          u_links: tuple[float, ...] | None = None, first_status: str = "approved") -> dict:
    """Build R1..Rn as described in the module docstring; ``expired_level`` k makes the link of
    the device used by Rk expired on Rk's date. U decreases upwards unless told otherwise."""
    lab, cust = demo_lab(s), enterprise(s)
    days = [TODAY - timedelta(days=10 + 90 * i) for i in range(n)]  # R1 newest
    us = u_links or tuple(u_first / (5 ** (i + 1)) for i in range(n))
    stds = [standard(s, lab, secrets.token_hex(4)) for _ in range(n)]
    recs = [None] * n
    # from the top down: Rn first, so each lower device can be linked to the record above
    for i in reversed(range(n)):
        std, dev = stds[i]
        owner = cust if i == 0 else lab
        recs[i] = record(s, lab, owner, days[i], std, dev, u=u_first if i == 0 else us[i - 1],
                         status=first_status if i == 0 else "approved")
    links = []
    for i in range(n):
        std, dev = stds[i]
        used_on = days[i]
        expired = expired_level == i + 1
        if i == n - 1:
            ext = nim(s, lab, used_on - timedelta(days=400 if expired else 30),
                      used_on - timedelta(days=35) if expired else used_on + timedelta(days=330), u=us[i] / 2)
            lk = link(s, "device", dev.id, external_id=ext.id, on=ext.issued_on, until=ext.valid_until, u=us[i])
        else:
            src = recs[i + 1]
            lk = link(s, "device", dev.id, record_id=src.id, on=src.performed_on,
                      until=used_on - timedelta(days=1) if expired else src.performed_on + timedelta(days=364),
                      u=us[i])
        links.append(lk)
    return {"records": recs, "standards": [x[0] for x in stds], "devices": [x[1] for x in stds], "links": links,
            "lab": lab, "customer": cust}
