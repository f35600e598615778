"""Integrity pages: the public query 计量诚信查询 (formula, operators, profiles) and the enterprise
user's page to sign the commitment and declare capability."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.core.errors import ValidationFailed
from jiliang.core.security import Principal
from jiliang.integrity import service
from jiliang.regions.service import names as region_names
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

add_templates(Path(__file__).parent / "templates")
add_nav("/integrity", ("诚信计量", "Integrity"), frozenset({"enterprise"}))

router = APIRouter(include_in_schema=False)
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
PER_PAGE = 25


def _int(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100000))
    except ValueError:
        return 1


@router.get("/public/integrity")
def integrity_query(request: Request, db: DB, who: MaybeWho) -> Response:
    lang = request_lang(request)
    q = (request.query_params.get("q") or "").replace("\x00", "")[:100]
    page = service.search(db, q, _int(request.query_params.get("page")), PER_PAGE)
    return render(request, "integrity_public.html", {
        "who": who, "q": q, "page": page, "formula": service.formula(), "regions": region_names(db, lang),
        "qs": lambda **kw: urlencode({**({"q": q} if q else {}), **kw}),
    })


@router.get("/public/integrity/{org_id:int}")
def integrity_profile(request: Request, org_id: int, db: DB, who: MaybeWho) -> Response:
    lang = request_lang(request)
    return render(request, "integrity_profile.html", {
        "who": who, "p": service.profile(db, org_id), "formula": service.formula(),
        "text": service.commitment_text(), "regions": region_names(db, lang),
    })


def _errors(request: Request, exc: ValidationFailed) -> dict[str, str]:
    idx = 1 if request_lang(request) == "en" else 0
    return {f: m[idx] for f, m in exc.errors.items()}


def _mine(request: Request, db, who: Principal, errors: dict | None = None, values: dict | None = None,
          status_code: int = 200) -> Response:
    org_id = who.org_id if who.role == "enterprise" else None
    commitment = service._active_commitment(db, org_id) if org_id else None
    declaration = service._active_declaration(db, org_id) if org_id else None
    return render(request, "integrity_mine.html", {
        "who": who, "org_id": org_id, "text": service.commitment_text(),
        "commitment": service.commitment_dict(commitment) if commitment else None,
        "declaration": service.declaration_dict(declaration) if declaration else None,
        "errors": errors or {}, "values": values or (service.declaration_dict(declaration) if declaration else {}),
        "done": request.query_params.get("done"), "today": date.today().isoformat(),
    }, status_code)


@router.get("/integrity")
def integrity_mine(request: Request, db: DB, who: MaybeWho) -> Response:
    return _mine(request, db, need_user(who))


@router.post("/integrity/commitment")
def integrity_sign(
    request: Request, db: DB, who: MaybeWho, csrf: Annotated[str, Form()] = "",
    agree: Annotated[str, Form()] = "", signer_title: Annotated[str, Form()] = "",
    text_version: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    try:
        service.sign(db, who, {"agree": agree, "signer_title": signer_title, "text_version": text_version})
    except ValidationFailed as exc:
        db.rollback()
        return _mine(request, db, who, _errors(request, exc), None, 422)
    return RedirectResponse("/integrity?done=signed", status_code=303)


@router.post("/integrity/commitment/{commitment_id:int}/withdraw")
def integrity_withdraw(
    request: Request, commitment_id: int, db: DB, who: MaybeWho, csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    try:
        service.withdraw(db, who, commitment_id, reason)
    except ValidationFailed as exc:
        db.rollback()
        return _mine(request, db, who, _errors(request, exc), None, 422)
    return RedirectResponse("/integrity?done=withdrawn", status_code=303)


@router.post("/integrity/declaration")
async def integrity_declare(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    data: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "csrf"}
    try:
        service.declare(db, who, data)
    except ValidationFailed as exc:
        db.rollback()
        return _mine(request, db, who, _errors(request, exc), data, 422)
    return RedirectResponse("/integrity?done=declared", status_code=303)
