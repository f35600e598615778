"""Role and scope of the log endpoints: all public, the same answer signed in or not."""

from __future__ import annotations

import pytest

from rolecheck import call

USERS = [None, "admin", "labmanager", "enterprise", "beilin"]


@pytest.mark.parametrize("user", USERS)
def test_log_endpoints_are_public(client, auth, issue, user):
    issue()
    cp = call(client, auth, "GET", "/.well-known/jiliang/checkpoint", user)
    assert cp.status_code == 200 and cp.text.count("\n") >= 5
    size = int(cp.text.split("\n")[1])
    r = call(client, auth, "GET", "/.well-known/jiliang/log-key", user)
    assert r.status_code == 200 and r.text.startswith(cp.text.split("\n")[0] + "+")
    r = call(client, auth, "GET", "/api/v1/log/entries/{index}", user, index=size - 1)
    assert r.status_code == 200 and r.json()["tree_size"] == size
    assert set(r.json()["payload"]) <= {
        "certificate_number",
        "issuer_org_id",
        "xml_sha256",
        "key_sha256",
        "reason",
        "superseded_by",
        "effective",
        "kind",
        "index",
        "v",
        "logged_at",
    }
    r = call(
        client,
        auth,
        "GET",
        "/api/v1/log/proof/consistency?old={old}&new={new}",
        user,
        old=1,
        new=size,
    )
    assert r.status_code == 200 and r.json()["new_checkpoint"] == cp.text
    r = call(client, auth, "GET", "/api/v1/log/checkpoints/{size}", user, size=size)
    assert r.status_code == 200 and r.text == cp.text
    r = call(client, auth, "GET", "/api/v1/log/keys", user)
    assert r.status_code == 200 and any(k["kind"] == "log" for k in r.json())
