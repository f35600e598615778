"""REST API of calibration and verification work under /api/v1/calibration (thin: the
service checks permissions and scope, writes and audits)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, StringConstraints

from jiliang.api.deps import DB, principal, request_lang
from jiliang.calibration import interval_policy, lookups, service
from jiliang.calibration.schemas import (
    ComputeIn,
    DecisionIn,
    Kind,
    ProposalIn,
    ReasonIn,
    RecordCreate,
    RecordUpdate,
    SignIn,
)
from jiliang.core import audit
from jiliang.core.resources import MAX_INT
from jiliang.core.security import Principal

router = APIRouter(prefix="/api/v1/calibration", tags=["calibration"])

# commit before the response leaves: a client that follows a redirect (or reads right after a
# 201) must find the row; the default request scope commits only after the response is sent
Who = Annotated[Principal, Depends(principal)]
Lang = Annotated[str, Depends(request_lang)]
ItemId = Annotated[int, Path(ge=1, le=MAX_INT)]


def _data(body: BaseModel) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    if "points" in data and data["points"] is not None:
        data["points"] = [{k: v for k, v in p.items() if v is not None} for p in data["points"]]
    return data


@router.get("/records", summary="Calibration and verification records in the caller's scope")
def list_records(
    db: DB,
    who: Who,
    status: Literal["draft", "submitted", "reviewed", "approved", "returned", "superseded"]
    | None = None,
    instrument_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> dict[str, Any]:
    pg = service.list_records(db, who, status, instrument_id, kind, q, page, per_page)
    return {
        "total": pg.total,
        "page": pg.page,
        "per_page": pg.per_page,
        "items": [service.record_dict(db, r) for r in pg.items],
    }


@router.post("/records", status_code=201, summary="Open a record (draft) with its points")
def create_record(body: RecordCreate, db: DB, who: Who) -> dict[str, Any]:
    rec = service.create_record(db, who, _data(body))
    return service.record_dict(db, rec)


@router.get("/records/{item_id}", summary="One record with points and signatures")
def get_record(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return service.record_dict(db, service.get_record(db, who, item_id))


@router.patch("/records/{item_id}", summary="Change a draft or returned record")
def update_record(item_id: ItemId, body: RecordUpdate, db: DB, who: Who) -> dict[str, Any]:
    return service.record_dict(db, service.update_record(db, who, item_id, _data(body)))


def _sign(step: str):
    def endpoint(item_id: ItemId, body: SignIn, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
        return service.record_dict(db, service.sign(db, who, item_id, step, body.password, lang))

    return endpoint


class ApproveIn(SignIn):
    override_reason: Annotated[str, StringConstraints(max_length=1000)] | None = None


def approve_record(item_id: ItemId, body: ApproveIn, db: DB, who: Who, lang: Lang) -> dict[str, Any]:
    """A broken traceability chain answers 409 with its gaps unless ``override_reason`` is given."""
    rec = service.sign(db, who, item_id, "approved", body.password, lang, body.override_reason)
    return service.record_dict(db, rec)


router.add_api_route(
    "/records/{item_id}/submit",
    _sign("performed"),
    methods=["POST"],
    summary="Sign as the metrologist who did the work (password again)",
)
router.add_api_route(
    "/records/{item_id}/review",
    _sign("reviewed"),
    methods=["POST"],
    summary="Sign as reviewer (核验员)",
)
router.add_api_route(
    "/records/{item_id}/approve",
    approve_record,
    methods=["POST"],
    summary="Sign as approver (批准人); applies the effects on the instrument",
)


@router.post("/records/{item_id}/return", summary="Send a submitted or reviewed record back")
def return_record(item_id: ItemId, body: ReasonIn, db: DB, who: Who) -> dict[str, Any]:
    return service.record_dict(db, service.return_record(db, who, item_id, body.reason))


@router.post(
    "/records/{item_id}/correct",
    status_code=201,
    summary="Open a correction that supersedes an approved record once approved",
)
def correct_record(item_id: ItemId, body: ReasonIn, db: DB, who: Who) -> dict[str, Any]:
    return service.record_dict(db, service.correct(db, who, item_id, body.reason))


@router.get(
    "/records/{item_id}/notice", summary="Verification-result notice data of a failed verification"
)
def record_notice(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    rec = service.get_record(db, who, item_id)
    return {"record_id": rec.id, "notice": rec.notice}


@router.get("/records/{item_id}/audit", summary="Audit trail of a record")
def record_audit(item_id: ItemId, db: DB, who: Who) -> list[dict[str, Any]]:
    rec = service.get_record(db, who, item_id)
    return [
        {
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor_name,
            "action": e.action,
            "before": e.before,
            "after": e.after,
            "reason": e.reason,
        }
        for e in reversed(audit.entries_for(db, service.RECORDS.entity, rec.id))
    ]


@router.post("/compute", summary="Errors, U, TUR and verdicts of points (live form computation)")
def compute(body: ComputeIn, who: Who) -> dict[str, Any]:
    data = _data(body)
    return service.compute(
        data.get("decision_rule"), data.get("uncertainty_model"), data.get("points", [])
    )


@router.get(
    "/instruments", summary="Find instruments by serial number to accept for work (lab roles)"
)
def find_instruments(
    db: DB, who: Who, serial: Annotated[str, Query(max_length=100)] = ""
) -> list[dict]:
    return lookups.find_instruments(db, who, serial)


@router.get(
    "/instruments/{item_id}/history", summary="Records of an instrument and as-found error series"
)
def instrument_history(item_id: ItemId, db: DB, who: Who) -> dict[str, Any]:
    return lookups.instrument_history(db, who, item_id)


@router.get(
    "/lab-resources", summary="The caller's lab standards, devices and RM lots with validity"
)
def lab_resources(db: DB, who: Who, on: date | None = None) -> dict[str, Any]:
    return lookups.lab_resources(db, who, on)


@router.get(
    "/intervals/{type_id}", summary="Interval analysis of an instrument type (RP-1 / OIML D 10)"
)
def intervals(
    type_id: ItemId,
    db: DB,
    who: Who,
    method: Literal["m1", "a3", "s2"] = "a3",
    target: Annotated[float, Query(gt=0, lt=1)] = 0.9,
) -> dict[str, Any]:
    return interval_policy.analyse_intervals(db, who, type_id, method, target)


@router.post(
    "/intervals/{type_id}/proposals",
    status_code=201,
    summary="Propose the recommended interval (applies after a lab manager approves)",
)
def propose(type_id: ItemId, body: ProposalIn, db: DB, who: Who) -> dict[str, Any]:
    return interval_policy.policy_dict(
        interval_policy.propose_interval(db, who, type_id, body.method, body.target)
    )


@router.get("/interval-policies", summary="Interval proposals and approved policies in scope")
def policies(
    db: DB, who: Who, type_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None
) -> list[dict[str, Any]]:
    return [interval_policy.policy_dict(p) for p in interval_policy.list_policies(db, who, type_id)]


@router.post(
    "/interval-policies/{item_id}/decision", summary="Approve or reject a proposed interval"
)
def decide(item_id: ItemId, body: DecisionIn, db: DB, who: Who) -> dict[str, Any]:
    return interval_policy.policy_dict(
        interval_policy.decide_interval(db, who, item_id, body.approve, body.reason)
    )
