"""Net-content inspections in the service: scope, kernel verdicts, named errors, audit, drafts."""

from __future__ import annotations

import pytest
from netcontent_lots import lot_body, lot_values
from sqlalchemy import select

from jiliang.core import audit
from jiliang.core.errors import Forbidden, NotFound, ValidationFailed
from jiliang.netcontent import service


def test_regulator_records_a_passing_lot_with_every_figure(db, who, nc_places):
    yanta = who("yanta")
    obj = service.create_inspection(
        db, yanta, lot_body(nc_places["ent"].org_id, campaign="春季专项")
    )
    assert obj.verdict == "pass" and obj.status == "final"
    assert obj.sample_size == 50 and obj.result["tolerable_deficiency"] == 15.0
    assert obj.result["t1_errors"] == 0 and obj.result["t2_errors"] == 0
    assert obj.result["mean_limit"] < obj.result["mean"]
    assert obj.region_code == nc_places["ent"].county == "610113"
    assert obj.city_code == "610100"
    assert obj.producer_name and obj.inspector_name
    assert obj.inspecting_org_id is not None  # the Yanta bureau
    assert obj.document["net"] == lot_values() and obj.document["producer"] == obj.producer_name
    entries = audit.entries_for(db, service.INSPECTIONS.entity, obj.id)
    assert [e.action for e in entries] == ["create"] and entries[0].actor_name == "yanta"
    db.rollback()


def test_a_package_beyond_2t_fails_the_lot_with_its_reason(db, who, nc_places):
    obj = service.create_inspection(
        db, who("xian"), lot_body(nc_places["ent"].org_id, net=lot_values(t2=1))
    )
    assert obj.verdict == "fail"
    assert obj.result["t2_errors"] == 1
    assert [r["code"] for r in obj.result["reasons"]] == ["t2_exceeded"]
    db.rollback()


def test_pasted_spreadsheet_column_is_parsed(db, who, nc_places):
    text = "\r\n".join(f"{v}" for v in lot_values()) + "\n"
    body = lot_body(nc_places["ent"].org_id, net=None)
    body.pop("net")
    obj = service.create_inspection(
        db, who("yanta"), {**body, "measurements": text, "nominal": "500"}
    )
    assert obj.document["net"] == lot_values()
    db.rollback()


@pytest.mark.parametrize("user", ["beilin", "baoji"])
def test_regulator_cannot_inspect_outside_the_region(db, who, nc_places, user):
    with pytest.raises(Forbidden):
        service.create_inspection(db, who(user), lot_body(nc_places["ent"].org_id))


@pytest.mark.parametrize("user", ["enterprise", "labmanager", "metrologist"])
def test_only_regulators_inspect(db, who, nc_places, user):
    with pytest.raises(Forbidden):
        service.create_inspection(db, who(user), lot_body(nc_places["ent"].org_id))


@pytest.mark.parametrize(
    "change,field,code",
    [
        ({"net": [-500.0] + lot_values()[1:]}, "measurements", "negative_value"),
        ({"unit": "mL"}, "unit", None),
        ({"net": lot_values(n=10)}, "measurements", "too_few_measurements"),
        ({"rules": "JJF9999"}, "rules", None),
        ({"net": None, "measurements": "500.1\n5OO.2\n"}, "measurements", "wrong_type"),
        ({"net": None}, "measurements", None),
        ({"product_name": ""}, "product_name", None),
        ({"unit": "furlong"}, "unit", None),
        ({"lot_size": 0}, "lot_size", None),
        ({"category": "weapons"}, "category", None),
        ({"nominal": "abc"}, "nominal", None),
        ({"status": "approved"}, "status", None),
    ],
)
def test_invalid_input_gives_a_named_error(db, who, nc_places, change, field, code):
    body = {
        k: v for k, v in {**lot_body(nc_places["ent"].org_id), **change}.items() if v is not None
    }
    with pytest.raises(ValidationFailed) as err:
        service.create_inspection(db, who("yanta"), body)
    assert field in err.value.errors, err.value.errors
    zh, en = err.value.errors[field]
    assert zh and en
    if code:
        assert isinstance(err.value, service.InvalidLot) and err.value.lot_code == code


def test_unit_of_another_quantity_is_the_kernels_unit_mismatch(db, who, nc_places):
    with pytest.raises(service.InvalidLot) as err:
        service.create_inspection(db, who("yanta"), lot_body(nc_places["ent"].org_id, unit="mL"))
    assert err.value.lot_code == "unit_mismatch"
    assert err.value.to_dict("en")["fields"]["unit"]


def test_a_producer_must_be_an_enterprise(db, who, nc_places):
    with pytest.raises(ValidationFailed) as err:
        service.create_inspection(db, who("admin"), lot_body(nc_places["regulator_org"]))
    assert "producer_org_id" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        service.create_inspection(db, who("admin"), lot_body(2_000_000_000))
    assert "producer_org_id" in err.value.errors


def test_draft_life_cycle_is_audited_and_hidden_from_the_producer(db, who, nc_places):
    yanta, ent = who("yanta"), who("enterprise")
    obj = service.create_inspection(db, yanta, lot_body(nc_places["ent"].org_id, status="draft"))
    assert obj.status == "draft"
    with pytest.raises(NotFound):
        service.get_inspection(db, ent, obj.id)
    # a changed draft is evaluated again
    obj = service.update_inspection(db, yanta, obj.id, {"net": lot_values(t2=1), "brand": None})
    assert obj.verdict == "fail" and obj.brand is None and obj.status == "draft"
    obj = service.update_inspection(
        db, yanta, obj.id, {"measurements": "\n".join(map(str, lot_values()))}
    )
    assert obj.verdict == "pass"
    with pytest.raises(ValidationFailed):
        service.update_inspection(db, yanta, obj.id, {"product_name": ""})
    service.finalize_inspection(db, yanta, obj.id)
    assert service.get_inspection(db, ent, obj.id).status == "final"
    with pytest.raises(service.NotADraft):
        service.update_inspection(db, yanta, obj.id, {"brand": "x"})
    with pytest.raises(service.NotADraft):
        service.finalize_inspection(db, yanta, obj.id)
    with pytest.raises(Forbidden):  # the producer reads, never writes
        service.void_inspection(db, ent, obj.id, "no")
    with pytest.raises(ValidationFailed):
        service.void_inspection(db, yanta, obj.id, "  ")
    service.void_inspection(db, yanta, obj.id, "wrong product")
    assert obj.status == "void"
    with pytest.raises(NotFound):
        service.get_inspection(db, ent, obj.id)
    actions = [e.action for e in audit.entries_for(db, service.INSPECTIONS.entity, obj.id)]
    assert actions == ["void", "finalize", "update", "update", "create"]
    assert audit.entries_for(db, service.INSPECTIONS.entity, obj.id)[0].reason == "wrong product"
    db.rollback()


def test_lists_are_scoped(db, who, nc_places):
    from jiliang.netcontent.models import NetContentInspection

    admin = who("admin")
    a = service.create_inspection(
        db, admin, lot_body(nc_places["ent"].org_id, product_name="SCOPE-A")
    )
    b = service.create_inspection(
        db, admin, lot_body(nc_places["ent_b"].org_id, product_name="SCOPE-B")
    )
    db.flush()

    def names(user):
        page = service.list_inspections(db, who(user), q="SCOPE-", per_page=200)
        return {i.product_name for i in page.items}

    assert names("admin") == {"SCOPE-A", "SCOPE-B"}
    assert names("yanta") == {"SCOPE-A"}
    assert names("enterprise") == {"SCOPE-A"}
    assert "SCOPE-A" not in names("enterprise_b") and "SCOPE-B" in names("enterprise_b")
    assert names("beilin") == ({"SCOPE-B"} if nc_places["ent_b"].county == "610103" else set())
    assert names("labmanager") == set()
    # filters and search
    page = service.list_inspections(db, admin, q=a.producer_uscc, filters={"city_code": "610100"})
    assert a.id in {i.id for i in page.items}
    with pytest.raises(ValidationFailed):
        service.list_inspections(db, admin, filters={"from": "2026-13-01"})
    with pytest.raises(ValidationFailed):
        service.list_inspections(db, admin, filters={"verdict": "maybe"})
    assert db.scalar(select(NetContentInspection.id).where(NetContentInspection.id == b.id))
    db.rollback()


def test_producer_search_is_scoped(db, who, nc_places):
    from jiliang.orgs.models import Organisation

    ent = db.get(Organisation, nc_places["ent"].org_id)
    found = service.producers(db, who("yanta"), ent.uscc)
    assert [o.id for o in found] == [ent.id]
    assert service.producers(db, who("beilin"), ent.uscc) == []
    assert all(o.region_code == "610113" for o in service.producers(db, who("yanta"), None, 100))
    with pytest.raises(Forbidden):
        service.producers(db, who("enterprise"), None)
