#!/usr/bin/env bash
# Run the whole test suite: first on the embedded SQLite database, then the database-touching
# tests again on PostgreSQL (127.0.0.1:5432) when it is reachable. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# Browser tests drive Debian's Chromium through Playwright (no browser download); the
# certificate test renders a PDF page with poppler's pdftoppm.
if { ! command -v chromium || ! command -v pdftoppm; } >/dev/null 2>&1 \
   && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
fi

export JILIANG_REFERENCE_DIR=${JILIANG_REFERENCE_DIR:-$(cd .. && pwd)/shared/reference}
if [ -n "${CI:-}" ] && [ ! -d "$JILIANG_REFERENCE_DIR/dcc/schema" ]; then
  echo "reference material not found at $JILIANG_REFERENCE_DIR (set JILIANG_REFERENCE_DIR)" >&2
  exit 1
fi
PG_URL=${JILIANG_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/jiliang_test}

echo "== test suite on SQLite"
.venv/bin/python -m pytest "$@"

if .venv/bin/python scripts/ensure_postgres.py "$PG_URL"; then
  echo "== every test that touches a database, again on PostgreSQL (the pure kernels are skipped)"
  JILIANG_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest \
    --ignore=tests/uncertainty --ignore=tests/conformity --ignore=tests/intervals \
    --ignore=tests/prepackaged --ignore=tests/ledger --ignore=tests/dcc "$@"
else
  echo "PostgreSQL not reachable: PostgreSQL run skipped" >&2
  [ -z "${CI:-}" ] || exit 1
fi
