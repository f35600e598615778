"""Administrative regions (GB/T 2260): province → city → county."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.core.db import Base

LEVELS: dict[str, tuple[str, str]] = {
    "province": ("省", "Province"),
    "city": ("市", "City"),
    "county": ("县（区）", "County"),
}


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    city_code: Mapped[str | None] = mapped_column(String(6), index=True)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh
