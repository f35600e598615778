"""Complaints (投诉举报): routing to the county regulator, working-day deadlines, the rate limit
(held in the database), forms that keep every value, the ticket page without private data, the
regulator's workflow with its audit trail, and every API endpoint by role and scope."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

import rolecheck

USERS = ["admin", "province", "xian", "yanta", "beilin", "baoji", "labmanager", "enterprise", "enterprise_b", None]
SEE_YANTA = {"admin", "province", "xian", "yanta"}


def _body(**kw):
    body = {"category": "short_weight", "county": "610113", "business_name": "雁塔测试果蔬店",
            "description": "称了两斤苹果，回家复称只有一斤八两。", "anonymous": False,
            "contact_name": "张三", "contact_phone": "13900001111", "contact_email": "zhang@example.cn",
            "consent": True}
    body.update(kw)
    return body


@pytest.fixture()
def no_limit(monkeypatch):
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_IP", "100000")
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_CONTACT", "100000")


@pytest.fixture()
def filed(client, auth, no_limit):
    """A fresh complaint in 雁塔区 (610113), filed anonymously through the public API."""
    r = rolecheck.call(client, auth, "POST", "/api/v1/complaints", None, json=_body())
    assert r.status_code == 201, r.text
    from jiliang.complaints.models import Complaint
    from jiliang.core.db import session_scope

    with session_scope() as s:
        return s.scalar(select(Complaint).where(Complaint.ticket == r.json()["ticket"]))


# ------------------------------------------------------------------ routing and scope


def test_routed_to_the_county_and_seen_by_its_regulators_only(client, auth, filed):
    assert filed.region_code == "610113" and filed.city_code == "610100"
    assert re.fullmatch(r"TS-\d{4}-[0-9A-HJKMNP-TV-Z]{8}", filed.ticket)
    for user in USERS:
        r = rolecheck.call(client, auth, "GET", "/api/v1/complaints?q={t}", user, t=filed.ticket)
        if user in SEE_YANTA:
            assert r.status_code == 200 and [i["ticket"] for i in r.json()["items"]] == [filed.ticket], user
        elif user in ("beilin", "baoji"):
            assert r.status_code == 200 and r.json()["items"] == [], user
        elif user is None:
            assert r.status_code == 401
        else:
            assert r.status_code == 403, user
        d = rolecheck.call(client, auth, "GET", "/api/v1/complaints/{id}", user, id=filed.id)
        assert d.status_code == (200 if user in SEE_YANTA else 401 if user is None else 404 if user in (
            "beilin", "baoji") else 403), (user, d.text)


def test_the_qr_token_and_a_certificate_decide_the_county(db, client, auth, no_limit):
    from jiliang.certificates.models import Certificate
    from jiliang.instruments.models import Instrument

    inst = db.scalar(select(Instrument).where(Instrument.region_code == "610103").order_by(Instrument.id))
    r = client.post("/api/v1/complaints", json=_body(county=None, qr=inst.qr_token, business_name=""))
    assert r.status_code == 201, r.text
    t = r.json()["ticket"]
    assert [i["ticket"] for i in client.get("/api/v1/complaints?q=" + t, headers=auth("beilin")).json()["items"]] == [t]
    assert client.get("/api/v1/complaints?q=" + t, headers=auth("yanta")).json()["items"] == []
    detail = client.get("/api/v1/complaints?q=" + t, headers=auth("admin")).json()["items"][0]
    assert detail["instrument_id"] == inst.id and detail["subject_org_id"] == inst.owner_org_id
    assert detail["business_name"]  # the owner's name when left empty
    cert = db.scalar(select(Certificate).order_by(Certificate.id))
    if cert is not None:
        owner_county = db.get(Instrument, cert.instrument_id).region_code
        r = client.post("/api/v1/complaints", json=_body(county="610113", certificate=cert.number,
                                                         category="certificate_fraud"))
        assert r.status_code == 201
        row = client.get("/api/v1/complaints?q=" + r.json()["ticket"], headers=auth("admin")).json()["items"][0]
        assert row["region_code"] == owner_county and row["certificate_number"] == cert.number


def test_bad_input_names_the_field(client, no_limit):
    cases = [
        (_body(county="610100"), "county"),  # a city is not a county
        (_body(county="999999"), "county"),
        (_body(county=None), "county"),
        (_body(qr="nope"), "qr"),
        (_body(county=None, certificate="NO-SUCH-CERT"), "certificate"),
        (_body(description="短"), "description"),
        (_body(business_name="a\x00b"), "business_name"),
        (_body(contact_phone="", contact_email=""), "contact_phone"),
        (_body(contact_email="not-an-address"), "contact_email"),
        (_body(contact_email="a\x00b@example.cn"), "contact_email"),
        (_body(contact_phone="1390000\x001111"), "contact_phone"),
        (_body(consent=False), "consent"),
        (_body(category="bribery"), "category"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/complaints", json=body)
        assert r.status_code == 422 and field in r.json()["fields"], (field, r.text)


# ------------------------------------------------------------------ working days


def test_working_day_deadlines_skip_weekends_and_holidays(monkeypatch):
    from jiliang.complaints import service

    monkeypatch.delenv("JILIANG_COMPLAINTS_HOLIDAYS", raising=False)
    friday = date(2026, 9, 25)
    assert friday.weekday() == 4
    # 7 working days after Friday 25 Sep: Mon 28 .. Tue 6 Oct without holidays
    assert service.add_working_days(friday, 7) == date(2026, 10, 6)
    assert service.add_working_days(friday, 1) == date(2026, 9, 28)  # over the weekend
    # with the National Day holiday 1–7 Oct and the make-up Saturday 10 Oct as a working day
    monkeypatch.setenv("JILIANG_COMPLAINTS_HOLIDAYS", ",".join(f"2026-10-0{d}" for d in range(1, 8)))
    monkeypatch.setenv("JILIANG_COMPLAINTS_WORKDAYS", "2026-10-10")
    # Mon 28, Tue 29, Wed 30 Sep; Thu 8, Fri 9, Sat 10 (make-up), Mon 12 Oct
    assert service.add_working_days(friday, 7) == date(2026, 10, 12)
    monkeypatch.setenv("JILIANG_COMPLAINTS_ACCEPT_DAYS", "2")
    assert service.add_working_days(friday, service.settings().accept_days) == date(2026, 9, 29)


def test_deadlines_and_overdue_flag(db, no_limit):
    from jiliang.complaints import service
    from jiliang.core.security import SYSTEM

    long_ago = date.today() - timedelta(days=60)
    c = service.create(db, None, _body(), "10.0.0.77", today=long_ago)
    db.flush()
    assert c.accept_due == service.add_working_days(long_ago, 7)
    assert service.is_overdue(c, date.today())
    page = service.inbox(db, SYSTEM, q=c.ticket, overdue=True)
    assert [x.id for x in page.items] == [c.id]
    service.act(db, SYSTEM, c.id, "accept", {}, today=long_ago + timedelta(days=1))
    assert c.investigate_due == service.add_working_days(long_ago + timedelta(days=1), 15)
    assert service.is_overdue(c, date.today())
    service.act(db, SYSTEM, c.id, "outcome", {"outcome": "upheld", "reply": "属实，已处罚。"})
    assert not service.is_overdue(c, date.today())
    assert service.inbox(db, SYSTEM, q=c.ticket, overdue=True).total == 0
    db.rollback()


# ------------------------------------------------------------------ rate limit


def test_rate_limit_trips_after_n_and_holds_across_a_new_engine(db, platform, monkeypatch):
    from sqlalchemy.orm import Session

    from jiliang.complaints import service
    from jiliang.core.db import make_engine

    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_IP", "3")
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_CONTACT", "2")
    ip = "198.51.100.23"
    for i in range(3):
        service.create(db, None, _body(anonymous=True, description=f"第 {i} 次反映同一问题的详细经过"), ip)
    with pytest.raises(service.RateLimited) as err:
        service.create(db, None, _body(anonymous=True), ip)
    assert err.value.status_code == 429 and "12315" in err.value.message("zh")
    assert "Too many" in err.value.message("en")
    db.commit()
    # a new engine (another worker, or after a restart) sees the same hits
    engine = make_engine(platform)
    try:
        with Session(engine) as other:
            with pytest.raises(service.RateLimited):
                service.create(other, None, _body(anonymous=True), ip)
            # per contact: the same phone from other addresses
            service.create(other, None, _body(contact_phone="13811112222", contact_email=""), "203.0.113.1")
            service.create(other, None, _body(contact_phone="138 1111 2222", contact_email=""), "203.0.113.2")
            with pytest.raises(service.RateLimited):
                service.create(other, None, _body(contact_phone="13811112222", contact_email=""), "203.0.113.3")
            other.rollback()
    finally:
        engine.dispose()
    # the window is configurable: with a zero-minute window the old hits no longer count
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_WINDOW_MINUTES", "0")
    service.create(db, None, _body(anonymous=True), ip)
    db.rollback()


def test_the_api_answers_429_with_a_message(client, monkeypatch):
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_IP", "0")
    r = client.post("/api/v1/complaints", json=_body(), headers={"Accept-Language": "en"})
    assert r.status_code == 429 and r.json()["error"] == "rate_limited" and "Too many" in r.json()["message"]
    r = client.post("/api/v1/complaints", json=_body())
    assert r.status_code == 429 and "提交过于频繁" in r.json()["message"]


# ------------------------------------------------------------------ the public form


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture()
def citizen(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def test_form_keeps_every_value_on_failure_and_files_in_two_steps(citizen, db, no_limit):
    from jiliang.instruments.models import Instrument

    inst = db.scalar(select(Instrument).where(Instrument.region_code == "610113").order_by(Instrument.id))
    page = citizen.get(f"/public/complaints/new?qr={inst.qr_token}")
    assert page.status_code == 200 and 'data-testid="place"' in page.text
    csrf = _csrf(page.text)
    step1 = {"csrf": csrf, "step": "1", "qr": inst.qr_token, "category": "short_weight",
             "business_name": "雁塔<b>老王</b>水果摊", "business_address": "大雁塔南广场 3 号",
             "description": "短"}
    r = citizen.post("/public/complaints/new", data=step1)
    assert r.status_code == 422 and 'data-testid="error-description"' in r.text
    assert "雁塔&lt;b&gt;老王&lt;/b&gt;水果摊" in r.text and "大雁塔南广场 3 号" in r.text  # kept, escaped
    step1["description"] = "电子秤称重比实际多出约 100 克，商家拒绝复称。"
    r = citizen.post("/public/complaints/new", data=step1)
    assert r.status_code == 200 and 'data-testid="step-2"' in r.text and 'class="on" data-testid="step-2"' in r.text
    # step 2 with a bad e-mail and an attachment: every value comes back, the file is asked again
    step2 = {**step1, "step": "2", "contact_name": "李四", "contact_phone": "029-8888 1234",
             "contact_email": "li@@example", "consent": "1"}
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    r = citizen.post("/public/complaints/new", data=step2, files={"attachments": ("scale.png", png, "image/png")})
    assert r.status_code == 422 and 'data-testid="error-contact_email"' in r.text
    for value in ("李四", "029-8888 1234", "li@@example", "大雁塔南广场 3 号", "电子秤称重比实际多出约 100 克"):
        assert value in r.text, value
    assert 'data-testid="files-lost"' in r.text and 'name="consent" value="1" checked' in r.text
    step2["contact_email"] = "li@example.cn"
    r = citizen.post("/public/complaints/new", data=step2, files={"attachments": ("scale.png", png, "image/png")},
                     follow_redirects=False)
    assert r.status_code == 303, r.text
    ticket = r.headers["location"].split("/")[-1].split("?")[0]
    follow = citizen.get(r.headers["location"])
    assert ticket in follow.text and 'data-testid="filed"' in follow.text
    for private in ("李四", "029-8888 1234", "li@example.cn", "电子秤称重", "老王"):
        assert private not in follow.text, private
    from jiliang.complaints.models import Complaint
    from jiliang.core import attachments

    c = db.scalar(select(Complaint).where(Complaint.ticket == ticket))
    assert c.instrument_id == inst.id and c.region_code == "610113" and c.contact_phone == "029-8888 1234"
    files = attachments.list_for(db, "complaint", c.id)
    assert [f.filename for f in files] == ["scale.png"]
    # the attachment is the regulators' to see, not the public's
    assert citizen.get(f"/attachments/{files[0].id}").status_code == 404


def test_form_without_csrf_is_refused(citizen):
    r = citizen.post("/public/complaints/new", data={"step": "1", "category": "other"})
    assert r.status_code == 403


def test_the_form_answers_429_and_keeps_the_values(citizen, monkeypatch):
    monkeypatch.setenv("JILIANG_COMPLAINTS_RATE_PER_IP", "0")
    csrf = _csrf(citizen.get("/public/complaints/new").text)
    data = {"csrf": csrf, "step": "2", "category": "taxi_meter", "county": "610113",
            "business_name": "陕A·T1234 出租车", "description": "计价器跳字明显快于正常速度。", "anonymous": "1",
            "consent": "1"}
    r = citizen.post("/public/complaints/new", data=data)
    assert r.status_code == 429 and 'data-testid="form-alert"' in r.text and "陕A·T1234 出租车" in r.text


# ------------------------------------------------------------------ following by ticket


def test_ticket_follow_shows_no_private_data(client, auth, filed):
    for user in (None, "enterprise"):
        r = rolecheck.call(client, auth, "GET", "/api/v1/complaints/public/{t}", user, t=filed.ticket)
        assert r.status_code == 200
        body = r.json()
        assert body["ticket"] == filed.ticket and body["status"] == "received"
        text = r.text
        for private in ("张三", "13900001111", "zhang@example.cn", "雁塔测试果蔬店", "两斤苹果"):
            assert private not in text
        assert set(body) == {"ticket", "category", "category_name", "county", "status", "status_name",
                             "received_on", "accept_due", "investigate_due", "outcome", "outcome_name", "replies"}
    assert rolecheck.call(client, auth, "GET", "/api/v1/complaints/public/{t}", None,
                          t="TS-2026-00000000").status_code == 404
    assert client.get("/api/v1/complaints/public/x%00y").status_code == 404
    page = client.get(f"/public/complaints/{filed.ticket}")
    assert page.status_code == 200 and filed.ticket in page.text and "张三" not in page.text


# ------------------------------------------------------------------ the workflow


def test_workflow_from_acceptance_to_reward_is_audited(client, auth, filed, db):
    from jiliang.core import audit

    url = "/api/v1/complaints/{id}/actions"

    def act(user, **body):
        return rolecheck.call(client, auth, "POST", url, user, json=body, id=filed.id)

    # refused: out of scope, wrong role, anonymous; and a step out of order
    assert act("beilin", action="accept").status_code == 404
    assert act("enterprise", action="accept").status_code == 403
    assert act(None, action="accept").status_code == 401
    assert act("yanta", action="close").status_code == 409
    assert act("yanta", action="reject").json()["fields"] == {"reason": "必填"}
    r = act("yanta", action="accept", reason="已转交执法大队")
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["investigate_due"]
    assert act("yanta", action="note", text="现场检查：电子秤铅封破损。").status_code == 200
    bad = act("xian", action="outcome", outcome=None, reply="")
    assert bad.status_code == 422 and "outcome" in bad.json()["fields"]
    r = act("xian", action="outcome", outcome="upheld", reply="经核查属实，已立案查处。")
    assert r.json()["status"] == "answered" and r.json()["outcome"] == "upheld"
    assert act("yanta", action="publish", summary="张三反映的问题属实").status_code == 422  # names the filer
    assert act("yanta", action="publish", summary="群众反映雁塔区某果蔬店短斤缺两，经查属实。").status_code == 200
    assert act("province", action="reward", amount=0, reward_date="2026-11-20",
               approved_by="局长").status_code == 422
    r = act("province", action="reward", amount=500, reward_date="2026-11-20", approved_by="雁塔区局 王局长")
    assert r.status_code == 200 and r.json()["reward_amount"] == "500.00"
    r = act("yanta", action="close")
    assert r.json()["status"] == "closed" and r.json()["closed_at"]
    kinds = [e["kind"] for e in r.json()["timeline"]]
    assert kinds == ["created", "accepted", "note", "outcome", "published", "reward", "closed"]
    actions = [a.action for a in reversed(audit.entries_for(db, "complaint", filed.id))]
    assert actions == ["create", "accept", "note", "outcome", "publish", "reward", "close"]
    # the filer sees the public steps only: no internal note, no reward
    follow = client.get(f"/api/v1/complaints/public/{filed.ticket}").json()
    assert [x["kind"] for x in follow["replies"]] == ["created", "accepted", "outcome", "closed"]
    assert follow["outcome"] == "upheld" and "铅封" not in str(follow)
    # published, anonymised
    pub = rolecheck.call(client, auth, "GET", "/api/v1/complaints/public?q={q}", None, q="某果蔬店")
    assert pub.status_code == 200 and pub.json()["items"][0]["summary"].startswith("群众反映雁塔区")
    assert "张三" not in pub.text and "ticket" not in pub.json()["items"][0]
    for user in ("admin", "enterprise"):
        assert rolecheck.call(client, auth, "GET", "/api/v1/complaints/public", user).status_code == 200


def test_reject_with_reason(client, auth, filed):
    r = client.post(f"/api/v1/complaints/{filed.id}/actions", headers=auth("admin"),
                    json={"action": "reject", "reason": "不属于计量问题，已告知向消协反映。"})
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["closed_at"]
    follow = client.get(f"/api/v1/complaints/public/{filed.ticket}").json()
    assert follow["replies"][-1]["text"] == "不属于计量问题，已告知向消协反映。"


def test_public_create_by_role(client, auth, no_limit):
    for user in ("admin", "yanta", "enterprise", None):
        r = rolecheck.call(client, auth, "POST", "/api/v1/complaints", user, json=_body(anonymous=True))
        assert r.status_code == 201, (user, r.text)


def test_inbox_filters_and_paging(client, auth, filed):
    r = client.get("/api/v1/complaints?status=received&category=short_weight&per_page=1", headers=auth("yanta"))
    assert r.status_code == 200 and len(r.json()["items"]) == 1 and r.json()["total"] >= 1
    assert client.get("/api/v1/complaints?status=bogus", headers=auth("yanta")).status_code == 422
    assert client.get("/api/v1/complaints?page=0", headers=auth("yanta")).status_code == 422


# ------------------------------------------------------------------ regulator pages


@pytest.fixture()
def signed_in(app):
    from fastapi.testclient import TestClient

    clients = []

    def make(user):
        c = TestClient(app)
        clients.append(c)
        csrf = _csrf(c.get("/login").text)
        assert c.post("/login", data={"username": user, "password": "jiliang-demo", "csrf": csrf},
                      follow_redirects=False).status_code == 303
        return c

    yield make
    for c in clients:
        c.close()


def test_inbox_page_detail_actions_and_export(signed_in, filed):
    yanta = signed_in("yanta")
    inbox = yanta.get("/complaints?q=" + filed.ticket)
    assert inbox.status_code == 200 and f'data-ticket="{filed.ticket}"' in inbox.text
    assert f'data-ticket="{filed.ticket}"' not in signed_in("beilin").get("/complaints?q=" + filed.ticket).text
    assert signed_in("enterprise").get("/complaints").status_code == 403
    page = yanta.get(f"/complaints/{filed.id}")
    assert page.status_code == 200 and 'data-testid="audit"' in page.text and "张三" in page.text
    csrf = _csrf(page.text)
    r = yanta.post(f"/complaints/{filed.id}/action", data={"csrf": csrf, "action": "reject", "reason": ""})
    assert r.status_code == 422 and 'data-testid="error-reason"' in r.text
    r = yanta.post(f"/complaints/{filed.id}/action", data={"csrf": csrf, "action": "accept", "reason": "受理"},
                   follow_redirects=False)
    assert r.status_code == 303
    x = yanta.get("/complaints/export.xlsx?status=accepted")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(x.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "受理编号" and filed.ticket in [r[0] for r in rows[1:]]


def test_public_pages_and_the_qr_link(client, db):
    from jiliang.instruments.models import Instrument

    inst = db.scalar(select(Instrument).order_by(Instrument.id))
    q = client.get(f"/q/{inst.qr_token}")
    assert f'/public/complaints/new?qr={inst.qr_token}' in q.text
    assert client.get("/public/complaints").status_code == 200
    r = client.get("/public/complaints?ticket=ts-2026-abc", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/public/complaints/TS-2026-ABC"
    assert client.get("/public/complaints/TS-2026-ABC").status_code == 404
    assert "投诉举报" in client.get("/public").text
    # an unknown label falls back to choosing the county
    unknown = client.get("/public/complaints/new?qr=no-such-label")
    assert unknown.status_code == 200 and 'data-testid="county"' in unknown.text
    assert 'data-testid="county"' not in client.get(f"/public/complaints/new?qr={inst.qr_token}").text


def test_timeline_is_append_only_on_postgresql(db, filed):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    for sql in ("UPDATE complaint_events SET text = 'x' WHERE complaint_id = :i",
                "DELETE FROM complaint_events WHERE complaint_id = :i"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(sql), {"i": filed.id})
        db.rollback()


def test_the_county_regulators_get_a_notice(db, filed):
    from jiliang.features import present

    if not present("jiliang.supervision.outbox"):
        pytest.skip("the outbox is not built")
    from jiliang.orgs.models import Organisation
    from jiliang.supervision.warning_models import Notice

    notices = db.scalars(select(Notice).where(Notice.topic == "complaint", Notice.dedup_key == filed.ticket)).all()
    orgs = {db.get(Organisation, n.org_id) for n in notices}
    assert orgs and {(o.kind, o.region_code) for o in orgs} == {("regulator", "610113")}
    assert all(n.link == f"/complaints/{filed.id}" for n in notices)
