"""Pages for campaigns, on-site inspections (phone first), findings and their follow-up, the
inspector pool, the double-random draws, and the public draw pages. Thin: read the form, call
:mod:`jiliang.supervision.inspection_service`, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.core import attachments, audit
from jiliang.core.errors import DomainError, ValidationFailed
from jiliang.core.i18n import pick
from jiliang.core.security import Principal
from jiliang.orgs.models import Organisation
from jiliang.supervision import inspection_service as service
from jiliang.supervision.inspection_models import (
    CAMPAIGN_STATUS,
    CHECK_RESULTS,
    DRAW_STATUS,
    FINDING_STATUS,
    FOLLOWUP_KINDS,
    INSPECTION_STATUS,
    SEVERITIES,
    Campaign,
    Inspection,
)
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
add_nav("/inspections", ("执法检查", "Inspections"), frozenset({"admin", "regulator", "enterprise"}))

MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
COMMON = {
    "CAMPAIGN_STATUS": CAMPAIGN_STATUS, "INSPECTION_STATUS": INSPECTION_STATUS, "FINDING_STATUS": FINDING_STATUS,
    "SEVERITIES": SEVERITIES, "CHECK_RESULTS": CHECK_RESULTS, "DRAW_STATUS": DRAW_STATUS,
    "FOLLOWUP_KINDS": FOLLOWUP_KINDS,
}


def _int(raw: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(raw or default), 100_000))
    except ValueError:
        return default


def _opt_int(raw: Any) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= 2_147_483_647 else None


def _qs(params, **kw) -> str:
    keep = {k: v for k, v in params.items() if k not in ("page", "lang")}
    return urlencode({**keep, **{k: v for k, v in kw.items() if v is not None}})


def _ctx(request: Request, who: Principal, **kw: Any) -> dict[str, Any]:
    return {"who": who, **COMMON, "is_regulator": who.is_admin or who.is_regulator,
            "qs": lambda **a: _qs(request.query_params, **a), **kw}


async def _form(request: Request) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
    """Text fields (lists kept as lists) and uploaded files of a posted form; CSRF checked."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    values: dict[str, Any] = {}
    files: list[tuple[str, str, bytes]] = []
    for key, value in form.multi_items():
        if hasattr(value, "filename"):
            if value.filename:
                files.append((value.filename, value.content_type or "", await value.read(attachments.MAX_BYTES + 1)))
            continue
        if key in values:
            values[key] = [*values[key], value] if isinstance(values[key], list) else [values[key], value]
        else:
            values[key] = value
    return values, files


def _attempt(db: Session, lang: str, action: Callable[[], Any]) -> tuple[Any, dict[str, str]]:
    """Run one service write; on a validation failure roll back and return the field errors."""
    try:
        return action(), {}
    except ValidationFailed as exc:
        db.rollback()
        return None, _errors(exc, lang)


def _errors(exc: DomainError, lang: str) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        idx = 1 if lang == "en" else 0
        return {f: m[idx] for f, m in exc.errors.items()}
    return {"_": exc.message(lang)}


def _date(values: dict[str, Any], key: str, errors: dict[str, str], lang: str) -> date | None:
    raw = str(values.get(key) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = "must be a date as YYYY-MM-DD" if lang == "en" else "日期格式应为 YYYY-MM-DD"
        return None


def _lines(raw: Any) -> list[str]:
    text = "\n".join(raw) if isinstance(raw, list) else str(raw or "")
    return [line.strip() for line in text.replace("\x00", "").splitlines() if line.strip()]


def _ids(raw: Any) -> list[int]:
    items = raw if isinstance(raw, list) else str(raw or "").replace("，", ",").split(",")
    return [i for i in (_opt_int(x) for x in items) if i is not None]


def _text(values: dict[str, Any], key: str) -> str | None:
    raw = values.get(key)
    raw = raw[-1] if isinstance(raw, list) else raw
    return str(raw).replace("\x00", "").strip() or None if raw is not None else None


def _required(values: dict[str, Any], keys: tuple[str, ...], errors: dict[str, str], lang: str) -> None:
    for key in keys:
        if not _text(values, key):
            errors[key] = "required" if lang == "en" else "必填"


def _orgs_in_scope(db: Session, who: Principal, region_code: str | None = None, limit: int = 300) -> list[Organisation]:
    from jiliang.core.policies import region_clause

    stmt = select(Organisation).where(Organisation.kind.in_(service.TARGET_KINDS), Organisation.status == "active")
    if who.is_regulator:
        stmt = stmt.where(region_clause(who, Organisation.region_code, Organisation.city_code))
    if region_code:
        stmt = stmt.where((Organisation.region_code == region_code) | (Organisation.city_code == region_code))
    return list(db.scalars(stmt.order_by(Organisation.name).limit(limit)))


# ------------------------------------------------------------------ campaigns


@router.get("/inspections")
def campaign_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    params = request.query_params
    filters = {k: params.get(k) for k in ("status", "category") if params.get(k)}
    page = service.list_campaigns(db, who, params.get("q"), filters, _int(params.get("page")), 25)
    cats = service.categories(db, who) if who.is_admin or who.is_regulator else []
    overdue = service.overdue_count(db, who)
    return render(request, "inspection_campaigns.html", _ctx(
        request, who, page=page, q=params.get("q") or "", filters=filters, categories=cats, overdue=overdue,
        items=[service.campaign_dict(db, c, lang, who) for c in page.items]))


def _campaign_form(request: Request, db: Session, who: Principal, values: dict, errors: dict, status: int = 200):
    return render(request, "inspection_campaign_form.html", _ctx(
        request, who, values=values, errors=errors, categories=service.categories(db, who),
        inspectors=service.list_inspectors(db, who, None, "active", 1, 200).items,
        orgs=_orgs_in_scope(db, who)), status)


@router.get("/inspections/campaigns/new")
def campaign_new(request: Request, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    today = date.today()
    values = {"category": request.query_params.get("category", "market"), "region_code": who.scope_region or "610000",
              "starts_on": today.isoformat(), "ends_on": date(today.year, 12, 31).isoformat()}
    return _campaign_form(request, db, who, values, {})


@router.post("/inspections/campaigns/new")
async def campaign_create(request: Request, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    lang = request_lang(request)
    values, _ = await _form(request)
    errors: dict[str, str] = {}
    _required(values, ("title", "category", "starts_on", "ends_on"), errors, lang)
    data = {
        "title": _text(values, "title"), "category": _text(values, "category"),
        "region_code": _text(values, "region_code"), "description": _text(values, "description"),
        "starts_on": _date(values, "starts_on", errors, lang), "ends_on": _date(values, "ends_on", errors, lang),
        "checklist": _lines(values.get("checklist")) or None, "inspector_ids": _ids(values.get("inspector_ids")),
        "targets": [{"org_id": o} for o in _ids(values.get("target_ids"))],
    }
    if not errors:
        try:
            row = service.create_campaign(db, who, data)
        except DomainError as exc:
            errors = _errors(exc, lang)
            db.rollback()
        else:
            return RedirectResponse(f"/inspections/campaigns/{row.id}", status_code=303)
    values["inspector_ids"] = _ids(values.get("inspector_ids"))
    values["target_ids"] = _ids(values.get("target_ids"))
    return _campaign_form(request, db, who, values, errors, 422)


@router.get("/inspections/campaigns/{item_id:int}")
def campaign_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    row = service.get_campaign(db, who, item_id)
    data = service.campaign_dict(db, row, lang, who, full=True)
    can_write = service.covers(who, row.region_code, row.city_code) and row.status == "active"
    return render(request, "inspection_campaign.html", _ctx(
        request, who, c=data, row=row, can_write=can_write, entries=audit.entries_for(db, "inspection_campaign", row.id),
        orgs=_orgs_in_scope(db, who, row.region_code) if can_write else [],
        error=request.query_params.get("error")))


@router.post("/inspections/campaigns/{item_id:int}/targets")
async def campaign_add_target(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    values, _ = await _form(request)
    lang = request_lang(request)
    try:
        service.add_target(db, who, item_id, {"org_id": _opt_int(values.get("org_id")) or 0,
                                              "inspector_ids": _ids(values.get("inspector_ids"))})
    except ValidationFailed as exc:
        db.rollback()
        message = "；".join(_errors(exc, lang).values())
        return RedirectResponse(f"/inspections/campaigns/{item_id}?" + urlencode({"error": message}), status_code=303)
    return RedirectResponse(f"/inspections/campaigns/{item_id}", status_code=303)


@router.post("/inspections/campaigns/{item_id:int}/status")
async def campaign_status(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    values, _ = await _form(request)
    status = _text(values, "status") if _text(values, "status") in ("closed", "cancelled") else "closed"
    service.set_campaign_status(db, who, item_id, status, _text(values, "reason") or status)
    return RedirectResponse(f"/inspections/campaigns/{item_id}", status_code=303)


@router.get("/inspections/export")
def campaign_export(request: Request, db: DB, who: MaybeWho) -> Response:
    return _export(request, db, who, "campaigns")


def _export(request: Request, db: Session, who: Principal | None, kind: str) -> Response:
    from jiliang.supervision.inspection_router import _export as export_response

    who = need_user(who)
    params = request.query_params
    filters = {k: params.get(k) for k in ("status", "severity", "category", "campaign_id") if params.get(k)}
    if params.get("overdue"):
        filters["overdue"] = True
    header, rows = service.export_rows(db, who, kind, params.get("q"), filters, request_lang(request))
    return export_response(header, rows, kind, "xlsx" if params.get("format") == "xlsx" else "csv")


# ------------------------------------------------------------------ inspections (on site)


@router.get("/inspections/tasks")
def inspection_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    params = request.query_params
    filters = {"status": params.get("status") or None, "campaign_id": _opt_int(params.get("campaign_id")),
               "mine": bool(params.get("mine"))}
    page = service.list_inspections(db, who, params.get("q"), filters, _int(params.get("page")), 25)
    return render(request, "inspection_list.html", _ctx(
        request, who, page=page, q=params.get("q") or "", filters=filters,
        items=[service.inspection_dict(db, i) for i in page.items]))


@router.get("/inspections/tasks/export")
def inspection_export(request: Request, db: DB, who: MaybeWho) -> Response:
    return _export(request, db, who, "inspections")


def _inspection_page(request: Request, db: Session, who: Principal, item_id: int, errors: dict | None = None,
                     values: dict | None = None, status: int = 200) -> Response:
    row = service.get_inspection(db, who, item_id)
    campaign = db.get(Campaign, row.campaign_id)
    data = service.inspection_dict(db, row, full=True)
    results = {r["code"]: r for r in row.checklist_results}
    can_write = service.covers(who, row.region_code, row.city_code) and row.status != "cancelled"
    today = date.today()
    return render(request, "inspection_detail.html", _ctx(
        request, who, i=data, row=row, campaign=campaign, results=results, can_write=can_write,
        errors=errors or {}, values=values or {"found_on": today.isoformat(),
                                               "rectify_by": service.default_deadline(today, "major").isoformat(),
                                               "severity": "major"},
        instruments=_instruments(db, row.target_org_id) if can_write else [],
        entries=audit.entries_for(db, "inspection", row.id), done=request.query_params.get("done")), status)


def _instruments(db: Session, org_id: int) -> list[Any]:
    from jiliang.instruments.models import Instrument

    return list(db.scalars(select(Instrument).where(Instrument.owner_org_id == org_id,
                                                    Instrument.status != "scrapped").order_by(Instrument.serial_no).limit(200)))


@router.get("/inspections/{item_id:int}")
def inspection_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    return _inspection_page(request, db, need_user(who), item_id)


@router.post("/inspections/{item_id:int}/record")
async def inspection_record(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    values, _ = await _form(request)
    errors: dict[str, str] = {}
    row = service.get_inspection(db, who, item_id)
    campaign = db.get(Campaign, row.campaign_id)
    results = [{"code": c["code"], "result": _text(values, f"result_{c['code']}"),
                "note": _text(values, f"note_{c['code']}")}
               for c in campaign.checklist if _text(values, f"result_{c['code']}")]
    data = {"inspected_on": _date(values, "inspected_on", errors, lang), "checklist_results": results,
            "conclusion": _text(values, "conclusion")}
    if not errors:
        _, errors = _attempt(db, lang, lambda: service.record_inspection(db, who, item_id, data))
        if not errors:
            return RedirectResponse(f"/inspections/{item_id}?done=recorded", status_code=303)
    return _inspection_page(request, db, who, item_id, errors, None, 422)


@router.post("/inspections/{item_id:int}/findings")
async def inspection_add_finding(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    """The phone form: a finding with photos taken on site, in one post."""
    who = need_user(who)
    lang = request_lang(request)
    values, files = await _form(request)
    errors: dict[str, str] = {}
    _required(values, ("item", "severity"), errors, lang)
    data = {"inspection_id": item_id, "item": _text(values, "item"), "description": _text(values, "description"),
            "severity": _text(values, "severity"), "instrument_id": _opt_int(values.get("instrument_id")),
            "found_on": _date(values, "found_on", errors, lang), "rectify_by": _date(values, "rectify_by", errors, lang)}
    if not errors:
        finding, errors = _attempt(db, lang, lambda: service.create_finding(db, who, data, files))
        if not errors:
            return RedirectResponse(f"/inspections/findings/{finding.id}?done=created", status_code=303)
    return _inspection_page(request, db, who, item_id, errors, values, 422)


@router.post("/inspections/{item_id:int}/cancel")
async def inspection_cancel(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    values, _ = await _form(request)
    service.cancel_inspection(db, who, item_id, _text(values, "reason") or "—")
    return RedirectResponse(f"/inspections/{item_id}", status_code=303)


# ------------------------------------------------------------------ findings


@router.get("/inspections/findings")
def finding_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    params = request.query_params
    filters = {"status": params.get("status") or None, "severity": params.get("severity") or None,
               "overdue": bool(params.get("overdue"))}
    page = service.list_findings(db, who, params.get("q"), filters, _int(params.get("page")), 25)
    names = service.org_names(db, {f.target_org_id for f in page.items})
    return render(request, "inspection_findings.html", _ctx(
        request, who, page=page, q=params.get("q") or "", filters=filters, names=names,
        items=[service.finding_dict(db, f) for f in page.items]))


@router.get("/inspections/findings/export")
def finding_export(request: Request, db: DB, who: MaybeWho) -> Response:
    return _export(request, db, who, "findings")


def _finding_page(request: Request, db: Session, who: Principal, item_id: int, errors: dict | None = None,
                  status: int = 200) -> Response:
    row = service.get_finding(db, who, item_id)
    inspection = db.get(Inspection, row.inspection_id)
    return render(request, "inspection_finding.html", _ctx(
        request, who, f=service.finding_dict(db, row, full=True), row=row, inspection=inspection,
        can_verify=service.covers(who, row.region_code, row.city_code),
        can_report=(who.is_admin or (who.role == "enterprise" and who.org_id == row.target_org_id)),
        errors=errors or {}, done=request.query_params.get("done"),
        entries=audit.entries_for(db, "inspection_finding", row.id)), status)


@router.get("/inspections/findings/{item_id:int}")
def finding_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    return _finding_page(request, db, need_user(who), item_id)


@router.post("/inspections/findings/{item_id:int}/{action}")
async def finding_action(request: Request, item_id: int, action: str, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    values, files = await _form(request)
    errors: dict[str, str] = {}
    try:
        if action == "rectification":
            _required(values, ("note",), errors, lang)
            if not errors:
                if files:
                    service.add_finding_files(db, who, item_id, files)
                service.report_rectification(db, who, item_id, _text(values, "note"))
        elif action == "verify":
            _required(values, ("note",), errors, lang)
            deadline = _date(values, "new_deadline", errors, lang)
            if not errors:
                service.verify_rectification(db, who, item_id, _text(values, "accept") == "yes",
                                             _text(values, "note"), deadline)
        elif action == "attachments":
            service.add_finding_files(db, who, item_id, files)
        else:
            return Response(status_code=404)
    except ValidationFailed as exc:
        db.rollback()
        errors = _errors(exc, lang)
    if errors:
        return _finding_page(request, db, who, item_id, errors, 422)
    return RedirectResponse(f"/inspections/findings/{item_id}?done={action}", status_code=303)


# ------------------------------------------------------------------ inspectors


@router.get("/inspections/inspectors")
def inspector_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    params = request.query_params
    page = service.list_inspectors(db, who, params.get("q"), params.get("status") or None, _int(params.get("page")), 25)
    names = service.org_names(db, {r["org_id"] for i in page.items for r in i.relations} |
                               {i.org_id for i in page.items if i.org_id})
    return render(request, "inspection_inspectors.html", _ctx(
        request, who, page=page, q=params.get("q") or "", names=names, errors={}, values={}))


@router.post("/inspections/inspectors")
async def inspector_create(request: Request, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    lang = request_lang(request)
    values, _ = await _form(request)
    errors: dict[str, str] = {}
    _required(values, ("name", "badge_no"), errors, lang)
    if not errors:
        data = {"name": _text(values, "name"), "badge_no": _text(values, "badge_no"),
                "region_code": _text(values, "region_code"), "org_id": _opt_int(values.get("org_id"))}
        _, errors = _attempt(db, lang, lambda: service.create_inspector(db, who, data))
        if not errors:
            return RedirectResponse("/inspections/inspectors", status_code=303)
    page = service.list_inspectors(db, who, None, None, 1, 25)
    return render(request, "inspection_inspectors.html", _ctx(
        request, who, page=page, q="", names={}, errors=errors, values=values), 422)


@router.post("/inspections/inspectors/{item_id:int}/relations")
async def inspector_relation(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    values, _ = await _form(request)
    service.declare_relation(db, who, item_id, {"org_id": _opt_int(values.get("org_id")) or 0,
                                                "note": _text(values, "note") or "—"})
    return RedirectResponse("/inspections/inspectors", status_code=303)


# ------------------------------------------------------------------ draws (regulator)


@router.get("/inspections/draws")
def draw_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    page = service.list_draws(db, who, request.query_params.get("status") or None,
                              _int(request.query_params.get("page")), 25)
    campaigns = service.list_campaigns(db, who, None, {"status": "active"}, 1, 100).items
    return render(request, "draw_list.html", _ctx(
        request, who, page=page, items=[service.draw_dict(d) for d in page.items], campaigns=campaigns,
        categories=service.categories(db, who), errors={}, values={
            "campaign_id": request.query_params.get("campaign_id", ""), "n_targets": "3",
            "inspectors_per_target": "2", "region_code": who.scope_region or ""}))


@router.post("/inspections/draws")
async def draw_commit(request: Request, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    lang = request_lang(request)
    values, _ = await _form(request)
    errors: dict[str, str] = {}
    n = _opt_int(values.get("n_targets"))
    per = _opt_int(values.get("inspectors_per_target")) or 2
    if n is None or n > 10_000:
        errors["n_targets"] = "must be a whole number from 1 to 10000" if lang == "en" else "应为 1 至 10000 的整数"
    if per < 2:
        errors["inspectors_per_target"] = "at least 2" if lang == "en" else "不得少于 2"
    if not errors:
        data = {"title": _text(values, "title"), "campaign_id": _opt_int(values.get("campaign_id")),
                "category": _text(values, "category"), "region_code": _text(values, "region_code"),
                "n_targets": n, "inspectors_per_target": per}
        row, errors = _attempt(db, lang, lambda: service.commit_draw(db, who, data))
        if not errors:
            return RedirectResponse(f"/inspections/draws/{row.id}", status_code=303)
    page = service.list_draws(db, who, None, 1, 25)
    return render(request, "draw_list.html", _ctx(
        request, who, page=page, items=[service.draw_dict(d) for d in page.items],
        campaigns=service.list_campaigns(db, who, None, {"status": "active"}, 1, 100).items,
        categories=service.categories(db, who), errors=errors, values=values), 422)


@router.get("/inspections/draws/{item_id:int}")
def draw_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = service.regulator_only(need_user(who))
    row = service.get_draw(db, who, item_id)
    d = service.draw_dict(row)
    return render(request, "draw_detail.html", _ctx(
        request, who, d=d, row=row, public=False, error=request.query_params.get("error"),
        entries=audit.entries_for(db, "inspection_draw", row.id), **_draw_names(db, d, request_lang(request))))


@router.post("/inspections/draws/{item_id:int}/{step}")
async def draw_step(request: Request, item_id: int, step: str, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    await _form(request)
    actions = {"snapshot": service.snapshot_draw, "run": service.run_draw, "publish": service.publish_draw}
    if step not in actions:
        return Response(status_code=404)
    try:
        actions[step](db, who, item_id)
    except ValidationFailed as exc:
        db.rollback()
        message = "；".join(_errors(exc, request_lang(request)).values())
        return RedirectResponse(f"/inspections/draws/{item_id}?" + urlencode({"error": message}), status_code=303)
    return RedirectResponse(f"/inspections/draws/{item_id}", status_code=303)


# ------------------------------------------------------------------ public draw pages


@router.get("/public/draws")
def public_draw_list(request: Request, db: DB, who: MaybeWho) -> Response:
    page = service.public_draws(db, _int(request.query_params.get("page")), 25)
    return render(request, "draw_public_list.html", {
        "who": who, **COMMON, "page": page, "items": [service.draw_dict(d, public=True) for d in page.items],
        "qs": lambda **a: _qs(request.query_params, **a)})


def _draw_names(db: Session, d: dict[str, Any], lang: str) -> dict[str, str | None]:
    """The draw's category and region by name, for people who do not read codes."""
    from jiliang.regions.models import Region

    flt = d.get("filter") or {}
    info = service.category_info(db, flt["category"]) if flt.get("category") else None
    region = db.get(Region, flt["region_code"]) if flt.get("region_code") else None
    return {"category_name": pick(info["name"], lang) if info else None,
            "region_name": region.name(lang) if region else None}


@router.get("/public/draws/{item_id:int}")
def public_draw_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    row = service.public_draw(db, item_id)
    d = service.draw_dict(row, public=True)
    return render(request, "draw_detail.html", {
        "who": who, **COMMON, "d": d, "row": row, "public": True,
        "is_regulator": False, "entries": [], **_draw_names(db, d, request_lang(request))})


@router.get("/public/draws/{item_id:int}/draw.json")
def public_draw_json(item_id: int, db: DB) -> Response:
    document = service.published_document(db, item_id)
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return Response(body.encode("utf-8"), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="draw-{item_id}.json"'})


