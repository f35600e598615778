"""Demo traceability: NIM certificates and trace links for the demo labs' standard devices.

* The provincial institute (the demo lab) holds one certificate of 中国计量科学研究院 per valid
  standard (terminal: the national primary standard of its quantity); most of its in-date
  devices are linked to it (depth 2 for a record using them).
* A few of its devices were calibrated by the next institute (a city institute, itself linked to
  NIM) through an approved Jiliang record: a regional level in between (depth 3).
* One device's link has expired: a deliberate gap for the chain pages and the nightly report.

Deterministic (ids in order, no randomness beyond the given ``rng``); a few dozen rows for any
size. A nightly chain check runs at the end so the report page has a first report.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.orgs.models import Organisation
from jiliang.standards.models import MeasurementStandard, StandardDevice
from jiliang.traceability.models import ExternalCertificate, TraceLink
from jiliang.traceability.refs import sync_refs

NIM = "中国计量科学研究院"


def _valid_devices(session: Session, lab_id: int, today: date) -> list[tuple[MeasurementStandard, StandardDevice]]:
    stds = session.scalars(select(MeasurementStandard).where(
        MeasurementStandard.lab_org_id == lab_id, MeasurementStandard.status == "active",
        MeasurementStandard.assessment_valid_until >= today).order_by(MeasurementStandard.id)).all()
    out = []
    for std in stds:
        devs = session.scalars(select(StandardDevice).where(
            StandardDevice.standard_id == std.id, StandardDevice.status == "active",
            StandardDevice.certificate_valid_until >= today).order_by(StandardDevice.id)).all()
        out += [(std, d) for d in devs]
    return out


def _nim_certificates(session: Session, lab_id: int, pairs, today: date, rng: random.Random) -> dict[int, ExternalCertificate]:
    certs: dict[int, ExternalCertificate] = {}
    for std, _dev in pairs:
        if std.id in certs:
            continue
        issued = today - timedelta(days=rng.randint(60, 200))
        ext = ExternalCertificate(
            holder_org_id=lab_id, issuer_name=NIM, issuer_kind="national_institute", issuer_country="CN",
            number=f"NIM{issued.year}-{std.id:05d}", issued_on=issued, valid_until=issued + timedelta(days=364),
            quantity=std.quantity, reported_values=std.uncertainty, terminal_kind="national_primary",
            terminal_reference=f"{std.quantity}国家计量基准", status="active")
        session.add(ext)
        certs[std.id] = ext
    session.flush()
    return certs


def _link_external(session: Session, dev: StandardDevice, ext: ExternalCertificate, valid_until: date | None = None):
    session.add(TraceLink(subject_kind="device", subject_id=dev.id, source_kind="external", external_id=ext.id,
                          calibrated_on=ext.issued_on, valid_until=valid_until or ext.valid_until,
                          note="演示：由中国计量科学研究院校准", status="active"))


def _regional_record(session: Session, city_lab: Organisation, owner: Organisation, std: MeasurementStandard,
                     dev: StandardDevice, subject: StandardDevice, itype: InstrumentType, on: date, n: int) -> CalibrationRecord:
    """An approved record of the city institute calibrating the demo lab's device ``subject``."""
    inst = Instrument(owner_org_id=owner.id, type_id=itype.id, serial_no=subject.serial_no or f"DEV{subject.id}",
                      maker=subject.maker, model=subject.model, region_code=owner.region_code, city_code=owner.city_code,
                      use="other", status="in_service", last_verified=on, qr_token=secrets.token_urlsafe(16))
    session.add(inst)
    session.flush()
    rec = CalibrationRecord(
        number=f"TRACE-DEMO-{on.year}-{n:04d}", lab_org_id=city_lab.id, instrument_id=inst.id,
        customer_org_id=owner.id, kind="calibration", procedure_code="JJF 1033-2023",
        procedure_title="计量标准考核规范（演示）", performed_on=on, unit=None, standard_ids=[std.id],
        device_ids=[dev.id], material_ids=[], decision_rule={"kind": "simple"}, overall_verdict="pass",
        status="approved")
    session.add(rec)
    session.flush()
    session.add(CalibrationPoint(record_id=rec.id, seq=1, nominal=1.0, readings=[1.0], as_found=1.0, error=0.0,
                                 verdict="pass"))
    sync_refs(session, rec)
    return rec


def link_to_nim(session: Session, device: StandardDevice, today: date) -> TraceLink:
    """Make one demo device traceable: a NIM certificate (terminal) held by its lab and the link.

    For demo code that creates its own standard after the seed (``jiliang.demo.add_certificates``),
    so the certificates it issues have a complete chain.
    """
    std = session.get(MeasurementStandard, device.standard_id)
    ext = _nim_certificates(session, std.lab_org_id, [(std, device)], today, random.Random(device.id))[std.id]
    link = TraceLink(subject_kind="device", subject_id=device.id, source_kind="external", external_id=ext.id,
                     calibrated_on=ext.issued_on, valid_until=ext.valid_until,
                     note="演示：由中国计量科学研究院校准", status="active")
    session.add(link)
    session.flush()
    return link


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    labs = session.scalars(select(Organisation).where(Organisation.kind == "legal_institute")
                           .order_by(Organisation.id).limit(2)).all()
    if len(labs) < 2:
        return
    lab, city = labs
    itype = session.scalar(select(InstrumentType).order_by(InstrumentType.code))
    pairs = _valid_devices(session, lab.id, today)
    city_pairs = _valid_devices(session, city.id, today)
    if not pairs or itype is None:
        return
    certs = _nim_certificates(session, lab.id, pairs, today, rng)
    regional = city_pairs[0] if city_pairs else None
    if regional is not None:
        city_cert = _nim_certificates(session, city.id, [regional], today, rng)[regional[0].id]
        _link_external(session, regional[1], city_cert)
    session.flush()
    for i, (std, dev) in enumerate(pairs):
        ext = certs[std.id]
        if i == len(pairs) - 1 and len(pairs) > 2:
            _link_external(session, dev, ext, valid_until=today - timedelta(days=12))  # the deliberate gap
        elif regional is not None and i % 3 == 1:
            on = max(ext.issued_on, city_cert.issued_on) + timedelta(days=7)
            rec = _regional_record(session, city, lab, regional[0], regional[1], dev, itype, on, i)
            session.add(TraceLink(subject_kind="device", subject_id=dev.id, source_kind="record", record_id=rec.id,
                                  calibrated_on=on, valid_until=on + timedelta(days=364),
                                  note="演示：由市级计量技术机构校准", status="active"))
        else:
            _link_external(session, dev, ext)
    session.flush()
    from jiliang.traceability.chain import nightly

    nightly(session)
