"""Complaint API: public filing and follow-up by ticket; the regulator's inbox and workflow."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from jiliang.api.deps import DB, optional_principal, principal, request_lang
from jiliang.complaints import service
from jiliang.core.security import Principal

router = APIRouter(tags=["complaints"])

Who = Annotated[Principal, Depends(principal)]
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
Ticket = Annotated[str, Path(min_length=1, max_length=24)]
Category = Literal["short_weight", "fuel_dispenser", "taxi_meter", "medical", "prepackaged",
                   "certificate_fraud", "other"]
Status = Literal["received", "accepted", "rejected", "answered", "closed"]


class ComplaintIn(BaseModel):
    category: Category
    county: str | None = Field(default=None, max_length=6, description="county code (GB/T 2260)")
    qr: str | None = Field(default=None, max_length=32, description="the QR token of the instrument's label")
    certificate: str | None = Field(default=None, max_length=64, description="a certificate number")
    business_name: str = Field(default="", max_length=200)
    business_address: str | None = Field(default=None, max_length=300)
    description: str = Field(max_length=5000)
    anonymous: bool = False
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40)
    contact_email: str | None = Field(default=None, max_length=200)
    consent: bool = False


class ActionIn(BaseModel):
    action: Literal["accept", "reject", "note", "reply", "outcome", "close", "publish", "reward"]
    reason: str | None = Field(default=None, max_length=5000)
    text: str | None = Field(default=None, max_length=5000)
    outcome: Literal["upheld", "not_upheld"] | None = None
    reply: str | None = Field(default=None, max_length=5000)
    summary: str | None = Field(default=None, max_length=2000)
    amount: float | None = Field(default=None, gt=0, le=1_000_000_000)
    reward_date: date | None = None
    approved_by: str | None = Field(default=None, max_length=100)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/api/v1/complaints", status_code=201)
def file_complaint(body: ComplaintIn, session: DB, who: MaybeWho, request: Request) -> dict[str, Any]:
    """File a complaint or report (no sign-in). Returns the ticket to follow it with.
    Rate-limited per client address and per contact (429)."""
    c = service.create(session, who, body.model_dump(), _client_ip(request))
    return {**service.public_view(session, c, request_lang(request)),
            "follow_url": f"/public/complaints/{c.ticket}"}


@router.get("/api/v1/complaints/public")
def published_complaints(
    session: DB,
    request: Request,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Category | None = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> dict[str, Any]:
    """Complaints the regulators chose to publish, anonymised (public)."""
    items, total = service.published(session, q, category, page, per_page, request_lang(request))
    return {"total": total, "page": page, "items": items}


@router.get("/api/v1/complaints/public/{ticket}")
def follow_complaint(ticket: Ticket, session: DB, request: Request) -> dict[str, Any]:
    """Follow a complaint by its ticket (public): status, deadlines and public replies only."""
    return service.public_view(session, service.by_ticket(session, ticket), request_lang(request))


@router.get("/api/v1/complaints")
def complaint_inbox(
    session: DB,
    who: Who,
    request: Request,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Status | None = None,
    category: Category | None = None,
    overdue: bool = False,
    county: Annotated[str | None, Query(max_length=6)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> dict[str, Any]:
    """The complaints of the caller's region (regulators; administrators see all)."""
    lang = request_lang(request)
    result = service.inbox(session, who, q, status, category, overdue, county, page, per_page)
    return {"total": result.total, "page": result.page,
            "items": [service.as_dict(session, c, lang) for c in result.items]}


@router.get("/api/v1/complaints/{complaint_id}")
def complaint_detail(
    complaint_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: DB, who: Who, request: Request
) -> dict[str, Any]:
    """One complaint with its timeline, attachments and audit trail (regulators in scope)."""
    return service.detail(session, who, complaint_id, request_lang(request))


@router.post("/api/v1/complaints/{complaint_id}/actions")
def complaint_action(
    complaint_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ActionIn, session: DB, who: Who,
    request: Request,
) -> dict[str, Any]:
    """A workflow step: accept, reject (reason), note, reply, outcome (+ reply), close, publish
    (anonymised summary), reward (amount, date, approver)."""
    data = body.model_dump(exclude_none=True)
    if body.reward_date is not None:
        data["reward_date"] = body.reward_date.isoformat()
    if body.amount is not None:
        data["amount"] = repr(body.amount)
    service.act(session, who, complaint_id, body.action, data)
    return service.detail(session, who, complaint_id, request_lang(request))
