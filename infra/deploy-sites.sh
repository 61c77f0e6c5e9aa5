#!/usr/bin/env bash
# Uploads the built web sites (web/dist) to a stack's sites bucket and invalidates its
# CloudFront distribution, so the portal and the console a stack serves match the API it
# was just deployed with.
#
#   infra/deploy-sites.sh <stack-name> [region]
#
# Hashed assets are cached for a year (their names change with their content); the pages
# that name them are never cached, and go last, so no page names an asset not yet there.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:?usage: infra/deploy-sites.sh <stack-name> [region]}
region=${2:-${AWS_REGION:-ap-southeast-2}}
output() {
  aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
bucket=$(output SitesBucketName)
distribution=$(output SitesDistributionId)
if [ -z "$bucket" ] || [ "$bucket" = "None" ]; then
  echo "stack $stack has no SitesBucketName output" >&2
  exit 1
fi
[ -d web/dist ] || (cd web && npm ci && npm run build)
aws s3 sync web/dist/assets "s3://$bucket/assets" --region "$region" \
  --cache-control "public, max-age=31536000, immutable"
aws s3 sync web/dist "s3://$bucket" --region "$region" --exclude "assets/*" --delete \
  --cache-control "no-cache"
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
  --query "Invalidation.Id" --output text
echo "sites of $stack are in s3://$bucket; invalidation sent to $distribution"
