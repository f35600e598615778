"""``jiliang trace``: the chain check (``check``, ``nightly``) and reverse traceability (``reverse``).

The commands live beside their services; this module only gathers them under one name.
"""

from __future__ import annotations

import importlib

import typer

from jiliang.features import present

app = typer.Typer(help="Traceability: check a chain, trace a standard's results in reverse.", no_args_is_help=True)
commands = [("trace", app)]

# each module has ``register(app: typer.Typer) -> None``
for _name in ("jiliang.traceability.chain_cli", "jiliang.traceability.reverse_cli"):
    if present(_name):
        importlib.import_module(_name).register(app)
