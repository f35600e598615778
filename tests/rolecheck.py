"""Book-keeping for the role-and-scope tests: every API endpoint must be called by one.

Tests call endpoints through :func:`call`, which records the (method, path template) pair;
``tests/test_zz_coverage.py`` runs after everything else and fails for any endpoint in the
OpenAPI schema that no role/scope test called.
"""

from __future__ import annotations

EXERCISED: set[tuple[str, str]] = set()


def call(client, auth, method: str, template: str, user: str | None, json=None, **params):
    """Call ``template.format(**params)`` as ``user`` (None: anonymous) and record the endpoint."""
    EXERCISED.add((method.upper(), template.split("?")[0]))
    return client.request(method, template.format(**params), headers=auth(user), json=json)


def exercised(method: str, template: str) -> None:
    """Record an endpoint a test called in some other way (uploads, forms)."""
    EXERCISED.add((method.upper(), template.split("?")[0]))
