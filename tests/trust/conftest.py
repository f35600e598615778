"""Fixtures for the trust tests: an organisation with a DCC key, and issuing a signed DCC."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from trustfix import new_number, signed_dcc


@pytest.fixture(scope="session")
def lab_org(platform) -> int:
    """The laboratory of the demo user ``labmanager``, with an active DCC key."""
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM
    from jiliang.people.models import User
    from jiliang.trust import keys

    with session_scope() as session:
        org_id = session.scalar(select(User.org_id).where(User.username == "labmanager"))
        if keys._active(session, "dcc", org_id) is None:
            keys.create_key(session, SYSTEM, "dcc", org_id)
    return org_id


@pytest.fixture()
def issue(lab_org):
    """``issue(number=None) -> (number, xml)``: sign a DCC and log it as issued (committed)."""
    from jiliang.core.db import session_scope
    from jiliang.core.security import SYSTEM
    from jiliang.trust import service

    def run(number: str | None = None) -> tuple[str, bytes]:
        number = number or new_number()
        with session_scope() as session:
            xml, fp = signed_dcc(session, lab_org, number)
            service.append(
                session,
                SYSTEM,
                "issued",
                {
                    "certificate_number": number,
                    "issuer_org_id": lab_org,
                    "xml_sha256": hashlib.sha256(xml).hexdigest(),
                    "key_sha256": fp,
                },
            )
        return number, xml

    return run
