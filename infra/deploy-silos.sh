#!/usr/bin/env bash
# Deploys every silo stack (infra/tenants/*.json) with the package already built, wave by
# wave (the file's "wave"): each stack, its sites and its providers; a wave starts only
# when every stack of the one before kept its alarms quiet for the bake time.
#
#   infra/deploy-silos.sh [region]
set -euo pipefail
cd "$(dirname "$0")/.."
region=${1:-${AWS_REGION:-ap-southeast-2}}
sam=${SAM:-.venv-deploy/sam/bin/sam}
waves=$(jq -r '.wave' infra/tenants/*.json | sort -n | uniq)
for wave in $waves; do
  stacks=()
  for file in infra/tenants/*.json; do
    [ "$(jq -r '.wave' "$file")" = "$wave" ] || continue
    deployment=$(jq -r '.deployment' "$file")
    stack="selfcare-production-$deployment"
    # One argument a parameter, so a value may hold spaces; an empty value is written out
    # (left out, CloudFormation would keep the stack's last one).
    mapfile -t overrides < <(jq -r '.parameters | to_entries[] | "ParameterKey=\(.key),ParameterValue=\(.value)"' "$file")
    echo "== wave $wave: $stack"
    "$sam" deploy --config-env production --stack-name "$stack" --s3-prefix "$stack" \
      --parameter-overrides "${overrides[@]}" \
      --tags "selfcare:environment=production selfcare:deployment=$deployment" --no-progressbar
    infra/deploy-sites.sh "$stack" "$region"
    infra/onboard.sh --aws "$stack" "$(jq -r '.onboarding' "$file")"
    stacks+=("$stack")
  done
  # The wave's stacks bake together; any one firing halts the rest.
  watchers=()
  for stack in "${stacks[@]}"; do
    infra/alarms-quiet.sh "$stack" "$region" &
    watchers+=($!)
  done
  for watcher in "${watchers[@]}"; do
    wait "$watcher"
  done
done
