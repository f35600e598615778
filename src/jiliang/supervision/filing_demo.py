"""Demo filings: a share of the demo's mandatory instruments filed (most approved, some awaiting
review, a few rejected), the rest left unfiled so the should-be-filed list has something to show.

The demo enterprise account's own instruments are filed only every other one, so the browser
demo always has instruments to file. Bulk-inserted with one audit entry per row.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.instruments.models import Instrument
from jiliang.orgs.models import Organisation
from jiliang.people.models import User
from jiliang.supervision import catalogue
from jiliang.supervision.catalogue_models import TypeCatalogueLink

CHUNK = 10_000
BATCH = 500  # rows per INSERT … RETURNING: bigger batches cost more than they save
REJECT_REASONS = ("检定机构与器具类型不符", "安装地点填写不完整", "联系人电话无法接通")


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    from jiliang.demo import _bulk
    from jiliang.supervision.filing_models import Filing

    demo_org = session.scalar(select(User.org_id).where(User.username == "enterprise"))
    institutes = {o.city_code: o.id for o in session.scalars(
        select(Organisation).where(Organisation.kind == "legal_institute").order_by(Organisation.id.desc()))}
    provincial = min(institutes.values(), default=None)
    if provincial is None:
        return
    items = {t: i for t, i in session.execute(select(TypeCatalogueLink.type_id, TypeCatalogueLink.item_id))}
    owners = {o: n for o, n in session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.kind.in_(("enterprise", "individual"))))}
    stmt = (select(Instrument.id, Instrument.owner_org_id, Instrument.type_id, Instrument.serial_no,
                   Instrument.region_code, Instrument.city_code, Instrument.use, Instrument.location)
            .where(catalogue.should_file_clause()).order_by(Instrument.id))
    rows, own_seen = [], 0
    found = session.execute(stmt).all()  # read fully before inserting on the same connection
    for inst_id, owner, type_id, serial, county, city, use, location in found:
        if owner == demo_org:
            own_seen += 1
            if own_seen % 2:
                continue
        roll = rng.random()
        if roll < 0.30:
            continue  # unfiled
        status = "approved" if roll < 0.82 else "submitted" if roll < 0.95 else "rejected"
        submitted = datetime.combine(today - timedelta(days=rng.randint(3, 700)), time(9, rng.randint(0, 59)))
        decided = submitted + timedelta(days=rng.randint(1, 10)) if status != "submitted" else None
        rows.append({
            "instrument_id": inst_id, "owner_org_id": owner, "item_id": items.get(type_id),
            "region_code": county, "city_code": city, "serial_no": serial, "owner_name": owners.get(owner, ""),
            "use": use, "location": location or "—", "institution_org_id": institutes.get(city, provincial),
            "contact_name": "联系人", "contact_phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            "note": None, "previous_id": None, "status": status, "submitted_at": submitted, "submitted_by": None,
            "decided_at": decided, "decided_by": None,
            "decision_reason": rng.choice(REJECT_REASONS) if status == "rejected" else None,
        })
        if len(rows) >= CHUNK:  # keep memory flat for the large data set
            _bulk(session, Filing, rows, "mandatory_filing", batch=BATCH)
            rows = []
    if rows:
        _bulk(session, Filing, rows, "mandatory_filing", batch=BATCH)
