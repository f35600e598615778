"""The database-backed log: proofs against published checkpoints, no gaps, append-only."""

from __future__ import annotations

import base64
import threading

import pytest
from sqlalchemy import event, text
from trustfix import new_number

from jiliang.core.db import get_engine, session_scope
from jiliang.core.errors import Conflict, ValidationFailed
from jiliang.core.security import SYSTEM
from jiliang.ledger import (
    MemoryStore,
    consistency_proof,
    inclusion_proof,
    verify_checkpoints_consistent,
    verify_entry_in_checkpoint,
)
from jiliang.trust import service
from jiliang.trust.models import LogEntry

FP = "ab" * 32


def _append_revocable(session, number: str, org: int = 1):
    return service.append(
        session,
        SYSTEM,
        "issued",
        {"certificate_number": number, "issuer_org_id": org, "xml_sha256": FP, "key_sha256": FP},
    )


def _b(items):
    return [base64.b64decode(x) for x in items]


def test_many_appends_every_proof_verifies_against_the_published_checkpoint(client):
    with session_scope() as session:
        start = service.log_size(session)
        for _ in range(70):
            _append_revocable(session, new_number("MANY"))
    cp = client.get("/.well-known/jiliang/checkpoint")
    assert cp.status_code == 200 and cp.headers["content-type"].startswith("text/plain")
    vkey = client.get("/.well-known/jiliang/log-key").text.strip()
    size = int(cp.text.split("\n")[1])
    assert size >= start + 70
    # the database log equals an in-memory log of the same leaves (roots and proofs)
    with session_scope() as session:
        leaves = [
            bytes(h)
            for (h,) in session.execute(text('SELECT leaf_hash FROM log_entries ORDER BY "index"'))
        ]
    assert len(leaves) == size
    mem = MemoryStore(leaves)
    for index in range(size):
        body = client.get(f"/api/v1/log/entries/{index}").json()
        assert body["index"] == index and body["tree_size"] == size
        proof = _b(body["inclusion_proof"])
        assert proof == inclusion_proof(index, size, mem)
        verify_entry_in_checkpoint(body["entry"].encode(), index, proof, body["checkpoint"], vkey)
    with session_scope() as session:
        assert service.root_at(session, size) == mem.root()
        for old in range(1, size + 1, 7):
            assert service.consistency_proof_for(session, old, size) == consistency_proof(
                old, size, mem
            )


def test_consistency_between_published_checkpoints(client):
    old = client.get("/.well-known/jiliang/checkpoint").text
    with session_scope() as session:
        for _ in range(5):
            _append_revocable(session, new_number("CONS"))
    new = client.get("/.well-known/jiliang/checkpoint").text
    vkey = client.get("/.well-known/jiliang/log-key").text
    m, n = int(old.split("\n")[1]), int(new.split("\n")[1])
    assert 0 < m < n
    body = client.get(f"/api/v1/log/proof/consistency?old={m}&new={n}").json()
    assert body["old_checkpoint"] == old and body["new_checkpoint"] == new
    verify_checkpoints_consistent(old, new, _b(body["proof"]), vkey)
    # kept history
    assert client.get(f"/api/v1/log/checkpoints/{m}").text == old
    assert client.get(f"/api/v1/log/checkpoints/{n}").text == new
    # a proof between different sizes does not pass for the wrong pair
    from jiliang.ledger import CheckpointError

    if n > m + 1:
        other = client.get(f"/api/v1/log/proof/consistency?old={m + 1}&new={n}").json()
        with pytest.raises(CheckpointError):
            verify_checkpoints_consistent(old, new, _b(other["proof"]), vkey)


def test_no_index_gap_after_a_rolled_back_append(platform):
    number = new_number("ROLLBACK")
    with pytest.raises(RuntimeError), session_scope() as session:
        lost = _append_revocable(session, number).index
        raise RuntimeError("the certificate could not be stored")
    with session_scope() as session:
        assert session.get(LogEntry, lost) is None
        again = _append_revocable(session, number).index
    assert again == lost
    with session_scope() as session:
        n = service.log_size(session)
        count = session.execute(text('SELECT count(*), max("index") FROM log_entries')).one()
    assert tuple(count) == (n, n - 1)


def test_concurrent_appends_get_consecutive_indices(platform):
    if get_engine().dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers (one write transaction at a time)")
    got: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(10):
                with session_scope() as session:
                    got.append(_append_revocable(session, new_number("PAR")).index)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == list(range(min(got), min(got) + 40))


@pytest.mark.parametrize("table", ["log_entries", "log_nodes", "log_checkpoints"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
def test_the_database_refuses_update_and_delete(client, table, statement):
    client.get("/.well-known/jiliang/checkpoint")  # at least one checkpoint row
    with session_scope() as session:
        _append_revocable(session, new_number("TRIG"))
    column = {"log_entries": "kind", "log_nodes": "hash", "log_checkpoints": "note"}[table]
    with pytest.raises(Exception, match="append-only"), get_engine().begin() as conn:
        conn.execute(text(statement.format(t=table, c=column)))


def test_postgresql_refuses_truncate(platform):
    if get_engine().dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    for table in ("log_entries", "log_nodes", "log_checkpoints"):
        with pytest.raises(Exception, match="append-only"), get_engine().begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))


def test_a_proof_reads_its_nodes_in_one_query(platform):
    with session_scope() as session:
        for _ in range(3):
            _append_revocable(session, new_number("ONEQ"))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_engine()
    with session_scope() as session:
        size = service.log_size(session)
        event.listen(engine, "before_cursor_execute", count)
        try:
            service.inclusion_proof_for(session, size // 2, size)
            service.consistency_proof_for(session, max(1, size // 3), size)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "log_nodes" in s]) == 2


def test_payload_rules(platform):
    number = new_number("RULES")
    with session_scope() as session:
        with pytest.raises(ValidationFailed) as err:
            service.append(
                session,
                SYSTEM,
                "issued",
                {"certificate_number": number, "issuer_org_id": 1, "xml_sha256": FP},
            )
        assert "key_sha256" in err.value.errors
        with pytest.raises(ValidationFailed) as err:
            service.append(
                session,
                SYSTEM,
                "issued",
                {
                    "certificate_number": number,
                    "issuer_org_id": 1,
                    "xml_sha256": FP,
                    "key_sha256": FP,
                    "customer_phone": "13800000000",
                },
            )
        assert "payload" in err.value.errors  # private fields never reach the public log
        with pytest.raises(ValidationFailed):
            service.append(session, SYSTEM, "deleted", {"certificate_number": number})
        before = service.log_size(session)
        with pytest.raises(Conflict):  # nothing to revoke
            service.append(
                session,
                SYSTEM,
                "revoked",
                {"certificate_number": number, "issuer_org_id": 1, "reason": "wrong"},
            )
        # the caller caught the error and goes on to commit: the index was given back
        assert service.log_size(session) == before
    with session_scope() as session:
        _append_revocable(session, number)
    with session_scope() as session, pytest.raises(Conflict):  # numbers are never reused
        _append_revocable(session, number)
    with session_scope() as session:
        with pytest.raises(ValidationFailed):  # a revocation needs a reason
            service.append(
                session, SYSTEM, "revoked", {"certificate_number": number, "issuer_org_id": 1}
            )
        service.append(
            session,
            SYSTEM,
            "revoked",
            {"certificate_number": number, "issuer_org_id": 1, "reason": "测量错误"},
        )
    with session_scope() as session, pytest.raises(Conflict):
        service.append(
            session,
            SYSTEM,
            "superseded",
            {"certificate_number": number, "issuer_org_id": 1, "reason": "again"},
        )


def test_bad_indices_and_sizes_are_4xx_with_the_field(client):
    size = int(client.get("/.well-known/jiliang/checkpoint").text.split("\n")[1])
    cases = [
        (f"/api/v1/log/entries/{size + 10}", 404, "index"),
        ("/api/v1/log/entries/-1", 422, "index"),
        ("/api/v1/log/entries/99999999999999999999", 422, "index"),
        ("/api/v1/log/proof/consistency?old=0&new=1", 422, "old"),
        (f"/api/v1/log/proof/consistency?old={size}&new={size + 1}", 404, "new"),
        (f"/api/v1/log/proof/consistency?old={size + 1}&new={size + 2}", 404, "old"),
        ("/api/v1/log/proof/consistency?old=2&new=1", 404, "new"),
        ("/api/v1/log/proof/consistency?old=1", 422, "new"),
        (f"/api/v1/log/checkpoints/{size + 1000}", 404, "size"),
        ("/api/v1/log/checkpoints/abc", 422, "size"),
    ]
    for url, status, field in cases:
        r = client.get(url)
        assert r.status_code == status, (url, r.text)
        assert field in r.json()["fields"], (url, r.json())


def test_append_many_equals_one_by_one_and_is_all_or_nothing(platform):
    from jiliang.ledger import tree_root

    with session_scope() as session:
        before = service.log_size(session)
        items = [
            (
                "issued",
                {
                    "certificate_number": new_number("BATCH"),
                    "issuer_org_id": 2,
                    "xml_sha256": FP,
                    "key_sha256": FP,
                },
            )
            for _ in range(37)
        ]
        items.append(
            (
                "revoked",
                {
                    "certificate_number": items[3][1]["certificate_number"],
                    "issuer_org_id": 2,
                    "reason": "batch",
                },
            )
        )
        entries = service.append_many(session, SYSTEM, items)
        assert [e.index for e in entries] == list(range(before, before + 38))
    with session_scope() as session:
        leaves = [
            bytes(h)
            for (h,) in session.execute(text('SELECT leaf_hash FROM log_entries ORDER BY "index"'))
        ]
        mem = MemoryStore(leaves)
        size = service.log_size(session)
        assert size == len(leaves)
        assert service.root_at(session, size) == mem.root() == tree_root(size, mem)
        fresh = (
            "issued",
            {
                "certificate_number": new_number("BATCH"),
                "issuer_org_id": 2,
                "xml_sha256": FP,
                "key_sha256": FP,
            },
        )
        with pytest.raises(Conflict):  # the second item repeats a number: nothing is appended
            service.append_many(session, SYSTEM, [fresh, fresh])
        assert service.log_size(session) == size


def test_batches_of_any_size_keep_every_node_right(platform):
    rng = __import__("random").Random(11)
    with session_scope() as session:
        for _ in range(8):
            size = rng.randrange(1, 20)
            service.append_many(
                session,
                SYSTEM,
                [
                    (
                        "issued",
                        {
                            "certificate_number": new_number("PROP"),
                            "issuer_org_id": 3,
                            "xml_sha256": FP,
                            "key_sha256": FP,
                        },
                    )
                    for _ in range(size)
                ],
            )
    with session_scope() as session:
        leaves = [
            bytes(h)
            for (h,) in session.execute(text('SELECT leaf_hash FROM log_entries ORDER BY "index"'))
        ]
        mem = MemoryStore(leaves)
        stored = {
            (lv, ix): bytes(h)
            for lv, ix, h in session.execute(text("SELECT level, idx, hash FROM log_nodes"))
        }
    expected = {(lv, ix): h for lv, row in enumerate(mem._levels) for ix, h in enumerate(row)}
    assert stored == expected
