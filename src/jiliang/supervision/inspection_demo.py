"""Demo data for inspections: an inspector pool, a market campaign in Xi'an with targets and
findings (one overdue), and one published double-random draw.

Everything goes through :mod:`jiliang.supervision.inspection_service`, so the rows carry their
audit entries. Deterministic for a given ``rng`` (the draw's seed comes from it) and small
whatever the data-set size.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.core.security import SYSTEM
from jiliang.orgs.models import Organisation
from jiliang.people.models import User
from jiliang.supervision import inspection_service as service

_NAMES = ["张建国", "李秀英", "王伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周涛", "吴婷", "徐强", "孙丽"]


def _regulator_org(session: Session, code: str) -> int | None:
    return session.scalar(select(Organisation.id).where(Organisation.kind == "regulator",
                                                        Organisation.region_code == code))


def _user(session: Session, username: str) -> int | None:
    return session.scalar(select(User.id).where(User.username == username))


def _pool(session: Session) -> list[int]:
    ids = []
    plan = [("610113", "yanta", 6), ("610100", "xian", 4)]
    n = 0
    for code, username, count in plan:
        org = _regulator_org(session, code)
        for i in range(count):
            row = service.create_inspector(session, SYSTEM, {
                "name": _NAMES[n % len(_NAMES)], "badge_no": f"61{code[2:4]}{n + 1:05d}", "org_id": org,
                "user_id": _user(session, username) if i == 0 else None, "region_code": code,
            })
            ids.append(row.id)
            n += 1
    return ids


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    pool = _pool(session)
    enterprise_org = session.scalar(select(User.org_id).where(User.username == "enterprise"))
    others = list(session.scalars(
        select(Organisation.id).where(Organisation.region_code == "610113", Organisation.status == "active",
                                      Organisation.kind.in_(service.TARGET_KINDS), Organisation.id != enterprise_org)
        .order_by(Organisation.id).limit(2)))
    campaign = service.create_campaign(session, SYSTEM, {
        "title": f"{today.year}年西安市集贸市场计量专项检查", "category": "market", "region_code": "610100",
        "starts_on": today - timedelta(days=45), "ends_on": today + timedelta(days=60),
        "description": "以集贸市场、商超在用电子计价秤为重点，检查检定、铅封与公平秤设置。",
        "inspector_ids": pool,
        "targets": [{"org_id": o, "inspector_ids": pool[:2]} for o in [enterprise_org, *others] if o],
    })
    inspections = list(session.scalars(select(service.Inspection).where(
        service.Inspection.campaign_id == campaign.id).order_by(service.Inspection.id)))
    codes = [c["code"] for c in campaign.checklist]
    first = inspections[0]
    service.record_inspection(session, SYSTEM, first.id, {
        "inspected_on": today - timedelta(days=5),
        "checklist_results": [{"code": c, "result": "fail" if c == "C1" else "pass"} for c in codes],
        "conclusion": "一台电子计价秤超期未检，责令限期整改。",
    })
    service.create_finding(session, SYSTEM, {
        "inspection_id": first.id, "item": campaign.checklist[0]["text_zh"],
        "description": "收银台电子计价秤检定标志已过期。", "severity": "major",
        "found_on": today - timedelta(days=5), "rectify_by": today + timedelta(days=10),
    })
    if len(inspections) > 1:
        service.create_finding(session, SYSTEM, {
            "inspection_id": inspections[1].id, "item": campaign.checklist[2]["text_zh"],
            "description": "一台计价秤铅封破损。", "severity": "serious",
            "found_on": today - timedelta(days=40), "rectify_by": today - timedelta(days=10),
        })
    probe = service.Draw(campaign_id=campaign.id, filter={"category": "market", "region_code": "610100"})
    available = len(service.population_for(session, probe)["targets"])
    if available == 0:
        return
    draw = service.commit_draw(session, SYSTEM, {
        "title": "集贸市场双随机抽查（第一批）", "campaign_id": campaign.id, "n_targets": min(3, available),
    }, seed=rng.randbytes(32))
    service.snapshot_draw(session, SYSTEM, draw.id)
    service.run_draw(session, SYSTEM, draw.id)
    service.publish_draw(session, SYSTEM, draw.id)
