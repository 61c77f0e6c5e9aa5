#!/usr/bin/env bash
# Builds the one Lambda package every function in template.yaml uses:
# target/lambda/bootstrap/bootstrap.zip (arm64, cross-compiled through zig, offline).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/cargo-lambda --version >/dev/null 2>&1; then
  infra/python-tools.sh
  VIRTUAL_ENV="$PWD/.venv" python3 -m uv pip install --quiet cargo-lambda ziglang 2>/dev/null \
    || VIRTUAL_ENV="$PWD/.venv" uv pip install --quiet cargo-lambda ziglang
fi
rustup target add aarch64-unknown-linux-gnu >/dev/null
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 --bin bootstrap \
  --output-format zip --lambda-dir target/lambda
ls -l target/lambda/bootstrap/bootstrap.zip
