#!/usr/bin/env bash
# The pipeline's offline checks of what it deploys: the SAM template (cfn-lint and
# `sam validate --lint`), the policy scan (checkov with infra/policy/), and the onboarding
# files checked together (a wholesaler and its retailers in one deployment). Runs in
# infra/test.sh and in the deploy workflow; needs no AWS account.
set -euo pipefail
cd "$(dirname "$0")/.."
SAM_CLI_VERSION=1.170.0
CHECKOV_VERSION=3.3.30
# Two environments: the two tools pin different boto3 releases.
tool() { # name package version
  local venv=".venv-deploy/$1"
  if [ "$("$venv/bin/python" -c "from importlib.metadata import version; print(version('$2'))" 2>/dev/null)" != "$3" ]; then
    command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
      || python3 -m pip install --quiet --disable-pip-version-check uv
    local UV="uv"; command -v uv >/dev/null 2>&1 || UV="python3 -m uv"
    [ -x "$venv/bin/python" ] || $UV venv --quiet "$venv"
    $UV pip install --quiet --python "$venv/bin/python" "$2==$3"
  fi
}
tool sam aws-sam-cli "$SAM_CLI_VERSION"
tool checkov checkov "$CHECKOV_VERSION"
echo "== cfn-lint"
.venv-deploy/sam/bin/cfn-lint template.yaml
echo "== sam validate --lint"
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-ap-southeast-2} SAM_CLI_TELEMETRY=0 \
  .venv-deploy/sam/bin/sam validate --lint --template-file template.yaml
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
