"""A seeded, believable Shaanxi data set for demonstration, tests and benchmarks.

Regulators for the province and every city and county, laboratories, enterprises across the
real cities and counties, instruments of varied types, status and due dates, standards,
reference materials, registered metrologists, and one demo account per role.
Everything is written through bulk inserts with one audit entry per created row.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from jiliang import features
from jiliang.core.audit import AuditEntry
from jiliang.core.config import get_settings
from jiliang.core.db import utcnow
from jiliang.core.security import hash_password
from jiliang.core.uscc import make_uscc
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.materials.models import CertifiedValue, ReferenceMaterial
from jiliang.orgs.models import Organisation
from jiliang.people.models import Metrologist, User
from jiliang.regions.models import Region
from jiliang.standards.models import MeasurementStandard, StandardDevice

SIZES = {
    "tiny": {"enterprises": 120, "instruments": 2_000},
    "small": {"enterprises": 2_000, "instruments": 50_000},
    "large": {"enterprises": 20_000, "instruments": 1_000_000},
}

# username, display name, role, org key (None | "lab" | "enterprise"), region scope
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", "admin", None, None),
    ("province", "省局监管员", "regulator", None, "610000"),
    ("xian", "西安市局监管员", "regulator", None, "610100"),
    ("yanta", "雁塔区局监管员", "regulator", None, "610113"),
    ("labmanager", "实验室负责人", "lab_manager", "lab", None),
    ("metrologist", "检定员王工", "metrologist", "lab", None),
    ("reviewer", "核验员李工", "reviewer", "lab", None),
    ("approver", "批准人赵工", "approver", "lab", None),
    ("enterprise", "企业计量员", "enterprise", "enterprise", None),
]

_ORG_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉建国文斌浩宇欣怡晨阳"
_ENTERPRISE_KINDS = [
    # (name pattern, weight, typical instrument type codes)
    ("{place}{word}加油站", 12, ["FL-FUEL", "FL-FUEL", "FL-FUEL", "PR-GAUGE", "CH-GAS"]),
    ("{place}{word}农贸市场", 10, ["WT-PRICE", "WT-PRICE", "WT-NAWI", "WT-MASS"]),
    ("{place}{word}超市有限公司", 12, ["WT-PRICE", "WT-NAWI", "WT-NAWI"]),
    ("{place}{word}医院", 6, ["PR-BP", "PR-EBP", "TH-CLIN", "TH-IR", "MD-ECG", "MD-XRAY"]),
    ("{place}{word}眼镜店", 5, ["OP-REFR", "OP-LENS"]),
    ("{place}{word}出租汽车有限公司", 4, ["TX-TAXI"]),
    ("{place}{word}燃气有限公司", 3, ["FL-GAS", "FL-CNG", "CH-GAS", "PR-GAUGE"]),
    ("{place}{word}供水有限公司", 3, ["FL-WATER", "PR-GAUGE"]),
    ("{place}{word}餐饮管理有限公司", 8, ["WT-NAWI", "CH-GAS"]),
    ("{place}{word}机械制造有限公司", 10, ["PR-GAUGE", "LN-CALIPER", "LN-TAPE", "EL-MULTI", "TH-RTD", "WT-TRUCK"]),
    ("{place}{word}化工有限公司", 6, ["CH-PH", "CH-GAS", "PR-GAUGE", "TH-RTD", "EN-PM"]),
    ("{place}{word}物流有限公司", 5, ["WT-TRUCK", "WT-NAWI"]),
    ("{place}{word}环境监测站", 2, ["EN-PM", "CH-GAS"]),
    ("{place}{word}交通执法大队", 1, ["SP-RADAR", "CH-ALCO"]),
]
_WORDS = "华秦长安金泰鑫源宏达丰瑞恒通兴盛永安新星博远天成嘉禾润泽万福康宁昌隆"
_MAKERS = ["上海耀华称重系统有限公司", "梅特勒-托利多（常州）测量技术有限公司", "正星科技股份有限公司",
           "托肯恒山科技（广州）有限公司", "宁波水表（集团）股份有限公司", "浙江苍南仪表集团股份有限公司",
           "江苏林洋能源股份有限公司", "欧姆龙（大连）有限公司", "鱼跃医疗设备股份有限公司",
           "西安仪表厂", "陕西航天长城测控有限公司", "深圳迈瑞生物医疗电子股份有限公司", "福禄克测试仪器（上海）有限公司"]
_STANDARDS = [
    ("E2 等级砝码标准装置", "质量", "1 mg～20 kg", "E2 级"),
    ("F1 等级砝码标准装置", "质量", "1 mg～500 kg", "F1 级"),
    ("燃油加油机检定装置", "流量", "(0～100) L/min", "Urel=0.025%, k=2"),
    ("水表检定装置", "流量", "(0.01～25) m³/h", "Urel=0.2%, k=2"),
    ("精密压力表标准装置", "压力", "(0～60) MPa", "0.05 级"),
    ("活塞式压力计标准装置", "压力", "(0.1～60) MPa", "0.02 级"),
    ("血压计检定装置", "压力", "(0～40) kPa", "MPE ±0.1 kPa"),
    ("二等铂电阻温度计标准装置", "温度", "(-60～420) ℃", "U=0.02 ℃, k=2"),
    ("交流电能表检定装置", "电磁", "(57.7～380) V, (0.01～100) A", "0.05 级"),
    ("出租汽车计价器检定装置", "时间频率", "(0～9999) km", "Urel=0.1%, k=2"),
    ("呼出气体酒精含量检测仪检定装置", "化学", "(0～2) mg/L", "Urel=2%, k=2"),
    ("验光仪检定装置", "光学", "(-25～+25) m⁻¹", "U=0.02 m⁻¹, k=2"),
    ("心电图机检定仪检定装置", "医学", "(0.05～150) Hz", "Urel=1%, k=2"),
    ("量块标准装置", "长度", "(0.5～100) mm", "三等"),
]
_RMS = [
    ("乙醇气体标准物质", "乙醇", "mg/L", 0.40, 0.008),
    ("甲烷中空气气体标准物质", "甲烷", "%", 2.50, 0.05),
    ("pH 标准缓冲物质（邻苯二甲酸氢钾）", "pH", "1", 4.003, 0.010),
    ("水中铅成分分析标准物质", "铅", "μg/mL", 1000.0, 3.0),
    ("一氧化碳气体标准物质", "一氧化碳", "μmol/mol", 100.0, 1.0),
    ("电导率标准物质", "电导率", "μS/cm", 1408.0, 4.2),
]


@dataclass
class DemoSummary:
    regulators: int = 0
    labs: int = 0
    enterprises: int = 0
    instruments: int = 0
    standards: int = 0
    materials: int = 0
    metrologists: int = 0
    users: int = 0


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Organisation))


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _uscc(rng: random.Random, kind_prefix: str, division: str, used: set[str]) -> str:
    while True:
        code = make_uscc(kind_prefix + division + "".join(rng.choice(_ORG_CODE_CHARS) for _ in range(9)))
        if code not in used:
            used.add(code)
            return code


def _bulk(session: Session, model: type, rows: list[dict], entity: str, batch: int = 5_000,
          progress: Callable[[int], None] | None = None) -> list[int]:
    """Insert rows in batches with one audit entry per row; returns the new ids."""
    ids: list[int] = []
    now = utcnow()
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        new_ids = list(session.scalars(insert(model).returning(model.id), chunk))
        ids.extend(new_ids)
        session.execute(
            insert(AuditEntry),
            [
                {"at": now, "actor_id": None, "actor_name": "demo", "action": "create", "entity": entity,
                 "entity_id": str(i), "before": None, "after": _jsonable(r), "reason": "demo data"}
                for i, r in zip(new_ids, chunk, strict=True)
            ],
        )
        if progress:
            progress(len(chunk))
    return ids


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items() if k != "password_hash"}


def generate(session: Session, size: str = "small", seed: int = 2026,
             progress: Callable[[str, int], None] | None = None,
             instruments: int | None = None, enterprises: int | None = None) -> DemoSummary:
    """Fill an empty database (regions and types already loaded) with the demo data set."""
    if not is_empty(session):
        raise RuntimeError("the database already holds organisations; demo data loads only into an empty one")
    params = dict(SIZES[size])
    if instruments is not None:
        params["instruments"] = instruments
    if enterprises is not None:
        params["enterprises"] = enterprises
    rng = random.Random(seed)
    today = date.today()
    summary = DemoSummary()
    regions = list(session.scalars(select(Region).order_by(Region.code)))
    by_code = {r.code: r for r in regions}
    counties = [r for r in regions if r.level == "county"]
    cities = [r for r in regions if r.level == "city"]
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    used_uscc: set[str] = set()
    step = progress or (lambda _label, _n: None)

    # --- regulators: province, every city and every county
    reg_rows = [
        {"name": f"{r.name_zh}市场监督管理局", "kind": "regulator", "uscc": _uscc(rng, "11", r.code, used_uscc),
         "region_code": r.code, "city_code": r.city_code, "address": f"{r.name_zh}行政中心",
         "contact_name": _person(rng), "contact_phone": f"029-{rng.randint(80000000, 89999999)}", "status": "active"}
        for r in regions
    ]
    summary.regulators = len(_bulk(session, Organisation, reg_rows, "organisation"))
    step("regulators", summary.regulators)

    # --- laboratories: the provincial institute, one institute per city, calibration labs
    lab_rows = [{"name": "陕西省计量科学研究院", "kind": "legal_institute", "region": "610113"}]
    for c in cities:
        first_county = next(k for k in counties if k.parent_code == c.code)
        lab_rows.append({"name": f"{c.name_zh}计量检定测试院", "kind": "legal_institute", "region": first_county.code})
    for _ in range(8):
        county = rng.choice(counties)
        lab_rows.append({"name": f"陕西{rng.choice(_WORDS)}{rng.choice(_WORDS)}检测技术有限公司", "kind": "calibration_lab",
                         "region": county.code})
    labs = []
    for row in lab_rows:
        county = by_code[row["region"]]
        labs.append({
            "name": row["name"], "kind": row["kind"], "uscc": _uscc(rng, "12" if row["kind"] == "legal_institute" else "91", county.code, used_uscc),
            "region_code": county.code, "city_code": county.city_code, "address": f"{county.name_zh}{rng.choice(_WORDS)}路{rng.randint(1, 300)}号",
            "contact_name": _person(rng), "contact_phone": f"029-{rng.randint(80000000, 89999999)}",
            "accreditation_no": f"CNAS L{rng.randint(1000, 19999)}", "status": "active",
        })
    lab_ids = _bulk(session, Organisation, labs, "organisation")
    summary.labs = len(lab_ids)
    step("labs", summary.labs)

    # --- enterprises, weighted towards populous cities
    city_weight = {"610100": 30, "610400": 10, "610300": 9, "610500": 9, "610800": 8, "610700": 7,
                   "610600": 6, "610900": 5, "611000": 5, "610200": 3, "619900": 2}
    county_pool = [k for k in counties for _ in range(city_weight.get(k.city_code, 3))]
    kinds = [k for k in _ENTERPRISE_KINDS for _ in range(k[1])]
    ent_rows, ent_types = [], []
    for _i in range(params["enterprises"]):
        county = rng.choice(county_pool)
        pattern, _w, type_codes = rng.choice(kinds)
        place = county.name_zh.rstrip("区县市") if len(county.name_zh) > 2 else county.name_zh
        name = pattern.format(place=place, word=rng.choice(_WORDS) + rng.choice(_WORDS))
        individual = "市场" in name and rng.random() < 0.3
        ent_rows.append({
            "name": name + ("" if not individual else f"{_person(rng)}摊位"), "kind": "individual" if individual else "enterprise",
            "uscc": _uscc(rng, "92" if individual else "91", county.code, used_uscc), "region_code": county.code,
            "city_code": county.city_code, "address": f"{county.name_zh}{rng.choice(_WORDS)}{rng.choice(('路', '街', '大道'))}{rng.randint(1, 500)}号",
            "contact_name": _person(rng), "contact_phone": f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            "status": "active",
        })
        ent_types.append(type_codes)
    ent_ids = _bulk(session, Organisation, ent_rows, "organisation")
    summary.enterprises = len(ent_ids)
    step("enterprises", summary.enterprises)

    # --- instruments: per-county overdue propensity so the map has something to say
    propensity = {k.code: rng.choice((0.02, 0.04, 0.06, 0.09, 0.14, 0.2)) for k in counties}
    n_inst = params["instruments"]
    weights = [rng.paretovariate(1.5) for _ in ent_ids]
    owners = rng.choices(range(len(ent_ids)), weights=weights, k=n_inst)
    inst_rows = []
    for serial, idx in enumerate(owners):
        owner = ent_rows[idx]
        t = types[rng.choice(ent_types[idx])]
        period = t.period_months or 72  # initial-only types: service life
        last = today - timedelta(days=rng.randint(0, int(period * 30.4)))
        due = last + timedelta(days=int(period * 30.4))
        roll = rng.random()
        if roll < 0.02:
            status = "scrapped"
        elif roll < 0.04:
            status = "suspended"
        elif roll < 0.05:
            status = "under_repair"
        elif rng.random() < propensity[owner["region_code"]]:
            status, due = "overdue", today - timedelta(days=rng.randint(1, 200))
        elif due <= today + timedelta(days=15):
            status = "due"
            if due < today:
                due = today + timedelta(days=rng.randint(0, 15))
        else:
            status = "in_service"
        inst_rows.append({
            "owner_org_id": ent_ids[idx], "type_id": t.id, "maker": rng.choice(_MAKERS),
            "model": f"{t.code.split('-')[1]}-{rng.randint(100, 999)}", "serial_no": f"{t.code.split('-')[0]}{today.year % 100:02d}{serial:07d}",
            "measuring_range": None, "accuracy": None, "location": owner["address"], "region_code": owner["region_code"],
            "city_code": owner["city_code"], "use": _use_for(t.code), "status": status, "due_date": due,
            "last_verified": last, "qr_token": secrets.token_urlsafe(16),
        })
    summary.instruments = len(_bulk(session, Instrument, inst_rows, "instrument", batch=10_000,
                                    progress=lambda n: step("instruments", n)))

    # --- standards with devices, reference materials, metrologists
    std_rows, dev_rows_for, rm_rows, cv_for, met_rows = [], [], [], [], []
    for lab_no, lab_id in enumerate(lab_ids):
        for j, (name, quantity, rng_text, unc) in enumerate(rng.sample(_STANDARDS, k=rng.randint(5, 10))):
            valid = today + timedelta(days=rng.randint(-40, 4 * 365))
            std_rows.append({"lab_org_id": lab_id, "name": name, "code": f"[{2016 + rng.randint(0, 9)}]陕量标{lab_no:02d}{j:02d}号",
                             "quantity": quantity, "measuring_range": rng_text, "uncertainty": unc,
                             "level": "social_public" if labs[lab_no]["kind"] == "legal_institute" else "enterprise_highest",
                             "assessment_cert_no": f"[{2020 + rng.randint(0, 5)}]陕量标证字第{rng.randint(100, 999)}号",
                             "assessment_valid_until": valid, "status": "active"})
            dev_rows_for.append([{"name": name.replace("标准装置", "").replace("检定装置", "") + f"标准器{d + 1}",
                                  "maker": rng.choice(_MAKERS), "model": f"STD-{rng.randint(10, 99)}",
                                  "serial_no": f"S{rng.randint(100000, 999999)}", "accuracy": unc,
                                  "certificate_no": f"GLz{rng.randint(2024, 2026)}-{rng.randint(10000, 99999)}",
                                  "certificate_valid_until": today + timedelta(days=rng.randint(-30, 365)), "status": "active"}
                                 for d in range(rng.randint(1, 3))])
        for name, analyte, unit, value, u in rng.sample(_RMS, k=rng.randint(2, 5)):
            rm_rows.append({"holder_org_id": lab_id, "gbw_no": f"GBW(E){rng.randint(60000, 89999)}", "name": name,
                            "producer": "中国计量科学研究院", "lot": f"{rng.randint(2023, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 99):02d}",
                            "expiry": today + timedelta(days=rng.randint(-60, 720)), "status": "active"})
            cv_for.append({"analyte": analyte, "value": value, "expanded_uncertainty": u * 2, "coverage_factor": 2.0, "unit": unit,
                           "status": "active"})
        for m in range(rng.randint(5, 10)):
            met_rows.append({"org_id": lab_id, "name": _person(rng), "certificate_no": f"陕{rng.randint(2015, 2025)}{lab_no:02d}{m:03d}",
                             "level": rng.choice(("first", "second")), "items": rng.sample(
                                 ["数字指示秤", "燃油加油机", "压力表", "血压计", "水表", "电能表", "出租汽车计价器", "验光仪"], k=3),
                             "valid_until": today + timedelta(days=rng.randint(100, 1500)), "status": "active"})
    std_ids = _bulk(session, MeasurementStandard, std_rows, "standard")
    _bulk(session, StandardDevice, [{**d, "standard_id": sid} for sid, devs in zip(std_ids, dev_rows_for, strict=True) for d in devs], "standard_device")
    rm_ids = _bulk(session, ReferenceMaterial, rm_rows, "reference_material")
    _bulk(session, CertifiedValue, [{**cv, "material_id": rid} for rid, cv in zip(rm_ids, cv_for, strict=True)], "certified_value")
    summary.standards, summary.materials = len(std_ids), len(rm_ids)
    summary.metrologists = len(_bulk(session, Metrologist, met_rows, "metrologist"))
    step("standards", summary.standards)

    # --- demo accounts, one per role
    pw = hash_password(get_settings().demo_password)
    enterprise_id = next(i for i, r in zip(ent_ids, ent_rows, strict=True) if r["region_code"] == "610113" and r["kind"] == "enterprise")
    user_rows = []
    for username, display, role, org_key, scope in DEMO_ACCOUNTS:
        org_id = lab_ids[0] if org_key == "lab" else enterprise_id if org_key == "enterprise" else None
        user_rows.append({"username": username, "display_name": display, "password_hash": pw, "role": role,
                          "org_id": org_id, "scope_region": scope, "status": "active", "lang": "zh"})
    user_ids = _bulk(session, User, user_rows, "user")
    summary.users = len(user_ids)
    # the demo lab's signers are registered metrologists qualified for every shipped type
    all_items = sorted(t.name_zh for t in types.values())
    signers = [
        {"org_id": lab_ids[0], "user_id": uid, "name": row["display_name"],
         "certificate_no": f"陕DEMO-{row['username']}", "level": "first", "items": all_items,
         "valid_until": today + timedelta(days=3 * 365), "status": "active"}
        for uid, row in zip(user_ids, user_rows, strict=True)
        if row["role"] in ("lab_manager", "metrologist", "reviewer", "approver")
    ]
    summary.metrologists += len(_bulk(session, Metrologist, signers, "metrologist"))
    session.flush()
    _seed_features(session, size, seed, today)
    return summary


def _seed_features(session: Session, size: str, seed: int, today: date) -> None:
    """Each feature module's own demo data (catalogue mapping, filings, chains, cases ...)."""
    from jiliang.features import DEMO_MODULES, load

    for i, module in enumerate(load(DEMO_MODULES)):
        module.seed_demo(session, size, random.Random(seed * 1000 + i), today)
        session.flush()


def _use_for(type_code: str) -> str:
    if type_code.startswith(("WT-PRICE", "FL-", "TX-", "EL-ENERGY", "WT-TRUCK")):
        return "trade_settlement"
    if type_code.startswith(("PR-BP", "PR-EBP", "TH-CLIN", "TH-IR", "MD-", "OP-")):
        return "medical_health"
    if type_code.startswith(("CH-GAS", "PR-GAUGE", "SP-", "CH-ALCO")):
        return "safety_protection"
    if type_code.startswith("EN-"):
        return "environmental_monitoring"
    return "other"



DEMO_MODEL = {
    "equations": ["E = indication - nominal + d_ind + d_ref"],
    "inputs": {
        "d_ind": {"dist": "rectangular", "low": -0.001, "high": 0.001},
        "d_ref": {"dist": "normal", "mean": 0, "std": 0.0005},
    },
}
# a class III scale, e = 10 g, verified per JJG 539 (MPE ±0.5 e, ±1 e, ±1.5 e)
DEMO_POINTS = {
    "pass": [{"nominal": 1.0, "readings": [1.002], "mpe": 0.005},
             {"nominal": 10.0, "readings": [10.004], "mpe": 0.01},
             {"nominal": 30.0, "readings": [30.006], "mpe": 0.015}],
    "fail": [{"nominal": 1.0, "readings": [1.002], "mpe": 0.005},
             {"nominal": 30.0, "readings": [30.03], "mpe": 0.015}],
}


def add_certificates(session: Session) -> list[str]:
    """Issue demo certificates of every kind through the real services: a verification
    certificate, a verification-result notice, a calibration certificate, and one revoked.

    Needs the DCC schema folder (``JILIANG_DCC_SCHEMA_DIR``); returns the numbers issued.
    """
    from jiliang.calibration import service as calibration
    from jiliang.certificates import service as certificates
    from jiliang.core import resources
    from jiliang.core.security import SYSTEM
    from jiliang.people.service import principal_for
    from jiliang.standards.service import STANDARD_DEVICES, STANDARDS

    users = {u.username: u for u in session.scalars(select(User))}
    who = {name: principal_for(session, users[name]) for name in ("metrologist", "reviewer", "approver")}
    lab = users["metrologist"].org_id
    today = date.today()
    standard = resources.create(session, SYSTEM, STANDARDS, {
        "name": "F2 等级砝码标准装置（演示）", "code": "[2025]陕量标演示01号", "lab_org_id": lab,
        "quantity": "质量", "level": "social_public", "measuring_range": "1 mg～20 kg",
        "uncertainty": "F2 级", "assessment_cert_no": "[2025]陕量标证字第001号",
        "assessment_valid_until": today + timedelta(days=3 * 365)})
    device = resources.create(session, SYSTEM, STANDARD_DEVICES, {
        "standard_id": standard.id, "name": "F2 等级砝码组", "certificate_no": "GLz2026-00001",
        "certificate_valid_until": today + timedelta(days=300)})
    if features.present("jiliang.traceability.demo"):
        from jiliang.traceability.demo import link_to_nim

        link_to_nim(session, device, today)  # the demo certificates have a complete chain
    scale_type = session.scalar(select(InstrumentType).where(InstrumentType.code == "WT-NAWI"))
    owner = session.scalar(select(Organisation).where(Organisation.id == users["enterprise"].org_id))
    password = get_settings().demo_password
    numbers = []
    for kind, points, revoke in (("subsequent_verification", "pass", False),
                                 ("subsequent_verification", "fail", False),
                                 ("calibration", "pass", False),
                                 ("subsequent_verification", "pass", True)):
        inst = Instrument(owner_org_id=owner.id, type_id=scale_type.id, serial_no=f"DEMO{len(numbers) + 1:04d}",
                          maker=_MAKERS[0], model="ACS-30", region_code=owner.region_code,
                          city_code=owner.city_code, use="trade_settlement", status="due",
                          due_date=today + timedelta(days=5), qr_token=secrets.token_urlsafe(16))
        session.add(inst)
        session.flush()
        rec = calibration.create_record(session, who["metrologist"], {
            "instrument_id": inst.id, "kind": kind, "procedure_code": "JJG 539-2016",
            "procedure_title": "数字指示秤", "performed_on": today.isoformat(), "location": "质量室 A101",
            "temperature": 20.5, "humidity": 55, "unit": "kg", "standard_ids": [standard.id],
            "device_ids": [device.id], "decision_rule": {"kind": "simple"},
            "uncertainty_model": DEMO_MODEL, "points": DEMO_POINTS[points]})
        for step, signer in (("performed", "metrologist"), ("reviewed", "reviewer"), ("approved", "approver")):
            calibration.sign(session, who[signer], rec.id, step, password)
        cert = certificates.issue(session, who["approver"], rec.id)
        if revoke:
            certificates.revoke(session, who["approver"], cert.number, "演示：证书信息有误，已撤销")
        numbers.append(cert.number)
    return numbers
