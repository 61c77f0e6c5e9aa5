#!/usr/bin/env bash
# Halts a deployment wave: watches the alarms that say a release is bad (the API's errors
# and latency, the functions' failures, mail and ingest errors) for a bake time and fails
# as soon as one fires. Alarms about the account or about work waiting (SES reputation,
# the failures queue, ingest throttles) are for people, not for the gate.
#
#   infra/alarms-quiet.sh <stack-name> [region]     BAKE_MINUTES (default 10)
set -euo pipefail
stack=${1:?usage: infra/alarms-quiet.sh <stack-name> [region]}
region=${2:-${AWS_REGION:-ap-southeast-2}}
minutes=${BAKE_MINUTES:-10}
deadline=$(($(date +%s) + minutes * 60))
while :; do
  firing=$(aws cloudwatch describe-alarms --region "$region" --alarm-names \
    "$stack-api-5xx" "$stack-api-p99-latency" "$stack-api-access-5xx" \
    "$stack-api-function-errors" "$stack-mail-errors" "$stack-ingest-errors" \
    --state-value ALARM --query '[MetricAlarms[].AlarmName, CompositeAlarms[].AlarmName][]' \
    --output text)
  if [ -n "$firing" ] && [ "$firing" != "None" ]; then
    echo "halted: alarms of $stack are firing: $firing" >&2
    exit 1
  fi
  [ "$(date +%s)" -ge "$deadline" ] && break
  sleep 30
done
echo "the alarms of $stack stayed quiet for $minutes minutes"
