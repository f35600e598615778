"""Interval analysis per instrument type from approved records (JJF 1139; the methods are in
:mod:`jiliang.intervals`), and the lab's interval policies: a recommendation is proposed and
applies only once a lab manager approves it; every decision is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.calibration.models import CalibrationRecord, IntervalPolicy
from jiliang.calibration.service import POLICIES, RECORDS, _jsonable, _points, approved_interval
from jiliang.core import audit, resources
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jiliang.core.security import Principal
from jiliang.instruments.models import Instrument, InstrumentType


def history_rows(session: Session, who: Principal, type_id: int) -> list[dict[str, Any]]:
    """Calibration history of a type from approved records in scope (one row per interval).

    Each row is the calibration that ended an interval: ``interval_days`` since the previous
    approved record of the same instrument, ``in_tolerance`` when every as-found point was
    accepted, ``as_found_error`` the largest absolute as-found error.
    """
    stmt = (
        RECORDS.policy.scope(who, select(CalibrationRecord))
        .join(Instrument, Instrument.id == CalibrationRecord.instrument_id)
        .where(Instrument.type_id == type_id, CalibrationRecord.status == "approved")
        .order_by(
            CalibrationRecord.instrument_id, CalibrationRecord.performed_on, CalibrationRecord.id
        )
    )
    rows: list[dict[str, Any]] = []
    prev: CalibrationRecord | None = None
    for rec in session.scalars(stmt):
        if prev is not None and prev.instrument_id == rec.instrument_id:
            days = (rec.performed_on - prev.performed_on).days
            if days > 0:
                errors = [abs(p.error) for p in _points(session, rec.id) if p.error is not None]
                rows.append(
                    {
                        "instrument": str(rec.instrument_id),
                        "calibration_date": rec.performed_on.isoformat(),
                        "interval_days": days,
                        "in_tolerance": rec.overall_verdict in ("pass", "conditional_pass"),
                        "as_found_error": max(errors) if errors else None,
                    }
                )
        prev = rec
    return rows


def analyse_intervals(
    session: Session, who: Principal, type_id: int, method: str = "a3", target: float = 0.9
) -> dict[str, Any]:
    """Interval recommendation for a type (:func:`jiliang.intervals.recommend`) with its data."""
    from jiliang import intervals

    itype = session.get(InstrumentType, type_id) if 0 < type_id <= resources.MAX_INT else None
    if itype is None:
        raise NotFound("instrument_type", type_id)
    rows = history_rows(session, who, type_id)
    result = None
    message = None
    if rows:
        try:
            result = intervals.recommend(rows, method, target)
        except intervals.HistoryError as exc:
            raise ValidationFailed.one(
                exc.field or "history", exc.message_zh, exc.message_en
            ) from None
        except ValueError as exc:
            raise ValidationFailed.one(
                "history", f"无法计算：{exc}", f"cannot compute: {exc}"
            ) from None
        result = _jsonable(result)
    else:
        message = (
            "尚无同一器具前后两次已批准的记录，无法分析",
            "No instrument has two approved records yet",
        )
    policy = approved_interval(session, who.org_id, type_id) if who.org_id else None
    return {
        "type": {
            "id": itype.id,
            "code": itype.code,
            "name_zh": itype.name_zh,
            "name_en": itype.name_en,
            "period_months": itype.period_months,
        },
        "method": method,
        "target": target,
        "rows": rows,
        "result": result,
        "message": message,
        "approved_interval_days": policy.interval_days if policy else None,
    }


def propose_interval(
    session: Session, who: Principal, type_id: int, method: str, target: float
) -> IntervalPolicy:
    """Record a recommendation as a proposal; it applies only once a lab manager approves it."""
    if not who.is_lab or who.org_id is None:
        raise Forbidden("只有实验室人员可以提出周期建议", "Only lab staff propose intervals")
    analysis = analyse_intervals(session, who, type_id, method, target)
    result = analysis["result"]
    if not result or not result.get("recommended_interval_days"):
        raise Conflict("数据不足，没有可采纳的建议", "Not enough data for a recommendation")
    pol = IntervalPolicy(
        lab_org_id=who.org_id,
        type_id=type_id,
        method=method,
        target=target,
        current_interval_days=result.get("current_interval_days"),
        interval_days=int(result["recommended_interval_days"]),
        confidence=result.get("confidence"),
        result={"result": result, "rows": analysis["rows"]},
        status="proposed",
        proposed_by=who.user_id,
    )
    session.add(pol)
    session.flush()
    audit.record(
        session,
        who,
        "propose",
        POLICIES.entity,
        pol.id,
        after={k: v for k, v in audit.snapshot(pol).items() if k != "result"},
    )
    return pol


def decide_interval(
    session: Session, who: Principal, ident: Any, approve: bool, reason: str | None
) -> IntervalPolicy:
    """A lab manager approves (applies) or rejects a proposed interval; audited with a reason."""
    pol = resources.get(session, who, POLICIES, ident)
    if who.role != "lab_manager" or who.org_id != pol.lab_org_id:
        raise Forbidden(
            "只有本实验室负责人可以批准周期调整", "Only this lab's manager decides intervals"
        )
    if pol.status != "proposed":
        raise Conflict("该建议已处理", "This proposal has already been decided")
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.one("reason", "须填写理由", "a reason is required")
    before = {k: v for k, v in audit.snapshot(pol).items() if k != "result"}
    pol.status = "approved" if approve else "rejected"
    pol.decided_by, pol.decided_at, pol.decision_reason = who.user_id, utcnow(), text[:1000]
    session.flush()
    after = {k: v for k, v in audit.snapshot(pol).items() if k != "result"}
    audit.record(
        session,
        who,
        "approve" if approve else "reject",
        POLICIES.entity,
        pol.id,
        before,
        after,
        text,
    )
    return pol


def list_policies(
    session: Session, who: Principal, type_id: int | None = None
) -> list[IntervalPolicy]:
    filters = {"type_id": str(type_id or "")}
    return resources.list_page(session, who, POLICIES, None, filters, None, 1, 100).items


def policy_dict(pol: IntervalPolicy) -> dict[str, Any]:
    out = {k: v for k, v in audit.snapshot(pol).items() if k != "result"}
    return out
