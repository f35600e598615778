"""DCC tests read the PTB schema and examples from the shared reference folder (never copied):
``$JILIANG_DCC_SCHEMA_DIR``, default ``$JILIANG_REFERENCE_DIR/dcc/schema`` with
``$JILIANG_REFERENCE_DIR`` defaulting to ``<repo>/../shared/reference``."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jiliang.dcc import EXAMPLE_CERT

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("JILIANG_REFERENCE_DIR", REPO.parent / "shared" / "reference"))
SCHEMA_DIR = Path(os.environ.get("JILIANG_DCC_SCHEMA_DIR", REFERENCE / "dcc" / "schema"))
EXAMPLES = REFERENCE / "dcc" / "examples"


@pytest.fixture(scope="session", autouse=True)
def dcc_schema_dir() -> Iterator[Path]:
    if not (SCHEMA_DIR / "v3.3.0" / "dcc.xsd").is_file():
        pytest.skip(f"DCC schema not found in {SCHEMA_DIR} (set JILIANG_DCC_SCHEMA_DIR)")
    old = os.environ.get("JILIANG_DCC_SCHEMA_DIR")
    os.environ["JILIANG_DCC_SCHEMA_DIR"] = str(SCHEMA_DIR)
    yield SCHEMA_DIR
    if old is None:
        os.environ.pop("JILIANG_DCC_SCHEMA_DIR", None)
    else:
        os.environ["JILIANG_DCC_SCHEMA_DIR"] = old


@pytest.fixture()
def example_cert() -> dict:
    return copy.deepcopy(EXAMPLE_CERT)


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


MINIMAL_CERT = {
    "number": "T-1",
    "begin_date": "2026-01-02",
    "items": [{"name": {"zh": "砝码", "en": "Weight"}, "serial_number": "S1"}],
    "laboratory": {"name": "Lab", "location": {"city": "Hangzhou"}},
    "resp_persons": [{"name": "A", "role": "approver", "main_signer": True}],
    "customer": {"name": "C", "location": {"country_code": "CN"}},
    "results": [{"name": "Mass", "quantities": [{"value": "1.000002", "unit": "kg"}]}],
}
