#!/usr/bin/env bash
# Installs the Python tools the tests use (moto, cfn-lint, schemathesis, localstripe) into .venv, once,
# with uv.
# Pinned versions: see ../shared/TOOLCHAIN.md for what was measured.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
CFN_LINT_VERSION=1.58.0
SCHEMATHESIS_VERSION=4.32.5
LOCALSTRIPE_VERSION=1.15.10
if .venv/bin/python -c "import moto, cfnlint, schemathesis, localstripe" 2>/dev/null \
  && [ "$(.venv/bin/python -c 'import moto; print(moto.__version__)')" = "$MOTO_VERSION" ] \
  && [ "$(.venv/bin/python -c 'from importlib.metadata import version; print(version("schemathesis"))')" = "$SCHEMATHESIS_VERSION" ]; then
  exit 0
fi
if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
UV="uv"; command -v uv >/dev/null 2>&1 || UV="python3 -m uv"
[ -x .venv/bin/python ] || $UV venv --quiet .venv
$UV pip install --quiet --python .venv/bin/python \
  "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION" \
  "schemathesis==$SCHEMATHESIS_VERSION" "localstripe==$LOCALSTRIPE_VERSION"
