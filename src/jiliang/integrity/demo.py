"""Demo integrity data: commitments by about a third of the operators (the demo enterprise among
them, with a capability declaration), then today's rating snapshot for every operator."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.integrity import service
from jiliang.integrity.models import Commitment
from jiliang.orgs.models import Organisation
from jiliang.people.models import User
from jiliang.people.service import principal_for


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    if session.scalar(select(Commitment.id).limit(1)) is not None:
        return
    user = session.scalar(select(User).where(User.username == "enterprise"))
    if user is not None and user.org_id is not None:
        who = principal_for(session, user)
        service.sign(session, who, {"text_version": service.COMMITMENT_VERSION, "agree": True, "signer_title": "计量负责人"})
        service.declare(session, who, {
            "management": "建立测量管理体系，设专职计量管理员，制定计量器具管理制度。",
            "management_certified": None, "instruments_count": 42, "instruments_note": "电子秤、压力表、温度计等",
            "standards_count": 1, "standards_note": "砝码标准装置（企业最高计量标准）", "staff_count": 5,
            "registered_metrologists": 1, "traceability": "强检器具由陕西省计量科学研究院检定；其余器具内部校准后溯源至省院。",
            "declared_on": today.isoformat(),
        }, today=today)
    text = service.commitment_text()
    operators = session.scalars(select(Organisation.id).where(
        Organisation.kind.in_(service.OPERATOR_KINDS), Organisation.id != (user.org_id if user else None))
        .order_by(Organisation.id))
    rows = []
    for org_id in operators:
        if rng.random() < 0.33:
            signed = datetime.combine(today - timedelta(days=rng.randint(1, 300)), time(10, 0))
            rows.append({"org_id": org_id, "text_version": text["version"], "text_sha256": text["sha256"],
                         "signer_id": None, "signer_name": "法定代表人", "signer_title": None,
                         "signed_at": signed, "status": "active"})
    if rows:
        session.execute(Commitment.__table__.insert(), rows)
    service.recompute(session, today)
