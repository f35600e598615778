"""API of early warning, trends, coverage and the in-app inbox.

Thin: parse, call :mod:`jiliang.supervision.warnings` / :mod:`jiliang.supervision.inbox` (which
check role and scope), answer JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from jiliang.api.deps import DB, principal, request_lang
from jiliang.core.errors import Forbidden
from jiliang.core.importer import to_csv, to_xlsx
from jiliang.core.resources import MAX_INT
from jiliang.core.security import Principal
from jiliang.supervision import inbox, warnings
from jiliang.supervision.warning_models import KINDS, MAX_LEAD_DAYS

router = APIRouter(tags=["supervision"])

Who = Annotated[Principal, Depends(principal)]
Lang = Annotated[str, Depends(request_lang)]
RegionCode = Annotated[str | None, Query(pattern=r"^\d{6}$")]
Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
Search = Annotated[str | None, Query(max_length=100)]
PageNo = Annotated[int, Query(ge=1, le=MAX_INT)]
PerPage = Annotated[int, Query(ge=1, le=200)]


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_days: Annotated[int, PydanticField(ge=1, le=MAX_LEAD_DAYS)]


def _no_nul(value: str | None, name: str) -> None:
    if value and "\x00" in value:
        from jiliang.core.errors import ValidationFailed

        raise ValidationFailed.one(name, "不能包含空字符", "must not contain NUL characters")


@router.get("/api/v1/supervision/warnings")
def list_warnings(
    db: DB, who: Who, lang: Lang, region: RegionCode = None, kind: Kind | None = None, q: Search = None,
    page: PageNo = 1, per_page: PerPage = 25,
    sort: Literal["due_on", "-due_on", "serial_no"] = "due_on",
) -> dict[str, Any]:
    """Current warnings (due soon, overdue, past service life) in the caller's scope."""
    _no_nul(q, "q")
    result = warnings.list_warnings(db, who, region_code=region, kind=kind, q=q, page=page,
                                    per_page=per_page, sort=sort, lang=lang)
    return {"items": result.items, "total": result.total, "page": result.page, "per_page": result.per_page}


@router.get("/api/v1/supervision/warnings/export")
def export_warnings(
    db: DB, who: Who, lang: Lang, region: RegionCode = None, kind: Kind | None = None, q: Search = None,
    format: Literal["xlsx", "csv"] = "xlsx",
) -> Response:
    """The whole list as xlsx or csv."""
    _no_nul(q, "q")
    header, rows = warnings.export_rows(db, who, region_code=region, kind=kind, q=q, lang=lang)
    return export_response(header, rows, format, kind)


def export_response(header: list[str], rows: list[list[Any]], fmt: str, kind: str | None) -> Response:
    name = f"warnings-{kind or 'all'}"
    if fmt == "csv":
        return Response(to_csv(header, rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(
        to_xlsx(header, rows, title=name),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get("/api/v1/supervision/warnings/summary")
def warning_summary(db: DB, who: Who, region: RegionCode = None) -> dict[str, Any]:
    """Warnings by kind in the scope and by child region."""
    return warnings.counts(db, who, region)


@router.get("/api/v1/supervision/warnings/owners")
def warning_owners(db: DB, who: Who, region: RegionCode = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict[str, Any]]:
    """The owners with the most warnings in the scope (regulators, admin)."""
    return warnings.by_owner(db, who, region, limit)


@router.get("/api/v1/supervision/warnings/settings")
def warning_settings(db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    """The lead time of due-soon warnings: province value and overrides in scope."""
    return warnings.settings_in_scope(db, who, lang)


@router.put("/api/v1/supervision/warnings/settings/{region_code}")
def set_warning_setting(
    db: DB, who: Who, body: LeadIn, region_code: Annotated[str, Path(pattern=r"^\d{6}$")],
) -> dict[str, Any]:
    """Set the lead time of a region (admin: any; regulators: within their scope)."""
    row = warnings.set_lead_days(db, who, region_code, body.lead_days)
    return {"region_code": row.region_code, "lead_days": row.lead_days}


@router.post("/api/v1/supervision/warnings/run")
def run_warnings(db: DB, who: Who) -> dict[str, Any]:
    """Run the early-warning job now (administrators; the same run as the nightly job)."""
    if not who.is_admin:
        raise Forbidden("只有管理员可以立即运行预警", "Only an administrator may run the early warning now")
    return warnings.run(db)


@router.get("/api/v1/supervision/trends")
def trends(db: DB, who: Who, region: RegionCode = None,
           months: Annotated[int, Query(ge=1, le=60)] = 12) -> dict[str, Any]:
    """Month by month: overdue rate, due soon, past life, verified (regulators, admin)."""
    return warnings.trends(db, who, region, months)


@router.get("/api/v1/supervision/coverage")
def coverage(db: DB, who: Who, region: RegionCode = None) -> dict[str, Any]:
    """Mandatory instruments: filed vs verified on time (regulators, admin)."""
    return warnings.coverage(db, who, region)


@router.get("/api/v1/inbox")
def list_inbox(db: DB, who: Who, lang: Lang, unread: bool = False, page: PageNo = 1,
               per_page: PerPage = 25) -> dict[str, Any]:
    """The caller's in-app notices (newest first)."""
    return inbox.list_items(db, who, unread=unread, page=page, per_page=per_page, lang=lang)


@router.get("/api/v1/inbox/unread-count")
def inbox_unread(db: DB, who: Who) -> dict[str, int]:
    return {"unread": inbox.unread_count(db, who)}


@router.post("/api/v1/inbox/read-all")
def inbox_read_all(db: DB, who: Who) -> dict[str, Any]:
    return inbox.mark_all_read(db, who)


@router.post("/api/v1/inbox/{item_id}/read")
def inbox_read(db: DB, who: Who, item_id: Annotated[int, Path(ge=1, le=MAX_INT)]) -> dict[str, Any]:
    return inbox.mark_read(db, who, item_id)
