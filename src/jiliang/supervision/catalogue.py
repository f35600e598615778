"""The shipped catalogue of instruments under mandatory administration: loading (upsert by code,
audited), the mapping of instrument types to items, and the queries behind the catalogue page,
the filings and the "should be filed" list.

Rule for due dates: the periods and service lives of the catalogue are defaults from the JJG
regulations; an instrument's own certificate validity (``instruments.due_date``) wins over them.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from importlib import resources as importlib_resources
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.security import SYSTEM, Principal
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.supervision.catalogue_models import FORMS, MODES, CatalogueItem, TypeCatalogueLink

SOURCE = "市场监管总局公告2020年第42号《实施强制管理的计量器具目录》 (SAMR announcement 2020 No. 42)"
EVIDENCE: dict[str, str] = {
    "R1": "安吉县市场监督管理局 2025-01-07 公告（www.ckjsq.com/news/show.php?itemid=45392）",
    "R2": "公开代码库参考文献（引用总局公告 PDF）",
    "R3": "公开医院设备系统种子数据",
    "R4": "泰州市计量测试院 2021-01-08 新闻；《品牌与标准化》2023(4)",
}
# uses under which an instrument of a mandatory type must be verified (and filed)
MANDATORY_USES = ("trade_settlement", "safety_protection", "medical_health", "environmental_monitoring")
VERIFIED_MODES = ("verification", "both")
_INT_COLUMNS = ("level", "period_months", "service_life_months")


def _data(name: str) -> str:
    return (
        importlib_resources.files("jiliang")
        .joinpath(f"data/mandatory_catalogue/{name}")
        .read_text(encoding="utf-8")
    )


def shipped_items() -> list[dict[str, Any]]:
    """The catalogue rows as shipped, converted to column values."""
    out = []
    for row in csv.DictReader(io.StringIO(_data("catalogue.csv"))):
        values: dict[str, Any] = {
            "code": row["code"],
            "parent_code": row["parent_code"] or None,
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "modes": row["modes"] or None,
            "form": row["form"] or None,
            "scope_note": row["scope_note"] or None,
            "uses": [u for u in row["uses"].split("|") if u],
            "regulation_code": row["regulation_code"] or None,
            "confirmed": row["confirmed"] == "yes",
            "period_confirmed": row["period_confirmed"] == "yes",
        }
        for col in _INT_COLUMNS:
            values[col] = int(row[col]) if row[col] else None
        evidence = [EVIDENCE[k] for k in row["evidence"].split("|") if k]
        values["source"] = (SOURCE + ("；佐证：" + "；".join(evidence) if evidence else ""))[:300]
        out.append(values)
    return out


def shipped_type_map() -> dict[str, str]:
    """Instrument type code → catalogue item code."""
    return {r["type_code"]: r["item_code"] for r in csv.DictReader(io.StringIO(_data("type_map.csv")))}


def type_form(item: CatalogueItem) -> str | None:
    """The instrument type's ``mandatory_form`` for a catalogue item's form."""
    if item.form is None:
        return None
    return "periodic" if item.form == "periodic" else "initial_only"


def load_into(session: Session) -> dict[str, int]:
    """Upsert the shipped rows by code, map the shipped types, keep the types consistent.

    Idempotent: a second run changes nothing and writes no audit entry.
    """
    known = {i.code: i for i in session.scalars(select(CatalogueItem))}
    added = updated = 0
    for values in shipped_items():
        item = known.get(values["code"])
        if item is None:
            item = CatalogueItem(**values, status="active")
            session.add(item)
            session.flush()
            audit.record(session, SYSTEM, "create", "catalogue_item", item.id,
                         after=audit.snapshot(item), reason="shipped catalogue")
            known[item.code] = item
            added += 1
            continue
        before = audit.snapshot(item)
        changed = {k: v for k, v in values.items() if getattr(item, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(item, k, v)
            session.flush()
            audit.record(session, SYSTEM, "update", "catalogue_item", item.id, before,
                         audit.snapshot(item), reason="shipped catalogue updated")
            updated += 1
    linked = map_types(session, known)
    return {"added": added, "updated": updated, "linked": linked}


def map_types(session: Session, items: dict[str, CatalogueItem] | None = None) -> int:
    """Link the shipped types to their items (where not linked yet) and make every linked type's
    ``mandatory``/``mandatory_form`` agree with its item. Returns how many links were added."""
    items = items or {i.code: i for i in session.scalars(select(CatalogueItem))}
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    links = {link.type_id: link for link in session.scalars(select(TypeCatalogueLink))}
    added = 0
    for type_code, item_code in shipped_type_map().items():
        t, item = types.get(type_code), items.get(item_code)
        if t is None or item is None or t.id in links:
            continue
        links[t.id] = TypeCatalogueLink(type_id=t.id, item_id=item.id)
        session.add(links[t.id])
        session.flush()
        audit.record(session, SYSTEM, "link", "instrument_type", t.id,
                     after={"catalogue_item": item.code}, reason="shipped catalogue mapping")
        added += 1
    by_id = {i.id: i for i in items.values()}
    for t in types.values():
        link = links.get(t.id)
        item = by_id.get(link.item_id) if link else None
        if item is None:
            continue
        want_mandatory = item.modes in VERIFIED_MODES
        want_form = type_form(item) if want_mandatory else None
        if (t.mandatory, t.mandatory_form) != (want_mandatory, want_form):
            before = audit.snapshot(t)
            t.mandatory, t.mandatory_form = want_mandatory, want_form
            session.flush()
            audit.record(session, SYSTEM, "update", "instrument_type", t.id, before, audit.snapshot(t),
                         reason=f"consistent with catalogue item {item.code}")
    return added


# ------------------------------------------------------------------ queries


def mandatory_type_ids() -> Select:
    """Ids of instrument types mapped to an active catalogue item under mandatory verification."""
    return (
        select(TypeCatalogueLink.type_id)
        .join(CatalogueItem, CatalogueItem.id == TypeCatalogueLink.item_id)
        .where(CatalogueItem.status == "active", CatalogueItem.modes.in_(VERIFIED_MODES))
    )


def item_for_type(session: Session, type_id: int) -> CatalogueItem | None:
    return session.scalar(
        select(CatalogueItem)
        .join(TypeCatalogueLink, TypeCatalogueLink.item_id == CatalogueItem.id)
        .where(TypeCatalogueLink.type_id == type_id)
    )


@dataclass
class Node:
    item: CatalogueItem
    children: list[Node] = field(default_factory=list)
    types: list[InstrumentType] = field(default_factory=list)
    instruments: int | None = None


def _matches(item: CatalogueItem, q: str) -> bool:
    q = q.lower()
    texts = (item.code, item.name_zh, item.name_en, item.regulation_code or "", item.scope_note or "")
    return any(q in s.lower() for s in texts)


def tree(session: Session, who: Principal | None = None, q: str | None = None,
         unconfirmed_only: bool = False) -> list[Node]:
    """First-level items with their second-level items, the mapped types and (for a signed-in
    user) how many instruments in the user's scope fall under each item."""
    items = list(session.scalars(
        select(CatalogueItem).where(CatalogueItem.status == "active").order_by(CatalogueItem.id)))
    types_by_item: dict[int, list[InstrumentType]] = defaultdict(list)
    for link, t in session.execute(
        select(TypeCatalogueLink, InstrumentType)
        .join(InstrumentType, InstrumentType.id == TypeCatalogueLink.type_id)
        .order_by(InstrumentType.code)
    ):
        types_by_item[link.item_id].append(t)
    counts = instrument_counts(session, who) if who is not None else None
    nodes: dict[str, Node] = {}
    roots: list[Node] = []
    for item in sorted(items, key=lambda i: [int(p) for p in i.code.split(".")]):
        node = Node(item, types=types_by_item.get(item.id, []))
        if counts is not None:
            node.instruments = counts.get(item.id, 0)
        nodes[item.code] = node
        parent = nodes.get(item.parent_code or "")
        (parent.children if parent else roots).append(node)
    for root in roots:
        if counts is not None:
            root.instruments = (root.instruments or 0) + sum(c.instruments or 0 for c in root.children)
    q = (q or "").replace("\x00", "").strip()
    out = []
    for root in roots:
        kids = root.children
        if q and not _matches(root.item, q):
            kids = [c for c in kids if _matches(c.item, q)
                    or any(q.lower() in (t.name_zh + t.name_en + t.code).lower() for t in c.types)]
            if not kids:
                continue
        if unconfirmed_only:
            kids = [c for c in kids if not (c.item.confirmed and c.item.period_confirmed)]
            if not kids and root.item.confirmed:
                continue
        out.append(Node(root.item, kids, root.types, root.instruments))
    return out


def instrument_counts(session: Session, who: Principal) -> dict[int, int]:
    """Instruments (not scrapped) per catalogue item, within what ``who`` may see."""
    from jiliang.instruments.service import INSTRUMENTS

    try:
        scoped = INSTRUMENTS.policy.scope(who, select(Instrument.id, Instrument.type_id))
    except Exception:  # a role that sees no instruments sees no counts
        return {}
    sub = scoped.where(Instrument.status != "scrapped").subquery()
    stmt = (
        select(TypeCatalogueLink.item_id, func.count())
        .select_from(sub)
        .join(TypeCatalogueLink, TypeCatalogueLink.type_id == sub.c.type_id)
        .group_by(TypeCatalogueLink.item_id)
    )
    return {item_id: n for item_id, n in session.execute(stmt)}


def item_dict(item: CatalogueItem, lang: str = "zh") -> dict[str, Any]:
    return {
        "code": item.code,
        "parent_code": item.parent_code,
        "level": item.level,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "modes": item.modes,
        "modes_label": (MODES.get(item.modes or "") or ("", ""))[1 if lang == "en" else 0] or None,
        "form": item.form,
        "form_label": (FORMS.get(item.form or "") or ("", ""))[1 if lang == "en" else 0] or None,
        "scope_note": item.scope_note,
        "uses": item.uses,
        "regulation_code": item.regulation_code,
        "period_months": item.period_months,
        "service_life_months": item.service_life_months,
        "source": item.source,
        "confirmed": item.confirmed,
        "period_confirmed": item.period_confirmed,
    }


def node_dict(node: Node, lang: str = "zh") -> dict[str, Any]:
    out = item_dict(node.item, lang)
    out["types"] = [{"id": t.id, "code": t.code, "name": t.name_en if lang == "en" else t.name_zh}
                    for t in node.types]
    if node.instruments is not None:
        out["instruments"] = node.instruments
    out["children"] = [node_dict(c, lang) for c in node.children]
    return out


def export_rows(nodes: list[Node], lang: str) -> tuple[list[str], list[list[Any]]]:
    en = lang == "en"
    header = (["Code", "Level", "Name", "Modes", "Form", "Scope", "Uses", "Regulation", "Period (months)",
               "Service life (months)", "Confirmed", "Period confirmed", "Instrument types", "Instruments", "Source"]
              if en else
              ["编号", "级别", "名称", "监管方式", "强检形式", "范围说明", "用途", "检定规程", "检定周期（月）",
               "使用期限（月）", "已核实", "周期已核实", "器具类型", "器具数量", "来源"])
    from jiliang.instruments.models import USES

    def yes(v: bool) -> str:
        return ("yes" if v else "no (unconfirmed)") if en else ("是" if v else "否（未核实）")

    rows = []
    for root in nodes:
        for n in [root, *root.children]:
            i = n.item
            rows.append([
                i.code, i.level, i.name_en if en else i.name_zh,
                (MODES.get(i.modes or "") or ("", ""))[int(en)], (FORMS.get(i.form or "") or ("", ""))[int(en)],
                i.scope_note or "", ", ".join((USES.get(u) or (u, u))[int(en)] for u in i.uses),
                i.regulation_code or "", i.period_months or "", i.service_life_months or "",
                yes(i.confirmed), yes(i.period_confirmed),
                ", ".join(t.code for t in n.types), "" if n.instruments is None else n.instruments, i.source,
            ])
    return header, rows


# ------------------------------------------------------------------ due dates


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def effective_due(certificate_due: date | None, last_verified: date | None,
                  item: CatalogueItem | None) -> date | None:
    """When an instrument must next be verified or replaced.

    The certificate wins: its stated validity (``instruments.due_date``) is the answer whenever
    present. Without it, the catalogue's default applies from the last verification: the period
    for periodic verification, the service life for initial-only items with a limited life; an
    item scrapped when out of tolerance has no due date.
    """
    if certificate_due is not None:
        return certificate_due
    if last_verified is None or item is None:
        return None
    if item.form == "periodic" and item.period_months:
        return add_months(last_verified, item.period_months)
    if item.form == "initial_life" and item.service_life_months:
        return add_months(last_verified, item.service_life_months)
    return None


# ------------------------------------------------------------------ should be filed


def unfiled_query(
    principal: Principal | None = None,
    *,
    region_code: str | None = None,
    city_code: str | None = None,
    owner_org_id: int | None = None,
) -> Select:
    """Instruments that should be filed and are not (应备未备).

    An instrument used for trade settlement, safety protection, medical/health or environmental
    monitoring, not scrapped, of a type mapped to a catalogue item under mandatory verification,
    without an approved filing. ``principal`` restricts to what that user may see (None: no
    restriction, for system jobs such as the dashboard's coverage); the keyword filters narrow
    further. Returns a ``select(Instrument)`` to count, page or export.
    """
    from jiliang.supervision.filing_models import Filing

    filed = exists().where(Filing.instrument_id == Instrument.id, Filing.status == "approved")
    stmt = select(Instrument).where(
        Instrument.use.in_(MANDATORY_USES),
        Instrument.status != "scrapped",
        Instrument.type_id.in_(mandatory_type_ids()),
        ~filed,
    )
    if principal is not None:
        from jiliang.instruments.service import INSTRUMENTS

        stmt = INSTRUMENTS.policy.scope(principal, stmt)
    if region_code:
        stmt = stmt.where(Instrument.region_code == region_code)
    if city_code:
        stmt = stmt.where(Instrument.city_code == city_code)
    if owner_org_id is not None:
        stmt = stmt.where(Instrument.owner_org_id == owner_org_id)
    return stmt


def should_file_clause():
    """SQL condition on ``Instrument``: under mandatory verification by type and use."""
    return and_(Instrument.use.in_(MANDATORY_USES), Instrument.status != "scrapped",
                Instrument.type_id.in_(mandatory_type_ids()))


def search_clause(q: str):
    like = f"%{q}%"
    return or_(Instrument.serial_no.ilike(like), Instrument.location.ilike(like),
               Instrument.maker.ilike(like), Instrument.model.ilike(like))
