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

/// The ports on AWS. The SDK reads region and credentials from the environment, and honours
/// `AWS_ENDPOINT_URL` (moto, locally).
pub async fn platform(config: &AwsConfig) -> Platform {
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            // Path-style works on S3 and on emulators alike.
            .force_path_style(true)
            .build(),
    );
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
    }
}
