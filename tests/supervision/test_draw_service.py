"""The stored, published double-random draws (双随机、一公开): commit → snapshot → draw → reveal.

Reproducible from seed and snapshot, different with another seed; the published JSON re-verifies
with ``jiliang draw verify`` and fails when one byte of the result or of the snapshot changes;
the commitment published first matches the seed revealed last; conflicts of interest (same
organisation, declared relations, the inspector's own earlier case) are never drawn; at least
two inspectors per target; the drawn targets become inspections of the campaign.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from jiliang.supervision import draw as kernel
from jiliang.supervision.cli import draw_app
from rolecheck import call

API = "/api/v1/supervision"
PUBLIC = "/api/v1/public/draws"


def _run_steps(client, auth, user: str, draw_id: int) -> dict:
    for step in ("snapshot", "run", "publish"):
        r = call(client, auth, "POST", API + "/draws/{id}/" + step, user, id=draw_id)
        assert r.status_code == 200, (step, r.text)
    return r.json()


@pytest.fixture(scope="module")
def campaign(client, auth):
    today = date.today()
    r = call(client, auth, "POST", API + "/campaigns", "xian", json={
        "title": "西安市商店双随机抽查", "category": "shop", "region_code": "610100",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=60)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def published(client, auth, campaign):
    """A draw in the campaign, taken through every step; the commitment seen before the reveal."""
    r = call(client, auth, "POST", API + "/draws", "xian", json={
        "campaign_id": campaign["id"], "n_targets": 3, "inspectors_per_target": 2})
    assert r.status_code == 201, r.text
    committed = r.json()
    public_before = call(client, auth, "GET", PUBLIC + "/{id}", None, id=committed["id"]).json()
    final = _run_steps(client, auth, "xian", committed["id"])
    doc = call(client, auth, "GET", PUBLIC + "/{id}/document", None, id=committed["id"])
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("application/json")
    return {"committed": committed, "before": public_before, "final": final, "raw": doc.content,
            "document": json.loads(doc.content)}


def _verify_file(tmp_path, content: bytes) -> tuple[int, str]:
    path = tmp_path / "DRAW.json"
    path.write_bytes(content)
    result = CliRunner().invoke(draw_app, ["verify", str(path)])
    return result.exit_code, result.output


# ------------------------------------------------------------------ the published draw


def test_commitment_first_seed_revealed_last(published):
    committed, before, final = published["committed"], published["before"], published["final"]
    assert committed["status"] == "committed" and committed["seed"] is None
    assert len(committed["commitment"]) == 64
    assert before["seed"] is None and before["selection"] is None and before["commitment"] == committed["commitment"]
    assert committed["filter"] == {"category": "shop", "region_code": "610100", "kinds": ["enterprise", "individual"]}
    assert final["status"] == "published"
    assert hashlib.sha256(bytes.fromhex(final["seed"])).hexdigest() == committed["commitment"]
    assert published["document"]["commitment"] == committed["commitment"]
    assert published["document"]["population_hash"] == final["population_hash"]


def test_published_json_verifies_with_the_cli_and_fails_on_one_byte(published, tmp_path):
    code, out = _verify_file(tmp_path, published["raw"])
    assert code == 0 and out.startswith("valid"), out
    doc = published["document"]
    # --list prints the same list as the public page, from the file alone
    listed = CliRunner().invoke(draw_app, ["verify", str(tmp_path / "DRAW.json"), "--list"]).output.splitlines()
    names = {t["id"]: t["name"] for t in doc["population"]["targets"]}
    assert listed[0] == "valid" and len(listed) == 1 + len(doc["selection"])
    for i, (line, pick) in enumerate(zip(listed[1:], published["final"]["selection"], strict=True), 1):
        assert line.startswith(f"{i}. {pick['target']} {names[pick['target']]}: {pick['inspectors'][0]} ")
    # one byte of the result
    tampered = copy.deepcopy(doc)
    first = tampered["selection"][0]["inspectors"][0]
    tampered["selection"][0]["inspectors"][0] = first[:-1] + chr(ord(first[-1]) ^ 1)
    code, out = _verify_file(tmp_path, json.dumps(tampered, ensure_ascii=False).encode())
    assert code == 1 and "selection[0].inspectors" in out
    # one byte of the snapshot
    tampered = copy.deepcopy(doc)
    name = tampered["population"]["targets"][0]["name"]
    tampered["population"]["targets"][0]["name"] = name[:-1] + chr(ord(name[-1]) ^ 1)
    code, out = _verify_file(tmp_path, json.dumps(tampered, ensure_ascii=False).encode())
    assert code == 1 and "population_hash" in out
    # the raw file itself, one byte of the seed changed
    raw = published["raw"].decode()
    seed = doc["seed"]
    flipped = seed[:-1] + ("0" if seed[-1] != "0" else "1")
    code, out = _verify_file(tmp_path, raw.replace(seed, flipped).encode())
    assert code == 1 and "commitment" in out


def test_reproducible_from_seed_and_snapshot_and_differs_with_another_seed(published):
    doc = published["document"]
    pop = doc["population"]
    seed = bytes.fromhex(doc["seed"])
    again = kernel.draw(seed, pop["targets"], pop["inspectors"], 3, 2, pop["exclusions"])
    assert again == doc
    other = kernel.draw(hashlib.sha256(seed).digest(), pop["targets"], pop["inspectors"], 3, 2, pop["exclusions"])
    assert other["selection"] != doc["selection"]
    assert other["population_hash"] == doc["population_hash"]


def test_at_least_two_inspectors_per_target_and_targets_become_inspections(client, auth, published, campaign):
    selection = published["document"]["selection"]
    assert len(selection) == 3
    for s in selection:
        assert len(s["inspectors"]) == len(set(s["inspectors"])) >= 2
    body = call(client, auth, "GET", API + "/campaigns/{id}", "xian", id=campaign["id"]).json()
    drawn = {f"org-{i['target_org_id']}": {f"inspector-{m['id']}" for m in i["team"]} for i in body["inspections"]}
    assert drawn == {s["target"]: set(s["inspectors"]) for s in selection}
    assert all(i["draw_id"] == published["committed"]["id"] for i in body["inspections"])
    # the category filter: every target is a shop by name or owns a price-computing scale
    assert all(t["region"].startswith("6101") for t in published["document"]["population"]["targets"])


def test_seed_never_in_audit_before_publication(published):
    from jiliang.core.audit import AuditEntry
    from jiliang.core.db import session_scope

    seed = published["final"]["seed"]
    with session_scope() as s:
        entries = list(s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "inspection_draw", AuditEntry.entity_id == str(published["committed"]["id"]))
            .order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["commit", "snapshot", "draw", "publish"]
    assert all(seed not in json.dumps(e.after) for e in entries[:-1])
    assert entries[-1].after["seed"] == seed


def test_public_pages_and_api_without_sign_in(client, auth, published):
    did = published["committed"]["id"]
    lst = call(client, auth, "GET", PUBLIC, None).json()
    assert did in [d["id"] for d in lst["items"]]
    one = call(client, auth, "GET", PUBLIC + "/{id}", None, id=did).json()
    assert one["seed"] == published["final"]["seed"] and one["selection"][0]["target_name"]
    page = client.get(f"/public/draws/{did}")
    assert page.status_code == 200 and published["final"]["seed"] in page.text
    assert published["committed"]["commitment"] in page.text
    # category and region by name, the code beside the region
    assert "<dd>商店</dd>" in page.text and '<dd>西安市 <span class="muted">610100</span></dd>' in page.text
    download = client.get(f"/public/draws/{did}/draw.json")
    assert download.status_code == 200 and json.loads(download.content) == published["document"]
    assert client.get("/public/draws").status_code == 200
    assert call(client, auth, "GET", PUBLIC + "/{id}", None, id=2_000_000_000).status_code == 404


# ------------------------------------------------------------------ steps, roles, scope


def test_steps_in_order_roles_and_scope(client, auth):
    t = API + "/draws"
    for user, status in (("enterprise", 403), ("labmanager", 403), (None, 401)):
        assert call(client, auth, "POST", t, user, json={"n_targets": 1}).status_code == status
        assert call(client, auth, "GET", t, user).status_code == status
    r = call(client, auth, "POST", t, "baoji", json={"n_targets": 1, "region_code": "610113"})
    assert r.status_code == 403
    for body, field in (({"n_targets": 0}, "n_targets"), ({"n_targets": 1, "inspectors_per_target": 1}, "inspectors_per_target"),
                        ({"n_targets": 1, "category": "nosuch"}, "category"), ({"n_targets": 1, "campaign_id": 2_000_000_000}, "campaign_id"),
                        ({"n_targets": 1, "region_code": "12345"}, "region_code")):
        r = call(client, auth, "POST", t, "yanta", json=body)
        assert r.status_code == 422 and field in r.json()["fields"], (body, r.text)
    r = call(client, auth, "POST", t, "yanta", json={"n_targets": 2, "title": "雁塔区随机抽查"})
    assert r.status_code == 201 and r.json()["region_code"] == "610113"
    did = r.json()["id"]
    one = t + "/{id}"
    for user, status in (("yanta", 200), ("xian", 200), ("province", 200), ("baoji", 404), ("beilin", 404),
                         ("enterprise", 403)):
        assert call(client, auth, "GET", one, user, id=did).status_code == status, user
    assert call(client, auth, "GET", one, "yanta", id=did).json()["seed"] is None
    assert call(client, auth, "GET", PUBLIC + "/{id}/document", None, id=did).status_code == 404
    # out of order, out of scope, not a regulator
    assert call(client, auth, "POST", one + "/run", "yanta", id=did).status_code == 409
    assert call(client, auth, "POST", one + "/publish", "yanta", id=did).status_code == 409
    assert call(client, auth, "POST", one + "/snapshot", "baoji", id=did).status_code == 404
    assert call(client, auth, "POST", one + "/snapshot", "enterprise", id=did).status_code == 403
    assert call(client, auth, "POST", one + "/snapshot", "yanta", id=did).json()["status"] == "snapshotted"
    assert call(client, auth, "POST", one + "/snapshot", "yanta", id=did).status_code == 409
    final = _run_steps_after_snapshot(client, auth, did)
    assert final["status"] == "published" and final["campaign_id"] is None
    assert call(client, auth, "GET", t + "?status=published", "yanta").json()["total"] >= 1


def _run_steps_after_snapshot(client, auth, did: int) -> dict:
    for step in ("run", "publish"):
        r = call(client, auth, "POST", API + "/draws/{id}/" + step, "yanta", id=did)
        assert r.status_code == 200, r.text
    return r.json()


def test_too_many_targets_names_the_field(client, auth):
    r = call(client, auth, "POST", API + "/draws", "yanta", json={"n_targets": 9999})
    did = r.json()["id"]
    call(client, auth, "POST", API + "/draws/{id}/snapshot", "yanta", id=did)
    r = call(client, auth, "POST", API + "/draws/{id}/run", "yanta", id=did)
    assert r.status_code == 422 and "n_targets" in r.json()["fields"]


# ------------------------------------------------------------------ conflicts of interest


def _principal(session, username):
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    return principal_for(session, session.scalar(select(User).where(User.username == username)))


def test_conflicts_from_the_database_are_never_drawn(platform):
    """Same organisation, a declared relation and an earlier case, each on a target of a small
    county population: over many seeds none of those pairs is drawn."""
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation
    from jiliang.supervision import inspection_service as service

    with session_scope() as s:
        p = _principal(s, "admin")
        region = "610113"
        targets = list(s.scalars(select(Organisation).where(
            Organisation.region_code == region, Organisation.kind.in_(service.TARGET_KINDS),
            Organisation.status == "active").order_by(Organisation.id)))
        assert len(targets) >= 3
        a, b, c = targets[:3]
        inspectors = [service.create_inspector(s, p, {"name": f"冲突测试{i}", "badge_no": f"CF-{i}",
                                                      "region_code": region}) for i in range(6)]
        same_org = service.create_inspector(s, p, {"name": "同单位", "badge_no": "CF-ORG", "region_code": region,
                                                   "org_id": a.id})
        service.declare_relation(s, p, inspectors[0].id, {"org_id": b.id, "note": "亲属"})
        camp = service.create_campaign(s, p, {
            "title": "冲突测试", "category": "market", "region_code": region, "starts_on": date.today(),
            "ends_on": date.today(), "inspector_ids": [i.id for i in inspectors] + [same_org.id],
            "targets": [{"org_id": c.id, "inspector_ids": [inspectors[1].id]}]})
        forbidden = {(f"inspector-{same_org.id}", f"org-{a.id}"), (f"inspector-{inspectors[0].id}", f"org-{b.id}"),
                     (f"inspector-{inspectors[1].id}", f"org-{c.id}")}
        pool_ids = {f"inspector-{i.id}" for i in [*inspectors, same_org]}
        for n in range(12):
            d = service.commit_draw(s, p, {"campaign_id": camp.id, "category": None, "n_targets": 3,
                                           "inspectors_per_target": 2}, seed=bytes([n + 1]) * 32)
            d.filter = {**d.filter, "category": None}
            service.snapshot_draw(s, p, d.id)
            pop = d.population
            by_id = {i["id"]: i for i in pop["inspectors"]}
            assert set(by_id) == pool_ids  # the campaign's own inspectors only
            assert by_id[f"inspector-{same_org.id}"]["organisation"] == f"org-{a.id}"
            assert f"org-{b.id}" in by_id[f"inspector-{inspectors[0].id}"]["relations"]
            assert f"org-{c.id}" in by_id[f"inspector-{inspectors[1].id}"]["earlier_cases"]
            assert service.draw_dict(d)["population_size"]["conflicts"] >= 3
            doc = kernel.draw(bytes([n + 1]) * 32, pop["targets"], pop["inspectors"], len(pop["targets"]), 2)
            pairs = {(i, sel["target"]) for sel in doc["selection"] for i in sel["inspectors"]}
            assert not pairs & forbidden
        s.rollback()


@st.composite
def pools(draw_):
    """Service-shaped populations with random organisations, relations and earlier cases."""
    n_t = draw_(st.integers(1, 8))
    n_i = draw_(st.integers(2, 10))
    tids = [f"org-{100 + i}" for i in range(n_t)]
    targets = [{"id": t, "name": t, "uscc": "", "region": "610113", "organisation": t} for t in tids]
    pick = st.lists(st.sampled_from(tids), max_size=n_t, unique=True)
    inspectors = [
        {"id": f"inspector-{i}", "name": f"I{i}", "badge_no": f"B{i}",
         "organisation": draw_(st.sampled_from([*tids, "org-1", ""])),
         "relations": sorted(draw_(pick)), "earlier_cases": sorted(draw_(pick))}
        for i in range(n_i)
    ]
    return targets, inspectors


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools(), st.binary(min_size=16, max_size=32), st.integers(1, 8), st.integers(2, 4))
def test_property_conflicts_never_drawn_and_two_inspectors_each(pool, seed, n, per):
    targets, inspectors = pool
    n = min(n, len(targets))
    try:
        doc = kernel.draw(seed, targets, inspectors, n, per)
    except kernel.DrawError as exc:
        assert exc.field == "inspectors" and exc.rule == "not_enough_inspectors"
        return
    by_id = {i["id"]: i for i in inspectors}
    rows = {t["id"]: t for t in targets}
    assert kernel.verify(doc).ok
    for sel in doc["selection"]:
        assert len(set(sel["inspectors"])) == per >= 2
        for iid in sel["inspectors"]:
            assert kernel.conflicts(by_id[iid], rows[sel["target"]]) == []
