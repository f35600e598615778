"""Spreadsheet import and export of instruments (xlsx or csv).

Import checks every row and reports each problem as (row, field, rule). With any error nothing
is imported unless the caller asks to import the valid rows only; a dry run imports nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.core import resources
from jiliang.core.importer import (
    EXPORTERS,
    ImportFileError,
    ImportReport,
    import_rows,
    read_rows,
    register_importer,
    to_csv,
    to_xlsx,
)
from jiliang.core.security import Principal
from jiliang.instruments.models import STATUSES, USES, Instrument, InstrumentType
from jiliang.instruments.service import INSTRUMENT_TYPES, INSTRUMENTS
from jiliang.orgs.models import Organisation
from jiliang.orgs.service import ORGANISATIONS
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
def _instrument_preprocess(session: Session, principal: Principal):
    types = {c: i for c, i in session.execute(select(InstrumentType.code, InstrumentType.id))}

    def preprocess(row: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        data = {k: v for k, v in row.items() if k not in ("type_code", "owner_uscc")}
        problems: list[tuple[str, str]] = []
        code = str(row.get("type_code") or "").strip()
        if code not in types:
            problems.append(("type_code", f"器具类型代码 {code!r} 不存在 / unknown type code"))
        else:
            data["type_id"] = types[code]
        uscc = str(row.get("owner_uscc") or "").strip().upper()
        if uscc:
            owner = session.scalar(select(Organisation.id).where(Organisation.uscc == uscc))
            if owner is None:
                problems.append(("owner_uscc", f"单位 {uscc} 未登记 / unknown organisation"))
            else:
                data["owner_org_id"] = owner
        elif principal.org_id is None:
            problems.append(("owner_uscc", "必填 / required"))
        return data, problems

    return preprocess


def import_instruments(
    session: Session,
    principal: Principal,
    filename: str,
    content: bytes,
    dry_run: bool = False,
    valid_only: bool = False,
) -> ImportReport:
    rows = read_rows(filename, content, COLUMNS, required=("type_code", "serial_no"))
    return import_rows(session, principal, INSTRUMENTS, rows, _instrument_preprocess(session, principal),
                       dry_run, valid_only)


def export_rows(
    session: Session,
    principal: Principal,
    filters: dict[str, str],
    q: str | None,
    lang: str,
    sort: str | None = None,
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of the scoped, filtered instrument list, as the list page shows it,
    with the owner's USCC and the type code beside the names (for re-import)."""
    stmt = resources.query(session, principal, INSTRUMENTS, q, filters, sort)
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


register_importer(INSTRUMENTS, import_instruments)
EXPORTERS[INSTRUMENTS.name] = lambda session, who, filters, q, sort, lang: export_rows(
    session, who, filters, q, lang, sort
)
register_importer(INSTRUMENT_TYPES)
register_importer(ORGANISATIONS)


__all__ = ["ImportFileError", "Instrument", "export_rows", "import_instruments", "to_csv", "to_xlsx"]
