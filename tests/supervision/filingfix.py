"""Helpers for the filing tests: fresh instruments of the demo owners, institutions, page clients."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select

PW = "jiliang-demo"


def new_instrument(username: str = "enterprise", type_code: str = "WT-PRICE",
                   use: str = "trade_settlement") -> dict:
    """A fresh instrument of ``username``'s organisation, placed where the organisation is."""
    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument, InstrumentType
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User

    with session_scope() as s:
        owner = s.scalar(select(User.org_id).where(User.username == username))
        org = s.get(Organisation, owner)
        t = s.scalar(select(InstrumentType).where(InstrumentType.code == type_code))
        inst = Instrument(owner_org_id=owner, type_id=t.id, serial_no=f"FIL{secrets.token_hex(4).upper()}",
                          region_code=org.region_code, city_code=org.city_code, use=use,
                          location="门店收银台", status="in_service",
                          due_date=date.today() + timedelta(days=200), qr_token=secrets.token_urlsafe(16))
        s.add(inst)
        s.flush()
        return {"id": inst.id, "serial_no": inst.serial_no, "owner": owner, "region": org.region_code}


def institution_id() -> int:
    """The provincial legal metrology institute."""
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation

    with session_scope() as s:
        return s.scalar(select(Organisation.id).where(Organisation.kind == "legal_institute")
                        .order_by(Organisation.id))


def body(inst_id: int, **extra) -> dict:
    return {"instrument_id": inst_id, "use": "trade_settlement", "location": "雁塔区小寨东路 1 号",
            "institution_org_id": institution_id(), "contact_name": "王经理", "contact_phone": "13800000000",
            **extra}


def unfiled_ids(client, auth, user: str, **params) -> set[int]:
    from rolecheck import call

    r = call(client, auth, "GET", "/api/v1/supervision/unfiled?per_page=200&q={q}", user,
             q=params.get("q", ""))
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


def login(app, user):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    page = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": user, "password": PW, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    return c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)
