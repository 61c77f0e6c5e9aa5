#!/usr/bin/env bash
# The pipeline's offline checks of what it deploys: the SAM template (cfn-lint, `sam
# validate --lint`, no circular dependency once SAM has transformed it), the policy scan
# (checkov with infra/policy/), and the onboarding files checked together (a wholesaler
# and its retailers in one deployment). Runs in infra/test.sh and in the deploy workflow;
# needs no AWS account.
set -euo pipefail
cd "$(dirname "$0")/.."
infra/deploy-tools.sh
echo "== cfn-lint"
.venv-deploy/sam/bin/cfn-lint template.yaml
echo "== sam validate --lint"
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-ap-southeast-2} SAM_CLI_TELEMETRY=0 \
  .venv-deploy/sam/bin/sam validate --lint --template-file template.yaml
echo "== no circular dependency after the SAM transform"
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-ap-southeast-2} \
  .venv-deploy/sam/bin/python infra/policy/no_cycles.py template.yaml 2>&1 | grep -v "Feature Toggle"
echo "== the distribution's API function names each host's provider"
.venv-deploy/sam/bin/python infra/policy/edge_function.py template.yaml
echo "== policy scan (checkov, infra/policy)"
# Offline: checkov's guideline download fails and is skipped; its rules ship with it.
.venv-deploy/checkov/bin/checkov --config-file infra/policy/checkov.yaml --file template.yaml \
  2>/dev/null
echo "== onboarding files"
admin=${SELFCARE_ADMIN:-target/debug/selfcare-admin}
[ -x "$admin" ] || cargo build --quiet --bin selfcare-admin
files=()
for f in infra/onboarding/*.json; do files+=(--file "$f"); done
"$admin" onboard --check "${files[@]}"
