"""Shared fixtures: where the public reference material lives (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    """``$JILIANG_REFERENCE_DIR``, defaulting to ``<repo>/../shared/reference``."""
    return Path(os.environ.get("JILIANG_REFERENCE_DIR", REPO.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def merkle_vectors_dir() -> Path:
    path = reference_dir() / "merkle-vectors" / "testdata"
    if not path.is_dir():
        pytest.skip(f"merkle vectors not found at {path} (set JILIANG_REFERENCE_DIR)")
    return path
