"""REST API under /api/v1: thin — parse, authorise through the service, return JSON."""


from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints, create_model
from pydantic import Field as PydanticField

import jiliang.instruments.io  # noqa: F401  (registers the spreadsheet importers and exporters)
import jiliang.models  # noqa: F401  (fills the resource registry)
from jiliang.api.deps import DB, principal, request_lang
from jiliang.core import audit, resources
from jiliang.core.errors import Unauthorized
from jiliang.core.importer import (
    EXPORTERS,
    IMPORTERS,
    MAX_FILE_BYTES,
    export_resource,
    to_csv,
    to_xlsx,
)
from jiliang.core.resources import REGISTRY, Field, Resource
from jiliang.core.security import Principal
from jiliang.instruments import dashboard
from jiliang.instruments.service import public_facts, transition
from jiliang.people.service import authenticate, issue_token, principal_for
from jiliang.regions import service as regions

router = APIRouter(prefix="/api/v1")

Lang = Annotated[str, Depends(request_lang)]
Who = Annotated[Principal, Depends(principal)]
ItemId = Annotated[int, Path(ge=1, le=resources.MAX_INT)]


def _pytype(f: Field) -> Any:
    if f.kind in ("str", "text"):
        return Annotated[str, StringConstraints(max_length=f.max_len or 10_000)]
    if f.kind == "ref" and f.ref == "region":
        return Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    if f.kind in ("int", "ref"):
        return Annotated[int, PydanticField(ge=-resources.MAX_INT, le=resources.MAX_INT)]
    if f.kind == "float":
        return float
    if f.kind == "date":
        return date
    if f.kind == "bool":
        return bool
    if f.kind == "choice" and f.choices:
        return Literal[tuple(f.choices)]  # type: ignore[misc]
    if f.kind == "list":
        return list[Annotated[str, StringConstraints(max_length=200)]]
    return Any


def _schema(resource: Resource, partial: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for f in resource.form_fields:
        typ = _pytype(f)
        if f.required and not partial:
            fields[f.name] = (typ, ...)
        else:
            fields[f.name] = (typ | None, None)
    if partial:
        fields["reason"] = (Annotated[str, StringConstraints(max_length=1000)] | None, None)
    name = resource.name.title().replace("-", "") + ("Update" if partial else "Create")
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["registered", "in_service", "due", "overdue", "suspended", "under_repair", "scrapped"]
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(max_length=60)]
    password: Annotated[str, StringConstraints(max_length=200)]
    name: Annotated[str, StringConstraints(max_length=100)] = "api"


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


def _filters(request: Request, resource: Resource) -> dict[str, str]:
    allowed = {f.name for f in resource.fields if f.filter} | set(resource.extra_filters)
    return {k: v for k, v in request.query_params.items() if k in allowed}


def _add_resource_routes(resource: Resource) -> None:
    create_schema = _schema(resource, partial=False)
    update_schema = _schema(resource, partial=True)
    base = f"/{resource.name}"
    tag = resource.name
    filters_doc = ", ".join(f.name for f in resource.fields if f.filter)

    @router.get(base, tags=[tag], summary=f"List {resource.name}",
                description=f"Scoped list. Filters as query parameters: {filters_doc}.")
    def list_items(
        request: Request,
        db: DB,
        who: Who,
        q: Annotated[str | None, Query(max_length=100)] = None,
        sort: Annotated[str | None, Query(max_length=40)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)] = 25,
    ) -> dict[str, Any]:
        result = resources.list_page(db, who, resource, q, _filters(request, resource), sort, page, per_page)
        return {
            "items": [resources.to_dict(resource, i) for i in result.items],
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
        }

    @router.get(base + "/export", tags=[tag], summary=f"Export the filtered list of {resource.name}")
    def export_items(
        request: Request,
        db: DB,
        who: Who,
        lang: Lang,
        format: Literal["csv", "xlsx"] = "csv",
        q: Annotated[str | None, Query(max_length=100)] = None,
        sort: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Response:
        exporter = EXPORTERS.get(resource.name)
        filters = _filters(request, resource)
        if exporter:
            header, rows = exporter(db, who, filters, q, sort, lang)
        else:
            header, rows = export_resource(db, who, resource, filters, q, sort, lang)
        if format == "xlsx":
            body = to_xlsx(header, rows, resource.name)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, media = to_csv(header, rows), "text/csv; charset=utf-8"
        return Response(body, media_type=media, headers={
            "content-disposition": f'attachment; filename="{resource.name}.{format}"'})

    if resource.name in IMPORTERS:

        @router.post(base + "/import", tags=[tag], summary=f"Import {resource.name} from xlsx/csv")
        def import_items(
            db: DB,
            who: Who,
            file: Annotated[UploadFile, File()],
            dry_run: Annotated[bool, Form()] = False,
            valid_only: Annotated[bool, Form()] = False,
        ) -> dict[str, Any]:
            content = file.file.read(MAX_FILE_BYTES + 1)
            report = IMPORTERS[resource.name](db, who, file.filename or "", content, dry_run, valid_only)
            return report.to_dict()

    @router.get(base + "/{item_id}", tags=[tag], summary=f"One of {resource.name}")
    def get_item(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
        return resources.to_dict(resource, resources.get(db, who, resource, item_id))

    @router.post(base, tags=[tag], status_code=201, summary=f"Create one of {resource.name}")
    def create_item(body: Annotated[create_schema, Body()], db: DB, who: Who) -> dict[str, Any]:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True)
        return resources.to_dict(resource, resources.create(db, who, resource, data))

    @router.patch(base + "/{item_id}", tags=[tag], summary=f"Change one of {resource.name}")
    def update_item(item_id: ItemId, body: Annotated[update_schema, Body()], db: DB, who: Who) -> dict[str, Any]:  # type: ignore[valid-type]
        data = body.model_dump(exclude_unset=True)
        reason = data.pop("reason", None)
        return resources.to_dict(resource, resources.update(db, who, resource, item_id, data, reason))

    @router.post(base + "/{item_id}/retire", tags=[tag], summary=f"Retire one of {resource.name}")
    def retire_item(item_id: ItemId, body: Reason, db: DB, who: Who) -> dict[str, Any]:
        return resources.to_dict(resource, resources.retire(db, who, resource, item_id, body.reason))

    @router.get(base + "/{item_id}/audit", tags=[tag], summary="Audit trail of one record")
    def item_audit(item_id: ItemId, db: DB, who: Who) -> list[dict[str, Any]]:
        obj = resources.get(db, who, resource, item_id)
        return [_entry(e) for e in audit.entries_for(db, resource.entity, obj.id)]


# ------------------------------------------------------------------ auth


@router.post("/auth/token", tags=["auth"], summary="Exchange a username and password for a bearer token")
def create_token(body: Credentials, db: DB) -> dict[str, Any]:
    user = authenticate(db, body.username, body.password)
    if user is None:
        raise Unauthorized()
    who = principal_for(db, user)
    return {"token": issue_token(db, who, body.name), "token_type": "bearer", "role": who.role}


@router.get("/me", tags=["auth"])
def me(who: Who) -> dict[str, Any]:
    return {
        "id": who.user_id,
        "username": who.username,
        "role": who.role,
        "org_id": who.org_id,
        "scope_region": who.scope_region,
        "scope_level": who.scope_level,
    }


# ------------------------------------------------------------------ regions


@router.get("/regions", tags=["regions"], summary="Regions under a parent (the province when none)")
def list_regions(
    db: DB,
    lang: Lang,
    who: Who,
    parent: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> list[dict[str, Any]]:
    return [
        {"code": r.code, "name": r.name(lang), "level": r.level, "parent_code": r.parent_code}
        for r in regions.children(db, parent)
    ]


# ------------------------------------------------------------------ instruments (extra)


@router.post("/instruments/{item_id}/status", tags=["instruments"], summary="Life-cycle transition")
def change_status(item_id: ItemId, body: StatusChange, db: DB, who: Who) -> dict[str, Any]:
    from jiliang.instruments.service import INSTRUMENTS

    inst = transition(db, who, item_id, body.status, body.reason)
    return resources.to_dict(INSTRUMENTS, inst)


@router.get("/dashboard", tags=["dashboard"], summary="Counts by status and by child region")
def get_dashboard(
    db: DB,
    who: Who,
    lang: Lang,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> dict[str, Any]:
    dash = dashboard.build(db, who, region, lang)
    return {
        "region": dash.region.code if dash.region else None,
        "by_status": dash.by_status,
        "total": dash.total,
        "due_soon": dash.due_soon,
        "children": [
            {"code": c.code, "name": c.name, "total": c.total, "active": c.active,
             "overdue": c.overdue, "due_soon": c.due_soon, "overdue_rate": c.overdue_rate}
            for c in dash.children
        ],
    }


@router.get("/public/instruments/{token}", tags=["public"], summary="Public facts behind a QR label")
def public_instrument(
    token: Annotated[str, Path(max_length=64)],
    db: DB,
    lang: Lang,
) -> dict[str, Any]:
    facts = public_facts(db, token, lang)
    return {**facts.__dict__, "due_date": facts.due_date.isoformat() if facts.due_date else None}


for _resource in list(REGISTRY.values()):
    _add_resource_routes(_resource)
