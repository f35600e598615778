"""Dashboard aggregates agree with counts made row by row in Python."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jiliang.core.security import SYSTEM
from jiliang.instruments import dashboard
from jiliang.instruments.models import Instrument


@pytest.mark.parametrize("region,level", [("610000", "province"), ("610100", "city"), ("610113", "county")])
def test_dashboard_matches_brute_force(db, region, level):
    rows = list(db.scalars(select(Instrument)))
    if level == "city":
        rows = [i for i in rows if i.city_code == region]
    elif level == "county":
        rows = [i for i in rows if i.region_code == region]
    soon = date.today() + timedelta(days=dashboard.DUE_SOON_DAYS)

    def due(i):
        return i.status in dashboard.ACTIVE and i.due_date is not None and date.today() <= i.due_date <= soon

    dash = dashboard.build(db, SYSTEM, region, "zh")
    assert {k: v for k, v in dash.by_status.items() if v} == dict(Counter(i.status for i in rows))
    assert dash.due_soon == sum(due(i) for i in rows)
    if level == "county":
        assert dash.children == []
        return
    key = (lambda i: i.city_code) if level == "province" else (lambda i: i.region_code)
    for child in dash.children:
        mine = [i for i in rows if key(i) == child.code]
        assert child.total == len(mine)
        assert child.active == sum(i.status in dashboard.ACTIVE for i in mine)
        assert child.overdue == sum(i.status == "overdue" for i in mine)
        assert child.due_soon == sum(due(i) for i in mine)
    assert sum(c.total for c in dash.children) == len(rows)


def test_instrument_counts_follow_every_write(db):
    """The trigger-kept summary equals a fresh GROUP BY after inserts and status/region changes."""
    from sqlalchemy import func

    from jiliang.core import resources
    from jiliang.instruments.models import InstrumentCount
    from jiliang.instruments.service import INSTRUMENTS, transition

    owner = db.scalar(select(Instrument.owner_org_id).order_by(Instrument.id))
    inst = resources.create(db, SYSTEM, INSTRUMENTS, {"type_id": 1, "serial_no": "CNT-1", "use": "other",
                                                      "owner_org_id": owner, "region_code": "610113"})
    transition(db, SYSTEM, inst.id, "in_service")
    resources.update(db, SYSTEM, INSTRUMENTS, inst.id, {"region_code": "610102"})
    db.flush()
    fresh = {(r, s): n for r, s, n in db.execute(
        select(Instrument.region_code, Instrument.status, func.count()).group_by(Instrument.region_code, Instrument.status))}
    kept = {(c.region_code, c.status): c.n for c in db.scalars(select(InstrumentCount)) if c.n}
    assert kept == fresh
    db.rollback()
