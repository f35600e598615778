"""Demo data of early warning: eleven months of snapshot history before this month's run.

Past months are reconstructed deterministically from the register as it stands: the instruments
verified in each month are counted from ``last_verified``; the overdue and due figures of a past
month are this month's scaled by a slowly improving factor with seeded noise, so the trend chart
has a shape. Then the nightly run is made once for today (warnings, status moves, notices, this
month's snapshot). Fast for the tiny data set (a few queries and one run).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from jiliang.instruments.models import Instrument
from jiliang.supervision.warning_models import WarningSnapshot
from jiliang.supervision.warnings import add_months, month_start, run

HISTORY_MONTHS = 11


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    summary = run(session, today)
    current = {s.region_code: s for s in session.scalars(
        select(WarningSnapshot).where(WarningSnapshot.month == month_start(today)))}
    rows = []
    for back in range(HISTORY_MONTHS, 0, -1):
        start = add_months(month_start(today), -back)
        end = add_months(start, 1)
        verified = dict(session.execute(
            select(Instrument.region_code, func.count())
            .where(Instrument.last_verified >= start, Instrument.last_verified < end)
            .group_by(Instrument.region_code)
        ).all())
        factor = 1.0 + 0.025 * back  # a little worse the further back
        for code in sorted(current):
            now = current[code]
            noise = rng.uniform(0.9, 1.1)
            rows.append({
                "month": start, "region_code": code, "city_code": now.city_code,
                "total": now.total, "active": now.active,
                "due_soon": round(now.due_soon * rng.uniform(0.8, 1.2)),
                "overdue": min(now.active, round(now.overdue * factor * noise)),
                "past_life": round(now.past_life * factor),
                "verified": verified.get(code, 0), "mandatory": now.mandatory, "filed": now.filed,
                "verified_on_time": max(0, now.verified_on_time - round(now.mandatory * 0.01 * back * noise)),
                "taken_on": end - timedelta(days=1),
            })
    for start in range(0, len(rows), 5000):
        session.execute(insert(WarningSnapshot), rows[start:start + 5000])
    session.flush()
    del summary
