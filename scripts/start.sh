#!/usr/bin/env bash
# Install Jiliang in .venv and start it on the embedded SQLite database with the Shaanxi demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/jiliang serve --demo "$@"
