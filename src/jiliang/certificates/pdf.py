"""The printed certificate in the usual Chinese layout (reportlab, CID font STSong-Light).

Page 1 (cover): title by kind, number, customer, instrument, dates, conclusion, the three
signers and the QR code linking to the public ``/verify`` page.  Then: standards used (the
traceability statement), conditions, results with U and k, and the decision rule.  The CID font
ships with reportlab: no font files need installing to read the Chinese text.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
TITLES = {
    "verification": ("检 定 证 书", "VERIFICATION CERTIFICATE"),
    "verification_notice": ("检定结果通知书", "VERIFICATION RESULT NOTICE"),
    "calibration": ("校 准 证 书", "CALIBRATION CERTIFICATE"),
}
ROLE_ZH = {"metrologist": "检定/校准员", "reviewer": "核验员", "approver": "批准人"}
CONFORMITY_ZH = {
    "pass": "合格",
    "fail": "不合格",
    "conditionalPass": "有条件合格",
    "conditionalFail": "有条件不合格",
}


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _zh(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("zh") or value.get("en") or next(iter(value.values()), ""))
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class QrCode(Flowable):
    """A QR code drawn as vector squares (segno's matrix), ``size`` points wide."""

    def __init__(self, url: str, size: float = 32 * mm) -> None:
        super().__init__()
        import segno

        self.matrix = segno.make(url, error="m").matrix
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        n = len(self.matrix) + 8  # quiet zone of 4 modules
        cell = self.size / n
        d = Drawing(self.size, self.size)
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    d.add(
                        Rect(
                            (x + 4) * cell,
                            self.size - (y + 5) * cell,
                            cell,
                            cell,
                            fillColor=colors.black,
                            strokeColor=None,
                        )
                    )
        renderPDF.draw(d, self.canv, 0, 0)


def render_pdf(cert: dict[str, Any], verify_url: str, log: dict[str, Any] | None = None) -> bytes:
    """The PDF of a certificate from the same dict the DCC was built from."""
    _font()
    styles = {
        "title": ParagraphStyle("t", fontName=FONT, fontSize=24, leading=32, alignment=1),
        "sub": ParagraphStyle("s", fontName=FONT, fontSize=11, leading=15, alignment=1),
        "h": ParagraphStyle("h", fontName=FONT, fontSize=13, leading=19, spaceBefore=8),
        "p": ParagraphStyle("p", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK"),
        "small": ParagraphStyle("sm", fontName=FONT, fontSize=8, leading=11, wordWrap="CJK"),
    }

    def para(text: Any, style: str = "p") -> Paragraph:
        return Paragraph(_esc(_zh(text)), styles[style])

    def table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
        data = [[para(c) for c in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("FONT", (0, 0), (-1, -1), FONT, 10),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        t.setStyle(TableStyle(style))
        return t

    kind = cert.get("kind", "calibration")
    title_zh, title_en = TITLES.get(kind, TITLES["calibration"])
    item = cert["items"][0]
    st = cert.get("statements", {})
    conformity = st.get("conformity")
    conclusion = _zh(st.get("conformity_declaration")) or CONFORMITY_ZH.get(conformity or "", "—")
    persons = {p.get("role"): p.get("name") for p in cert.get("resp_persons", [])}
    story: list[Any] = [
        Spacer(1, 10 * mm),
        para(title_zh, "title"),
        para(title_en, "sub"),
        Spacer(1, 4 * mm),
        para(f"证书编号 No.：{cert['number']}", "sub"),
        Spacer(1, 10 * mm),
    ]
    instrument = _zh(item.get("name"))
    cover = [
        ["送检单位 Customer", _zh(cert["customer"]["name"])],
        ["计量器具名称 Instrument", instrument],
        ["型号/规格 Model", _zh(item.get("model")) or "—"],
        ["出厂编号 Serial No.", _zh(item.get("serial_number"))],
        ["制造单位 Manufacturer", _zh(item.get("manufacturer")) or "—"],
        ["检定/校准依据 Procedure", "；".join(_zh(m.get("code")) for m in cert.get("methods", []))],
        ["结论 Conclusion", conclusion],
        ["检定/校准日期 Date", _zh(cert.get("begin_date"))],
        ["签发日期 Issued", _zh(cert.get("issue_date"))],
    ]
    if st.get("due_date"):
        cover.append(["有效期至 Valid until", _zh(st["due_date"])])
    story.append(table(cover, [55 * mm, 110 * mm], header=False))
    story.append(Spacer(1, 8 * mm))
    signers = [[f"{ROLE_ZH[r]}", persons.get(r) or "—"] for r in ROLE_ZH]
    story.append(table([["签名 Signatures", ""], *signers], [55 * mm, 110 * mm]))
    story.append(Spacer(1, 6 * mm))
    lab = cert["laboratory"]
    story.append(para(f"出具机构：{_zh(lab['name'])}（电子签名 / electronically signed）"))
    caption = _esc(f"扫码验证 Scan to verify：{verify_url}")
    if log:
        caption += "<br/>" + _esc(f"公开日志序号 Log index：{log['log_index']}")
    qr_caption = Paragraph(caption, styles["small"])
    story.append(Table([[QrCode(verify_url), qr_caption]], colWidths=[38 * mm, 127 * mm]))
    story.append(PageBreak())

    story.append(para("一、所用计量标准（溯源性声明）Standards used (traceability)", "h"))
    rows = [["名称 Name", "编号/型号 Serial/model", "证书编号 Certificate", "有效期至 Valid until"]]
    for s in cert.get("standards", []):
        rows.append(
            [
                _zh(s.get("name")),
                _zh(s.get("serial_number") or s.get("model")) or "—",
                _zh(s.get("certificate_number")) or "—",
                _zh(s.get("valid_until")) or "—",
            ]
        )
    story.append(table(rows, [55 * mm, 40 * mm, 40 * mm, 30 * mm]))
    story.append(para(st.get("traceability")))
    story.append(para("二、环境条件 Conditions", "h"))
    names = {"temperature": "温度 Temperature", "humidity": "相对湿度 Humidity"}
    conds = [
        [names.get(c["kind"], c["kind"]), f"{c.get('value')} {c.get('unit')}"]
        for c in cert.get("conditions", [])
    ]
    story.append(table([["条件 Condition", "值 Value"], *conds], [55 * mm, 110 * mm]))
    story.append(para("三、检定/校准结果 Results", "h"))
    rows = [["测量点 Point", "标准值", "示值", "误差", "U", "k", "判定"]]
    for r in cert.get("results", []):
        q = {x.get("ref_type"): x for x in r["quantities"]}
        err = q.get("basic_measurementError", {})
        ref = q.get("basic_referenceValue", {})
        unit = ref.get("unit", "")
        rows.append(
            [
                _zh(r["name"]),
                f"{ref.get('value', '')} {unit}",
                f"{q.get('basic_measuredValue', {}).get('value', '—')}",
                f"{err.get('value', '—')}",
                f"{err.get('uncertainty', '—')}",
                f"{err.get('coverage_factor', '—')}",
                CONFORMITY_ZH.get(err.get("conformity", ""), "—"),
            ]
        )
    story.append(table(rows, [45 * mm, 22 * mm, 22 * mm, 20 * mm, 20 * mm, 12 * mm, 24 * mm]))
    story.append(
        para(
            "U：扩展不确定度；k：包含因子（包含概率约 95 %）。"
            "U: expanded uncertainty; k: coverage factor.",
            "small",
        )
    )
    story.append(para("四、判定规则 Decision rule", "h"))
    story.append(para(st.get("decision_rule")))
    for d in st.get("declarations", []):
        story.append(para(d.get("text")))
    story.append(Spacer(1, 6 * mm))
    if log:
        story.append(para(f"数字证书 SHA-256：{log['sha256']}", "small"))
    story.append(
        para(
            "本证书的数字版本（DCC XML）带有机构的电子签名，并登记于公开日志，"
            "可在上述网址或以 jiliang verify 离线验证。",
            "small",
        )
    )

    buf = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(20 * mm, 10 * mm, f"证书编号 {cert['number']}    第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title_zh} {cert['number']}",
        author=_zh(lab["name"]),
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
