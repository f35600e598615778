"""API of the mandatory catalogue, the filings (强检备案) and the should-be-filed list.

Thin: parse, call :mod:`jiliang.supervision.filing_service` (which checks role and scope), answer JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField

from jiliang.api.deps import DB, optional_principal, principal, request_lang
from jiliang.core import audit, resources
from jiliang.core.errors import NotFound
from jiliang.core.importer import MAX_FILE_BYTES, to_csv, to_xlsx
from jiliang.core.security import Principal
from jiliang.supervision import catalogue
from jiliang.supervision import filing_service as service
from jiliang.supervision.filing_models import FILING_STATUS

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision: filings"])

Lang = Annotated[str, Depends(request_lang)]
Who = Annotated[Principal, Depends(principal)]
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
FilingId = Annotated[int, Path(ge=1, le=resources.MAX_INT)]
Id = Annotated[int, PydanticField(ge=1, le=resources.MAX_INT)]
Use = Literal[tuple(service.FILING_USES)]  # type: ignore[valid-type]
Status = Literal[tuple(FILING_STATUS)]  # type: ignore[valid-type]
Code = Annotated[str, Path(max_length=12, pattern=r"^[0-9]+(\.[0-9]+)?$")]
Region = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]


def _text(n: int, min_length: int = 1):
    return Annotated[str, StringConstraints(min_length=min_length, max_length=n, strip_whitespace=True)]


class FilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instrument_id: Id
    use: Use
    location: _text(300)
    institution_org_id: Id
    contact_name: _text(100)
    contact_phone: _text(40)
    note: _text(2000, 0) | None = None


class FilingChange(BaseModel):
    """Corrections for a refiled filing; what is left out is copied from the old one."""

    model_config = ConfigDict(extra="forbid")
    use: Use | None = None
    location: _text(300) | None = None
    institution_org_id: Id | None = None
    contact_name: _text(100) | None = None
    contact_phone: _text(40) | None = None
    note: _text(2000, 0) | None = None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _text(1000, 0) | None = None


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _text(1000)


def _page(page: resources.Page, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": page.total, "page": page.page, "pages": page.pages,
            "per_page": page.per_page}


def _entry(e: audit.AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor_name, "action": e.action,
            "before": e.before, "after": e.after, "reason": e.reason}


def _file(header: list[str], rows: list[list[Any]], name: str, fmt: str) -> Response:
    if fmt == "xlsx":
        body = to_xlsx(header, rows, name)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = to_csv(header, rows), "text/csv; charset=utf-8"
    return Response(body, media_type=media,
                    headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'})


# ------------------------------------------------------------------ catalogue


@router.get("/catalogue", summary="The mandatory catalogue as a tree (public)",
            description="First-level items with their second-level items, modes, form, period or "
            "service life, uses, source, the confirmed marks and the mapped instrument types; "
            "signed-in users also get instrument counts in their scope. q searches codes, names, "
            "regulations and notes; unconfirmed=true keeps the rows not yet confirmed.")
def catalogue_tree(db: DB, who: MaybeWho, lang: Lang,
                   q: Annotated[str | None, Query(max_length=100)] = None,
                   unconfirmed: bool = False) -> dict[str, Any]:
    nodes = catalogue.tree(db, who, q, unconfirmed)
    return {"source": catalogue.SOURCE, "items": [catalogue.node_dict(n, lang) for n in nodes]}


@router.get("/catalogue/export", summary="The mandatory catalogue as csv or xlsx (public)")
def catalogue_export(db: DB, who: MaybeWho, lang: Lang, format: Literal["csv", "xlsx"] = "csv",
                     q: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    header, rows = catalogue.export_rows(catalogue.tree(db, who, q), lang)
    return _file(header, rows, "mandatory-catalogue", format)


@router.get("/catalogue/{code}", summary="One catalogue item with its children (public)")
def catalogue_item(code: Code, db: DB, who: MaybeWho, lang: Lang) -> dict[str, Any]:
    for root in catalogue.tree(db, who):
        for node in [root, *root.children]:
            if node.item.code == code:
                return catalogue.node_dict(node, lang)
    raise NotFound("catalogue_item", code)


# ------------------------------------------------------------------ filings


@router.post("/filings", status_code=201, summary="File a mandatory instrument (owner)")
def create_filing(body: FilingIn, db: DB, who: Who) -> dict[str, Any]:
    f = service.create(db, who, body.model_dump())
    return service.filing_dict(f, service.names(db, [f], "zh"))


@router.get("/filings", summary="Filings in the caller's scope (owner: own; regulator: region)",
            description="Filters: status, use, region_code, city_code; q searches serial number, "
            "owner, location and contact.")
def list_filings(db: DB, who: Who, lang: Lang,
                 q: Annotated[str | None, Query(max_length=100)] = None,
                 status: Status | None = None, use: Use | None = None,
                 region_code: Region = None, city_code: Region = None,
                 sort: Literal["submitted_at", "-submitted_at", "decided_at", "-decided_at", "serial_no",
                               "-serial_no", "owner_name", "-owner_name", "status", "-status"] | None = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 per_page: Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)] = 25) -> dict[str, Any]:
    filters = {k: v for k, v in {"status": status, "use": use, "region_code": region_code,
                                 "city_code": city_code}.items() if v}
    result = service.list_filings(db, who, q, filters, sort, page, per_page)
    nm = service.names(db, result.items, lang)
    return _page(result, [service.filing_dict(f, nm) for f in result.items])


@router.get("/filings/export", summary="Export the filtered filings (csv or xlsx)")
def export_filings(db: DB, who: Who, lang: Lang, format: Literal["csv", "xlsx"] = "csv",
                   q: Annotated[str | None, Query(max_length=100)] = None,
                   status: Status | None = None, use: Use | None = None,
                   region_code: Region = None, city_code: Region = None) -> Response:
    filters = {k: v for k, v in {"status": status, "use": use, "region_code": region_code,
                                 "city_code": city_code}.items() if v}
    header, rows = service.export_rows(db, who, q, filters, None, lang)
    return _file(header, rows, "filings", format)


@router.post("/filings/import", summary="File many instruments from an xlsx/csv sheet (owner)",
             description="Columns (Chinese or English labels, or keys): serial_no or instrument_id, use, "
             "location, institution (name) or institution_org_id, contact_name, contact_phone, note. "
             "Every row is checked; with any error nothing is filed unless valid_only; dry_run files nothing.")
def import_filings(db: DB, who: Who, file: Annotated[UploadFile, File()],
                   dry_run: Annotated[bool, Form()] = False,
                   valid_only: Annotated[bool, Form()] = False) -> dict[str, Any]:
    content = file.file.read(MAX_FILE_BYTES + 1)
    return service.import_filings(db, who, file.filename or "", content, dry_run, valid_only).to_dict()


@router.get("/filings/{filing_id}", summary="One filing with its audit trail")
def get_filing(filing_id: FilingId, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    f = service.get(db, who, filing_id)
    out = service.filing_dict(f, service.names(db, [f], lang))
    out["history"] = [_entry(e) for e in service.history(db, f)]
    return out


@router.post("/filings/{filing_id}/approve", summary="Approve a submitted filing (regulator of the place)")
def approve_filing(filing_id: FilingId, db: DB, who: Who, body: Decision | None = None) -> dict[str, Any]:
    return service.filing_dict(service.approve(db, who, filing_id, body.reason if body else None))


@router.post("/filings/{filing_id}/reject", summary="Reject a submitted filing with a reason (regulator)")
def reject_filing(filing_id: FilingId, body: Rejection, db: DB, who: Who) -> dict[str, Any]:
    return service.filing_dict(service.reject(db, who, filing_id, body.reason))


@router.post("/filings/{filing_id}/withdraw", summary="Withdraw a submitted or approved filing (owner)")
def withdraw_filing(filing_id: FilingId, db: DB, who: Who, body: Decision | None = None) -> dict[str, Any]:
    return service.filing_dict(service.withdraw(db, who, filing_id, body.reason if body else None))


@router.post("/filings/{filing_id}/refile", status_code=201,
             summary="Refile a rejected or withdrawn filing with corrections (owner)")
def refile_filing(filing_id: FilingId, db: DB, who: Who, body: FilingChange | None = None) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True) if body else {}
    return service.filing_dict(service.refile(db, who, filing_id, changes))


# ------------------------------------------------------------------ should be filed


@router.get("/unfiled", summary="Instruments that should be filed and are not (应备未备)",
            description="Used for trade settlement, safety protection, medical/health or environmental "
            "monitoring, of a type under mandatory verification, without an approved filing; in the "
            "caller's scope. Filters: region_code, city_code, type_id, use; q searches serial number, "
            "location, maker and model.")
def list_unfiled(db: DB, who: Who, lang: Lang,
                 q: Annotated[str | None, Query(max_length=100)] = None,
                 region_code: Region = None, city_code: Region = None,
                 type_id: Annotated[int | None, Query(ge=1, le=resources.MAX_INT)] = None,
                 use: Use | None = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 per_page: Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)] = 25) -> dict[str, Any]:
    filters = {k: str(v) for k, v in {"region_code": region_code, "city_code": city_code,
                                      "type_id": type_id, "use": use}.items() if v}
    result = service.list_unfiled(db, who, q, filters, page, per_page)
    nm = service.unfiled_names(db, result.items, lang)
    return _page(result, [service.unfiled_dict(i, nm) for i in result.items])


@router.get("/unfiled/export", summary="Export the should-be-filed list (csv or xlsx)")
def export_unfiled(db: DB, who: Who, lang: Lang, format: Literal["csv", "xlsx"] = "csv",
                   q: Annotated[str | None, Query(max_length=100)] = None,
                   region_code: Region = None, city_code: Region = None,
                   type_id: Annotated[int | None, Query(ge=1, le=resources.MAX_INT)] = None,
                   use: Use | None = None) -> Response:
    filters = {k: str(v) for k, v in {"region_code": region_code, "city_code": city_code,
                                      "type_id": type_id, "use": use}.items() if v}
    header, rows = service.unfiled_export(db, who, q, filters, lang)
    return _file(header, rows, "unfiled", format)
