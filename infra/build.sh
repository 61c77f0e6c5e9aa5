#!/usr/bin/env bash
# Builds the one Lambda package every function in template.yaml uses:
# target/lambda/bootstrap/bootstrap.zip (arm64, cross-compiled through zig, offline).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/cargo-lambda --version >/dev/null 2>&1; then
  infra/python-tools.sh
  UV="uv"; command -v uv >/dev/null 2>&1 || UV="python3 -m uv"
  $UV pip install --quiet --python .venv/bin/python "cargo-lambda==1.9.2" "ziglang==0.17.1"
fi
rustup target add aarch64-unknown-linux-gnu >/dev/null
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 --bin bootstrap \
  --output-format zip --lambda-dir target/lambda
ls -l target/lambda/bootstrap/bootstrap.zip
