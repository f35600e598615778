"""Pages: the public ``/verify`` page (by number, QR link or XML upload; no sign-in) and the
lab's ``/certificates`` page (approved records awaiting a certificate, issued certificates,
revocation and supersession)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.calibration.models import KINDS as RECORD_KINDS
from jiliang.certificates import service
from jiliang.certificates.models import CERT_KINDS, CERT_STATES
from jiliang.core.errors import DomainError
from jiliang.core.security import Principal
from jiliang.instruments.models import Instrument
from jiliang.orgs.models import Organisation
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

add_templates(Path(__file__).parent / "templates")
add_nav(
    "/certificates",
    ("证书", "Certificates"),
    frozenset(
        {"admin", "lab_manager", "metrologist", "reviewer", "approver", "regulator", "enterprise"}
    ),
)

router = APIRouter(include_in_schema=False)
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]
MAX_UPLOAD = 5 * 1024 * 1024
PER_PAGE = 25




def _ctx(who: Principal | None) -> dict:
    return {"who": who, "CERT_KINDS": CERT_KINDS, "CERT_STATES": CERT_STATES}


# ------------------------------------------------------------------ public verification


def _public_chain(db, result: dict | None, lang: str) -> dict | None:
    """The public part of a known certificate's traceability chain (levels, issuers, terminal)."""
    if not result or not result.get("facts"):
        return None
    from jiliang.calibration.models import CalibrationRecord
    from jiliang.certificates.models import Certificate
    from jiliang.traceability.chain import check_record, public_part

    cert = db.query(Certificate).filter(Certificate.number == result["facts"]["number"]).one_or_none()
    if cert is None:
        return None
    return public_part(check_record(db, db.get(CalibrationRecord, cert.record_id)), lang)


@router.get("/verify")
def verify_page(request: Request, db: DB, who: MaybeWho, n: str | None = None) -> Response:
    result = None
    number = (n or "").replace("\x00", "").strip()[:64]
    if number:
        result = service.check(db, number)
    chain = _public_chain(db, result, request_lang(request))
    return render(request, "verify.html", {**_ctx(who), "result": result, "number": number, "chain": chain})


@router.post("/verify")
async def verify_upload(
    request: Request, db: DB, who: MaybeWho, file: Annotated[UploadFile, File()]
) -> Response:
    data = await file.read(MAX_UPLOAD + 1)
    lang = request_lang(request)
    if len(data) > MAX_UPLOAD:
        result = {
            "status": "invalid",
            "problems": [
                "文件过大（上限 5 MB）" if lang != "en" else "the file is too large (5 MB at most)"
            ],
            "facts": None,
            "proof": None,
            "number": None,
        }
    else:
        result = service.verify_upload(db, data)
    result["uploaded"] = file.filename or "upload.xml"
    chain = _public_chain(db, result, lang)
    return render(request, "verify.html", {**_ctx(who), "result": result, "number": "", "chain": chain})


# ------------------------------------------------------------------ the lab's page


@router.get("/certificates")
def certificates_page(
    request: Request,
    db: DB,
    who: MaybeWho,
    q: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    error: str | None = None,
) -> Response:
    p = need_user(who)
    kind = kind if kind in CERT_KINDS else None
    status = status if status in CERT_STATES else None
    q = (q or "").replace("\x00", "").strip()[:100] or None
    page = max(1, min(page, 100000))
    rows, total = service.list_certificates(db, p, q, kind, status, page, PER_PAGE)
    pending = service.pending_records(db, p, 100)
    orgs = {
        o.id: o.name
        for o in db.query(Organisation).filter(
            Organisation.id.in_(
                {c.customer_org_id for c in rows} | {r.customer_org_id for r in pending} or {0}
            )
        )
    }
    insts = {
        i.id: i
        for i in db.query(Instrument).filter(
            Instrument.id.in_(
                {c.instrument_id for c in rows} | {r.instrument_id for r in pending} or {0}
            )
        )
    }
    may_issue = p.is_admin or (p.role in service.ISSUERS and p.org_id is not None)
    return render(
        request,
        "certificates.html",
        {
            **_ctx(p),
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, math.ceil(total / PER_PAGE)),
            "pending": pending,
            "orgs": orgs,
            "insts": insts,
            "q": q or "",
            "kind": kind or "",
            "status": status or "",
            "may_issue": may_issue,
            "RECORD_KINDS": RECORD_KINDS,
            "error": error,
            "kind_for": service.kind_for,
        },
    )


@router.post("/certificates/issue")
def issue_form(
    request: Request,
    db: DB,
    who: MaybeWho,
    record_id: Annotated[int, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    p = need_user(who)
    check_csrf(request, csrf)
    try:
        cert = service.issue(db, p, record_id, request_lang(request))
    except DomainError as exc:
        db.rollback()
        return RedirectResponse(
            "/certificates?error=" + quote(exc.message(request_lang(request))), 303
        )
    return RedirectResponse(f"/certificates/{quote(cert.number)}?done=issued", 303)


@router.get("/certificates/{number}")
def certificate_page(
    request: Request,
    number: str,
    db: DB,
    who: MaybeWho,
    done: str | None = None,
    error: str | None = None,
) -> Response:
    p = need_user(who)
    cert = service.by_number(db, number[:64])
    visible, _ = service.list_certificates(db, p, cert.number, None, None, 1, 1000)
    if cert.id not in {c.id for c in visible}:
        raise service.UnknownCertificate(cert.number)
    facts = service.public_facts(db, cert, request_lang(request))
    may_end = cert.status == "issued" and (
        p.is_admin or (p.role in service.ISSUERS and p.org_id == cert.lab_org_id)
    )
    return render(
        request,
        "certificate_detail.html",
        {
            **_ctx(p),
            "cert": cert,
            "facts": facts,
            "may_end": may_end,
            "done": done,
            "error": error,
        },
    )


@router.post("/certificates/{number}/end")
def end_form(
    request: Request,
    number: str,
    db: DB,
    who: MaybeWho,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    superseded_by: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    p = need_user(who)
    check_csrf(request, csrf)
    number = number[:64]
    try:
        if action == "revoke":
            service.revoke(db, p, number, reason)
        else:
            service.supersede(db, p, number, reason, superseded_by[:64] or None)
    except DomainError as exc:
        db.rollback()
        return RedirectResponse(
            f"/certificates/{quote(number)}?error=" + quote(exc.message(request_lang(request))),
            303,
        )
    return RedirectResponse(f"/certificates/{quote(number)}?done={quote(action)}", 303)
