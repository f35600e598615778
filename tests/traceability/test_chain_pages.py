"""Chain pages by role: the graph (server-drawn SVG with gap nodes in red) and table of a
certificate's and a record's chain, the record page's chain panel, the registration forms of a
lab manager, the nightly reports, and the public part on /verify."""

from __future__ import annotations

import re
from datetime import timedelta

import chainfix
import pytest

PW = "jiliang-demo"


def _login(app, user):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    if user is None:
        return c
    page = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": user, "password": PW, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    return c


@pytest.fixture(scope="module")
def browser_of(app):
    clients = {}

    def get(user):
        if user not in clients:
            clients[user] = _login(app, user)
        return clients[user]

    return get


@pytest.fixture(scope="module")
def broken(platform):
    from jiliang.core.db import session_scope

    with session_scope() as s:
        c = chainfix.chain(s, 3, expired_level=2)
        return {"record": c["records"][0].id, "instrument": c["records"][0].instrument_id,
                "device2": c["devices"][1].id, "link2": c["links"][1].id, "lab": c["lab"]}


def test_record_chain_graph_and_table(browser_of, broken):
    page = browser_of("labmanager").get(f"/trace/records/{broken['record']}")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="chain-svg"' in html and 'data-traceable="false"' in html
    gap_node = re.search(rf'<g class="node device gap"[^>]*data-id="device:{broken["device2"]}"', html)
    assert gap_node, "the device whose link expired is drawn as a gap"
    assert 'data-code="link_expired"' in html and f"/trace-links/{broken['link2']}" in html
    assert 'data-testid="chain-table"' in html and "terminal" in html
    en = browser_of("labmanager").get(f"/trace/records/{broken['record']}", headers={"accept-language": "en"})
    assert en.status_code == 200


@pytest.mark.parametrize(("user", "status"), [("enterprise", 200), ("yanta", 200), ("labmanager_b", 404),
                                               ("enterprise_b", 404)])
def test_record_chain_page_scope(browser_of, broken, user, status):
    assert browser_of(user).get(f"/trace/records/{broken['record']}").status_code == status


def test_instrument_chain_redirects_to_its_latest_record(browser_of, broken):
    r = browser_of("metrologist").get(f"/trace/instruments/{broken['instrument']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/trace/records/{broken['record']}"
    assert browser_of("labmanager_b").get(f"/trace/instruments/{broken['instrument']}").status_code == 404
    assert browser_of(None).get(f"/trace/records/{broken['record']}", follow_redirects=False).status_code == 303


def test_home_reports_and_forms(browser_of, broken, db):
    from jiliang.traceability.chain import nightly

    nightly(db, [broken["lab"]])
    db.commit()
    lm = browser_of("labmanager")
    home = lm.get("/trace")
    assert home.status_code == 200 and 'data-testid="new-external"' in home.text
    assert lm.get("/trace?n=ABC", follow_redirects=False).headers["location"] == "/trace/certificates/ABC"
    reports = lm.get("/trace/reports")
    assert reports.status_code == 200
    rid = re.search(r'href="/trace/reports/(\d+)"', reports.text).group(1)
    detail = lm.get(f"/trace/reports/{rid}")
    assert detail.status_code == 200 and f"/trace/records/{broken['record']}" in detail.text
    assert browser_of("labmanager_b").get(f"/trace/reports/{rid}").status_code == 404
    form = lm.get("/trace/external-certificates/new")
    assert form.status_code == 200 and 'name="kcdb_reference"' in form.text
    assert browser_of("metrologist").get("/trace/external-certificates/new").status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    data = {"csrf": csrf, "holder_org_id": str(broken["lab"]), "issuer_name": "PTB", "issuer_kind": "foreign_nmi",
            "issuer_country": "de", "number": "PTB-1", "issued_on": "2026-01-05", "valid_until": "2027-01-04",
            "kcdb_reference": "", "terminal_kind": "si_realisation", "terminal_reference": "", "status": "active"}
    bad = lm.post("/trace/external-certificates/new", data=data)
    assert bad.status_code == 422 and 'data-error-for="kcdb_reference"' in bad.text
    assert 'value="PTB-1"' in bad.text  # what was typed is kept
    ok = lm.post("/trace/external-certificates/new", follow_redirects=False,
                 data={**data, "kcdb_reference": "EURAMET-M-DE-00001", "terminal_reference": "Kibble balance"})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/external-certificates/")
    shown = lm.get(ok.headers["location"])
    assert shown.status_code == 200 and "EURAMET-M-DE-00001" in shown.text
    link_form = lm.get(f"/trace/links/new?subject_kind=device&subject_id={broken['device2']}")
    assert link_form.status_code == 200 and f'value="{broken["device2"]}"' in link_form.text


def test_record_page_shows_the_chain_panel(browser_of, broken):
    page = browser_of("labmanager").get(f"/calibration/{broken['record']}")
    assert page.status_code == 200
    assert 'data-testid="chain-panel"' in page.text and 'data-code="link_expired"' in page.text
    assert f'href="/trace/records/{broken["record"]}"' in page.text


def test_certificate_pages_and_public_verify(client, auth, browser_of, platform):
    import calfix
    import certfix

    from jiliang.core.db import session_scope

    setup = calfix.lab_setup()
    rec = certfix.approved_record(client, auth, setup)
    number = certfix.issue(client, auth, rec["id"]).json()["number"]
    with session_scope() as s:
        ext = chainfix.nim(s, setup["lab"], chainfix.TODAY - timedelta(days=40), chainfix.TODAY + timedelta(days=300))
        chainfix.link(s, "device", setup["device"], external_id=ext.id, on=ext.issued_on, until=ext.valid_until)
    cert_page = browser_of("approver").get(f"/certificates/{number}")
    assert f'href="/trace/certificates/{number}"' in cert_page.text
    chain = browser_of("enterprise").get(f"/trace/certificates/{number}")
    assert chain.status_code == 200 and 'data-traceable="true"' in chain.text
    assert browser_of("enterprise_b").get(f"/trace/certificates/{number}").status_code == 404
    public = _login_free(browser_of).get(f"/verify?n={number}", headers={"accept-language": "en"})
    assert public.status_code == 200
    part = public.text[public.text.index('data-testid="verify-chain"'):]
    assert 'data-traceable="true"' in part[:200]
    assert "中国计量科学研究院" in part and "国家千克基准" in part
    assert rec["number"] not in part and setup["device"] and "链测" not in part


def _login_free(browser_of):
    return browser_of(None)
