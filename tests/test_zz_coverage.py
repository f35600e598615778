"""Runs last: every API endpoint in the OpenAPI schema was exercised by a role/scope test."""

from __future__ import annotations

import re

import pytest

from rolecheck import EXERCISED

pytestmark = pytest.mark.coverage_check


def test_every_api_endpoint_is_covered(app, request):
    if request.config.option.keyword or request.config.option.markexpr:
        pytest.skip("only meaningful on a full run")
    spec = app.openapi()
    declared = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, ops in spec["paths"].items()
        for method in ops
    }
    exercised = {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p in EXERCISED}
    missing = sorted(declared - exercised)
    assert not missing, f"endpoints without a role/scope test: {missing}"
