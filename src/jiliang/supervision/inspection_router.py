"""API for campaigns, inspections, findings, the inspector pool and the double-random draws.

Thin: parse, call :mod:`jiliang.supervision.inspection_service` (which checks role and scope),
answer JSON. The public draw endpoints need no sign-in.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField

from jiliang.api.deps import DB, principal, request_lang
from jiliang.core import attachments, resources
from jiliang.core.importer import to_csv, to_xlsx
from jiliang.core.security import Principal
from jiliang.supervision import inspection_service as service
from jiliang.supervision.inspection_models import (
    CAMPAIGN_STATUS,
    CHECK_RESULTS,
    DRAW_STATUS,
    FINDING_STATUS,
    INSPECTION_STATUS,
    SEVERITIES,
)

router = APIRouter(prefix="/api/v1", tags=["inspections"])

Lang = Annotated[str, Depends(request_lang)]
Who = Annotated[Principal, Depends(principal)]
ItemId = Annotated[int, Path(ge=1, le=resources.MAX_INT)]
RefId = Annotated[int, PydanticField(ge=1, le=resources.MAX_INT)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=resources.MAX_PER_PAGE)]
Search = Annotated[str | None, Query(max_length=100)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802 - a type factory
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


Region = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Day = Annotated[date, AfterValidator(lambda d: d if date(2000, 1, 1) <= d <= date(2100, 12, 31) else _bad_day())]


def _bad_day() -> date:
    raise ValueError("must be a date between 2000-01-01 and 2100-12-31")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryIn(Strict):
    code: Code
    name_zh: Text(100, 1)
    name_en: Text(150) | None = None
    keywords: Annotated[list[Text(40, 1)], PydanticField(max_length=20)] = []
    type_codes: Annotated[list[Text(20, 1)], PydanticField(max_length=50)] = []
    checklist: Annotated[list[Text(300, 1)], PydanticField(max_length=50)] = []


class TargetIn(Strict):
    org_id: RefId
    instrument_ids: Annotated[list[RefId], PydanticField(max_length=100)] = []
    inspector_ids: Annotated[list[RefId], PydanticField(max_length=20)] = []


class CampaignIn(Strict):
    title: Text(200, 1)
    category: Code
    region_code: Region | None = None
    starts_on: Day
    ends_on: Day
    description: Text(4000) | None = None
    checklist: Annotated[list[Text(300, 1)], PydanticField(max_length=50)] | None = None
    inspector_ids: Annotated[list[RefId], PydanticField(max_length=200)] = []
    targets: Annotated[list[TargetIn], PydanticField(max_length=500)] = []


class CampaignChange(Strict):
    title: Text(200, 1) | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    description: Text(4000) | None = None
    checklist: Annotated[list[Text(300, 1)], PydanticField(min_length=1, max_length=50)] | None = None
    inspector_ids: Annotated[list[RefId], PydanticField(max_length=200)] | None = None


class StatusIn(Strict):
    status: Literal["closed", "cancelled"]
    reason: Text(1000, 1)


class Reason(Strict):
    reason: Text(1000, 1)


class CheckResult(Strict):
    code: Text(10, 1)
    result: Literal[tuple(CHECK_RESULTS)]  # type: ignore[valid-type]
    note: Text(1000) | None = None


class RecordIn(Strict):
    inspected_on: Day | None = None
    checklist_results: Annotated[list[CheckResult], PydanticField(max_length=50)] = []
    conclusion: Text(4000) | None = None


class FindingIn(Strict):
    inspection_id: RefId
    item: Text(300, 1)
    description: Text(4000) | None = None
    severity: Literal[tuple(SEVERITIES)]  # type: ignore[valid-type]
    instrument_id: RefId | None = None
    found_on: Day | None = None
    rectify_by: Day | None = None


class RectificationIn(Strict):
    note: Text(4000, 1)


class VerifyIn(Strict):
    accept: bool
    note: Text(4000, 1)
    new_deadline: Day | None = None


class InspectorIn(Strict):
    name: Text(100, 1)
    badge_no: Text(40, 1)
    org_id: RefId | None = None
    user_id: RefId | None = None
    region_code: Region | None = None


class RelationIn(Strict):
    org_id: RefId
    note: Text(500, 1)


class DrawIn(Strict):
    title: Text(200, 1) | None = None
    campaign_id: RefId | None = None
    category: Code | None = None
    region_code: Region | None = None
    n_targets: Annotated[int, PydanticField(ge=1, le=10_000)]
    inspectors_per_target: Annotated[int, PydanticField(ge=2, le=20)] = 2


def _page(page: resources.Page, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": page.total, "page": page.page, "pages": page.pages, "per_page": page.per_page}


def _export(header: list[str], rows: list[list[Any]], name: str, fmt: str) -> Response:
    if fmt == "xlsx":
        body = to_xlsx(header, rows, name)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = to_csv(header, [[_cell(v) for v in r] for r in rows]), "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'})


def _cell(value: Any) -> Any:
    """Spreadsheet formulas are never written from user text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


Format = Annotated[Literal["csv", "xlsx"], Query()]
EXPORT_RESPONSES = {200: {"content": {"text/csv": {}}}}


async def _files(uploads: list[UploadFile] | None) -> list[tuple[str, str, bytes]]:
    out = []
    for up in uploads or []:
        if not up.filename:
            continue
        out.append((up.filename, up.content_type or "", await up.read(attachments.MAX_BYTES + 1)))
    return out


# ------------------------------------------------------------------ categories and campaigns

BASE = "/supervision"


@router.get(BASE + "/campaigns/categories", summary="Inspection categories: built in and defined by regulators")
def list_categories(db: DB, who: Who) -> list[dict[str, Any]]:
    return service.categories(db, who)


@router.post(BASE + "/campaigns/categories", status_code=201, summary="Define an inspection category")
def create_category(body: CategoryIn, db: DB, who: Who) -> dict[str, Any]:
    return service.define_category(db, who, body.model_dump())


@router.get(BASE + "/campaigns", summary="Campaigns in the caller's scope (q, status, category, region_code)")
def list_campaigns(
    db: DB, who: Who, lang: Lang, q: Search = None,
    status: Literal[tuple(CAMPAIGN_STATUS)] | None = None,  # type: ignore[valid-type]
    category: Annotated[str | None, Query(max_length=40)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    page: PageNo = 1, per_page: PerPage = 25,
) -> dict[str, Any]:
    filters = {"status": status, "category": category, "region_code": region_code}
    result = service.list_campaigns(db, who, q, filters, page, per_page)
    return _page(result, [service.campaign_dict(db, c, lang, who) for c in result.items])


@router.get(BASE + "/campaigns/export", summary="The filtered campaign list as csv or xlsx",
            response_class=Response, responses=EXPORT_RESPONSES)
def export_campaigns(
    db: DB, who: Who, lang: Lang, q: Search = None,
    status: Literal[tuple(CAMPAIGN_STATUS)] | None = None,  # type: ignore[valid-type]
    format: Format = "csv",
) -> Response:
    header, rows = service.export_rows(db, who, "campaigns", q, {"status": status}, lang)
    return _export(header, rows, "campaigns", format)


@router.post(BASE + "/campaigns", status_code=201, summary="Create a campaign (专项检查) with targets")
def create_campaign(body: CampaignIn, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    row = service.create_campaign(db, who, body.model_dump())
    return service.campaign_dict(db, row, lang, who, full=True)


@router.get(BASE + "/campaigns/{item_id}", summary="One campaign with its targets and draws")
def get_campaign(item_id: ItemId, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    return service.campaign_dict(db, service.get_campaign(db, who, item_id), lang, who, full=True)


@router.patch(BASE + "/campaigns/{item_id}", summary="Change a campaign's title, period, checklist or inspectors")
def update_campaign(item_id: ItemId, body: CampaignChange, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    row = service.update_campaign(db, who, item_id, body.model_dump(exclude_unset=True))
    return service.campaign_dict(db, row, lang, who)


@router.post(BASE + "/campaigns/{item_id}/status", summary="Close or cancel a campaign, with a reason")
def campaign_status(item_id: ItemId, body: StatusIn, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    row = service.set_campaign_status(db, who, item_id, body.status, body.reason)
    return service.campaign_dict(db, row, lang, who)


@router.post(BASE + "/campaigns/{item_id}/targets", status_code=201, summary="Add a target to a campaign")
def add_target(item_id: ItemId, body: TargetIn, db: DB, who: Who) -> dict[str, Any]:
    return service.inspection_dict(db, service.add_target(db, who, item_id, body.model_dump()))


# ------------------------------------------------------------------ inspections


@router.get(BASE + "/inspections", summary="Inspections (targets) in the caller's scope")
def list_inspections(
    db: DB, who: Who, q: Search = None,
    status: Literal[tuple(INSPECTION_STATUS)] | None = None,  # type: ignore[valid-type]
    campaign_id: Annotated[int | None, Query(ge=1, le=resources.MAX_INT)] = None,
    mine: bool = False, page: PageNo = 1, per_page: PerPage = 25,
) -> dict[str, Any]:
    filters = {"status": status, "campaign_id": campaign_id, "mine": mine}
    result = service.list_inspections(db, who, q, filters, page, per_page)
    return _page(result, [service.inspection_dict(db, i) for i in result.items])


@router.get(BASE + "/inspections/export", summary="The filtered inspection list as csv or xlsx",
            response_class=Response, responses=EXPORT_RESPONSES)
def export_inspections(
    db: DB, who: Who, lang: Lang, q: Search = None,
    status: Literal[tuple(INSPECTION_STATUS)] | None = None,  # type: ignore[valid-type]
    campaign_id: Annotated[int | None, Query(ge=1, le=resources.MAX_INT)] = None,
    format: Format = "csv",
) -> Response:
    header, rows = service.export_rows(db, who, "inspections", q, {"status": status, "campaign_id": campaign_id}, lang)
    return _export(header, rows, "inspections", format)


@router.get(BASE + "/inspections/{item_id}", summary="One inspection with its team and findings")
def get_inspection(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.inspection_dict(db, service.get_inspection(db, who, item_id), full=True)


@router.post(BASE + "/inspections/{item_id}/record", summary="Record the on-site checklist results")
def record_inspection(item_id: ItemId, body: RecordIn, db: DB, who: Who) -> dict[str, Any]:
    row = service.record_inspection(db, who, item_id, body.model_dump())
    return service.inspection_dict(db, row, full=True)


@router.post(BASE + "/inspections/{item_id}/cancel", summary="Cancel a planned inspection, with a reason")
def cancel_inspection(item_id: ItemId, body: Reason, db: DB, who: Who) -> dict[str, Any]:
    return service.inspection_dict(db, service.cancel_inspection(db, who, item_id, body.reason))


# ------------------------------------------------------------------ findings


@router.get(BASE + "/findings", summary="Findings in the caller's scope; overdue=true lists overdue rectifications")
def list_findings(
    db: DB, who: Who, q: Search = None,
    status: Literal[tuple(FINDING_STATUS)] | None = None,  # type: ignore[valid-type]
    severity: Literal[tuple(SEVERITIES)] | None = None,  # type: ignore[valid-type]
    inspection_id: Annotated[int | None, Query(ge=1, le=resources.MAX_INT)] = None,
    overdue: bool = False, page: PageNo = 1, per_page: PerPage = 25,
) -> dict[str, Any]:
    filters = {"status": status, "severity": severity, "inspection_id": inspection_id, "overdue": overdue}
    result = service.list_findings(db, who, q, filters, page, per_page)
    return _page(result, [service.finding_dict(db, f) for f in result.items])


@router.get(BASE + "/findings/export", summary="The filtered finding list as csv or xlsx",
            response_class=Response, responses=EXPORT_RESPONSES)
def export_findings(
    db: DB, who: Who, lang: Lang, q: Search = None,
    status: Literal[tuple(FINDING_STATUS)] | None = None,  # type: ignore[valid-type]
    overdue: bool = False, format: Format = "csv",
) -> Response:
    header, rows = service.export_rows(db, who, "findings", q, {"status": status, "overdue": overdue}, lang)
    return _export(header, rows, "findings", format)


@router.post(BASE + "/findings", status_code=201, summary="Record a finding of an inspection")
def create_finding(body: FindingIn, db: DB, who: Who) -> dict[str, Any]:
    return service.finding_dict(db, service.create_finding(db, who, body.model_dump()), full=True)


@router.get(BASE + "/findings/{item_id}", summary="One finding with its follow-up and photos")
def get_finding(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.finding_dict(db, service.get_finding(db, who, item_id), full=True)


@router.post(BASE + "/findings/{item_id}/attachments", status_code=201,
             summary="Attach photos (JPEG, PNG, WebP) or PDF to a finding")
async def finding_attachments(
    item_id: ItemId, db: DB, who: Who, attachments_: Annotated[list[UploadFile], File(alias="attachments")],
) -> dict[str, Any]:
    files = await _files(attachments_)
    return service.finding_dict(db, service.add_finding_files(db, who, item_id, files), full=True)


@router.post(BASE + "/findings/{item_id}/rectification", summary="The target reports its rectification")
def report_rectification(item_id: ItemId, body: RectificationIn, db: DB, who: Who) -> dict[str, Any]:
    return service.finding_dict(db, service.report_rectification(db, who, item_id, body.note), full=True)


@router.post(BASE + "/findings/{item_id}/verify", summary="A regulator verifies a reported rectification")
def verify_rectification(item_id: ItemId, body: VerifyIn, db: DB, who: Who) -> dict[str, Any]:
    row = service.verify_rectification(db, who, item_id, body.accept, body.note, body.new_deadline)
    return service.finding_dict(db, row, full=True)


# ------------------------------------------------------------------ inspectors


@router.get(BASE + "/inspectors", summary="The inspector pool in the caller's scope")
def list_inspectors(
    db: DB, who: Who, q: Search = None, status: Literal["active", "retired"] | None = None,
    page: PageNo = 1, per_page: PerPage = 25,
) -> dict[str, Any]:
    result = service.list_inspectors(db, who, q, status, page, per_page)
    return _page(result, [service.inspector_dict(i) for i in result.items])


@router.post(BASE + "/inspectors", status_code=201, summary="Add an inspector to the pool")
def create_inspector(body: InspectorIn, db: DB, who: Who) -> dict[str, Any]:
    return service.inspector_dict(service.create_inspector(db, who, body.model_dump()))


@router.get(BASE + "/inspectors/{item_id}", summary="One inspector with the relations declared")
def get_inspector(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.inspector_dict(service.get_inspector(db, who, item_id))


@router.post(BASE + "/inspectors/{item_id}/relations", summary="Declare a relation with an organisation")
def declare_relation(item_id: ItemId, body: RelationIn, db: DB, who: Who) -> dict[str, Any]:
    return service.inspector_dict(service.declare_relation(db, who, item_id, body.model_dump()))


@router.post(BASE + "/inspectors/{item_id}/retire", summary="Take an inspector out of the pool, with a reason")
def retire_inspector(item_id: ItemId, body: Reason, db: DB, who: Who) -> dict[str, Any]:
    return service.inspector_dict(service.retire_inspector(db, who, item_id, body.reason))


# ------------------------------------------------------------------ draws


@router.get(BASE + "/draws", summary="Draws in the caller's scope")
def list_draws(
    db: DB, who: Who, status: Literal[tuple(DRAW_STATUS)] | None = None,  # type: ignore[valid-type]
    page: PageNo = 1, per_page: PerPage = 25,
) -> dict[str, Any]:
    result = service.list_draws(db, who, status, page, per_page)
    return _page(result, [service.draw_dict(d) for d in result.items])


@router.post(BASE + "/draws", status_code=201,
             summary="(a) Commit: the server makes a secret seed and publishes its SHA-256 with the filter")
def commit_draw(body: DrawIn, db: DB, who: Who) -> dict[str, Any]:
    return service.draw_dict(service.commit_draw(db, who, body.model_dump()))


@router.get(BASE + "/draws/{item_id}", summary="One draw (the seed only once published)")
def get_draw(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.draw_dict(service.get_draw(db, who, item_id))


@router.post(BASE + "/draws/{item_id}/snapshot", summary="(b) Fix and hash the population snapshot")
def snapshot_draw(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.draw_dict(service.snapshot_draw(db, who, item_id))


@router.post(BASE + "/draws/{item_id}/run", summary="(c) Draw targets and inspectors (campaign targets are created)")
def run_draw(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.draw_dict(service.run_draw(db, who, item_id))


@router.post(BASE + "/draws/{item_id}/publish", summary="(d) Reveal the seed and publish the document")
def publish_draw(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.draw_dict(service.publish_draw(db, who, item_id))


# ------------------------------------------------------------------ public


@router.get("/public/draws", tags=["public"], summary="Every draw: commitment, and once published seed and results")
def public_draws(db: DB, page: PageNo = 1, per_page: PerPage = 25) -> dict[str, Any]:
    result = service.public_draws(db, page, per_page)
    return _page(result, [service.draw_dict(d, public=True) for d in result.items])


@router.get("/public/draws/{item_id}", tags=["public"], summary="One draw as published")
def public_draw(item_id: ItemId, db: DB) -> dict[str, Any]:
    return service.draw_dict(service.public_draw(db, item_id), public=True)


@router.get("/public/draws/{item_id}/document", tags=["public"],
            summary="The published draw document (DRAW.json for `jiliang draw verify`)",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def public_draw_document(item_id: ItemId, db: DB) -> Response:
    import json

    document = service.published_document(db, item_id)
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return Response(body.encode("utf-8"), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="draw-{item_id}.json"'})
