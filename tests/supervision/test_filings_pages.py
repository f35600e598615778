"""Pages of the filings: lists, the form keeps what was typed, review actions, CSRF, languages."""

from __future__ import annotations

import pytest

from supervision import filingfix as fx


@pytest.fixture(scope="module")
def browser_of(app):
    clients = {}

    def get(user):
        if user not in clients:
            clients[user] = fx.login(app, user)
        return clients[user]

    return get


def test_owner_pages_and_the_form_keeps_typed_values(browser_of):
    c = browser_of("enterprise")
    inst = fx.new_instrument()
    assert "我的强检备案" in c.get("/filings").text
    page = c.get("/filings/unfiled?q=" + inst["serial_no"])
    assert page.status_code == 200 and inst["serial_no"] in page.text and "应备未备" in page.text
    form = c.get(f"/filings/new?instrument_id={inst['id']}")
    assert form.status_code == 200 and f'value="{inst["id"]}" selected' in form.text
    r = c.post("/filings/new", data={"csrf": fx.csrf_of(form.text), "instrument_id": str(inst["id"]),
                                      "use": "trade_settlement", "location": "收银台 3 号",
                                      "institution_org_id": str(fx.institution_id()), "contact_name": "",
                                      "contact_phone": "13911112222"})
    assert r.status_code == 422
    assert 'data-error-for="contact_name"' in r.text and "收银台 3 号" in r.text and "13911112222" in r.text
    r = c.post("/filings/new", data={"csrf": fx.csrf_of(form.text), "instrument_id": str(inst["id"]),
                                      "use": "trade_settlement", "location": "收银台 3 号",
                                      "institution_org_id": str(fx.institution_id()), "contact_name": "李娜",
                                      "contact_phone": "13911112222"}, follow_redirects=False)
    assert r.status_code == 303
    detail = c.get(r.headers["location"])
    assert "待审核" in detail.text and 'data-testid="withdraw"' in detail.text and 'data-testid="approve"' not in detail.text
    # without the CSRF token nothing happens
    assert c.post(r.headers["location"].split("?")[0] + "/withdraw", data={}).status_code == 403


def test_regulator_reviews_on_the_page(browser_of, client, auth):
    inst = fx.new_instrument()
    f = client.post("/api/v1/supervision/filings", json=fx.body(inst["id"]), headers=auth("enterprise")).json()
    c = browser_of("yanta")
    assert "备案审核" in c.get("/filings?status=submitted").text
    page = c.get(f"/filings/{f['id']}")
    assert 'data-testid="approve"' in page.text
    r = c.post(f"/filings/{f['id']}/reject", data={"csrf": fx.csrf_of(page.text), "reason": ""})
    assert r.status_code == 422 and "退回须填写原因" in r.text
    r = c.post(f"/filings/{f['id']}/approve", data={"csrf": fx.csrf_of(page.text)}, follow_redirects=True)
    assert r.status_code == 200 and "已备案" in r.text
    en = fx.login(c.app, "yanta").get(f"/filings/{f['id']}?lang=en")
    assert "Approved" in en.text and "Audit trail" in en.text
    # the neighbouring county does not see it; a lab has no filing pages
    assert browser_of("beilin").get(f"/filings/{f['id']}").status_code == 404
    assert browser_of("labmanager").get("/filings").status_code == 403


def test_bulk_filing_page(browser_of):
    c = browser_of("enterprise")
    inst = fx.new_instrument()
    page = c.get("/filings/import")
    assert page.status_code == 200 and "批量备案" in page.text
    assert c.get("/filings/import/template.csv").content.decode("utf-8-sig").startswith("出厂编号")
    sheet = ("出厂编号,用途,安装使用地点,检定机构（ID）,联系人,联系电话\n"
             f"{inst['serial_no']},贸易结算,收银台,{fx.institution_id()},王经理,13800000000\n").encode()
    r = c.post("/filings/import", data={"csrf": fx.csrf_of(page.text), "mode": "all"},
               files={"file": ("f.csv", sheet, "text/csv")})
    assert r.status_code == 200 and "已导入 1 条" in r.text
    assert browser_of("labmanager").get("/filings/import").status_code == 403


def test_regulators_above_a_county_filter_by_county(browser_of):
    inst = fx.new_instrument(type_code="OP-REFR", use="medical_health")
    xian = browser_of("xian").get(f"/filings/unfiled?region_code=610113&q={inst['serial_no']}")
    assert 'data-testid="county"' in xian.text and '<option value="610113" selected' in xian.text
    link = f'href="/instruments/{inst["id"]}"'
    assert link in xian.text
    assert link not in browser_of("xian").get(f"/filings/unfiled?region_code=610103&q={inst['serial_no']}").text
    assert 'data-testid="county"' not in browser_of("yanta").get("/filings/unfiled").text
    assert 'data-testid="county"' in browser_of("province").get("/filings").text
