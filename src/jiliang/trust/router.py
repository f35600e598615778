"""Public endpoints of the log: checkpoint and key at well-known URLs, entries and proofs.

No sign-in: the log is public and holds only public fields.  Bad indices and sizes are 4xx
answers naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from jiliang.api.deps import DB
from jiliang.core import resources
from jiliang.trust import keys, service

router = APIRouter(tags=["trust"])

Size = Annotated[int, Path(ge=0, le=resources.MAX_INT)]
_NOTE = {"description": "C2SP signed note", "content": {"text/plain": {}}}


@router.get(
    "/.well-known/jiliang/checkpoint", response_class=PlainTextResponse, responses={200: _NOTE}
)
def checkpoint(session: DB) -> PlainTextResponse:
    """The latest signed checkpoint of the log (C2SP tlog-checkpoint), signed if the log grew."""
    cp = service.publish_checkpoint(session)
    return PlainTextResponse(cp.note, headers={"Cache-Control": "no-cache"})


@router.get(
    "/.well-known/jiliang/log-key",
    response_class=PlainTextResponse,
    responses={200: {"description": "signed-note verifier key", "content": {"text/plain": {}}}},
)
def log_key(session: DB) -> PlainTextResponse:
    """The verifier key (vkey) of the log's current Ed25519 key."""
    return PlainTextResponse(service.log_vkey(session) + "\n")


@router.get("/api/v1/log/entries/{index}")
def entry(index: Annotated[int, Path(ge=0, le=resources.MAX_INT)], session: DB) -> dict[str, Any]:
    """A log entry with its inclusion proof against the latest checkpoint."""
    return service.entry_view(session, index)


@router.get("/api/v1/log/proof/consistency")
def consistency(
    session: DB,
    old: Annotated[int, Query(ge=1, le=resources.MAX_INT)],
    new: Annotated[int, Query(ge=1, le=resources.MAX_INT)],
) -> dict[str, Any]:
    """Consistency proof between the log at size ``old`` and at size ``new``."""
    return service.consistency_view(session, old, new)


@router.get(
    "/api/v1/log/checkpoints/{size}", response_class=PlainTextResponse, responses={200: _NOTE}
)
def checkpoint_at(size: Size, session: DB) -> PlainTextResponse:
    """A checkpoint published earlier, by its tree size."""
    return PlainTextResponse(service.checkpoint_at(session, size).note)


@router.get("/api/v1/log/keys")
def public_keys(session: DB) -> list[dict[str, Any]]:
    """Every public key, active and retired: the log's and each organisation's DCC keys."""
    return [keys.key_info(k) for k in keys.list_keys(session)]
