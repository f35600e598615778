"""Signing keys: 0600 files, never in the database; rotation keeps old signatures verifiable."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from jiliang.cli import app
from jiliang.core.db import session_scope
from jiliang.core.errors import Conflict, Forbidden, ValidationFailed
from jiliang.core.security import SYSTEM, Principal
from jiliang.orgs.models import Organisation
from jiliang.trust import keys
from jiliang.trust.bundle import bundle_bytes, make_bundle, verify_bundle
from jiliang.trust.models import SigningKey

runner = CliRunner()


def test_key_files_are_0600_and_private_keys_never_in_the_database(lab_org, client):
    client.get("/.well-known/jiliang/checkpoint")  # the log key exists
    folder = keys.keys_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with session_scope() as session:
        records = session.scalars(select(SigningKey)).all()
        assert {r.kind for r in records} >= {"log", "dcc"}
        for r in records:
            path = folder / r.file_name
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            pem = path.read_bytes()
            assert b"PRIVATE KEY" in pem
            body = b"".join(pem.split(b"\n")[1:-2]).decode()
            # no column of any key row holds (part of) the private key
            for column in SigningKey.__table__.columns:
                value = getattr(r, column.key)
                assert not isinstance(value, str) or (
                    "PRIVATE" not in value and body[:40] not in value
                )
        dump = " ".join(
            str(v) for row in session.execute(text("SELECT * FROM trust_keys")) for v in row
        )
        assert "PRIVATE KEY" not in dump


def test_a_key_file_readable_by_others_is_refused(lab_org):
    with session_scope() as session:
        record = keys._active(session, "dcc", lab_org)
        path = keys.keys_dir() / record.file_name
        os.chmod(path, 0o644)
        try:
            with pytest.raises(keys.KeyFileError):
                keys.signing_key_for(session, lab_org)
        finally:
            os.chmod(path, 0o600)
        private, rec = keys.signing_key_for(session, lab_org)
        assert keys.fingerprint(private.public_key()) == rec.fingerprint


def test_rotation_keeps_old_signatures_verifiable(issue, lab_org):
    number, xml = issue()
    with session_scope() as session:
        old = keys._active(session, "dcc", lab_org).fingerprint
        new = keys.rotate_key(session, SYSTEM, "dcc", lab_org)
        assert new.fingerprint != old
    number2, xml2 = issue()
    with session_scope() as session:
        fps = [k.fingerprint for k in keys.public_keys_for(session, lab_org)]
        assert old in fps and new.fingerprint in fps
        retired = session.scalar(select(SigningKey).where(SigningKey.fingerprint == old))
        assert retired.retired_at is not None
        b1 = bundle_bytes(make_bundle(session, number))
        b2 = bundle_bytes(make_bundle(session, number2))
    r1, r2 = verify_bundle(xml, b1), verify_bundle(xml2, b2)
    assert r1.ok and r1.issuer_key == old, r1.reasons
    assert r2.ok and r2.issuer_key == new.fingerprint, r2.reasons


def test_log_key_rotation_keeps_old_checkpoints_verifiable(client, issue):
    from jiliang.ledger import verify_checkpoint

    number, _ = issue()
    old_cp = client.get("/.well-known/jiliang/checkpoint").text
    old_vkey = client.get("/.well-known/jiliang/log-key").text
    with session_scope() as session:
        keys.rotate_key(session, SYSTEM, "log")
    # the unchanged log's checkpoint is signed with the new key at once
    same = client.get("/.well-known/jiliang/checkpoint").text
    rotated_vkey = client.get("/.well-known/jiliang/log-key").text
    assert verify_checkpoint(same, rotated_vkey)[1] == verify_checkpoint(old_cp, old_vkey)[1]
    issue()
    new_cp = client.get("/.well-known/jiliang/checkpoint").text
    new_vkey = client.get("/.well-known/jiliang/log-key").text
    assert new_vkey != old_vkey
    assert verify_checkpoint(old_cp, old_vkey)[1] < verify_checkpoint(new_cp, new_vkey)[1]
    listed = client.get("/api/v1/log/keys").json()
    assert {k.get("vkey") for k in listed if k["kind"] == "log"} >= {
        old_vkey.strip(),
        new_vkey.strip(),
    }
    assert all("file_name" not in k for k in listed)


def test_key_rules(lab_org):
    clerk = Principal(user_id=99, username="clerk", role="lab_manager", org_id=lab_org)
    with session_scope() as session:
        with pytest.raises(Forbidden):
            keys.create_key(session, clerk, "dcc", lab_org)
        with pytest.raises(Conflict):
            keys.create_key(session, SYSTEM, "dcc", lab_org)  # rotate instead
        with pytest.raises(ValidationFailed):
            keys.create_key(session, SYSTEM, "dcc", 10**9)
        with pytest.raises(ValidationFailed):
            keys.create_key(session, SYSTEM, "rsa", lab_org)
        with pytest.raises(keys.NoSigningKey):
            keys.signing_key_for(session, 10**9)


def test_cli_keys(platform):
    with session_scope() as session:
        org = session.scalar(
            select(Organisation)
            .where(Organisation.uscc.is_not(None))
            .order_by(Organisation.id.desc())
        )
        org_id, uscc = org.id, org.uscc
    r = runner.invoke(app, ["keys", "create", "--org", uscc])
    assert r.exit_code == 0, r.output
    assert "BEGIN PUBLIC KEY" in r.output
    r = runner.invoke(app, ["keys", "create", "--org", str(org_id)])
    assert r.exit_code == 2 and "rotate" in r.output
    r = runner.invoke(app, ["keys", "rotate", "--org", str(org_id)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["keys", "list", "--org", str(org_id), "--json"])
    assert r.exit_code == 0 and r.output.count('"fingerprint"') == 2
    r = runner.invoke(app, ["keys", "list"])
    assert r.exit_code == 0 and "retired" in r.output and "active" in r.output
    assert runner.invoke(app, ["keys", "create"]).exit_code == 2  # --org needed
    assert runner.invoke(app, ["keys", "create", "--org", "NOPE"]).exit_code == 2
    assert runner.invoke(app, ["keys", "create", "--kind", "x"]).exit_code == 2
