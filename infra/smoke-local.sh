#!/usr/bin/env bash
# Runs the deployment's smoke tests (infra/smoke.sh) against the local runtime with demo
# data on a fresh folder: proves the script itself before a pipeline trusts it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SELFCARE_LOCAL_BIN:-target/debug/selfcare-local}
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=error "$bin" --listen "127.0.0.1:$port" --data-dir "$data" --web-dir web/dist >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
SMOKE_TENANT=acme SMOKE_STAFF=admin SMOKE_STAFF_PASSWORD=console-demo-2026 \
  SMOKE_USER=jo SMOKE_USER_PASSWORD=portal-demo-2026 \
  infra/smoke.sh --url "http://127.0.0.1:$port"
