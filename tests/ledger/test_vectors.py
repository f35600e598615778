"""The public RFC 6962/9162 proof vectors (transparency-dev/merkle testdata): the verifiers
must accept exactly the cases with ``wantErr: false`` and reject all the others."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from jiliang.ledger import verify_consistency, verify_inclusion

from .conftest import reference_dir

VECTORS = reference_dir() / "merkle-vectors" / "testdata"


def _cases(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json")) if VECTORS.is_dir() else []


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(VECTORS)) for p in paths]


INCLUSION = _cases("inclusion")
CONSISTENCY = _cases("consistency")


def test_vectors_are_present(merkle_vectors_dir: Path) -> None:
    assert len(INCLUSION) > 50
    assert len(CONSISTENCY) > 50


@pytest.mark.parametrize("path", INCLUSION, ids=_ids(INCLUSION))
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    ok = verify_inclusion(
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    assert ok is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=_ids(CONSISTENCY))
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    ok = verify_consistency(
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        [_b64(p) for p in case["proof"] or []],
    )
    assert ok is (not case["wantErr"]), case["desc"]
