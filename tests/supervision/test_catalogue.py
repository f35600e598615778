"""The shipped mandatory catalogue (SAMR announcement 2020 No. 42): data integrity, what is
confirmed, loading and mapping of instrument types, the catalogue API and page."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources as importlib_resources

import pytest
from sqlalchemy import func, select

from jiliang.core.audit import AuditEntry
from jiliang.instruments.models import InstrumentType
from jiliang.supervision import catalogue
from jiliang.supervision.catalogue_models import FORMS, MODES, CatalogueItem, TypeCatalogueLink
from rolecheck import call

ROWS = catalogue.shipped_items()
README = (importlib_resources.files("jiliang") / "data/mandatory_catalogue/README.md").read_text(encoding="utf-8")


def test_counts_are_what_the_readme_says_and_within_the_announcements_totals():
    first = [r for r in ROWS if r["level"] == 1]
    second = [r for r in ROWS if r["level"] == 2]
    m = re.search(r"(\d+) first-level and (\d+) second-level rows", README)
    assert (len(first), len(second)) == (int(m.group(1)), int(m.group(2)))
    # the announcement has 40 first-level and 62 second-level items: a copy can hold no more
    assert len(first) <= 40 and len(second) <= 62
    assert "40 first-level items and 62 second-level items" in README


def test_every_row_has_a_source_a_valid_parent_and_valid_values():
    codes = [r["code"] for r in ROWS]
    assert len(codes) == len(set(codes))
    by_code = {r["code"]: r for r in ROWS}
    for r in ROWS:
        assert r["source"].startswith(catalogue.SOURCE)
        assert r["modes"] in MODES and r["form"] in FORMS
        assert r["uses"] and set(r["uses"]) <= set(catalogue.MANDATORY_USES)
        if r["level"] == 1:
            assert r["parent_code"] is None and "." not in r["code"]
        else:
            parent = by_code[r["parent_code"]]
            assert parent["level"] == 1 and r["code"].startswith(parent["code"] + ".")
        if r["level"] == 2 and r["form"] == "periodic":
            assert r["service_life_months"] is None
    # every first-level item has at least one second-level item
    assert {r["parent_code"] for r in ROWS if r["level"] == 2} == {r["code"] for r in ROWS if r["level"] == 1}


def test_unconfirmed_is_the_default_and_only_sourced_rows_are_confirmed():
    confirmed = {r["code"] for r in ROWS if r["confirmed"]}
    # the rows a public notice citing the catalogue states (README, evidence R1)
    assert confirmed == {"4", "4.1", "5", "5.1"}
    for code in confirmed:
        assert "安吉县" in next(r for r in ROWS if r["code"] == code)["source"]
    assert not any(r["period_confirmed"] for r in ROWS)
    water = next(r for r in ROWS if r["code"] == "4.1")
    gas = next(r for r in ROWS if r["code"] == "5.1")
    assert water["form"] == gas["form"] == "initial_life"
    assert "DN15～DN50" in water["scope_note"] and "G1.6～G16" in gas["scope_note"]
    thermometer = next(r for r in ROWS if r["code"] == "15.1")
    assert thermometer["form"] == "initial_scrap"


def test_the_database_holds_the_shipped_rows_and_a_second_load_changes_nothing(db):
    assert db.scalar(select(func.count()).select_from(CatalogueItem)) == len(ROWS)
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    assert catalogue.load_into(db) == {"added": 0, "updated": 0, "linked": 0}
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_a_changed_shipped_row_is_restored_with_an_audit_entry(db):
    item = db.scalar(select(CatalogueItem).where(CatalogueItem.code == "1.1"))
    item.name_zh = "被改动的名称"
    db.flush()
    assert catalogue.load_into(db)["updated"] == 1
    assert item.name_zh == "出租汽车计价器"
    last = db.scalar(select(AuditEntry).where(AuditEntry.entity == "catalogue_item",
                                              AuditEntry.entity_id == str(item.id)).order_by(AuditEntry.id.desc()))
    assert last.action == "update" and last.before == {"name_zh": "被改动的名称"}
    db.rollback()


def test_shipped_types_are_mapped_and_consistent_with_their_items(db):
    mapping = catalogue.shipped_type_map()
    types = {t.code: t for t in db.scalars(select(InstrumentType))}
    links = {link.type_id: link.item_id for link in db.scalars(select(TypeCatalogueLink))}
    items = {i.id: i for i in db.scalars(select(CatalogueItem))}
    for type_code, item_code in mapping.items():
        t = types[type_code]
        item = items[links[t.id]]
        assert item.code == item_code and item.level == 2
        assert t.mandatory is True
        assert t.mandatory_form == ("periodic" if item.form == "periodic" else "initial_only")
    for code in ("LN-TAPE", "LN-CALIPER", "EL-MULTI", "TH-RTD", "CH-PH"):
        assert types[code].id not in links and types[code].mandatory is False
    assert types["FL-WATER"].mandatory_form == "initial_only"
    assert types["WT-MASS"].mandatory is True  # weights: catalogue item 10.1


def test_the_tree_searches_and_counts_instruments_in_scope(db):
    from jiliang.core.security import SYSTEM, Principal

    nodes = catalogue.tree(db, None, "水表")
    assert [n.item.code for n in nodes] == ["4"] and nodes[0].instruments is None
    assert [c.item.code for c in nodes[0].children] == ["4.1"]
    by_type = catalogue.tree(db, None, "电子计价秤")  # a mapped type's name finds its item
    assert [c.item.code for n in by_type for c in n.children] == ["9.1"]
    everything = {n.item.code: n.instruments for n in catalogue.tree(db, SYSTEM)}
    yanta = Principal(user_id=-1, username="t", role="regulator", scope_region="610113", scope_level="county")
    county = {n.item.code: n.instruments for n in catalogue.tree(db, yanta)}
    assert everything["9"] > 0 and all(county[c] <= everything[c] for c in everything)
    assert sum(county.values()) < sum(everything.values())
    assert all(not (n.item.confirmed and n.item.period_confirmed) for n in catalogue.tree(db, None, unconfirmed_only=True))


def test_catalogue_api_is_public_and_counts_only_for_the_signed_in(client, auth):
    r = call(client, auth, "GET", "/api/v1/supervision/catalogue", None)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == len([x for x in ROWS if x["level"] == 1])
    assert "instruments" not in items[0]
    water = next(i for i in items if i["code"] == "4")
    assert water["children"][0]["confirmed"] is True and water["children"][0]["form"] == "initial_life"
    assert any(t["code"] == "FL-WATER" for t in water["children"][0]["types"])
    r = call(client, auth, "GET", "/api/v1/supervision/catalogue?q={q}&unconfirmed=true", "enterprise", q="秤")
    assert r.status_code == 200 and "instruments" in r.json()["items"][0]
    r = call(client, auth, "GET", "/api/v1/supervision/catalogue/{code}", "labmanager", code="4.1")
    assert r.status_code == 200 and r.json()["name_zh"] == "水表"
    assert call(client, auth, "GET", "/api/v1/supervision/catalogue/{code}", None, code="99").status_code == 404
    assert call(client, auth, "GET", "/api/v1/supervision/catalogue/{code}", None, code="x;1").status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_catalogue_export(client, auth, fmt):
    r = call(client, auth, "GET", "/api/v1/supervision/catalogue/export?format={fmt}", None, fmt=fmt)
    assert r.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][0] == "编号" and len(rows) == len(ROWS) + 1
        assert any("未核实" in cell for row in rows[1:] for cell in row)
    else:
        assert r.content[:2] == b"PK"


def test_the_public_page_shows_the_unconfirmed_mark(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)  # its own cookies: the language switch must not leak into other tests
    page = client.get("/public/catalogue")
    assert page.status_code == 200
    assert "实施强制管理的计量器具目录" in page.text and "未核实" in page.text and "以检定证书载明的有效期为准" in page.text
    en = client.get("/public/catalogue?lang=en&q=water")
    assert "unconfirmed" in en.text and 'data-code="4.1"' in en.text and 'data-code="1.1"' not in en.text


def test_the_certificate_wins_over_the_catalogue_defaults():
    from datetime import date

    periodic = CatalogueItem(code="x", level=2, form="periodic", period_months=12)
    life = CatalogueItem(code="y", level=2, form="initial_life", service_life_months=72)
    scrap = CatalogueItem(code="z", level=2, form="initial_scrap")
    verified = date(2024, 2, 29)
    certificate = date(2024, 8, 31)  # a shorter validity stated on the certificate
    assert catalogue.effective_due(certificate, verified, periodic) == certificate
    assert catalogue.effective_due(certificate, verified, life) == certificate
    assert catalogue.effective_due(None, verified, periodic) == date(2025, 2, 28)
    assert catalogue.effective_due(None, verified, life) == date(2030, 2, 28)
    assert catalogue.effective_due(None, verified, scrap) is None
    assert catalogue.effective_due(None, None, periodic) is None
