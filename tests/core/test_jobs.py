"""Nightly jobs: listed from features, run one by one, each run audited; unknown names refused."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from jiliang import jobs
from jiliang.cli import app
from jiliang.core.audit import AuditEntry


def test_every_available_job_is_a_registered_feature_job():
    from jiliang.features import NIGHTLY_JOBS

    registered = {f"{spec.partition(':')[0].removeprefix('jiliang.')}.{spec.partition(':')[2]}" for spec in NIGHTLY_JOBS}
    assert set(jobs.available()) <= registered


def test_unknown_job_is_refused_with_the_known_names(platform):
    result = CliRunner().invoke(app, ["jobs", "run", "--only", "no.such.job"])
    assert result.exit_code == 2
    assert "no.such.job" in result.output


def test_a_failing_job_is_reported_and_the_others_still_run(platform, db, monkeypatch):
    def boom(_session):
        raise RuntimeError("disk on fire")

    def fine(_session):
        return {"checked": 3}

    monkeypatch.setattr(jobs, "available", lambda: {"test.boom": boom, "test.fine": fine})
    results = jobs.run_nightly()
    assert results["test.boom"] == {"ok": False, "error": "RuntimeError: disk on fire"}
    assert results["test.fine"] == {"ok": True, "summary": {"checked": 3}}
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity == "job", AuditEntry.entity_id == "test.fine")
                      .order_by(AuditEntry.id.desc()))
    assert entry.after["summary"] == {"checked": 3}
    # the failed job's transaction was rolled back: no audit entry claims it ran
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.entity == "job", AuditEntry.entity_id == "test.boom")) is None
