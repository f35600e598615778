"""The feature modules beyond the registry, in one place.

Each capability that has tables, API routes or pages names its modules here; ``jiliang.models``
imports the model modules (so Alembic sees every table) and ``jiliang.app`` includes each
module's ``router``. A module listed here whose package is not present yet is skipped; one that
is present but fails to import raises, as it should.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

MODEL_MODULES = (
    "jiliang.netcontent.models",
    "jiliang.calibration.models",
    "jiliang.trust.models",
    "jiliang.certificates.models",
    "jiliang.core.attachments",
    "jiliang.traceability.models",
    "jiliang.traceability.reverse_models",
    "jiliang.supervision.catalogue_models",
    "jiliang.supervision.filing_models",
    "jiliang.supervision.warning_models",
    "jiliang.supervision.inspection_models",
    "jiliang.complaints.models",
    "jiliang.integrity.models",
)

ROUTER_MODULES = (
    "jiliang.web.uncertainty",
    "jiliang.netcontent.router",
    "jiliang.netcontent.views",
    "jiliang.calibration.router",
    "jiliang.calibration.views",
    "jiliang.trust.router",
    "jiliang.certificates.router",
    "jiliang.certificates.views",
    "jiliang.web.attachments",
    "jiliang.web.public",
    "jiliang.traceability.router",
    "jiliang.traceability.views",
    "jiliang.traceability.reverse_router",
    "jiliang.traceability.reverse_views",
    "jiliang.supervision.filing_router",
    "jiliang.supervision.filing_views",
    "jiliang.supervision.warning_router",
    "jiliang.supervision.warning_views",
    "jiliang.supervision.inspection_router",
    "jiliang.supervision.inspection_views",
    "jiliang.complaints.router",
    "jiliang.complaints.views",
    "jiliang.integrity.router",
    "jiliang.integrity.views",
)

# modules with ``commands: list[tuple[str, typer.Typer]]`` added to the ``jiliang`` command
CLI_MODULES = (
    "jiliang.trust.cli",
    "jiliang.certificates.cli",
    "jiliang.supervision.cli",
    "jiliang.traceability.cli",
    "jiliang.jobs",
)

# modules with ``seed_demo(session, size: str, rng: random.Random, today: date) -> None``, called in
# this order at the end of ``jiliang.demo.generate`` (so also for the test suite's tiny data set)
DEMO_MODULES = (
    "jiliang.traceability.demo",
    "jiliang.supervision.catalogue_demo",
    "jiliang.supervision.filing_demo",
    "jiliang.supervision.warning_demo",
    "jiliang.supervision.inspection_demo",
    "jiliang.complaints.demo",
    "jiliang.integrity.demo",
)

# nightly jobs, "module:function"; each function takes a Session and returns a JSON-able summary.
# ``jiliang jobs run`` runs them (cron), and ``jiliang serve`` runs them once a night in-process.
NIGHTLY_JOBS = (
    "jiliang.traceability.chain:nightly",
    "jiliang.supervision.warnings:nightly",
    "jiliang.integrity.service:nightly",
    "jiliang.supervision.inspection_service:nightly",
)


def present(name: str) -> bool:
    parent = name.rpartition(".")[0]
    try:
        return importlib.util.find_spec(parent) is not None and importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def load(names: tuple[str, ...]) -> list[ModuleType]:
    return [importlib.import_module(n) for n in names if present(n)]
