"""Every early-warning, trend, coverage and inbox endpoint by role and scope (tests/rolecheck)."""

from __future__ import annotations

import io

import pytest

from rolecheck import call


def test_warning_list_scopes(client, auth):
    r = call(client, auth, "GET", "/api/v1/supervision/warnings?kind=overdue&per_page=200", "yanta")
    assert r.status_code == 200
    assert r.json()["items"] and {i["region_code"] for i in r.json()["items"]} == {"610113"}
    r = call(client, auth, "GET", "/api/v1/supervision/warnings?region=610100", "xian")
    assert r.status_code == 200 and all(i["city_code"] == "610100" for i in r.json()["items"])
    # out of scope: a county regulator asking for the neighbour, a city for the province
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?region=610103", "yanta").status_code == 404
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?region=610000", "xian").status_code == 404
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?region=610300", "baoji").status_code == 200
    # an enterprise sees its own instruments only, and may not ask by region
    own = call(client, auth, "GET", "/api/v1/supervision/warnings?per_page=200", "enterprise").json()
    other = call(client, auth, "GET", "/api/v1/supervision/warnings?per_page=200", "enterprise_b").json()
    assert len({i["owner_org_id"] for i in own["items"]}) <= 1
    assert not {i["instrument_id"] for i in own["items"]} & {i["instrument_id"] for i in other["items"]}
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?region=610113", "enterprise").status_code == 403
    assert call(client, auth, "GET", "/api/v1/supervision/warnings", None).status_code == 401
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?kind=nope", "admin").status_code == 422
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?q=%00", "admin").status_code == 422
    assert call(client, auth, "GET", "/api/v1/supervision/warnings?page=0", "admin").status_code == 422


def test_warning_export_xlsx_and_csv(client, auth):
    from openpyxl import load_workbook

    listed = call(client, auth, "GET", "/api/v1/supervision/warnings?kind=overdue&per_page=1", "yanta").json()
    r = call(client, auth, "GET", "/api/v1/supervision/warnings/export?kind=overdue&format=xlsx", "yanta")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) - 1 == listed["total"] and rows[0][0] == "预警类型"
    r = call(client, auth, "GET", "/api/v1/supervision/warnings/export?format=csv", "enterprise")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/export?region=610103", "yanta").status_code == 404
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/export", None).status_code == 401


def test_warning_summary(client, auth):
    r = call(client, auth, "GET", "/api/v1/supervision/warnings/summary?region=610000", "province")
    assert r.status_code == 200 and set(r.json()["by_region"]) <= {f"61{n:02d}00" for n in range(1, 100)}
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/summary", "yanta").json()["region_code"] == "610113"
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/summary?region=610000", "yanta").status_code == 404
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/summary", "enterprise").status_code == 200
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/summary", None).status_code == 401


def test_warning_owners(client, auth, db):
    from sqlalchemy import func, select

    from jiliang.supervision.warning_models import InstrumentWarning as W

    r = call(client, auth, "GET", "/api/v1/supervision/warnings/owners?limit=5", "yanta")
    assert r.status_code == 200
    top = r.json()
    assert 0 < len(top) <= 5
    for row in top:
        n = db.scalar(select(func.count()).select_from(W).where(W.owner_org_id == row["owner_org_id"],
                                                                W.region_code == "610113"))
        assert row["total"] == n == row["overdue"] + row["due_soon"] + row["past_life"]
    assert [row["total"] for row in top] == sorted((row["total"] for row in top), reverse=True)
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/owners?region=610103", "yanta").status_code == 404
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/owners", "province").status_code == 200
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/owners", "enterprise").status_code == 403
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/owners", None).status_code == 401


@pytest.mark.parametrize("user,status", [("admin", 200), ("province", 200), ("yanta", 200),
                                         ("enterprise", 403), ("labmanager", 403), (None, 401)])
def test_warning_settings_read(client, auth, user, status):
    assert call(client, auth, "GET", "/api/v1/supervision/warnings/settings", user).status_code == status


@pytest.mark.parametrize("user,region,status", [
    ("yanta", "610113", 200), ("yanta", "610103", 403), ("xian", "610113", 200), ("xian", "610000", 403),
    ("province", "610000", 200), ("admin", "610000", 200), ("enterprise", "610113", 403),
    ("labmanager", "610000", 403), (None, "610000", 401), ("admin", "999999", 404),
])
def test_warning_settings_write(client, auth, user, region, status):
    tpl = "/api/v1/supervision/warnings/settings/{region}"
    r = call(client, auth, "PUT", tpl, user, json={"lead_days": 15}, region=region)
    assert r.status_code == status, r.text


def test_warning_settings_write_validates(client, auth):
    tpl = "/api/v1/supervision/warnings/settings/{region}"
    for body in ({"lead_days": 0}, {"lead_days": 366}, {"lead_days": "x"}, {}, {"lead_days": 5, "x": 1}):
        r = call(client, auth, "PUT", tpl, "admin", json=body, region="610000")
        assert r.status_code == 422, body
    assert call(client, auth, "PUT", tpl, "admin", json={"lead_days": 15}, region="61").status_code == 422


@pytest.mark.parametrize("user,status", [("admin", 200), ("province", 403), ("enterprise", 403), (None, 401)])
def test_run_now_is_for_administrators(client, auth, user, status):
    r = call(client, auth, "POST", "/api/v1/supervision/warnings/run", user)
    assert r.status_code == status
    if status == 200:
        assert r.json()["queued"] == 0  # the demo run already queued today's notices


@pytest.mark.parametrize("user,region,status", [
    ("province", "610000", 200), ("xian", "610100", 200), ("xian", "610113", 200), ("yanta", "610113", 200),
    ("yanta", "610103", 404), ("baoji", "610100", 404), ("admin", "610000", 200),
    ("enterprise", "610113", 403), ("metrologist", "", 403), (None, "", 401),
])
def test_trends_and_coverage_by_role(client, auth, user, region, status):
    for path in ("/api/v1/supervision/trends", "/api/v1/supervision/coverage"):
        tpl = path + ("?region={region}" if region else "")
        r = call(client, auth, "GET", tpl, user, region=region)
        assert r.status_code == status, (path, r.text)
    assert call(client, auth, "GET", "/api/v1/supervision/trends?months=0", "admin").status_code == 422


def test_inbox_endpoints(client, auth):
    r = call(client, auth, "GET", "/api/v1/inbox?unread=true", "enterprise")
    assert r.status_code == 200
    items = r.json()["items"]
    assert any(i["topic"] == "warning" for i in items)
    unread = call(client, auth, "GET", "/api/v1/inbox/unread-count", "enterprise").json()["unread"]
    first = items[0]["id"]
    # somebody else's item is not found, whoever asks
    for user in ("enterprise_b", "yanta", "labmanager"):
        assert call(client, auth, "POST", "/api/v1/inbox/{item}/read", user, item=first).status_code == 404
    assert call(client, auth, "POST", "/api/v1/inbox/{item}/read", None, item=first).status_code == 401
    r = call(client, auth, "POST", "/api/v1/inbox/{item}/read", "enterprise", item=first)
    assert r.status_code == 200 and r.json()["unread"] == unread - 1
    assert call(client, auth, "POST", "/api/v1/inbox/{item}/read", "enterprise", item=0).status_code == 422
    assert call(client, auth, "GET", "/api/v1/inbox/unread-count", None).status_code == 401
    topics = {i["topic"] for i in call(client, auth, "GET", "/api/v1/inbox?per_page=200", "yanta").json()["items"]}
    assert "region_summary" in topics
    assert call(client, auth, "GET", "/api/v1/inbox", "admin").json()["total"] == 0
    assert call(client, auth, "GET", "/api/v1/inbox", None).status_code == 401
    r = call(client, auth, "POST", "/api/v1/inbox/read-all", "enterprise_b")
    assert r.status_code == 200
    assert call(client, auth, "GET", "/api/v1/inbox/unread-count", "enterprise_b").json()["unread"] == 0
    assert call(client, auth, "GET", "/api/v1/inbox/unread-count", "enterprise").json()["unread"] == unread - 1
    assert call(client, auth, "POST", "/api/v1/inbox/read-all", None).status_code == 401


def test_pages(client, auth):
    assert client.get("/warnings?kind=overdue", headers=auth("yanta")).status_code == 200
    assert client.get("/warnings?region=610103", headers=auth("yanta")).status_code == 404
    assert client.get("/warnings", headers=auth("enterprise")).status_code == 200
    assert client.get("/warnings?kind=bad", headers=auth("enterprise")).status_code == 422
    r = client.get("/warnings/export?kind=overdue&region=610113&format=csv", headers=auth("yanta"))
    assert r.status_code == 200 and "text/csv" in r.headers["content-type"]
    assert client.get("/warnings/settings", headers=auth("xian")).status_code == 200
    assert client.get("/warnings/settings", headers=auth("enterprise")).status_code == 403
    assert client.get("/inbox", headers=auth("enterprise")).status_code == 200
    assert client.get("/inbox?unread=1", headers=auth("yanta")).status_code == 200
