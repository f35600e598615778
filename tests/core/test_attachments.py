"""Attachments: type checked by magic number, size capped, stored with an audit entry, served
only to whom the owning feature allows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiliang.core import attachments
from jiliang.core.audit import AuditEntry
from jiliang.core.errors import NotFound, ValidationFailed
from jiliang.core.security import SYSTEM

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%test\n"

# a test-only owner kind: readable by signed-in users whose org id equals the owner id
attachments.register_owner("test_owner", lambda _s, who, owner_id: who is not None and who.org_id == owner_id)


@pytest.mark.parametrize(
    ("ctype", "data", "ok"),
    [
        ("image/png", PNG, True),
        ("image/jpg", b"\xff\xd8\xff\xe0rest", True),
        ("application/pdf", PDF, True),
        ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", True),
        ("image/webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", False),
        ("image/png", PDF, False),
        ("text/html", b"<script>alert(1)</script>", False),
        ("image/png", b"", False),
    ],
)
def test_content_must_match_the_declared_type(ctype, data, ok):
    if ok:
        assert attachments.sniff(ctype, data).startswith(ctype.split("/")[0])
    else:
        with pytest.raises(ValidationFailed) as err:
            attachments.sniff(ctype, data)
        assert "attachments" in err.value.errors


def test_size_and_count_limits():
    with pytest.raises(ValidationFailed):
        attachments.sniff("application/pdf", b"%PDF-" + b"x" * attachments.MAX_BYTES)
    with pytest.raises(ValidationFailed):
        attachments.check_files([("a.png", "image/png", PNG)] * (attachments.MAX_PER_OWNER + 1))


def test_filenames_are_cleaned():
    [(name, _ctype, _data)] = attachments.check_files([('../x/"evil"\n.png', "image/png", PNG)])
    assert "/" not in name and '"' not in name and "\n" not in name


def test_store_audits_and_serves_to_allowed_readers_only(db, client, auth):
    from jiliang.people.models import User

    org_id = db.scalar(select(User.org_id).where(User.username == "enterprise"))
    [att] = attachments.store(db, SYSTEM, "test_owner", org_id, [("photo.png", "image/png", PNG)])
    db.commit()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity == "attachment", AuditEntry.entity_id == str(att.id)))
    assert entry is not None and entry.after["sha256"] == att.sha256 and "data" not in entry.after
    assert attachments.as_dict(att)["url"] == f"/attachments/{att.id}"

    r = client.get(f"/attachments/{att.id}", headers=auth("enterprise"))
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/attachments/{att.id}", headers=auth("enterprise_b")).status_code == 404
    assert client.get(f"/attachments/{att.id}").status_code == 404
    assert client.get("/attachments/99999999999").status_code == 404
    with pytest.raises(NotFound):
        attachments.get_readable(db, None, att.id)


def test_unregistered_owner_kind_is_a_programming_error(db):
    with pytest.raises(ValueError):
        attachments.store(db, SYSTEM, "nobody_registered_this", 1, [("a.png", "image/png", PNG)])
