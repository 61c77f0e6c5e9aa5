//! The ports, built once per process: on AWS for a deployed function, on local disk for
//! the local runtime. Everything else takes its ports from here.

use std::sync::Arc;

use aws_config::BehaviorVersion;

use crate::adapters::aws::{DynamoTable, S3Blobs, SesMailer};
use crate::adapters::embedded::{EmbeddedBlobs, EmbeddedTable, LocalOutbox};
use crate::config::AwsConfig;
use crate::domain::accounts::Accounts;
use crate::domain::contact::EmailAddress;
use crate::domain::identity::passwords::Hasher;
use crate::domain::identity::{Identity, SiteLinks};
use crate::domain::tenancy::Tenants;
use crate::ports::{Blobs, Clock, Mailer, SystemClock, Table, TableError};
use crate::store::CursorCodec;

#[derive(Clone)]
pub struct Platform {
    pub table: Arc<dyn Table>,
    pub exports: Arc<dyn Blobs>,
    pub ingest: Arc<dyn Blobs>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub cursors: CursorCodec,
    /// Bounds the password hashes running at once (each holds 19 MiB).
    pub hasher: Hasher,
    /// Where mail links lead.
    pub links: SiteLinks,
    /// The platform's sender, for tenants without their own.
    pub sender: EmailAddress,
    /// How the tenant of a request is found from its host.
    pub hosts: TenantHosts,
}

/// Maps request hosts to tenants: `{slug}.{portal_domain}`, else the tenant named by the
/// `x-selfcare-tenant` header (the local runtime, API clients on the API's own host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantHosts {
    pub portal_domain: Option<String>,
}

impl Platform {
    /// The AWS adapters. The SDK reads region and credentials from the environment, and
    /// honours `AWS_ENDPOINT_URL` (moto, locally).
    pub async fn aws(config: &AwsConfig) -> Self {
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
        }
    }

    /// Opens the first connection to the table during start-up, so the first request does
    /// not pay for TLS (about 900 ms at 128 MB when left to it). A read of a key that
    /// never exists: the same permission the function already has.
    pub async fn warm_up(&self) -> Result<(), TableError> {
        self.table
            .get(&crate::ports::Key::new("WARM-UP", "WARM-UP"))
            .await
            .map(|_| ())
    }

    pub fn tenants(&self) -> Tenants {
        Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }

    pub fn identity(&self) -> Identity {
        Identity::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.hasher.clone(),
            self.links.clone(),
            self.sender.clone(),
        )
    }

    pub fn catalogue(&self) -> crate::domain::catalogue::Catalogue {
        crate::domain::catalogue::Catalogue::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn services(&self) -> crate::domain::services::Services {
        crate::domain::services::Services::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn usage(&self) -> crate::domain::usage::UsageViews {
        crate::domain::usage::UsageViews::new(self.table.clone(), self.cursors.clone())
    }

    pub fn ingest(&self) -> crate::domain::usage::ingest::Ingest {
        crate::domain::usage::ingest::Ingest::new(
            self.table.clone(),
            self.ingest.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
        )
    }

    pub fn usage_exports(&self) -> crate::domain::usage::export::UsageExports {
        crate::domain::usage::export::UsageExports::new(
            self.table.clone(),
            self.exports.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn cost_centres(&self) -> crate::domain::cost_centres::CostCentres {
        crate::domain::cost_centres::CostCentres::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn alerts(&self) -> crate::domain::usage::alerts::Alerts {
        crate::domain::usage::alerts::Alerts::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
        )
    }

    pub fn service_groups(&self) -> crate::domain::service_groups::ServiceGroups {
        crate::domain::service_groups::ServiceGroups::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn orders(&self) -> crate::domain::orders::Orders {
        crate::domain::orders::Orders::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
        )
    }

    pub fn accounts(&self) -> Accounts {
        Accounts::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }
}

/// The local platform, with the embedded adapters' own handles (the stream, the outbox,
/// the buckets) that the local runtime needs to deliver events and serve downloads.
pub struct LocalPlatform {
    pub platform: Platform,
    pub table: Arc<EmbeddedTable>,
    pub outbox: Arc<LocalOutbox>,
    pub buckets: Vec<Arc<EmbeddedBlobs>>,
}

#[derive(Debug, thiserror::Error)]
#[error("opening local storage: {0}")]
pub struct LocalStorageError(String);

impl LocalPlatform {
    /// Opens (or creates) everything under `dir`. `base_url` is where the local runtime
    /// answers, for presigned download links. The cursor key is kept in `dir`.
    pub fn open(
        dir: &std::path::Path,
        base_url: &str,
        blob_events: Option<tokio::sync::mpsc::UnboundedSender<crate::ports::blobs::BlobCreated>>,
    ) -> Result<Self, LocalStorageError> {
        Self::open_with_clock(dir, base_url, blob_events, Arc::new(SystemClock))
    }

    /// The same, on a clock of the caller's (tests move it to see links and items expire).
    pub fn open_with_clock(
        dir: &std::path::Path,
        base_url: &str,
        blob_events: Option<tokio::sync::mpsc::UnboundedSender<crate::ports::blobs::BlobCreated>>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LocalStorageError> {
        let fail = |e: &dyn std::fmt::Display| LocalStorageError(e.to_string());
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        let key = local_secret(&dir.join("secret.key")).map_err(|e| fail(&e))?;
        let table = Arc::new(
            EmbeddedTable::open(&dir.join("table.redb"), clock.clone()).map_err(|e| fail(&e))?,
        );
        let bucket = |name: &str| -> Result<Arc<EmbeddedBlobs>, LocalStorageError> {
            let blobs = EmbeddedBlobs::open(
                name,
                &dir.join("buckets").join(name),
                base_url,
                Arc::from(key.as_slice()),
                clock.clone(),
            )
            .map_err(|e| fail(&e))?;
            Ok(Arc::new(match &blob_events {
                Some(events) => blobs.notify(events.clone()),
                None => blobs,
            }))
        };
        let exports = bucket("exports")?;
        let ingest = bucket("ingest")?;
        let outbox =
            Arc::new(LocalOutbox::open(&dir.join("outbox"), clock.clone()).map_err(|e| fail(&e))?);
        Ok(LocalPlatform {
            platform: Platform {
                table: table.clone(),
                exports: exports.clone(),
                ingest: ingest.clone(),
                mailer: outbox.clone(),
                clock,
                cursors: CursorCodec::new(&key),
                hasher: Hasher::for_this_machine(),
                links: SiteLinks::Single {
                    base_url: base_url.to_owned(),
                },
                sender: local_sender(),
                hosts: TenantHosts {
                    portal_domain: None,
                },
            },
            table,
            outbox,
            buckets: vec![exports, ingest],
        })
    }
}

/// The local runtime's sender address.
pub fn local_sender() -> EmailAddress {
    EmailAddress::parse("portal@selfcare.localhost").unwrap_or_else(|_| unreachable!())
}

/// A random key made on first start and kept beside the data, readable by its owner only.
fn local_secret(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    if let Ok(key) = std::fs::read(path)
        && key.len() >= 32
    {
        return Ok(key);
    }
    let key: [u8; 32] = rand::random();
    let text = crate::store::hex(&key).into_bytes();
    std::fs::write(path, &text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(text)
}
