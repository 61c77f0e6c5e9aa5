#!/usr/bin/env bash
# Fuzzes the API against its own OpenAPI document with schemathesis (pinned in
# python-tools.sh): the local runtime with demo data on a fresh folder, once with an end
# user's session and once with a staff member's, a fixed seed and a bounded number of
# examples per operation. Fails on a server error, a status or content type the document
# does not list, or a body that does not match its schema.
#   infra/fuzz-api.sh             (FUZZ_EXAMPLES=20 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
infra/python-tools.sh
examples=${FUZZ_EXAMPLES:-20}
. infra/local-server.sh
start_local_server
data=$local_data
token() {
  curl -sf "$base/v1/auth/sign-in" -H 'content-type: application/json' -H 'x-selfcare-tenant: acme' \
    -d "{\"username\":\"$1\",\"password\":\"$2\",\"session\":\"bearer\"}" |
    .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
failed=0
# The end user first: the staff run may change what the portal offers (settings, modules).
for who in "jo portal-demo-2026" "admin console-demo-2026"; do
  set -- $who
  echo "== schemathesis as $1 ($examples examples per operation)"
  bearer=$(token "$1" "$2")
  # Sign-out would end the session the run uses; sign-in and the links are fuzzed with it.
  .venv/bin/schemathesis run "$base/v1/openapi.json" \
    -H "Authorization: Bearer $bearer" -H 'x-selfcare-tenant: acme' \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --exclude-path /v1/auth/sign-out \
    --max-examples "$examples" --seed 1 --workers 1 --no-shrink \
    --report junit --report-dir "$data/report-$1" || failed=1
done
if [ "$failed" != 0 ]; then
  echo "the API answered what its document does not say (server log: last lines)"
  tail -20 "$data/server.log"
  exit 1
fi
echo "schemathesis: passed for both sessions"
