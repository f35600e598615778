import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def setup(platform):
    import calfix
    import certfix  # noqa: F401  (puts calfix on the path)

    return calfix.lab_setup()


@pytest.fixture()
def web(app):
    """A separate browser-like client: pages set a language cookie that must not leak into the
    session-wide API client."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
