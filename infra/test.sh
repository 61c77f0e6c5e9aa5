#!/usr/bin/env bash
# The test command: installs what it lacks, starts moto and localstripe, runs every test (unit, contract
# suites on both adapters, API, the API fuzzed against its document, the deployment's smoke
# tests against the local runtime, then the web sites in Chromium), checks what the
# pipeline deploys (infra/check-deploy.sh: template, policy scan, onboarding files), and
# stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
infra/python-tools.sh
export AWS_EC2_METADATA_DISABLED=true
SELFCARE_MOTO_URL=$(infra/moto.sh start)
export SELFCARE_MOTO_URL
SELFCARE_LOCALSTRIPE_URL=$(infra/localstripe.sh start)
export SELFCARE_LOCALSTRIPE_URL
trap 'infra/moto.sh stop; infra/localstripe.sh stop' EXIT
echo "moto at $SELFCARE_MOTO_URL, localstripe at $SELFCARE_LOCALSTRIPE_URL"
# The library's, the binaries' and the test binaries' tests; the examples (benchmarks) are
# compiled by clippy, not linked again here.
# It also builds target/debug/selfcare-local (cargo builds a package's binaries for its
# integration tests), which the fuzzer and the browser tests run: building it again alone
# would compile a dozen crates a second time without the tests' features.
cargo test --workspace --lib --bins --tests "$@"
# Node and Chromium first: the deployment checks run the distribution's function in node.
infra/web-tools.sh --browser
# What the pipeline deploys is checked beside the rest (it needs the operator tool the
# tests just built); its output is shown at the end.
infra/check-deploy.sh >target/check-deploy.log 2>&1 &
check_deploy=$!
# The sites' API types are generated from the document the binary just built serves.
infra/api-types.sh --check
echo "== the API against its document (schemathesis)"
infra/fuzz-api.sh
echo "== the deployment's smoke tests, against the local runtime"
infra/smoke-local.sh
echo "== web sites in Chromium"
(cd web && npm test)
echo "== what the pipeline deploys (infra/check-deploy.sh)"
if ! wait "$check_deploy"; then
  cat target/check-deploy.log
  exit 1
fi
cat target/check-deploy.log
