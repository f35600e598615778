"""Regions: loading the shipped GB/T 2260 list and reading the tree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.core.errors import NotFound, ValidationFailed
from jiliang.core.resources import register_ref
from jiliang.regions.models import Region

register_ref("region", Region, lambda r, lang: r.name(lang))


def load_into(session: Session) -> int:
    """Insert the shipped region list if the table is empty; returns rows added."""
    from jiliang.regions.data import load_regions

    if session.scalar(select(Region.code).limit(1)):
        return 0
    rows = load_regions()
    by_code = {r["code"]: r for r in rows}

    def city_of(row: dict) -> str | None:
        if row["level"] == "province":
            return None
        if row["level"] == "city":
            return row["code"]
        return city_of(by_code[row["parent_code"]])

    for level in ("province", "city", "county"):
        for row in rows:
            if row["level"] == level:
                session.add(
                    Region(
                        code=row["code"],
                        name_zh=row["name_zh"],
                        name_en=row["name_en"],
                        level=row["level"],
                        parent_code=row["parent_code"] or None,
                        city_code=city_of(row),
                    )
                )
        session.flush()
    return len(rows)


def get_region(session: Session, code: str) -> Region:
    region = session.get(Region, code)
    if region is None:
        raise NotFound("region", code)
    return region


def children(session: Session, code: str | None) -> list[Region]:
    stmt = select(Region).order_by(Region.code)
    stmt = stmt.where(Region.parent_code == code) if code else stmt.where(Region.level == "province")
    return list(session.scalars(stmt))


def county_and_city(session: Session, code: str, field: str = "region_code") -> tuple[str, str | None]:
    """Validate a region code and return it with its city code (for scope columns)."""
    region = session.get(Region, code)
    if region is None:
        raise ValidationFailed.one(field, f"行政区划代码 {code} 不存在", f"unknown region code {code}")
    return region.code, region.city_code


def names(session: Session, lang: str) -> dict[str, str]:
    return {r.code: r.name(lang) for r in session.scalars(select(Region))}
