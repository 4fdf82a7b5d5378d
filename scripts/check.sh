#!/usr/bin/env bash
# Every check: lint, types, the docs build (every page executed), and the tests (unit,
# properties, cases, docs, browser, ledger on SQLite and PostgreSQL, doctests, notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev,docs
bash scripts/system-packages.sh
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}
echo "== ruff";   .venv/bin/ruff check src tests benchmarks
echo "== ruff format"; .venv/bin/ruff format --check src tests benchmarks
echo "== mypy";   .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
echo "== docs";   .venv/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
echo "== pytest"; .venv/bin/pytest -n 2 --nbmake tests src/impactbond notebooks
