"""The national catalogue of measuring instruments under mandatory administration
(实施强制管理的计量器具目录, SAMR announcement 2020 No. 42) and its mapping to instrument types.

Rows ship as data with their source; a row or period that could not be confirmed from a public
source carries ``confirmed = False`` and the pages show it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base

MODES: dict[str, tuple[str, str]] = {
    "type_approval": ("型式批准", "Type approval"),
    "verification": ("强制检定", "Mandatory verification"),
    "both": ("型式批准与强制检定", "Type approval and mandatory verification"),
}

FORMS: dict[str, tuple[str, str]] = {
    "periodic": ("周期检定", "Periodic verification"),
    "initial_scrap": ("只作首次强制检定，失准报废", "Initial verification only, scrapped when out of tolerance"),
    "initial_life": ("只作首次强制检定，限期使用，到期轮换", "Initial verification only, limited service life"),
}


class CatalogueItem(Base):
    __tablename__ = "mandatory_catalogue_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # "1" (first level), "1.2" (second level)
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)
    level: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    modes: Mapped[str | None] = mapped_column(String(20))
    form: Mapped[str | None] = mapped_column(String(20))
    scope_note: Mapped[str | None] = mapped_column(Text)  # the catalogue's own limitation of the item
    uses: Mapped[list] = mapped_column(JSON, default=list)  # uses under mandatory verification
    regulation_code: Mapped[str | None] = mapped_column(String(60))
    period_months: Mapped[int | None] = mapped_column(Integer)
    service_life_months: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    period_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="active")


class TypeCatalogueLink(Base):
    """Which catalogue item an instrument type falls under (at most one)."""

    __tablename__ = "instrument_type_catalogue"

    type_id: Mapped[int] = mapped_column(ForeignKey("instrument_types.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("mandatory_catalogue_items.id"), index=True)
