"""Spreadsheet import for any register: read xlsx/csv, check every row, report, then commit.

Each problem is reported as (row, field, rule). With any error nothing is imported unless the
caller asks for the valid rows only; a dry run imports nothing. Rows go through the register's
own ``resources.create`` (validation, scope, audit), each inside a savepoint.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from jiliang.core import resources
from jiliang.core.errors import DomainError, ValidationFailed
from jiliang.core.resources import Resource
from jiliang.core.security import Principal

MAX_IMPORT_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024


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


def columns_for(resource: Resource) -> dict[str, tuple[str, str]]:
    """The import columns of a register: its form fields with their labels."""
    return {f.name: f.label for f in resource.form_fields if f.name != "password"}


def read_rows(
    filename: str, content: bytes, columns: dict[str, tuple[str, str]], required: Iterable[str] = ()
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, {column key: value}) for each non-empty row of a csv/xlsx file.

    Headers may be the column keys or their Chinese or English labels.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError("文件超过 20 MB", "the file is larger than 20 MB")
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
    lookup = {alias: key for key, (zh, en) in columns.items() for alias in (key, zh, en)}
    it = iter(raw_rows)
    try:
        header = next(it)
    except StopIteration:
        raise ImportFileError("文件为空", "the file is empty") from None
    keys = [lookup.get(str(h or "").strip()) for h in header]
    missing = [k for k in required if k not in keys]
    if missing:
        zh = "、".join(columns[k][0] for k in missing)
        en = ", ".join(columns[k][1] for k in missing)
        raise ImportFileError(f"表头缺少列：{zh}", f"the header lacks the columns: {en}")
    for number, values in enumerate(it, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        if number - 1 > MAX_IMPORT_ROWS:
            raise ImportFileError(f"单次最多导入 {MAX_IMPORT_ROWS} 行", f"at most {MAX_IMPORT_ROWS} rows")
        row = {k: v for k, v in zip(keys, values, strict=False) if k}
        for k, v in row.items():
            if hasattr(v, "date") and callable(v.date):  # xlsx dates arrive as datetime
                row[k] = v.date()
        yield number, row


Preprocess = Callable[[dict[str, Any]], tuple[dict[str, Any], list[tuple[str, str]]]]


def import_rows(
    session: Session,
    principal: Principal,
    resource: Resource,
    rows: Iterable[tuple[int, dict[str, Any]]],
    preprocess: Preprocess | None = None,
    dry_run: bool = False,
    valid_only: bool = False,
) -> ImportReport:
    """Create one record per row through the register's service; report every problem."""
    report = ImportReport(dry_run=dry_run)
    outer = session.begin_nested()
    for number, row in rows:
        report.rows += 1
        data, problems = preprocess(row) if preprocess else (row, [])
        found = [RowProblem(number, f, rule) for f, rule in problems]
        if not found:
            nested = session.begin_nested()
            try:
                resources.create(session, principal, resource, data)
                nested.commit()
            except ValidationFailed as exc:
                nested.rollback()
                found = [RowProblem(number, f, f"{m[0]} / {m[1]}") for f, m in exc.errors.items()]
            except DomainError as exc:
                nested.rollback()
                found = [RowProblem(number, "*", f"{exc.message_zh} / {exc.message_en}")]
        if found:
            report.problems += found
        else:
            report.valid += 1
    if dry_run or (report.problems and not valid_only):
        outer.rollback()
    else:
        outer.commit()
        report.imported = report.valid
    return report


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(header: list[str], rows: Iterable[list[Any]], title: str = "export") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value: Any) -> Any:  # control characters are not allowed in a worksheet
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append([clean(h) for h in header])
    for row in rows:
        ws.append([clean(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


Importer = Callable[[Session, Principal, str, bytes, bool, bool], ImportReport]
IMPORTERS: dict[str, Importer] = {}


def register_importer(resource: Resource, importer: Importer | None = None) -> None:
    """Make a register importable from spreadsheets (API, page and CLI); by default its
    columns are its form fields, matched by key or by Chinese or English label."""

    def generic(session, principal, filename, content, dry_run=False, valid_only=False):
        required = [f.name for f in resource.form_fields if f.required]
        rows = read_rows(filename, content, columns_for(resource), required)
        return import_rows(session, principal, resource, rows, None, dry_run, valid_only)

    IMPORTERS[resource.name] = importer or generic


def template_csv(columns: dict[str, tuple[str, str]], lang: str = "zh") -> bytes:
    """An empty spreadsheet with the import header, in the user's language."""
    idx = 1 if lang == "en" else 0
    return to_csv([label[idx] for label in columns.values()], [])


Exporter = Callable[[Session, Principal, dict[str, str], "str | None", "str | None", str],
                    tuple[list[str], Iterator[list[Any]]]]
EXPORTERS: dict[str, Exporter] = {}
EXPORT_BATCH = 2_000


def export_resource(
    session: Session,
    principal: Principal,
    resource: Resource,
    filters: dict[str, str],
    q: str | None,
    sort: str | None,
    lang: str,
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of exactly what the scoped, filtered, sorted list shows."""
    stmt = resources.query(session, principal, resource, q, filters, sort)
    fields = [f for f in resource.fields if f.name != "password"]
    idx = 1 if lang == "en" else 0
    header = ["ID"] + [f.label[idx] for f in fields]

    def rows() -> Iterator[list[Any]]:
        for batch in session.scalars(stmt.execution_options(yield_per=EXPORT_BATCH)).partitions():
            refs = resources.ref_labels(session, resource, batch, lang)
            for obj in batch:
                yield [obj.id] + [resources.display(f, getattr(obj, f.name), lang, refs) for f in fields]

    return header, rows()
