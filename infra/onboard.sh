#!/usr/bin/env bash
# Applies a reviewed onboarding file (infra/onboarding/*.json: providers, wholesaler
# links, domains, first staff members) with the operator tool. Idempotent: what is there
# already is left as it is, and said so.
#
#   infra/onboard.sh --aws <stack-name> <file>   a deployed stack (its outputs name the table,
#                                                buckets and the cursor key's secret)
#   infra/onboard.sh <file>                      the local runtime's data folder
#   infra/onboard.sh --check <file>              checks the file only, writes nothing
set -euo pipefail
cd "$(dirname "$0")/.."
# The pipeline's build job ships the tool with the package (SELFCARE_ADMIN); by hand, the
# debug build is enough for a tool that writes a handful of items.
admin=${SELFCARE_ADMIN:-target/debug/selfcare-admin}
[ -x "$admin" ] || cargo build --quiet --bin selfcare-admin --locked
case "${1:-}" in
  --check)
    exec "$admin" onboard --check --file "${2:?a file}"
    ;;
  --aws)
    stack=${2:?a stack name}
    file=${3:?a file}
    region=${AWS_REGION:-ap-southeast-2}
    output() {
      aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
    }
    SELFCARE_TABLE=$(output TableName)
    SELFCARE_EXPORTS_BUCKET=$(output ExportsBucketName)
    SELFCARE_INGEST_BUCKET=$(output IngestBucketName)
    SELFCARE_PORTAL_DOMAIN=$(output PortalDomain)
    SELFCARE_MAIL_FROM=$(output MailFrom)
    # The tool reads the keys from Secrets Manager itself, as the functions do: no key
    # passes through this shell.
    SELFCARE_CURSOR_KEY_SECRET=$(output CursorKeyArn)
    SELFCARE_SEALING_KEY_SECRET=$(output SealingKeyArn)
    export SELFCARE_TABLE SELFCARE_EXPORTS_BUCKET SELFCARE_INGEST_BUCKET SELFCARE_PORTAL_DOMAIN \
      SELFCARE_MAIL_FROM SELFCARE_CURSOR_KEY_SECRET SELFCARE_SEALING_KEY_SECRET
    # The stack says which deployment it is: a file for another one is refused.
    exec "$admin" --aws onboard --deployment "$(output Deployment)" --file "$file"
    ;;
  *)
    exec "$admin" onboard --file "${1:?a file}"
    ;;
esac
