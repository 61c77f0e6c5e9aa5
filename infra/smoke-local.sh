#!/usr/bin/env bash
# Runs the deployment's smoke tests (infra/smoke.sh) against the local runtime with demo
# data on a fresh folder: proves the script itself before a pipeline trusts it.
set -euo pipefail
cd "$(dirname "$0")/.."
. infra/local-server.sh
start_local_server
SMOKE_TENANT=acme SMOKE_STAFF=admin SMOKE_STAFF_PASSWORD=console-demo-2026 \
  SMOKE_USER=jo SMOKE_USER_PASSWORD=portal-demo-2026 \
  infra/smoke.sh --url "$base"
