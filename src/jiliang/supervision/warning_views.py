"""Pages of early warning: the warning lists (with export), the lead-time settings, the inbox.
Thin: read the query or form, call the service, render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.core.errors import ValidationFailed
from jiliang.core.security import Principal
from jiliang.regions.models import Region
from jiliang.supervision import inbox, warnings
from jiliang.supervision.warning_models import KINDS, MAX_LEAD_DAYS
from jiliang.supervision.warning_router import export_response
from jiliang.web.views import add_nav, add_nav_badge, add_templates, check_csrf, need_user, render

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
add_nav("/warnings", ("预警", "Warnings"),
        frozenset({"admin", "regulator", "enterprise", "lab_manager"}))
add_nav("/inbox", ("消息", "Inbox"),
        frozenset({"regulator", "enterprise", "lab_manager", "metrologist", "reviewer", "approver"}))
add_nav_badge("/inbox", inbox.unread_count)

MaybeWho = Annotated[Principal | None, Depends(optional_principal)]


def _int(raw: str | None, default: int, name: str, high: int = 2_147_483_647) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed.one(name, "应为整数", "must be a whole number") from None
    if not 1 <= value <= high:
        raise ValidationFailed.one(name, "超出范围", "out of range")
    return value


def _query(request: Request) -> dict[str, str]:
    params = request.query_params
    kind = params.get("kind") or ""
    if kind and kind not in KINDS:
        raise ValidationFailed.one("kind", "未知预警类型", "unknown warning kind")
    region = params.get("region") or ""
    if region and not (region.isdigit() and len(region) == 6):
        raise ValidationFailed.one("region", "地区代码为 6 位数字", "a region code has 6 digits")
    return {"kind": kind, "region": region, "q": (params.get("q") or "")[:100]}


@router.get("/warnings")
def warning_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    query = _query(request)
    page_no = _int(request.query_params.get("page"), 1, "page")
    page = warnings.list_warnings(db, who, region_code=query["region"] or None, kind=query["kind"] or None,
                                  q=query["q"] or None, page=page_no, lang=lang)
    summary = warnings.counts(db, who, query["region"] or None)
    region = db.get(Region, summary["region_code"]) if summary["region_code"] else None
    children = []
    if region is not None and summary["by_region"]:
        names = {r.code: r.name(lang) for r in db.query(Region).filter(Region.parent_code == region.code)}
        children = [(code, names.get(code, code), figures) for code, figures in sorted(summary["by_region"].items())]

    owners = warnings.by_owner(db, who, query["region"] or None, 10) if (who.is_admin or who.is_regulator) else []

    def qs(**changes: Any) -> str:
        merged = {**query, "page": str(page.page), **{k: str(v) for k, v in changes.items()}}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    return render(request, "warning_list.html", {
        "who": who, "page": page, "query": query, "qs": qs, "KINDS": KINDS, "summary": summary,
        "region": region, "children": children, "owners": owners,
    })


@router.get("/warnings/export")
def warning_export(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    query = _query(request)
    fmt = request.query_params.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise ValidationFailed.one("format", "格式应为 xlsx 或 csv", "format is xlsx or csv")
    header, rows = warnings.export_rows(db, who, region_code=query["region"] or None, kind=query["kind"] or None,
                                        q=query["q"] or None, lang=request_lang(request))
    return export_response(header, rows, fmt, query["kind"] or None)


@router.get("/warnings/settings")
def warning_settings(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    return _settings_page(request, db, who, lang, {}, {})


def _settings_page(request, db, who, lang, values, errors, status_code=200) -> Response:
    data = warnings.settings_in_scope(db, who, lang)
    regions = _settable_regions(db, who, lang)
    return render(request, "warning_settings.html", {
        "who": who, "data": data, "regions": regions, "values": values, "errors": errors,
        "MAX_LEAD_DAYS": MAX_LEAD_DAYS,
    }, status_code=status_code)


def _settable_regions(db, who: Principal, lang: str) -> list[tuple[str, str]]:
    from jiliang.instruments.dashboard import _in_scope

    stmt = db.query(Region).order_by(Region.code)
    if who.is_regulator and who.scope_level == "county":
        stmt = stmt.filter(Region.code == who.scope_region)
    elif who.is_regulator and who.scope_level == "city":
        stmt = stmt.filter((Region.code == who.scope_region) | (Region.parent_code == who.scope_region))
    elif not who.is_admin:
        stmt = stmt.filter(Region.level != "county")
    return [(r.code, f"{r.code} {r.name(lang)}") for r in stmt if who.is_admin or _in_scope(who, r)]


@router.post("/warnings/settings")
def warning_settings_save(
    request: Request, db: DB, who: MaybeWho,
    region_code: Annotated[str, Form()] = "", lead_days: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    lang = request_lang(request)
    values = {"region_code": region_code, "lead_days": lead_days}
    try:
        days = int(lead_days)
    except ValueError:
        days = None
    try:
        if days is None:
            raise ValidationFailed.one("lead_days", f"应为 1 到 {MAX_LEAD_DAYS} 之间的天数",
                                       f"must be a number of days from 1 to {MAX_LEAD_DAYS}")
        warnings.set_lead_days(db, who, region_code, days)
    except ValidationFailed as exc:
        idx = 1 if lang == "en" else 0
        return _settings_page(request, db, who, lang, values, {f: m[idx] for f, m in exc.errors.items()}, 422)
    return RedirectResponse("/warnings/settings?saved=1", status_code=303)


@router.get("/inbox")
def inbox_page(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    unread = request.query_params.get("unread") == "1"
    page_no = _int(request.query_params.get("page"), 1, "page")
    data = inbox.list_items(db, who, unread=unread, page=page_no, lang=lang)
    pages = max(1, -(-data["total"] // data["per_page"]))

    def qs(**changes: Any) -> str:
        merged = {"unread": "1" if unread else "", "page": str(page_no), **{k: str(v) for k, v in changes.items()}}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    return render(request, "inbox.html", {"who": who, "data": data, "unread_only": unread, "pages": pages, "qs": qs})


@router.post("/inbox/read-all")
def inbox_read_all(request: Request, db: DB, who: MaybeWho, csrf: Annotated[str, Form()] = "") -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    inbox.mark_all_read(db, who)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{item_id}/read")
def inbox_read(request: Request, item_id: int, db: DB, who: MaybeWho,
               csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    inbox.mark_read(db, who, item_id)
    target = next if next.startswith("/") and not next.startswith("//") else "/inbox"
    return RedirectResponse(target, status_code=303)
