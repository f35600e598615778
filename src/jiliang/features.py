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
)

# modules with ``commands: list[tuple[str, typer.Typer]]`` added to the ``jiliang`` command
CLI_MODULES = ("jiliang.trust.cli", "jiliang.certificates.cli", "jiliang.supervision.cli")


def present(name: str) -> bool:
    parent = name.rpartition(".")[0]
    try:
        return importlib.util.find_spec(parent) is not None and importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def load(names: tuple[str, ...]) -> list[ModuleType]:
    return [importlib.import_module(n) for n in names if present(n)]
