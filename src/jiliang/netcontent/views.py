"""Pages for net-content inspections: form with a live verdict, list, detail, statistics,
C-mark declarations and the public C-mark register. Thin: read the form, call the service."""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang import prepackaged
from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.core import audit
from jiliang.core.errors import Forbidden, ValidationFailed
from jiliang.core.security import Principal
from jiliang.netcontent import declarations, service, stats
from jiliang.netcontent.models import (
    CATEGORIES,
    DECLARATION_STATUS,
    INSPECTION_STATUS,
    QUANTITY_KINDS,
    VERDICTS,
)
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
add_nav(
    "/netcontent",
    ("定量包装商品", "Prepackaged goods"),
    frozenset({"admin", "regulator", "enterprise"}),
)

# commit before the response leaves: a client that follows a redirect (or reads right after a
# 201) must find the row; the default request scope commits only after the response is sent
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]

UNITS = {
    "mass": ["g", "kg", "mg"],
    "volume": ["mL", "L", "cL"],
    "length": ["m", "cm", "mm"],
    "area": ["m2", "dm2", "cm2"],
    "count": ["个", "片", "支", "粒", "袋"],
}
COMMON = {
    "CATEGORIES": CATEGORIES,
    "QUANTITY_KINDS": QUANTITY_KINDS,
    "VERDICTS": VERDICTS,
    "INSPECTION_STATUS": INSPECTION_STATUS,
    "DECLARATION_STATUS": DECLARATION_STATUS,
    "RULES": service.RULE_CHOICES,
    "UNITS": UNITS,
}



def _inspector(who: Principal | None) -> Principal:
    who = need_user(who)
    if not (who.is_admin or who.is_regulator):
        raise Forbidden(
            "只有监管人员可以录入净含量检验", "Only regulators record net-content inspections"
        )
    return who


def _ctx(request: Request, who: Principal | None, **kw: Any) -> dict[str, Any]:
    return {"who": who, **COMMON, **kw}


def _cities(db: Session, who: Principal, lang: str) -> list[tuple[str, str]]:
    from jiliang.regions.models import Region

    stmt = select(Region).where(Region.level == "city").order_by(Region.code)
    if who.is_regulator and who.scope_level == "city":
        stmt = stmt.where(Region.code == who.scope_region)
    elif who.is_regulator and who.scope_level == "county":
        county = db.get(Region, who.scope_region)
        stmt = stmt.where(Region.code == (county.city_code if county else ""))
    elif not (who.is_admin or who.is_regulator):
        return []
    return [(r.code, r.name(lang)) for r in db.scalars(stmt)]


def _int(raw: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(raw or default), 100_000))
    except ValueError:
        return default


# ------------------------------------------------------------------ list


@router.get("/netcontent")
def inspection_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    params = request.query_params
    filters = {k: v for k, v in params.items() if k in service.FILTERS and v}
    q = params.get("q") or None
    page = service.list_inspections(
        db, who, q, filters, params.get("sort") or None, _int(params.get("page")), 25
    )
    from jiliang.regions.service import names

    keep = {k: v for k, v in params.items() if k not in ("page", "lang")}
    return render(
        request,
        "netcontent_list.html",
        _ctx(
            request,
            who,
            page=page,
            q=q or "",
            filters=filters,
            cities=_cities(db, who, lang),
            region_names=names(db, lang),
            can_inspect=who.is_admin or who.is_regulator,
            qs=lambda **kw: urlencode({**keep, **{k: v for k, v in kw.items() if v is not None}}),
        ),
    )


# ------------------------------------------------------------------ form


def _form(
    request: Request,
    db: DB,
    who: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    obj: Any = None,
    status_code: int = 200,
) -> Response:
    lang = request_lang(request)
    producers = service.producers(db, who, None, 50)
    chosen = values.get("producer_org_id")
    if chosen and all(str(p.id) != str(chosen) for p in producers):
        from jiliang.orgs.models import Organisation

        org = db.get(Organisation, int(chosen)) if str(chosen).isdigit() else None
        if org is not None and org.id in {
            o.id for o in service.producers(db, who, org.uscc or org.name, 100)
        }:
            producers = [org, *producers]
    return render(
        request,
        "netcontent_form.html",
        _ctx(
            request,
            who,
            values=values,
            errors=errors,
            obj=obj,
            producers=producers,
            lang_code=lang,
        ),
        status_code,
    )


@router.get("/netcontent/new")
def inspection_new(request: Request, db: DB, who: MaybeWho) -> Response:
    who = _inspector(who)
    values: dict[str, Any] = {
        "rules": service.DEFAULT_RULES,
        "quantity": "mass",
        "unit": "g",
        "sampled_at": date.today().isoformat(),
        "category": "food",
    }
    values.update(
        {k: v for k, v in request.query_params.items() if k in ("producer_org_id", "campaign")}
    )
    return _form(request, db, who, values, {})


FORM_FIELDS = (
    "producer_org_id",
    "product_name",
    "category",
    "brand",
    "batch_no",
    "quantity",
    "nominal",
    "unit",
    "rules",
    "lot_size",
    "campaign",
    "sampled_at",
    "measurements",
    "status",
)


async def _read_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    return {k: str(form.get(k, "")) for k in FORM_FIELDS if k in form}


def _errors(request: Request, exc: ValidationFailed) -> dict[str, str]:
    idx = 1 if request_lang(request) == "en" else 0
    return {k: v[idx] for k, v in exc.errors.items()}


@router.post("/netcontent/new")
async def inspection_save(request: Request, db: DB, who: MaybeWho) -> Response:
    who = _inspector(who)
    data = await _read_form(request)
    values = dict(data)
    for key in ("brand", "batch_no", "campaign"):
        if not data.get(key, "").strip():
            data.pop(key, None)
    try:
        obj = service.create_inspection(db, who, data)
    except ValidationFailed as exc:
        db.rollback()
        return _form(request, db, who, values, _errors(request, exc), None, 422)
    return RedirectResponse(f"/netcontent/{obj.id}?saved=1", status_code=303)


@router.get("/netcontent/{item_id:int}/edit")
def inspection_edit(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = _inspector(who)
    obj = service.get_inspection(db, who, item_id)
    if obj.status != "draft":
        raise service.NotADraft()
    values = {k: getattr(obj, k) for k in FORM_FIELDS if hasattr(obj, k) and k != "status"}
    values["sampled_at"] = obj.sampled_at.isoformat()
    values["measurements"] = "\n".join(f"{v:g}" for v in obj.document.get("net", []))
    return _form(request, db, who, values, {}, obj)


@router.post("/netcontent/{item_id:int}/edit")
async def inspection_update(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = _inspector(who)
    data = await _read_form(request)
    values = dict(data)
    try:
        service.update_inspection(db, who, item_id, data)
    except ValidationFailed as exc:
        db.rollback()
        obj = service.get_inspection(db, who, item_id)
        return _form(request, db, who, values, _errors(request, exc), obj, 422)
    return RedirectResponse(f"/netcontent/{item_id}?saved=1", status_code=303)


# ------------------------------------------------------------------ detail and actions


@router.get("/netcontent/{item_id:int}")
def inspection_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    obj = service.get_inspection(db, who, item_id)
    from jiliang.regions.service import names

    can_write = False
    if who.is_admin or who.is_regulator:
        try:
            service.INSPECTIONS.policy.can_write(who, audit.snapshot(obj), db)
            can_write = True
        except Forbidden:
            can_write = False
    r = obj.result
    flagged = {i: "t2" for i in r.get("t2_indices", [])} | {
        i: "t1" for i in r.get("t1_indices", [])
    }
    return render(
        request,
        "netcontent_detail.html",
        _ctx(
            request,
            who,
            obj=obj,
            r=r,
            flagged=flagged,
            region_names=names(db, lang),
            can_write=can_write,
            entries=audit.entries_for(db, service.INSPECTIONS.entity, obj.id)
            if can_write or who.is_regulator
            else [],
            quantity_zh=prepackaged.rules._QUANTITY_ZH,
        ),
    )


@router.post("/netcontent/{item_id:int}/finalize")
def inspection_finalize(
    request: Request, item_id: int, db: DB, who: MaybeWho, csrf: Annotated[str, Form()] = ""
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    service.finalize_inspection(db, who, item_id)
    return RedirectResponse(f"/netcontent/{item_id}", status_code=303)


@router.post("/netcontent/{item_id:int}/void")
def inspection_void(
    request: Request,
    item_id: int,
    db: DB,
    who: MaybeWho,
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    service.void_inspection(db, who, item_id, reason)
    return RedirectResponse(f"/netcontent/{item_id}", status_code=303)


# ------------------------------------------------------------------ statistics


def bar_chart_svg(rows: list[stats.Row], title: str, lang: str) -> str:
    """Horizontal bars of the pass rate per group, drawn on the server (no script, no CDN)."""
    width, left, right, bar, gap, top = 640, 180, 110, 20, 10, 8
    inner = width - left - right
    height = top * 2 + len(rows) * (bar + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="bars"><title>{escape(title)}</title>'
    ]
    for i, row in enumerate(rows):
        y = top + i * (bar + gap)
        rate = row.pass_rate or 0.0
        colour = "#2f7a4d" if rate >= 0.9 else "#c08a1e" if rate >= 0.7 else "#b2452f"
        label = row.label if len(row.label) <= 14 else row.label[:13] + "…"
        rate_text = f"{rate:.1%}" if row.total else "—"
        count = f"{row.passed}/{row.total}"
        text_y = f"{y + bar * 0.72:.1f}"
        parts.append(
            f'<g data-key="{escape(row.key)}">'
            f"<title>{escape(row.label)}: {rate_text} ({count})</title>"
            f'<text x="{left - 8}" y="{text_y}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y}" width="{inner}" height="{bar}" fill="#eef1f4" rx="3"/>'
            f'<rect x="{left}" y="{y}" width="{inner * rate:.1f}" height="{bar}" '
            f'fill="{colour}" rx="3"/>'
            f'<text x="{left + inner + 8}" y="{text_y}" font-size="13">'
            f"{rate_text} · {count}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


@router.get("/netcontent/statistics")
def statistics_page(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    params = request.query_params
    filters = {k: v for k, v in params.items() if k in stats.STAT_FILTERS and v}
    summary = stats.statistics(db, who, filters, lang)
    en = lang == "en"
    charts = {
        "category": bar_chart_svg(
            summary.by_category, "Pass rate by category" if en else "按商品类别的合格率", lang
        ),
        "city": bar_chart_svg(
            summary.by_city, "Pass rate by city" if en else "按城市的合格率", lang
        ),
    }
    campaigns = service.campaigns(db, who)
    return render(
        request,
        "netcontent_statistics.html",
        _ctx(
            request,
            who,
            stats=summary,
            charts=charts,
            filters=filters,
            campaigns=campaigns,
            export_qs=urlencode(filters),
        ),
    )


# ------------------------------------------------------------------ C-mark declarations


@router.get("/netcontent/declarations")
def declarations_page(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    q = request.query_params.get("q") or None
    page = declarations.list_declarations(
        db, who, q, None, _int(request.query_params.get("page")), 50
    )
    return render(
        request,
        "netcontent_declarations.html",
        _ctx(
            request,
            who,
            page=page,
            q=q or "",
            values={},
            errors={},
            can_declare=who.role == "enterprise" or who.is_admin,
            today=date.today().isoformat(),
        ),
    )


@router.post("/netcontent/declarations")
async def declarations_save(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    data: dict[str, Any] = {
        "categories": [str(c) for c in form.getlist("categories")],
        "products": str(form.get("products", "")),
        "declared_on": str(form.get("declared_on", "")),
        "public": "1" if form.get("public") else "0",
    }
    if form.get("org_id"):
        data["org_id"] = str(form.get("org_id"))
    try:
        declarations.declare(db, who, data)
    except ValidationFailed as exc:
        db.rollback()
        page = declarations.list_declarations(db, who, None, None, 1, 50)
        return render(
            request,
            "netcontent_declarations.html",
            _ctx(
                request,
                who,
                page=page,
                q="",
                values=data,
                errors=_errors(request, exc),
                can_declare=True,
                today=date.today().isoformat(),
            ),
            422,
        )
    return RedirectResponse("/netcontent/declarations?saved=1", status_code=303)


@router.post("/netcontent/declarations/{item_id:int}/withdraw")
def declarations_withdraw(
    request: Request,
    item_id: int,
    db: DB,
    who: MaybeWho,
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    declarations.withdraw(db, who, item_id, reason)
    return RedirectResponse("/netcontent/declarations", status_code=303)


@router.get("/public/c-mark")
def public_c_mark(request: Request, db: DB) -> Response:
    lang = request_lang(request)
    params = request.query_params
    q = params.get("q") or None
    category = params.get("category") or None
    if category not in CATEGORIES:
        category = None
    page = declarations.public_declarations(db, q, category, _int(params.get("page")), 25)
    from jiliang.regions.service import names

    keep = {k: v for k, v in params.items() if k not in ("page", "lang")}
    return render(
        request,
        "netcontent_public.html",
        _ctx(
            request,
            None,
            page=page,
            q=q or "",
            category=category or "",
            region_names=names(db, lang),
            qs=lambda **kw: urlencode({**keep, **{k: v for k, v in kw.items() if v is not None}}),
        ),
    )
