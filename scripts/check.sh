#!/usr/bin/env bash
# Every check: lint, types, tests (unit, properties, doctests, notebooks), docs build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,docs
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}
echo "== ruff";   .venv/bin/ruff check src tests benchmarks
echo "== ruff format"; .venv/bin/ruff format --check src tests benchmarks
echo "== mypy";   .venv/bin/mypy
echo "== docs";   .venv/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
# The ledger tests start their own PostgreSQL server (tests/ledger/conftest.py): make sure the
# server binaries are there (the Debian package postgresql), installing them quietly as root.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== apt-get install postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "the ledger tests need the PostgreSQL server binaries: apt-get install postgresql" >&2
    exit 1
  fi
fi
echo "== pytest"; .venv/bin/pytest -n 2 --nbmake tests src/impactbond notebooks
