"""Early-warning rules per catalogue form at their boundaries, status effects, the nightly run
and its notices (never duplicated: twice, and across a restart with a fresh engine)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from jiliang.core import resources
from jiliang.core.audit import AuditEntry
from jiliang.core.security import SYSTEM
from jiliang.instruments.models import Instrument, InstrumentType
from jiliang.instruments.service import INSTRUMENTS, transition
from jiliang.supervision import warnings
from jiliang.supervision.catalogue_models import CatalogueItem, TypeCatalogueLink
from jiliang.supervision.warning_models import InstrumentWarning, Notice, WarningSetting

TODAY = date(2026, 6, 15)
_seq = itertools.count(1)


# ------------------------------------------------------------------ the rules alone


@pytest.mark.parametrize("days,expected", [
    (16, None), (15, "due_soon"), (1, "due_soon"), (0, "due_soon"), (-1, "overdue"), (-400, "overdue"),
])
def test_periodic_lead_time_boundaries(days, expected):
    hit = warnings.classify("periodic", TODAY + timedelta(days=days), None, None, TODAY, 15)
    assert (hit[0] if hit else None) == expected
    if hit:
        assert hit[1] == TODAY + timedelta(days=days)


def test_not_catalogued_is_periodic_on_its_due_date():
    assert warnings.classify(None, TODAY + timedelta(days=15), None, None, TODAY, 15)[0] == "due_soon"
    assert warnings.classify(None, TODAY - timedelta(days=1), None, None, TODAY, 15)[0] == "overdue"
    assert warnings.classify(None, None, TODAY - timedelta(days=900), None, TODAY, 15) is None


def test_initial_scrap_never_warns():
    for due in (TODAY - timedelta(days=30), TODAY, TODAY + timedelta(days=3), None):
        assert warnings.classify("initial_scrap", due, TODAY - timedelta(days=800), 60, TODAY, 15) is None


def test_initial_life_end_today_is_not_past_yesterday_is():
    # end of life from the last verification + service life (no certificate date)
    assert warnings.classify("initial_life", None, date(2021, 6, 15), 60, TODAY, 15) == ("due_soon", TODAY)
    assert warnings.classify("initial_life", None, date(2021, 6, 14), 60, TODAY, 15) == (
        "past_life", date(2026, 6, 14))
    assert warnings.classify("initial_life", None, date(2021, 8, 1), 60, TODAY, 15) is None  # 2026-08-01
    assert warnings.classify("initial_life", None, None, 60, TODAY, 15) is None
    assert warnings.classify("initial_life", None, date(2021, 1, 1), None, TODAY, 15) is None


def test_initial_life_certificate_date_wins():
    # the service life alone would end in 2030; the certificate says yesterday
    assert warnings.classify("initial_life", TODAY - timedelta(days=1), date(2025, 6, 1), 60, TODAY, 15) == (
        "past_life", TODAY - timedelta(days=1))
    # the service life alone would have ended in 2023; the certificate is valid for a year more
    assert warnings.classify("initial_life", TODAY + timedelta(days=365), date(2018, 6, 1), 60, TODAY, 15) is None


def test_add_months_clamps_to_month_end():
    assert warnings.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert warnings.add_months(date(2021, 2, 28), 60) == date(2026, 2, 28)
    assert warnings.add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


def test_next_status_follows_the_life_cycle():
    from jiliang.instruments.models import TRANSITIONS

    for status in TRANSITIONS:
        for kind in ("due_soon", "overdue", "past_life"):
            target = warnings.next_status(status, kind)
            if target is not None:
                assert target in TRANSITIONS[status]
    assert warnings.next_status("in_service", "due_soon") == "due"
    assert warnings.next_status("due", "due_soon") is None
    assert warnings.next_status("due", "overdue") == "overdue"
    assert warnings.next_status("suspended", "overdue") is None


# ------------------------------------------------------------------ the run on the database


def _item(db, form: str, life: int | None = None) -> int:
    n = next(_seq)
    item = CatalogueItem(code=f"T{n}.{form[:4]}", parent_code=None, level=1, name_zh=f"测试项{n}",
                         name_en=f"Test item {n}", modes="verification", form=form, uses=[],
                         service_life_months=life, source="test", confirmed=False, status="active")
    itype = InstrumentType(code=f"TST-{form[:6].upper()}{n}", category="test", name_zh=f"测试器具{n}",
                           name_en=f"Test instrument {n}", mandatory=True, status="active")
    db.add_all([item, itype])
    db.flush()
    db.add(TypeCatalogueLink(type_id=itype.id, item_id=item.id))
    db.flush()
    return itype.id


def _owner(db) -> int:
    from jiliang.people.models import User

    return db.scalar(select(User.org_id).where(User.username == "enterprise"))


def _instrument(db, type_id: int, due: date | None, last: date | None = None, status: str = "in_service",
                region: str = "610113") -> Instrument:
    inst = resources.create(db, SYSTEM, INSTRUMENTS, {
        "type_id": type_id, "serial_no": f"EW-{next(_seq):05d}", "use": "trade_settlement",
        "owner_org_id": _owner(db), "region_code": region,
    })
    if status != "registered":
        transition(db, SYSTEM, inst.id, status if status in ("in_service", "due") else "in_service",
                   reason="test")
    inst.due_date, inst.last_verified = due, last
    if status == "suspended":
        transition(db, SYSTEM, inst.id, "suspended", reason="test")
    db.flush()
    return inst


def _warning(db, inst: Instrument) -> tuple[str, date] | None:
    w = db.get(InstrumentWarning, inst.id)
    return (w.kind, w.due_on) if w else None


@pytest.fixture()
def scratch(db):
    """A session whose changes are rolled back at the end."""
    yield db
    db.rollback()


def test_run_applies_rules_and_moves_statuses(scratch):
    db = scratch
    periodic, scrap, life = _item(db, "periodic"), _item(db, "initial_scrap"), _item(db, "initial_life", 60)
    d15 = _instrument(db, periodic, TODAY + timedelta(days=15))
    d16 = _instrument(db, periodic, TODAY + timedelta(days=16))
    today_due = _instrument(db, periodic, TODAY)
    over = _instrument(db, periodic, TODAY - timedelta(days=1), status="due")
    suspended = _instrument(db, periodic, TODAY - timedelta(days=10), status="suspended")
    scrap_old = _instrument(db, scrap, TODAY - timedelta(days=100), last=TODAY - timedelta(days=2000))
    life_today = _instrument(db, life, None, last=warnings.add_months(TODAY, -60))
    life_yesterday = _instrument(db, life, None, last=warnings.add_months(TODAY - timedelta(days=1), -60))
    life_cert = _instrument(db, life, TODAY + timedelta(days=200), last=TODAY - timedelta(days=4000))
    untyped = db.scalar(select(InstrumentType.id).outerjoin(
        TypeCatalogueLink, TypeCatalogueLink.type_id == InstrumentType.id).where(TypeCatalogueLink.type_id.is_(None)))
    plain = _instrument(db, untyped, TODAY - timedelta(days=3))

    summary = warnings.run(db, TODAY)

    assert _warning(db, d15) == ("due_soon", TODAY + timedelta(days=15))
    assert _warning(db, d16) is None
    assert _warning(db, today_due) == ("due_soon", TODAY)
    assert _warning(db, over) == ("overdue", TODAY - timedelta(days=1))
    assert _warning(db, suspended) is None
    assert _warning(db, scrap_old) is None
    assert _warning(db, life_today) == ("due_soon", TODAY)
    assert _warning(db, life_yesterday) == ("past_life", TODAY - timedelta(days=1))
    assert _warning(db, life_cert) is None
    assert _warning(db, plain) == ("overdue", TODAY - timedelta(days=3))
    for inst in (d15, d16, today_due, over, suspended, scrap_old, life_today, life_yesterday, plain):
        db.refresh(inst)
    assert [d15.status, d16.status, today_due.status] == ["due", "in_service", "due"]
    assert [over.status, life_yesterday.status, plain.status] == ["overdue", "overdue", "overdue"]
    assert [suspended.status, scrap_old.status, life_today.status] == ["suspended", "in_service", "due"]
    moved = db.scalars(select(AuditEntry).where(AuditEntry.entity == "instrument",
                                                AuditEntry.entity_id == str(over.id),
                                                AuditEntry.reason.like("%early warning%"))).all()
    assert [(m.before, m.after) for m in moved] == [({"status": "due"}, {"status": "overdue"})]
    assert summary["moved"] >= 6
    keys = set(db.scalars(select(Notice.dedup_key).where(Notice.org_id == _owner(db))))
    assert f"due:{d15.id}:{(TODAY + timedelta(days=15)).isoformat()}" in keys
    assert f"overdue:{over.id}:{(TODAY - timedelta(days=1)).isoformat()}" in keys
    assert f"life:{life_yesterday.id}:{(TODAY - timedelta(days=1)).isoformat()}" in keys
    assert not any(k.endswith(f":{d16.id}:{(TODAY + timedelta(days=16)).isoformat()}") for k in keys)

    # a second run the same day changes nothing and queues nothing
    again = warnings.run(db, TODAY)
    assert again["queued"] == 0 and again["region_summaries"] == 0 and again["moved"] == 0
    assert again["warnings"] == summary["warnings"]


def test_lead_time_settings_province_city_county(scratch):
    db = scratch
    periodic = _item(db, "periodic")
    yanta = _instrument(db, periodic, TODAY + timedelta(days=20), region="610113")
    beilin = _instrument(db, periodic, TODAY + timedelta(days=20), region="610103")
    baoji = _instrument(db, periodic, TODAY + timedelta(days=20), region="610302")
    province = db.get(WarningSetting, "610000")
    admin = _principal(db, "admin")
    warnings.set_lead_days(db, admin, "610000", 25)
    warnings.set_lead_days(db, _principal(db, "xian"), "610100", 10)
    warnings.set_lead_days(db, _principal(db, "yanta"), "610113", 30)
    warnings.run(db, TODAY)
    assert _warning(db, yanta) is not None  # county 30 days beats city 10
    assert _warning(db, beilin) is None  # city 10 days beats province 25
    assert _warning(db, baoji) is not None  # province 25 days
    assert province is None or province.lead_days  # nothing else asserted about earlier rows


def test_lead_time_setting_is_scoped_and_validated(scratch):
    from jiliang.core.errors import Forbidden, NotFound, ValidationFailed

    db = scratch
    with pytest.raises(Forbidden):
        warnings.set_lead_days(db, _principal(db, "yanta"), "610103", 20)
    with pytest.raises(Forbidden):
        warnings.set_lead_days(db, _principal(db, "xian"), "610000", 20)
    with pytest.raises(Forbidden):
        warnings.set_lead_days(db, _principal(db, "enterprise"), "610113", 20)
    with pytest.raises(ValidationFailed) as exc:
        warnings.set_lead_days(db, _principal(db, "admin"), "610000", 0)
    assert "lead_days" in exc.value.errors
    with pytest.raises(NotFound):
        warnings.set_lead_days(db, _principal(db, "admin"), "999999", 20)
    row = warnings.set_lead_days(db, _principal(db, "province"), "610000", 20)
    assert row.lead_days == 20
    entry = db.scalars(select(AuditEntry).where(AuditEntry.entity == "warning_setting")
                       .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_name == "province" and entry.after["lead_days"] == 20


def _principal(db, username: str):
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    return principal_for(db, db.scalar(select(User).where(User.username == username)))


def _notice_count() -> tuple[int, int]:
    from jiliang.core.db import session_scope
    from jiliang.supervision.warning_models import InboxItem

    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(Notice)), s.scalar(select(func.count()).select_from(InboxItem))


def test_nightly_twice_and_after_a_restart_never_duplicates(platform):
    from jiliang import jobs
    from jiliang.core.db import reset_engine

    first = jobs.run_nightly("supervision.warnings.nightly")["supervision.warnings.nightly"]
    assert first["ok"], first
    after_first = _notice_count()
    second = jobs.run_nightly("supervision.warnings.nightly")["supervision.warnings.nightly"]
    assert second["ok"] and second["summary"]["queued"] == 0
    assert _notice_count() == after_first
    reset_engine()  # a restarted server: a new engine and new connections
    third = jobs.run_nightly("supervision.warnings.nightly")["supervision.warnings.nightly"]
    assert third["ok"] and third["summary"]["queued"] == 0 and third["summary"]["region_summaries"] == 0
    assert _notice_count() == after_first
    # the demo run of today already queued them: there are notices, one inbox item each
    assert after_first[0] > 0 and after_first[0] == after_first[1]


def test_demo_run_warned_owners_and_county_regulators(db):
    from jiliang.orgs.models import Organisation

    total = db.scalar(select(func.count()).select_from(InstrumentWarning))
    assert total > 0
    owners = db.scalar(select(func.count(func.distinct(InstrumentWarning.owner_org_id))))
    warned_owners = db.scalar(select(func.count(func.distinct(Notice.org_id))).where(Notice.topic == "warning"))
    assert warned_owners >= owners
    county_notes = db.scalars(select(Notice).join(Organisation, Organisation.id == Notice.org_id)
                              .where(Notice.topic == "region_summary")).all()
    counties = set(db.scalars(select(InstrumentWarning.region_code).distinct()))
    assert {n.dedup_key.split(":")[1] for n in county_notes} >= counties | {"610000", "610100"}
    province_bureau = db.scalar(select(Organisation.id).where(Organisation.kind == "regulator",
                                                              Organisation.region_code == "610000"))
    assert any(n.org_id == province_bureau for n in county_notes)


def test_a_warning_goes_stale_with_its_instrument_in_the_same_transaction(scratch):
    from jiliang.supervision.warning_models import WarningCount

    db = scratch
    periodic = _item(db, "periodic")
    verified = _instrument(db, periodic, TODAY - timedelta(days=5))
    suspended = _instrument(db, periodic, TODAY + timedelta(days=3))
    moved = _instrument(db, periodic, TODAY + timedelta(days=4))
    kept = _instrument(db, periodic, TODAY - timedelta(days=6))
    warnings.run(db, TODAY)

    def count(county, kind):
        row = db.get(WarningCount, (county, kind))
        db.refresh(row) if row is not None else None
        return row.n if row is not None else 0

    before = {k: count("610113", k) for k in ("overdue", "due_soon")}
    resources.update(db, SYSTEM, INSTRUMENTS, verified.id, {"due_date": TODAY + timedelta(days=365)})
    transition(db, SYSTEM, suspended.id, "suspended", reason="broken")
    resources.update(db, SYSTEM, INSTRUMENTS, moved.id, {"region_code": "610103"})
    db.flush()
    db.expire_all()
    assert [_warning(db, i) for i in (verified, suspended, moved)] == [None, None, None]
    assert _warning(db, kept) == ("overdue", TODAY - timedelta(days=6))
    assert count("610113", "overdue") == before["overdue"] - 1
    assert count("610113", "due_soon") == before["due_soon"] - 2
    # a move the run itself makes (in service -> overdue) keeps the warning
    kept_row = db.get(Instrument, kept.id)
    assert kept_row.status == "overdue"
