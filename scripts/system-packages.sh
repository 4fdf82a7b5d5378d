#!/usr/bin/env bash
# The Debian packages the tests drive for real: headless Chromium and its driver (tests/browser)
# and the PostgreSQL server binaries (tests/ledger starts its own server). Installed quietly as
# root where missing; otherwise a clear message says what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "the tests need the Debian packages ${need[*]} (as root: apt-get install ${need[*]})" >&2
  exit 1
fi
