"""Demo complaints: a handful in tiny (one per step of the workflow, mostly in 雁塔区), more in
the bigger sets; filed and handled through the real service."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.complaints import service
from jiliang.complaints.models import CATEGORIES, Complaint
from jiliang.core.security import SYSTEM
from jiliang.orgs.models import Organisation
from jiliang.people.models import User
from jiliang.regions.models import Region

COUNT = {"tiny": 8, "small": 200, "large": 2000}
TEXTS = (
    "称重时电子秤显示数值偏大，复称后少了约 50 克。",
    "加油机显示加油 30 升，油箱容量明显装不下。",
    "出租车计价器跳表过快，同样路程比平时贵一倍。",
    "诊所血压计读数明显偏高，怀疑未经检定。",
    "包装大米标注 5 kg，实际称量只有 4.7 kg。",
    "商家出示的检定证书编号查询不到，怀疑伪造。",
    "市场公平秤长期损坏无人维修。",
)


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    if session.scalar(select(Complaint.id).limit(1)) is not None:
        return
    n = COUNT.get(size, COUNT["tiny"])
    enterprise_org = session.scalar(select(User.org_id).where(User.username == "enterprise"))
    counties = list(session.scalars(select(Region.code).where(Region.level == "county").order_by(Region.code)))
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id == enterprise_org))}
    categories = list(CATEGORIES)
    for i in range(n):
        # the first ones are in 雁塔区 (610113), against the demo enterprise
        in_yanta = i < 5
        county = "610113" if in_yanta else rng.choice(counties)
        business = orgs[enterprise_org].name if in_yanta and enterprise_org in orgs else f"示例商户{i + 1:03d}"
        filed_on = today - timedelta(days=(i * 3) % 40)
        anonymous = i % 2 == 0
        c = service.create(session, None, {
            "category": categories[i % len(categories)], "county": county, "business_name": business,
            "description": TEXTS[i % len(TEXTS)], "anonymous": anonymous,
            "contact_name": None if anonymous else f"市民{i + 1}", "contact_phone": None if anonymous else f"1390000{i:04d}",
            "consent": True,
        }, client_ip=f"demo-{i}", today=filed_on)
        c.received_at = datetime.combine(filed_on, time(9, 30))
        stage = i % 5
        if stage >= 1:
            service.act(session, SYSTEM, c.id, "accept", {"reason": "已转交执法人员核查"}, today=filed_on + timedelta(days=1))
        if stage >= 2:
            service.act(session, SYSTEM, c.id, "outcome", {
                "outcome": "upheld" if i % 3 != 2 else "not_upheld",
                "reply": "经现场核查，已责令整改并依法处理。"}, today=filed_on + timedelta(days=5))
        if stage >= 3:
            service.act(session, SYSTEM, c.id, "close", {}, today=filed_on + timedelta(days=6))
        if stage >= 4:
            service.act(session, SYSTEM, c.id, "publish", {
                "summary": f"群众反映{CATEGORIES[c.category][0]}问题，经核查处理完毕。"})
    session.flush()
