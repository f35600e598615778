"""Fixtures for the net-content tests: who is who, where the producers are, lots to inspect."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select


@dataclass(frozen=True)
class Place:
    org_id: int
    county: str
    city: str | None


@pytest.fixture(scope="session")
def nc_places(platform):
    """The Yanta enterprise (user ``enterprise``) and the other one (``enterprise_b``)."""
    from jiliang.core.db import session_scope
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User

    with session_scope() as s:
        out = {}
        for key, username in (("ent", "enterprise"), ("ent_b", "enterprise_b")):
            org_id = s.scalar(select(User.org_id).where(User.username == username))
            org = s.get(Organisation, org_id)
            out[key] = Place(org.id, org.region_code, org.city_code)
        out["regulator_org"] = s.scalar(
            select(Organisation.id)
            .where(Organisation.kind == "regulator")
            .order_by(Organisation.id)
        )
        return out


@pytest.fixture()
def who(db):
    """``who(username)`` → the Principal of a demo user."""
    from jiliang.people.models import User
    from jiliang.people.service import principal_for

    def get(username: str):
        return principal_for(db, db.scalar(select(User).where(User.username == username)))

    return get
