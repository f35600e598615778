#!/usr/bin/env bash
# Install Jiliang in .venv and start it on the embedded SQLite database with the Shaanxi demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
# The PTB DCC schema is not shipped; use the reference copy beside the checkout when present.
if [ -z "${JILIANG_DCC_SCHEMA_DIR:-}" ] && [ -f ../shared/reference/dcc/schema/v3.3.0/dcc.xsd ]; then
  export JILIANG_DCC_SCHEMA_DIR="$(cd ../shared/reference/dcc/schema && pwd)"
fi
exec .venv/bin/jiliang serve --demo "$@"
