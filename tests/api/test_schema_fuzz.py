"""Property-based fuzzing of the whole API from its OpenAPI schema (schemathesis): no 5xx.

Every operation gets generated requests (valid and invalid) sent as an administrator, a county
regulator and anonymously. Runs last (see ``tests/conftest.py``) because it writes random data.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.fuzz

EXAMPLES = 6


def test_api_never_answers_5xx(app, auth):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case):
            if case.path == "/api/v1/uncertainty/evaluate" and isinstance(case.body, dict):
                case.body["mcm"] = {"trials": 1000}  # keep random Monte Carlo runs short
            for user in ("admin", "yanta", None):
                response = case.call(headers=auth(user))
                assert response.status_code < 500, (
                    user, case.method, case.formatted_path, case.query, case.body, response.text[:500])

        run()
