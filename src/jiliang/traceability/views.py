"""Pages of the traceability chain: the chain of a certificate, record or instrument as a graph
drawn by the server (SVG; zoom and click with our own small script) and as a table, the
registration of external certificates and trace links, and the nightly reports."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from jiliang.api.deps import DB, optional_principal, request_lang
from jiliang.calibration.models import CalibrationRecord
from jiliang.core.errors import Forbidden
from jiliang.core.security import Principal
from jiliang.orgs.models import Organisation
from jiliang.traceability import service
from jiliang.traceability.chain import KIND_WORDS, check_record
from jiliang.web import views as web
from jiliang.web.views import add_nav, add_templates, need_user, render

HERE = Path(__file__).parent
add_templates(HERE / "templates")
add_nav("/trace", ("量值溯源", "Traceability"),
        frozenset({"admin", "regulator", "lab_manager", "metrologist", "reviewer", "approver"}))

router = APIRouter(include_in_schema=False)
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]

GAP_CODES: dict[str, tuple[str, str]] = {
    "no_link": ("无有效溯源关系", "No trace link in force"),
    "no_reference": ("未登记所用标准", "No standard recorded"),
    "link_expired": ("溯源已过期", "Trace link expired"),
    "standard_assessment_lapsed": ("计量标准考核失效", "Standard assessment lapsed"),
    "standard_retired": ("计量标准已停用", "Standard retired"),
    "device_certificate_lapsed": ("标准器证书失效", "Device certificate lapsed"),
    "device_retired": ("标准器已停用", "Device retired"),
    "material_expired": ("标准物质过期", "RM lot expired"),
    "material_retired": ("标准物质已停用", "RM lot retired"),
    "source_revoked": ("来源证书已撤销", "Source revoked"),
    "source_superseded": ("来源已被替代", "Source superseded"),
    "source_not_approved": ("来源记录未批准", "Source not approved"),
    "source_expired": ("来源证书已过期", "Source certificate expired"),
    "uncertainty_inversion": ("不确定度倒挂", "Uncertainty inversion"),
    "no_terminal": ("未溯源至终点", "No terminal node"),
    "cycle": ("溯源成环", "Cycle"),
    "unknown_subject": ("对象不存在", "Unknown subject"),
}

# ------------------------------------------------------------------ the graph

BOX_W, BOX_H, ROW_H, COL_W, PAD = 190, 54, 116, 214, 24


def _short(text: str, n: int = 20) -> str:
    text = str(text or "")
    return text if len(text) <= n else text[: n - 1] + "…"


def _node_detail(n: dict, lang: str) -> dict[str, Any]:
    zh, en = KIND_WORDS.get(n["kind"], (n["kind"], n["kind"]))
    detail = {"kind": en if lang == "en" else zh, "label": n.get("label"), "issuer": n.get("issuer"),
              "date": n.get("date"), "valid_until": n.get("valid_until"), "url": n.get("url"),
              "gap": n.get("gap", False)}
    if n.get("u") is not None:
        detail["U"] = f"{n['u']:g} {n.get('unit') or ''}".strip()
    if n.get("tur") is not None:
        detail["TUR"] = f"{n['tur']:.2f}"
    if n.get("kcdb"):
        detail["KCDB"] = n["kcdb"]
    if n["kind"] == "terminal":
        detail["terminal"] = n.get("label_en") if lang == "en" else n.get("label_zh")
    return {k: v for k, v in detail.items() if v not in (None, "")}


def chain_svg(result: dict[str, Any], lang: str) -> Markup:
    """The chain drawn top (terminal nodes) to bottom (the checked result), one row per level."""
    nodes = result.get("nodes", [])
    if not nodes:
        return Markup("")
    rows = sorted({n["row"] for n in nodes}, reverse=True)
    by_row = {r: [n for n in nodes if n["row"] == r] for r in rows}
    widest = max(len(v) for v in by_row.values())
    width = max(760, widest * COL_W + 2 * PAD)
    height = len(rows) * ROW_H + 2 * PAD - (ROW_H - BOX_H)
    pos: dict[str, tuple[float, float]] = {}
    for i, r in enumerate(rows):
        items = by_row[r]
        step = (width - 2 * PAD) / len(items)
        for j, n in enumerate(items):
            pos[n["id"]] = (PAD + step * (j + 0.5), PAD + i * ROW_H)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="chain-svg" data-testid="chain-svg" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" '
             f'aria-label="{escape("traceability chain" if lang == "en" else "溯源链")}">']
    for e in result.get("edges", []):
        if e["from"] not in pos or e["to"] not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e["from"]], pos[e["to"]]
        if y1 > y2:  # draw from the upper box to the lower one
            (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
        parts.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1 + BOX_H:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
        if e.get("u") is not None:
            u_text = escape(f"U={e['u']:g} {e.get('unit') or ''}")
            parts.append(f'<text class="edge-label" x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + BOX_H + y2) / 2:.1f}">'
                         f'{u_text}</text>')
    for n in nodes:
        x, y = pos[n["id"]]
        zh, en = KIND_WORDS.get(n["kind"], (n["kind"], n["kind"]))
        cls = "node " + n["kind"] + (" gap" if n.get("gap") else "")
        detail = escape(json.dumps(_node_detail(n, lang), ensure_ascii=False), quote=True)
        title = n.get("label_en") if (n["kind"] == "terminal" and lang == "en") else n.get("label")
        parts.append(
            f'<g class="{cls}" tabindex="0" data-id="{escape(n["id"])}" data-testid="node-{escape(n["id"])}" '
            f'data-detail="{detail}" transform="translate({x - BOX_W / 2:.1f},{y:.1f})">'
            f'<rect width="{BOX_W}" height="{BOX_H}" rx="8"/>'
            f'<text x="10" y="20" class="kind">{escape(en if lang == "en" else zh)}</text>'
            f'<text x="10" y="40" class="label">{escape(_short(title or ""))}</text>'
            f'<title>{escape(str(title or ""))}</title></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _chain_page(request: Request, who: Principal, result: dict, heading: str, back: tuple[str, str] | None):
    lang = request_lang(request)
    result.setdefault("nodes", [])
    for n in result["nodes"]:
        n["step"] = n["row"] // 2 + 1
        n["detail"] = _node_detail(n, lang)
    return render(request, "trace_chain.html", {
        "who": who, "r": result, "svg": chain_svg(result, lang), "heading": heading, "back": back,
        "KIND_WORDS": KIND_WORDS, "GAP_CODES": GAP_CODES,
    })


@router.get("/trace")
def trace_home(request: Request, db: DB, who: MaybeWho, n: str | None = None) -> Response:
    p = need_user(who)
    number = (n or "").replace("\x00", "").strip()[:64]
    if number:
        return RedirectResponse(f"/trace/certificates/{quote(number, safe='')}", 303)
    rows, total = service.list_reports(db, p, 1, 5) if not p.role == "enterprise" else ([], 0)
    return render(request, "trace_home.html", {
        "who": p, "reports": rows, "names": _org_names(db, {r.lab_org_id for r in rows}),
        "is_manager": p.is_admin or p.role == "lab_manager",
    })


@router.get("/trace/certificates/{number}")
def certificate_chain(request: Request, number: str, db: DB, who: MaybeWho) -> Response:
    p = need_user(who)
    cert = service.certificate_for(db, p, number[:64])
    result = check_record(db, db.get(CalibrationRecord, cert.record_id))
    lang = request_lang(request)
    head = (f"Traceability chain of certificate {cert.number}" if lang == "en" else f"证书 {cert.number} 的溯源链")
    return _chain_page(request, p, result, head, (f"/certificates/{quote(cert.number, safe='')}", cert.number))


@router.get("/trace/records/{item_id}")
def record_chain(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    p = need_user(who)
    rec = service.record_for(db, p, item_id)
    lang = request_lang(request)
    head = f"Traceability chain of record {rec.number}" if lang == "en" else f"记录 {rec.number} 的溯源链"
    back = (f"/calibration/{rec.id}", rec.number) if p.is_lab or p.is_admin else None
    return _chain_page(request, p, check_record(db, rec), head, back)


@router.get("/trace/instruments/{item_id}")
def instrument_chain(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    p = need_user(who)
    rec = service.instrument_record(db, p, item_id)
    return RedirectResponse(f"/trace/records/{rec.id}", 303)


# ------------------------------------------------------------------ registering (lab manager)


def _manager(who: Principal) -> Principal:
    if not (who.is_admin or who.role == "lab_manager"):
        raise Forbidden("只有实验室负责人可以登记溯源信息", "Only a lab manager registers traceability")
    return who


def _form(resource, defaults: dict[str, Any]):
    def view(request: Request, db: DB, who: MaybeWho) -> Response:
        p = _manager(need_user(who))
        values = {**defaults(p), **{k: v for k, v in request.query_params.items() if k in
                                     {f.name for f in resource.form_fields}}}
        return web._render_form(request, db, p, resource, None, values, {})

    return view


router.add_api_route("/trace/external-certificates/new",
                     _form(service.EXTERNAL, lambda p: {"holder_org_id": p.org_id or "", "status": "active",
                                                       "issuer_kind": "national_institute", "issuer_country": "CN"}),
                     methods=["GET"])
router.add_api_route("/trace/external-certificates/new", web._save_view(service.EXTERNAL, False), methods=["POST"])
router.add_api_route("/trace/links/new", _form(service.LINKS, lambda p: {"source_kind": "external"}), methods=["GET"])
router.add_api_route("/trace/links/new", web._save_view(service.LINKS, False), methods=["POST"])


# ------------------------------------------------------------------ nightly reports


def _org_names(db, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {o.id: o.name for o in db.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


@router.get("/trace/reports")
def reports_page(request: Request, db: DB, who: MaybeWho, page: int = 1) -> Response:
    p = need_user(who)
    page = max(1, min(page, 100_000))
    rows, total = service.list_reports(db, p, page, 25)
    return render(request, "trace_reports.html", {
        "who": p, "rows": rows, "total": total, "page": page, "pages": max(1, math.ceil(total / 25)),
        "names": _org_names(db, {r.lab_org_id for r in rows}), "GAP_CODES": GAP_CODES,
    })


@router.get("/trace/reports/{item_id}")
def report_page(request: Request, item_id: int, db: DB, who: MaybeWho) -> Response:
    p = need_user(who)
    row = service.get_report(db, p, item_id)
    return render(request, "trace_report.html", {
        "who": p, "row": row, "names": _org_names(db, {row.lab_org_id}), "GAP_CODES": GAP_CODES,
    })
