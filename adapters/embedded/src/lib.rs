//! Adapters that keep everything on local disk, so the whole product runs on one machine:
//! the table (redb), blob buckets (files, with presigned links the local runtime serves),
//! and an outbox of sent mail. `LocalPlatform` builds the ports on them. Never deployed.

pub mod blobs;
pub mod gateway;
pub mod mailer;
pub mod routes;
pub mod table;

use std::sync::Arc;

use selfcare::domain::contact::EmailAddress;
use selfcare::domain::identity::SiteLinks;
use selfcare::domain::identity::passwords::Hasher;
use selfcare::platform::{Platform, TenantHosts};
use selfcare::ports::{Clock, SystemClock};
use selfcare::store::CursorCodec;

pub use blobs::EmbeddedBlobs;
pub use gateway::EmbeddedGateway;
pub use mailer::{LocalOutbox, OutboxEntry};
pub use table::{EmbeddedChangeFeed, EmbeddedTable};

/// The local platform, with the embedded adapters' own handles (the stream, the outbox,
/// the buckets) that the local runtime needs to deliver events and serve downloads.
pub struct LocalPlatform {
    pub platform: Platform,
    pub table: Arc<EmbeddedTable>,
    pub outbox: Arc<LocalOutbox>,
    pub buckets: Vec<Arc<EmbeddedBlobs>>,
    pub gateway: Arc<EmbeddedGateway>,
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
        blob_events: Option<
            tokio::sync::mpsc::UnboundedSender<selfcare::ports::blobs::BlobCreated>,
        >,
    ) -> Result<Self, LocalStorageError> {
        Self::open_with_clock(dir, base_url, blob_events, Arc::new(SystemClock))
    }

    /// The same, on a clock of the caller's (tests move it to see links and items expire).
    pub fn open_with_clock(
        dir: &std::path::Path,
        base_url: &str,
        blob_events: Option<
            tokio::sync::mpsc::UnboundedSender<selfcare::ports::blobs::BlobCreated>,
        >,
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
        let gateway = Arc::new(
            EmbeddedGateway::open(dir.join("gateway.json"), base_url, clock.clone())
                .map_err(|e| fail(&e))?,
        );
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
                // Each provider also answers at {slug}.localhost (browsers send *.localhost to
                // this machine): its own address, as {slug}.{portal domain} on AWS.
                hosts: TenantHosts {
                    portal_domain: Some("localhost".to_owned()),
                },
                gateway: gateway.clone(),
                sealer: selfcare::domain::payments::sealing::Sealer::new(&key),
                usage_chunk_rows: selfcare::domain::usage::ingest::CHUNK_ROWS,
            },
            table,
            outbox,
            buckets: vec![exports, ingest],
            gateway,
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
    let text = hex::encode(key).into_bytes();
    std::fs::write(path, &text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(text)
}
