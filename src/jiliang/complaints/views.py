"""Complaint pages: the public two-step form, the ticket page and the published list (no sign-in);
the regulator's inbox, export and detail with the workflow."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.complaints import service
from jiliang.complaints.models import CATEGORIES, EVENTS, OUTCOMES, STATUSES
from jiliang.core.errors import ValidationFailed
from jiliang.core.security import Principal
from jiliang.regions.models import Region
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

add_templates(Path(__file__).parent / "templates")
add_nav("/complaints", ("投诉举报", "Complaints"), frozenset({"admin", "regulator"}))

router = APIRouter(include_in_schema=False)
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]

STEP1 = ("category", "county", "qr", "certificate", "business_name", "business_address", "description")
STEP2 = ("anonymous", "contact_name", "contact_phone", "contact_email", "consent")
PER_PAGE = 25


def _counties(session: Session, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Counties grouped by city, for the county select."""
    regions = list(session.scalars(select(Region).where(Region.level.in_(("city", "county"))).order_by(Region.code)))
    cities = {r.code: r.name(lang) for r in regions if r.level == "city"}
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in regions:
        if r.level == "county":
            groups.setdefault(r.city_code or "", []).append((r.code, r.name(lang)))
    return [(cities.get(code, code), items) for code, items in sorted(groups.items())]


def _errors(request: Request, exc: ValidationFailed) -> dict[str, str]:
    idx = 1 if request_lang(request) == "en" else 0
    return {f: m[idx] for f, m in exc.errors.items()}


def _place_facts(session: Session, values: dict, lang: str) -> dict | None:
    """What the QR token or certificate number points to, shown above the form."""
    from jiliang.instruments.service import public_facts

    qr = values.get("qr") or ""
    if qr:
        try:
            return {"kind": "qr", **public_facts(session, qr, lang).__dict__}
        except Exception:  # noqa: BLE001 - an unknown token is reported as a field error instead
            return None
    return None


def _form(request: Request, session: Session, who, step: int, values: dict, errors: dict,
          status_code: int = 200, files_lost: bool = False, alert: str | None = None) -> Response:
    lang = request_lang(request)
    return render(request, "complaint_form.html", {
        "who": who, "step": step, "values": values, "errors": errors, "files_lost": files_lost,
        "alert": alert, "CATEGORIES": CATEGORIES, "counties": _counties(session, lang),
        "place": _place_facts(session, values, lang), "STEP1": STEP1,
    }, status_code)


@router.get("/public/complaints/new")
def complaint_new(request: Request, db: DB, who: MaybeWho) -> Response:
    params = request.query_params
    values = {k: params.get(k, "").replace("\x00", "")[:200] for k in ("qr", "certificate", "county", "category")}
    if values["qr"] and _place_facts(db, values, request_lang(request)) is None:
        values["qr"] = ""  # an unknown label: let the filer choose the county instead
    return _form(request, db, who, 1, values, {})


@router.post("/public/complaints/new")
async def complaint_submit(request: Request, db: DB, who: MaybeWho) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    values = {k: str(form.get(k, "")) for k in STEP1 + STEP2}
    uploads = [f for f in form.getlist("attachments") if hasattr(f, "read") and getattr(f, "filename", "")]
    step = 2 if form.get("step") == "2" else 1
    if form.get("back"):
        return _form(request, db, who, 1, values, {})
    if step == 1:
        try:
            service.validate(db, {**values, "anonymous": "1", "consent": "1"})
        except ValidationFailed as exc:
            errors = {k: v for k, v in _errors(request, exc).items() if k in STEP1}
            if errors:
                return _form(request, db, who, 1, values, errors, 422)
        return _form(request, db, who, 2, values, {})
    files = [(f.filename, f.content_type or "", await f.read(5 * 1024 * 1024 + 1)) for f in uploads]
    try:
        c = service.create(db, who, values, _client_ip(request), files)
    except ValidationFailed as exc:
        db.rollback()
        errors = _errors(request, exc)
        back_to = 1 if any(k in STEP1 for k in errors) else 2
        return _form(request, db, who, back_to, values, errors, 422, files_lost=bool(uploads))
    except service.RateLimited as exc:
        db.rollback()
        return _form(request, db, who, 2, values, {}, 429, files_lost=bool(uploads),
                     alert=exc.message(request_lang(request)))
    return RedirectResponse(f"/public/complaints/{c.ticket}?new=1", status_code=303)


def _client_ip(request: Request) -> str:
    # behind a reverse proxy, uvicorn's proxy-headers handling (--forwarded-allow-ips) makes this
    # the citizen's address; otherwise every filer would share the proxy's limit
    return request.client.host if request.client else "unknown"


@router.get("/public/complaints")
def complaints_public(request: Request, db: DB, who: MaybeWho) -> Response:
    lang = request_lang(request)
    params = request.query_params
    ticket = (params.get("ticket") or "").replace("\x00", "").strip().upper()[:24]
    if ticket:
        return RedirectResponse(f"/public/complaints/{ticket}", status_code=303)
    category = params.get("category") if params.get("category") in CATEGORIES else None
    q = (params.get("q") or "").replace("\x00", "")[:100]
    page = _int(params.get("page"))
    items, total = service.published(db, q, category, page, PER_PAGE, lang)
    keep = {k: v for k, v in {"q": q, "category": category or ""}.items() if v}
    return render(request, "complaints_public.html", {
        "who": who, "items": items, "total": total, "page": page,
        "pages": max(1, -(-total // PER_PAGE)), "q": q, "category": category or "",
        "CATEGORIES": CATEGORIES, "qs": lambda **kw: urlencode({**keep, **kw}),
    })


@router.get("/public/complaints/{ticket}")
def complaint_follow(request: Request, ticket: str, db: DB, who: MaybeWho) -> Response:
    c = service.by_ticket(db, ticket)
    view = service.public_view(db, c, request_lang(request))
    return render(request, "complaint_follow.html", {
        "who": who, "c": view, "new": request.query_params.get("new") == "1"})


def _int(raw: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(raw or default), 100000))
    except ValueError:
        return default


def _filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    return {
        "q": (params.get("q") or "").replace("\x00", "")[:100] or None,
        "status": params.get("status") if params.get("status") in STATUSES else None,
        "category": params.get("category") if params.get("category") in CATEGORIES else None,
        "overdue": params.get("overdue") == "1",
    }


@router.get("/complaints")
def complaints_inbox(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    filters = _filters(request)
    page = service.inbox(db, who, page=_int(request.query_params.get("page")), per_page=PER_PAGE, **filters)
    keep = {k: ("1" if v is True else v) for k, v in filters.items() if v}
    today = date.today()
    rows = [service.as_dict(db, c, lang, today) for c in page.items]
    return render(request, "complaints_inbox.html", {
        "who": who, "page": page, "rows": rows, "filters": filters, "STATUSES": STATUSES,
        "CATEGORIES": CATEGORIES, "qs": lambda **kw: urlencode({**keep, **kw}),
        "export_qs": urlencode(keep),
    })


@router.get("/complaints/export.xlsx")
def complaints_export(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    body = service.export_xlsx(db, who, request_lang(request), **_filters(request))
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="complaints.xlsx"'})


@router.get("/complaints/{complaint_id:int}")
def complaint_page(request: Request, complaint_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    return _detail(request, db, who, complaint_id, {}, {})


def _detail(request: Request, db: DB, who: Principal, complaint_id: int, errors: dict, values: dict,
            status_code: int = 200, action: str | None = None) -> Response:
    lang = request_lang(request)
    d = service.detail(db, who, complaint_id, lang)
    c = service.get(db, who, complaint_id)
    return render(request, "complaint_detail.html", {
        "who": who, "d": d, "actions": service.actions_for(c), "ACTIONS": service.ACTIONS,
        "OUTCOMES": OUTCOMES, "EVENTS": EVENTS, "errors": errors, "values": values, "failed_action": action,
        "done": request.query_params.get("done"), "today": date.today().isoformat(),
    }, status_code)


@router.post("/complaints/{complaint_id:int}/action")
async def complaint_action(request: Request, complaint_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    action = str(form.get("action", ""))
    data = {k: str(v) for k, v in form.items() if k not in ("csrf", "action")}
    try:
        service.act(db, who, complaint_id, action, data)
    except ValidationFailed as exc:
        db.rollback()
        return _detail(request, db, who, complaint_id, _errors(request, exc), data, 422, action)
    return RedirectResponse(f"/complaints/{complaint_id}?done={action}", status_code=303)
