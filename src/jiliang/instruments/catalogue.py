"""The shipped table of common instrument types, loaded on first start."""

from __future__ import annotations

import csv
import io
from importlib import resources as importlib_resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.core import audit
from jiliang.core.security import SYSTEM
from jiliang.instruments.models import InstrumentType


def shipped_types() -> list[dict]:
    text = (
        importlib_resources.files("jiliang")
        .joinpath("data/instrument_types/types.csv")
        .read_text(encoding="utf-8")
    )
    return list(csv.DictReader(io.StringIO(text)))


def load_into(session: Session) -> int:
    """Add shipped types whose code is not yet present; returns how many were added."""
    known = set(session.scalars(select(InstrumentType.code)))
    added = 0
    for row in shipped_types():
        if row["code"] in known:
            continue
        obj = InstrumentType(
            code=row["code"],
            category=row["category"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            regulation_code=row["regulation_code"] or None,
            regulation_title=row["regulation_title"] or None,
            period_months=int(row["period_months"]) if row["period_months"] else None,
            mandatory=row["mandatory"] == "yes",
            mandatory_form=row["mandatory_form"] or None,
        )
        session.add(obj)
        session.flush()
        audit.record(session, SYSTEM, "create", "instrument_type", obj.id, after=audit.snapshot(obj),
                     reason="shipped catalogue")
        added += 1
    return added
