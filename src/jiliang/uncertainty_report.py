"""PDF report of an uncertainty evaluation (issue 3): model, inputs, budget, results, validation.

Built with reportlab and its built-in CID font ``STSong-Light`` (Adobe-GB1), so Chinese text needs
no font file.  The histogram is drawn with ``reportlab.graphics``.  Input: the model document
that was evaluated and the result of :func:`jiliang.uncertainty.evaluate`.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
MONO = "Courier"
INK = colors.HexColor("#1f2a33")
MUTED = colors.HexColor("#66737f")
LINE = colors.HexColor("#dde3e8")
ACCENT = colors.HexColor("#1d5c8c")
WARN = colors.HexColor("#b2452f")
OK = colors.HexColor("#2f7a4d")
HIST = colors.HexColor("#cfe0ee")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("测量不确定度评定报告", "Measurement uncertainty evaluation report"),
    "generated": ("生成时间", "Generated"),
    "method_note": (
        "依据 JCGM 100（GUM，JJF 1059.1）与 JCGM 101（蒙特卡洛法，JJF 1059.2）。",
        "By JCGM 100 (GUM) and JCGM 101 (Monte Carlo method).",
    ),
    "model": ("测量模型", "Measurement model"),
    "constants": ("常量", "Constants"),
    "inputs": ("输入量", "Input quantities"),
    "name": ("名称", "Name"),
    "distribution": ("分布", "Distribution"),
    "estimate": ("估计值", "Estimate"),
    "u": ("标准不确定度", "Std. uncertainty"),
    "unit": ("单位", "Unit"),
    "dof": ("自由度", "DoF"),
    "output": ("输出量", "Output"),
    "budget": ("不确定度分量一览表", "Uncertainty budget"),
    "sensitivity": ("灵敏系数", "Sensitivity"),
    "contribution": ("分量 c·u", "Contribution"),
    "share": ("占比 %", "Share %"),
    "gum": ("GUM 法（JCGM 100）", "GUM (JCGM 100)"),
    "mcm": ("蒙特卡洛法（JCGM 101）", "Monte Carlo method (JCGM 101)"),
    "eff_dof": ("有效自由度", "Effective DoF"),
    "k": ("包含因子 k", "Coverage factor k"),
    "U": ("扩展不确定度 U", "Expanded uncertainty U"),
    "interval": ("包含区间", "Coverage interval"),
    "p": ("包含概率", "Coverage probability"),
    "shortest": ("最短包含区间", "Shortest coverage interval"),
    "symmetric": ("概率对称包含区间", "Probabilistically symmetric interval"),
    "trials": ("试验次数", "Trials"),
    "validation": ("GUM 法验证（JCGM 101 第 8 章）", "Validation of the GUF (JCGM 101 clause 8)"),
    "delta": ("数值容差 δ", "Numerical tolerance δ"),
    "passed": ("通过：GUM 法结果有效", "Passed: the GUM result is valid"),
    "failed": ("未通过：应采用蒙特卡洛法结果", "Not passed: use the Monte Carlo result"),
    "histogram": (
        "蒙特卡洛直方图、GUM 高斯曲线与包含区间",
        "Monte Carlo histogram, GUM Gaussian and coverage intervals",
    ),
    "legend": (
        "浅蓝：MCM 直方图；红线：GUM 高斯；红虚线：GUM 区间；蓝线：MCM 最短区间",
        "light blue: MCM histogram; red: GUM Gaussian; red dashed: GUM interval; "
        "blue: MCM shortest interval",
    ),
    "warnings": ("提示", "Notes"),
    "footer": ("计量 Jiliang · 测量不确定度评定", "Jiliang · measurement uncertainty"),
}

DIST = {
    "normal": ("正态", "normal"),
    "rectangular": ("矩形", "rectangular"),
    "triangular": ("三角", "triangular"),
    "trapezoidal": ("梯形", "trapezoidal"),
    "ctrap": ("曲边梯形", "curvilinear trapezoid"),
    "arcsine": ("反正弦", "arcsine"),
    "t": ("t 分布", "scaled t"),
    "exponential": ("指数", "exponential"),
    "observations": ("A 类（观测值）", "Type A (observations)"),
}


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def fmt(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; ``None`` (infinite dof) is ∞."""
    if x is None:
        return "∞"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def fmt_with(value: Any, u: Any) -> str:
    """``value`` rounded to the last digit that two significant digits of ``u`` show."""
    if not isinstance(value, int | float) or not isinstance(u, int | float):
        return fmt(value)
    if not (math.isfinite(value) and math.isfinite(u)) or u <= 0:
        return fmt(value, 8)
    if value == 0:
        return "0"
    eu = math.floor(math.log10(u))
    decimals = 1 - eu
    if 0 <= decimals <= 6 and abs(value) < 1e12:
        return f"{value:.{decimals}f}"
    if decimals < 0 and abs(value) < 1e12 and abs(value) >= 10 ** (-decimals):
        return f"{round(value, decimals):.0f}"
    ev = math.floor(math.log10(abs(value))) if value else eu
    sig = max(2, ev - eu + 2)
    return fmt(value, sig)


def fmt_dof(x: Any) -> str:
    if x is None:
        return "∞"
    if isinstance(x, int | float) and math.isfinite(x):
        return f"{x:.1f}".rstrip("0").rstrip(".") if x < 1e6 else "∞"
    return "∞"


def fmt_interval(pair: Any, u: Any) -> str:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return "—"
    return f"[{fmt_with(pair[0], u)}, {fmt_with(pair[1], u)}]"


def fmt_share(x: Any) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    if abs(x) < 0.05:
        return "<0.1" if x > 1e-9 else "0.0"
    return f"{x:.1f}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round axis ticks (steps of 1, 2, 2.5 or 5 × 10^k) within [lo, hi]."""
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return [lo]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step)
    out = []
    i = 0
    while (first + i) * step <= hi + step * 1e-9:
        x = (first + i) * step
        out.append(0.0 if abs(x) < step * 1e-9 else x)
        i += 1
    return out


def tick_label(x: float, ticks: list[float]) -> str:
    """A tick's label with as many decimals as the step needs (significant digits when the
    numbers are very large or very small)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(x) or 1.0
    big = max(abs(t) for t in ticks) or 1.0
    if big >= 1e6 or big < 1e-3:
        return fmt(x, max(3, int(math.log10(big / step)) + 2))
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{x:.{decimals}f}"


def histogram_drawing(
    output: dict[str, Any], width: float = 160 * mm, height: float = 62 * mm
) -> Drawing | None:
    """MCM histogram (density) with the GUM Gaussian and both coverage intervals."""
    unit = output.get("unit") or ""
    mcm = output.get("mcm") or {}
    hist = mcm.get("histogram") or {}
    edges, counts = hist.get("edges"), hist.get("counts")
    if not edges or not counts or len(edges) != len(counts) + 1:
        return None
    gum = output.get("gum") or {}
    lo, hi = float(edges[0]), float(edges[-1])
    if not hi > lo:
        return None
    total = float(mcm.get("trials") or sum(counts)) or 1.0
    dens = [
        c / total / (edges[i + 1] - edges[i]) if edges[i + 1] > edges[i] else 0.0
        for i, c in enumerate(counts)
    ]
    g_val, g_u = gum.get("value"), gum.get("std_uncertainty")
    has_gum = isinstance(g_val, int | float) and isinstance(g_u, int | float) and g_u > 0
    peak = max(dens) or 1.0
    if has_gum:
        peak = max(peak, 1.0 / (g_u * math.sqrt(2 * math.pi)))
    left, bottom, pw, ph = 4.0, 14.0, width - 8.0, height - 20.0

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * pw

    def sy(d: float) -> float:
        return bottom + d / peak * ph * 0.95

    drawing = Drawing(width, height)
    for i, d in enumerate(dens):
        x0, x1 = sx(edges[i]), sx(edges[i + 1])
        if d > 0:
            drawing.add(
                Rect(
                    x0,
                    bottom,
                    max(x1 - x0, 0.1),
                    sy(d) - bottom,
                    fillColor=HIST,
                    strokeColor=colors.HexColor("#8fb3d1"),
                    strokeWidth=0.3,
                )
            )
    if has_gum:
        pts: list[float] = []
        for j in range(121):
            x = lo + (hi - lo) * j / 120
            z = (x - g_val) / g_u
            pts += [sx(x), sy(math.exp(-0.5 * z * z) / (g_u * math.sqrt(2 * math.pi)))]
        drawing.add(PolyLine(pts, strokeColor=WARN, strokeWidth=1.2))
    drawing.add(Line(left, bottom, left + pw, bottom, strokeColor=MUTED, strokeWidth=0.6))

    def mark(pair: Any, colour: colors.Color, dash: list[float] | None) -> None:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return
        for v in pair:
            if isinstance(v, int | float) and lo <= v <= hi:
                drawing.add(
                    Line(
                        sx(v),
                        bottom,
                        sx(v),
                        bottom + ph,
                        strokeColor=colour,
                        strokeWidth=1.2,
                        strokeDashArray=dash,
                    )
                )

    mark(gum.get("interval"), WARN, [3, 2])
    mark(mcm.get("interval_shortest"), ACCENT, None)
    ticks = nice_ticks(lo, hi, 8)
    for t in ticks:
        drawing.add(Line(sx(t), bottom, sx(t), bottom - 3, strokeColor=MUTED, strokeWidth=0.6))
        drawing.add(
            String(
                sx(t),
                3,
                tick_label(t, ticks),
                fontName="Helvetica",
                fontSize=7,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
    if unit:
        drawing.add(
            String(
                left + pw,
                height - 8,
                unit,
                fontName="Helvetica",
                fontSize=7,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    return drawing


def build_pdf(doc: dict[str, Any], result: dict[str, Any], lang: str = "zh") -> bytes:
    """The report as PDF bytes (A4)."""
    _register_font()
    i = 1 if lang == "en" else 0

    def tx(key: str) -> str:
        return TEXT[key][i]

    base = ParagraphStyle(
        "base", fontName=FONT, fontSize=9.5, leading=14, textColor=INK, alignment=TA_LEFT
    )
    title = ParagraphStyle("title", parent=base, fontSize=17, leading=22, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4, textColor=ACCENT
    )
    h3 = ParagraphStyle("h3", parent=base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=MUTED)
    mono = ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=8.5, leading=11.5)
    cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5)

    def para(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        data = [
            [c if isinstance(c, Paragraph) else Paragraph(escape(str(c)), cell) for c in row]
            for row in rows
        ]
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f5f8")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        return t

    def facts(rows: list[tuple[str, str]]) -> Table:
        t = Table(
            [[Paragraph(escape(k), small), Paragraph(escape(v), base)] for k, v in rows],
            colWidths=[48 * mm, 120 * mm],
            hAlign="LEFT",
        )
        t.setStyle(
            TableStyle(
                [
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    def titled(title: str, rows: list[tuple[str, str]]) -> KeepTogether:
        return KeepTogether([para(title, h3), facts(rows)])

    story: list[Any] = [
        para(tx("title"), title),
        para(
            f"{tx('generated')}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {tx('method_note')}",
            small,
        ),
    ]
    if isinstance(doc.get("title"), str):
        story.append(para(doc["title"], base))

    story.append(para(tx("model"), h2))
    for eq in doc.get("equations") or []:
        story.append(para(str(eq), mono))
    consts = doc.get("constants") or {}
    if isinstance(consts, dict) and consts:
        parts = []
        for name, c in consts.items():
            if isinstance(c, dict):
                parts.append(f"{name} = {c.get('value')} {c.get('unit') or ''}".strip())
            else:
                parts.append(f"{name} = {c}")
        story.append(para(f"{tx('constants')}: " + "; ".join(parts), base))

    inputs = result.get("inputs") or []
    if inputs:
        story.append(para(tx("inputs"), h2))
        rows = [[tx("name"), tx("distribution"), tx("estimate"), tx("u"), tx("unit"), tx("dof")]]
        for q in inputs:
            rows.append(
                [
                    q.get("name"),
                    DIST.get(q.get("distribution"), (q.get("distribution"),) * 2)[i],
                    fmt_with(q.get("estimate"), q.get("std_uncertainty")),
                    fmt(q.get("std_uncertainty"), 3),
                    q.get("unit") or "",
                    fmt_dof(q.get("dof")),
                ]
            )
        story.append(table(rows, [30 * mm, 34 * mm, 34 * mm, 28 * mm, 22 * mm, 18 * mm]))

    for name, out in (result.get("outputs") or {}).items():
        unit = out.get("unit") or ""
        story.append(para(f"{tx('output')} {name}" + (f" / {unit}" if unit else ""), h2))
        gum = out.get("gum") or {}
        mcm = out.get("mcm") or {}
        if gum:
            u = gum.get("std_uncertainty")
            story.append(
                titled(
                    tx("gum"),
                    [
                        (tx("estimate"), fmt_with(gum.get("value"), u)),
                        (tx("u"), fmt(u, 3)),
                        (tx("eff_dof"), fmt_dof(gum.get("dof"))),
                        (tx("k"), fmt(gum.get("coverage_factor"), 4)),
                        (tx("U"), fmt(gum.get("expanded_uncertainty"), 3)),
                        (
                            f"{tx('interval')} (p = {gum.get('coverage', result.get('coverage'))})",
                            fmt_interval(gum.get("interval"), u),
                        ),
                    ],
                )
            )
            budget = gum.get("budget") or []
            if budget:
                rows = [
                    [
                        tx("name"),
                        tx("estimate"),
                        tx("u"),
                        tx("sensitivity"),
                        tx("contribution"),
                        tx("share"),
                        tx("dof"),
                    ]
                ]
                for b in budget:
                    rows.append(
                        [
                            b.get("input"),
                            fmt_with(b.get("estimate"), b.get("std_uncertainty")),
                            fmt(b.get("std_uncertainty"), 3),
                            fmt(b.get("sensitivity"), 4),
                            fmt(b.get("contribution"), 3),
                            fmt_share(b.get("share")),
                            fmt_dof(b.get("dof")),
                        ]
                    )
                widths = [26 * mm, 32 * mm, 24 * mm, 26 * mm, 24 * mm, 18 * mm, 16 * mm]
                story.append(KeepTogether([para(tx("budget"), h3), table(rows, widths)]))
        if mcm:
            u = mcm.get("std_uncertainty")
            story.append(
                titled(
                    tx("mcm"),
                    [
                        (tx("estimate"), fmt_with(mcm.get("value"), u)),
                        (tx("u"), fmt(u, 3)),
                        (tx("shortest"), fmt_interval(mcm.get("interval_shortest"), u)),
                        (tx("symmetric"), fmt_interval(mcm.get("interval_symmetric"), u)),
                        (
                            tx("trials"),
                            f"{mcm.get('trials'):,}"
                            if isinstance(mcm.get("trials"), int)
                            else str(mcm.get("trials")),
                        ),
                    ],
                )
            )
        val = out.get("validation")
        if val:
            verdict = ParagraphStyle(
                "verdict", parent=base, textColor=OK if val.get("passed") else WARN
            )
            story.append(
                KeepTogether(
                    [
                        para(tx("validation"), h3),
                        facts(
                            [
                                (tx("delta"), fmt(val.get("delta"), 2)),
                                ("d_low", fmt(val.get("d_low"), 2)),
                                ("d_high", fmt(val.get("d_high"), 2)),
                            ]
                        ),
                        para(tx("passed") if val.get("passed") else tx("failed"), verdict),
                    ]
                )
            )
        drawing = histogram_drawing(out)
        if drawing is not None:
            story.append(
                KeepTogether([para(tx("histogram"), h3), drawing, para(tx("legend"), small)])
            )

    warnings = result.get("warnings") or []
    if warnings:
        story.append(para(tx("warnings"), h2))
        for w in warnings:
            story.append(para(f"· {w}", base))
    story.append(Spacer(1, 6 * mm))

    def footer(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 10 * mm, tx("footer"))
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(canvas.getPageNumber()))
        canvas.restoreState()

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=tx("title"),
        author="Jiliang",
        subject="JCGM 100 / JCGM 101",
    )
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
