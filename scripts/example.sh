#!/usr/bin/env bash
# Install (runtime only) and settle the embedded Nyborg example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh pandas
.venv/bin/impactbond example nyborg "$@"
