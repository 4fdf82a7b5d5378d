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
echo "== browser"  # tests/browser drive headless Chromium: Debian's chromium and its driver
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "chromium and chromium-driver are missing: install them (as root: apt-get install" \
         "chromium chromium-driver) or set IMPACTBOND_CHROMIUM and IMPACTBOND_CHROMEDRIVER" >&2
    exit 1
  fi
fi
echo "== pytest"; .venv/bin/pytest -n 2 --nbmake tests src/impactbond notebooks
