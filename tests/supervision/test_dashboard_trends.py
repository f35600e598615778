"""Monthly snapshots (idempotent, one row per county per month), trends from them, coverage
indicators against brute-force counts, and the dashboard page with the early-warning panels."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from jiliang.instruments.dashboard import ACTIVE
from jiliang.instruments.models import Instrument
from jiliang.regions.models import Region
from jiliang.supervision import warnings
from jiliang.supervision.catalogue_models import CatalogueItem, TypeCatalogueLink
from jiliang.supervision.warning_models import InstrumentWarning, WarningSnapshot


def _principal(db, username):
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    return principal_for(db, db.scalar(select(User).where(User.username == username)))


def test_snapshot_is_one_row_per_county_per_month_and_idempotent(db):
    today = date.today()
    month = warnings.month_start(today)
    counties = db.scalar(select(func.count()).select_from(Region).where(Region.level == "county"))
    warnings.run(db, today)  # warnings as of now (instruments registered since the last run included)
    first = {s.region_code: (s.total, s.active, s.overdue, s.due_soon, s.past_life, s.verified)
             for s in db.scalars(select(WarningSnapshot).where(WarningSnapshot.month == month))}
    warnings.write_snapshot(db, today)
    warnings.run(db, today)
    again = {s.region_code: (s.total, s.active, s.overdue, s.due_soon, s.past_life, s.verified)
             for s in db.scalars(select(WarningSnapshot).where(WarningSnapshot.month == month))}
    assert len(first) == counties and again == first
    assert db.scalar(select(func.count()).select_from(WarningSnapshot).where(WarningSnapshot.month == month)) == counties
    # against the register, county by county
    yanta = [i for i in db.scalars(select(Instrument).where(Instrument.region_code == "610113"))]
    total, active, overdue, _due, _life, verified = again["610113"]
    assert total == len(yanta)
    assert active == sum(i.status in ACTIVE for i in yanta)
    assert overdue == sum(i.status == "overdue" for i in yanta)
    assert verified == sum(i.last_verified is not None and month <= i.last_verified <= today for i in yanta)
    months = db.scalar(select(func.count(func.distinct(WarningSnapshot.month))))
    assert months == 12  # eleven months of demo history and this one
    db.rollback()


@pytest.mark.parametrize("username,region", [("province", "610000"), ("xian", "610100"), ("yanta", "610113")])
def test_trends_sum_the_snapshots_of_the_scope(db, username, region):
    who = _principal(db, username)
    result = warnings.trends(db, who, region)
    assert len(result["months"]) == 12
    snaps = list(db.scalars(select(WarningSnapshot)))
    level = db.get(Region, region).level
    mine = [s for s in snaps if level == "province" or (level == "city" and s.city_code == region)
            or s.region_code == region]
    for point in result["months"]:
        rows = [s for s in mine if s.month.strftime("%Y-%m") == point["month"]]
        assert point["overdue"] == sum(s.overdue for s in rows)
        assert point["verified"] == sum(s.verified for s in rows)
        active = sum(s.active for s in rows)
        assert point["overdue_rate"] == (round(sum(s.overdue for s in rows) / active, 4) if active else None)


def test_trends_refuse_out_of_scope_and_organisations(db):
    from jiliang.core.errors import Forbidden, NotFound

    with pytest.raises(NotFound):
        warnings.trends(db, _principal(db, "yanta"), "610103")
    with pytest.raises(NotFound):
        warnings.trends(db, _principal(db, "xian"), "610000")
    with pytest.raises(Forbidden):
        warnings.trends(db, _principal(db, "enterprise"))


def _brute_coverage(db, region: str, level: str, today: date):
    from jiliang.features import present

    forms = dict(db.execute(select(TypeCatalogueLink.type_id, CatalogueItem.form)
                            .join(CatalogueItem, CatalogueItem.id == TypeCatalogueLink.item_id)).all())
    filed_ids = set()
    if present("jiliang.supervision.filing_models"):
        from jiliang.supervision.filing_models import Filing

        filed_ids = set(db.scalars(select(Filing.instrument_id).where(Filing.status == "approved")))
    rows = [i for i in db.scalars(select(Instrument)) if i.status in ACTIVE and i.type_id in forms
            and (level == "province" or (level == "city" and i.city_code == region) or i.region_code == region)]
    on_time = [i for i in rows if (i.due_date is not None and i.due_date >= today)
               or (forms[i.type_id] == "initial_scrap" and i.last_verified is not None)]
    return len(rows), len(on_time), sum(i.id in filed_ids for i in rows)


def test_coverage_matches_brute_force(db):
    from jiliang.core import resources
    from jiliang.core.security import SYSTEM
    from jiliang.instruments.models import InstrumentType
    from jiliang.instruments.service import INSTRUMENTS, transition

    today = date.today()
    # make sure there is something catalogued whatever the catalogue data holds
    item = CatalogueItem(code="TCOV.1", level=1, name_zh="覆盖测试", name_en="Coverage test", form="initial_scrap",
                         uses=[], source="test", confirmed=False, status="active")
    itype = InstrumentType(code="TST-COV", category="test", name_zh="覆盖测试器具", name_en="Coverage test instrument",
                           mandatory=True, status="active")
    db.add_all([item, itype])
    db.flush()
    db.add(TypeCatalogueLink(type_id=itype.id, item_id=item.id))
    owner = db.scalar(select(Instrument.owner_org_id).where(Instrument.region_code == "610113"))
    for k, last in enumerate((date(2020, 1, 1), None)):
        inst = resources.create(db, SYSTEM, INSTRUMENTS, {"type_id": itype.id, "serial_no": f"COV-{k}", "use": "other",
                                                          "owner_org_id": owner, "region_code": "610113"})
        transition(db, SYSTEM, inst.id, "in_service")
        inst.last_verified = last
    db.flush()
    for username, region, level in [("province", "610000", "province"), ("xian", "610100", "city"),
                                    ("yanta", "610113", "county")]:
        got = warnings.coverage(db, _principal(db, username), region, today)
        mandatory, on_time, filed = _brute_coverage(db, region, level, today)
        assert (got["mandatory"], got["verified_on_time"]) == (mandatory, on_time)
        if got["filings_available"]:
            assert got["filed"] == filed
        assert mandatory >= 2  # the two made above lie in 610113, inside every scope here
    db.rollback()


def test_counts_by_kind_and_child_region_match_the_list(db):
    province = _principal(db, "province")
    result = warnings.counts(db, province, "610000")
    rows = list(db.scalars(select(InstrumentWarning)))
    for kind, n in result["by_kind"].items():
        assert n == sum(w.kind == kind for w in rows)
    for city, figures in result["by_region"].items():
        assert figures["overdue"] == sum(w.kind == "overdue" and w.city_code == city for w in rows)
    yanta = _principal(db, "yanta")
    listed = warnings.list_warnings(db, yanta, kind="overdue", per_page=200)
    stale_free = [w for w in rows if w.region_code == "610113" and w.kind == "overdue"]
    assert listed.total <= len(stale_free)
    assert all(i["region_code"] == "610113" for i in listed.items)


def test_dashboard_page_shows_the_panels(client, auth):
    page = client.get("/?region=610100", headers=auth("xian"))
    assert page.status_code == 200
    assert 'data-testid="trend-chart"' in page.text and 'data-testid="warn-overdue"' in page.text
    assert 'href="/warnings?kind=overdue&region=610100"' in page.text
    own = client.get("/", headers=auth("enterprise"))
    assert own.status_code == 200 and 'data-testid="trend-chart"' not in own.text


def test_dashboard_coverage_from_the_snapshot_equals_the_live_count(db):
    today = date.today()
    warnings.write_snapshot(db, today)
    for username, region in [("province", "610000"), ("xian", "610100"), ("yanta", "610113"), ("baoji", "610300")]:
        who = _principal(db, username)
        snap = warnings.coverage_snapshot(db, who, region, today)
        live = warnings.coverage(db, who, region, today)
        assert snap == live
    db.rollback()
