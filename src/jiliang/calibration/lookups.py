"""Look-ups for calibration work: an instrument a lab accepts, the lab's standards with their
validity, and an instrument's history of as-found errors."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.calibration.models import CalibrationRecord
from jiliang.calibration.service import RECORDS, _iso, _points
from jiliang.core import resources
from jiliang.core.errors import Forbidden, NotFound
from jiliang.core.policies import require
from jiliang.core.security import Principal
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.materials.models import ReferenceMaterial
from jiliang.orgs.models import Organisation
from jiliang.standards.models import MeasurementStandard, StandardDevice


def instrument_facts(session: Session, who: Principal, instrument_id: int) -> dict[str, Any]:
    """What a lab needs to accept an instrument for work (it may be a customer's)."""
    require(who)
    if not (who.is_admin or who.is_lab):
        raise Forbidden()
    inst = (
        session.get(Instrument, instrument_id) if 0 < instrument_id <= resources.MAX_INT else None
    )
    if inst is None:
        raise NotFound("instrument", instrument_id)
    itype = session.get(InstrumentType, inst.type_id)
    owner = session.get(Organisation, inst.owner_org_id)
    return {
        "id": inst.id,
        "serial_no": inst.serial_no,
        "model": inst.model,
        "maker": inst.maker,
        "status": inst.status,
        "due_date": _iso(inst.due_date),
        "last_verified": _iso(inst.last_verified),
        "type_id": itype.id,
        "type_code": itype.code,
        "type_zh": itype.name_zh,
        "type_en": itype.name_en,
        "regulation_code": itype.regulation_code,
        "regulation_title": itype.regulation_title,
        "period_months": itype.period_months,
        "owner_org_id": inst.owner_org_id,
        "owner": owner.name if owner else "",
    }


def find_instruments(session: Session, who: Principal, serial: str, limit: int = 20) -> list[dict]:
    """Instruments by serial number, for a lab accepting work."""
    require(who)
    if not (who.is_admin or who.is_lab):
        raise Forbidden()
    text = (serial or "").strip()
    if len(text) < 2:
        return []
    rows = session.scalars(
        select(Instrument.id)
        .where(Instrument.serial_no.ilike(f"%{text[:100]}%"))
        .order_by(Instrument.serial_no)
        .limit(limit)
    ).all()
    return [instrument_facts(session, who, i) for i in rows]


def lab_resources(
    session: Session, who: Principal, on: date | None = None
) -> dict[str, list[dict]]:
    """The lab's standards, devices and reference-material lots with their validity on ``on``."""
    require(who)
    if not who.is_lab or who.org_id is None:
        return {"standards": [], "devices": [], "materials": []}
    on = on or date.today()
    stds = session.scalars(
        select(MeasurementStandard)
        .where(MeasurementStandard.lab_org_id == who.org_id)
        .order_by(MeasurementStandard.name)
    ).all()
    ids = [s.id for s in stds]
    devs = (
        session.scalars(
            select(StandardDevice)
            .where(StandardDevice.standard_id.in_(ids))
            .order_by(StandardDevice.id)
        ).all()
        if ids
        else []
    )
    rms = session.scalars(
        select(ReferenceMaterial)
        .where(ReferenceMaterial.holder_org_id == who.org_id)
        .order_by(ReferenceMaterial.name)
    ).all()

    def ok(status, until, none_ok=False):
        return status == "active" and (
            (until is None and none_ok) or (until is not None and until >= on)
        )

    return {
        "standards": [
            {
                "id": s.id,
                "name": s.name,
                "code": s.code,
                "valid_until": _iso(s.assessment_valid_until),
                "valid": ok(s.status, s.assessment_valid_until),
            }
            for s in stds
        ],
        "devices": [
            {
                "id": d.id,
                "standard_id": d.standard_id,
                "name": d.name,
                "serial_no": d.serial_no,
                "valid_until": _iso(d.certificate_valid_until),
                "valid": ok(d.status, d.certificate_valid_until),
            }
            for d in devs
        ],
        "materials": [
            {
                "id": m.id,
                "name": m.name,
                "lot": m.lot,
                "valid_until": _iso(m.expiry),
                "valid": ok(m.status, m.expiry, none_ok=True),
            }
            for m in rms
        ],
    }


def instrument_history(session: Session, who: Principal, instrument_id: int) -> dict[str, Any]:
    """Visible records of one instrument, oldest first, with as-found error per nominal point."""
    stmt = (
        RECORDS.policy.scope(who, select(CalibrationRecord))
        .where(CalibrationRecord.instrument_id == instrument_id)
        .order_by(CalibrationRecord.performed_on, CalibrationRecord.id)
    )
    recs = list(session.scalars(stmt))
    inst = (
        session.get(Instrument, instrument_id) if 0 < instrument_id <= resources.MAX_INT else None
    )
    if inst is None:
        raise NotFound("instrument", instrument_id)
    if not recs:
        from jiliang.instruments.service import INSTRUMENTS

        resources.get(session, who, INSTRUMENTS, instrument_id)  # NotFound outside the scope
    series: dict[float, list[dict]] = {}
    for r in recs:
        if r.status not in ("approved", "superseded"):
            continue
        for p in _points(session, r.id):
            if p.error is None:
                continue
            series.setdefault(p.nominal, []).append(
                {
                    "date": r.performed_on.isoformat(),
                    "error": p.error,
                    "record": r.number,
                    "mpe_lower": p.mpe_lower,
                    "mpe_upper": p.mpe_upper,
                    "verdict": p.verdict,
                }
            )
    facts = instrument_facts(session, Principal(0, "system", "admin"), instrument_id)
    return {
        "instrument": facts,
        "records": [
            {
                "id": r.id,
                "number": r.number,
                "kind": r.kind,
                "performed_on": r.performed_on.isoformat(),
                "status": r.status,
                "overall_verdict": r.overall_verdict,
            }
            for r in recs
        ],
        "series": [{"nominal": k, "points": v} for k, v in sorted(series.items())],
    }
