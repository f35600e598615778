"""Checking a traceability chain (溯源链核查), as of the date of the result.

A result is a calibration record (or the certificate issued from it, or an instrument's latest
approved record). For each standard, device and reference-material lot the record used, the
check asks, **on the record's date**:

1. was the item itself valid (standard active and its assessment valid; device active and its
   certificate valid; RM lot active and not expired)?
2. which trace link was in force for it (the active link with the latest ``calibrated_on`` on or
   before that date)? None is a gap (``no_link``); a link whose ``valid_until`` is before the date
   is a gap (``link_expired``);
3. the link's source: a Jiliang record (approved, not superseded, its certificate neither revoked
   nor superseded; then the same check is applied to *that* record at *its* date, recursively), an
   external certificate (active, valid on the date of use; terminal if it declares a terminal
   kind, else ``no_terminal``), or a terminal node directly;
4. uncertainty: the expanded uncertainty at each level must not be smaller than that of the level
   above (the record's smallest point U against the link's U of the item used; a link's U against
   its source's U). Values in different units that cannot be converted are reported as "not
   comparable" in ``notes``, not as a gap. The ratio of the two is reported per step (``ratio``,
   the uncertainty ratio; for the checked record its points' own TUR is given as well).

**Depth** is the number of calibration steps — Jiliang records or external certificates — on the
longest path from the checked result up to the step that reaches a terminal node; the checked
result's own record is step 1. A record using a device calibrated by a national institute's
certificate that is itself a terminal (national primary standard) has depth 2.

The result is ``{"traceable": bool, "gaps": [...], "depth": int, ...}`` plus ``nodes`` and
``edges`` for drawing. Each gap has a stable ``code``, the ``level`` (the step, 1 = the checked
record), the ``subject``, ``reason_zh``/``reason_en`` and a ``fix`` (what to change, with a URL).

Gap codes (stable): ``no_reference`` (the record names nothing used), ``no_link``,
``link_expired``, ``standard_assessment_lapsed``, ``standard_retired``,
``device_certificate_lapsed``, ``device_retired``, ``material_expired``, ``material_retired``,
``source_not_approved``, ``source_superseded``, ``source_revoked``, ``source_expired``,
``uncertainty_inversion``, ``no_terminal``, ``cycle``, ``unknown_subject``. A gap whose
``severity`` is "unregistered" (nothing was ever entered: no link at all for the item, or no item
named) or "broken" (something entered is not valid); either stops an approval unless the approver
records a reason (see ``blocking_gaps``).

The upward part from a source record does not depend on who uses it, so it is computed once per
checker (memoised); a cycle of links is reported as a gap, never followed twice.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.calibration.models import CalibrationPoint, CalibrationRecord
from jiliang.certificates.models import Certificate
from jiliang.materials.models import ReferenceMaterial
from jiliang.orgs.models import Organisation
from jiliang.standards.models import MeasurementStandard, StandardDevice
from jiliang.traceability.models import (
    TERMINAL_KINDS,
    ChainReport,
    ExternalCertificate,
    RecordRef,
    TraceLink,
)

MAX_REPORT_ITEMS = 2000

KIND_WORDS = {
    "standard": ("计量标准", "standard"),
    "device": ("标准器", "device"),
    "material": ("标准物质", "RM lot"),
    "record": ("检定校准记录", "record"),
    "external": ("外部证书", "external certificate"),
    "terminal": ("溯源终点", "terminal node"),
}

# codes whose gap the record's lapsed-standard override (by the lab manager) already covers
_OVERRIDABLE = frozenset({
    "standard_assessment_lapsed", "standard_retired", "device_certificate_lapsed",
    "device_retired", "material_expired", "material_retired",
})


@dataclass
class RecInfo:
    id: int
    number: str
    lab_org_id: int
    performed_on: date
    status: str
    standard_ids: list
    device_ids: list
    material_ids: list
    unit: str | None
    u_min: float | None = None
    tur_min: float | None = None
    lapsed_override: dict | None = None


@dataclass
class Part:
    """The check of one record and everything above it; rows and levels relative to it."""

    gaps: list[dict] = field(default_factory=list)
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    depth: int = 1


def _plain(obj: Any) -> SimpleNamespace | None:
    """A detached copy of a row's columns (plain attribute reads: the nightly run reads them often)."""
    if obj is None:
        return None
    return SimpleNamespace(**{c.key: getattr(obj, c.key) for c in obj.__table__.columns})


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _gap(code: str, level: int, subject: dict, zh: str, en: str, fix: dict, node: str,
         severity: str = "broken") -> dict:
    return {"code": code, "level": level, "subject": subject, "reason_zh": zh, "reason_en": en,
            "fix": fix, "node": node, "severity": severity, "overridden": False}


def _fix(kind: str, ident: int | None, url: str) -> dict:
    return {"kind": kind, "id": ident, "url": url}


_SUBJECT_URLS = {"standard": "/standards/{}", "device": "/standard-devices/{}", "material": "/materials/{}"}


@lru_cache(maxsize=1024)
def _factor(unit: str, target: str) -> float | None:
    """How many ``target`` one ``unit`` is, or None when the two do not convert."""
    if unit.strip() == target.strip():
        return 1.0
    try:
        from jiliang.uncertainty.model import unit_registry

        return float(unit_registry().Quantity(1.0, unit).to(target).magnitude)
    except Exception:  # pint raises many kinds; all mean "not convertible"
        return None


def _to_unit(value: float, unit: str, target: str) -> float | None:
    """``value`` in ``unit`` expressed in ``target``, or None when the two do not convert."""
    factor = _factor(unit, target)
    return None if factor is None else value * factor


def compare_u(lower: float | None, lower_unit: str | None, upper: float | None,
              upper_unit: str | None) -> tuple[str, float | None]:
    """Compare the U of a level with the U of the level above it.

    Returns ``("ok" | "inverted" | "not_comparable" | "unknown", ratio)`` where ratio is
    lower/upper (in the lower level's unit).
    """
    if lower is None or upper is None:
        return "unknown", None
    if not lower_unit or not upper_unit:
        return "not_comparable", None
    upper_here = _to_unit(upper, upper_unit, lower_unit)
    if upper_here is None:
        return "not_comparable", None
    ratio = lower / upper_here if upper_here > 0 else None
    if lower < upper_here * (1 - 1e-9):
        return "inverted", ratio
    return "ok", ratio


class Checker:
    """Checks chains with memo: reuse one checker for many results (the nightly run)."""

    def __init__(self, session: Session, preload: bool = False) -> None:
        self.s = session
        self._std: dict[int, MeasurementStandard | None] = {}
        self._dev: dict[int, StandardDevice | None] = {}
        self._rm: dict[int, ReferenceMaterial | None] = {}
        self._ext: dict[int, ExternalCertificate | None] = {}
        self._links: dict[tuple[str, int], list[TraceLink]] = {}
        self._recs: dict[int, RecInfo | None] = {}
        self._parts: dict[tuple[int, bool], Part] = {}
        self._lab_names: dict[int, str] = {}
        self._certs: dict[int, tuple[str, str] | None] = {}
        self._active: dict[tuple[str, int], tuple[list[date], list[TraceLink]]] = {}
        if preload:
            self._preload()

    # ---------------------------------------------------------------- look-ups

    def _preload(self) -> None:
        for cache, model in ((self._std, MeasurementStandard), (self._dev, StandardDevice),
                             (self._rm, ReferenceMaterial), (self._ext, ExternalCertificate)):
            for obj in self.s.scalars(select(model)):
                cache[obj.id] = _plain(obj)
        grouped: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for link in self.s.scalars(select(TraceLink).order_by(TraceLink.calibrated_on, TraceLink.id)):
            grouped[(link.subject_kind, link.subject_id)].append(_plain(link))
        self._links = dict(grouped)
        self._all_links_loaded = True

    def _get(self, cache: dict, model: type, ident: int) -> Any:
        if ident not in cache:
            cache[ident] = _plain(self.s.get(model, ident))
        return cache[ident]

    def links_of(self, kind: str, ident: int) -> list[TraceLink]:
        key = (kind, ident)
        if key not in self._links:
            if getattr(self, "_all_links_loaded", False):
                return []
            self._links[key] = [_plain(x) for x in self.s.scalars(
                select(TraceLink).where(TraceLink.subject_kind == kind, TraceLink.subject_id == ident)
                .order_by(TraceLink.calibrated_on, TraceLink.id))]
        return self._links[key]

    def link_in_force(self, kind: str, ident: int, on: date) -> TraceLink | None:
        """The active link with the latest calibration date on or before ``on``."""
        key = (kind, ident)
        active = self._active.get(key)
        if active is None:
            links = [x for x in self.links_of(kind, ident) if x.status == "active"]
            active = self._active[key] = ([x.calibrated_on for x in links], links)
        i = bisect.bisect_right(active[0], on)
        return active[1][i - 1] if i else None

    def lab_name(self, org_id: int) -> str:
        if org_id not in self._lab_names:
            org = self.s.get(Organisation, org_id)
            self._lab_names[org_id] = org.name if org else str(org_id)
        return self._lab_names[org_id]

    def rec_info(self, record_id: int) -> RecInfo | None:
        if record_id not in self._recs:
            rec = self.s.get(CalibrationRecord, record_id)
            self._recs[record_id] = None if rec is None else self.info_of(rec)
        return self._recs[record_id]

    def info_of(self, rec: CalibrationRecord, u_min: Any = False, tur_min: Any = False) -> RecInfo:
        if u_min is False:
            u_min, tur_min = self.s.execute(
                select(func.min(CalibrationPoint.expanded_uncertainty), func.min(CalibrationPoint.tur))
                .where(CalibrationPoint.record_id == rec.id)).one()
        return RecInfo(rec.id, rec.number, rec.lab_org_id, rec.performed_on, rec.status,
                       list(rec.standard_ids or []), list(rec.device_ids or []), list(rec.material_ids or []),
                       rec.unit, u_min, tur_min, rec.lapsed_override)

    def _cert_of(self, record_id: int) -> tuple[str, str] | None:
        """(number, status) of the certificate issued from a record, once per record."""
        if record_id not in self._certs:
            row = self.s.execute(select(Certificate.number, Certificate.status)
                                 .where(Certificate.record_id == record_id)).first()
            self._certs[record_id] = (row[0], row[1]) if row else None
        return self._certs[record_id]

    # ---------------------------------------------------------------- subjects

    def _subject(self, kind: str, ident: int) -> tuple[dict, Any]:
        if kind == "standard":
            obj = self._get(self._std, MeasurementStandard, ident)
            name = obj.name if obj else str(ident)
        elif kind == "device":
            obj = self._get(self._dev, StandardDevice, ident)
            name = obj.name if obj else str(ident)
        else:
            obj = self._get(self._rm, ReferenceMaterial, ident)
            name = f"{obj.gbw_no} {obj.name} {obj.lot}" if obj else str(ident)
        return {"kind": kind, "id": ident, "name": name}, obj

    def _subjects(self, info: RecInfo) -> list[tuple[str, int, bool]]:
        """(kind, id, needs_link): a standard whose devices the record names is traced through them."""
        out: list[tuple[str, int, bool]] = []
        std_with_devices = set()
        for did in info.device_ids:
            dev = self._get(self._dev, StandardDevice, int(did))
            if dev is not None:
                std_with_devices.add(dev.standard_id)
        out += [("standard", int(s), int(s) not in std_with_devices) for s in info.standard_ids]
        out += [("device", int(d), True) for d in info.device_ids]
        out += [("material", int(m), True) for m in info.material_ids]
        return out

    def _validity(self, kind: str, subject: dict, obj: Any, on: date, level: int, node: str) -> list[dict]:
        if obj is not None and obj.status == "active":
            until = (obj.assessment_valid_until if kind == "standard" else obj.certificate_valid_until
                     if kind == "device" else obj.expiry)
            if until is not None and until >= on or (kind == "material" and until is None):
                return []
        name, ident = subject["name"], subject["id"]
        fix = _fix(kind, ident, _SUBJECT_URLS[kind].format(ident))
        day = on.isoformat()
        if obj is None:
            return [_gap("unknown_subject", level, subject, f"{KIND_WORDS[kind][0]} {ident} 不存在",
                         f"{KIND_WORDS[kind][1]} {ident} does not exist", fix, node)]
        if kind == "standard":
            if obj.status != "active":
                return [_gap("standard_retired", level, subject, f"计量标准“{name}”已停用",
                             f"Standard '{name}' is retired", fix, node)]
            until = obj.assessment_valid_until
            if until is None or until < on:
                return [_gap("standard_assessment_lapsed", level, subject,
                             f"计量标准“{name}”的考核证书有效期至 {_iso(until) or '未登记'}，{day} 使用时已失效",
                             f"Standard '{name}': assessment valid until {_iso(until) or 'not recorded'}, "
                             f"lapsed when used on {day}", fix, node)]
        elif kind == "device":
            if obj.status != "active":
                return [_gap("device_retired", level, subject, f"标准器“{name}”已停用",
                             f"Device '{name}' is retired", fix, node)]
            until = obj.certificate_valid_until
            if until is None or until < on:
                return [_gap("device_certificate_lapsed", level, subject,
                             f"标准器“{name}”的检定/校准证书有效期至 {_iso(until) or '未登记'}，{day} 使用时已失效",
                             f"Device '{name}': certificate valid until {_iso(until) or 'not recorded'}, "
                             f"lapsed when used on {day}", fix, node)]
        else:
            if obj.status != "active":
                return [_gap("material_retired", level, subject, f"标准物质“{name}”已停用",
                             f"RM lot '{name}' is retired", fix, node)]
            if obj.expiry is not None and obj.expiry < on:
                return [_gap("material_expired", level, subject,
                             f"标准物质“{name}”有效期至 {obj.expiry.isoformat()}，{day} 使用时已过期",
                             f"RM lot '{name}' expired on {obj.expiry.isoformat()}, used on {day}", fix, node)]
        return []

    # ---------------------------------------------------------------- the check

    def record_part(self, info: RecInfo, stack: frozenset[int] = frozenset(), graph: bool = True) -> Part:
        """Check ``info`` and everything above it (relative levels: this record is level 1)."""
        part = Part()
        on = info.performed_on
        rid = f"record:{info.id}"
        if graph:
            part.nodes[rid] = {"id": rid, "kind": "record", "label": info.number, "row": 0,
                               "issuer": self.lab_name(info.lab_org_id), "date": on.isoformat(),
                               "url": f"/calibration/{info.id}", "u": info.u_min, "unit": info.unit,
                               "tur": info.tur_min}
        subjects = self._subjects(info)
        if not subjects:
            part.gaps.append(_gap(
                "no_reference", 1, {"kind": "record", "id": info.id, "name": info.number},
                f"记录 {info.number} 未登记所用的计量标准、标准器或标准物质，无法溯源",
                f"Record {info.number} names no standard, device or RM lot used: nothing to trace",
                _fix("calibration_record", info.id, f"/calibration/{info.id}"), rid, "unregistered"))
        for kind, ident, needs_link in subjects:
            subject, obj = self._subject(kind, ident)
            sid = f"{kind}:{ident}"
            if graph:
                part.nodes.setdefault(sid, {"id": sid, "kind": kind, "label": subject["name"], "row": 1,
                                            "url": _SUBJECT_URLS[kind].format(ident),
                                            "issuer": self.lab_name(info.lab_org_id)})
                part.edges.append({"from": sid, "to": rid, "kind": "used", "date": on.isoformat()})
            part.gaps += self._validity(kind, subject, obj, on, 1, sid)
            if obj is None or not needs_link:
                continue
            self._follow_link(part, info, kind, ident, subject, sid, stack, graph)
        return part

    def _follow_link(self, part: Part, info: RecInfo, kind: str, ident: int, subject: dict, sid: str,
                     stack: frozenset[int], graph: bool) -> None:
        on, name = info.performed_on, subject["name"]
        link = self.link_in_force(kind, ident, on)
        if link is None:
            day = on.isoformat()
            registered = any(x.calibrated_on <= on for x in self.links_of(kind, ident))
            new_url = f"/trace/links/new?subject_kind={kind}&subject_id={ident}"
            part.gaps.append(_gap(
                "no_link", 1, subject,
                f"{KIND_WORDS[kind][0]}“{name}”在 {day} 没有有效的溯源关系（未登记校准来源）",
                f"{KIND_WORDS[kind][1].capitalize()} '{name}' has no trace link in force on {day} "
                "(no calibration source registered)",
                _fix("trace_link", None, new_url), sid,
                "broken" if registered or self.links_of(kind, ident) else "unregistered"))
            return
        link_fix = _fix("trace_link", link.id, f"/trace-links/{link.id}")
        if link.valid_until is not None and link.valid_until < on:
            day = on.isoformat()
            part.gaps.append(_gap(
                "link_expired", 1, subject,
                f"{KIND_WORDS[kind][0]}“{name}”的溯源（{link.calibrated_on.isoformat()} 校准）有效期至 "
                f"{link.valid_until.isoformat()}，{day} 使用时已过期",
                f"The calibration of {KIND_WORDS[kind][1]} '{name}' ({link.calibrated_on.isoformat()}) was valid "
                f"until {link.valid_until.isoformat()}, expired when used on {day}", link_fix, sid))
        verdict, ratio = compare_u(info.u_min, info.unit, link.expanded_uncertainty, link.unit)
        if verdict in ("inverted", "not_comparable"):
            self._u_verdict(part, verdict, 1, subject, sid, link_fix,
                            (f"记录 {info.number} 的扩展不确定度 {info.u_min:g} {info.unit or ''}",
                             f"record {info.number} U = {info.u_min:g} {info.unit or ''}"),
                            (f"所用{KIND_WORDS[kind][0]}“{name}”的 U = {link.expanded_uncertainty} {link.unit or ''}",
                             f"the {KIND_WORDS[kind][1]} '{name}' used has U = {link.expanded_uncertainty} "
                             f"{link.unit or ''}"))
        edge: dict[str, Any] = {"from": None}
        if graph:
            edge.update({"to": sid, "kind": "calibrated", "link_id": link.id,
                         "calibrated_on": link.calibrated_on.isoformat(), "valid_until": _iso(link.valid_until),
                         "u": link.expanded_uncertainty, "unit": link.unit, "ratio": ratio,
                         "url": f"/trace-links/{link.id}"})
        if link.source_kind == "terminal":
            tid = f"terminal:link:{link.id}"
            if graph:
                part.nodes[tid] = self._terminal_node(tid, link.terminal_kind, link.terminal_reference, 2)
            edge["from"] = tid
        elif link.source_kind == "external":
            self._external(part, info, link, subject, sid, edge, graph)
        else:
            self._source_record(part, info, link, subject, sid, edge, stack, graph)
        if graph and edge["from"]:
            part.edges.append(edge)

    def _terminal_node(self, tid: str, kind: str | None, reference: str | None, row: int) -> dict:
        zh, en = TERMINAL_KINDS.get(kind or "", ("溯源终点", "Terminal node"))
        return {"id": tid, "kind": "terminal", "label": reference or zh, "terminal_kind": kind,
                "label_zh": zh, "label_en": en, "row": row, "url": None, "terminal": True}

    def _u_verdict(self, part: Part, verdict: str, level: int, subject: dict, node: str, fix: dict,
                   lower: tuple[str, str], upper: tuple[str, str]) -> None:
        if verdict == "inverted":
            part.gaps.append(_gap(
                "uncertainty_inversion", level, subject,
                f"不确定度倒挂：{lower[0]}小于{upper[0]}",
                f"Uncertainty inversion: {lower[1]} is smaller than {upper[1]}", fix, node))
        elif verdict == "not_comparable":
            part.notes.append({"code": "uncertainty_not_comparable", "level": level, "subject": subject,
                               "zh": f"不确定度单位不同，无法比较：{lower[0]}；{upper[0]}",
                               "en": f"Not comparable (units differ): {lower[1]}; {upper[1]}"})

    def _external(self, part: Part, info: RecInfo, link: TraceLink, subject: dict, sid: str, edge: dict,
                  graph: bool) -> None:
        on = info.performed_on
        ext = self._get(self._ext, ExternalCertificate, link.external_id) if link.external_id else None
        xid = f"external:{link.external_id}"
        edge["from"] = xid
        if ext is None:
            part.gaps.append(_gap("no_terminal", 2, subject, "外部证书不存在", "The external certificate does not exist",
                                  _fix("trace_link", link.id, f"/trace-links/{link.id}"), sid))
            edge["from"] = None
            return
        fix = _fix("external_certificate", ext.id, f"/external-certificates/{ext.id}")
        xsubject = {"kind": "external", "id": ext.id, "name": f"{ext.issuer_name} {ext.number}"}
        part.depth = max(part.depth, 2)
        if graph:
            part.nodes[xid] = {"id": xid, "kind": "external", "label": ext.number, "issuer": ext.issuer_name,
                               "issuer_kind": ext.issuer_kind, "kcdb": ext.kcdb_reference, "row": 2,
                               "date": ext.issued_on.isoformat(), "valid_until": _iso(ext.valid_until),
                               "url": f"/external-certificates/{ext.id}", "u": ext.expanded_uncertainty,
                               "unit": ext.unit}
        if ext.status in ("revoked", "superseded"):
            part.gaps.append(_gap(
                "source_revoked" if ext.status == "revoked" else "source_superseded", 2, xsubject,
                f"外部证书 {ext.number}（{ext.issuer_name}）已{'撤销' if ext.status == 'revoked' else '被替代'}",
                f"External certificate {ext.number} ({ext.issuer_name}) is {ext.status}", fix, xid))
        if ext.valid_until is not None and ext.valid_until < on:
            part.gaps.append(_gap(
                "source_expired", 2, xsubject,
                f"外部证书 {ext.number} 有效期至 {ext.valid_until.isoformat()}，{on.isoformat()} 使用时已过期",
                f"External certificate {ext.number} was valid until {ext.valid_until.isoformat()}, "
                f"expired when used on {on.isoformat()}", fix, xid))
        verdict, _ratio = compare_u(link.expanded_uncertainty, link.unit, ext.expanded_uncertainty, ext.unit)
        if verdict in ("inverted", "not_comparable"):
            self._u_verdict(part, verdict, 2, subject, sid, _fix("trace_link", link.id, f"/trace-links/{link.id}"),
                            (f"溯源关系的 U = {link.expanded_uncertainty} {link.unit or ''}",
                         f"the link's U = {link.expanded_uncertainty} {link.unit or ''}"),
                        (f"外部证书 {ext.number} 的 U = {ext.expanded_uncertainty} {ext.unit or ''}",
                         f"certificate {ext.number} U = {ext.expanded_uncertainty} {ext.unit or ''}"))
        if ext.terminal_kind:
            tid = f"terminal:external:{ext.id}"
            if graph:
                part.nodes[tid] = self._terminal_node(tid, ext.terminal_kind, ext.terminal_reference, 3)
                part.edges.append({"from": tid, "to": xid, "kind": "realised"})
        else:
            part.gaps.append(_gap(
                "no_terminal", 2, xsubject,
                f"外部证书 {ext.number}（{ext.issuer_name}）未声明溯源终点（国家计量基准或 SI 复现），链条在此中断",
                f"External certificate {ext.number} ({ext.issuer_name}) declares no terminal node "
                "(national primary standard or SI realisation): the chain stops here", fix, xid))

    def _source_record(self, part: Part, info: RecInfo, link: TraceLink, subject: dict, sid: str, edge: dict,
                       stack: frozenset[int], graph: bool) -> None:
        src_id = link.record_id
        link_fix = _fix("trace_link", link.id, f"/trace-links/{link.id}")
        rid = f"record:{src_id}"
        edge["from"] = rid
        if src_id is None or src_id == info.id or src_id in stack:
            part.gaps.append(_gap(
                "cycle", 2, subject, f"溯源关系成环：记录 {src_id} 已在本链的下级出现",
                f"The chain loops: record {src_id} already appears below in this chain", link_fix, sid))
            edge["from"] = None
            return
        src = self.rec_info(src_id)
        if src is None:
            part.gaps.append(_gap("no_link", 1, subject, f"来源记录 {src_id} 不存在",
                                  f"Source record {src_id} does not exist", link_fix, sid))
            edge["from"] = None
            return
        ssubject = {"kind": "record", "id": src.id, "name": src.number}
        sfix = _fix("calibration_record", src.id, f"/calibration/{src.id}")
        if src.status == "superseded":
            part.gaps.append(_gap(
                "source_superseded", 2, ssubject, f"来源记录 {src.number} 已被更正记录替代，溯源关系应指向更正后的记录",
                f"Source record {src.number} is superseded by a correction: point the link at the correction",
                link_fix, rid))
        elif src.status != "approved":
            part.gaps.append(_gap(
                "source_not_approved", 2, ssubject, f"来源记录 {src.number} 未批准（{src.status}）",
                f"Source record {src.number} is not approved ({src.status})", sfix, rid))
        cert = self._cert_of(src.id)
        if cert is not None and cert[1] in ("revoked", "superseded"):
            number, status = cert
            part.gaps.append(_gap(
                "source_revoked" if status == "revoked" else "source_superseded", 2, ssubject,
                f"来源记录 {src.number} 的证书 {number} 已{'撤销' if status == 'revoked' else '被替代'}",
                f"The certificate {number} of source record {src.number} is {status}",
                _fix("certificate", None, f"/certificates/{quote(number, safe='')}"), rid))
        verdict, _ratio = compare_u(link.expanded_uncertainty, link.unit, src.u_min, src.unit)
        if verdict in ("inverted", "not_comparable"):
            self._u_verdict(part, verdict, 2, subject, sid, link_fix,
                        (f"溯源关系的 U = {link.expanded_uncertainty} {link.unit or ''}",
                         f"the link's U = {link.expanded_uncertainty} {link.unit or ''}"),
                        (f"来源记录 {src.number} 的 U = {src.u_min} {src.unit or ''}",
                         f"source record {src.number} U = {src.u_min} {src.unit or ''}"))
        up = self.source_part(src, stack | {info.id}, graph)
        part.depth = max(part.depth, 1 + up.depth)
        part.gaps += [{**g, "level": g["level"] + 1} for g in up.gaps]
        part.notes += [{**n, "level": n["level"] + 1} for n in up.notes]
        if graph:
            for nid, node in up.nodes.items():
                shifted = {**node, "row": node["row"] + 2}
                if nid not in part.nodes or part.nodes[nid]["row"] < shifted["row"]:
                    part.nodes[nid] = shifted
            part.edges += up.edges

    def source_part(self, src: RecInfo, stack: frozenset[int], graph: bool) -> Part:
        """The memoised upward part of a record used as a source (independent of its user)."""
        key = (src.id, graph)
        cached = self._parts.get(key)
        if cached is not None:
            return cached
        part = self.record_part(src, stack, graph)
        if not any(g["code"] == "cycle" for g in part.gaps):
            self._parts[key] = part  # a part cut by a cycle depends on the path taken: not cached
        return part

    # ---------------------------------------------------------------- results

    def check_info(self, info: RecInfo, graph: bool = True) -> dict[str, Any]:
        part = self.record_part(info, frozenset(), graph)
        covered = {(i.get("kind"), i.get("id")) for i in ((info.lapsed_override or {}).get("items") or [])}
        for g in part.gaps:
            if g["level"] == 1 and g["code"] in _OVERRIDABLE and (g["subject"]["kind"], g["subject"]["id"]) in covered:
                g["overridden"] = True
        gaps = sorted(part.gaps, key=lambda g: (g["level"], g["code"], str(g["subject"].get("id"))))
        out: dict[str, Any] = {
            "traceable": not gaps,
            "gaps": gaps,
            "depth": part.depth,
            "result": {"kind": "record", "id": info.id, "number": info.number,
                       "performed_on": info.performed_on.isoformat(), "lab": self.lab_name(info.lab_org_id)},
            "notes": part.notes,
        }
        if graph:
            out["nodes"] = self._layout(part)
            out["edges"] = [e for e in part.edges if e.get("from")]
            bad = {g["node"] for g in gaps}
            for n in out["nodes"]:
                n["gap"] = n["id"] in bad
        return out

    @staticmethod
    def _layout(part: Part) -> list[dict]:
        """Rows from the bottom (the result, row 0); every terminal node on the top row."""
        nodes = [dict(n) for n in part.nodes.values()]
        top = max((n["row"] for n in nodes), default=0)
        for n in nodes:
            if n["kind"] == "terminal":
                n["row"] = top
        return sorted(nodes, key=lambda n: (-n["row"], n["id"]))


# ------------------------------------------------------------------ entry points


def check_record(session: Session, rec: CalibrationRecord, graph: bool = True) -> dict[str, Any]:
    checker = Checker(session)
    return checker.check_info(checker.info_of(rec), graph)


def blocking_gaps(result: dict[str, Any]) -> list[dict]:
    """The gaps that stop an approval: every gap not already covered by an override.

    A subject whose traceability was never registered (``severity`` "unregistered") blocks as a
    broken link does: a record without a chain is not traceable, so its approval needs a reason.
    """
    return [g for g in result["gaps"] if not g["overridden"]]


def public_part(result: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    """What the public /verify page shows: per level the kinds and issuers, the terminal nodes,
    the verdict and the gap codes; no customer, instrument or record data."""
    levels: dict[int, list[dict]] = defaultdict(list)
    for n in result.get("nodes", []):
        if n["kind"] in ("record", "external", "terminal"):
            label = (n.get("label_en") if lang == "en" else n.get("label_zh")) if n["kind"] == "terminal" else None
            levels[n["row"]].append({
                "kind": n["kind"],
                "issuer": n.get("issuer") if n["kind"] != "terminal" else None,
                "terminal": label,
                "reference": n.get("label") if n["kind"] == "terminal" else None,
                "kcdb": n.get("kcdb"),
                "gap": n.get("gap", False),
            })
    rows = [{"row": row, "items": items} for row, items in sorted(levels.items(), reverse=True)]
    return {
        "traceable": result["traceable"],
        "depth": result["depth"],
        "levels": rows,
        "gap_codes": sorted({g["code"] for g in result["gaps"]}),
    }


def _batch_facts(session: Session, lo: int, hi: int) -> tuple[dict, dict]:
    """Per record id in [lo, hi]: (smallest point U, smallest TUR), and its refs by kind (from the
    ref rows, an index range: no JSON decoding of the record's lists)."""
    us = {r[0]: (r[1], r[2]) for r in session.execute(
        select(CalibrationPoint.record_id, func.min(CalibrationPoint.expanded_uncertainty),
               func.min(CalibrationPoint.tur))
        .where(CalibrationPoint.record_id.between(lo, hi)).group_by(CalibrationPoint.record_id))}
    refs: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"standard": [], "device": [], "material": []})
    for rid, kind, ref_id in session.execute(
            select(RecordRef.record_id, RecordRef.ref_kind, RecordRef.ref_id)
            .where(RecordRef.record_id.between(lo, hi))):
        refs[rid][kind].append(ref_id)
    return us, refs


def run_check(session: Session, lab_ids: list[int] | None = None, batch: int = 5000) -> dict[int, dict]:
    """Check every approved record (of ``lab_ids``, or all); per lab: counts and broken items."""
    checker = Checker(session, preload=True)
    per_lab: dict[int, dict] = {}
    cols = (CalibrationRecord.id, CalibrationRecord.number, CalibrationRecord.lab_org_id,
            CalibrationRecord.performed_on, CalibrationRecord.status, CalibrationRecord.unit)
    last = 0
    empty = {"standard": [], "device": [], "material": []}
    while True:
        stmt = select(*cols).where(CalibrationRecord.status == "approved", CalibrationRecord.id > last)
        if lab_ids is not None:
            stmt = stmt.where(CalibrationRecord.lab_org_id.in_(lab_ids))
        rows = session.execute(stmt.order_by(CalibrationRecord.id).limit(batch)).all()
        if not rows:
            break
        us, refs = _batch_facts(session, rows[0][0], rows[-1][0])
        last = rows[-1][0]
        for rid, number, lab_id, on, status, unit in rows:
            u_min, tur_min = us.get(rid, (None, None))
            ref = refs.get(rid, empty)
            info = RecInfo(rid, number, lab_id, on, status, ref["standard"], ref["device"], ref["material"],
                           unit, u_min, tur_min, None)
            result = checker.check_info(info, graph=False)
            lab = per_lab.get(lab_id)
            if lab is None:
                lab = per_lab[lab_id] = {"checked": 0, "traceable": 0, "broken": 0, "by_code": Counter(),
                                         "items": [], "truncated": False}
            lab["checked"] += 1
            if result["traceable"]:
                lab["traceable"] += 1
                continue
            lab["broken"] += 1
            codes = sorted({g["code"] for g in result["gaps"]})
            lab["by_code"].update(codes)
            if len(lab["items"]) < MAX_REPORT_ITEMS:
                lab["items"].append({
                    "record_id": info.id, "number": info.number, "performed_on": info.performed_on.isoformat(),
                    "codes": codes,
                    "gaps": [{k: g[k] for k in ("code", "level", "subject", "reason_zh", "reason_en", "fix")}
                             for g in result["gaps"][:10]]})
            else:
                lab["truncated"] = True
    return per_lab


def nightly(session: Session, lab_ids: list[int] | None = None) -> dict[str, Any]:
    """Nightly job: check every approved record and store one report row per laboratory."""
    from jiliang.core.db import utcnow

    run_at = utcnow().replace(microsecond=0)
    per_lab = run_check(session, lab_ids)
    for lab_id, lab in sorted(per_lab.items()):
        session.add(ChainReport(run_at=run_at, lab_org_id=lab_id, checked=lab["checked"],
                                traceable=lab["traceable"], broken=lab["broken"],
                                by_code=dict(lab["by_code"]), items=lab["items"], truncated=lab["truncated"]))
    session.flush()
    return {
        "run_at": run_at.isoformat(),
        "labs": len(per_lab),
        "checked": sum(x["checked"] for x in per_lab.values()),
        "traceable": sum(x["traceable"] for x in per_lab.values()),
        "broken": sum(x["broken"] for x in per_lab.values()),
    }
