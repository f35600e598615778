"""Pages of calibration work: work list, queues, record form (live computation through our
own script and the API), record detail with signatures and audit trail, instrument history
with server-drawn control charts, interval analysis per instrument type."""

from __future__ import annotations

import json
import math
from datetime import date
from html import escape
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.calibration import interval_policy, lookups, service
from jiliang.calibration.models import KINDS, RECORD_STATES, CalibrationRecord
from jiliang.conformity import RULE_KINDS, VERDICTS
from jiliang.core import audit
from jiliang.core.errors import DomainError, Forbidden, NotFound
from jiliang.core.security import Principal
from jiliang.instruments.models import STATUSES as INSTRUMENT_STATUSES
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.orgs.models import Organisation
from jiliang.web.views import add_nav, add_templates, check_csrf, need_user, render

HERE = Path(__file__).parent
add_templates(HERE / "templates")
add_nav(
    "/calibration",
    ("检定校准", "Calibration"),
    frozenset({"admin", "lab_manager", "metrologist", "reviewer", "approver"}),
)

router = APIRouter(include_in_schema=False)
# commit before the response leaves: a client that follows a redirect (or reads right after a
# 201) must find the row; the default request scope commits only after the response is sent
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]

RULE_LABELS = {
    "simple": ("简单接受（w = 0）", "Simple acceptance (w = 0)"),
    "guard_band": ("保护带 w = r·U", "Guard band w = r·U"),
    "pfa_target": ("按目标误判接受概率", "Guard band for a target PFA"),
    "non_binary": ("非二元判定", "Non-binary statement"),
}

# default model for JJG 539 (digital indicating scales): error = indication - nominal, with the
# rounding of the indication (change-point method, ±0.1 e, e = 10 g) and the test weights (F2)
DEFAULT_MODELS = {
    "JJG 539": {
        "equations": ["E = indication - nominal + d_ind + d_ref"],
        "inputs": {
            "d_ind": {"dist": "rectangular", "low": -0.001, "high": 0.001},
            "d_ref": {"dist": "normal", "mean": 0, "std": 0.0005},
        },
        "coverage": 0.95,
    }
}




def _names(db: Session, recs: list[CalibrationRecord]) -> dict[str, dict[int, str]]:
    inst_ids = {r.instrument_id for r in recs}
    org_ids = {r.customer_org_id for r in recs} | {r.lab_org_id for r in recs}
    insts = (
        {
            i.id: i.serial_no
            for i in db.scalars(select(Instrument).where(Instrument.id.in_(inst_ids)))
        }
        if inst_ids
        else {}
    )
    orgs = (
        {o.id: o.name for o in db.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))}
        if org_ids
        else {}
    )
    return {"inst": insts, "org": orgs}


QUEUES = {
    "review": ("submitted", ("核验队列", "Review queue")),
    "approval": ("reviewed", ("批准队列", "Approval queue")),
    "drafts": ("draft", ("草稿", "Drafts")),
    "returned": ("returned", ("已退回", "Returned")),
}


@router.get("/calibration")
def work_list(
    request: Request, db: DB, who: MaybeWho, status: str = "", q: str = "", page: int = 1
) -> Response:
    who = need_user(who)
    return _list(request, db, who, status if status in RECORD_STATES else "", q, page, None)


@router.get("/calibration/queue/{queue}")
def queue(request: Request, queue: str, db: DB, who: MaybeWho, page: int = 1) -> Response:
    who = need_user(who)
    if queue not in QUEUES:
        raise NotFound("queue", queue)
    return _list(request, db, who, QUEUES[queue][0], "", page, queue)


def _list(request, db, who, status, q, page, queue_name) -> Response:
    pg = service.list_records(
        db, who, status or None, None, None, q or None, max(1, min(page, 100_000)), 25
    )
    return render(
        request,
        "calibration_list.html",
        {
            "who": who,
            "page": pg,
            "names": _names(db, pg.items),
            "status": status,
            "q": q,
            "STATES": RECORD_STATES,
            "KINDS": KINDS,
            "VERDICTS": VERDICTS,
            "QUEUES": QUEUES,
            "queue": queue_name,
            "can_write": who.is_admin or who.role in service.WRITERS,
        },
    )


@router.get("/calibration/new")
def new_record(
    request: Request, db: DB, who: MaybeWho, instrument_id: int = 0, serial: str = ""
) -> Response:
    who = need_user(who)
    if not (who.is_admin or who.role in service.WRITERS):
        raise Forbidden()
    if not instrument_id:
        found = lookups.find_instruments(db, who, serial) if serial else []
        return render(
            request, "calibration_pick.html", {"who": who, "serial": serial, "found": found}
        )
    facts = lookups.instrument_facts(db, who, instrument_id)
    code = facts.get("regulation_code") or ""
    model = next((m for k, m in DEFAULT_MODELS.items() if code.startswith(k)), None)
    initial = {
        "instrument_id": facts["id"],
        "kind": "subsequent_verification",
        "procedure_code": code,
        "procedure_title": facts.get("regulation_title") or "",
        "performed_on": date.today().isoformat(),
        "location": "",
        "temperature": None,
        "humidity": None,
        "unit": "kg" if code.startswith("JJG 539") else "",
        "standard_ids": [],
        "device_ids": [],
        "material_ids": [],
        "decision_rule": {"kind": "simple"},
        "uncertainty_model": model,
        "points": [],
    }
    return _form(request, db, who, None, facts, initial)


@router.get("/calibration/{item_id}/edit")
def edit_record(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    rec = service.get_record(db, who, item_id)
    if rec.status not in ("draft", "returned") or not (who.is_admin or who.role in service.WRITERS):
        raise Forbidden("此记录不能修改", "This record cannot be changed")
    facts = lookups.instrument_facts(db, service._acting(who), rec.instrument_id)
    return _form(request, db, who, rec, facts, service.record_dict(db, rec))


def _form(request, db, who, rec, facts, initial) -> Response:
    on = (
        date.fromisoformat(initial["performed_on"])
        if isinstance(initial["performed_on"], str)
        else initial["performed_on"]
    )
    return render(
        request,
        "calibration_form.html",
        {
            "who": who,
            "rec": rec,
            "inst": facts,
            "KINDS": KINDS,
            "RULE_KINDS": RULE_KINDS,
            "RULE_LABELS": RULE_LABELS,
            "lab": lookups.lab_resources(db, who, on),
            "initial_json": json.dumps(initial, ensure_ascii=False, default=str).replace(
                "</", "<\\/"
            ),
        },
    )


@router.get("/calibration/assets/record-form.js")
def form_script() -> Response:
    return Response(
        (HERE / "templates" / "record_form.js").read_text(encoding="utf-8"),
        media_type="text/javascript; charset=utf-8",
        headers={"cache-control": "no-cache"},
    )


def _detail(
    request: Request,
    db: Session,
    who: Principal,
    item_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rec = service.get_record(db, who, item_id)
    data = service.record_dict(db, rec)
    inst = db.get(Instrument, rec.instrument_id)
    itype = db.get(InstrumentType, inst.type_id)
    lab = lookups.lab_resources(db, who, rec.performed_on) if who.org_id == rec.lab_org_id else None
    used = []
    if lab:
        for key, ids in (
            ("standards", rec.standard_ids),
            ("devices", rec.device_ids),
            ("materials", rec.material_ids),
        ):
            used += [dict(x, kind=key) for x in lab[key] if x["id"] in (ids or [])]
    entries = audit.entries_for(db, service.RECORDS.entity, rec.id)
    steps = {
        "draft": "performed",
        "returned": "performed",
        "submitted": "reviewed",
        "reviewed": "approved",
    }
    step = steps.get(rec.status)
    may_sign = (
        step is not None and who.org_id == rec.lab_org_id and who.role in service.STEP_ROLES[step]
    )
    may_return = (
        rec.status in ("submitted", "reviewed")
        and who.org_id == rec.lab_org_id
        and who.role in service.STEP_ROLES["reviewed" if rec.status == "submitted" else "approved"]
    )
    writer = who.is_admin or (who.role in service.WRITERS and who.org_id == rec.lab_org_id)
    from jiliang.traceability.chain import blocking_gaps, check_record

    chain = check_record(db, rec, graph=False)
    return render(
        request,
        "calibration_detail.html",
        {
            "chain": chain,
            "chain_blocking": blocking_gaps(chain),
            "who": who,
            "rec": rec,
            "d": data,
            "inst": inst,
            "itype": itype,
            "used": used,
            "entries": entries,
            "names": _names(db, [rec]),
            "STATES": RECORD_STATES,
            "KINDS": KINDS,
            "VERDICTS": VERDICTS,
            "step": step,
            "may_sign": may_sign,
            "may_return": may_return,
            "may_edit": writer and rec.status in ("draft", "returned"),
            "may_correct": writer and rec.status == "approved",
            "error": error,
            "message": request.query_params.get("done"),
        },
        status_code,
    )


def _act(request: Request, db: Session, who: MaybeWho, item_id: int, csrf: str, action, target) -> Response:
    """Run one workflow action from a form: on a refusal, show the record with the message."""
    who = need_user(who)
    check_csrf(request, csrf)
    lang = request_lang(request)
    try:
        result = action(who, lang)
    except DomainError as exc:
        db.rollback()
        return _detail(request, db, who, item_id, exc.message(lang), exc.status_code)
    return RedirectResponse(target(result), status_code=303)


@router.post("/calibration/{item_id}/sign/{step}")
def sign_record(
    request: Request,
    item_id: int,
    step: str,
    db: DB,
    who: MaybeWho,
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    override_reason: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, db, who, item_id, csrf,
                lambda p, lang: service.sign(db, p, item_id, step, password, lang,
                                             override_reason[:1000] or None),
                lambda _: f"/calibration/{item_id}?done={step}")


@router.post("/calibration/{item_id}/return")
def return_record(
    request: Request,
    item_id: int,
    db: DB,
    who: MaybeWho,
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, db, who, item_id, csrf,
                lambda p, _lang: service.return_record(db, p, item_id, reason),
                lambda _: f"/calibration/{item_id}?done=returned")


@router.post("/calibration/{item_id}/correct")
def correct_record(
    request: Request,
    item_id: int,
    db: DB,
    who: MaybeWho,
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, db, who, item_id, csrf,
                lambda p, _lang: service.correct(db, p, item_id, reason),
                lambda new: f"/calibration/{new.id}/edit")


# ------------------------------------------------------------------ history and control chart


def control_chart_svg(
    points: list[dict], title: str, unit: str, lang: str, width: int = 640, height: int = 240
) -> str:
    """A control chart of the as-found error of one nominal point over time (server-drawn SVG).

    The centre line is the mean error; the control limits are mean ± 3 s (s the sample
    standard deviation, shown with two or more results); the MPE limits are dashed.
    """
    left, right, top, bottom = 100, 16, 28, 34
    dates = [date.fromisoformat(p["date"]) for p in points]
    errors = [p["error"] for p in points]
    n = len(errors)
    mean = sum(errors) / n
    s = math.sqrt(sum((e - mean) ** 2 for e in errors) / (n - 1)) if n > 1 else 0.0
    lo_mpe = next(
        (p["mpe_lower"] for p in reversed(points) if p.get("mpe_lower") is not None), None
    )
    hi_mpe = next(
        (p["mpe_upper"] for p in reversed(points) if p.get("mpe_upper") is not None), None
    )
    values = errors + [v for v in (lo_mpe, hi_mpe) if v is not None]
    if n > 1:
        values += [mean - 3 * s, mean + 3 * s]
    y_min, y_max = min(values + [0.0]), max(values + [0.0])
    if y_max - y_min < 1e-12:
        y_min, y_max = y_min - 1, y_max + 1
    pad = (y_max - y_min) * 0.08
    y_min, y_max = y_min - pad, y_max + pad
    d0, d1 = min(dates).toordinal(), max(dates).toordinal()
    span = max(d1 - d0, 1)

    def x(d: date) -> float:
        return left + (width - left - right) * ((d.toordinal() - d0) / span if d1 > d0 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - y_min) / (y_max - y_min))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="control-chart" aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" font-size="13" fill="#1f2a33">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#99a3ad"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#99a3ad"/>',
    ]

    def hline(v: float, color: str, dash: str, label: str) -> None:
        parts.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="{color}" '
            f'stroke-dasharray="{dash}"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="{color}">'
            f"{escape(label)}</text>"
        )

    for v, name in ((lo_mpe, "MPE"), (hi_mpe, "MPE")):
        if v is not None:
            hline(v, "#b2452f", "6 4", f"{name} {v:g}")
    hline(mean, "#1d5c8c", "", ("均值 " if lang != "en" else "mean ") + f"{mean:.4g}")
    if n > 1 and s > 0:
        hline(mean + 3 * s, "#66737f", "2 3", "UCL")
        hline(mean - 3 * s, "#66737f", "2 3", "LCL")
    coords = [(x(d), y(e)) for d, e in zip(dates, errors, strict=True)]
    if n > 1:
        parts.append(
            '<polyline fill="none" stroke="#1d5c8c" stroke-width="1.5" points="'
            + " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
            + '"/>'
        )
    for (a, b), p in zip(coords, points, strict=True):
        bad = p.get("verdict") in ("fail", "conditional_fail")
        parts.append(
            f'<circle cx="{a:.1f}" cy="{b:.1f}" r="4" fill="{"#b2452f" if bad else "#1d5c8c"}">'
            f"<title>{escape(p['date'])} {escape(p['record'])}: {p['error']:g} {escape(unit)}</title></circle>"
        )
    for d in sorted(set(dates)):
        parts.append(
            f'<text x="{x(d):.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle" '
            f'fill="#66737f">{d.isoformat()}</text>'
        )
    parts.append(
        f'<text x="12" y="{top + (height - top - bottom) / 2:.0f}" font-size="10" fill="#66737f" '
        f'transform="rotate(-90 12 {top + (height - top - bottom) / 2:.0f})" text-anchor="middle">'
        f"{'示值误差' if lang != 'en' else 'as-found error'} {escape(unit)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


@router.get("/calibration/instruments/{instrument_id}")
def instrument_history(request: Request, instrument_id: int, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    hist = lookups.instrument_history(db, who, instrument_id)
    unit = ""
    if hist["records"]:
        last = db.get(CalibrationRecord, hist["records"][-1]["id"])
        unit = last.unit or ""
    charts = [
        (
            s["nominal"],
            control_chart_svg(
                s["points"],
                ("标称值 " if lang != "en" else "nominal ") + f"{s['nominal']:g} {unit}",
                unit,
                lang,
            ),
        )
        for s in hist["series"]
    ]
    return render(
        request,
        "calibration_history.html",
        {
            "who": who,
            "hist": hist,
            "INSTRUMENT_STATUSES": INSTRUMENT_STATUSES,
            "charts": charts,
            "STATES": RECORD_STATES,
            "KINDS": KINDS,
            "VERDICTS": VERDICTS,
        },
    )


# ------------------------------------------------------------------ interval analysis


def reliability_svg(plot: Any, lang: str, width: int = 640, height: int = 240) -> str | None:
    """Observed in-tolerance fraction against interval (points), the fitted curve, the
    reliability target (dashed, red) and the recommended interval (dashed, green)."""
    if not isinstance(plot, dict):
        return None
    obs = plot.get("observed") or plot.get("points") or []
    curve = plot.get("curve") or plot.get("model") or []
    pts = [
        (float(p.get("interval_days", p.get("x", 0))), float(p.get("reliability", p.get("y", 0))))
        for p in obs
        if isinstance(p, dict)
    ]
    cur = [
        (float(p.get("interval_days", p.get("x", 0))), float(p.get("reliability", p.get("y", 0))))
        for p in curve
        if isinstance(p, dict)
    ]
    if not pts and not cur:
        return None
    left, right, top, bottom = 48, 16, 16, 30
    xs = [a for a, _ in pts + cur] or [1.0]
    x_max = max(xs) * 1.05 or 1.0

    def x(v: float) -> float:
        return left + (width - left - right) * v / x_max

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - max(0.0, min(1.0, v)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="reliability-plot" role="img">',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#99a3ad"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#99a3ad"/>',
    ]
    for v in (0, 0.5, 0.9, 1.0):
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="#66737f">{v:g}</text>'
        )
    target = plot.get("target")
    if isinstance(target, int | float) and 0 < target < 1:
        parts.append(
            f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - right}" y2="{y(target):.1f}" '
            f'stroke="#b2452f" stroke-dasharray="6 4"><title>target {target:g}</title></line>'
        )
    rec_days = plot.get("recommended_interval_days")
    if isinstance(rec_days, int | float) and 0 < rec_days <= x_max:
        parts.append(
            f'<line x1="{x(rec_days):.1f}" y1="{top}" x2="{x(rec_days):.1f}" y2="{height - bottom}" '
            f'stroke="#2f7a4d" stroke-dasharray="3 3"><title>{rec_days:g} d</title></line>'
        )
    if cur:
        parts.append(
            '<polyline fill="none" stroke="#1d5c8c" points="'
            + " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in cur)
            + '"/>'
        )
    for a, b in pts:
        parts.append(
            f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="4" fill="#2f7a4d"><title>{a:g} d: {b:.3g}</title></circle>'
        )
    parts.append(
        f'<text x="{width - right}" y="{height - 6}" font-size="10" text-anchor="end" fill="#66737f">'
        f"{'间隔（天）' if lang != 'en' else 'interval (days)'} · {x_max / 1.05:.0f}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


@router.get("/calibration/intervals")
def interval_types(request: Request, db: DB, who: MaybeWho) -> Response:
    who = need_user(who)
    stmt = (
        service.RECORDS.policy.scope(who, select(InstrumentType).distinct())
        .join(Instrument, Instrument.type_id == InstrumentType.id)
        .join(CalibrationRecord, CalibrationRecord.instrument_id == Instrument.id)
        .order_by(InstrumentType.code)
    )
    types = list(db.scalars(stmt))
    return render(request, "calibration_intervals.html", {"who": who, "types": types, "a": None})


@router.get("/calibration/intervals/{type_id}")
def interval_analysis(
    request: Request,
    type_id: int,
    db: DB,
    who: MaybeWho,
    method: str = "a3",
    target: float = 0.9,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    who = need_user(who)
    lang = request_lang(request)
    method = method if method in ("m1", "a3", "s2") else "a3"
    target = target if 0 < target < 1 else 0.9
    a = interval_policy.analyse_intervals(db, who, type_id, method, target)
    plot = reliability_svg((a["result"] or {}).get("plot"), lang) if a["result"] else None
    pols = (
        interval_policy.list_policies(db, who, type_id)
        if (who.is_admin or who.is_lab or who.is_regulator)
        else []
    )
    return render(
        request,
        "calibration_intervals.html",
        {
            "who": who,
            "types": None,
            "a": a,
            "plot": plot,
            "policies": pols,
            "error": error,
        },
        status_code,
    )


@router.post("/calibration/intervals/{type_id}/propose")
def interval_propose(
    request: Request,
    type_id: int,
    db: DB,
    who: MaybeWho,
    method: Annotated[str, Form()] = "a3",
    target: Annotated[float, Form()] = 0.9,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    try:
        interval_policy.propose_interval(
            db, who, type_id, method if method in ("m1", "a3", "s2") else "a3", target
        )
    except DomainError as exc:
        db.rollback()
        return interval_analysis(
            request,
            type_id,
            db,
            who,
            method,
            target,
            exc.message(request_lang(request)),
            exc.status_code,
        )
    return RedirectResponse(f"/calibration/intervals/{type_id}?method={method}", status_code=303)


@router.post("/calibration/intervals/policies/{policy_id}/decide")
def interval_decide(
    request: Request,
    policy_id: int,
    db: DB,
    who: MaybeWho,
    approve: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    who = need_user(who)
    check_csrf(request, csrf)
    pol = interval_policy.decide_interval(db, who, policy_id, approve == "1", reason)
    return RedirectResponse(f"/calibration/intervals/{pol.type_id}", status_code=303)


# last: "/calibration/{item_id}" must not shadow the fixed paths above
@router.get("/calibration/{item_id}")
def record_detail(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    return _detail(request, db, need_user(who), item_id)
