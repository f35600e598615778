"""Campaign statistics on a small seeded set, and the C-mark declarations register."""

from __future__ import annotations

import io
from datetime import date

import pytest
from netcontent_lots import lot_body, lot_values

from jiliang.core.errors import Forbidden, NotFound, ValidationFailed
from jiliang.netcontent import declarations, service, stats

CAMPAIGN = "STATS-2026-春"


@pytest.fixture()
def seeded(db, who, nc_places):
    """Six lots: four final ones counted, one draft and one void left out."""
    admin = who("admin")
    ent, ent_b = nc_places["ent"].org_id, nc_places["ent_b"].org_id
    fail = lot_values(t2=1)
    rows = [
        (ent, "food", lot_values(), "final"),
        (ent, "food", fail, "final"),
        (ent, "beverage", lot_values(), "final"),
        (ent_b, "food", lot_values(), "final"),
        (ent, "food", fail, "draft"),
        (ent_b, "beverage", fail, "final"),  # voided below
    ]
    made = []
    for org, category, net, status in rows:
        made.append(
            service.create_inspection(
                db,
                admin,
                lot_body(
                    org,
                    category=category,
                    net=net,
                    status=status,
                    campaign=CAMPAIGN,
                    sampled_at=date(2026, 4, 1),
                ),
            )
        )
    service.void_inspection(db, admin, made[-1].id, "entered twice")
    db.flush()
    yield made
    db.rollback()


def _by(rows):
    return {r.key: (r.total, r.passed, r.failed) for r in rows}


def test_pass_rate_by_category_and_city(db, who, nc_places, seeded):
    st = stats.statistics(db, who("admin"), {"campaign": CAMPAIGN})
    assert (st.overall.total, st.overall.passed, st.overall.failed) == (4, 3, 1)
    assert st.overall.pass_rate == pytest.approx(0.75)
    assert _by(st.by_category) == {"food": (3, 2, 1), "beverage": (1, 1, 0)}
    city, city_b = nc_places["ent"].city, nc_places["ent_b"].city
    expected = {city: (3, 2, 1)}
    if city_b == city:
        expected = {city: (4, 3, 1)}
    else:
        expected[city_b] = (1, 1, 0)
    assert _by(st.by_city) == expected
    labels = {r.key: r.label for r in st.by_category}
    assert labels["food"] == "食品"
    assert {
        r.key: r.label
        for r in stats.statistics(db, who("admin"), {"campaign": CAMPAIGN}, "en").by_category
    }["food"] == "Food"
    assert [r.key for r in st.by_city][0] == city  # most inspected first


def test_statistics_stay_in_the_regulators_region(db, who, seeded):
    st = stats.statistics(db, who("yanta"), {"campaign": CAMPAIGN})
    assert (st.overall.total, st.overall.passed) == (3, 2)
    assert _by(st.by_category) == {"food": (2, 1, 1), "beverage": (1, 1, 0)}
    food = stats.statistics(db, who("yanta"), {"campaign": CAMPAIGN, "category": "food"})
    assert food.overall.total == 2
    later = stats.statistics(db, who("admin"), {"campaign": CAMPAIGN, "from": "2026-04-02"})
    assert later.overall.total == 0 and later.overall.pass_rate is None


@pytest.mark.parametrize("user", ["enterprise", "labmanager"])
def test_statistics_are_for_regulators(db, who, user):
    with pytest.raises(Forbidden):
        stats.statistics(db, who(user))


def test_statistics_workbook(db, who, seeded):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(stats.statistics_xlsx(db, who("yanta"), {"campaign": CAMPAIGN})))
    assert wb.sheetnames == ["按商品类别", "按城市", "检验记录"]
    rows = list(wb["按商品类别"].iter_rows(values_only=True))
    assert rows[0] == ("分组", "检验批次", "合格", "不合格", "合格率")
    assert ("食品", 2, 1, 1, 0.5) in rows and rows[-1] == ("合计", 3, 2, 1, pytest.approx(2 / 3))
    detail = list(wb["检验记录"].iter_rows(values_only=True))
    assert len(detail) == 1 + 3
    assert {r[12] for r in detail[1:]} == {"合格", "不合格"}
    wb_en = load_workbook(
        io.BytesIO(stats.statistics_xlsx(db, who("admin"), {"campaign": CAMPAIGN}, "en"))
    )
    assert wb_en.sheetnames == ["By category", "By city", "Inspections"]


def test_campaign_names_in_scope(db, who, seeded):
    assert CAMPAIGN in service.campaigns(db, who("yanta"))
    assert CAMPAIGN in service.campaigns(db, who("enterprise"))  # its own final ones


# ------------------------------------------------------------------ C-mark


def test_enterprise_declares_and_the_public_sees_it(db, who, nc_places):
    ent = who("enterprise")
    d = declarations.declare(db, ent, {"categories": ["food", "饮料"], "products": "大米、矿泉水"})
    assert d.org_id == nc_places["ent"].org_id and d.categories == ["food", "beverage"]
    assert d.status == "active" and d.public is True and d.declared_on == date.today()
    hidden = declarations.declare(
        db, ent, {"categories": ["food"], "public": False, "products": "内部"}
    )
    page = declarations.public_declarations(db, q=d.org_uscc)
    assert d.id in {i.id for i in page.items} and hidden.id not in {i.id for i in page.items}
    assert d.id in {
        i.id for i in declarations.public_declarations(db, category="beverage", per_page=200).items
    }
    assert d.id not in {
        i.id for i in declarations.public_declarations(db, category="alcohol", per_page=200).items
    }
    with pytest.raises(ValidationFailed):
        declarations.public_declarations(db, category="weapons")
    # regulators of the place see both, others see nothing of it
    assert {d.id, hidden.id} <= {
        i.id for i in declarations.list_declarations(db, who("yanta"), per_page=200).items
    }
    assert d.id not in {
        i.id for i in declarations.list_declarations(db, who("enterprise_b"), per_page=200).items
    }
    with pytest.raises(NotFound):
        declarations.withdraw(db, who("enterprise_b"), d.id, "not mine")
    with pytest.raises(Forbidden):
        declarations.withdraw(db, who("yanta"), d.id, "regulators do not withdraw")
    with pytest.raises(ValidationFailed):
        declarations.withdraw(db, ent, d.id, "")
    declarations.withdraw(db, ent, d.id, "product line closed")
    assert d.status == "withdrawn"
    assert d.id not in {i.id for i in declarations.public_declarations(db, q=d.org_uscc).items}
    db.rollback()


def test_declaration_errors_are_named(db, who, nc_places):
    with pytest.raises(ValidationFailed) as err:
        declarations.declare(db, who("enterprise"), {"categories": ["weapons"]})
    assert "categories" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        declarations.declare(db, who("enterprise"), {"categories": []})
    assert "categories" in err.value.errors
    with pytest.raises(Forbidden):
        declarations.declare(db, who("yanta"), {"categories": ["food"]})
    with pytest.raises(Forbidden):
        declarations.declare(db, who("labmanager"), {"categories": ["food"]})
    with pytest.raises(ValidationFailed) as err:
        declarations.declare(db, who("admin"), {"categories": ["food"]})  # for which organisation?
    assert "org_id" in err.value.errors
    with pytest.raises(Forbidden):
        declarations.declare(
            db, who("enterprise"), {"categories": ["food"], "org_id": nc_places["ent_b"].org_id}
        )
    with pytest.raises(ValidationFailed) as err:
        declarations.declare(
            db, who("admin"), {"categories": ["food"], "org_id": nc_places["regulator_org"]}
        )
    assert "org_id" in err.value.errors
    d = declarations.declare(
        db, who("admin"), {"categories": ["food"], "org_id": nc_places["ent_b"].org_id}
    )
    assert d.org_id == nc_places["ent_b"].org_id
    db.rollback()
