"""Spreadsheet import and export of instruments (xlsx or csv).

Import checks every row and reports each problem as (row, field, rule). With any error nothing
is imported unless the caller asks to import the valid rows only; a dry run imports nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.core import resources
from jiliang.core.errors import DomainError, ValidationFailed
from jiliang.core.security import Principal
from jiliang.instruments.models import STATUSES, USES, Instrument, InstrumentType
from jiliang.instruments.service import INSTRUMENTS
from jiliang.orgs.models import Organisation
from jiliang.regions.models import Region

# column key -> (zh header, en header)
COLUMNS: dict[str, tuple[str, str]] = {
    "type_code": ("器具类型代码", "Type code"),
    "serial_no": ("出厂编号", "Serial no."),
    "owner_uscc": ("使用单位统一社会信用代码", "Owner USCC"),
    "maker": ("制造单位", "Maker"),
    "model": ("型号规格", "Model"),
    "measuring_range": ("测量范围", "Range"),
    "accuracy": ("准确度等级/最大允许误差", "Accuracy class / MPE"),
    "location": ("安装使用地点", "Location"),
    "region_code": ("所在地区代码", "Region code"),
    "use": ("用途", "Use"),
    "due_date": ("有效期至", "Due date"),
    "last_verified": ("上次检定日期", "Last verified"),
}
EXPORT_EXTRA: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    "type_name": ("器具名称", "Type"),
    "owner_name": ("使用单位", "Owner"),
    "region_name": ("所在地区", "Region"),
    "status": ("状态", "Status"),
}
MAX_IMPORT_ROWS = 50_000


class ImportFileError(DomainError):
    status_code = 422
    code = "import_file"


@dataclass
class RowProblem:
    row: int
    field: str
    rule: str


@dataclass
class ImportReport:
    rows: int = 0
    valid: int = 0
    imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "valid": self.valid,
            "imported": self.imported,
            "dry_run": self.dry_run,
            "errors": [p.__dict__ for p in self.problems],
        }


def _header_key(text: Any) -> str | None:
    label = str(text or "").strip()
    for key, (zh, en) in COLUMNS.items():
        if label in (key, zh, en):
            return key
    return None


def read_rows(filename: str, content: bytes) -> Iterator[dict[str, Any]]:
    """Rows of a csv or xlsx file as dicts keyed by column key (headers may be zh, en or keys)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ImportFileError("无法读取 xlsx 文件", f"cannot read the xlsx file: {exc}") from None
        raw_rows: Iterable[tuple] = wb.active.iter_rows(values_only=True)
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("gb18030", errors="replace")
        raw_rows = csv.reader(io.StringIO(text))
    else:
        raise ImportFileError("仅支持 .xlsx 或 .csv 文件", "only .xlsx or .csv files are accepted")
    it = iter(raw_rows)
    try:
        header = next(it)
    except StopIteration:
        raise ImportFileError("文件为空", "the file is empty") from None
    keys = [_header_key(h) for h in header]
    if "serial_no" not in keys or "type_code" not in keys:
        raise ImportFileError(
            "表头须包含“器具类型代码”和“出厂编号”", "the header needs Type code and Serial no."
        )
    for values in it:
        if values is None or all(v in (None, "") for v in values):
            continue
        yield {k: v for k, v in zip(keys, values, strict=False) if k}


def import_instruments(
    session: Session,
    principal: Principal,
    filename: str,
    content: bytes,
    dry_run: bool = False,
    valid_only: bool = False,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    types = {c: i for c, i in session.execute(select(InstrumentType.code, InstrumentType.id))}
    savepoint = session.begin_nested()
    for number, row in enumerate(read_rows(filename, content), start=2):
        report.rows += 1
        if report.rows > MAX_IMPORT_ROWS:
            raise ImportFileError(f"单次最多导入 {MAX_IMPORT_ROWS} 行", f"at most {MAX_IMPORT_ROWS} rows")
        data = {k: v for k, v in row.items() if k in COLUMNS and k not in ("type_code", "owner_uscc")}
        problems = []
        code = str(row.get("type_code") or "").strip()
        if code not in types:
            problems.append(RowProblem(number, "type_code", f"器具类型代码 {code!r} 不存在 / unknown type code"))
        else:
            data["type_id"] = types[code]
        uscc = str(row.get("owner_uscc") or "").strip().upper()
        if uscc:
            owner = session.scalar(select(Organisation.id).where(Organisation.uscc == uscc))
            if owner is None:
                problems.append(RowProblem(number, "owner_uscc", f"单位 {uscc} 未登记 / unknown organisation"))
            else:
                data["owner_org_id"] = owner
        elif principal.org_id is None:
            problems.append(RowProblem(number, "owner_uscc", "必填 / required"))
        for k in ("due_date", "last_verified"):
            if hasattr(data.get(k), "date"):
                data[k] = data[k].date()
        if not problems:
            nested = session.begin_nested()
            try:
                resources.create(session, principal, INSTRUMENTS, data)
                nested.commit()
            except ValidationFailed as exc:
                nested.rollback()
                problems += [RowProblem(number, f, m[0] + " / " + m[1]) for f, m in exc.errors.items()]
            except DomainError as exc:
                nested.rollback()
                problems.append(RowProblem(number, "owner_uscc", exc.message_zh + " / " + exc.message_en))
        if problems:
            report.problems += problems
        else:
            report.valid += 1
    if dry_run or (report.problems and not valid_only):
        savepoint.rollback()
    else:
        savepoint.commit()
        report.imported = report.valid
    return report


def export_rows(
    session: Session, principal: Principal, filters: dict[str, str], q: str | None, lang: str
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of the scoped, filtered instrument list, as the list page shows it."""
    stmt = resources.query(session, principal, INSTRUMENTS, q, filters, None)
    idx = 1 if lang == "en" else 0
    cols = ["id", "type_code", "type_name", "serial_no", "owner_name", "owner_uscc", "maker",
            "model", "measuring_range", "accuracy", "location", "region_code", "region_name",
            "use", "status", "due_date", "last_verified"]
    labels = {**COLUMNS, **EXPORT_EXTRA}
    header = [labels[c][idx] for c in cols]
    types = {t.id: t for t in session.scalars(select(InstrumentType))}
    regions = {r.code: r for r in session.scalars(select(Region))}
    orgs: dict[int, Organisation] = {}

    def rows() -> Iterator[list[Any]]:
        for batch in session.scalars(stmt.execution_options(yield_per=2000)).partitions():
            missing = {i.owner_org_id for i in batch} - set(orgs)
            if missing:
                orgs.update({o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(missing)))})
            for inst in batch:
                t, o, r = types.get(inst.type_id), orgs.get(inst.owner_org_id), regions.get(inst.region_code)
                yield [
                    inst.id, t.code if t else "", (t.name_en if idx else t.name_zh) if t else "",
                    inst.serial_no, o.name if o else "", o.uscc if o else "", inst.maker, inst.model,
                    inst.measuring_range, inst.accuracy, inst.location, inst.region_code,
                    r.name(lang) if r else "", USES.get(inst.use, ("", ""))[idx],
                    STATUSES.get(inst.status, ("", ""))[idx],
                    inst.due_date.isoformat() if inst.due_date else "",
                    inst.last_verified.isoformat() if inst.last_verified else "",
                ]

    return header, rows()


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(header: list[str], rows: Iterable[list[Any]], title: str = "instruments") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv(lang: str = "zh") -> bytes:
    idx = 1 if lang == "en" else 0
    return to_csv([v[idx] for v in COLUMNS.values()], [])


__all__ = ["import_instruments", "export_rows", "to_csv", "to_xlsx", "Instrument"]
