"""Serving stored attachments to whoever the owning feature lets read them."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from jiliang.api.deps import DB, optional_principal
from jiliang.core import attachments
from jiliang.core.security import Principal

router = APIRouter(include_in_schema=False)

MaybeWho = Annotated[Principal | None, Depends(optional_principal)]


@router.get("/attachments/{attachment_id}")
def attachment_file(attachment_id: int, db: DB, who: MaybeWho) -> Response:
    att = attachments.get_readable(db, who, attachment_id)
    inline = att.content_type.startswith("image/") or att.content_type == "application/pdf"
    disposition = "inline" if inline else "attachment"
    return Response(
        content=att.data,
        media_type=att.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(att.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            "Cache-Control": "private, max-age=3600",
        },
    )
