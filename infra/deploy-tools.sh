#!/usr/bin/env bash
# The deployment's Python tools, pinned, in environments of their own under .venv-deploy/
# (the SAM CLI and checkov pin different boto3 releases, and neither may move moto's):
#   .venv-deploy/sam/bin/sam, .venv-deploy/sam/bin/cfn-lint, .venv-deploy/checkov/bin/checkov
set -euo pipefail
cd "$(dirname "$0")/.."
SAM_CLI_VERSION=1.170.0
CHECKOV_VERSION=3.3.30
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
