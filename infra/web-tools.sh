#!/usr/bin/env bash
# What the web sites' build and browser tests need: Debian's Chromium (playwright cannot
# download browsers here) and the npm packages of web/ as its lock file pins them; then
# builds the sites into web/dist. Quiet and quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null 2>&1 && [ "${1:-}" = "--browser" ]; then
  echo "installing chromium (Debian package, about 100 s)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
cd web
# package-lock.json is the source of truth: reinstall when it is newer than node_modules.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build >/dev/null
