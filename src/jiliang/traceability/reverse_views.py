"""Pages of reverse traceability (溯源追溯): cases, marking a standard out of tolerance with a
preview, the case page (progress, map of affected owners by county, filtered list, dispositions,
export) and each item with its audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.core.errors import Forbidden, ValidationFailed
from jiliang.core.i18n import bi
from jiliang.core.importer import to_csv, to_xlsx
from jiliang.core.security import Principal
from jiliang.traceability import reverse as svc
from jiliang.traceability.reverse_models import (
    CASE_STATES,
    DISPOSITIONS,
    ITEM_STATES,
    SUBJECT_KINDS,
)
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

add_templates(Path(__file__).parent / "templates")
add_nav(
    "/trace/reverse",
    ("溯源追溯", "Reverse traceability"),
    frozenset({"admin", "regulator", "lab_manager", "metrologist", "reviewer", "approver", "enterprise"}),
)

router = APIRouter(include_in_schema=False)
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
PER_PAGE = 25
PREVIEW_ROWS = 50
FORM_FIELDS = ("subject_kind", "standard_code", "device_id", "material_id", "since", "until",
               "error_found", "error_unit", "description")


def _page_no(raw: Any) -> int:
    try:
        return max(1, min(int(raw), 100000))
    except (TypeError, ValueError):
        return 1


def _clean(raw: Any, max_len: int = 100) -> str:
    return str(raw or "").replace("\x00", "").strip()[:max_len]


def _ctx(who: Principal) -> dict[str, Any]:
    return {"who": who, "CASE_STATES": CASE_STATES, "ITEM_STATES": ITEM_STATES,
            "DISPOSITIONS": DISPOSITIONS, "SUBJECT_KINDS": SUBJECT_KINDS}


# ------------------------------------------------------------------ case list


@router.get("/trace/reverse")
def cases_page(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    params = request.query_params
    q = _clean(params.get("q")) or None
    status = params.get("status") if params.get("status") in CASE_STATES else None
    page = _page_no(params.get("page", 1))
    rows, total = svc.list_cases(db, who, q, status, page, PER_PAGE)
    return render(request, "reverse_cases.html", {
        **_ctx(who), "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PER_PAGE)),
        "q": q or "", "status": status or "", "can_open": svc.may_open(who),
        "qs": lambda **kw: urlencode({"q": q or "", "status": status or "", **kw}),
    })


# ------------------------------------------------------------------ mark out of tolerance


def _standards_for(db, who: Principal) -> list:
    from jiliang.standards.models import MeasurementStandard

    stmt = select(MeasurementStandard).where(MeasurementStandard.status == "active")
    if not who.is_admin:
        stmt = stmt.where(MeasurementStandard.lab_org_id == who.org_id)
    return list(db.scalars(stmt.order_by(MeasurementStandard.code).limit(500)))


def _form(request: Request, db, who: Principal, values: dict, errors: dict, result=None, status_code=200):
    return render(request, "reverse_new.html", {
        **_ctx(who), "values": values, "errors": errors, "result": result,
        "standards": _standards_for(db, who),
    }, status_code)


@router.get("/trace/reverse/new")
def new_case_form(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    if not svc.may_open(who):
        raise Forbidden()
    values = {k: _clean(request.query_params.get(k), 60) for k in ("standard_code",)}
    return _form(request, db, who, {"subject_kind": "standard", **values}, {})


@router.post("/trace/reverse/new")
async def new_case(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {k: str(form.get(k, "")) for k in FORM_FIELDS}
    opening = form.get("action") == "open"
    try:
        spec = svc.parse_spec(db, values, for_case=opening)
        if opening:
            case = svc.open_case(db, who, spec)
            return RedirectResponse(f"/trace/reverse/{case.id}", status_code=303)
        result = svc.preview(db, who, spec, 1, PREVIEW_ROWS)
    except ValidationFailed as exc:
        db.rollback()
        idx = 1 if request_lang(request) == "en" else 0
        return _form(request, db, who, values, {k: v[idx] for k, v in exc.errors.items()}, None, 422)
    return _form(request, db, who, values, {}, result)


# ------------------------------------------------------------------ case page


def _filters(params) -> svc.ItemFilter:
    depth = params.get("depth")
    return svc.ItemFilter(
        status=params.get("status") if params.get("status") in ITEM_STATES else None,
        depth=int(depth) if depth and depth.isdigit() and 1 <= int(depth) <= svc.MAX_DEPTH else None,
        region=params.get("region") if (params.get("region") or "").isdigit() and len(params["region"]) == 6 else None,
        may_change={"1": True, "0": False}.get(params.get("may_change") or ""),
        q=_clean(params.get("q")) or None,
    )


def _map(db, who: Principal, case, lang: str) -> str | None:
    from jiliang.regions.geo import choropleth_svg
    from jiliang.regions.models import Region

    counts = svc.counts_by_county(db, who, case)
    stmt = select(Region).where(Region.level == "county")
    if who.is_regulator and who.scope_level == "city":
        stmt = stmt.where(Region.city_code == who.scope_region)
    elif who.is_regulator and who.scope_level == "county":
        stmt = stmt.where(Region.code == who.scope_region)
    counties = list(db.scalars(stmt))
    if not counties:
        return None
    top = max(counts.values(), default=0)
    values = {r.code: (counts[r.code] / top if counts.get(r.code) else None) for r in counties}
    labels = {r.code: f"{r.name(lang)} · {counts.get(r.code, 0)}" for r in counties}
    try:
        return choropleth_svg(
            values, labels, lambda code: f"/trace/reverse/{case.id}?region={code}" if counts.get(code) else None,
            bi(lang, "受影响使用单位分布（按区县）", "Affected owners by county"),
            legend_low="1", legend_high=str(top or 1), no_data_label=bi(lang, "无", "none"), id_prefix="rtmap",
        )
    except Exception:  # a missing shape must not take the page down
        return None


@router.get("/trace/reverse/{case_id}")
def case_page(request: Request, case_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    params = request.query_params
    f = _filters(params)
    page = _page_no(params.get("page", 1))
    case, rows, total = svc.list_items(db, who, case_id, f, page, PER_PAGE)
    lang = request_lang(request)
    keep = {"status": f.status or "", "depth": f.depth or "", "region": f.region or "",
            "may_change": {True: "1", False: "0"}.get(f.may_change, ""), "q": f.q or ""}
    return render(request, "reverse_case.html", {
        **_ctx(who), "case": case, "rows": rows, "total": total, "page": page,
        "pages": max(1, -(-total // PER_PAGE)), "f": keep, "by_depth": svc.depth_counts(db, who, case),
        "map_svg": _map(db, who, case, lang),
        "can_decide": {i.id: svc.may_decide(who, case, i) for i in rows} if case.status == "open" else {},
        "qs": lambda **kw: urlencode({**keep, **kw}),
    })


@router.get("/trace/reverse/{case_id}/export.{fmt}")
def export(request: Request, case_id: int, fmt: str, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed.one("fmt", "应为 csv 或 xlsx", "csv or xlsx")
    lang = request_lang(request)
    case, items = svc.iter_items(db, who, case_id, _filters(request.query_params))
    header = svc.EXPORT_HEADER["en" if lang == "en" else "zh"]
    rows = svc.export_rows(items, lang)
    if fmt == "csv":
        body, media = to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(header, rows, case.number)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media,
                    headers={"content-disposition": f'attachment; filename="{case.number}.{fmt}"'})


# ------------------------------------------------------------------ items


@router.get("/trace/reverse/{case_id}/items/{item_id}")
def item_page(request: Request, case_id: int, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    case, item = svc.get_item(db, who, case_id, item_id)
    return render(request, "reverse_item.html", {
        **_ctx(who), "case": case, "item": item, "entries": svc.item_trail(db, item),
        "can_decide": case.status == "open" and svc.may_decide(who, case, item),
        "error": request.query_params.get("error"),
    })


@router.post("/trace/reverse/{case_id}/items/{item_id}/disposition")
async def item_disposition(request: Request, case_id: int, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    back = str(form.get("next", ""))
    if not back.startswith(f"/trace/reverse/{case_id}") or "//" in back:
        back = f"/trace/reverse/{case_id}/items/{item_id}"
    try:
        svc.set_disposition(db, who, case_id, item_id, str(form.get("disposition", "")), form.get("note", ""))
    except ValidationFailed as exc:
        db.rollback()
        case, item = svc.get_item(db, who, case_id, item_id)
        idx = 1 if request_lang(request) == "en" else 0
        return render(request, "reverse_item.html", {
            **_ctx(who), "case": case, "item": item, "entries": svc.item_trail(db, item),
            "can_decide": svc.may_decide(who, case, item), "errors": {k: v[idx] for k, v in exc.errors.items()},
            "values": {"disposition": str(form.get("disposition", "")), "note": str(form.get("note", ""))},
        }, 422)
    return RedirectResponse(back, status_code=303)
