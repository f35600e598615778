"""Integrity API: the public query (formula, commitment text, operators and their ratings);
commitments and capability declarations by enterprise users; recomputation by administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from jiliang.api.deps import DB, principal
from jiliang.core.security import Principal
from jiliang.integrity import service

router = APIRouter(tags=["integrity"])

Who = Annotated[Principal, Depends(principal)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


class SignIn(BaseModel):
    text_version: str = Field(max_length=20)
    agree: bool
    signer_title: str | None = Field(default=None, max_length=100)


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class DeclarationIn(BaseModel):
    management: str = Field(max_length=2000, description="measurement management system (测量管理体系)")
    management_certified: str | None = Field(default=None, max_length=100)
    instruments_count: Count
    instruments_note: str | None = Field(default=None, max_length=2000)
    standards_count: Count
    standards_note: str | None = Field(default=None, max_length=2000)
    staff_count: Count
    registered_metrologists: Count
    traceability: str = Field(max_length=2000)
    declared_on: date | None = None


class RecomputeIn(BaseModel):
    as_of: date | None = None


@router.get("/api/v1/integrity/formula")
def integrity_formula() -> dict[str, Any]:
    """The published rating formula, its terms explained, and the grade thresholds (public)."""
    return service.formula()


@router.get("/api/v1/integrity/commitment-text")
def integrity_commitment_text() -> dict[str, Any]:
    """The current text of the integrity commitment (诚信计量承诺) and its version (public)."""
    return service.commitment_text()


@router.get("/api/v1/integrity/operators")
def integrity_operators(
    session: DB,
    q: Annotated[str | None, Query(max_length=100, description="name or USCC")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> dict[str, Any]:
    """Operators by name or USCC with their latest grade (public)."""
    result = service.search(session, q, page, per_page)
    return {"total": result.total, "page": result.page, "items": result.items}


@router.get("/api/v1/integrity/operators/{org_id}")
def integrity_operator(
    org_id: Id, session: DB,
    as_of: Annotated[date | None, Query(description="compute the live rating as of this date")] = None,
) -> dict[str, Any]:
    """One operator: commitment, declaration, latest stored rating, the rating computed as of a
    date (default today) with its inputs, and the history (public)."""
    return service.profile(session, org_id, as_of)


@router.post("/api/v1/integrity/commitments", status_code=201)
def sign_commitment(body: SignIn, session: DB, who: Who) -> dict[str, Any]:
    """Sign the current commitment text for the caller's organisation (enterprise users)."""
    return service.commitment_dict(service.sign(session, who, body.model_dump()))


@router.post("/api/v1/integrity/commitments/{commitment_id}/withdraw")
def withdraw_commitment(commitment_id: Id, body: WithdrawIn, session: DB, who: Who) -> dict[str, Any]:
    """Withdraw the organisation's commitment, with a reason (enterprise users of that organisation)."""
    return service.commitment_dict(service.withdraw(session, who, commitment_id, body.reason))


@router.post("/api/v1/integrity/declarations", status_code=201)
def declare_capability(body: DeclarationIn, session: DB, who: Who) -> dict[str, Any]:
    """Declare the organisation's measurement capability; supersedes the previous one (enterprise users)."""
    data = body.model_dump()
    if body.declared_on is not None:
        data["declared_on"] = body.declared_on.isoformat()
    return service.declaration_dict(service.declare(session, who, data))


@router.post("/api/v1/integrity/ratings/recompute")
def recompute_ratings(body: RecomputeIn, session: DB, who: Who) -> dict[str, Any]:
    """Store a rating snapshot for every operator as of a date (administrators)."""
    return service.recompute_by(session, who, body.as_of)
