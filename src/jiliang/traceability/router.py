"""Chain-check API under /api/v1/trace (thin: the service decides who may see which result).

* ``GET /api/v1/trace/certificates/{number}``: the chain of a certificate's record;
* ``GET /api/v1/trace/records/{id}``: of a record; ``GET /api/v1/trace/instruments/{id}``: of an
  instrument's latest approved record — each as of the result's date;
* ``GET /api/v1/trace/reports`` and ``/reports/{id}``: the nightly reports in the caller's scope.

External certificates and trace links have the generic registry routes
(``/api/v1/external-certificates``, ``/api/v1/trace-links``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select

from jiliang.api.deps import DB, principal
from jiliang.calibration.models import CalibrationRecord
from jiliang.core.resources import MAX_INT
from jiliang.core.security import Principal
from jiliang.orgs.models import Organisation
from jiliang.traceability import service
from jiliang.traceability.chain import check_record

router = APIRouter(prefix="/api/v1/trace", tags=["traceability"])
Who = Annotated[Principal, Depends(principal)]
ItemId = Annotated[int, Path(ge=1, le=MAX_INT)]
Number = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/certificates/{number}", summary="Check the traceability chain of a certificate")
def check_certificate(number: Number, db: DB, who: Who) -> dict[str, Any]:
    cert = service.certificate_for(db, who, number)
    out = check_record(db, db.get(CalibrationRecord, cert.record_id))
    out["certificate"] = {"number": cert.number, "status": cert.status}
    return out


@router.get("/records/{item_id}", summary="Check the traceability chain of a calibration record")
def check_record_api(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return check_record(db, service.record_for(db, who, item_id))


@router.get("/instruments/{item_id}", summary="Check the chain of an instrument's latest approved record")
def check_instrument(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return check_record(db, service.instrument_record(db, who, item_id))


def _names(db, rows) -> dict[int, str]:
    ids = {r.lab_org_id for r in rows}
    if not ids:
        return {}
    return {o.id: o.name for o in db.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


@router.get("/reports", summary="Nightly chain-check reports in the caller's scope (one row per lab and run)")
def list_reports(
    db: DB,
    who: Who,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> dict[str, Any]:
    rows, total = service.list_reports(db, who, page, per_page)
    names = _names(db, rows)
    return {"total": total, "page": page, "per_page": per_page,
            "items": [service.report_dict(r, names) for r in rows]}


@router.get("/reports/{item_id}", summary="One nightly report with the broken results and their reasons")
def get_report(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    row = service.get_report(db, who, item_id)
    return service.report_dict(row, _names(db, [row]), items=True)
