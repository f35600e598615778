"""Role-and-scope matrix: every API endpoint and page, every role, in and out of scope.

The expected outcome comes from an oracle written here from the issue's rules, not from the
code under test: admin sees everything; a regulator sees what lies in their region and below;
lab and enterprise users see their own organisation; the public sees public pages only.
Reads outside the scope answer 404 (existence is not disclosed); writes by someone who may read
but not write answer 403; anonymous API calls answer 401 and pages redirect to sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from rolecheck import call, exercised  # tests/ is on sys.path through its conftest

USERS = ["admin", "province", "xian", "yanta", "beilin", "baoji", "labmanager", "metrologist",
         "enterprise", "enterprise_b", "labmanager_b", None]



@dataclass(frozen=True)
class Who:
    name: str | None
    role: str | None
    org_id: int | None
    scope: str | None
    scope_level: str | None


@pytest.fixture(scope="module")
def people(platform):
    from jiliang.core.db import session_scope
    from jiliang.people.models import User
    from jiliang.regions.models import Region

    out = {None: Who(None, None, None, None, None)}
    with session_scope() as s:
        for u in s.scalars(select(User)):
            level = s.get(Region, u.scope_region).level if u.scope_region else None
            out[u.username] = Who(u.username, u.role, u.org_id, u.scope_region, level)
    return out


@pytest.fixture(scope="module")
def places(platform):
    """Region (county, city) of every organisation, for the oracle."""
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation

    with session_scope() as s:
        return {o.id: (o.region_code, o.city_code) for o in s.scalars(select(Organisation))}


def covers(who: Who, county: str | None, city: str | None) -> bool:
    if who.scope_level == "province":
        return True
    if who.scope_level == "city":
        return city == who.scope
    if who.scope_level == "county":
        return county == who.scope
    return False


def owned_visible(who: Who, org_id: int, place: tuple[str, str | None]) -> bool:
    if who.role == "admin":
        return True
    if who.role == "regulator":
        return covers(who, *place)
    return who.role is not None and who.org_id == org_id


def expect_read(visible: bool, user: str | None) -> int:
    if user is None:
        return 401
    return 200 if visible else 404


def expect_write(visible: bool, writable: bool, user: str | None) -> int:
    if user is None:
        return 401
    if writable:
        return 200
    return 403 if visible else 404


def _pick(db_session, model, **where):
    stmt = select(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db_session.scalars(stmt.order_by(model.id)).first()


@pytest.fixture(scope="module")
def targets(platform, people):
    """One row per resource owned by the Yanta enterprise / the provincial lab."""
    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument
    from jiliang.materials.models import CertifiedValue, ReferenceMaterial
    from jiliang.people.models import Metrologist
    from jiliang.standards.models import MeasurementStandard, StandardDevice

    ent = people["enterprise"].org_id
    ent_b = people["enterprise_b"].org_id
    lab = people["labmanager"].org_id
    with session_scope() as s:
        std = _pick(s, MeasurementStandard, lab_org_id=lab)
        rm = _pick(s, ReferenceMaterial, holder_org_id=lab)
        return {
            "instrument": _pick(s, Instrument, owner_org_id=ent, status="in_service").id,
            "instrument_b": _pick(s, Instrument, owner_org_id=ent_b, status="in_service").id,
            "standard": std.id,
            "device": _pick(s, StandardDevice, standard_id=std.id).id,
            "material": rm.id,
            "value": _pick(s, CertifiedValue, material_id=rm.id).id,
            "metrologist": _pick(s, Metrologist, org_id=lab).id,
            "ent_org": ent,
            "ent_b_org": ent_b,
            "lab": lab,
        }


@pytest.mark.parametrize("user", USERS)
def test_instruments_by_role_and_scope(client, auth, people, places, targets, user):
    who = people[user]
    for key, org in (("instrument", targets["ent_org"]), ("instrument_b", targets["ent_b_org"])):
        ident = targets[key]
        visible = owned_visible(who, org, places[org])
        writable = who.role == "admin" or (who.role in ("enterprise", "lab_manager") and who.org_id == org)
        r = call(client, auth, "GET", "/api/v1/instruments/{id}", user, id=ident)
        assert r.status_code == expect_read(visible, user), (user, key, r.text)
        r = call(client, auth, "GET", "/api/v1/instruments/{id}/audit", user, id=ident)
        assert r.status_code == expect_read(visible, user)
        r = call(client, auth, "PATCH", "/api/v1/instruments/{id}", user, json={"location": f"by {user}"}, id=ident)
        assert r.status_code == expect_write(visible, writable, user), (user, key, r.text)
        # a transition the life cycle allows from any active status
        r = call(client, auth, "POST", "/api/v1/instruments/{id}/status", user,
                 json={"status": "under_repair", "reason": "test"}, id=ident)
        if r.status_code == 422:  # already under repair / scrapped: allowed but not applicable
            assert writable
        else:
            assert r.status_code == expect_write(visible, writable, user), (user, key, r.text)
        if writable and r.status_code == 200:
            r = call(client, auth, "POST", "/api/v1/instruments/{id}/status", user,
                     json={"status": "in_service"}, id=ident)
            assert r.status_code == 200


@pytest.mark.parametrize("user", USERS)
def test_instrument_lists_stay_in_scope(client, auth, people, places, user):
    from jiliang.core.db import session_scope
    from jiliang.instruments.models import Instrument

    who = people[user]
    r = call(client, auth, "GET", "/api/v1/instruments?per_page=200", user)
    if user is None:
        assert r.status_code == 401
        return
    assert r.status_code == 200
    body = r.json()
    with session_scope() as s:
        owners = {i.id: i.owner_org_id for i in s.scalars(select(Instrument))}
        expected = sum(1 for o in owners.values() if owned_visible(who, o, places[o]))
    assert body["total"] == expected
    for item in body["items"]:
        assert owned_visible(who, item["owner_org_id"], places[item["owner_org_id"]])
    # the export is scoped the same way
    r = call(client, auth, "GET", "/api/v1/instruments/export?format=csv", user)
    assert r.status_code == 200
    assert len(r.content.decode("utf-8-sig").strip().splitlines()) == expected + 1


def test_enterprise_never_sees_another_enterprise(client, auth, targets):
    r = client.get("/api/v1/instruments?per_page=200", headers=auth("enterprise"))
    owners = {i["owner_org_id"] for i in r.json()["items"]}
    assert owners == {targets["ent_org"]}
    r = client.get(f"/api/v1/instruments/{targets['instrument_b']}", headers=auth("enterprise"))
    assert r.status_code == 404


def test_county_regulator_never_sees_neighbouring_county(client, auth):
    for user, county in (("yanta", "610113"), ("beilin", "610103")):
        r = client.get("/api/v1/instruments?per_page=200", headers=auth(user))
        assert {i["region_code"] for i in r.json()["items"]} <= {county}
        r = client.get("/api/v1/instruments?per_page=1&region_code=610113" if user == "beilin"
                       else "/api/v1/instruments?per_page=1&region_code=610103", headers=auth(user))
        assert r.json()["total"] == 0
    r = client.get("/api/v1/dashboard?region=610103", headers=auth("yanta"))
    assert r.status_code == 404


def _lab_visible(who: Who, lab: int, places) -> bool:
    return owned_visible(who, lab, places[lab])


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(
    "resource,key,field,value",
    [
        ("standards", "standard", "measuring_range", "(0~1) kg"),
        ("standard-devices", "device", "model", "STD-X"),
        ("materials", "material", "lot", "L-01"),
        ("certified-values", "value", "unit", "mg/L"),
        ("metrologists", "metrologist", "items", ["数字指示秤"]),
    ],
)
def test_lab_owned_resources(client, auth, people, places, targets, user, resource, key, field, value):
    who = people[user]
    lab = targets["lab"]
    visible = _lab_visible(who, lab, places)
    writable = who.role == "admin" or (who.role == "lab_manager" and who.org_id == lab)
    ident = targets[key]
    r = call(client, auth, "GET", f"/api/v1/{resource}/{{id}}", user, id=ident)
    assert r.status_code == expect_read(visible, user), (user, resource, r.text)
    r = call(client, auth, "GET", f"/api/v1/{resource}/{{id}}/audit", user, id=ident)
    assert r.status_code == expect_read(visible, user)
    r = call(client, auth, "PATCH", f"/api/v1/{resource}/{{id}}", user, json={field: value}, id=ident)
    assert r.status_code == expect_write(visible, writable, user), (user, resource, r.text)
    r = call(client, auth, "GET", f"/api/v1/{resource}", user)
    assert r.status_code == (401 if user is None else 200)


@pytest.mark.parametrize("user", USERS)
def test_organisations(client, auth, people, places, targets, user):
    who = people[user]
    org = targets["ent_org"]
    visible = who.role == "admin" or (who.role == "regulator" and covers(who, *places[org])) or who.org_id == org
    writable = who.role == "admin" or (who.role == "regulator" and covers(who, *places[org])) or (
        who.role == "enterprise" and who.org_id == org)
    r = call(client, auth, "GET", "/api/v1/organisations/{id}", user, id=org)
    assert r.status_code == expect_read(visible, user)
    r = call(client, auth, "GET", "/api/v1/organisations/{id}/audit", user, id=org)
    assert r.status_code == expect_read(visible, user)
    r = call(client, auth, "PATCH", "/api/v1/organisations/{id}", user, json={"contact_name": "张三"}, id=org)
    assert r.status_code == expect_write(visible, writable, user), (user, r.text)
    r = call(client, auth, "GET", "/api/v1/organisations", user)
    assert r.status_code == (401 if user is None else 200)
    if user is not None and who.role not in ("admin", "regulator"):
        assert [o["id"] for o in r.json()["items"]] == [who.org_id]


@pytest.mark.parametrize("user", USERS)
def test_catalogue_and_users(client, auth, people, user):
    who = people[user]
    r = call(client, auth, "GET", "/api/v1/instrument-types", user)
    assert r.status_code == (401 if user is None else 200)
    first = r.json()["items"][0]["id"] if user else 1
    r = call(client, auth, "GET", "/api/v1/instrument-types/{id}", user, id=first)
    assert r.status_code == (401 if user is None else 200)
    r = call(client, auth, "GET", "/api/v1/instrument-types/{id}/audit", user, id=first)
    assert r.status_code == (401 if user is None else 200)
    r = call(client, auth, "PATCH", "/api/v1/instrument-types/{id}", user, json={"category": "质量"}, id=first)
    assert r.status_code == expect_write(True, who.role == "admin", user)
    r = call(client, auth, "GET", "/api/v1/users", user)
    assert r.status_code == (401 if user is None else 200)
    if user is not None and who.role != "admin":
        assert [u["username"] for u in r.json()["items"]] == [user]
    r = call(client, auth, "GET", "/api/v1/users/{id}", user, id=1)
    own = user == "admin"
    assert r.status_code == expect_read(own or who.role == "admin", user)
    r = call(client, auth, "GET", "/api/v1/users/{id}/audit", user, id=1)
    assert r.status_code == expect_read(who.role == "admin", user)
    r = call(client, auth, "PATCH", "/api/v1/users/{id}", user, json={"lang": "en"}, id=1)
    assert r.status_code == expect_write(who.role == "admin", who.role == "admin", user)
    r = call(client, auth, "GET", "/api/v1/me", user)
    assert r.status_code == (401 if user is None else 200)
    r = call(client, auth, "GET", "/api/v1/regions", user)
    assert r.status_code == (401 if user is None else 200)
    r = call(client, auth, "GET", "/api/v1/dashboard", user)
    assert r.status_code == (401 if user is None else 200)


CREATE_CASES = {
    "instruments": ({"type_id": 1, "serial_no": "NEW-1", "use": "other"}, ("enterprise", "labmanager", "admin")),
    "organisations": ({"name": "测试商店", "kind": "enterprise", "region_code": "610113"}, ("admin", "province", "xian", "yanta")),
    "standards": ({"name": "测试标准", "code": "T-{user}", "lab_org_id": "{lab}", "quantity": "质量", "level": "social_public"}, ("admin", "labmanager")),
    "standard-devices": ({"standard_id": "{standard}", "name": "测试标准器"}, ("admin", "labmanager")),
    "materials": ({"gbw_no": "GBW(E)081234", "name": "测试", "producer": "NIM", "holder_org_id": "{lab}", "lot": "1"}, ("admin", "labmanager")),
    "certified-values": ({"material_id": "{material}", "analyte": "Pb", "value": 1.0, "expanded_uncertainty": 0.1, "coverage_factor": 2, "unit": "mg/L"}, ("admin", "labmanager")),
    "metrologists": ({"name": "测试", "org_id": "{lab}", "certificate_no": "C-{user}", "level": "first"}, ("admin", "labmanager")),
    "instrument-types": ({"code": "T-{user}", "category": "质量", "name_zh": "测试", "name_en": "Test"}, ("admin",)),
    "users": ({"username": "new_{user}", "display_name": "新用户", "role": "admin", "password": "long-enough-1"}, ("admin",)),
}


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("resource", list(CREATE_CASES))
def test_create_by_role(client, auth, targets, user, resource):
    body, allowed = CREATE_CASES[resource]
    fill = {"user": user or "anon", "lab": targets["lab"], "standard": targets["standard"], "material": targets["material"]}
    data = {}
    for k, v in body.items():
        if isinstance(v, str) and "{" in v:
            v = v.format(**fill)
            v = int(v) if v.isdigit() else v
        data[k] = v
    if resource == "instruments" and user == "admin":
        data["owner_org_id"] = targets["ent_org"]
    if resource == "instruments" and user not in ("enterprise", "labmanager", "admin"):
        data["owner_org_id"] = targets["ent_org"]
    r = call(client, auth, "POST", f"/api/v1/{resource}", user, json=data)
    if user is None:
        assert r.status_code == 401
    elif user in allowed:
        assert r.status_code == 201, (user, resource, r.text)
        created = r.json()
        r = call(client, auth, "POST", f"/api/v1/{resource}/{{id}}/retire", user, json={"reason": "test"}, id=created["id"])
        assert r.status_code == 200
        assert r.json()["status"] in ("retired", "scrapped")
    else:
        assert r.status_code in (403, 422), (user, resource, r.text)
        if r.status_code == 422:  # refused for the value it names, never silently accepted
            assert r.json()["fields"]


@pytest.mark.parametrize("user", ["enterprise", "yanta", "labmanager_b"])
def test_retire_needs_permission(client, auth, targets, user):
    r = call(client, auth, "POST", "/api/v1/standards/{id}/retire", user, json={"reason": "x"}, id=targets["standard"])
    assert r.status_code in (403, 404)


def test_public_endpoint_and_tokens(client, auth, db):
    from jiliang.instruments.models import Instrument

    token = db.scalars(select(Instrument.qr_token).order_by(Instrument.id)).first()
    r = call(client, auth, "GET", "/api/v1/public/instruments/{token}", None, token=token)
    assert r.status_code == 200
    assert set(r.json()) == {"type_name", "owner_name", "serial_no", "status", "verification", "due_date", "region_name"}
    r = call(client, auth, "GET", "/api/v1/public/instruments/{token}", None, token="nope")
    assert r.status_code == 404
    r = call(client, auth, "POST", "/api/v1/auth/token", None, json={"username": "admin", "password": "wrong"})
    assert r.status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer jl_forged"})
    assert r.status_code == 401


EXPORTABLE = ["instruments", "organisations", "standards", "standard-devices", "materials",
              "certified-values", "metrologists", "instrument-types", "users"]


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("resource", EXPORTABLE)
def test_exports_show_exactly_the_scoped_list(client, auth, user, resource):
    r = call(client, auth, "GET", f"/api/v1/{resource}/export?format=csv", user)
    if user is None:
        assert r.status_code == 401
        return
    assert r.status_code == 200
    listed = client.get(f"/api/v1/{resource}?per_page=1", headers=auth(user)).json()["total"]
    lines = r.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == listed
    r = call(client, auth, "GET", f"/api/v1/{resource}/export?format=xlsx", user)
    assert r.status_code == 200 and r.content[:2] == b"PK"


@pytest.mark.parametrize("user", USERS)
def test_catalogue_and_organisation_imports(client, auth, people, user):
    types_csv = "类型代码,类别,名称（中文）,名称（英文）,检定规程,检定周期（月）\nT-IMP-1,质量,测试秤,Test scale,JJG 539-2016,12\n"
    exercised("POST", "/api/v1/instrument-types/import")
    r = client.post("/api/v1/instrument-types/import", headers=auth(user),
                    files={"file": ("t.csv", types_csv.encode(), "text/csv")}, data={"dry_run": "true"})
    who = people[user]
    if user is None:
        assert r.status_code == 401
    else:
        assert r.status_code == 200
        assert (r.json()["valid"] == 1) == (who.role == "admin"), r.json()
    orgs_csv = "单位名称,单位类型,统一社会信用代码,所在地区\n测试商行,enterprise,91350100M000100Y43,610113\n"
    exercised("POST", "/api/v1/organisations/import")
    r = client.post("/api/v1/organisations/import", headers=auth(user),
                    files={"file": ("o.csv", orgs_csv.encode(), "text/csv")}, data={"dry_run": "true"})
    if user is None:
        assert r.status_code == 401
    else:
        allowed = who.role == "admin" or (who.role == "regulator" and who.scope in ("610000", "610100", "610113"))
        assert (r.json()["valid"] == 1) == allowed, (user, r.json())
        assert r.json()["imported"] == 0


def test_import_endpoint_roles(client, auth):
    csv_body = "器具类型代码,出厂编号,用途\nWT-PRICE,IMP-ROLE-1,贸易结算\n".encode()
    for user, expected in (("enterprise", 200), ("yanta", 200), (None, 401)):
        exercised("POST", "/api/v1/instruments/import")
        r = client.post("/api/v1/instruments/import", headers=auth(user),
                        files={"file": ("a.csv", csv_body, "text/csv")}, data={"dry_run": "true"})
        assert r.status_code == expected, r.text
        if user == "yanta":  # a regulator may check a file but every row is refused
            assert r.json()["errors"] and r.json()["imported"] == 0


KERNEL_CASES = [
    ("/api/v1/uncertainty/evaluate",
     {"equations": ["y = a + b"], "inputs": {"a": {"dist": "normal", "mean": 1, "std": 0.1},
                                              "b": {"dist": "normal", "mean": 2, "std": 0.2}}, "methods": ["gum"]},
     {"equations": ["y = a +* b"], "inputs": {"a": {"dist": "normal", "mean": 1, "std": 0.1}}}),
    ("/api/v1/risk/evaluate", {"itp": 0.95, "tur": 4, "bias": 0, "guardband": {"method": "none"}},
     {"itp": 1.5, "tur": 4}),
    ("/api/v1/prepackaged/evaluate",
     {"rules": "JJF1070-2005", "quantity": "mass", "nominal": 500, "unit": "g", "lot_size": 10, "net": [500.0] * 10},
     {"rules": "nope", "quantity": "mass", "nominal": 500, "unit": "g", "lot_size": 10, "net": [500.0] * 10}),
    ("/api/v1/intervals/recommend",
     {"method": "a3", "target": 0.9, "rows": [
         {"instrument": "A", "calibration_date": f"2020-0{m}-01", "interval_days": 365, "in_tolerance": True}
         for m in range(1, 10)]},
     {"method": "a3", "rows": "not a list"}),
]


@pytest.mark.parametrize("user", ["enterprise", None])
@pytest.mark.parametrize("path,good,bad", KERNEL_CASES)
def test_computation_endpoints_need_no_sign_in(client, auth, user, path, good, bad):
    """Pure computations read and write no stored data: open to everyone, errors name the field."""
    r = call(client, auth, "POST", path, user, json=good)
    assert r.status_code == 200, r.text
    r = call(client, auth, "POST", path, user, json=bad)
    assert r.status_code == 422, r.text
    assert r.json()["field"] and r.json()["message"]


# ------------------------------------------------------------------ pages


def _login(client_factory, user):
    c = client_factory()
    if user is None:
        return c
    page = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": user, "password": "jiliang-demo", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    return c


@pytest.fixture(scope="module")
def page_client(app):
    from fastapi.testclient import TestClient

    clients = {}

    def get(user):
        if user not in clients:
            clients[user] = _login(lambda: TestClient(app), user)
        return clients[user]

    return get


@pytest.mark.parametrize("user", USERS)
def test_pages_by_role_and_scope(page_client, people, places, targets, user):
    c = page_client(user)
    who = people[user]
    if user is None:
        for path in ("/", "/instruments", f"/instruments/{targets['instrument']}", "/standards/new"):
            r = c.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login")
        return
    assert c.get("/").status_code == 200
    for res in ("instruments", "organisations", "standards", "materials", "metrologists", "instrument-types", "users",
                "standard-devices", "certified-values"):
        assert c.get(f"/{res}").status_code == 200, res
    for key, org in (("instrument", targets["ent_org"]), ("instrument_b", targets["ent_b_org"])):
        visible = owned_visible(who, org, places[org])
        writable = who.role == "admin" or (who.role in ("enterprise", "lab_manager") and who.org_id == org)
        assert c.get(f"/instruments/{targets[key]}").status_code == (200 if visible else 404)
        assert c.get(f"/instruments/{targets[key]}/label").status_code == (200 if visible else 404)
        assert c.get(f"/instruments/{targets[key]}/edit").status_code == (200 if visible else 404)
        page = c.get("/instruments/new")
        assert page.status_code == (200 if who.role in ("admin", "enterprise", "lab_manager") else 403)
        if visible:
            csrf = re.search(r'name="csrf" value="([^"]+)"', c.get(f"/instruments/{targets[key]}").text).group(1)
            r = c.post(f"/instruments/{targets[key]}/edit", data={"csrf": csrf, "location": "page edit", "use": "other",
                                                                  "type_id": "1", "serial_no": "S-PAGE"},
                       follow_redirects=False)
            assert r.status_code == (303 if writable else 403), r.text[:300]
    lab = targets["lab"]
    lab_visible = _lab_visible(who, lab, places)
    assert c.get(f"/standards/{targets['standard']}").status_code == (200 if lab_visible else 404)
    assert c.get(f"/materials/{targets['material']}").status_code == (200 if lab_visible else 404)
    dash = c.get("/?region=610103")
    if who.role in ("admin", "regulator"):
        assert dash.status_code == (200 if who.role == "admin" or who.scope in ("610000", "610100", "610103") else 404)
    else:  # organisation members always get their own organisation's dashboard, never a region's
        assert dash.status_code == 200
        assert 'data-testid="region-table"' not in dash.text


def test_public_qr_page_needs_no_sign_in(page_client, db):
    from jiliang.instruments.models import Instrument

    inst = db.scalars(select(Instrument).order_by(Instrument.id)).first()
    c = page_client(None)
    r = c.get(f"/q/{inst.qr_token}")
    assert r.status_code == 200
    assert inst.serial_no in r.text
    assert "audit" not in r.text.lower()
    assert c.get("/q/not-a-token").status_code == 404


def test_forms_refuse_missing_csrf(page_client, targets):
    c = page_client("enterprise")
    r = c.post(f"/instruments/{targets['instrument']}/edit", data={"location": "x"}, follow_redirects=False)
    assert r.status_code == 403
