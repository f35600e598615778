"""Certificate API: issue, list (scoped), public facts, XML, PDF, bundle, revoke, supersede.

A certificate is meant to be shown to third parties: its facts, signed XML, PDF and bundle are
public (no sign-in) once issued.  Issuing, revoking and superseding need the issuing lab's
approver or lab manager.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import DB, principal, request_lang
from jiliang.certificates import service
from jiliang.core.security import Principal

router = APIRouter(tags=["certificates"])

Who = Annotated[Principal, Depends(principal)]
Number = Annotated[str, Path(min_length=1, max_length=64)]


class IssueIn(BaseModel):
    record_id: int = Field(ge=1, le=2**31 - 1)


class EndIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    superseded_by: str | None = Field(default=None, max_length=64)


def _summary(session, cert, lang: str) -> dict[str, Any]:
    return service.public_facts(session, cert, lang)


@router.post("/api/v1/certificates", status_code=201)
def issue(body: IssueIn, session: DB, who: Who, request: Request) -> dict[str, Any]:
    """Issue the certificate of an approved calibration record (signed DCC, PDF, log entry)."""
    lang = request_lang(request)
    cert = service.issue(session, who, body.record_id, lang)
    return _summary(session, cert, lang)


@router.get("/api/v1/certificates")
def list_certificates(
    session: DB,
    who: Who,
    request: Request,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Certificates in the caller's scope (lab: its own; regulator: its region; customer)."""
    lang = request_lang(request)
    rows, total = service.list_certificates(session, who, q, kind, status, page, per_page)
    return {"total": total, "page": page, "items": [_summary(session, c, lang) for c in rows]}


MAX_XML = 5 * 1024 * 1024


@router.post(
    "/api/v1/certificates/verify",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    },
)
async def verify(request: Request, session: DB) -> dict[str, Any]:
    """Verify a DCC sent as the request body (public): schema problems, and for a certificate
    issued here its signature, logged digest, inclusion proof and status."""
    from jiliang.core.errors import ValidationFailed

    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_XML:
            raise ValidationFailed.one(
                "body", "文件过大（上限 5 MB）", "the document is too large (5 MB at most)"
            )
    if not data:
        raise ValidationFailed.one(
            "body", "请在请求正文中发送 DCC XML", "send the DCC XML as the request body"
        )
    return service.verify_upload(session, data)


@router.get("/api/v1/certificates/{number}")
def get_certificate(number: Number, session: DB, request: Request) -> dict[str, Any]:
    """Public facts of a certificate: kind, status, issuer, instrument, signer, log index."""
    return _summary(session, service.by_number(session, number), request_lang(request))


@router.get(
    "/api/v1/certificates/{number}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_xml(number: Number, session: DB) -> Response:
    """The signed DCC, byte for byte as issued."""
    cert = service.by_number(session, number)
    return Response(
        cert.xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{cert.number}.xml"'},
    )


@router.get(
    "/api/v1/certificates/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_pdf(number: Number, session: DB) -> Response:
    """The printed certificate (PDF)."""
    cert = service.by_number(session, number)
    return Response(
        cert.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{cert.number}.pdf"'},
    )


@router.get(
    "/api/v1/certificates/{number}/bundle",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def get_bundle(
    number: Number,
    session: DB,
    older: Annotated[list[int] | None, Query(max_length=8)] = None,
) -> Response:
    """The offline verification bundle (canonical JSON): checkpoint, proofs, issuer keys;
    ``older`` (tree sizes of earlier published checkpoints) adds consistency proofs."""
    from jiliang.trust.bundle import bundle_bytes, make_bundle

    cert = service.by_number(session, number)
    data = bundle_bytes(make_bundle(session, cert.number, older or ()))
    return Response(
        data,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{cert.number}.bundle.json"'},
    )


@router.post("/api/v1/certificates/{number}/revoke")
def revoke(number: Number, body: EndIn, session: DB, who: Who, request: Request) -> dict:
    """Revoke an issued certificate, with a reason (logged)."""
    cert = service.revoke(session, who, number, body.reason)
    return _summary(session, cert, request_lang(request))


@router.post("/api/v1/certificates/{number}/supersede")
def supersede(number: Number, body: EndIn, session: DB, who: Who, request: Request) -> dict:
    """Mark an issued certificate superseded, with a reason and optionally its successor."""
    cert = service.supersede(session, who, number, body.reason, body.superseded_by)
    return _summary(session, cert, request_lang(request))
