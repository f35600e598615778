"""API for net-content inspections, campaign statistics and C-mark declarations.

Thin: parse, call :mod:`jiliang.netcontent.service` (which checks role and scope), answer JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField

from jiliang.api.deps import DB, principal, request_lang
from jiliang.core import audit, resources
from jiliang.core.security import Principal
from jiliang.netcontent import declarations, service, stats
from jiliang.netcontent.models import CATEGORIES, QUANTITY_KINDS

router = APIRouter(prefix="/api/v1/netcontent", tags=["netcontent"])

Lang = Annotated[str, Depends(request_lang)]
# commit before the response leaves: a client that follows a redirect (or reads right after a
# 201) must find the row; the default request scope commits only after the response is sent
Who = Annotated[Principal, Depends(principal)]
ItemId = Annotated[int, Path(ge=1, le=resources.MAX_INT)]
Text = Annotated[str, StringConstraints(max_length=200)]
Number = Annotated[float, PydanticField(allow_inf_nan=False)]
Count = Annotated[int, PydanticField(ge=1, le=resources.MAX_INT)]

Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
Quantity = Literal[tuple(QUANTITY_KINDS)]  # type: ignore[valid-type]
Rules = Literal[tuple(service.RULE_CHOICES)]  # type: ignore[valid-type]


class InspectionIn(BaseModel):
    """A lot as the inspector recorded it: ``net`` (numbers) or ``measurements`` (pasted text)."""

    model_config = ConfigDict(extra="forbid")
    producer_org_id: Count
    product_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    category: Category
    brand: Annotated[str, StringConstraints(max_length=100)] | None = None
    batch_no: Annotated[str, StringConstraints(max_length=60)] | None = None
    quantity: Quantity
    nominal: Number
    unit: Annotated[str, StringConstraints(min_length=1, max_length=10)]
    rules: Rules = service.DEFAULT_RULES
    lot_size: Count
    campaign: Annotated[str, StringConstraints(max_length=100)] | None = None
    sampled_at: date | None = None
    net: Annotated[list[Number], PydanticField(max_length=service.MAX_MEASUREMENTS)] | None = None
    measurements: Annotated[str, StringConstraints(max_length=200_000)] | None = None
    status: Literal["draft", "final"] = "final"


class InspectionChange(BaseModel):
    """Changes to a draft; the lot is evaluated again."""

    model_config = ConfigDict(extra="forbid")
    producer_org_id: Count | None = None
    product_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    category: Category | None = None
    brand: Annotated[str, StringConstraints(max_length=100)] | None = None
    batch_no: Annotated[str, StringConstraints(max_length=60)] | None = None
    quantity: Quantity | None = None
    nominal: Number | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=10)] | None = None
    rules: Rules | None = None
    lot_size: Count | None = None
    campaign: Annotated[str, StringConstraints(max_length=100)] | None = None
    sampled_at: date | None = None
    net: Annotated[list[Number], PydanticField(max_length=service.MAX_MEASUREMENTS)] | None = None
    measurements: Annotated[str, StringConstraints(max_length=200_000)] | None = None
    status: Literal["draft", "final"] | None = None


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class DeclarationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Count | None = None
    categories: Annotated[list[Category], PydanticField(min_length=1, max_length=len(CATEGORIES))]
    products: Annotated[str, StringConstraints(max_length=2000)] | None = None
    declared_on: date | None = None
    public: bool = True


def _filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k in names and v}


def _page(page: resources.Page, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": items,
        "total": page.total,
        "page": page.page,
        "pages": page.pages,
        "per_page": page.per_page,
    }


def _entry(e: audit.AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "actor": e.actor_name,
        "action": e.action,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
    }


# ------------------------------------------------------------------ inspections


@router.get(
    "/inspections",
    summary="Inspections in the caller's scope, filtered and paged",
    description="Filters: category, verdict, city_code, region_code, status, rules, campaign, "
    "from, to (sampled_at, YYYY-MM-DD), producer (organisation id); q searches "
    "product, brand, batch, campaign, producer name and USCC.",
)
def list_inspections(
    request: Request,
    db: DB,
    who: Who,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)] = 25,
) -> dict[str, Any]:
    result = service.list_inspections(
        db, who, q, _filters(request, service.FILTERS), sort, page, per_page
    )
    return _page(result, [service.inspection_dict(i, full=False) for i in result.items])


@router.post(
    "/inspections", status_code=201, summary="Record an inspection (the kernel gives the verdict)"
)
def create_inspection(body: InspectionIn, db: DB, who: Who) -> dict[str, Any]:
    data = body.model_dump(exclude_none=True)
    return service.inspection_dict(service.create_inspection(db, who, data))


@router.get(
    "/inspections/{item_id}", summary="One inspection with its lot document and every figure"
)
def get_inspection(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.inspection_dict(service.get_inspection(db, who, item_id))


@router.patch("/inspections/{item_id}", summary="Change a draft inspection (evaluated again)")
def update_inspection(item_id: ItemId, body: InspectionChange, db: DB, who: Who) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    return service.inspection_dict(service.update_inspection(db, who, item_id, data))


@router.post("/inspections/{item_id}/finalize", summary="Make a draft final")
def finalize_inspection(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.inspection_dict(service.finalize_inspection(db, who, item_id))


@router.post(
    "/inspections/{item_id}/void", summary="Void an inspection, with a reason (never deleted)"
)
def void_inspection(item_id: ItemId, body: Reason, db: DB, who: Who) -> dict[str, Any]:
    return service.inspection_dict(service.void_inspection(db, who, item_id, body.reason))


@router.get(
    "/inspections/{item_id}/report.pdf",
    summary="PDF inspection report",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def inspection_report(item_id: ItemId, db: DB, who: Who, lang: Lang) -> Response:
    pdf, filename = service.report(db, who, item_id, lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/inspections/{item_id}/audit", summary="Audit trail of one inspection")
def inspection_audit(item_id: ItemId, db: DB, who: Who) -> list[dict[str, Any]]:
    obj = service.get_inspection(db, who, item_id)
    return [_entry(e) for e in audit.entries_for(db, service.INSPECTIONS.entity, obj.id)]


@router.get("/producers", summary="Producers an inspector may pick, by name or USCC")
def search_producers(
    db: DB,
    who: Who,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "name": o.name,
            "uscc": o.uscc,
            "region_code": o.region_code,
            "city_code": o.city_code,
        }
        for o in service.producers(db, who, q, limit)
    ]


# ------------------------------------------------------------------ statistics


@router.get(
    "/statistics",
    summary="Pass rate by product category and by city (final inspections)",
    description="Filters: campaign, category, rules, from, to. Regulators and administrators only.",
)
def get_statistics(request: Request, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    return stats.statistics(db, who, _filters(request, stats.STAT_FILTERS), lang).to_dict()


@router.get(
    "/statistics.xlsx",
    summary="The statistics and their inspections as a workbook",
    response_class=Response,
    responses={
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def export_statistics(request: Request, db: DB, who: Who, lang: Lang) -> Response:
    body = stats.statistics_xlsx(db, who, _filters(request, stats.STAT_FILTERS), lang)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": 'attachment; filename="netcontent-statistics.xlsx"'},
    )


# ------------------------------------------------------------------ C-mark declarations


@router.get(
    "/declarations/public", summary="Public register of C-mark self-declarations (no sign-in)"
)
def public_declarations(
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Category | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)] = 25,
) -> dict[str, Any]:
    result = declarations.public_declarations(db, q, category, page, per_page)
    return _page(result, [declarations.declaration_dict(d, public=True) for d in result.items])


@router.get("/declarations", summary="Declarations in the caller's scope (own, region, all)")
def list_declarations(
    db: DB,
    who: Who,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["active", "withdrawn"] | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)] = 25,
) -> dict[str, Any]:
    result = declarations.list_declarations(db, who, q, status, page, per_page)
    return _page(result, [declarations.declaration_dict(d) for d in result.items])


@router.post(
    "/declarations", status_code=201, summary="Declare capability (an enterprise for itself)"
)
def create_declaration(body: DeclarationIn, db: DB, who: Who) -> dict[str, Any]:
    data = body.model_dump(exclude_none=True)
    return declarations.declaration_dict(declarations.declare(db, who, data))


@router.get("/declarations/{item_id}", summary="One declaration")
def get_declaration(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return declarations.declaration_dict(resources.get(db, who, declarations.DECLARATIONS, item_id))


@router.post("/declarations/{item_id}/withdraw", summary="Withdraw a declaration, with a reason")
def withdraw_declaration(item_id: ItemId, body: Reason, db: DB, who: Who) -> dict[str, Any]:
    return declarations.declaration_dict(declarations.withdraw(db, who, item_id, body.reason))
