//! The AWS adapters of the ports: DynamoDB (the table and its stream), S3 (blobs), SES v2
//! (mail). Each owns its service's request shapes and item mapping; the domain crate knows
//! none of them. `platform` builds a deployed function's ports from its configuration.

mod attributes;
pub mod config;
pub mod dynamodb;
pub mod faults;
pub mod s3;
pub mod ses;
pub mod stream;
pub mod usage_queue;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use selfcare::domain::identity::SiteLinks;
use selfcare::domain::identity::passwords::Hasher;
use selfcare::platform::{Platform, TenantHosts};
use selfcare::ports::{Clock, SystemClock};
use selfcare::store::CursorCodec;

pub use config::{AwsConfig, ConfigError};
pub use dynamodb::{DynamoTable, ensure_table};
pub use s3::S3Blobs;
pub use ses::SesMailer;
pub use stream::{DynamoChangeFeed, changes_from_event};
pub use usage_queue::UsageFileQueue;

/// The S3 client: path-style for an emulator at an endpoint of its own (moto answers one
/// host); S3 itself gets virtual-hosted addresses, the only style new buckets promise.
fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build(),
    )
}

/// The SDK's settings: region and credentials from the environment; `AWS_ENDPOINT_URL`
/// honoured (moto, locally).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// A deployed function's configuration and ports, built once before its first event, and
/// the SDK settings they were built with (for clients of its own, the usage queue's).
pub struct Deployed {
    pub config: AwsConfig,
    pub platform: Platform,
    pub sdk: aws_config::SdkConfig,
}

pub async fn configured_platform() -> Result<Deployed, ConfigError> {
    let sdk = sdk_config().await;
    let config = AwsConfig::load(&sdk).await?;
    let platform = platform(&config, &sdk);
    Ok(Deployed {
        config,
        platform,
        sdk,
    })
}

/// The ports on AWS.
pub fn platform(config: &AwsConfig, sdk: &aws_config::SdkConfig) -> Platform {
    let sdk = sdk.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s3 = s3_client(&sdk);
    Platform {
        table: Arc::new(DynamoTable::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config.table.clone(),
            clock.clone(),
        )),
        exports: Arc::new(S3Blobs::new(s3.clone(), config.exports_bucket.clone())),
        ingest: Arc::new(S3Blobs::new(s3, config.ingest_bucket.clone())),
        mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&sdk))),
        clock,
        cursors: CursorCodec::new(&config.cursor_key),
        hasher: Hasher::for_this_machine(),
        links: SiteLinks::Subdomains {
            domain: config.portal_domain.clone(),
        },
        sender: config.mail_from.clone(),
        hosts: TenantHosts {
            portal_domain: Some(config.portal_domain.clone()),
        },
        gateway: Arc::new(selfcare_stripe::StripeGateway::new(&config.stripe_api)),
        sealer: selfcare::domain::payments::sealing::Sealer::new(&config.sealing_key),
        usage_chunk_rows: selfcare::domain::usage::ingest::CHUNK_ROWS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn presigned_host(endpoint: Option<&str>) -> String {
        let mut sdk = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("ap-southeast-2"))
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
                aws_sdk_s3::config::Credentials::new("a", "b", None, None, "test"),
            ));
        if let Some(url) = endpoint {
            sdk = sdk.endpoint_url(url);
        }
        let request = s3_client(&sdk.build())
            .get_object()
            .bucket("exports-bucket")
            .key("a/b.csv")
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(
                    std::time::Duration::from_secs(60),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        request.uri().to_owned()
    }

    #[tokio::test]
    async fn s3_addresses_are_virtual_hosted_except_at_an_emulator() {
        assert!(
            presigned_host(None)
                .await
                .starts_with("https://exports-bucket.s3.ap-southeast-2.amazonaws.com/a/b.csv")
        );
        assert!(
            presigned_host(Some("http://127.0.0.1:5000"))
                .await
                .starts_with("http://127.0.0.1:5000/exports-bucket/a/b.csv")
        );
    }
}
