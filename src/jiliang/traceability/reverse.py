"""Reverse traceability (反向追溯): every result reached through a standard found out of tolerance.

The trace
---------
A *node* is a standard, one device of a standard, or a reference-material lot, affected over a
date window. The records that used a node inside its window are found through the
``calibration_record_refs`` index (``ref_kind, ref_id, performed_on``), never by scanning the
JSON lists on the records:

* a standard: records that named the standard or any of its devices;
* a device: records that named the device, and records that named its standard without naming
  any of the standard's devices (they cannot be told apart, so they count as affected);
* an RM lot: records that named the lot.

Those records (any state but "superseded": a correction is found through its own refs) are at
depth 1. When a record R at depth d is the source of an active
:class:`~jiliang.traceability.models.TraceLink` (R calibrated a device, a standard or an RM lot
of another standard B), the link's subject becomes a node at depth d + 1, affected from R's date
until the subject's next calibration link (exclusive), or until ``today`` when it has none; and
so on, to any depth. A record is listed once, at the smallest depth it is reached by; a node is
expanded once per window start, so cycles end.

Could a point's verdict change?
-------------------------------
The manager enters the size of the error found, ``E`` (with its unit). A point with error
``e`` and limits ``[mpe_lower, mpe_upper]`` conforms when ``mpe_lower <= e <= mpe_upper`` (a
missing limit is no limit; a value on a limit conforms). Had the standard been off by up to
``|E|``, the point's true error lay anywhere in ``[e - |E|, e + |E|]``; its verdict *could
change* when that interval leaves the limits (a conforming point could fail) or reaches them (a
failing point could pass). The same magnitude ``|E|`` is assumed at every depth: an error of the
standard is passed down through the standards it calibrated without being scaled. Points in
another unit than ``E``, or without an error or limits, are "unknown" (``None``). A record's
``verdict_may_change`` is ``True`` if any point could change, ``False`` if every point is known
and none could, else ``None``. Comparisons allow for floating-point rounding (a relative
difference of 1e-9 counts as equal).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
from jiliang.core import audit
from jiliang.core.db import utcnow
from jiliang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jiliang.core.policies import region_clause, require
from jiliang.core.security import Principal
from jiliang.features import present
from jiliang.instruments.models import Instrument
from jiliang.materials.models import ReferenceMaterial
from jiliang.orgs.models import Organisation
from jiliang.standards.models import MeasurementStandard, StandardDevice
from jiliang.traceability.models import TraceLink
from jiliang.traceability.reverse_models import (
    DISPOSITIONS,
    ITEM_STATES,
    SUBJECT_KINDS,
    ReverseCase,
    ReverseItem,
)

OPENERS = frozenset({"lab_manager"})
DECIDERS = frozenset({"lab_manager", "approver"})
MAX_DEPTH = 50
CHUNK = 1000
TEXT_MAX = 2000
CASE_ENTITY = "trace_reverse_case"
ITEM_ENTITY = "trace_reverse_item"
TOPIC = "trace_reverse"


# ------------------------------------------------------------------ input


@dataclass(frozen=True)
class Subject:
    """What was found out of tolerance."""

    kind: str  # standard | device | material
    id: int
    lab_org_id: int
    standard_id: int | None
    label: str
    code: str | None = None


@dataclass(frozen=True)
class Spec:
    """A validated request to trace (and maybe open a case)."""

    subject: Subject
    since: date
    until: date
    error_found: float | None = None
    error_unit: str | None = None
    description: str | None = None


def _bad(field_name: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed.one(field_name, zh, en)


def _text(value: Any, field_name: str, max_len: int, required: bool = False) -> str | None:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise _bad(field_name, "不能包含 NUL 字符", "must not contain NUL characters")
    if len(text) > max_len:
        raise _bad(field_name, f"不能超过 {max_len} 个字符", f"at most {max_len} characters")
    if required and not text:
        raise _bad(field_name, "必填", "required")
    return text or None


def _date(value: Any, field_name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _bad(field_name, "日期格式应为 YYYY-MM-DD", "a date as YYYY-MM-DD") from None


def _int(value: Any, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _bad(field_name, "应为整数", "must be a whole number") from None
    if not 1 <= number <= 2**31 - 1:
        raise _bad(field_name, "超出范围", "out of range")
    return number


def _float(value: Any, field_name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise _bad(field_name, "应为数值", "must be a number") from None
    if not math.isfinite(number):
        raise _bad(field_name, "应为有限数值", "must be a finite number")
    return number


def norm_unit(unit: str | None) -> str | None:
    """Units compare after Unicode NFKC (so the micro sign equals Greek mu) and trimming."""
    if unit is None:
        return None
    return unicodedata.normalize("NFKC", unit).strip() or None


def resolve_subject(
    session: Session,
    kind: str | None,
    standard_code: str | None = None,
    device_id: int | None = None,
    material_id: int | None = None,
) -> Subject:
    """The standard (by code), device (by id) or RM lot (by id) a trace starts from."""
    kind = kind or "standard"
    if kind not in SUBJECT_KINDS:
        raise _bad("subject_kind", "应为 standard、device 或 material", "one of standard, device, material")
    if kind == "material":
        if material_id is None:
            raise _bad("material_id", "必填", "required")
        rm = session.get(ReferenceMaterial, material_id)
        if rm is None:
            raise _bad("material_id", "没有该标准物质批次", "no such reference-material lot")
        return Subject("material", rm.id, rm.holder_org_id, None, f"{rm.gbw_no} {rm.lot}", rm.gbw_no)
    if kind == "device":
        if device_id is None:
            raise _bad("device_id", "必填", "required")
        dev = session.get(StandardDevice, device_id)
        std = session.get(MeasurementStandard, dev.standard_id) if dev is not None else None
        if dev is None or std is None:
            raise _bad("device_id", "没有该标准器", "no such standard device")
        if standard_code and standard_code.strip() != std.code:
            raise _bad("device_id", "该标准器不属于所填计量标准", "the device is not part of that standard")
        return Subject("device", dev.id, std.lab_org_id, std.id, _device_label(std, dev), std.code)
    code = _text(standard_code, "standard_code", 60, required=True)
    std = session.scalar(select(MeasurementStandard).where(MeasurementStandard.code == code))
    if std is None:
        raise _bad("standard_code", f"没有编号为 {code} 的计量标准", f"no standard with code {code}")
    return Subject("standard", std.id, std.lab_org_id, std.id, std.code, std.code)


def _device_label(std: MeasurementStandard, dev: StandardDevice) -> str:
    return f"{std.code} / {dev.name}" + (f" #{dev.serial_no}" if dev.serial_no else "")


def parse_spec(session: Session, data: dict[str, Any], today: date | None = None, for_case: bool = False) -> Spec:
    """Validate a trace request (API body or form); each problem names its field."""
    today = today or date.today()
    subject = resolve_subject(
        session,
        _text(data.get("subject_kind"), "subject_kind", 10),
        _text(data.get("standard_code"), "standard_code", 60),
        _int(data.get("device_id"), "device_id"),
        _int(data.get("material_id"), "material_id"),
    )
    until = _date(data.get("until"), "until") or today
    if until > today:
        raise _bad("until", "不能晚于今天", "must not be after today")
    since = _date(data.get("since"), "since") or last_calibration(session, subject, until)
    if since is None:
        raise _bad("since", "必填（该标准没有校准记录可作为起点）",
                   "required (the standard has no calibration link to start from)")
    if since > until:
        raise _bad("since", "不能晚于截止日期", "must not be after 'until'")
    error = _float(data.get("error_found"), "error_found")
    unit = norm_unit(_text(data.get("error_unit"), "error_unit", 30))
    if error is not None and unit is None:
        raise _bad("error_unit", "填写误差时必须给出单位", "required with the error found")
    description = _text(data.get("description"), "description", TEXT_MAX, required=for_case)
    if for_case and error is None:
        raise _bad("error_found", "必填", "required")
    return Spec(subject, since, until, abs(error) if error is not None else None, unit, description)


def last_calibration(session: Session, subject: Subject, until: date) -> date | None:
    """The date of the subject's last calibration link on or before ``until`` (a standard's
    links include its devices'; a device's include its standard's)."""
    keys = [(subject.kind, subject.id)]
    if subject.kind == "standard":
        keys += [("device", d) for d in _devices(session, subject.id)]
    elif subject.kind == "device" and subject.standard_id is not None:
        keys.append(("standard", subject.standard_id))
    clause = or_(*(and_(TraceLink.subject_kind == k, TraceLink.subject_id == i) for k, i in keys))
    return session.scalar(
        select(func.max(TraceLink.calibrated_on)).where(
            clause, TraceLink.status == "active", TraceLink.calibrated_on <= until
        )
    )


# ------------------------------------------------------------------ the trace

Node = tuple[str, int]  # ("standard" | "device" | "material", id)


class Hit(NamedTuple):
    """An affected record: how deep, on which day, and the path it was reached by."""

    record_id: int
    depth: int
    performed_on: date
    via: tuple[str, ...]


@dataclass
class Trace:
    """The affected records in order (depth, date, record id), as plain tuples: a busy standard
    reaches 10^5 records and a page needs only a few of them as :class:`Hit`."""

    subject: Subject
    since: date
    until: date
    rows: list[tuple[int, int, date, tuple[str, ...]]] = field(default_factory=list)
    max_depth: int = 0

    @property
    def count(self) -> int:
        return len(self.rows)

    def page(self, start: int, stop: int) -> list[Hit]:
        return [Hit(*row) for row in self.rows[start:stop]]

    @property
    def hits(self) -> list[Hit]:
        return self.page(0, len(self.rows))


def _devices(session: Session, standard_id: int) -> list[int]:
    return list(session.scalars(select(StandardDevice.id).where(StandardDevice.standard_id == standard_id)))


@dataclass
class _Catalogue:
    """Standards, devices and RM lots met so far: devices per standard, parents, labels."""

    devices: dict[int, list[int]] = field(default_factory=dict)
    parent: dict[int, int] = field(default_factory=dict)
    labels: dict[Node, str] = field(default_factory=dict)

    def load(self, session: Session, nodes: Iterable[Node]) -> None:
        """Two or three queries for a whole level of nodes."""
        nodes = [n for n in nodes if n not in self.labels]
        stds = {i for k, i in nodes if k == "standard"}
        devs = {i for k, i in nodes if k == "device"}
        mats = {i for k, i in nodes if k == "material"}
        if stds or devs:
            owners = select(StandardDevice.standard_id).where(StandardDevice.id.in_(devs or [0]))
            rows = session.execute(
                select(StandardDevice.id, StandardDevice.standard_id, StandardDevice.name, StandardDevice.serial_no,
                       MeasurementStandard.code)
                .join(MeasurementStandard, MeasurementStandard.id == StandardDevice.standard_id)
                .where(or_(StandardDevice.standard_id.in_(stds or [0]), StandardDevice.standard_id.in_(owners)))
                .order_by(StandardDevice.id)
            ).all()
            for dev_id, std_id, name, serial, code in rows:
                if dev_id not in self.parent:
                    self.devices.setdefault(std_id, []).append(dev_id)
                    self.parent[dev_id] = std_id
                self.labels[("device", dev_id)] = "device:" + code + f" / {name}" + (f" #{serial}" if serial else "")
                self.labels.setdefault(("standard", std_id), f"standard:{code}")
            missing = [i for i in stds if ("standard", i) not in self.labels]
            for std_id, code in session.execute(select(MeasurementStandard.id, MeasurementStandard.code)
                                                .where(MeasurementStandard.id.in_(missing or [0]))):
                self.labels[("standard", std_id)] = f"standard:{code}"
        if mats:
            for rm_id, gbw, lot in session.execute(select(ReferenceMaterial.id, ReferenceMaterial.gbw_no,
                                                          ReferenceMaterial.lot).where(ReferenceMaterial.id.in_(mats))):
                self.labels[("material", rm_id)] = f"material:{gbw} {lot}"
        for n in nodes:
            self.labels.setdefault(n, f"{n[0]}:{n[1]}")

    def uses_sql(self, node: Node) -> list[str]:
        """SQL conditions on the ref row ``r``, one per arm of a UNION ALL (so each arm is an
        index-only range scan): the record used this node (see the module docstring). Only
        integers from the database go into the text."""
        kind, ident = int_node(node)
        if kind == "material":
            return [f"r.ref_kind = 'material' AND r.ref_id = {ident}"]
        if kind == "standard":
            own = [f"r.ref_kind = 'standard' AND r.ref_id = {ident}"]
            devices = ", ".join(str(int(d)) for d in self.devices.get(ident, []))
            return own + ([f"r.ref_kind = 'device' AND r.ref_id IN ({devices})"] if devices else [])
        direct = [f"r.ref_kind = 'device' AND r.ref_id = {ident}"]
        parent = self.parent.get(ident)
        if parent is None:
            return direct
        whole = f"r.ref_kind = 'standard' AND r.ref_id = {int(parent)}"
        others = ", ".join(str(int(d)) for d in self.devices.get(parent, []) if d != ident)
        if others:
            whole += (" AND NOT EXISTS (SELECT 1 FROM calibration_record_refs o WHERE o.record_id = r.record_id "
                      f"AND o.ref_kind = 'device' AND o.ref_id IN ({others}))")
        return direct + [whole]


def int_node(node: Node) -> Node:
    kind, ident = node
    if kind not in SUBJECT_KINDS:
        raise ValueError(kind)
    return kind, int(ident)


def _level_sql(cat: _Catalogue, level: list) -> str:
    """One UNION ALL over the ref index for every node of a level, as text: SQLAlchemy takes
    longer to compile a wide union than PostgreSQL takes to run it. Everything put into the
    text is an integer or a date from the database (no user input). A record is listed once
    (its first arm); superseded records are left out through the (status, id) index."""
    arms = [
        f"SELECT {i} AS arm, r.record_id, r.performed_on FROM calibration_record_refs r "
        f"WHERE {cond} AND r.performed_on >= '{start.isoformat()}' AND r.performed_on <= '{end.isoformat()}'"
        for i, (node, start, end, _via) in enumerate(level)
        for cond in cat.uses_sql(node)
    ]
    return (
        "SELECT min(u.arm) AS arm, u.record_id, min(u.performed_on) AS performed_on "
        f"FROM ({' UNION ALL '.join(arms)}) u "
        "WHERE u.record_id NOT IN (SELECT c.id FROM calibration_records c WHERE c.status = 'superseded') "
        "GROUP BY u.record_id ORDER BY min(u.performed_on), u.record_id"
    )


def _rows(session: Session, sql: str) -> list[tuple[int, int, date]]:
    """(arm, record id, date) rows straight from the driver: at 10^5 rows the ORM's row
    objects would cost more than the query (SQLite returns dates as text)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # the grouping of 10^5 refs fits in memory
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if rows and isinstance(rows[0][2], str):
        rows = [(a, r, date.fromisoformat(d)) for a, r, d in rows]
    return rows


def trace(session: Session, subject: Subject, since: date, until: date, today: date | None = None) -> Trace:
    """Every record reached through ``subject`` used inside [since, until], to any depth.

    Breadth first, one level at a time, with a fixed number of queries per level: the records of
    every node of the level (one UNION ALL over the ref index), the links those records are the
    source of, the subjects' later calibration dates, and the names of the next level's nodes.
    """
    today = today or date.today()
    cat = _Catalogue()
    root: Node = (subject.kind, subject.id)
    cat.load(session, [root])
    hits: dict[int, tuple[int, date, tuple[str, ...]]] = {}
    level: list[tuple[Node, date, date, tuple[str, ...]]] = [(root, since, until, (cat.labels[root],))]
    expanded: set[tuple[Node, date]] = set()
    depth = 1
    while level and depth <= MAX_DEPTH:
        level = [w for w in level if (w[0], w[1]) not in expanded and w[1] <= w[2]]
        expanded.update((w[0], w[1]) for w in level)
        if not level:
            break
        fresh: dict[int, date] = {}
        for arm, rid, day in _rows(session, _level_sql(cat, level)):
            if rid not in hits:  # a level's rows come in date order; earlier levels win
                hits[rid] = (depth, day, level[arm][3])
                fresh[rid] = day
        children = _children(session, level, fresh, today)
        cat.load(session, [c[0] for c in children])
        level = [(node, start, end, (*hits[rid][2], f"record:{number}", cat.labels[node]))
                 for node, start, end, rid, number in children]
        depth += 1
    # dicts keep insertion order: by depth, then by date and record id within a level
    rows = [(rid, d, day, via) for rid, (d, day, via) in hits.items()]
    return Trace(subject, since, until, rows, rows[-1][1] if rows else 0)


def _children(session: Session, level: list, fresh: dict[int, date], today: date) -> list[tuple[Node, date, date, int, str]]:
    """The nodes calibrated by newly reached records: (node, from, until, record id, record number).

    A node is affected from the record's date until the day before its next calibration link,
    or until ``today``.
    """
    if not fresh:
        return []
    first, last = min(w[1] for w in level), max(w[2] for w in level)
    stmt = (
        select(TraceLink.subject_kind, TraceLink.subject_id, TraceLink.record_id, TraceLink.calibrated_on,
               CalibrationRecord.number)
        .join(CalibrationRecord, CalibrationRecord.id == TraceLink.record_id)
        .where(TraceLink.source_kind == "record", TraceLink.status == "active",
               CalibrationRecord.performed_on >= first, CalibrationRecord.performed_on <= last)
        .order_by(TraceLink.calibrated_on, TraceLink.id)
    )
    links = [row for row in session.execute(stmt) if row[2] in fresh]
    if not links:
        return []
    subjects = {(k, i) for k, i, *_ in links}
    dates: dict[Node, list[date]] = {}
    clause = or_(*(and_(TraceLink.subject_kind == k, TraceLink.subject_id.in_([i for kk, i in subjects if kk == k]))
                   for k in {k for k, _ in subjects}))
    for k, i, day in session.execute(select(TraceLink.subject_kind, TraceLink.subject_id, TraceLink.calibrated_on)
                                     .where(clause, TraceLink.status == "active")):
        dates.setdefault((k, i), []).append(day)
    out = []
    for k, i, rid, calibrated_on, number in links:
        later = [d for d in dates.get((k, i), []) if d > calibrated_on]
        end = min(min(later) - timedelta(days=1), today) if later else today
        out.append(((k, i), fresh[rid], end, rid, number))
    return out


# ------------------------------------------------------------------ verdicts


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _below(a: float, b: float) -> bool:
    """a < b beyond rounding."""
    return a < b and not _close(a, b)


def point_may_change(error: float | None, lower: float | None, upper: float | None, shift: float) -> bool | None:
    """Whether shifting ``error`` by up to ±``shift`` could cross an MPE limit (see module doc)."""
    if error is None or (lower is None and upper is None):
        return None
    lo = -math.inf if lower is None else lower
    hi = math.inf if upper is None else upper
    conforms = not _below(error, lo) and not _below(hi, error)
    if conforms:
        return _below(error - shift, lo) or _below(hi, error + shift)
    return not _below(min(hi, error + shift), max(lo, error - shift))


def record_may_change(flags: Iterable[bool | None]) -> bool | None:
    flags = list(flags)
    if any(f is True for f in flags):
        return True
    if flags and all(f is False for f in flags):
        return False
    return None


# ------------------------------------------------------------------ details


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def describe(session: Session, hits: list[Hit], shift: float | None, unit: str | None) -> list[dict[str, Any]]:
    """The record, certificate, instrument, owner and point verdicts of each hit (in order)."""
    from jiliang.certificates.models import Certificate

    out: list[dict[str, Any]] = []
    for part in _chunks(hits):
        ids = [h.record_id for h in part]
        rows = {
            r.id: r
            for r in session.execute(
                select(
                    CalibrationRecord.id, CalibrationRecord.number, CalibrationRecord.lab_org_id,
                    CalibrationRecord.unit, CalibrationRecord.instrument_id,
                    Instrument.serial_no, Instrument.owner_org_id, Instrument.region_code, Instrument.city_code,
                    Organisation.name.label("owner"), Certificate.id.label("cert_id"),
                    Certificate.number.label("cert_no"),
                )
                .join(Instrument, Instrument.id == CalibrationRecord.instrument_id)
                .join(Organisation, Organisation.id == Instrument.owner_org_id)
                .outerjoin(Certificate, Certificate.record_id == CalibrationRecord.id)
                .where(CalibrationRecord.id.in_(ids))
            )
        }
        points: dict[int, list] = {}
        for p in session.execute(
            select(CalibrationPoint.record_id, CalibrationPoint.seq, CalibrationPoint.nominal,
                   CalibrationPoint.error, CalibrationPoint.mpe_lower, CalibrationPoint.mpe_upper,
                   CalibrationPoint.expanded_uncertainty, CalibrationPoint.verdict)
            .where(CalibrationPoint.record_id.in_(ids)).order_by(CalibrationPoint.record_id, CalibrationPoint.seq)
        ):
            points.setdefault(p.record_id, []).append(p)
        for h in part:
            r = rows.get(h.record_id)
            if r is None:
                continue
            same_unit = shift is not None and unit is not None and norm_unit(r.unit) == unit
            pts = [
                {"seq": p.seq, "nominal": p.nominal, "error": p.error, "mpe_lower": p.mpe_lower,
                 "mpe_upper": p.mpe_upper, "expanded_uncertainty": p.expanded_uncertainty, "verdict": p.verdict,
                 "may_change": point_may_change(p.error, p.mpe_lower, p.mpe_upper, shift) if same_unit else None}
                for p in points.get(h.record_id, [])
            ]
            out.append({
                "record_id": r.id, "record": r.number, "lab_org_id": r.lab_org_id, "unit": r.unit,
                "certificate_id": r.cert_id, "certificate": r.cert_no,
                "instrument_id": r.instrument_id, "serial_no": r.serial_no,
                "owner_org_id": r.owner_org_id, "owner": r.owner,
                "region_code": r.region_code, "city_code": r.city_code,
                "depth": h.depth, "performed_on": h.performed_on, "via": list(h.via),
                "points": pts, "verdict_may_change": record_may_change(p["may_change"] for p in pts),
            })
    return out


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """An affected result as the CLI and API print it."""
    keys = ("record", "certificate", "instrument_id", "serial_no", "owner", "region_code", "depth",
            "performed_on", "verdict_may_change", "via")
    out = {k: row[k] for k in keys}
    out["performed_on"] = row["performed_on"].isoformat()
    return out


# ------------------------------------------------------------------ permissions


def _may_mark(who: Principal, subject: Subject) -> None:
    if who.is_admin:
        return
    if who.role in OPENERS and who.org_id == subject.lab_org_id:
        return
    raise Forbidden("只有该计量标准所属实验室的负责人可以标记超差",
                    "Only a manager of the lab that holds the standard may mark it out of tolerance")


def _sees_all_items(who: Principal, case: ReverseCase) -> bool:
    return who.is_admin or (who.is_lab and who.org_id == case.lab_org_id)


def _item_clause(who: Principal):
    """Items a viewer outside the case's lab may see."""
    if who.is_admin:
        return true()
    if who.is_regulator:
        return region_clause(who, ReverseItem.region_code, ReverseItem.city_code)
    if who.org_id is None:
        return ReverseItem.id.is_(None)
    if who.is_lab:
        return or_(ReverseItem.lab_org_id == who.org_id, ReverseItem.owner_org_id == who.org_id)
    return ReverseItem.owner_org_id == who.org_id


def _case_clause(who: Principal):
    if who.is_admin:
        return true()
    in_scope = ReverseCase.id.in_(select(ReverseItem.case_id).where(_item_clause(who)))
    if who.is_lab and who.org_id is not None:
        return or_(ReverseCase.lab_org_id == who.org_id, in_scope)
    return in_scope


def _items_scope(who: Principal, case: ReverseCase):
    return true() if _sees_all_items(who, case) else _item_clause(who)


def get_case(session: Session, who: Principal | None, case_id: int, lock: bool = False) -> ReverseCase:
    who = require(who)
    stmt = select(ReverseCase).where(ReverseCase.id == case_id, _case_clause(who))
    case = session.scalar(stmt.with_for_update() if lock else stmt)
    if case is None:
        raise NotFound("trace_reverse_case", case_id)
    return case


def get_item(session: Session, who: Principal | None, case_id: int, item_id: int) -> tuple[ReverseCase, ReverseItem]:
    case = get_case(session, who, case_id)
    item = session.scalar(select(ReverseItem).where(
        ReverseItem.id == item_id, ReverseItem.case_id == case.id, _items_scope(who, case)))
    if item is None:
        raise NotFound("trace_reverse_item", item_id)
    return case, item


def may_decide(who: Principal, case: ReverseCase, item: ReverseItem | None = None) -> bool:
    if who.is_admin:
        return True
    if who.role not in DECIDERS or who.org_id is None:
        return False
    return who.org_id == case.lab_org_id or (item is not None and who.org_id == item.lab_org_id)


def may_open(who: Principal | None) -> bool:
    return who is not None and (who.is_admin or who.role in OPENERS)


# ------------------------------------------------------------------ preview and cases


def preview(session: Session, who: Principal | None, spec: Spec, page: int = 1, per_page: int = 50,
            today: date | None = None) -> dict[str, Any]:
    """The affected results without opening a case: the count and one page of details."""
    who = require(who)
    _may_mark(who, spec.subject)
    tr = trace(session, spec.subject, spec.since, spec.until, today)
    shown = describe(session, tr.page((page - 1) * per_page, page * per_page), spec.error_found, spec.error_unit)
    return {
        "subject": spec.subject.label, "subject_kind": spec.subject.kind,
        "since": spec.since.isoformat(), "until": spec.until.isoformat(),
        "error_found": spec.error_found, "error_unit": spec.error_unit,
        "count": tr.count, "max_depth": tr.max_depth, "page": page, "per_page": per_page,
        "affected": [{**as_json(r), "points": r["points"]} for r in shown],
    }


def open_case(session: Session, who: Principal | None, spec: Spec, today: date | None = None) -> ReverseCase:
    """Mark the subject out of tolerance: one item per affected result, owners notified."""
    who = require(who)
    _may_mark(who, spec.subject)
    today = today or date.today()
    duplicate = session.scalar(select(ReverseCase.number).where(
        ReverseCase.subject_kind == spec.subject.kind, ReverseCase.subject_id == spec.subject.id,
        ReverseCase.since == spec.since, ReverseCase.until == spec.until, ReverseCase.status == "open"))
    if duplicate:
        raise Conflict(f"该标准在同一时段已有处理中的追溯案例 {duplicate}",
                       f"An open case {duplicate} already covers this standard and window")
    tr = trace(session, spec.subject, spec.since, spec.until, today)
    case = ReverseCase(
        number=f"RT-tmp-{utcnow().timestamp()}", lab_org_id=spec.subject.lab_org_id,
        subject_kind=spec.subject.kind, subject_id=spec.subject.id, standard_id=spec.subject.standard_id,
        subject_label=spec.subject.label, since=spec.since, until=spec.until,
        error_found=spec.error_found, error_unit=spec.error_unit, description=spec.description or "",
        status="open", total=tr.count, closed_items=0, max_depth=tr.max_depth,
        opened_by=who.user_id or None, opened_at=utcnow(),
    )
    session.add(case)
    session.flush()
    case.number = f"RT-{today:%Y}-{case.id:05d}"
    for part in _chunks(tr.hits, 5000):
        rows = describe(session, part, spec.error_found, spec.error_unit)
        if rows:
            session.execute(insert(ReverseItem), [_item_row(case.id, r) for r in rows])
    session.flush()
    audit.record(session, who, "open", CASE_ENTITY, case.id, after={
        **audit.snapshot(case), "description": case.description}, reason=spec.description)
    notify_owners(session, who, case)
    if case.total == 0:
        _close_case(session, who, case)
    return case


def _item_row(case_id: int, r: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": case_id, "record_id": r["record_id"], "record_number": r["record"],
        "lab_org_id": r["lab_org_id"], "performed_on": r["performed_on"],
        "certificate_id": r["certificate_id"], "certificate_number": r["certificate"],
        "instrument_id": r["instrument_id"], "serial_no": r["serial_no"],
        "owner_org_id": r["owner_org_id"], "owner_name": (r["owner"] or "")[:200],
        "region_code": r["region_code"], "city_code": r["city_code"], "depth": r["depth"],
        "via": r["via"], "points": r["points"], "verdict_may_change": r["verdict_may_change"],
        "status": "open",
    }


def notify_owners(session: Session, who: Principal | None, case: ReverseCase) -> int:
    """Tell each owner with items not yet notified, once: items keep ``notified_at``, and the
    outbox (when present) refuses a second notice with the same key. One audit entry per owner
    told. Returns the number of owners told."""
    counts = dict(session.execute(
        select(ReverseItem.owner_org_id, func.count())
        .where(ReverseItem.case_id == case.id, ReverseItem.notified_at.is_(None))
        .group_by(ReverseItem.owner_org_id).order_by(ReverseItem.owner_org_id)
    ).all())
    if not counts:
        return 0
    channel = "audit"
    if present("jiliang.supervision.outbox"):
        from jiliang.supervision import outbox

        channel = "outbox"
        notices = [_notice(outbox, case, org_id, n) for org_id, n in counts.items()]
        if hasattr(outbox, "enqueue_many"):
            outbox.enqueue_many(session, notices)
        else:
            for n in notices:
                outbox.enqueue(session, org_id=n.org_id, topic=n.topic, dedup_key=n.dedup_key, title=n.title,
                               body=n.body, link=n.link)
    for org_id, n in counts.items():
        audit.record(session, who, "notify", CASE_ENTITY, case.id,
                     after={"owner_org_id": org_id, "items": n, "channel": channel})
    session.execute(update(ReverseItem).where(ReverseItem.case_id == case.id, ReverseItem.notified_at.is_(None))
                    .values(notified_at=utcnow()))
    session.flush()
    return len(counts)


def _notice(outbox, case: ReverseCase, org_id: int, n: int):
    return outbox.NoticeIn(
        org_id=org_id, topic=TOPIC, dedup_key=f"case-{case.id}",
        title=(f"计量标准超差追溯：{case.number}", f"Standard out of tolerance: {case.number}"),
        body=(f"计量标准 {case.subject_label} 在 {case.since} 至 {case.until} 期间超差，"
              f"贵单位 {n} 项检定/校准结果可能受影响，请关注处置结果。",
              f"Standard {case.subject_label} was out of tolerance from {case.since} to {case.until}; "
              f"{n} of your calibration results may be affected. Watch for their disposition."),
        link=f"/trace/reverse/{case.id}",
    )


def resend(session: Session, who: Principal | None, case_id: int) -> int:
    """Notify owners not told yet (a repeated call tells nobody twice)."""
    who = require(who)
    case = get_case(session, who, case_id)
    if not may_decide(who, case):
        raise Forbidden()
    return notify_owners(session, who, case)


def set_disposition(session: Session, who: Principal | None, case_id: int, item_id: int,
                    disposition: Any, note: Any) -> ReverseItem:
    """Record (or revise, while the case is open) an item's disposition; the last one closes the case."""
    who = require(who)
    case, item = get_item(session, who, case_id, item_id)
    if not may_decide(who, case, item):
        raise Forbidden("只有实验室负责人或批准人可以处置", "Only the lab's manager or approver may decide")
    if disposition not in DISPOSITIONS:
        raise _bad("disposition", "应为 " + "、".join(DISPOSITIONS), "one of " + ", ".join(DISPOSITIONS))
    note = _text(note, "note", TEXT_MAX, required=True)
    case = get_case(session, who, case_id, lock=True)
    if case.status != "open":
        raise Conflict("案例已关闭，不能再修改", "The case is closed and can no longer change")
    before = audit.snapshot(item)
    was_open = item.status == "open"
    item.disposition, item.note, item.status = disposition, note, "closed"
    item.decided_by, item.decided_at = who.user_id or None, utcnow()
    audit.record(session, who, "disposition", ITEM_ENTITY, item.id, before=before, after=audit.snapshot(item),
                 reason=note)
    if was_open:
        session.execute(update(ReverseCase).where(ReverseCase.id == case.id)
                        .values(closed_items=ReverseCase.closed_items + 1))
        session.flush()
        session.refresh(case)
        if case.closed_items >= case.total:
            _close_case(session, who, case)
    session.flush()
    return item


def _close_case(session: Session, who: Principal, case: ReverseCase) -> None:
    before = audit.snapshot(case)
    case.status, case.closed_at = "closed", utcnow()
    audit.record(session, who, "close", CASE_ENTITY, case.id, before=before, after=audit.snapshot(case))
    session.flush()


# ------------------------------------------------------------------ lists


def _like(q: str | None) -> str | None:
    q = (q or "").replace("\x00", "").strip()
    return f"%{q}%" if q else None


def list_cases(session: Session, who: Principal | None, q: str | None = None, status: str | None = None,
               page: int = 1, per_page: int = 25) -> tuple[list[ReverseCase], int]:
    who = require(who)
    stmt = select(ReverseCase).where(_case_clause(who))
    if status:
        stmt = stmt.where(ReverseCase.status == status)
    like = _like(q)
    if like:
        stmt = stmt.where(or_(ReverseCase.number.ilike(like), ReverseCase.subject_label.ilike(like),
                              ReverseCase.description.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(ReverseCase.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


@dataclass(frozen=True)
class ItemFilter:
    status: str | None = None
    depth: int | None = None
    region: str | None = None
    may_change: bool | None = None
    q: str | None = None

    def validate(self) -> ItemFilter:
        if self.status and self.status not in ITEM_STATES:
            raise _bad("status", "应为 open 或 closed", "one of open, closed")
        if self.depth is not None and not 1 <= self.depth <= MAX_DEPTH:
            raise _bad("depth", f"应在 1 到 {MAX_DEPTH} 之间", f"between 1 and {MAX_DEPTH}")
        if self.region and not (len(self.region) == 6 and self.region.isdigit()):
            raise _bad("region", "应为 6 位行政区划代码", "a 6-digit region code")
        return self


def _items_stmt(who: Principal, case: ReverseCase, f: ItemFilter):
    stmt = select(ReverseItem).where(ReverseItem.case_id == case.id, _items_scope(who, case))
    if f.status:
        stmt = stmt.where(ReverseItem.status == f.status)
    if f.depth is not None:
        stmt = stmt.where(ReverseItem.depth == f.depth)
    if f.region:
        stmt = stmt.where(or_(ReverseItem.region_code == f.region, ReverseItem.city_code == f.region))
    if f.may_change is not None:
        stmt = stmt.where(ReverseItem.verdict_may_change.is_(f.may_change))
    like = _like(f.q)
    if like:
        stmt = stmt.where(or_(ReverseItem.record_number.ilike(like), ReverseItem.certificate_number.ilike(like),
                              ReverseItem.serial_no.ilike(like), ReverseItem.owner_name.ilike(like)))
    return stmt


def list_items(session: Session, who: Principal | None, case_id: int, f: ItemFilter = ItemFilter(),
               page: int = 1, per_page: int = 25) -> tuple[ReverseCase, list[ReverseItem], int]:
    case = get_case(session, who, case_id)
    stmt = _items_stmt(who, case, f.validate())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(ReverseItem.depth, ReverseItem.performed_on, ReverseItem.id)
                           .offset((page - 1) * per_page).limit(per_page))
    return case, list(rows), total


def iter_items(session: Session, who: Principal | None, case_id: int, f: ItemFilter = ItemFilter()):
    """Every item in scope and filter (for exports), streamed in id order."""
    case = get_case(session, who, case_id)
    stmt = _items_stmt(who, case, f.validate()).order_by(ReverseItem.depth, ReverseItem.performed_on, ReverseItem.id)
    return case, session.scalars(stmt.execution_options(yield_per=CHUNK))


def counts_by_county(session: Session, who: Principal | None, case: ReverseCase) -> dict[str, int]:
    stmt = (select(ReverseItem.region_code, func.count())
            .where(ReverseItem.case_id == case.id, _items_scope(who, case))
            .group_by(ReverseItem.region_code))
    return {code: n for code, n in session.execute(stmt) if code}


def depth_counts(session: Session, who: Principal | None, case: ReverseCase) -> dict[int, int]:
    stmt = (select(ReverseItem.depth, func.count())
            .where(ReverseItem.case_id == case.id, _items_scope(who, case))
            .group_by(ReverseItem.depth).order_by(ReverseItem.depth))
    return dict(session.execute(stmt).all())


def item_trail(session: Session, item: ReverseItem) -> list:
    return audit.entries_for(session, ITEM_ENTITY, item.id)


def case_dict(case: ReverseCase) -> dict[str, Any]:
    return {
        "id": case.id, "number": case.number, "status": case.status, "lab_org_id": case.lab_org_id,
        "subject_kind": case.subject_kind, "subject_id": case.subject_id, "subject": case.subject_label,
        "since": case.since.isoformat(), "until": case.until.isoformat(),
        "error_found": case.error_found, "error_unit": case.error_unit, "description": case.description,
        "total": case.total, "closed": case.closed_items, "max_depth": case.max_depth,
        "opened_at": case.opened_at.isoformat() if case.opened_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }


def item_dict(item: ReverseItem) -> dict[str, Any]:
    return {
        "id": item.id, "case_id": item.case_id, "record_id": item.record_id, "record": item.record_number,
        "certificate": item.certificate_number, "instrument_id": item.instrument_id, "serial_no": item.serial_no,
        "owner_org_id": item.owner_org_id, "owner": item.owner_name, "region_code": item.region_code,
        "depth": item.depth, "performed_on": item.performed_on.isoformat(), "via": item.via,
        "verdict_may_change": item.verdict_may_change, "points": item.points, "status": item.status,
        "disposition": item.disposition, "note": item.note,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "notified_at": item.notified_at.isoformat() if item.notified_at else None,
    }


EXPORT_HEADER = {
    "zh": ["记录编号", "证书编号", "器具ID", "出厂编号", "使用单位", "区县", "层级", "检定/校准日期",
           "结论可能改变", "追溯路径", "状态", "处置", "说明"],
    "en": ["Record", "Certificate", "Instrument ID", "Serial no.", "Owner", "County", "Depth", "Performed on",
           "Verdict may change", "Via", "Status", "Disposition", "Note"],
}


def export_rows(items: Iterable[ReverseItem], lang: str) -> Iterator[list[Any]]:
    idx = 1 if lang == "en" else 0
    yes_no = {True: ("是", "yes"), False: ("否", "no"), None: ("未知", "unknown")}
    for it in items:
        yield [it.record_number, it.certificate_number or "", it.instrument_id, it.serial_no or "",
               it.owner_name, it.region_code or "", it.depth, it.performed_on.isoformat(),
               yes_no[it.verdict_may_change][idx], " → ".join(it.via or []),
               ITEM_STATES[it.status][idx], DISPOSITIONS[it.disposition][idx] if it.disposition else "",
               it.note or ""]
