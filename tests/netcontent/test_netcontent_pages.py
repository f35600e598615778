"""Pages: who may open what, the inspection form end to end (server side), statistics, C-mark."""

from __future__ import annotations

import re

import pytest
from netcontent_lots import lot_body, lot_values

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
    None,
]
INSPECTORS_OF_YANTA = {"admin", "province", "xian", "yanta"}
REGULATORS = {"admin", "province", "xian", "yanta", "beilin", "baoji"}


@pytest.fixture(scope="module")
def pages(app):
    from fastapi.testclient import TestClient

    clients = {}

    def get(user):
        if user not in clients:
            c = TestClient(app)
            if user is not None:
                csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
                r = c.post(
                    "/login",
                    data={"username": user, "password": "jiliang-demo", "csrf": csrf},
                    follow_redirects=False,
                )
                assert r.status_code == 303
            clients[user] = c
        return clients[user]

    return get


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def final_id(client, auth, nc_places):
    r = client.post(
        "/api/v1/netcontent/inspections",
        headers=auth("admin"),
        json=lot_body(nc_places["ent"].org_id, campaign="PAGES"),
    )
    assert r.status_code == 201
    return r.json()["id"]


@pytest.mark.parametrize("user", USERS)
def test_pages_by_role_and_scope(pages, final_id, user):
    c = pages(user)
    if user is None:
        for path in (
            "/netcontent",
            "/netcontent/new",
            f"/netcontent/{final_id}",
            "/netcontent/statistics",
            "/netcontent/declarations",
        ):
            r = c.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        assert c.get("/public/c-mark").status_code == 200
        return
    assert c.get("/netcontent").status_code == 200
    assert c.get("/netcontent/new").status_code == (200 if user in REGULATORS else 403)
    visible = user in INSPECTORS_OF_YANTA or user == "enterprise"
    assert c.get(f"/netcontent/{final_id}").status_code == (200 if visible else 404)
    assert c.get("/netcontent/statistics").status_code == (200 if user in REGULATORS else 403)
    assert c.get("/netcontent/declarations").status_code == 200
    assert c.get("/public/c-mark").status_code == 200
    home = c.get("/").text
    assert ('href="/netcontent"' in home) == (user in REGULATORS or user.startswith("enterprise"))


def test_inspector_saves_a_pasted_lot_and_sees_every_figure(pages, nc_places):
    c = pages("yanta")
    form = c.get("/netcontent/new")
    assert 'id="measurements"' in form.text and "/api/v1/prepackaged/evaluate" in form.text
    assert f'value="{nc_places["ent"].org_id}"' in form.text  # a producer of Yanta is offered
    pasted = "\t\n".join(str(v) for v in lot_values()) + "\n"
    data = {
        **{k: str(v) for k, v in lot_body(nc_places["ent"].org_id).items() if k != "net"},
        "measurements": pasted,
        "status": "final",
        "csrf": _csrf(form.text),
        "campaign": "PAGES",
    }
    r = c.post("/netcontent/new", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    detail = c.get(r.headers["location"])
    assert detail.status_code == 200
    assert 'data-testid="verdict">合格' in detail.text
    assert "report.pdf" in detail.text and "全部判定条件均满足" in detail.text
    assert detail.text.count('<span class="">') == 50  # every value shown, none flagged
    pdf = c.get(
        re.search(
            r'href="(/api/v1/netcontent/inspections/\d+/report\.pdf[^"]*)"', detail.text
        ).group(1)
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_form_errors_are_shown_next_to_the_field(pages, nc_places):
    c = pages("yanta")
    form = c.get("/netcontent/new")
    data = {
        **{k: str(v) for k, v in lot_body(nc_places["ent"].org_id).items() if k != "net"},
        "measurements": "500.1\n-3\n" * 25,
        "csrf": _csrf(form.text),
    }
    r = c.post("/netcontent/new", data=data)
    assert r.status_code == 422
    assert 'data-testid="measurements-error"' in r.text
    assert "500.1" in r.text  # what was typed is kept
    r = c.post("/netcontent/new", data={**data, "measurements": "", "product_name": ""})
    assert r.status_code == 422 and r.text.count('class="error"') >= 2
    r = c.post("/netcontent/new", data={**data, "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    r = pages("enterprise").post("/netcontent/new", data=data, follow_redirects=False)
    assert r.status_code == 403


def test_draft_edit_finalize_and_void_through_pages(pages, client, auth, nc_places):
    r = client.post(
        "/api/v1/netcontent/inspections",
        headers=auth("yanta"),
        json=lot_body(nc_places["ent"].org_id, status="draft", campaign="PAGES"),
    )
    ident = r.json()["id"]
    c = pages("yanta")
    edit = c.get(f"/netcontent/{ident}/edit")
    assert edit.status_code == 200 and "东北大米" in edit.text
    data = {
        **{k: str(v) for k, v in lot_body(nc_places["ent"].org_id).items() if k != "net"},
        "measurements": "\n".join(str(v) for v in lot_values(t2=1)),
        "status": "draft",
        "csrf": _csrf(edit.text),
    }
    r = c.post(f"/netcontent/{ident}/edit", data=data, follow_redirects=False)
    assert r.status_code == 303
    detail = c.get(f"/netcontent/{ident}").text
    assert 'data-testid="verdict">不合格' in detail and 'class="t2"' in detail
    assert pages("enterprise").get(f"/netcontent/{ident}").status_code == 404
    r = c.post(
        f"/netcontent/{ident}/finalize", data={"csrf": _csrf(detail)}, follow_redirects=False
    )
    assert r.status_code == 303
    assert c.get(f"/netcontent/{ident}/edit").status_code == 409
    assert pages("enterprise").get(f"/netcontent/{ident}").status_code == 200
    r = pages("beilin").post(
        f"/netcontent/{ident}/void",
        data={"csrf": _csrf(pages("beilin").get("/netcontent").text), "reason": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 404
    r = c.post(
        f"/netcontent/{ident}/void",
        data={"csrf": _csrf(detail), "reason": "sampled twice"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = c.get(f"/netcontent/{ident}").text
    assert "已作废" in detail and "sampled twice" in detail


def test_list_filters_and_english(pages, final_id):
    c = pages("yanta")
    r = c.get("/netcontent?verdict=pass&category=food&city_code=610100&q=东北")
    assert r.status_code == 200 and f'href="/netcontent/{final_id}"' in r.text
    r = c.get("/netcontent?verdict=fail&q=PAGES-NOTHING")
    assert 'href="/netcontent/' not in r.text.split('data-testid="inspections"')[1]
    r = c.get("/netcontent?verdict=nonsense")
    assert r.status_code == 422
    r = c.get("/netcontent?lang=en")
    assert "Net-content inspections" in r.text and "Pass" in r.text


def test_statistics_page_draws_the_chart(pages):
    c = pages("xian")
    r = c.get("/netcontent/statistics?campaign=PAGES")
    assert r.status_code == 200
    assert r.text.count("<svg") >= 2 and 'data-testid="table-category"' in r.text
    assert "/api/v1/netcontent/statistics.xlsx?campaign=PAGES" in r.text
    r = c.get("/netcontent/statistics?from=2026-99-01")
    assert r.status_code == 422


def test_declaring_and_the_public_register(pages, nc_places):
    c = pages("enterprise")
    page = c.get("/netcontent/declarations")
    assert 'name="categories"' in page.text
    r = c.post(
        "/netcontent/declarations",
        data={
            "csrf": _csrf(page.text),
            "categories": ["food", "beverage"],
            "products": "PUBLIC-PAGE 大米",
            "public": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = c.post("/netcontent/declarations", data={"csrf": _csrf(page.text), "products": "none"})
    assert r.status_code == 422
    anon = pages(None)
    public = anon.get("/public/c-mark?q=PUBLIC-PAGE")
    listed = "PUBLIC-PAGE 大米"  # the products line, shown only in the table
    assert public.status_code == 200 and listed in public.text and "食品、饮料" in public.text
    assert listed in anon.get("/public/c-mark?q=PUBLIC-PAGE&category=beverage").text
    assert listed not in anon.get("/public/c-mark?q=PUBLIC-PAGE&category=alcohol").text
    ident = re.search(
        r"/netcontent/declarations/(\d+)/withdraw",
        c.get("/netcontent/declarations?q=PUBLIC-PAGE").text,
    )
    r = c.post(
        f"/netcontent/declarations/{ident.group(1)}/withdraw",
        data={"csrf": _csrf(page.text), "reason": "closed"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert listed not in anon.get("/public/c-mark?q=PUBLIC-PAGE").text
    assert (
        pages("yanta")
        .post(
            "/netcontent/declarations",
            data={"csrf": _csrf(pages("yanta").get("/netcontent").text), "categories": "food"},
        )
        .status_code
        == 403
    )
