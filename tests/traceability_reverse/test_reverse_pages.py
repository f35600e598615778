"""The pages (signed in with a bearer token): lists, the case page with its map, the item page
with its audit trail, the exports, and who is refused."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from jiliang.core.security import SYSTEM
from jiliang.traceability import reverse as svc


@pytest.fixture(scope="module")
def case_id(platform, chain):
    from jiliang.core.db import session_scope

    with session_scope() as s:
        spec = svc.parse_spec(s, {"standard_code": chain["code_a"], "since": chain["since"], "until": chain["until"],
                                  "error_found": 0.2, "error_unit": "kg", "description": "页面测试"}, for_case=True)
        return svc.open_case(s, SYSTEM, spec).id


def test_case_list_and_new_form(client, auth, case_id, chain):
    r = client.get("/trace/reverse", headers=auth("labmanager"))
    assert r.status_code == 200 and "溯源追溯" in r.text and 'data-testid="mark-oot"' in r.text
    client.cookies.delete("lang")  # the shared client may carry another test's language choice
    r = client.get("/trace/reverse?status=open&q=RT-", headers={**auth("enterprise"), "accept-language": "en"})
    assert r.status_code == 200 and "Reverse traceability" in r.text and 'data-testid="mark-oot"' not in r.text
    assert client.get("/trace/reverse/new", headers=auth("labmanager")).status_code == 200
    assert client.get("/trace/reverse/new", headers=auth("enterprise")).status_code == 403
    assert client.get("/trace/reverse/new", headers=auth("yanta")).status_code == 403
    r = client.get("/trace/reverse", follow_redirects=False)
    assert r.status_code in (302, 303, 401)


def test_case_page_map_filters_and_item(client, auth, db, case_id, chain):
    r = client.get(f"/trace/reverse/{case_id}", headers=auth("labmanager"))
    assert r.status_code == 200
    assert 'data-testid="map"' in r.text and "<svg" in r.text and "0 / 5" in r.text
    for key in ("S", "S2", "D1", "R", "V"):
        assert chain["records"][key] in r.text
    only_two = client.get(f"/trace/reverse/{case_id}?depth=2", headers=auth("labmanager")).text
    assert chain["records"]["S"] in only_two and chain["records"]["D1"] not in only_two
    own = client.get(f"/trace/reverse/{case_id}", headers=auth("enterprise")).text
    assert chain["records"]["S"] in own and chain["records"]["S2"] not in own
    assert "<form method=\"post\"" not in own.split('data-testid="items"')[1]  # an owner does not decide
    from sqlalchemy import select

    from jiliang.traceability.reverse_models import ReverseItem

    item = db.scalar(select(ReverseItem).where(ReverseItem.case_id == case_id,
                                               ReverseItem.record_number == chain["records"]["S"]))
    svc.set_disposition(db, SYSTEM, case_id, item.id, "reverify", "送检复核")
    db.commit()
    page = client.get(f"/trace/reverse/{case_id}/items/{item.id}", headers=auth("labmanager"))
    assert page.status_code == 200 and 'data-testid="audit"' in page.text and "送检复核" in page.text
    assert 'data-action="disposition"' in page.text
    assert client.get(f"/trace/reverse/{case_id}/items/{item.id}", headers=auth("enterprise_b")).status_code == 404


def test_exports(client, auth, case_id, chain):
    r = client.get(f"/trace/reverse/{case_id}/export.csv", headers=auth("labmanager"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("记录编号,证书编号") and len(text.strip().splitlines()) == 6
    client.cookies.delete("lang")
    r = client.get(f"/trace/reverse/{case_id}/export.xlsx?depth=2", headers={**auth("labmanager"), "accept-language": "en"})
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Record" and {row[0] for row in rows[1:]} == {chain["records"]["S"], chain["records"]["S2"]}
    r = client.get(f"/trace/reverse/{case_id}/export.csv", headers=auth("enterprise_b"))
    assert {line.split(",")[0] for line in r.content.decode("utf-8-sig").splitlines()[1:]} == {
        chain["records"]["D1"], chain["records"]["S2"]}
    assert client.get(f"/trace/reverse/{case_id}/export.pdf", headers=auth("labmanager")).status_code == 422
