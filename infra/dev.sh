#!/usr/bin/env bash
# The product on one machine: builds the web sites, then serves them and the API with demo
# data (cargo run). Open http://127.0.0.1:3000/?tenant=acme (the portal, jo /
# portal-demo-2026) and http://127.0.0.1:3000/console/?tenant=acme (admin /
# console-demo-2026). Extra arguments go to the local runtime (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
infra/web-tools.sh
exec cargo run -- "$@"
