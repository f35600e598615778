"""The in-app inbox: notices the in-app channel delivered to an organisation, read per user.

A member of an organisation (enterprise, laboratory roles) reads the inbox of her organisation;
a regulator reads the inbox of the regulator organisation of her region (the daily summary of
the early-warning run for her region goes there). An administrator has no inbox.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.errors import NotFound, ValidationFailed
from jiliang.core.security import Principal
from jiliang.orgs.models import Organisation
from jiliang.supervision.outbox import _insert_ignore
from jiliang.supervision.warning_models import InboxItem, InboxRead, Notice


def org_ids(session: Session, principal: Principal) -> list[int]:
    """The organisations whose inbox the caller reads."""
    if principal.is_regulator and principal.scope_region:
        return list(session.scalars(
            select(Organisation.id).where(Organisation.kind == "regulator",
                                          Organisation.region_code == principal.scope_region)
        ))
    if principal.is_org_member and principal.org_id is not None:
        return [principal.org_id]
    return []


def _base(session: Session, principal: Principal):
    orgs = org_ids(session, principal)
    read = select(InboxRead.item_id).where(InboxRead.item_id == InboxItem.id,
                                           InboxRead.user_id == principal.user_id).exists()
    return orgs, read


def unread_count(session: Session, principal: Principal) -> int:
    orgs, read = _base(session, principal)
    if not orgs:
        return 0
    return session.scalar(select(func.count()).select_from(InboxItem)
                          .where(InboxItem.org_id.in_(orgs), ~read)) or 0


def list_items(session: Session, principal: Principal, *, unread: bool = False, page: int = 1,
               per_page: int = 25, lang: str = "zh") -> dict[str, Any]:
    orgs, read = _base(session, principal)
    page, per_page = max(1, page), min(max(1, per_page), 200)
    if not orgs:
        return {"items": [], "total": 0, "unread": 0, "page": page, "per_page": per_page}
    stmt = (select(InboxItem, Notice, read.label("is_read"))
            .join(Notice, Notice.id == InboxItem.notice_id)
            .where(InboxItem.org_id.in_(orgs)))
    if unread:
        stmt = stmt.where(~read)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.order_by(InboxItem.id.desc()).limit(per_page).offset((page - 1) * per_page))
    en = lang == "en"
    items = [{
        "id": item.id, "topic": n.topic, "title": n.title_en if en else n.title_zh,
        "body": n.body_en if en else n.body_zh, "link": n.link, "read": bool(is_read),
        "created_at": item.created_at.isoformat(timespec="seconds"),
    } for item, n, is_read in rows]
    return {"items": items, "total": total, "unread": unread_count(session, principal),
            "page": page, "per_page": per_page}


def _mark(session: Session, principal: Principal, ids: list[int]) -> int:
    if not ids:
        return 0
    dialect = session.get_bind().dialect.name
    stmt = _insert_ignore(InboxRead, ["item_id", "user_id"]).for_dialect(dialect)
    from jiliang.core.db import utcnow

    session.execute(stmt, [{"item_id": i, "user_id": principal.user_id, "read_at": utcnow()} for i in ids])
    audit.record(session, principal, "read", "inbox", principal.user_id, after={"items": ids[:50], "count": len(ids)})
    return len(ids)


def mark_read(session: Session, principal: Principal, item_id: int) -> dict[str, Any]:
    """Mark one item of the caller's inbox read (NotFound for anyone else's)."""
    if not 0 < item_id <= 2_147_483_647:
        raise ValidationFailed.one("item_id", "编号无效", "invalid id")
    orgs = org_ids(session, principal)
    item = session.get(InboxItem, item_id)
    if item is None or item.org_id not in orgs:
        raise NotFound("inbox_item", item_id)
    already = session.get(InboxRead, (item_id, principal.user_id)) is not None
    if not already:
        _mark(session, principal, [item_id])
    return {"id": item_id, "read": True, "unread": unread_count(session, principal)}


def mark_all_read(session: Session, principal: Principal) -> dict[str, Any]:
    orgs, read = _base(session, principal)
    ids = list(session.scalars(select(InboxItem.id).where(InboxItem.org_id.in_(orgs), ~read))) if orgs else []
    return {"marked": _mark(session, principal, ids), "unread": 0}


__all__ = ["org_ids", "unread_count", "list_items", "mark_read", "mark_all_read"]
