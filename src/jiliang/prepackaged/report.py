"""PDF inspection report (定量包装商品净含量计量检验报告) drawn with reportlab.

Uses reportlab's built-in CID font ``STSong-Light`` (no font files needed). One page for
samples up to about 80 packages, two pages for 125.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

__all__ = ["FONT", "report_pdf"]

FONT = "STSong-Light"

_L = {
    "title": (
        "定量包装商品净含量计量检验报告",
        "Net-content inspection report for prepackaged goods",
    ),
    "inputs": ("一、检验对象与依据", "1. Lot and rules"),
    "plan": ("二、抽样方案", "2. Sampling plan"),
    "figures": ("三、检验结果", "3. Results"),
    "verdict": ("四、判定", "4. Verdict"),
    "data": ("五、实际含量", "5. Actual contents"),
    "rules": ("检验依据", "Rule set"),
    "product": ("商品", "Product"),
    "producer": ("生产者", "Producer"),
    "quantity": ("量的类别", "Quantity"),
    "nominal": ("标注净含量 Qn", "Nominal quantity Qn"),
    "lot_size": ("批量 N", "Lot size N"),
    "sample_size": ("样本量 n", "Sample size n"),
    "kind": ("方案类型", "Plan type"),
    "lambda": ("修正因子 λ", "Correction factor λ"),
    "t1_allowed": ("允许 T1 类短缺件数", "T1 errors allowed"),
    "t2_allowed": ("允许 T2 类短缺件数", "T2 errors allowed"),
    "seed": ("随机抽样种子", "Sampling seed"),
    "T": ("允许短缺量 T", "Tolerable deficiency T"),
    "MAV": ("最大允许偏差 MAV", "Maximum allowable variation MAV"),
    "t1_limit": ("Qn − T", "Qn − T"),
    "t2_limit": ("Qn − 2T", "Qn − 2T"),
    "t1_errors": ("T1 类短缺件数", "T1 errors"),
    "t2_errors": ("T2 类短缺件数", "T2 errors"),
    "mean": ("样本平均实际含量 q̄", "Sample mean q̄"),
    "std": ("样本标准偏差 s", "Sample standard deviation s"),
    "lambda_s": ("λ·s", "λ·s"),
    "mean_limit": ("平均值限值 Qn − λ·s", "Mean limit Qn − λ·s"),
    "pass": ("合格", "PASS"),
    "fail": ("不合格", "FAIL"),
    "unconfirmed": ("数据说明：以下表值未经公开文本核实", "Data note: unconfirmed table values"),
    "generated": ("生成时间 (UTC)", "Generated (UTC)"),
    "signature": (
        "检验员：__________    核验员：__________    日期：__________",
        "Inspector: __________    Checked by: __________    Date: __________",
    ),
}

_QTY = {"mass": "质量", "volume": "体积", "length": "长度", "area": "面积", "count": "计数"}
_KIND = {
    "single": ("一次抽样", "single sampling"),
    "double": ("二次抽样", "double sampling"),
    "package_by_package": ("逐件检验", "package by package"),
}


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _f(x, digits: int = 4) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    s = f"{round(float(x), digits):.{digits}f}".rstrip("0").rstrip(".")
    return s or "0"


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report_pdf(doc: dict, result: dict, lang: str = "zh") -> bytes:
    """Render a one- or two-page A4 inspection report.

    Parameters
    ----------
    doc : dict
        The lot document given to :func:`~jiliang.prepackaged.evaluate` (optional keys
        ``product``, ``producer``, ``lot_id`` are printed when present).
    result : dict
        The result of :func:`~jiliang.prepackaged.evaluate` for ``doc``.
    lang : {"zh", "en"}
        Language of the labels; Chinese by default.

    Returns
    -------
    bytes
        The PDF document (starts with ``%PDF``), font ``STSong-Light``.
    """
    _register_font()
    li = 1 if lang == "en" else 0

    def L(key: str) -> str:  # noqa: N802 - short label accessor
        return _L[key][li]

    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12)
    h1 = ParagraphStyle("h1", parent=base, fontSize=15, leading=20, alignment=1, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=base, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
    unit = result.get("unit", doc.get("unit", ""))

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        data = [[Paragraph(_esc(c), base) for c in r] for r in rows]
        t = Table(data, colWidths=widths, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f0f0")),
                    ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#f0f0f0")),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        return t

    w4 = [38 * mm, 47 * mm, 38 * mm, 47 * mm]
    story: list = [Paragraph(_esc(L("title")), h1)]
    title = result.get("rules_title" if li else "rules_title_zh", result.get("rules", ""))
    qty = result.get("quantity", "")
    story.append(Paragraph(_esc(L("inputs")), h2))
    story.append(
        table(
            [
                [
                    L("rules"),
                    f"{result.get('rules', '')}",
                    L("product"),
                    str(doc.get("product", "—")),
                ],
                [
                    L("quantity"),
                    qty if li else _QTY.get(qty, qty),
                    L("producer"),
                    str(doc.get("producer", "—")),
                ],
                [
                    L("nominal"),
                    f"{_f(result.get('nominal'))} {unit}",
                    L("lot_size"),
                    _f(result.get("lot_size")),
                ],
            ],
            w4,
        )
    )
    story.append(Paragraph(_esc(title), small))

    plan = result.get("plan", {})
    sel = result.get("sample_selection")
    story.append(Paragraph(_esc(L("plan")), h2))
    story.append(
        table(
            [
                [
                    L("sample_size"),
                    _f(result.get("sample_size")),
                    L("kind"),
                    _KIND.get(plan.get("kind", ""), ("", ""))[li],
                ],
                [
                    L("lambda"),
                    _f(result.get("correction"), 3),
                    L("t1_allowed"),
                    _f(result.get("t1_allowed")),
                ],
                [
                    L("t2_allowed"),
                    _f(result.get("t2_allowed")),
                    L("seed"),
                    str(sel["seed"]) if sel else "—",
                ],
            ],
            w4,
        )
    )

    story.append(Paragraph(_esc(L("figures")), h2))
    tkey = "MAV" if result.get("tolerable_deficiency_kind") == "MAV" else "T"
    story.append(
        table(
            [
                [
                    L(tkey),
                    f"{_f(result.get('tolerable_deficiency'))} {unit}",
                    L("t1_limit"),
                    f"{_f(result.get('t1_limit'))} {unit}",
                ],
                [
                    L("t1_errors"),
                    _f(result.get("t1_errors")),
                    L("t2_limit"),
                    f"{_f(result.get('t2_limit'))} {unit}",
                ],
                [
                    L("t2_errors"),
                    _f(result.get("t2_errors")),
                    L("mean"),
                    f"{_f(result.get('mean'))} {unit}",
                ],
                [
                    L("std"),
                    f"{_f(result.get('std'))} {unit}",
                    L("lambda_s"),
                    f"{_f(result.get('correction_term'))} {unit}",
                ],
                [L("mean_limit"), f"{_f(result.get('mean_limit'))} {unit}", "", ""],
            ],
            w4,
        )
    )

    verdict = result.get("verdict", "")
    story.append(Paragraph(_esc(L("verdict")), h2))
    vstyle = ParagraphStyle(
        "verdict",
        parent=base,
        fontSize=14,
        leading=18,
        textColor=colors.HexColor("#1a7f37" if verdict == "pass" else "#b42318"),
    )
    story.append(Paragraph(_esc(L(verdict) if verdict in ("pass", "fail") else verdict), vstyle))
    for r in result.get("reasons", []):
        msg = r.get("message_en" if li else "message_zh", "") if isinstance(r, dict) else str(r)
        code = r.get("code", "") if isinstance(r, dict) else ""
        story.append(Paragraph(_esc(f"• {msg} [{code}]"), base))

    net = result.get("net", [])
    if net:
        story.append(Paragraph(_esc(L("data")) + f" ({_esc(unit)})", h2))
        marks = set(result.get("t1_indices") or []) | set(result.get("t2_indices") or [])
        cols = 10
        rows = []
        for start in range(0, len(net), cols):
            rows.append(
                [
                    f"{i + 1}: {_f(v, 3)}" + ("*" if i in marks else "")
                    for i, v in enumerate(net[start : start + cols], start=start)
                ]
            )
        rows[-1] += [""] * (cols - len(rows[-1]))
        data_t = Table(
            [[Paragraph(_esc(c), small) for c in r] for r in rows],
            colWidths=[17 * mm] * cols,
            hAlign="LEFT",
        )
        data_t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ]
            )
        )
        story.append(data_t)
        story.append(
            Paragraph(_esc("* 短缺量大于 T" if not li else "* short by more than T"), small)
        )

    if result.get("unconfirmed"):
        story.append(Spacer(1, 4))
        story.append(Paragraph(_esc(L("unconfirmed")), small))
        for note in result["unconfirmed"]:
            story.append(Paragraph(_esc("– " + note), small))

    story.append(Spacer(1, 8))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    story.append(Paragraph(_esc(f"{L('generated')}: {stamp}"), small))
    story.append(Spacer(1, 6))
    story.append(Paragraph(_esc(L("signature")), base))

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=L("title"),
        author="Jiliang",
    )
    pdf.build(story)
    return buf.getvalue()
