"""Registry services: validation names the field and rule, writes are audited, nothing is deleted."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text

from jiliang.core import audit, resources
from jiliang.core.errors import Forbidden, ValidationFailed
from jiliang.core.security import SYSTEM


@pytest.fixture()
def owner(db):
    from jiliang.people.models import User

    return db.scalar(select(User.org_id).where(User.username == "enterprise"))


def _enterprise(db):
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    return principal_for(db, db.scalar(select(User).where(User.username == "enterprise")))


def test_bad_fields_are_named_with_their_rule(db):
    from jiliang.instruments.service import INSTRUMENTS

    with pytest.raises(ValidationFailed) as err:
        resources.create(db, _enterprise(db), INSTRUMENTS,
                         {"type_id": "x", "serial_no": "S" * 101, "use": "nonsense", "due_date": "2025-13-45"})
    fields = err.value.errors
    assert set(fields) == {"type_id", "serial_no", "use", "due_date"}
    assert "YYYY-MM-DD" in fields["due_date"][1]
    assert "100" in fields["serial_no"][1]
    assert "trade_settlement" in fields["use"][1]
    assert fields["due_date"][0].startswith("有效期至")


def test_unknown_and_protected_fields_are_refused(db):
    from jiliang.instruments.service import INSTRUMENTS

    with pytest.raises(ValidationFailed) as err:
        resources.create(db, _enterprise(db), INSTRUMENTS,
                         {"type_id": 1, "serial_no": "A1", "use": "other", "status": "in_service", "qr_token": "x"})
    assert set(err.value.errors) == {"status", "qr_token"}


def test_uscc_check_character_is_enforced(db):
    from jiliang.orgs.service import ORGANISATIONS

    base = {"name": "西安测试有限公司", "kind": "enterprise", "region_code": "610113"}
    with pytest.raises(ValidationFailed) as err:
        resources.create(db, SYSTEM, ORGANISATIONS, {**base, "uscc": "91350100M000100Y44"})
    assert "uscc" in err.value.errors
    org = resources.create(db, SYSTEM, ORGANISATIONS, {**base, "uscc": "91350100m000100y43"})
    assert org.uscc == "91350100M000100Y43"
    assert org.city_code == "610100"
    db.rollback()


def test_unknown_region_is_named(db):
    from jiliang.orgs.service import ORGANISATIONS

    with pytest.raises(ValidationFailed) as err:
        resources.create(db, SYSTEM, ORGANISATIONS, {"name": "x", "kind": "enterprise", "region_code": "619999"})
    assert "region_code" in err.value.errors


def test_every_write_is_audited_with_before_and_after(db, owner):
    from jiliang.instruments.service import INSTRUMENTS, transition

    who = _enterprise(db)
    inst = resources.create(db, who, INSTRUMENTS, {"type_id": 1, "serial_no": "AUD-1", "use": "other"})
    assert inst.owner_org_id == owner and inst.status == "registered" and len(inst.qr_token) >= 16
    resources.update(db, who, INSTRUMENTS, inst.id, {"location": "二楼"}, reason="moved")
    transition(db, who, inst.id, "in_service")
    entries = audit.entries_for(db, "instrument", inst.id)
    assert [e.action for e in entries] == ["status", "update", "create"]
    update = entries[1]
    assert update.actor_name == "enterprise" and update.reason == "moved"
    assert update.before == {"location": None, "updated_at": update.before["updated_at"]} or update.before["location"] is None
    assert update.after["location"] == "二楼"
    assert entries[0].before["status"] == "registered" and entries[0].after["status"] == "in_service"
    db.rollback()


def test_life_cycle_refuses_illegal_transitions(db):
    from jiliang.instruments.service import INSTRUMENTS, transition

    who = _enterprise(db)
    inst = resources.create(db, who, INSTRUMENTS, {"type_id": 1, "serial_no": "LC-1", "use": "other"})
    with pytest.raises(ValidationFailed) as err:
        transition(db, who, inst.id, "scrapped")
    assert "reason" in err.value.errors
    transition(db, who, inst.id, "scrapped", "损坏")
    with pytest.raises(ValidationFailed) as err:
        transition(db, who, inst.id, "in_service")
    assert "status" in err.value.errors
    with pytest.raises(Forbidden):
        resources.update(db, who, INSTRUMENTS, inst.id, {"location": "x"})
    db.rollback()


def test_retire_keeps_the_row_and_needs_a_reason(db):
    from jiliang.standards.service import STANDARDS

    std = db.scalars(select(STANDARDS.model).order_by(STANDARDS.model.id)).first()
    with pytest.raises(ValidationFailed):
        resources.retire(db, SYSTEM, STANDARDS, std.id, "  ")
    resources.retire(db, SYSTEM, STANDARDS, std.id, "考核证书过期")
    assert db.get(STANDARDS.model, std.id).status == "retired"
    assert audit.entries_for(db, "standard", std.id)[0].reason == "考核证书过期"
    db.rollback()


def test_audit_entries_cannot_be_changed_in_the_database(db):
    """The service offers no way to change an entry; the database refuses it too (trigger)."""
    entry_id = db.scalar(select(func.min(audit.AuditEntry.id)))
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("UPDATE audit_entries SET actor_name = 'mallory' WHERE id = :i"), {"i": entry_id})
    db.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("DELETE FROM audit_entries WHERE id = :i"), {"i": entry_id})
    db.rollback()


def test_secrets_never_reach_the_audit_trail(db):
    from jiliang.people.service import create_user

    user = create_user(db, SYSTEM, username="audit_pw", display_name="x", role="admin", password="very-secret-1")
    after = audit.entries_for(db, "user", user.id)[0].after
    assert "password_hash" not in after and "password" not in after
    assert "very-secret" not in str(after)
    db.rollback()


def test_lists_sort_filter_search_and_page(db):
    from jiliang.instruments.service import INSTRUMENTS

    who = _enterprise(db)
    page = resources.list_page(db, who, INSTRUMENTS, sort="due_date", per_page=5)
    dates = [i.due_date for i in page.items if i.due_date]
    assert dates == sorted(dates)
    desc = resources.list_page(db, who, INSTRUMENTS, sort="-due_date", per_page=5)
    assert [i.due_date for i in desc.items if i.due_date] == sorted([i.due_date for i in desc.items if i.due_date], reverse=True)
    overdue = resources.list_page(db, SYSTEM, INSTRUMENTS, filters={"status": "overdue"}, per_page=200)
    assert overdue.total > 0 and all(i.status == "overdue" for i in overdue.items)
    serial = overdue.items[0].serial_no
    found = resources.list_page(db, SYSTEM, INSTRUMENTS, q=serial[-6:])
    assert serial in [i.serial_no for i in found.items]
    second = resources.list_page(db, SYSTEM, INSTRUMENTS, page=2, per_page=10)
    first = resources.list_page(db, SYSTEM, INSTRUMENTS, page=1, per_page=10)
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    with pytest.raises(ValidationFailed):
        resources.list_page(db, SYSTEM, INSTRUMENTS, sort="password_hash")
    with pytest.raises(ValidationFailed):
        resources.list_page(db, SYSTEM, INSTRUMENTS, filters={"qr_token": "x"})


# ------------------------------------------------------------------ import / export

GOOD_BAD = (
    "器具类型代码,出厂编号,用途,有效期至\n"
    "WT-PRICE,IMP-GOOD-1,贸易结算,2027-01-31\n"
    "NO-SUCH,IMP-BAD-1,贸易结算,2027-01-31\n"
    "WT-PRICE,IMP-BAD-2,贸易结算,2027-02-30\n"
    "FL-FUEL,IMP-GOOD-2,trade_settlement,\n"
)


def _count(db, serial_prefix: str) -> int:
    from jiliang.instruments.models import Instrument

    return db.scalar(select(func.count()).where(Instrument.serial_no.like(serial_prefix + "%")))


def test_import_reports_every_bad_row_and_imports_nothing(db):
    from jiliang.instruments.io import import_instruments

    report = import_instruments(db, _enterprise(db), "file.csv", GOOD_BAD.encode())
    assert (report.rows, report.valid, report.imported) == (4, 2, 0)
    assert [(p.row, p.field) for p in report.problems] == [(3, "type_code"), (4, "due_date")]
    assert _count(db, "IMP-") == 0


def test_import_valid_rows_only_and_dry_run(db):
    from jiliang.instruments.io import import_instruments

    who = _enterprise(db)
    dry = import_instruments(db, who, "file.csv", GOOD_BAD.encode(), dry_run=True, valid_only=True)
    assert dry.imported == 0 and _count(db, "IMP-") == 0
    report = import_instruments(db, who, "file.csv", GOOD_BAD.encode(), valid_only=True)
    assert report.imported == 2 and _count(db, "IMP-GOOD") == 2 and _count(db, "IMP-BAD") == 0
    db.rollback()


def test_import_xlsx_and_export_round_trip(db):
    from openpyxl import Workbook, load_workbook

    from jiliang.instruments.io import export_rows, import_instruments, to_xlsx

    wb = Workbook()
    ws = wb.active
    ws.append(["Type code", "Serial no.", "Use", "Owner USCC"])
    ws.append(["WT-NAWI", "XLSX-1", "other", None])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_instruments(db, _enterprise(db), "x.xlsx", buf.getvalue())
    assert report.imported == 1, report.to_dict()
    header, rows = export_rows(db, _enterprise(db), {}, "XLSX-1", "en")
    book = load_workbook(io.BytesIO(to_xlsx(header, rows)))
    values = list(book.active.iter_rows(values_only=True))
    assert values[0][3] == "Serial no." and values[1][3] == "XLSX-1" and len(values) == 2
    db.rollback()


def test_import_rejects_unreadable_files(db):
    from jiliang.instruments.io import ImportFileError, import_instruments

    with pytest.raises(ImportFileError):
        import_instruments(db, SYSTEM, "x.txt", b"hello")
    with pytest.raises(ImportFileError):
        import_instruments(db, SYSTEM, "x.xlsx", b"not a zip")
    with pytest.raises(ImportFileError):
        import_instruments(db, SYSTEM, "x.csv", "名称\nfoo\n".encode())


def test_api_errors_speak_the_requested_language(client, auth):
    body = {"type_id": 1, "serial_no": "L-1", "use": "other", "due_date": "2025-13-45"}
    r = client.post("/api/v1/instruments?lang=en", json=body, headers=auth("enterprise"))
    assert r.status_code == 422 and r.json()["fields"]["due_date"]
    r = client.post("/api/v1/instruments", json={**body, "due_date": "2026-01-01", "region_code": "619999"},
                    headers={**auth("enterprise"), "Accept-Language": "en"})
    assert r.status_code == 422 and "unknown region code" in r.json()["fields"]["region_code"]
    r = client.post("/api/v1/instruments", json={**body, "due_date": "2026-01-01", "region_code": "619999"},
                    headers=auth("enterprise"))
    assert "行政区划代码" in r.json()["fields"]["region_code"]


def test_migrations_match_the_models(platform):
    """The schema comes only from migrations: autogenerate finds nothing left to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import jiliang.models
    from jiliang.core.db import get_engine

    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), jiliang.models.metadata)
    assert diff == []


def test_nul_characters_are_refused_by_name(db):
    """PostgreSQL cannot store NUL in text: refused as a field error, ignored in searches."""
    from jiliang.instruments.service import INSTRUMENT_TYPES, INSTRUMENTS

    with pytest.raises(ValidationFailed) as err:
        resources.create(db, SYSTEM, INSTRUMENT_TYPES, {"code": "NUL-1", "category": "质量",
                                                       "name_zh": "a\x00b", "name_en": "x"})
    assert "name_zh" in err.value.errors
    assert resources.list_page(db, SYSTEM, INSTRUMENTS, q="\x00", filters={"status": "in\x00_service"}).total >= 0
