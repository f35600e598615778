"""The command line against the session's test database."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from jiliang.cli import app

runner = CliRunner()


def test_db_upgrade_is_idempotent(platform):
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_import_dry_run_reports_rows(platform, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("器具类型代码,出厂编号,用途,使用单位统一社会信用代码\nWT-PRICE,CLI-1,贸易结算,\nBAD,CLI-2,其他,\n",
                 encoding="utf-8")
    result = runner.invoke(app, ["import", "instruments", str(f), "--dry-run", "--json"])
    assert result.exit_code == 1  # errors and nothing imported
    assert '"imported": 0' in result.output
    assert '"field": "type_code"' in result.output
    assert '"field": "owner_uscc"' in result.output


def test_export_region_csv(platform, tmp_path):
    out = tmp_path / "yanta.csv"
    result = runner.invoke(app, ["export", "instruments", "--region", "610113", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "编号"
    assert rows[1:] and {r[11] for r in rows[1:]} == {"610113"}
    bad = runner.invoke(app, ["export", "instruments", "--region", "999999"])
    assert bad.exit_code == 2 and "unknown region" in bad.output


def test_user_add_validates_scope(platform):
    ok = runner.invoke(app, ["user", "add", "cli_reg", "--role", "regulator", "--scope", "610102", "--password", "long-enough-1"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["user", "add", "cli_reg2", "--role", "regulator", "--scope", "619999", "--password", "long-enough-1"])
    assert bad.exit_code == 2 and "scope_region" in bad.output
    short = runner.invoke(app, ["user", "add", "cli_reg3", "--role", "admin", "--password", "short"])
    assert short.exit_code == 2 and "password" in short.output


def test_kernel_commands_read_files_and_stdin(tmp_path):
    """The exact CLI interfaces of the kernels: file or '-' for stdin, --json, named errors."""
    import json

    model = {"equations": ["y = a * b"], "inputs": {"a": {"dist": "normal", "mean": 2, "std": 0.1},
                                                     "b": {"dist": "rectangular", "low": 0.9, "high": 1.1}},
             "methods": ["gum"]}
    f = tmp_path / "model.json"
    f.write_text(json.dumps(model))
    out = runner.invoke(app, ["uncertainty", "evaluate", str(f), "--json"])
    assert out.exit_code == 0, out.output
    gum = json.loads(out.output)["outputs"]["y"]["gum"]
    assert gum["value"] == 2.0 and gum["budget"][0]["input"] in ("a", "b")
    text = runner.invoke(app, ["uncertainty", "evaluate", "-"], input=json.dumps(model))
    assert text.exit_code == 0 and "y" in text.output
    risk = runner.invoke(app, ["risk", "evaluate", "-", "--json"], input='{"measured": 0, "u": 0.5, "limits": [-1, 1]}')
    assert risk.exit_code == 0
    assert abs(json.loads(risk.output)["conformance_probability"] - 0.9544997361) < 1e-9
    bad = runner.invoke(app, ["prepackaged", "evaluate", "-", "--json"], input='{"rules": "nope"}')
    assert bad.exit_code == 2 and json.loads(bad.output)["field"]
    broken = runner.invoke(app, ["risk", "evaluate", "-"], input="{not json")
    assert broken.exit_code == 2 and "not valid JSON" in broken.output
