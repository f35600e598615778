"""Tables of early warning (预警): the notice outbox with its deliveries, the in-app inbox and its
read state, the warnings computed by the nightly run, monthly snapshots for the trend charts, and
the lead-time settings per region.

``instrument_warnings`` and ``warning_snapshots`` are derived data (like ``instrument_counts``):
the nightly job rewrites them from the register. The outbox, its deliveries, the inbox and the
read marks are kept for good (nothing is deleted).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base, utcnow

KINDS: dict[str, tuple[str, str]] = {
    "due_soon": ("即将到期", "Due soon"),
    "overdue": ("超期未检", "Overdue"),
    "past_life": ("超过使用年限", "Past service life"),
}

DELIVERY_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("待发送", "Pending"),
    "sent": ("已发送", "Sent"),
    "failed": ("发送失败", "Failed"),
}

DEFAULT_LEAD_DAYS = 15
MAX_LEAD_DAYS = 365


class Notice(Base):
    """One notice to the users of one organisation; (org, topic, dedup key) is queued once, ever."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        UniqueConstraint("org_id", "topic", "dedup_key", name="uq_notice_outbox_org_topic_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    topic: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(160))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NoticeDelivery(Base):
    """The state of one notice on one channel (in-app, SMS, e-mail ...)."""

    __tablename__ = "notice_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice_outbox.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("notice_id", "channel", name="uq_notice_deliveries_notice_channel"),
        Index("ix_notice_deliveries_pending", "status", "channel", "id"),
    )


class InboxItem(Base):
    """A notice the in-app channel put into an organisation's inbox."""

    __tablename__ = "inbox_items"
    __table_args__ = (Index("ix_inbox_items_org", "org_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice_outbox.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InboxRead(Base):
    """That one user has read one inbox item."""

    __tablename__ = "inbox_reads"

    item_id: Mapped[int] = mapped_column(ForeignKey("inbox_items.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InstrumentWarning(Base):
    """One current warning on one instrument, as the last nightly run computed it.

    A trigger on ``instruments`` (migration 0010) removes the warning in the same transaction as
    a change of the instrument's due date, region or to an inactive status (verified, moved,
    suspended, scrapped), and takes it off ``warning_counts``: the lists stay exact all day.
    """

    __tablename__ = "instrument_warnings"
    __table_args__ = (
        Index("ix_instrument_warnings_county", "region_code", "kind", "due_on", "instrument_id"),
        Index("ix_instrument_warnings_city", "city_code", "kind", "due_on", "instrument_id"),
        Index("ix_instrument_warnings_kind", "kind", "due_on", "instrument_id"),
        Index("ix_instrument_warnings_owner", "owner_org_id", "kind", "due_on", "instrument_id"),
    )

    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    due_on: Mapped[date] = mapped_column(Date)  # the due date or the end of service life
    basis_due: Mapped[date | None] = mapped_column(Date)  # the instrument's due_date when computed
    owner_org_id: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str | None] = mapped_column(String(6))
    computed_on: Mapped[date] = mapped_column(Date)


class WarningCount(Base):
    """How many current warnings of each kind each county has (derived: written by the nightly
    run, decremented by the trigger that removes a warning)."""

    __tablename__ = "warning_counts"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    city_code: Mapped[str | None] = mapped_column(String(6))
    n: Mapped[int] = mapped_column(Integer, default=0)


class WarningSnapshot(Base):
    """A county's figures in one month (the last nightly run of that month wins)."""

    __tablename__ = "warning_snapshots"
    __table_args__ = (Index("ix_warning_snapshots_city", "city_code", "month"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    city_code: Mapped[str | None] = mapped_column(String(6))
    total: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[int] = mapped_column(Integer, default=0)
    due_soon: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    past_life: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[int] = mapped_column(Integer, default=0)  # verified during the month
    mandatory: Mapped[int] = mapped_column(Integer, default=0)  # active instruments of catalogue types
    filed: Mapped[int | None] = mapped_column(Integer)  # of those, with an approved filing
    verified_on_time: Mapped[int] = mapped_column(Integer, default=0)  # of those, verified on time
    taken_on: Mapped[date] = mapped_column(Date)


class WarningSetting(Base):
    """The lead time of due-soon warnings for a region (province default, city/county override)."""

    __tablename__ = "warning_settings"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    lead_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
