"""Role and scope of every calibration endpoint (oracle written from the issue's rules).

Lab roles see and work on their organisation's records; the enterprise owning the instrument
sees approved records read-only; regulators see records of labs in their region read-only;
admin sees all. Reads outside the scope answer 404, writes by readers 403, anonymous 401.
"""

from __future__ import annotations

import calfix
import pytest

from rolecheck import call

PW = "jiliang-demo"
LAB = ("labmanager", "metrologist", "reviewer", "approver")
# the provincial lab is in 610113 (Yanta, Xi'an): province, xian, yanta cover it
SEES_LAB = ("admin", "province", "xian", "yanta") + LAB
USERS = [
    "admin",
    "province",
    "xian",
    "yanta",
    "beilin",
    "baoji",
    "labmanager",
    "metrologist",
    "reviewer",
    "approver",
    "enterprise",
    "enterprise_b",
    "labmanager_b",
    None,
]


@pytest.fixture(scope="module")
def records(client, auth, setup):
    """One draft and one approved record of the provincial lab, on a demo enterprise's scale."""
    scale = calfix.new_scale()
    draft = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records",
        "metrologist",
        json=calfix.record_body(scale["id"], setup),
    ).json()
    scale2 = calfix.new_scale()
    done = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records",
        "metrologist",
        json=calfix.record_body(scale2["id"], setup),
    ).json()
    for action, user in (
        ("submit", "metrologist"),
        ("review", "reviewer"),
        ("approve", "approver"),
    ):
        r = call(
            client,
            auth,
            "POST",
            "/api/v1/calibration/records/{id}/" + action,
            user,
            json={"password": PW},
            id=done["id"],
        )
        assert r.status_code == 200, r.text
    return {
        "draft": draft["id"],
        "approved": done["id"],
        "scale": scale["id"],
        "scale2": scale2["id"],
    }


def reads(user, state):
    if user is None:
        return 401
    if user in SEES_LAB:
        return 200
    if user == "enterprise" and state == "approved":
        return 200
    return 404


@pytest.mark.parametrize("user", USERS)
def test_record_reads(client, auth, records, user):
    for state in ("draft", "approved"):
        rid = records[state]
        for tpl in (
            "/api/v1/calibration/records/{id}",
            "/api/v1/calibration/records/{id}/audit",
            "/api/v1/calibration/records/{id}/notice",
        ):
            r = call(client, auth, "GET", tpl, user, id=rid)
            assert r.status_code == reads(user, state), (tpl, state, r.text)
    r = call(client, auth, "GET", "/api/v1/calibration/records?per_page=200", user)
    if user is None:
        assert r.status_code == 401
        return
    assert r.status_code == 200
    ids = {i["id"] for i in r.json()["items"]}
    for state in ("draft", "approved"):
        if reads(user, state) == 200 and r.json()["total"] <= 200:
            assert records[state] in ids
        if reads(user, state) != 200:
            assert records[state] not in ids


def writes(user, allowed=("labmanager", "metrologist")):
    """Status of a write to a draft: 401 anonymous, 404 out of scope, 403 reader."""
    if user is None:
        return 401
    if user in allowed or user == "admin":
        return 200
    return 403 if user in SEES_LAB else 404


@pytest.mark.parametrize("user", USERS)
def test_record_writes(client, auth, records, setup, user):
    rid = records["draft"]
    r = call(
        client,
        auth,
        "PATCH",
        "/api/v1/calibration/records/{id}",
        user,
        json={"location": f"by {user}"},
        id=rid,
    )
    assert r.status_code == writes(user), r.text
    # nobody outside the lab's signing roles can sign or return it
    # (the step's own roles are told the draft is not ready: 409)
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/review",
        user,
        json={"password": PW},
        id=rid,
    )
    ready = 409 if user in ("reviewer", "labmanager") else 403
    assert r.status_code == {401: 401, 404: 404}.get(writes(user), ready)
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/approve",
        user,
        json={"password": PW},
        id=rid,
    )
    ready = 409 if user in ("approver", "labmanager") else 403
    assert r.status_code == {401: 401, 404: 404}.get(writes(user), ready)
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/return",
        user,
        json={"reason": "x"},
        id=rid,
    )
    assert r.status_code == {401: 401, 404: 404}.get(writes(user), 409 if user in SEES_LAB else 404)
    if writes(user) in (401, 404) or user in ("province", "xian", "yanta", "reviewer", "approver"):
        r = call(
            client,
            auth,
            "POST",
            "/api/v1/calibration/records/{id}/submit",
            user,
            json={"password": PW},
            id=rid,
        )
        assert r.status_code == {401: 401, 404: 404}.get(writes(user), 403)
    done = records["approved"]
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records/{id}/correct",
        user,
        json={"reason": "x"},
        id=done,
    )
    if user in ("labmanager", "metrologist", "admin"):
        assert r.status_code in (201, 409)  # one correction at a time
    else:
        assert r.status_code == reads(user, "approved") if reads(user, "approved") != 200 else 403


@pytest.mark.parametrize("user", USERS)
def test_create_by_role(client, auth, setup, user):
    scale = calfix.new_scale()
    body = calfix.record_body(scale["id"], setup)
    if user == "admin":
        body["lab_org_id"] = setup["lab"]
    r = call(client, auth, "POST", "/api/v1/calibration/records", user, json=body)
    expected = {
        None: 401,
        "labmanager": 201,
        "metrologist": 201,
        "admin": 201,
        "labmanager_b": 422,
    }.get(user, 403)  # another lab cannot use this lab's standards
    assert r.status_code == expected, r.text


@pytest.mark.parametrize("user", USERS)
def test_lookups_and_history(client, auth, records, user):
    r = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/compute",
        user,
        json={"points": [{"nominal": 1, "as_found": 1.001, "mpe": 0.005}]},
    )
    assert r.status_code == (401 if user is None else 200)
    r = call(client, auth, "GET", "/api/v1/calibration/instruments?serial=CAL", user)
    lab_side = user in LAB or user in ("labmanager_b", "admin")
    assert r.status_code == (401 if user is None else 200 if lab_side else 403)
    r = call(client, auth, "GET", "/api/v1/calibration/lab-resources", user)
    assert r.status_code == (401 if user is None else 200)
    if user in LAB:
        assert r.json()["standards"]
    r = call(
        client,
        auth,
        "GET",
        "/api/v1/calibration/instruments/{id}/history",
        user,
        id=records["scale2"],
    )
    # visible through a record in scope, or through the instrument register (owner, its region)
    visible = user in SEES_LAB or user == "enterprise"
    assert r.status_code == (401 if user is None else 200 if visible else 404), r.text
