//! The Blobs port: one bucket of objects (invoice and usage exports, usage files to ingest).

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

/// A body streamed in chunks, so that no object has to fit in memory.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Wraps bytes already in memory as a [`ByteStream`].
pub fn bytes_stream(body: impl Into<Bytes>) -> ByteStream {
    let body = body.into();
    Box::pin(futures::stream::once(async move { Ok(body) }))
}

/// Collects a stream into memory: for tests and small objects only.
pub async fn collect(mut body: ByteStream) -> std::io::Result<Vec<u8>> {
    use futures::StreamExt;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// An object key: `/`-separated segments, none empty, `.` or `..`, of safe characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(key: &str) -> Result<Self, BlobError> {
        let bad = |why: &str| BlobError::InvalidKey(format!("{key:?}: {why}"));
        if key.is_empty() || key.len() > 1024 {
            return Err(bad("a key has 1 to 1024 characters"));
        }
        for segment in key.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(bad("empty, `.` and `..` segments are not allowed"));
            }
            if !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+'))
            {
                return Err(bad("use letters, digits and - _ . = + only"));
            }
        }
        Ok(BlobKey(key.to_owned()))
    }
    /// How a download of it is saved: as a file named by the key's last segment (keys
    /// hold only letters, digits and `- _ . = +`, nothing to quote).
    pub fn attachment(&self) -> String {
        let name = self.0.rsplit('/').next().unwrap_or(&self.0);
        format!("attachment; filename=\"{name}\"")
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long the bucket keeps an object: its lifecycle rules act on the tag S3 stores with
/// it (`selfcare-keep`). The embedded buckets keep everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// A download made on request (a usage export): a week.
    Temporary,
    /// A document of record (an invoice, a credit note): this many years, as the provider
    /// chose (one of [`Retention::YEARS`]).
    Years(u16),
}

impl Retention {
    /// The years a provider may keep its documents for: the bucket has a rule for each.
    pub const YEARS: [u16; 5] = [1, 2, 5, 7, 10];

    /// The tag's value: `temporary`, `years-7`.
    pub fn tag(self) -> String {
        match self {
            Retention::Temporary => "temporary".into(),
            Retention::Years(n) => format!("years-{n}"),
        }
    }
}

/// The object tag the bucket's lifecycle rules read.
pub const RETENTION_TAG: &str = "selfcare-keep";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub key: BlobKey,
    pub size: u64,
    pub content_type: String,
    /// The version, where the store keeps versions and says (on a put, at least).
    pub version: Option<String>,
}

pub struct Download {
    pub info: BlobInfo,
    pub body: ByteStream,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub blobs: Vec<BlobInfo>,
    /// Pass back to list what follows.
    pub next: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("invalid blob key {0}")]
    InvalidKey(String),
    #[error("reading the body failed: {0}")]
    Body(#[from] std::io::Error),
    #[error("the blob store is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Blobs: Send + Sync {
    /// Stores the body under `key`, replacing what was there. Large bodies are sent in parts.
    async fn put(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
    ) -> Result<BlobInfo, BlobError>;
    /// Stores the body as [`Blobs::put`] does, to be kept as long as `retention` says.
    async fn put_kept(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
        retention: Retention,
    ) -> Result<BlobInfo, BlobError>;
    /// The object as a stream, or None when there is none.
    async fn get(&self, key: &BlobKey) -> Result<Option<Download>, BlobError>;
    /// Part of the object: `len` bytes from byte `start` (fewer where the object ends
    /// first, none past its end), or None when there is no object. Rated usage is read a
    /// block at a time out of larger objects this way.
    async fn get_range(
        &self,
        key: &BlobKey,
        start: u64,
        len: u64,
    ) -> Result<Option<Bytes>, BlobError>;
    /// One version of the object (as its [`BlobCreated`] named it), or None when that
    /// version is gone. A store that keeps no old versions has only its current one.
    async fn get_version(
        &self,
        key: &BlobKey,
        version: &str,
    ) -> Result<Option<Download>, BlobError>;
    /// Stores one version of the object (the current one when `version` is None) again under
    /// its key, as a new version, as if it had just been stored: the store says so as for a
    /// put ([`BlobCreated`]). The copy stays in the store (S3: a copy onto itself). None
    /// when that version is gone or is no longer the current one (a newer object was
    /// stored under the key since: storing the old one again would undo it).
    async fn store_again(
        &self,
        key: &BlobKey,
        version: Option<&str>,
    ) -> Result<Option<BlobInfo>, BlobError>;
    /// Objects whose keys begin with `prefix`, in key order, `limit` at most.
    async fn list(
        &self,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<Listing, BlobError>;
    /// A URL anyone holding it may download the object from until `expires_in` has passed,
    /// as an attachment (a browser saves it under the key's last segment).
    async fn presign_get(&self, key: &BlobKey, expires_in: Duration) -> Result<String, BlobError>;
    /// A URL anyone holding it may store the object at with one HTTP PUT, sending this
    /// `Content-Type`, until `expires_in` has passed.
    async fn presign_put(
        &self,
        key: &BlobKey,
        expires_in: Duration,
        content_type: &str,
    ) -> Result<String, BlobError>;
}

/// What a bucket reports when an object is stored (S3 event notifications on AWS; the
/// local runtime delivers the same in-process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCreated {
    pub bucket: String,
    pub key: BlobKey,
    pub size: u64,
    /// The version stored, in a bucket that keeps versions (a file stored again under its
    /// name is a new version, and a new event).
    pub version: Option<String>,
}
