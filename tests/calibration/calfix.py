"""Fixture data for calibration tests: qualified metrologists linked to the demo lab users,
standards (one valid, one lapsed), and a fresh non-automatic weighing instrument per call.

Shared by ``tests/calibration`` and ``tests/e2e/test_calibration_e2e.py``; every row is
created here (the session database is shared by all tests, nothing global is assumed).
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy import select

LAB_USERS = ("labmanager", "metrologist", "reviewer", "approver")
ITEM = "数字指示秤"


def lab_setup(linked: bool = True) -> dict:
    """Link a registered-metrologist entry qualified for WT-NAWI to each demo lab user
    (idempotent), and add one valid and one lapsed standard to the provincial lab; the valid
    standard's device traces to a national primary standard unless ``linked`` is False."""
    from jiliang.core import resources
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM
    from jiliang.people.models import Metrologist, User
    from jiliang.people.service import METROLOGISTS
    from jiliang.standards.service import STANDARD_DEVICES, STANDARDS
    from jiliang.traceability.demo import link_to_nim

    with session_scope() as s:
        users = {u.username: u for u in s.scalars(select(User).where(User.username.in_(LAB_USERS)))}
        lab = users["metrologist"].org_id
        for name in LAB_USERS:
            u = users[name]
            if s.scalar(select(Metrologist.id).where(Metrologist.user_id == u.id)) is None:
                resources.create(
                    s,
                    SYSTEM,
                    METROLOGISTS,
                    {
                        "name": u.display_name,
                        "org_id": lab,
                        "user_id": u.id,
                        "certificate_no": f"T-{name}-{secrets.token_hex(3)}",
                        "level": "first",
                        "items": [ITEM, "压力表", "电子计价秤"],
                        "valid_until": date.today() + timedelta(days=400),
                    },
                )
        tag = secrets.token_hex(3)
        good = resources.create(
            s,
            SYSTEM,
            STANDARDS,
            {
                "name": f"F2 砝码标准装置 {tag}",
                "code": f"[T]{tag}-ok",
                "lab_org_id": lab,
                "quantity": "质量",
                "level": "social_public",
                "assessment_valid_until": date.today() + timedelta(days=300),
            },
        )
        dev = resources.create(
            s,
            SYSTEM,
            STANDARD_DEVICES,
            {
                "standard_id": good.id,
                "name": f"F2 砝码组 {tag}",
                "certificate_valid_until": date.today() + timedelta(days=200),
            },
        )
        if linked:
            link_to_nim(s, dev, date.today()).note = "测试：由中国计量科学研究院校准"
        bad = resources.create(
            s,
            SYSTEM,
            STANDARDS,
            {
                "name": f"过期砝码标准装置 {tag}",
                "code": f"[T]{tag}-lapsed",
                "lab_org_id": lab,
                "quantity": "质量",
                "level": "social_public",
                "assessment_valid_until": date.today() - timedelta(days=10),
            },
        )
        return {
            "lab": lab,
            "good": good.id,
            "device": dev.id,
            "lapsed": bad.id,
            "users": {k: v.id for k, v in users.items()},
        }


def new_scale(status: str = "due", type_code: str = "WT-NAWI") -> dict:
    """A fresh WT-NAWI instrument of the demo enterprise (owner of user ``enterprise``)."""
    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument, InstrumentType
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User

    with session_scope() as s:
        owner = s.scalar(select(User.org_id).where(User.username == "enterprise"))
        org = s.get(Organisation, owner)
        t = s.scalar(select(InstrumentType).where(InstrumentType.code == type_code))
        inst = Instrument(
            owner_org_id=owner,
            type_id=t.id,
            serial_no=f"CAL{secrets.token_hex(4).upper()}",
            model="ACS-30",
            region_code=org.region_code,
            city_code=org.city_code,
            use="trade_settlement",
            status=status,
            due_date=date.today() + timedelta(days=5),
            qr_token=secrets.token_urlsafe(16),
        )
        s.add(inst)
        s.flush()
        return {
            "id": inst.id,
            "serial_no": inst.serial_no,
            "owner": owner,
            "type_id": t.id,
            "period_months": t.period_months,
        }


MODEL = {
    "equations": ["E = indication - nominal + d_ind + d_ref"],
    "inputs": {
        "d_ind": {"dist": "rectangular", "low": -0.001, "high": 0.001},
        "d_ref": {"dist": "normal", "mean": 0, "std": 0.0005},
    },
}

# Class III scale, e = 10 g: MPE ±0.5 e up to 500 e, ±1 e up to 2000 e, ±1.5 e above (JJG 539)
PASS_POINTS = [
    {"nominal": 1.0, "readings": [1.002, 1.002], "mpe": 0.005},
    {"nominal": 10.0, "readings": [10.004], "mpe": 0.01},
    {"nominal": 30.0, "readings": [30.006], "mpe": 0.015},
]
FAIL_POINTS = [
    {"nominal": 1.0, "readings": [1.002], "mpe": 0.005},
    {"nominal": 30.0, "readings": [30.03], "mpe": 0.015},
]


def record_body(inst_id: int, setup: dict, points=None, **extra) -> dict:
    body = {
        "instrument_id": inst_id,
        "kind": "subsequent_verification",
        "procedure_code": "JJG 539-2016",
        "procedure_title": "数字指示秤",
        "performed_on": date.today().isoformat(),
        "location": "实验室 A101",
        "temperature": 20.5,
        "humidity": 55,
        "unit": "kg",
        "standard_ids": [setup["good"]],
        "device_ids": [setup["device"]],
        "decision_rule": {"kind": "simple"},
        "uncertainty_model": MODEL,
        "points": PASS_POINTS if points is None else points,
    }
    body.update(extra)
    return body


def approve_via_api(client, auth, record_id: int, password: str = "jiliang-demo") -> dict:
    """Sign a record three times through the API (metrologist, reviewer, approver)."""
    from rolecheck import call

    for action, user in (("submit", "metrologist"), ("review", "reviewer"), ("approve", "approver")):
        r = call(client, auth, "POST", "/api/v1/calibration/records/{id}/" + action, user,
                 json={"password": password}, id=record_id)
        assert r.status_code == 200, r.text
    return r.json()
