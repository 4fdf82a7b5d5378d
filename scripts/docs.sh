#!/usr/bin/env bash
# Install the docs extra and build the site (warnings are errors; every example runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh docs
.venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
echo "open docs/_build/html/index.html"
