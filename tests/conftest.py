"""Shared fixtures: one migrated database with a small seeded data set per test session.

The database is SQLite in a temporary folder, or PostgreSQL when
``JILIANG_TEST_DATABASE_URL`` is set (CI runs the suite on both). Reference material lives
outside the repository, in ``../shared/reference`` (override with ``JILIANG_REFERENCE_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("JILIANG_REFERENCE_DIR", REPO.parent / "shared" / "reference"))
os.environ.setdefault("JILIANG_DCC_SCHEMA_DIR", str(REFERENCE / "dcc" / "schema"))

PASSWORD = "jiliang-demo"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ.get("JILIANG_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def platform(database_url, tmp_path_factory):
    """Migrate a fresh database, load regions, types, the tiny demo set and a few test users."""
    data_dir = tmp_path_factory.mktemp("jiliang-data")
    url = database_url or f"sqlite:///{data_dir / 'test.sqlite3'}"
    if url.startswith("postgresql"):
        _reset_postgres(url)
    os.environ["JILIANG_DATABASE_URL"] = url
    os.environ["JILIANG_DATA_DIR"] = str(data_dir)
    os.environ["JILIANG_DEMO_PASSWORD"] = PASSWORD
    from jiliang import demo
    from jiliang.bootstrap import prepare_database
    from jiliang.core.db import reset_engine, session_scope

    reset_engine()
    prepare_database()
    with session_scope() as session:
        demo.generate(session, "tiny", seed=7)
        _extra_users(session)
    yield url
    reset_engine()


def _extra_users(session) -> None:
    """Users in other organisations and a neighbouring county, for scope tests."""
    from sqlalchemy import select

    from jiliang.core.security import SYSTEM
    from jiliang.orgs.models import Organisation
    from jiliang.people.models import User
    from jiliang.people.service import create_user

    yanta_ent = session.scalar(select(User.org_id).where(User.username == "enterprise"))
    other = session.scalar(
        select(Organisation.id)
        .where(Organisation.kind == "enterprise", Organisation.region_code != "610113",
               Organisation.id != yanta_ent)
        .order_by(Organisation.id)
    )
    other_lab = session.scalar(
        select(Organisation.id).where(Organisation.kind == "calibration_lab").order_by(Organisation.id)
    )
    for username, role, extra in [
        ("enterprise_b", "enterprise", {"org_id": other}),
        ("beilin", "regulator", {"scope_region": "610103"}),
        ("baoji", "regulator", {"scope_region": "610300"}),
        ("labmanager_b", "lab_manager", {"org_id": other_lab}),
    ]:
        create_user(session, SYSTEM, username=username, display_name=username, role=role,
                    password=PASSWORD, **extra)


@pytest.fixture(scope="session")
def app(platform):
    from jiliang.app import create_app

    return create_app()


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


_TOKENS: dict[str, str] = {}


@pytest.fixture(scope="session")
def auth(client):
    """``auth(username)`` → headers with a bearer token for that demo user."""

    def headers(username: str | None) -> dict[str, str]:
        if username is None:
            return {}
        if username not in _TOKENS:
            r = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            _TOKENS[username] = r.json()["token"]
        return {"Authorization": f"Bearer {_TOKENS[username]}"}

    return headers


@pytest.fixture()
def db(platform):
    from jiliang.core.db import session_scope

    with session_scope() as session:
        yield session


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.exists():
        pytest.skip(f"reference material not found at {REFERENCE}")
    return REFERENCE


def pytest_collection_modifyitems(config, items):
    # the fuzzer writes random valid data: run it after every test that reads the demo data
    items.sort(key=lambda item: ("coverage_check" in item.keywords, "fuzz" in item.keywords))
    if os.environ.get("JILIANG_SKIP_E2E"):
        skip = pytest.mark.skip(reason="JILIANG_SKIP_E2E set")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


