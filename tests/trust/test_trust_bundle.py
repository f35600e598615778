"""Offline verification: bundle + signed DCC + checkpoint; any changed byte fails with a reason."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from jiliang.cli import app
from jiliang.core.db import session_scope
from jiliang.core.security import SYSTEM
from jiliang.trust import service
from jiliang.trust.bundle import bundle_bytes, make_bundle, verify_bundle

runner = CliRunner()


def _bundle(number: str, older=()) -> bytes:
    with session_scope() as session:
        return bundle_bytes(make_bundle(session, number, older))


def _flip(data: bytes, pos: int) -> bytes:
    return data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1 :]


def test_a_logged_certificate_verifies(issue):
    number, xml = issue()
    data = _bundle(number)
    result = verify_bundle(xml, data)
    assert result.ok and result.status == "valid", result.reasons
    assert result.certificate_number == number and result.index is not None
    bundle_doc = json.loads(data)
    cp = bundle_doc["checkpoint"]
    assert verify_bundle(
        xml, bundle_doc, checkpoint_text=cp, trusted_log_vkey=bundle_doc["log_vkey"] + "\n"
    ).ok


def test_one_changed_byte_anywhere_fails_with_a_reason(issue):
    number, xml = issue()
    data = _bundle(number)
    cp = json.loads(data)["checkpoint"].encode()
    rng = random.Random(5)
    xml_positions = sorted(set(rng.sample(range(len(xml)), 150)) | {0, len(xml) - 1})
    for pos in xml_positions:
        result = verify_bundle(_flip(xml, pos), data, checkpoint_text=cp)
        assert not result.ok and result.reasons, f"XML byte {pos} changed but verified"
    for pos in range(len(data)):
        result = verify_bundle(xml, _flip(data, pos), checkpoint_text=cp)
        assert not result.ok and result.reasons, f"bundle byte {pos} changed but verified"
    for pos in range(len(cp)):
        result = verify_bundle(xml, data, checkpoint_text=_flip(cp, pos))
        assert not result.ok and result.reasons, f"checkpoint byte {pos} changed but verified"


def test_reasons_name_what_is_wrong(issue, lab_org):
    number, xml = issue()
    other_number, other_xml = issue()
    data = _bundle(number)
    reasons = verify_bundle(other_xml, data).reasons
    assert any("SHA-256" in r for r in reasons)
    doc = json.loads(data)
    doc["entries"][0]["inclusion_proof"] = doc["entries"][0]["inclusion_proof"][:-1] or ["A" * 44]
    assert any("inclusion proof" in r for r in verify_bundle(xml, doc).reasons)
    doc = json.loads(data)
    doc["issuer_keys"] = []
    assert any("issuer key" in r for r in verify_bundle(xml, doc).reasons)
    reasons = verify_bundle(xml, data, trusted_log_vkey="other+01020304+AQ==").reasons
    assert any("trusted" in r for r in reasons)
    result = verify_bundle(xml, b"{not json")
    assert not result.ok and "JSON" in result.reasons[0] and result.reasons_zh


def test_revoked_and_superseded_show_in_the_status(issue, lab_org):
    number, xml = issue()
    with session_scope() as session:
        service.append(
            session,
            SYSTEM,
            "revoked",
            {"certificate_number": number, "issuer_org_id": lab_org, "reason": "计算错误 wrong k"},
        )
    result = verify_bundle(xml, _bundle(number))
    assert result.ok and result.status == "revoked"
    assert result.status_entries[0]["reason"] == "计算错误 wrong k"
    number2, xml2 = issue()
    with session_scope() as session:
        service.append(
            session,
            SYSTEM,
            "superseded",
            {
                "certificate_number": number2,
                "issuer_org_id": lab_org,
                "reason": "new results",
                "superseded_by": number,
            },
        )
    assert verify_bundle(xml2, _bundle(number2)).status == "superseded"


def test_consistency_with_an_older_checkpoint(issue, client):
    number, xml = issue()
    older = client.get("/.well-known/jiliang/checkpoint").text
    old_size = int(older.split("\n")[1])
    issue()
    data = _bundle(number, [old_size])
    result = verify_bundle(xml, data, older_checkpoint=older)
    assert result.ok, result.reasons
    assert result.tree_size > old_size
    # an older checkpoint the bundle has no proof from
    other = client.get(f"/api/v1/log/checkpoints/{old_size}").text
    assert verify_bundle(xml, _bundle(number), older_checkpoint=other).ok is False
    # a changed byte in the older checkpoint
    for pos in range(0, len(older), 3):
        bad = _flip(older.encode(), pos)
        assert not verify_bundle(xml, data, older_checkpoint=bad).ok


def test_cli_log_verify(issue, tmp_path, client):
    number, xml = issue()
    older = client.get("/.well-known/jiliang/checkpoint").text
    issue()
    (tmp_path / "c.xml").write_bytes(xml)
    (tmp_path / "old.txt").write_text(older)
    out = tmp_path / "b.json"
    old_size = older.split("\n")[1]
    r = runner.invoke(app, ["log", "bundle", number, "--out", str(out), "--older-size", old_size])
    assert r.exit_code == 0, r.output
    (tmp_path / "cp.txt").write_text(json.loads(out.read_bytes())["checkpoint"])
    (tmp_path / "vkey").write_text(client.get("/.well-known/jiliang/log-key").text)
    args = [
        "log",
        "verify",
        str(tmp_path / "c.xml"),
        "--bundle",
        str(out),
        "--checkpoint",
        str(tmp_path / "cp.txt"),
        "--older",
        str(tmp_path / "old.txt"),
        "--log-key",
        str(tmp_path / "vkey"),
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and r.output.startswith("valid"), r.output
    (tmp_path / "c.xml").write_bytes(_flip(xml, len(xml) // 2))
    r = runner.invoke(app, args)
    assert r.exit_code == 1 and "FAILED" in r.output
    r = runner.invoke(app, [*args, "--lang", "zh"])
    assert r.exit_code == 1 and "SHA-256" in r.output
    r = runner.invoke(app, ["log", "bundle", "NO-SUCH-NUMBER"])
    assert r.exit_code == 2 and "NO-SUCH-NUMBER" in r.output
    r = runner.invoke(app, ["log", "checkpoint"])
    assert r.exit_code == 0 and "\n\n\u2014 " in r.output


@pytest.mark.parametrize("kind", ["revoked"])
def test_cli_exit_status_for_revoked(issue, tmp_path, lab_org, kind):
    number, xml = issue()
    with session_scope() as session:
        service.append(
            session,
            SYSTEM,
            kind,
            {"certificate_number": number, "issuer_org_id": lab_org, "reason": "test"},
        )
    (tmp_path / "c.xml").write_bytes(xml)
    (tmp_path / "b.json").write_bytes(_bundle(number))
    r = runner.invoke(
        app,
        ["log", "verify", str(tmp_path / "c.xml"), "--bundle", str(tmp_path / "b.json"), "--json"],
    )
    assert r.exit_code == 3 and '"status": "revoked"' in r.output
