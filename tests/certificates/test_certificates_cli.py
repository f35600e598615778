"""``jiliang certificates list|export|issue`` and ``jiliang verify`` against the test database."""

from __future__ import annotations

import json

import certfix
from typer.testing import CliRunner

from rolecheck import call

runner = CliRunner()


def test_issue_list_export_verify(client, auth, setup, tmp_path):
    from jiliang.cli import app

    rec = certfix.approved_record(client, auth, setup)
    r = runner.invoke(app, ["certificates", "issue", str(rec["id"]), "--as", "approver"])
    assert r.exit_code == 0, r.output
    number = r.output.split()[1]
    again = runner.invoke(app, ["certificates", "issue", str(rec["id"]), "--as", "approver"])
    assert again.exit_code == 1
    r = runner.invoke(app, ["certificates", "list", "--json"])
    assert r.exit_code == 0, r.output
    assert number in [c["number"] for c in json.loads(r.output)]
    assert runner.invoke(app, ["certificates", "list"]).exit_code == 0
    r = runner.invoke(app, ["certificates", "export", number, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    xml = tmp_path / f"{number}.xml"
    bundle = tmp_path / f"{number}.bundle.json"
    cp = tmp_path / f"{number}.checkpoint"
    assert (tmp_path / f"{number}.pdf").read_bytes().startswith(b"%PDF")
    r = runner.invoke(app, ["verify", str(xml), "--bundle", str(bundle), "--checkpoint", str(cp)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("valid")
    assert runner.invoke(app, ["verify", str(xml)]).exit_code == 0  # bundle found next to it
    data = bytearray(xml.read_bytes())
    data[len(data) // 2] ^= 1
    forged = tmp_path / "forged.xml"
    forged.write_bytes(bytes(data))
    r = runner.invoke(app, ["verify", str(forged), "--bundle", str(bundle)])
    assert r.exit_code == 1 and r.output.startswith("invalid")
    assert (
        runner.invoke(app, ["certificates", "export", "NOPE", "--out", str(tmp_path)]).exit_code
        == 1
    )


def test_verify_consistency_with_an_older_checkpoint(client, auth, setup, tmp_path):
    from jiliang.cli import app

    rec = certfix.approved_record(client, auth, setup)
    number = certfix.issue(client, auth, rec["id"]).json()["number"]
    older = client.get("/.well-known/jiliang/checkpoint").text
    size = int(older.splitlines()[1])
    certfix.issue(client, auth, certfix.approved_record(client, auth, setup)["id"])  # log grows
    xml = tmp_path / "c.xml"
    xml.write_bytes(client.get(f"/api/v1/certificates/{number}/xml").content)
    r = call(
        client, auth, "GET", "/api/v1/certificates/{n}/bundle?older=" + str(size), None, n=number
    )
    assert r.status_code == 200, r.text
    bundle = tmp_path / "b.json"
    bundle.write_bytes(r.content)
    old = tmp_path / "old.checkpoint"
    old.write_text(older)
    res = runner.invoke(app, ["verify", str(xml), "--bundle", str(bundle), "--older", str(old)])
    assert res.exit_code == 0, res.output
    forged = tmp_path / "forged.checkpoint"
    lines = older.splitlines(keepends=True)
    lines[2] = ("A" if lines[2][0] != "A" else "B") + lines[2][1:]
    forged.write_text("".join(lines))
    res = runner.invoke(app, ["verify", str(xml), "--bundle", str(bundle), "--older", str(forged)])
    assert res.exit_code == 1 and "invalid" in res.output
