"""The uncertainty page (issue 3): model editor with live errors, GUM + MCM results, PDF export.

Thin, like every page: read the model document from the form (or a JSON body), call the kernel
``jiliang.uncertainty.evaluate``, render.  The charts (share bars, MCM histogram with the GUM
Gaussian over it) are SVG drawn here.  The page reads and writes no stored data, so it works
signed in or not.  A bad model is shown in the page with status 422; nothing here answers 500
for anything a user can type.
"""

from __future__ import annotations

import json
import math
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from jiliang import uncertainty
from jiliang.api.deps import optional_principal, request_lang
from jiliang.core.security import Principal
from jiliang.uncertainty_report import (
    fmt,
    fmt_dof,
    fmt_interval,
    fmt_share,
    fmt_with,
    nice_ticks,
    tick_label,
)
from jiliang.web.views import TEMPLATES, add_nav, render

router = APIRouter(include_in_schema=False)
MaybeWho = Annotated[Principal | None, Depends(optional_principal)]

add_nav("/uncertainty", ("不确定度评定", "Uncertainty"))


def _warm_unit_registry() -> None:
    """Create the kernel's shared pint registry once, before requests arrive in threads.

    ``unit_registry()`` is an ``lru_cache``; two first calls at the same time (the live check
    and Compute) each built a registry, and quantities from the two then refused to combine.
    """
    from jiliang.uncertainty import model

    getter = getattr(model, "unit_registry", None)
    if callable(getter):
        getter()


_warm_unit_registry()

DEFAULT_EXAMPLE = "jcgm101_9_3_mass"
MAX_TRIALS = 5_000_000  # the page computes for anyone: keep one request well under a few seconds
MAX_BODY = 2 * 1024 * 1024

EXAMPLE_TITLES_ZH = {
    "jcgm100_h1_end_gauge": "JCGM 100 H.1 量块校准（长度 nm，温度 °C）",
    "jcgm100_h2_impedance": "JCGM 100 H.2 电阻和电抗的同时测量",
    "jcgm101_9_2_4_additive": "JCGM 101 9.2.4 加法模型（三个正态输入、一个矩形输入）",
    "jcgm101_9_3_mass": "JCGM 101 9.3 质量校准",
    "jcgm101_9_4_comparison_loss": "JCGM 101 9.4 微波功率计校准中的比对损耗",
    "jcgm101_9_5_gauge_block": "JCGM 101 9.5 量块校准（相对 50 mm 的偏差，nm）",
}

DIST_NAMES = {
    "normal": ("正态", "normal"),
    "rectangular": ("矩形（均匀）", "rectangular"),
    "triangular": ("三角", "triangular"),
    "trapezoidal": ("梯形", "trapezoidal"),
    "ctrap": ("曲边梯形", "curvilinear trapezoid"),
    "arcsine": ("反正弦（U 形）", "arcsine (U-shaped)"),
    "t": ("t 分布", "scaled t"),
    "exponential": ("指数", "exponential"),
    "observations": ("A 类（观测值）", "Type A (observations)"),
}

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("测量不确定度评定", "Measurement uncertainty"),
    "lead": (
        "按 JJF 1059.1 / JCGM 100（GUM）和 JJF 1059.2 / JCGM 101（蒙特卡洛法）评定。"
        "模型可在 JSON 或表单中编辑，输入时即时检查；点“计算”同时运行 GUM 和蒙特卡洛法。",
        "Evaluated by JCGM 100 (GUM) and JCGM 101 (Monte Carlo). Edit the model as JSON or in "
        "the form; it is checked as you type, and Compute runs both GUM and Monte Carlo.",
    ),
    "model": ("测量模型（JSON）", "Measurement model (JSON)"),
    "example": ("示例", "Example"),
    "choose": ("— 选择示例 —", "— choose an example —"),
    "load": ("载入", "Load"),
    "coverage": ("包含概率", "Coverage probability"),
    "methods": ("方法", "Methods"),
    "gum": ("GUM 法", "GUM"),
    "mcm": ("蒙特卡洛法", "Monte Carlo"),
    "trials": ("试验次数", "Trials"),
    "adaptive": ("自适应", "adaptive"),
    "seed": ("随机种子", "Seed"),
    "compute": ("计算", "Compute"),
    "pdf": ("导出 PDF 报告", "Export PDF report"),
    "json": ("下载模型 JSON", "Download model JSON"),
    "live": ("即时检查", "Live check"),
    "live_idle": ("输入模型后自动检查。", "The model is checked as you type."),
    "checking": ("检查中…", "Checking…"),
    "model_ok": ("模型有效 · GUM", "Model valid · GUM"),
    "json_error": ("JSON 格式错误", "JSON syntax error"),
    "line": ("行", "line"),
    "column": ("列", "column"),
    "position": ("位置", "position"),
    "token": ("记号", "token"),
    "field": ("字段", "field"),
    "error": ("模型有误", "The model has an error"),
    "results": ("结果", "Results"),
    "no_result": (
        "点“计算”查看不确定度分量一览表、直方图和验证结果。",
        "Press Compute to see the budget, the histogram and the validation.",
    ),
    "output": ("输出量", "Output"),
    "estimate": ("估计值", "Estimate"),
    "std_uncertainty": ("标准不确定度", "Standard uncertainty"),
    "dof": ("自由度", "Degrees of freedom"),
    "eff_dof": ("有效自由度", "Effective degrees of freedom"),
    "coverage_factor": ("包含因子 k", "Coverage factor k"),
    "expanded": ("扩展不确定度 U", "Expanded uncertainty U"),
    "interval": ("包含区间", "Coverage interval"),
    "interval_shortest": ("最短包含区间", "Shortest coverage interval"),
    "interval_symmetric": ("概率对称包含区间", "Probabilistically symmetric interval"),
    "budget": ("不确定度分量一览表", "Uncertainty budget"),
    "input": ("输入量", "Input"),
    "distribution": ("分布", "Distribution"),
    "sensitivity": ("灵敏系数 c", "Sensitivity c"),
    "contribution": ("分量 c·u", "Contribution c·u"),
    "share": ("占比 %", "Share %"),
    "shares": ("方差占比", "Shares of the variance"),
    "histogram": ("蒙特卡洛分布与 GUM 高斯曲线", "Monte Carlo distribution and the GUM Gaussian"),
    "validation": ("GUM 法验证（JCGM 101 第 8 章）", "Validation of the GUF (JCGM 101 clause 8)"),
    "delta": ("数值容差 δ", "Numerical tolerance δ"),
    "passed": ("通过：GUM 法结果有效", "Passed: the GUM result is valid"),
    "failed": ("未通过：应采用蒙特卡洛法结果", "Not passed: use the Monte Carlo result"),
    "correlation": ("输出量相关系数矩阵", "Correlation matrix of the outputs"),
    "warnings": ("提示", "Notes"),
    "infinite": ("∞", "∞"),
    "unit": ("单位", "Unit"),
    "gum_interval": ("GUM 区间", "GUM interval"),
    "mcm_interval": ("MCM 最短区间", "MCM shortest interval"),
    "gum_curve": ("GUM 高斯", "GUM Gaussian"),
    "mcm_hist": ("MCM 直方图", "MCM histogram"),
    "too_many_trials": (
        "试验次数过多：页面上最多 {n} 次（可使用命令行或 API）",
        "Too many trials: at most {n} on this page (use the CLI or the API)",
    ),
    "bad_number": ("数值不合法", "Not a valid number"),
    "not_object": ("模型必须是 JSON 对象", "The model must be a JSON object"),
    "too_large": ("模型文档过大", "The model document is too large"),
    "form_view": ("表单", "Form"),
    "equations": ("方程（每行一个）", "Equations (one per line)"),
    "equations_hint": (
        "例如 y = a*x + b；后面的方程可以使用前面方程的输出量。",
        "e.g. y = a*x + b; later equations may use the outputs of earlier ones.",
    ),
    "parameters": ("参数", "Parameters"),
    "add_input": ("添加输入量", "Add input"),
    "remove": ("删除", "Remove"),
    "correlations": (
        "相关系数（每行：输入量 输入量 系数）",
        "Correlations (per line: input input r)",
    ),
    "form_note": (
        "常量、同时观测等其他字段保留在 JSON 中，可在 JSON 视图编辑。",
        "Constants, simultaneous observations and other fields stay in the JSON; edit them there.",
    ),
    "observations": ("观测值（逗号分隔）", "observations (comma-separated)"),
}


def strings(lang: str) -> dict[str, str]:
    i = 1 if lang == "en" else 0
    return {key: pair[i] for key, pair in STRINGS.items()}


def example_title(key: str, lang: str) -> str:
    if lang != "en" and key in EXAMPLE_TITLES_ZH:
        return EXAMPLE_TITLES_ZH[key]
    return str(uncertainty.EXAMPLES[key].get("title", key))


def dist_name(kind: str | None, lang: str) -> str:
    pair = DIST_NAMES.get(kind or "")
    return pair[1 if lang == "en" else 0] if pair else str(kind or "")


# ------------------------------------------------------------------ numbers


# ------------------------------------------------------------------ SVG charts


def shares_svg(budget: list[dict[str, Any]], label: str) -> Markup:
    """Horizontal bars of each input's share of the output variance (%)."""
    rows = [b for b in budget if isinstance(b.get("share"), int | float)]
    row_h, left, width, right = 24, 96, 420, 60
    height = row_h * max(1, len(rows)) + 10
    top = max((abs(b["share"]) for b in rows), default=100.0) or 100.0
    scale = (width - left - right) / max(top, 1e-12)
    parts = [
        f'<svg class="u-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" data-testid="shares-chart" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, b in enumerate(rows):
        y = 5 + i * row_h
        share = float(b["share"])
        w = max(0.0, abs(share) * scale)
        colour = "#1d5c8c" if share >= 0 else "#b2452f"
        name = escape(str(b.get("input", "")))
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
            f'fill="#1f2a33">{name}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="3" '
            f'fill="{colour}" opacity="0.8"><title>{name}: {fmt_share(share)} %</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" font-size="12" fill="#66737f">'
            f"{fmt_share(share)} %</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram_svg(output: dict[str, Any], s: dict[str, str], unit: str | None) -> Markup | None:
    """MCM histogram (density), the GUM Gaussian N(y, u²) over it, and both intervals marked."""
    mcm = output.get("mcm") or {}
    hist = mcm.get("histogram") or {}
    edges, counts = hist.get("edges"), hist.get("counts")
    if not edges or not counts or len(edges) != len(counts) + 1:
        return None
    gum = output.get("gum") or {}
    width, height = 640, 300
    ml, mr, mt, mb = 16, 16, 34, 40
    pw, ph = width - ml - mr, height - mt - mb
    total = float(mcm.get("trials") or sum(counts)) or 1.0
    bin_w = [edges[i + 1] - edges[i] for i in range(len(counts))]
    dens = [c / total / w if w > 0 else 0.0 for c, w in zip(counts, bin_w, strict=True)]
    lo, hi = float(edges[0]), float(edges[-1])
    g_val, g_u = gum.get("value"), gum.get("std_uncertainty")
    has_gum = isinstance(g_val, int | float) and isinstance(g_u, int | float) and g_u > 0
    peak = max(dens) or 1.0
    if has_gum:
        peak = max(peak, 1.0 / (g_u * math.sqrt(2 * math.pi)))
    if not (hi > lo and math.isfinite(peak)):
        return None

    def sx(x: float) -> float:
        return ml + (x - lo) / (hi - lo) * pw

    def sy(d: float) -> float:
        return mt + ph - d / peak * ph * 0.95

    parts = [
        f'<svg class="u-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(s["histogram"])}" data-testid="histogram" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    path = [f"M{sx(lo):.1f},{sy(0):.1f}"]
    for i, d in enumerate(dens):
        path.append(f"L{sx(edges[i]):.1f},{sy(d):.1f}L{sx(edges[i + 1]):.1f},{sy(d):.1f}")
    path.append(f"L{sx(hi):.1f},{sy(0):.1f}Z")
    parts.append(f'<path d="{"".join(path)}" fill="#cfe0ee" stroke="#8fb3d1" stroke-width="1"/>')
    if has_gum:
        pts = []
        for j in range(161):
            x = lo + (hi - lo) * j / 160
            z = (x - g_val) / g_u
            d = math.exp(-0.5 * z * z) / (g_u * math.sqrt(2 * math.pi))
            pts.append(f"{sx(x):.1f},{sy(d):.1f}")
        parts.append(
            f'<polyline points="{" ".join(pts)}" fill="none" stroke="#b2452f" stroke-width="2"/>'
        )
    # axis and ticks
    base = sy(0)
    parts.append(
        f'<line x1="{ml}" y1="{base:.1f}" x2="{ml + pw}" y2="{base:.1f}" stroke="#66737f"/>'
    )
    ticks = nice_ticks(lo, hi, 8)
    for t in ticks:
        x = sx(t)
        parts.append(
            f'<line x1="{x:.1f}" y1="{base:.1f}" x2="{x:.1f}" y2="{base + 5:.1f}" stroke="#66737f"/>'
            f'<text x="{x:.1f}" y="{base + 18:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#66737f">{escape(tick_label(t, ticks))}</text>'
        )
    if unit:
        parts.append(
            f'<text x="{ml + pw}" y="{height - 4}" text-anchor="end" font-size="11" '
            f'fill="#66737f">{escape(unit)}</text>'
        )

    def marks(pair: Any, colour: str, dash: str, cls: str) -> None:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return
        for v in pair:
            if isinstance(v, int | float) and lo <= v <= hi:
                x = sx(v)
                parts.append(
                    f'<line class="{cls}" x1="{x:.1f}" y1="{mt - 4}" x2="{x:.1f}" y2="{base:.1f}" '
                    f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
                )

    marks(gum.get("interval"), "#b2452f", "6 4", "gum-interval")
    marks(mcm.get("interval_shortest"), "#1d5c8c", "0", "mcm-interval")
    # legend
    legend = [
        ("rect", "#cfe0ee", s["mcm_hist"]),
        ("line", "#b2452f", s["gum_curve"]),
        ("dash", "#b2452f", s["gum_interval"]),
        ("line", "#1d5c8c", s["mcm_interval"]),
    ]
    x = ml
    for kind, colour, text in legend:
        if kind == "rect":
            parts.append(
                f'<rect x="{x}" y="8" width="18" height="10" fill="{colour}" stroke="#8fb3d1"/>'
            )
        else:
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            parts.append(
                f'<line x1="{x}" y1="13" x2="{x + 18}" y2="13" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        parts.append(
            f'<text x="{x + 23}" y="17" font-size="12" fill="#1f2a33">{escape(text)}</text>'
        )
        x += 36 + sum(12.5 if ord(c) > 0x2E80 else 7.3 for c in text)
    parts.append("</svg>")
    return Markup("".join(parts))


# ------------------------------------------------------------------ request → document


class PageError(Exception):
    """A problem with what was typed into the page (not a kernel ModelError)."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line
        self.column = column


def parse_model(text: str, s: dict[str, str]) -> dict[str, Any]:
    if len(text) > MAX_BODY:
        raise PageError(s["too_large"], "model")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PageError(f"{s['json_error']}: {exc.msg}", "model", exc.lineno, exc.colno) from None
    if not isinstance(doc, dict):
        raise PageError(s["not_object"], "model")
    return doc


def apply_options(doc: dict[str, Any], form: dict[str, Any], s: dict[str, str]) -> dict[str, Any]:
    """The page's controls (coverage, methods, trials, seed) override the document's fields."""
    doc = dict(doc)
    cov = str(form.get("coverage") or "").strip()
    if cov:
        try:
            doc["coverage"] = float(cov)
        except ValueError:
            raise PageError(f"{s['bad_number']}: {cov}", "coverage") from None
    methods = form.get("methods")
    if methods:
        doc["methods"] = [m for m in methods if m in ("gum", "mcm")] or ["gum"]
    mcm = dict(doc.get("mcm") or {}) if isinstance(doc.get("mcm"), dict) else {}
    trials = str(form.get("trials") or "").strip()
    if trials:
        if trials == "adaptive":
            mcm["trials"] = "adaptive"
            mcm.setdefault("ndig", 2)
        else:
            try:
                mcm["trials"] = int(float(trials))
            except (ValueError, OverflowError):
                raise PageError(f"{s['bad_number']}: {trials}", "trials") from None
    seed = str(form.get("seed") or "").strip()
    if seed:
        try:
            mcm["seed"] = int(seed)
        except ValueError:
            raise PageError(f"{s['bad_number']}: {seed}", "seed") from None
    # a public page: the server picks the threads, and the histogram stays drawable
    mcm.pop("threads", None)
    bins = mcm.get("histogram_bins")
    if isinstance(bins, int | float) and not isinstance(bins, bool) and not 10 <= bins <= 200:
        mcm["histogram_bins"] = 200 if bins > 200 else 10
    if mcm:
        doc["mcm"] = mcm
    if "mcm" in doc.get("methods", ["gum", "mcm"]):
        n = mcm.get("trials")
        if isinstance(n, int | float) and n > MAX_TRIALS:
            raise PageError(s["too_many_trials"].format(n=f"{MAX_TRIALS:,}"), "trials")
        if n == "adaptive":
            cap = mcm.get("max_trials")
            if not isinstance(cap, int | float) or cap > MAX_TRIALS:
                mcm["max_trials"] = MAX_TRIALS
    return doc


def options_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The controls' values for a document (what the page shows next to the editor)."""
    mcm = doc.get("mcm") if isinstance(doc.get("mcm"), dict) else {}
    methods = doc.get("methods") if isinstance(doc.get("methods"), list) else ["gum", "mcm"]
    return {
        "coverage": doc.get("coverage", 0.95),
        "methods": [m for m in methods if m in ("gum", "mcm")],
        "trials": mcm.get("trials", 200_000),
        "seed": mcm.get("seed", 1),
    }


async def read_request(request: Request) -> tuple[str, dict[str, Any], bool]:
    """(model text, control values, wants a fragment) from a form post or a JSON body."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        body = await request.body()
        text = body.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return text, {}, True
        if isinstance(data, dict) and isinstance(data.get("model"), dict | str):
            model = data["model"]
            text = model if isinstance(model, str) else json.dumps(model, ensure_ascii=False)
            opts = {k: data.get(k) for k in ("coverage", "trials", "seed")}
            if isinstance(data.get("methods"), list):
                opts["methods"] = [str(m) for m in data["methods"]]
            return text, {k: v for k, v in opts.items() if v is not None}, True
        return text, {}, True
    form = await request.form()
    opts: dict[str, Any] = {k: form.get(k) for k in ("coverage", "trials", "seed")}
    opts["methods"] = [str(m) for m in form.getlist("methods")]
    wants_fragment = request.headers.get("x-fragment") == "1"
    return str(form.get("model") or ""), opts, wants_fragment


def describe_error(exc: Exception, doc: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    """Message plus where: field, position, token, and the equation with a caret under the spot."""
    if isinstance(exc, PageError):
        return {
            "message": exc.message,
            "field": exc.field,
            "position": exc.column,
            "line": exc.line,
            "token": None,
            "source": None,
        }
    message = exc.message_zh() if lang != "en" and hasattr(exc, "message_zh") else str(exc)
    field = getattr(exc, "field", None)
    position = getattr(exc, "position", None)
    source = None
    if doc and isinstance(field, str) and field.startswith("equations[") and position:
        try:
            idx = int(field[len("equations[") : field.index("]")])
            eq = doc.get("equations", [])[idx]
            if isinstance(eq, str):
                source = eq + "\n" + " " * (int(position) - 1) + "^"
        except (ValueError, IndexError, TypeError):
            source = None
    return {
        "message": message,
        "field": field,
        "position": position,
        "line": None,
        "token": getattr(exc, "token", None),
        "source": source,
    }


def evaluate_page(
    text: str, opts: dict[str, Any], lang: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """(document, result, error) for what the page posted."""
    s = strings(lang)
    doc: dict[str, Any] | None = None
    try:
        doc = parse_model(text, s)
        doc = apply_options(doc, opts, s)
        return doc, uncertainty.evaluate(doc), None
    except (PageError, uncertainty.ModelError) as exc:
        return doc, None, describe_error(exc, doc, lang)
    except (ValueError, TypeError, OverflowError, ArithmeticError, MemoryError) as exc:
        # a kernel bug must still not take the page down; say what happened
        return (
            doc,
            None,
            {
                "message": f"{s['error']}: {exc}",
                "field": None,
                "position": None,
                "line": None,
                "token": None,
                "source": None,
            },
        )


def view_model(result: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Per output: the numbers formatted and the SVG charts drawn."""
    s = strings(lang)
    out = []
    for name, o in (result.get("outputs") or {}).items():
        gum = o.get("gum") or {}
        mcm = o.get("mcm") or {}
        u = gum.get("std_uncertainty", mcm.get("std_uncertainty"))
        budget = []
        for b in gum.get("budget") or []:
            budget.append(
                {
                    "input": b.get("input"),
                    "distribution": dist_name(b.get("distribution"), lang),
                    "estimate": fmt_with(b.get("estimate"), b.get("std_uncertainty")),
                    "std_uncertainty": fmt(b.get("std_uncertainty"), 3),
                    "unit": b.get("unit") or "",
                    "sensitivity": fmt(b.get("sensitivity"), 4),
                    "contribution": fmt(b.get("contribution"), 3),
                    "share": fmt_share(b.get("share")),
                    "share_raw": b.get("share"),
                    "dof": fmt_dof(b.get("dof")),
                }
            )
        out.append(
            {
                "name": name,
                "unit": o.get("unit") or "",
                "gum": gum
                and {
                    "value": fmt_with(gum.get("value"), u),
                    "u": fmt(gum.get("std_uncertainty"), 3),
                    "dof": fmt_dof(gum.get("dof")),
                    "k": fmt(gum.get("coverage_factor"), 4),
                    "U": fmt(gum.get("expanded_uncertainty"), 3),
                    "interval": fmt_interval(gum.get("interval"), u),
                    "coverage": gum.get("coverage"),
                },
                "mcm": mcm
                and {
                    "value": fmt_with(mcm.get("value"), mcm.get("std_uncertainty")),
                    "u": fmt(mcm.get("std_uncertainty"), 3),
                    "shortest": fmt_interval(
                        mcm.get("interval_shortest"), mcm.get("std_uncertainty")
                    ),
                    "symmetric": fmt_interval(
                        mcm.get("interval_symmetric"), mcm.get("std_uncertainty")
                    ),
                    "trials": f"{mcm.get('trials'):,}"
                    if isinstance(mcm.get("trials"), int)
                    else str(mcm.get("trials")),
                    "coverage": mcm.get("coverage"),
                },
                "budget": budget,
                "budget_units": any(b["unit"] for b in budget),
                "shares_svg": shares_svg(gum.get("budget") or [], s["shares"]) if budget else None,
                "histogram_svg": histogram_svg(o, s, o.get("unit")),
                "validation": o.get("validation"),
            }
        )
    return out


def correlation_view(result: dict[str, Any]) -> dict[str, Any] | None:
    corr = result.get("correlation") or {}
    names = corr.get("names") or []
    if len(names) < 2:
        return None
    return {
        "names": names,
        "gum": [[fmt(v, 3) for v in row] for row in corr.get("gum") or []],
        "mcm": [[fmt(v, 3) for v in row] for row in corr.get("mcm") or []],
    }


def dist_options(lang: str) -> list[tuple[str, str]]:
    return [(kind, dist_name(kind, lang)) for kind in DIST_NAMES]


def context(
    lang: str,
    text: str,
    opts: dict[str, Any],
    result: dict[str, Any] | None,
    error: dict[str, Any] | None,
    example: str | None,
) -> dict[str, Any]:
    s = strings(lang)
    examples = [(k, example_title(k, lang)) for k in uncertainty.EXAMPLES]
    return {
        "s": s,
        "model_text": text,
        "opts": opts,
        "example": example,
        "examples": examples,
        "examples_json": Markup(
            json.dumps(uncertainty.EXAMPLES, ensure_ascii=False).replace("</", "<\\/")
        ),
        "strings_json": Markup(
            json.dumps({**s, "dists": dist_options(lang)}, ensure_ascii=False).replace("</", "<\\/")
        ),
        "result": result,
        "outputs": view_model(result, lang) if result else [],
        "correlation": correlation_view(result) if result else None,
        "warnings": (result or {}).get("warnings") or [],
        "error": error,
        "fmt": fmt,
        "max_trials": MAX_TRIALS,
    }


def render_fragment(request: Request, ctx: dict[str, Any], status_code: int) -> HTMLResponse:
    """Only the ``result`` block of the page, for the script to swap in."""
    template = TEMPLATES.env.get_template("uncertainty.html")
    full = {"request": request, "lang": request_lang(request), **ctx}
    html = "".join(template.blocks["result"](template.new_context(full)))
    return HTMLResponse(html, status_code=status_code)


def dump(value: Any, level: int = 0, prefix: int = 0, width: int = 72) -> str:
    """JSON for the editor: indented, but any part that fits on its line stays on one line
    (an input's distribution, a list of observations, a correlation triple)."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or prefix + len(flat) <= width:
        return flat
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = json.dumps(k, ensure_ascii=False)
            items.append(f"{pad}{key}: {dump(v, level + 1, len(pad) + len(key) + 2, width)}")
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    items = [pad + dump(v, level + 1, len(pad), width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"


# ------------------------------------------------------------------ routes


@router.get("/uncertainty")
def page(request: Request, who: MaybeWho, example: str | None = None) -> Response:
    lang = request_lang(request)
    key = example if example in uncertainty.EXAMPLES else DEFAULT_EXAMPLE
    doc = dict(uncertainty.EXAMPLES[key])
    opts = options_of(doc)
    opts["methods"] = ["gum", "mcm"]  # Compute runs both unless the user unticks one
    ctx = context(lang, dump(doc), opts, None, None, key)
    return render(request, "uncertainty.html", {"who": who, **ctx})


@router.post("/uncertainty/compute")
async def compute(request: Request, who: MaybeWho) -> Response:
    lang = request_lang(request)
    text, opts, fragment = await read_request(request)
    doc, result, error = evaluate_page(text, opts, lang)
    shown = {**options_of(doc or {}), **{k: v for k, v in opts.items() if v}}
    ctx = context(lang, text, shown, result, error, None)
    status = 422 if error else 200
    if fragment:
        return render_fragment(request, ctx, status)
    return render(request, "uncertainty.html", {"who": who, **ctx}, status_code=status)


@router.post("/uncertainty/report.pdf")
async def report_pdf(request: Request, who: MaybeWho) -> Response:
    from jiliang.uncertainty_report import build_pdf

    lang = request_lang(request)
    text, opts, _ = await read_request(request)
    doc, result, error = evaluate_page(text, opts, lang)
    if error or doc is None or result is None:
        shown = {**options_of(doc or {}), **{k: v for k, v in opts.items() if v}}
        ctx = context(lang, text, shown, None, error, None)
        return render(request, "uncertainty.html", {"who": who, **ctx}, status_code=422)
    pdf = build_pdf(doc, result, lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": 'attachment; filename="uncertainty-report.pdf"'},
    )
