"""The notice outbox: queue a notice once, deliver it once per channel.

:func:`enqueue` writes one row to ``notice_outbox`` and one delivery row per registered channel,
in the caller's transaction. The unique constraint on (org_id, topic, dedup_key) makes a second
enqueue of the same notice a no-op that returns ``False`` — across restarts, across servers, and
under concurrent runs (the insert is ``ON CONFLICT DO NOTHING`` on both SQLite and PostgreSQL).

:func:`deliver_pending` hands the pending deliveries of each enabled channel to it, marks each
``sent`` (or ``failed`` with the error, retried up to :data:`MAX_ATTEMPTS` times) and never hands
a sent delivery over again; on PostgreSQL the rows are claimed with ``FOR UPDATE SKIP LOCKED``
so two workers never send the same one.

Channels: :class:`InAppChannel` (on) puts the notice into the organisation's inbox
(``inbox_items``, read by the organisation's users; a regulator reads the inbox of the regulator
organisation of her region). :class:`SmsChannel` and :class:`EmailChannel` are adapters for a
gateway: they are off until a ``sender`` callable is configured with :func:`register_channel`.
A notice gets a delivery row for each channel that is on when it is queued; a channel switched on
later does not receive the notices queued before (no flood of old messages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jiliang.core.db import utcnow
from jiliang.supervision.warning_models import InboxItem, Notice, NoticeDelivery

MAX_ATTEMPTS = 5
BATCH = 1000


@dataclass(frozen=True)
class NoticeIn:
    """A notice to queue (the arguments of :func:`enqueue`)."""

    org_id: int
    topic: str
    dedup_key: str
    title: tuple[str, str]
    body: tuple[str, str]
    link: str | None = None


class Channel(Protocol):
    """A way of bringing notices to people."""

    name: str

    @property
    def enabled(self) -> bool: ...

    def deliver(self, session: Session, notices: list[Notice]) -> dict[int, str | None]:
        """Deliver the notices; return ``{notice_id: None}`` for each sent, or an error text."""
        ...


class InAppChannel:
    """The in-app inbox: one ``inbox_items`` row per notice, read by the users of the organisation."""

    name = "inapp"
    enabled = True

    def deliver(self, session: Session, notices: list[Notice]) -> dict[int, str | None]:
        if notices:
            session.execute(
                _insert_ignore(InboxItem, ["notice_id"]).for_dialect(session.get_bind().dialect.name),
                [{"org_id": n.org_id, "notice_id": n.id, "created_at": utcnow()} for n in notices],
            )
        return {n.id: None for n in notices}


class _GatewayChannel:
    """An adapter for an external gateway; off until a ``sender`` is given.

    ``sender(org_id, title_zh, body_zh, link)`` sends one message (to the contacts of the
    organisation) and raises on failure.
    """

    name = ""

    def __init__(self, sender: Callable[[int, str, str, str | None], None] | None = None) -> None:
        self.sender = sender

    @property
    def enabled(self) -> bool:
        return self.sender is not None

    def deliver(self, session: Session, notices: list[Notice]) -> dict[int, str | None]:
        results: dict[int, str | None] = {}
        for n in notices:
            try:
                assert self.sender is not None
                self.sender(n.org_id, n.title_zh, n.body_zh, n.link)
                results[n.id] = None
            except Exception as exc:  # noqa: BLE001 - a gateway error is recorded and retried
                results[n.id] = f"{type(exc).__name__}: {exc}"[:300]
        return results


class SmsChannel(_GatewayChannel):
    name = "sms"


class EmailChannel(_GatewayChannel):
    name = "email"


CHANNELS: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    """Add or replace a channel (e.g. ``SmsChannel(sender=my_gateway)``)."""
    CHANNELS[channel.name] = channel


for _channel in (InAppChannel(), SmsChannel(), EmailChannel()):
    register_channel(_channel)


def _insert_ignore(model, keys: list[str]):
    """INSERT ... ON CONFLICT (keys) DO NOTHING for the session's dialect."""
    return _InsertIgnore(model, keys)


class _InsertIgnore:
    """Built lazily because the dialect is known only at execution time."""

    def __init__(self, model, keys: list[str]) -> None:
        self.model, self.keys = model, keys

    def for_dialect(self, name: str):
        mod = postgresql if name == "postgresql" else sqlite
        return mod.insert(self.model).on_conflict_do_nothing(index_elements=self.keys)


def enqueue(
    session: Session,
    *,
    org_id: int,
    topic: str,
    dedup_key: str,
    title: tuple[str, str],
    body: tuple[str, str],
    link: str | None = None,
) -> bool:
    """Queue a notice for the users of ``org_id`` on every channel that is on; False if queued before."""
    return bool(enqueue_many(session, [NoticeIn(org_id, topic, dedup_key, title, body, link)]))


def enqueue_many(session: Session, notices: Iterable[NoticeIn]) -> int:
    """Queue many notices at once; returns how many were new (the others were queued before)."""
    rows = [
        {"org_id": n.org_id, "topic": n.topic[:40], "dedup_key": n.dedup_key[:160],
         "title_zh": n.title[0][:200], "title_en": n.title[1][:200], "body_zh": n.body[0],
         "body_en": n.body[1], "link": n.link, "created_at": utcnow()}
        for n in notices
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt = _insert_ignore(Notice, ["org_id", "topic", "dedup_key"]).for_dialect(dialect)
    new_ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        if dialect == "postgresql":
            new_ids += list(session.scalars(stmt.returning(Notice.id), chunk))
        else:  # SQLite: RETURNING with executemany is not offered; one statement per row
            for row in chunk:
                new_id = session.scalar(stmt.returning(Notice.id), row)
                if new_id is not None:
                    new_ids.append(new_id)
    deliveries = [
        {"notice_id": nid, "channel": name, "status": "pending", "attempts": 0}
        for nid in new_ids
        for name, ch in CHANNELS.items()
        if ch.enabled
    ]
    for start in range(0, len(deliveries), BATCH * 3):
        session.execute(insert(NoticeDelivery), deliveries[start:start + BATCH * 3])
    return len(new_ids)


def deliver_pending(session: Session, limit: int = 10_000_000) -> dict[str, dict[str, int]]:
    """Deliver what is pending (or failed, below :data:`MAX_ATTEMPTS`) on each enabled channel."""
    summary: dict[str, dict[str, int]] = {}
    for name, channel in CHANNELS.items():
        if not channel.enabled:
            continue
        sent = failed = last_id = 0
        while sent + failed < limit:
            claimed = session.execute(
                select(NoticeDelivery.id, Notice)
                .join(Notice, Notice.id == NoticeDelivery.notice_id)
                .where(NoticeDelivery.channel == name,
                       NoticeDelivery.status.in_(("pending", "failed")),
                       NoticeDelivery.attempts < MAX_ATTEMPTS,
                       NoticeDelivery.id > last_id)
                .order_by(NoticeDelivery.id)
                .limit(min(BATCH, limit - sent - failed))
                .with_for_update(of=NoticeDelivery, skip_locked=True)
            ).all()
            if not claimed:
                break
            last_id = claimed[-1][0]
            results = channel.deliver(session, [n for _, n in claimed])
            now = utcnow()
            ok = [did for did, n in claimed if results.get(n.id, "not delivered") is None]
            if ok:
                session.execute(update(NoticeDelivery).where(NoticeDelivery.id.in_(ok))
                                .values(status="sent", delivered_at=now, last_error=None,
                                        attempts=NoticeDelivery.attempts + 1))
            for did, n in claimed:
                error = results.get(n.id, "not delivered")
                if error is not None:
                    session.execute(update(NoticeDelivery).where(NoticeDelivery.id == did)
                                    .values(status="failed", last_error=error[:300],
                                            attempts=NoticeDelivery.attempts + 1))
            sent += len(ok)
            failed += len(claimed) - len(ok)
            session.flush()
        summary[name] = {"sent": sent, "failed": failed}
    return summary
