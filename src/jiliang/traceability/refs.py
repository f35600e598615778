"""Keeping ``calibration_record_refs`` equal to each record's standard, device and RM lists.

The rows are derived data (an index of the JSON lists on the record, whose every change is
audited on the record itself), so replacing them is not a deletion of anything a user entered.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from jiliang.calibration.models import CalibrationRecord
from jiliang.traceability.models import RecordRef

_LISTS = (("standard", "standard_ids"), ("device", "device_ids"), ("material", "material_ids"))


def sync_refs(session: Session, rec: CalibrationRecord) -> None:
    """Make the ref rows of ``rec`` (already flushed) match its lists and date."""
    session.execute(delete(RecordRef).where(RecordRef.record_id == rec.id))
    for kind, attr in _LISTS:
        for ref_id in sorted({int(i) for i in (getattr(rec, attr) or [])}):
            session.add(RecordRef(record_id=rec.id, ref_kind=kind, ref_id=ref_id,
                                  performed_on=rec.performed_on, lab_org_id=rec.lab_org_id))
    session.flush()
