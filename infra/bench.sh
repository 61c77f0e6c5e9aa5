#!/usr/bin/env bash
# Benchmarks that need the emulator: starts moto, gives the functions a table to connect
# to at start-up, builds `bootstrap`, the hello-world yardstick and the harness in one
# release build, and prints the cold-start figures (copied into the README).
set -euo pipefail
cd "$(dirname "$0")/.."
infra/python-tools.sh
AWS_ENDPOINT_URL=$(infra/moto.sh start)
trap 'infra/moto.sh stop' EXIT
export AWS_ENDPOINT_URL AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
  AWS_EC2_METADATA_DISABLED=true SELFCARE_TABLE=bench SELFCARE_EXPORTS_BUCKET=bench-exports \
  SELFCARE_INGEST_BUCKET=bench-ingest SELFCARE_CURSOR_KEY=bench-cursor-key-0123456789abcdef0123 \
  SELFCARE_PORTAL_DOMAIN=portal.bench.example SELFCARE_MAIL_FROM=portal@bench.example \
  SELFCARE_SEALING_KEY=bench-sealing-key-0123456789abcdef0123
cargo build --release -p selfcare-functions --bin bootstrap --bin selfcare-admin \
  --example hello-lambda --example cold-start --example identity-bench --example usage-bench \
  --example billing-bench
target/release/selfcare-admin --aws init-table
target/release/examples/cold-start
target/release/examples/identity-bench
# Usage: each figure from a process of its own (its peak memory is its own).
# MALLOC_ARENA_MAX as the ingest function has it in template.yaml.
for mode in ingest shuffled sink export; do
  MALLOC_ARENA_MAX=2 target/release/examples/usage-bench "$mode" 1000000
done
# Billing: a day's bill run over 10,000 accounts of three services each, then their PDFs.
target/release/examples/billing-bench 10000
