#!/usr/bin/env bash
# Halts a deployment wave: watches a stack's CloudWatch alarms (every alarm the template
# names starts with the stack's name) for a bake time and fails as soon as one fires.
#
#   infra/alarms-quiet.sh <stack-name> [region]     BAKE_MINUTES (default 10)
set -euo pipefail
stack=${1:?usage: infra/alarms-quiet.sh <stack-name> [region]}
region=${2:-${AWS_REGION:-ap-southeast-2}}
minutes=${BAKE_MINUTES:-10}
deadline=$(($(date +%s) + minutes * 60))
while :; do
  firing=$(aws cloudwatch describe-alarms --region "$region" --alarm-name-prefix "$stack-" \
    --state-value ALARM --query 'MetricAlarms[].AlarmName' --output text)
  if [ -n "$firing" ] && [ "$firing" != "None" ]; then
    echo "halted: alarms of $stack are firing: $firing" >&2
    exit 1
  fi
  [ "$(date +%s)" -ge "$deadline" ] && break
  sleep 30
done
echo "the alarms of $stack stayed quiet for $minutes minutes"
