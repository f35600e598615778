"""Pages: the public mandatory catalogue, filings (强检备案) for owners and regulators, and the
should-be-filed list (应备未备). Thin: read the form, call the service, render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.core.errors import Conflict, DomainError, ValidationFailed
from jiliang.core.importer import MAX_FILE_BYTES, template_csv
from jiliang.core.resources import MAX_INT
from jiliang.core.security import Principal
from jiliang.instruments.models import USES, Instrument, InstrumentType
from jiliang.supervision import catalogue
from jiliang.supervision import filing_service as service
from jiliang.supervision.catalogue_models import FORMS, MODES
from jiliang.supervision.filing_models import FILING_STATUS
from jiliang.web.views import (
    ALL_ROLES,
    add_detail_note,
    add_nav,
    add_templates,
    check_csrf,
    need_user,
    render,
)

router = APIRouter(include_in_schema=False)
add_templates(Path(__file__).parent / "templates")
FILERS = frozenset({"admin", "regulator", "enterprise"})
add_nav("/filings", ("强检备案", "Mandatory filings"), FILERS)
add_nav("/public/catalogue", ("强检目录", "Mandatory catalogue"), ALL_ROLES)


def _unfiled_note(db: Session, who: Principal, inst: Any, lang: str) -> list[dict[str, Any]]:
    """On an instrument's page (already scope-checked): the should-be-filed flag, with the way to file."""
    if not service.is_unfiled(db, inst.id):
        return []
    en = lang == "en"
    owner = who.is_admin or (who.role == "enterprise" and who.org_id == inst.owner_org_id)
    return [{
        "testid": "unfiled-flag",
        "text": ("Should be filed: a mandatory-verification type in a mandatory use, with no approved filing."
                 if en else "应备未备：本器具属强制检定目录且用于强检用途，尚无已批准的强检备案。"),
        "href": f"/filings/new?instrument_id={inst.id}" if owner else "/filings/unfiled",
        "link": ("File it now" if en else "立即备案") if owner else ("Should-be-filed list" if en else "应备未备清单"),
    }]


add_detail_note("instruments", _unfiled_note)

MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
COMMON = {"FILING_STATUS": FILING_STATUS, "FILING_USES": service.FILING_USES, "USES": USES,
          "MODES": MODES, "FORMS": FORMS}
INPUT_FIELDS = ("instrument_id", "use", "location", "institution_org_id", "contact_name", "contact_phone", "note")


def _int(raw: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(raw or default), 100_000))
    except ValueError:
        return default


def _qs(params, **kw) -> str:
    keep = {k: v for k, v in params.items() if k not in ("page", "lang")}
    return urlencode({**keep, **{k: v for k, v in kw.items() if v is not None}})


def _counties(db, who: Principal, lang: str) -> list[tuple[str, str]]:
    """Counties a regulator above county level (or an administrator) may filter by."""
    from jiliang.regions.models import Region

    if not (who.is_admin or (who.is_regulator and who.scope_level in ("province", "city"))):
        return []
    stmt = select(Region).where(Region.level == "county").order_by(Region.code)
    if who.scope_level == "city":
        stmt = stmt.where(Region.city_code == who.scope_region)
    return [(r.code, r.name(lang)) for r in db.scalars(stmt)]


def _region_names(db, lang: str) -> dict[str, str]:
    from jiliang.regions.service import names

    return names(db, lang)


# ------------------------------------------------------------------ catalogue (public)


@router.get("/public/catalogue")
def catalogue_page(request: Request, db: DB, who: MaybeWho) -> Response:
    params = request.query_params
    q = (params.get("q") or "")[:100]
    unconfirmed = params.get("unconfirmed") == "1"
    nodes = catalogue.tree(db, who, q, unconfirmed)
    export = urlencode({k: v for k, v in (("q", q), ("lang", request_lang(request))) if v})
    return render(request, "catalogue.html", {
        "who": who, **COMMON, "nodes": nodes, "q": q, "unconfirmed": unconfirmed,
        "source": catalogue.SOURCE, "export": export,
        "first": sum(1 for _ in nodes), "second": sum(len(n.children) for n in nodes),
    })


# ------------------------------------------------------------------ filings


@router.get("/filings")
def filing_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    params = request.query_params
    filters = {k: v for k, v in params.items() if k in service.FILTERS and v}
    q = params.get("q") or None
    page = service.list_filings(db, who, q, filters, params.get("sort") or None, _int(params.get("page")), 25)
    lang = request_lang(request)
    export = urlencode({**filters, **({"q": q} if q else {}), "lang": lang})
    return render(request, "filing_list.html", {
        "who": who, **COMMON, "page": page, "q": q or "", "filters": filters, "export": export,
        "names": service.names(db, page.items, lang), "region_names": _region_names(db, lang),
        "can_file": who.is_admin or who.role == "enterprise", "counties": _counties(db, who, lang),
        "qs": lambda **kw: _qs(params, **kw),
    })


def _form(request: Request, db, who: Principal, values: dict[str, Any], errors: dict[str, str],
          previous=None, status_code: int = 200) -> Response:
    lang = request_lang(request)
    instruments = service.fileable_instruments(db, who, request.query_params.get("find"))
    chosen = values.get("instrument_id")
    if previous is not None:
        instruments = [db.get(Instrument, previous.instrument_id)]
    elif chosen and str(chosen).isdigit() and all(str(i.id) != str(chosen) for i in instruments):
        inst = db.get(Instrument, int(chosen)) if int(chosen) <= MAX_INT else None
        if inst is not None and (who.is_admin or inst.owner_org_id == who.org_id):
            instruments = [inst, *instruments]
    types = {t.id: (t.name_en if lang == "en" else t.name_zh) for t in db.scalars(select(InstrumentType))}
    return render(request, "filing_form.html", {
        "who": who, **COMMON, "values": values, "errors": errors, "previous": previous,
        "instruments": instruments, "types": types, "institutions": service.institutions(db),
    }, status_code)


@router.get("/filings/new")
def filing_new(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    service.check_filer(who)
    params = request.query_params
    previous = None
    values: dict[str, Any] = {}
    if params.get("refile"):
        previous = service.get(db, who, params["refile"])
        values = {k: getattr(previous, k) for k in INPUT_FIELDS}
    elif params.get("instrument_id", "").isdigit() and int(params["instrument_id"]) <= MAX_INT:
        inst = db.get(Instrument, int(params["instrument_id"]))
        if inst is not None and (who.is_admin or inst.owner_org_id == who.org_id):
            values = {"instrument_id": inst.id, "location": inst.location or "",
                      "use": inst.use if inst.use in service.FILING_USES else ""}
    return _form(request, db, who, values, {}, previous)


@router.post("/filings/new")
async def filing_save(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    data = {k: str(form.get(k, "")).strip() for k in INPUT_FIELDS if k in form}
    previous_id = str(form.get("previous_id", "")).strip()
    previous = None
    try:
        if previous_id:
            previous = service.get(db, who, previous_id)
            changes = {k: v for k, v in data.items() if k != "instrument_id"}
            if not changes.get("note"):
                changes.pop("note", None)
            f = service.refile(db, who, previous.id, changes)
        else:
            if not data.get("note"):
                data.pop("note", None)
            f = service.create(db, who, data)
    except ValidationFailed as exc:
        db.rollback()
        idx = 1 if request_lang(request) == "en" else 0
        return _form(request, db, who, data, {k: v[idx] for k, v in exc.errors.items()}, previous, 422)
    except Conflict as exc:
        db.rollback()
        return _form(request, db, who, data, {"instrument_id": exc.message(request_lang(request))}, previous, 409)
    return RedirectResponse(f"/filings/{f.id}?done=submitted", status_code=303)


@router.get("/filings/unfiled")
def unfiled_list(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    params = request.query_params
    filters = {k: v for k, v in params.items() if k in service.UNFILED_FILTERS and v}
    q = params.get("q") or None
    page = service.list_unfiled(db, who, q, filters, _int(params.get("page")), 25)
    types = [(t.id, t.name_en if lang == "en" else t.name_zh) for t in db.scalars(
        select(InstrumentType).where(InstrumentType.id.in_(catalogue.mandatory_type_ids())).order_by(InstrumentType.code))]
    export = urlencode({**filters, **({"q": q} if q else {}), "lang": lang})
    return render(request, "filing_unfiled.html", {
        "who": who, **COMMON, "page": page, "q": q or "", "filters": filters, "types": types,
        "names": service.unfiled_names(db, page.items, lang), "region_names": _region_names(db, lang),
        "export": export, "counties": _counties(db, who, lang), "can_file": who.is_admin or who.role == "enterprise",
        "qs": lambda **kw: _qs(params, **kw),
    })


@router.get("/filings/import")
def filing_import_form(request: Request, who: MaybeWho) -> Response:
    who = need_user(who)
    service.check_filer(who)
    return render(request, "filing_import.html", {"who": who, "report": None})


@router.get("/filings/import/template.csv")
def filing_import_template(request: Request) -> Response:
    return Response(template_csv(service.IMPORT_COLUMNS, request_lang(request)), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="filings-template.csv"'})


@router.post("/filings/import")
def filing_import(request: Request, db: DB, who: MaybeWho, file: Annotated[UploadFile, File()],
                  mode: Annotated[str, Form()] = "all", csrf: Annotated[str, Form()] = "") -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    content = file.file.read(MAX_FILE_BYTES + 1)
    ctx: dict[str, Any] = {"who": who, "report": None}
    try:
        ctx["report"] = service.import_filings(db, who, file.filename or "", content,
                                               mode == "dry_run", mode == "valid_only")
    except DomainError as exc:
        ctx["error"] = exc.message(request_lang(request))
        return render(request, "filing_import.html", ctx, 422)
    return render(request, "filing_import.html", ctx)


@router.get("/filings/{filing_id}")
def filing_detail(request: Request, filing_id: int, db: DB, who: MaybeWho) -> Response:
    return _detail(request, db, need_user(who), filing_id)


def _detail(request: Request, db, who: Principal, filing_id: int, error: str | None = None,
            status_code: int = 200) -> Response:
    f = service.get(db, who, filing_id)
    lang = request_lang(request)
    item = db.get(catalogue.CatalogueItem, f.item_id) if f.item_id else None
    can_review = f.status == "submitted" and (
        who.is_admin or (who.is_regulator and who.covers_region(f.region_code, f.city_code)))
    is_owner = who.is_admin or (who.role == "enterprise" and who.org_id == f.owner_org_id)
    return render(request, "filing_detail.html", {
        "who": who, **COMMON, "f": f, "item": item, "names": service.names(db, [f], lang),
        "region_names": _region_names(db, lang), "entries": service.history(db, f), "error": error,
        "can_review": can_review, "can_withdraw": is_owner and f.status in ("submitted", "approved"),
        "can_refile": is_owner and f.status in ("rejected", "withdrawn"),
        "still_unfiled": service.is_unfiled(db, f.instrument_id),
    }, status_code)


def _action(verb: str):
    def view(request: Request, filing_id: int, db: DB, who: MaybeWho,
             reason: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
        who = need_user(who)
        check_csrf(request, csrf)
        try:
            getattr(service, verb)(db, who, filing_id, reason or None)
        except (ValidationFailed, Conflict) as exc:
            db.rollback()
            return _detail(request, db, who, filing_id, exc.message(request_lang(request)), exc.status_code)
        return RedirectResponse(f"/filings/{filing_id}?done={verb}", status_code=303)

    return view


for _verb in ("approve", "reject", "withdraw"):
    router.add_api_route(f"/filings/{{filing_id}}/{_verb}", _action(_verb), methods=["POST"])
