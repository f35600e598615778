"""Pages of calibration work by role and scope, in Chinese and English; forms need the CSRF
token; the control chart and the interval plot are server-drawn SVG."""

from __future__ import annotations

import re

import calfix
import pytest

from rolecheck import call

PW = "jiliang-demo"
SEES_LAB = ("admin", "province", "yanta", "labmanager", "metrologist", "reviewer", "approver")


def _login(app, user):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    if user is None:
        return c
    page = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/login", data={"username": user, "password": PW, "csrf": csrf}, follow_redirects=False
    )
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
def approved(client, auth, setup):
    scale = calfix.new_scale()
    rid = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records",
        "metrologist",
        json=calfix.record_body(scale["id"], setup),
    ).json()["id"]
    calfix.approve_via_api(client, auth, rid)
    draft = call(
        client,
        auth,
        "POST",
        "/api/v1/calibration/records",
        "metrologist",
        json=calfix.record_body(calfix.new_scale()["id"], setup),
    ).json()["id"]
    return {"id": rid, "scale": scale, "draft": draft}


@pytest.mark.parametrize(
    "user",
    [
        "admin",
        "province",
        "yanta",
        "baoji",
        "labmanager",
        "metrologist",
        "reviewer",
        "approver",
        "enterprise",
        "enterprise_b",
        "labmanager_b",
        None,
    ],
)
def test_pages_by_role(browser_of, approved, user):
    c = browser_of(user)
    rid, sid = approved["id"], approved["scale"]["id"]
    pages = [
        f"/calibration/{rid}",
        "/calibration",
        "/calibration/queue/review",
        f"/calibration/instruments/{sid}",
        "/calibration/intervals",
        f"/calibration/intervals/{approved['scale']['type_id']}",
    ]
    for path in pages:
        r = c.get(path, follow_redirects=False)
        if user is None:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
            continue
        if path == f"/calibration/{rid}":
            assert r.status_code == (200 if user in SEES_LAB or user == "enterprise" else 404), path
        elif path.startswith("/calibration/instruments/"):
            assert r.status_code == (200 if user in SEES_LAB or user == "enterprise" else 404), path
        else:
            assert r.status_code == 200, (path, r.text[:300])
    if user is None:
        return
    listing = c.get("/calibration").text
    number = re.search(r"JL\d{4}-\d{4}-\d{5}", c.get(f"/calibration/{rid}").text or "")
    if user in SEES_LAB or user == "enterprise":
        assert number and number.group(0) in listing
    # the draft is invisible to the owner until approved
    r = c.get(f"/calibration/{approved['draft']}", follow_redirects=False)
    assert r.status_code == (200 if user in SEES_LAB else 404)
    # the form is for the lab's writers only
    r = c.get(f"/calibration/new?instrument_id={sid}", follow_redirects=False)
    assert r.status_code == (
        200 if user in ("admin", "labmanager", "metrologist", "labmanager_b") else 403
    )


def test_detail_chart_and_languages(browser_of, approved):
    c = browser_of("metrologist")
    zh = c.get(f"/calibration/{approved['id']}").text
    assert "签名" in zh and "sign_approved" in zh and "简单接受" in zh
    en = c.get(f"/calibration/{approved['id']}?lang=en").text
    assert "Signatures" in en and "Simple acceptance" in en or "simple acceptance" in en
    c.get("/calibration?lang=zh")
    hist = c.get(f"/calibration/instruments/{approved['scale']['id']}").text
    assert hist.count('data-testid="control-chart"') == 3 and "<svg" in hist and "MPE" in hist
    js = c.get("/calibration/assets/record-form.js")
    assert (
        js.status_code == 200
        and "/api/v1/calibration/compute" in js.text
        and "http" not in js.text.replace("HTTP ", "")
    )
    form = c.get(f"/calibration/new?instrument_id={approved['scale']['id']}").text
    assert 'id="record-form"' in form and "JJG 539-2016" in form
    assert '<script src="/calibration/assets/record-form.js"' in form


def test_page_forms_need_csrf_and_return_needs_reason(browser_of, approved):
    c = browser_of("metrologist")
    rid = approved["draft"]
    r = c.post(f"/calibration/{rid}/sign/performed", data={"password": PW}, follow_redirects=False)
    assert r.status_code == 403
    page = c.get(f"/calibration/{rid}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post(f"/calibration/{rid}/sign/performed", data={"password": "nope", "csrf": csrf})
    assert r.status_code == 403 and "密码不正确" in r.text
    r = c.post(
        f"/calibration/{rid}/sign/performed",
        data={"password": PW, "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    rv = browser_of("reviewer")
    csrf = re.search(r'name="csrf" value="([^"]+)"', rv.get(f"/calibration/{rid}").text).group(1)
    r = rv.post(f"/calibration/{rid}/return", data={"reason": " ", "csrf": csrf})
    assert r.status_code == 422
    r = rv.post(
        f"/calibration/{rid}/return",
        data={"reason": "请补充环境条件", "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_interval_pages_propose_and_decide(browser_of, approved):
    tid = approved["scale"]["type_id"]
    c = browser_of("metrologist")
    page = c.get(f"/calibration/intervals/{tid}?method=s2&target=0.95")
    assert page.status_code == 200 and "RP-1 S2" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/calibration").text).group(1)
    r = c.post(
        f"/calibration/intervals/{tid}/propose",
        data={"method": "a3", "target": "0.9", "csrf": csrf},
    )
    assert r.status_code in (200, 409)  # a WT-NAWI history may be too short to recommend


def test_control_chart_draws_mean_control_limits_and_mpe():
    from jiliang.calibration.views import control_chart_svg, reliability_svg

    pts = [
        {
            "date": "2024-01-10",
            "error": 0.002,
            "record": "A",
            "mpe_lower": -0.005,
            "mpe_upper": 0.005,
        },
        {
            "date": "2025-01-08",
            "error": 0.004,
            "record": "B",
            "mpe_lower": -0.005,
            "mpe_upper": 0.005,
        },
        {
            "date": "2026-01-12",
            "error": 0.006,
            "record": "C",
            "mpe_lower": -0.005,
            "mpe_upper": 0.005,
            "verdict": "fail",
        },
    ]
    svg = control_chart_svg(pts, "10 kg <x>", "kg", "en")
    assert svg.startswith("<svg") and "&lt;x&gt;" in svg  # titles are escaped
    assert "mean 0.004" in svg and "UCL" in svg and "LCL" in svg and "MPE 0.005" in svg
    assert svg.count("<circle") == 3 and 'fill="#b2452f"' in svg  # the failed result is red
    one = control_chart_svg(pts[:1], "1 kg", "kg", "zh")
    assert "UCL" not in one and "均值" in one
    plot = {
        "observed": [{"interval_days": 365, "reliability": 0.92}],
        "target": 0.9,
        "curve": [
            {"interval_days": 0, "reliability": 1},
            {"interval_days": 600, "reliability": 0.8},
        ],
        "recommended_interval_days": 420,
    }
    assert "target 0.9" in reliability_svg(plot, "en")
    assert reliability_svg({"kind": "staircase", "series": []}, "en") is None
