"""Reverse-traceability API: preview a trace, open a case, list cases and items, record dispositions.

Every rule (who may mark a standard, who sees which items, who decides) is in
:mod:`jiliang.traceability.reverse`; this layer only validates shapes and converts to JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from jiliang.api.deps import DB, principal
from jiliang.core.security import Principal
from jiliang.traceability import reverse as svc

router = APIRouter(tags=["traceability"])

Who = Annotated[Principal, Depends(principal)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Page = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=200)]
PREFIX = "/api/v1/trace/reverse"


class TraceIn(BaseModel):
    """What was found out of tolerance, and over which window."""

    subject_kind: Literal["standard", "device", "material"] = "standard"
    standard_code: str | None = Field(default=None, min_length=1, max_length=60)
    device_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    material_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    since: date | None = None
    until: date | None = None
    error_found: float | None = Field(default=None, allow_inf_nan=False)
    error_unit: str | None = Field(default=None, min_length=1, max_length=30)


class PreviewIn(TraceIn):
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


class CaseIn(TraceIn):
    error_found: float = Field(allow_inf_nan=False)
    error_unit: str = Field(min_length=1, max_length=30)
    description: str = Field(min_length=1, max_length=svc.TEXT_MAX)


class DispositionIn(BaseModel):
    disposition: Literal["no_effect", "recall", "reverify", "certificate_superseded"]
    note: str = Field(min_length=1, max_length=svc.TEXT_MAX)


def _spec(session, body: TraceIn, for_case: bool) -> svc.Spec:
    return svc.parse_spec(session, body.model_dump(), for_case=for_case)


@router.post(PREFIX + "/preview")
def preview(body: PreviewIn, session: DB, who: Who) -> dict[str, Any]:
    """The results reached through a standard over a window (no case is opened), with per
    result whether a point's verdict could change by the error found."""
    return svc.preview(session, who, _spec(session, body, False), body.page, body.per_page)


@router.post(PREFIX + "/cases", status_code=201)
def open_case(body: CaseIn, session: DB, who: Who) -> dict[str, Any]:
    """Mark a standard (device, RM lot) out of tolerance: opens a case with one item per affected
    result and notifies the owners."""
    case = svc.open_case(session, who, _spec(session, body, True))
    return svc.case_dict(case)


@router.get(PREFIX + "/cases")
def list_cases(
    session: DB,
    who: Who,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    page: Page = 1,
    per_page: PerPage = 25,
) -> dict[str, Any]:
    """Cases in the caller's scope: the lab's own, and those with items of the caller's
    instruments (enterprise), records (another lab) or region (regulator)."""
    rows, total = svc.list_cases(session, who, q, status, page, per_page)
    return {"total": total, "page": page, "items": [svc.case_dict(c) for c in rows]}


@router.get(PREFIX + "/cases/{case_id}")
def get_case(case_id: Id, session: DB, who: Who) -> dict[str, Any]:
    """A case with its progress and the caller's affected counts by depth and county."""
    case = svc.get_case(session, who, case_id)
    return {**svc.case_dict(case), "by_depth": svc.depth_counts(session, who, case),
            "by_county": svc.counts_by_county(session, who, case)}


@router.get(PREFIX + "/cases/{case_id}/items")
def list_items(
    case_id: Id,
    session: DB,
    who: Who,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    depth: Annotated[int | None, Query(ge=1, le=svc.MAX_DEPTH)] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    may_change: Annotated[bool | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Page = 1,
    per_page: PerPage = 25,
) -> dict[str, Any]:
    """The case's affected results in the caller's scope, filtered and paged."""
    f = svc.ItemFilter(status, depth, region, may_change, q)
    case, rows, total = svc.list_items(session, who, case_id, f, page, per_page)
    return {"case": case.number, "total": total, "page": page, "items": [svc.item_dict(i) for i in rows]}


@router.get(PREFIX + "/cases/{case_id}/items/{item_id}")
def get_item(case_id: Id, item_id: Id, session: DB, who: Who) -> dict[str, Any]:
    """One affected result with its points and its audit trail."""
    _, item = svc.get_item(session, who, case_id, item_id)
    trail = [{"at": e.at.isoformat(), "by": e.actor_name, "action": e.action, "before": e.before,
              "after": e.after, "reason": e.reason} for e in svc.item_trail(session, item)]
    return {**svc.item_dict(item), "audit": trail}


@router.post(PREFIX + "/cases/{case_id}/items/{item_id}/disposition")
def set_disposition(case_id: Id, item_id: Id, body: DispositionIn, session: DB, who: Who) -> dict[str, Any]:
    """Record an item's disposition (no effect / recall / re-verify / certificate superseded);
    the last open item closes the case."""
    item = svc.set_disposition(session, who, case_id, item_id, body.disposition, body.note)
    case = svc.get_case(session, who, case_id)
    return {**svc.item_dict(item), "case_status": case.status, "closed": case.closed_items, "total": case.total}


@router.post(PREFIX + "/cases/{case_id}/notify")
def notify(case_id: Id, session: DB, who: Who) -> dict[str, Any]:
    """Notify the owners not told yet (no owner is told twice)."""
    return {"notified_owners": svc.resend(session, who, case_id)}
