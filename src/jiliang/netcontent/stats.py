"""Campaign statistics: pass rate by product category and by city, table and workbook.

Final inspections only (drafts and voided ones are left out), within the caller's scope;
regulators and administrators only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from jiliang.core import resources
from jiliang.core.errors import Forbidden
from jiliang.core.i18n import pick
from jiliang.core.policies import require
from jiliang.core.security import Principal
from jiliang.netcontent.models import CATEGORIES, VERDICTS, NetContentInspection
from jiliang.netcontent.service import INSPECTIONS, _plain_filters


@dataclass
class Row:
    key: str
    label: str
    total: int = 0
    passed: int = 0

    @property
    def failed(self) -> int:
        return self.total - self.passed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": self.pass_rate,
        }


@dataclass
class Statistics:
    overall: Row
    by_category: list[Row] = field(default_factory=list)
    by_city: list[Row] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "by_category": [r.to_dict() for r in self.by_category],
            "by_city": [r.to_dict() for r in self.by_city],
            "filters": self.filters,
        }


STAT_FILTERS = ("campaign", "category", "rules", "from", "to")


def _stat_filters(filters: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (filters or {}).items() if k in STAT_FILTERS and v not in (None, "")}


def _stat_base(session: Session, principal: Principal | None, filters: dict[str, str]) -> Select:
    p = require(principal)
    if not (p.is_admin or p.is_regulator):
        raise Forbidden("专项统计仅对监管人员开放", "Campaign statistics are for regulators")
    stmt = resources.query(session, p, INSPECTIONS, None, _plain_filters(filters), None)
    stmt = stmt.order_by(None)
    return stmt.where(NetContentInspection.status == "final")


def statistics(
    session: Session,
    principal: Principal | None,
    filters: dict[str, str] | None = None,
    lang: str = "zh",
) -> Statistics:
    """Pass rate by product category and by city of the producer, final inspections only."""
    from jiliang.regions.service import names

    flt = _stat_filters(filters)
    base = _stat_base(session, principal, flt).subquery()
    passed = func.sum(case((base.c.verdict == "pass", 1), else_=0))

    def grouped(col) -> list[tuple[Any, int, int]]:
        rows = session.execute(select(col, func.count(), passed).group_by(col).order_by(col))
        return [(key, int(total), int(ok or 0)) for key, total, ok in rows]

    by_category = [
        Row(
            key or "", pick(CATEGORIES.get(key), lang) if key in CATEGORIES else (key or "—"), t, ok
        )
        for key, t, ok in grouped(base.c.category)
    ]
    region_names = names(session, lang)
    by_city = [
        Row(key or "", region_names.get(key or "", key or "—"), t, ok)
        for key, t, ok in grouped(base.c.city_code)
    ]
    overall = Row(
        "all",
        "合计" if lang != "en" else "All",
        sum(r.total for r in by_category),
        sum(r.passed for r in by_category),
    )
    by_category.sort(key=lambda r: (-r.total, r.key))
    by_city.sort(key=lambda r: (-r.total, r.key))
    return Statistics(overall, by_category, by_city, flt)


def statistics_xlsx(
    session: Session,
    principal: Principal | None,
    filters: dict[str, str] | None = None,
    lang: str = "zh",
) -> bytes:
    """Workbook: pass rate by category, by city, and the final inspections behind them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    stats = statistics(session, principal, filters, lang)
    en = lang == "en"
    head = (
        ["Group", "Inspections", "Passed", "Failed", "Pass rate"]
        if en
        else ["分组", "检验批次", "合格", "不合格", "合格率"]
    )
    wb = Workbook()
    ws = wb.active
    for title, rows in (
        ("By category" if en else "按商品类别", stats.by_category),
        ("By city" if en else "按城市", stats.by_city),
    ):
        if ws is None or ws.max_row > 1:
            ws = wb.create_sheet()
        ws.title = title
        ws.append(head)
        for r in [*rows, stats.overall]:
            ws.append([r.label, r.total, r.passed, r.failed, r.pass_rate])
            ws.cell(ws.max_row, 5).number_format = "0.0%"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 28
        ws = None
    detail = wb.create_sheet("Inspections" if en else "检验记录")
    detail.append(
        [
            "No.",
            "Sampled on",
            "Producer",
            "USCC",
            "City",
            "Product",
            "Category",
            "Nominal",
            "Unit",
            "Rules",
            "Lot size",
            "n",
            "Verdict",
            "Campaign",
        ]
        if en
        else [
            "编号",
            "抽样日期",
            "生产者",
            "统一社会信用代码",
            "城市",
            "商品名称",
            "类别",
            "标注净含量",
            "单位",
            "检验规则",
            "批量",
            "样本量",
            "结论",
            "专项检查",
        ]
    )
    from jiliang.regions.service import names

    region_names = names(session, lang)
    stmt = _stat_base(session, principal, stats.filters).order_by(
        NetContentInspection.sampled_at, NetContentInspection.id
    )
    for obj in session.scalars(stmt.limit(100_000)):
        detail.append(
            [
                obj.id,
                obj.sampled_at,
                obj.producer_name,
                obj.producer_uscc,
                region_names.get(obj.city_code or "", ""),
                obj.product_name,
                pick(CATEGORIES.get(obj.category), lang),
                obj.nominal,
                obj.unit,
                obj.rules,
                obj.lot_size,
                obj.sample_size,
                pick(VERDICTS.get(obj.verdict), lang),
                obj.campaign or "",
            ]
        )
        detail.cell(detail.max_row, 2).number_format = "yyyy-mm-dd"
    for cell in detail[1]:
        cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
