"""Role-and-scope matrix of the net-content API: every endpoint, every role, in and out of scope.

The oracle follows the issue's rules, not the code: regulators inspect and read the producers
in their region and below; the producer reads the final inspections of its own products;
administrators everything; the public only the C-mark register. Reads outside the scope answer
404, writes by someone who may read but not write 403, anonymous calls 401.
"""

from __future__ import annotations

import io

import pytest
from netcontent_lots import lot_body, lot_values

from rolecheck import call

USERS = [
    "admin",
    "province",
    "xian",
    "yanta",
    "beilin",
    "baoji",
    "labmanager",
    "metrologist",
    "enterprise",
    "enterprise_b",
    "labmanager_b",
    None,
]
REGULATORS = {
    "province": "610000",
    "xian": "610100",
    "yanta": "610113",
    "beilin": "610103",
    "baoji": "610300",
}
BASE = "/api/v1/netcontent"


def covers(user: str | None, county: str, city: str | None) -> bool:
    scope = REGULATORS.get(user or "")
    return scope is not None and (scope == "610000" or scope in (county, city))


def may_inspect(user, place) -> bool:
    return user == "admin" or covers(user, place.county, place.city)


def reads_final(user, place, owner: str) -> bool:
    return may_inspect(user, place) or user == owner


def expect(user, allowed: bool, visible: bool, ok: int = 200) -> int:
    if user is None:
        return 401
    if allowed:
        return ok
    return 403 if visible else 404


def _create(client, auth, body) -> dict:
    r = client.post(f"{BASE}/inspections", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize("user", USERS)
def test_inspections_by_role_and_scope(client, auth, nc_places, user):
    place = nc_places["ent"]
    final = _create(client, auth, lot_body(place.org_id, campaign="API-ROLE"))
    draft = _create(client, auth, lot_body(place.org_id, status="draft", campaign="API-ROLE"))
    inspector = may_inspect(user, place)
    visible = reads_final(user, place, "enterprise")

    r = call(
        client,
        auth,
        "POST",
        f"{BASE}/inspections",
        user,
        json=lot_body(place.org_id, campaign="API-ROLE"),
    )
    assert r.status_code == (401 if user is None else 201 if inspector else 403), (user, r.text)
    if r.status_code == 201:
        body = r.json()
        assert (
            body["verdict"] == "pass"
            and body["result"]["sample_size"] == 50
            and body["status"] == "final"
        )

    r = call(client, auth, "GET", f"{BASE}/inspections/{{id}}", user, id=final["id"])
    assert r.status_code == expect(user, visible, visible), (user, r.text)
    if visible:
        assert r.json()["result"]["tolerable_deficiency"] == 15.0
    r = call(client, auth, "GET", f"{BASE}/inspections/{{id}}", user, id=draft["id"])
    assert r.status_code == expect(user, inspector, inspector)
    r = call(client, auth, "GET", f"{BASE}/inspections/{{id}}/audit", user, id=final["id"])
    assert r.status_code == expect(user, visible, visible)
    if visible:
        assert [e["action"] for e in r.json()] == ["create"]
    r = call(client, auth, "GET", f"{BASE}/inspections/{{id}}/report.pdf", user, id=final["id"])
    assert r.status_code == expect(user, visible, visible)
    if visible:
        assert r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
        assert "attachment" in r.headers["content-disposition"]

    r = call(
        client,
        auth,
        "PATCH",
        f"{BASE}/inspections/{{id}}",
        user,
        json={"net": lot_values(t2=1)},
        id=draft["id"],
    )
    assert r.status_code == expect(user, inspector, inspector), (user, r.text)
    if inspector:
        assert r.json()["verdict"] == "fail" and r.json()["status"] == "draft"
    r = call(
        client,
        auth,
        "PATCH",
        f"{BASE}/inspections/{{id}}",
        user,
        json={"brand": "x"},
        id=final["id"],
    )
    assert r.status_code == expect(user, inspector, visible, ok=409), (user, r.text)
    r = call(client, auth, "POST", f"{BASE}/inspections/{{id}}/finalize", user, id=draft["id"])
    assert r.status_code == expect(user, inspector, inspector), (user, r.text)
    r = call(
        client,
        auth,
        "POST",
        f"{BASE}/inspections/{{id}}/void",
        user,
        json={"reason": "test"},
        id=final["id"],
    )
    assert r.status_code == expect(user, inspector, visible), (user, r.text)
    if inspector:
        assert r.json()["status"] == "void"

    r = call(client, auth, "GET", f"{BASE}/inspections?campaign=API-ROLE&per_page=200", user)
    assert r.status_code == (401 if user is None else 200)
    if user is not None:
        ids = {i["id"] for i in r.json()["items"]}
        if user == "enterprise":  # its final inspection, never the draft nobody finalised
            assert final["id"] in ids and draft["id"] not in ids
        if inspector:  # the finalised draft and the voided final stay listed
            assert {final["id"], draft["id"]} <= ids
        if not visible:
            assert final["id"] not in ids and draft["id"] not in ids


@pytest.mark.parametrize("user", USERS)
def test_lists_never_leave_the_scope(client, auth, nc_places, user):
    other = nc_places["ent_b"]
    made = _create(client, auth, lot_body(other.org_id, campaign="API-SCOPE"))
    r = call(client, auth, "GET", f"{BASE}/inspections?campaign=API-SCOPE&per_page=200", user)
    if user is None:
        assert r.status_code == 401
        return
    items = r.json()["items"]
    assert all(
        covers(user, i["region_code"], i["city_code"])
        or user == "admin"
        or (user.startswith("enterprise") and i["status"] == "final")
        for i in items
    )
    assert (made["id"] in {i["id"] for i in items}) == reads_final(user, other, "enterprise_b")


@pytest.mark.parametrize("user", USERS)
def test_producer_search_and_statistics(client, auth, nc_places, user):
    regulator = user == "admin" or user in REGULATORS
    r = call(client, auth, "GET", f"{BASE}/producers?q=", user)
    assert r.status_code == expect(user, regulator, True)
    if regulator:
        assert all(
            covers(user, p["region_code"], p["city_code"]) or user == "admin" for p in r.json()
        )
    r = call(client, auth, "GET", f"{BASE}/statistics", user)
    assert r.status_code == expect(user, regulator, True)
    if regulator:
        assert set(r.json()) == {"overall", "by_category", "by_city", "filters"}
    r = call(client, auth, "GET", f"{BASE}/statistics.xlsx?campaign=none", user)
    assert r.status_code == expect(user, regulator, True)
    if regulator:
        from openpyxl import load_workbook

        assert len(load_workbook(io.BytesIO(r.content)).sheetnames) == 3


@pytest.mark.parametrize("user", USERS)
def test_declarations_by_role_and_scope(client, auth, nc_places, user):
    place = nc_places["ent"]
    made = client.post(
        f"{BASE}/declarations",
        json={"categories": ["food"], "products": f"API {user}"},
        headers=auth("enterprise"),
    )
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    visible = reads_final(user, place, "enterprise")
    writable = user in ("admin", "enterprise")

    r = call(client, auth, "GET", f"{BASE}/declarations/public?q=API", user)
    assert r.status_code == 200
    assert ident in {d["id"] for d in r.json()["items"]}
    assert "org_id" not in r.json()["items"][0] and "public" not in r.json()["items"][0]
    r = call(client, auth, "GET", f"{BASE}/declarations", user)
    assert r.status_code == (401 if user is None else 200)
    r = call(client, auth, "GET", f"{BASE}/declarations/{{id}}", user, id=ident)
    assert r.status_code == expect(user, visible, visible)
    r = call(
        client,
        auth,
        "POST",
        f"{BASE}/declarations/{{id}}/withdraw",
        user,
        json={"reason": "test"},
        id=ident,
    )
    assert r.status_code == expect(user, writable, visible), (user, r.text)
    body = {"categories": ["beverage"]}
    if user == "admin":
        body["org_id"] = nc_places["ent_b"].org_id
    r = call(client, auth, "POST", f"{BASE}/declarations", user, json=body)
    assert r.status_code == (
        401 if user is None else 201 if user in ("admin", "enterprise", "enterprise_b") else 403
    ), (user, r.text)


def test_invalid_input_is_named_in_the_response(client, auth, nc_places):
    org = nc_places["ent"].org_id
    cases = [
        ({"net": [-1.0] + lot_values()[1:]}, "negative_value", "net[0]"),
        ({"unit": "mL"}, "unit_mismatch", None),
        ({"net": lot_values(n=12)}, "too_few_measurements", None),
    ]
    for change, code, field in cases:
        r = client.post(f"{BASE}/inspections", json=lot_body(org, **change), headers=auth("yanta"))
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["error"] == "invalid_lot" and body["code"] == code and body["fields"]
        if field:
            assert body["field"] == field
    r = client.post(
        f"{BASE}/inspections", json=lot_body(org, rules="JJF9999"), headers=auth("yanta")
    )
    assert r.status_code == 422 and "rules" in r.json()["fields"]
    body = lot_body(org)
    body.pop("net")
    r = client.post(  # ?lang=en: the shared client may carry a language cookie from other tests
        f"{BASE}/inspections?lang=en",
        json={**body, "measurements": "1\n2\nabc"},
        headers={**auth("yanta"), "accept-language": "en"},
    )
    assert (
        r.status_code == 422
        and r.json()["code"] == "wrong_type"
        and "not a number" in r.json()["message"]
    )
    r = client.post(f"{BASE}/inspections", json=body, headers=auth("yanta"))
    assert r.status_code == 422 and "measurements" in r.json()["fields"]
    r = client.post(
        f"{BASE}/inspections", json={**lot_body(org), "colour": "red"}, headers=auth("yanta")
    )
    assert r.status_code == 422
    r = client.post(
        f"{BASE}/declarations", json={"categories": ["weapons"]}, headers=auth("enterprise")
    )
    assert r.status_code == 422


def test_nul_characters_are_refused_or_ignored(client, auth, nc_places):
    """PostgreSQL text cannot hold NUL: a named 422 for stored text, nothing for a search."""
    org = nc_places["ent"].org_id
    body = lot_body(org, product_name="米\u0000")
    r = client.post(f"{BASE}/inspections", json=body, headers=auth("yanta"))
    assert r.status_code == 422 and "product_name" in r.json()["fields"]
    body = {"categories": ["food"], "products": "\u0000"}
    r = client.post(f"{BASE}/declarations", json=body, headers=auth("enterprise"))
    assert r.status_code == 422 and "products" in r.json()["fields"]
    for path in (
        "/inspections?q=%00&campaign=%00",
        "/producers?q=%00",
        "/declarations?q=%00",
        "/declarations/public?q=%00",
        "/statistics?campaign=%00",
    ):
        assert client.get(BASE + path, headers=auth("yanta")).status_code == 200, path


def test_every_netcontent_endpoint_was_called_by_a_role_test(app, request):
    """The module's own share of tests/test_zz_coverage.py (runs last in this file)."""
    import re

    from rolecheck import EXERCISED

    if request.config.option.keyword or request.config.option.markexpr:
        pytest.skip("only meaningful when the whole module runs")
    declared = {
        (m.upper(), re.sub(r"\{[^}]+\}", "{}", p))
        for p, ops in app.openapi()["paths"].items()
        for m in ops
        if p.startswith(BASE)
    }
    exercised = {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p in EXERCISED}
    assert len(declared) == 16
    assert not declared - exercised, sorted(declared - exercised)
