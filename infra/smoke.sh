#!/usr/bin/env bash
# Smoke tests against a deployed stack (or any running selfcare, with --url): the health
# check, the OpenAPI document, a staff sign-in and the console, a customer sign-in and a
# portal read, and a usage file through the ingest (uploaded by the console's own upload
# link, loaded by the S3-triggered function, its result read back).
#
#   infra/smoke.sh <stack-name> [region]
#   infra/smoke.sh --url http://127.0.0.1:3000
#
# SMOKE_TENANT (default bluewave), SMOKE_STAFF (smoke-staff) with SMOKE_STAFF_PASSWORD,
# SMOKE_USER (smoke-user) with SMOKE_USER_PASSWORD, SMOKE_SERVICE (a number of the smoke
# user's account, default +61255501234). Those logins and that service are set up once per
# staging stack by hand (docs/runbook.md, "Smoke logins").
set -euo pipefail
if [ "${1:-}" = "--url" ]; then
  base=${2:?a URL}
else
  stack=${1:?usage: infra/smoke.sh <stack-name> [region] | --url <base>}
  region=${2:-${AWS_REGION:-ap-southeast-2}}
  # The API's own address: through CloudFront the tenant comes from the host's subdomain,
  # which a smoke test on the distribution's own name does not have.
  base=$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='ApiUrl'].OutputValue" --output text)
fi
tenant=${SMOKE_TENANT:-bluewave}
staff=${SMOKE_STAFF:-smoke-staff}
user=${SMOKE_USER:-smoke-user}
service=${SMOKE_SERVICE:-+61255501234}
: "${SMOKE_STAFF_PASSWORD:?}" "${SMOKE_USER_PASSWORD:?}"
fail() { echo "smoke: $*" >&2; exit 1; }
call() { # method path [token] [body]
  local args=(-sS -o /tmp/smoke-body -w '%{http_code}' -X "$1" "$base$2" -H "x-selfcare-tenant: $tenant")
  [ -n "${3:-}" ] && args+=(-H "authorization: Bearer $3")
  [ -n "${4:-}" ] && args+=(-H 'content-type: application/json' --data "$4")
  curl "${args[@]}"
}
expect() { # status method path [token] [body]
  local status
  status=$(call "${@:2}")
  [ "$status" = "$1" ] || fail "$2 $3 answered $status, not $1: $(head -c 300 /tmp/smoke-body)"
}
field() { python3 -c "import json,sys; print(json.load(open('/tmp/smoke-body'))$1)"; }

expect 200 GET /v1/health
expect 200 GET /v1/openapi.json
[ "$(field "['openapi']")" != "" ] || fail "the OpenAPI document has no version"
echo "health and document: ok"

expect 200 POST /v1/auth/sign-in "" "{\"username\":\"$staff\",\"password\":\"$SMOKE_STAFF_PASSWORD\",\"session\":\"bearer\"}"
staff_token=$(field "['token']")
expect 200 GET /v1/console/me "$staff_token"
echo "staff sign-in and the console: ok"

expect 200 POST /v1/auth/sign-in "" "{\"username\":\"$user\",\"password\":\"$SMOKE_USER_PASSWORD\",\"session\":\"bearer\"}"
user_token=$(field "['token']")
expect 200 GET /v1/portal/services "$user_token"
echo "customer sign-in and a portal read: ok"

name="smoke-$(date -u +%Y%m%d%H%M%S).csv"
expect 201 POST /v1/console/usage/uploads "$staff_token" "{\"name\":\"$name\"}"
upload_url=$(field "['upload_url']")
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf 'record_id,service,type,started_at,destination,quantity\r\n%s,%s,call,%s,61299990000,1\r\n' \
  "$name" "$service" "$now" >/tmp/smoke-usage.csv
curl -sS -f -X PUT -H 'content-type: text/csv' --data-binary @/tmp/smoke-usage.csv "$upload_url" >/dev/null \
  || fail "the upload link refused the file"
for _ in $(seq 1 60); do
  expect 200 GET "/v1/console/usage/ingests?limit=20" "$staff_token"
  found=$(python3 -c "
import json
page = json.load(open('/tmp/smoke-body'))
hits = [i for i in page['items'] if i['file'].endswith('/$name')]
print(f\"{hits[0]['status']} {hits[0]['accepted']} {hits[0]['rejected']}\" if hits else '')")
  case "$found" in
    "completed 1 0") echo "a usage file through the ingest: ok"; exit 0 ;;
    completed*|failed*) fail "the usage file was loaded as: $found" ;;
  esac
  sleep 5
done
fail "the usage file was not loaded within five minutes"
