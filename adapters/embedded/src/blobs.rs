//! Embedded blobs: one folder per bucket. Objects live under `objects/`, their content
//! type under `meta/`; writes go to a temporary file first, so a reader never sees half
//! an object. Presigned URLs point at the local runtime and carry an HMAC and an expiry.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::UnboundedSender;

use selfcare::ports::Clock;
use selfcare::ports::blobs::{
    BlobCreated, BlobError, BlobInfo, BlobKey, Blobs, ByteStream, Download, Listing, Retention,
};

pub struct EmbeddedBlobs {
    bucket: String,
    root: PathBuf,
    /// Where the local runtime serves presigned downloads, e.g. `http://127.0.0.1:3000`.
    base_url: String,
    signing_key: Arc<[u8]>,
    clock: Arc<dyn Clock>,
    events: Option<UnboundedSender<BlobCreated>>,
}

fn io(e: std::io::Error) -> BlobError {
    BlobError::Unavailable(format!("embedded blobs: {e}"))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    content_type: String,
    /// The version stored (a ULID a put); only the current one is kept.
    #[serde(default)]
    version: Option<String>,
}

impl EmbeddedBlobs {
    pub fn open(
        bucket: &str,
        root: &Path,
        base_url: &str,
        signing_key: Arc<[u8]>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BlobError> {
        std::fs::create_dir_all(root.join("objects")).map_err(io)?;
        std::fs::create_dir_all(root.join("meta")).map_err(io)?;
        std::fs::create_dir_all(root.join("incoming")).map_err(io)?;
        Ok(EmbeddedBlobs {
            bucket: bucket.to_owned(),
            root: root.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            signing_key,
            clock,
            events: None,
        })
    }

    /// Reports every stored object on `events`, as S3 notifications would.
    pub fn notify(mut self, events: UnboundedSender<BlobCreated>) -> Self {
        self.events = Some(events);
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn object_path(&self, key: &BlobKey) -> PathBuf {
        self.root.join("objects").join(key.as_str())
    }

    fn meta_path(&self, key: &BlobKey) -> PathBuf {
        self.root
            .join("meta")
            .join(format!("{}.json", key.as_str()))
    }

    /// The MAC over what a presigned URL grants: reading (or, with `put`, storing) this
    /// key of this bucket until `expires`.
    fn mac(&self, key: &BlobKey, expires: i64, put: bool) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_key)
            .expect("HMAC takes keys of any length");
        let method = if put { "PUT\n" } else { "" };
        mac.update(format!("{method}{}\n{}\n{expires}", self.bucket, key.as_str()).as_bytes());
        mac
    }

    fn signature(&self, key: &BlobKey, expires: i64, put: bool) -> String {
        hex::encode(self.mac(key, expires, put).finalize().into_bytes())
    }

    /// Checks a presigned download's expiry and signature (the local runtime's side).
    pub fn verify_presigned(&self, key: &BlobKey, expires: i64, signature: &str) -> bool {
        self.verify(key, expires, signature, false)
    }

    /// Checks a presigned upload's expiry and signature (the local runtime's side).
    pub fn verify_presigned_put(&self, key: &BlobKey, expires: i64, signature: &str) -> bool {
        self.verify(key, expires, signature, true)
    }

    fn verify(&self, key: &BlobKey, expires: i64, signature: &str, put: bool) -> bool {
        if self.clock.now().unix_timestamp() >= expires {
            return false;
        }
        let Ok(signature) = hex::decode(signature) else {
            return false;
        };
        // verify_slice compares in constant time.
        self.mac(key, expires, put).verify_slice(&signature).is_ok()
    }
}

/// Every object under `root` whose key begins with `prefix`, in key order.
fn list_folder(root: &Path, prefix: &str) -> std::io::Result<Vec<BlobInfo>> {
    let objects = root.join("objects");
    let mut out = Vec::new();
    let mut stack = vec![objects.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(&objects) else {
                continue;
            };
            let name = relative.to_string_lossy().replace('\\', "/");
            if !name.starts_with(prefix) {
                continue;
            }
            let Ok(key) = BlobKey::parse(&name) else {
                continue;
            };
            out.push(BlobInfo {
                size: entry.metadata()?.len(),
                content_type: read_content_type(root, &key),
                key,
                version: None,
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

fn meta_path(root: &Path, key: &BlobKey) -> PathBuf {
    root.join("meta").join(format!("{}.json", key.as_str()))
}

fn read_content_type(root: &Path, key: &BlobKey) -> String {
    std::fs::read(meta_path(root, key))
        .ok()
        .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
        .map(|m| m.content_type)
        .unwrap_or_else(|| "application/octet-stream".into())
}

#[async_trait]
impl Blobs for EmbeddedBlobs {
    /// The local buckets keep every object: there is no lifecycle to act on a retention.
    async fn put_kept(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
        _retention: Retention,
    ) -> Result<BlobInfo, BlobError> {
        self.put(key, body, content_type).await
    }

    async fn put(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        content_type: &str,
    ) -> Result<BlobInfo, BlobError> {
        let incoming = self
            .root
            .join("incoming")
            .join(ulid::Ulid::new().to_string());
        let mut file = tokio::fs::File::create(&incoming).await.map_err(io)?;
        let mut size = 0u64;
        let written: Result<(), BlobError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.sync_all().await.map_err(io)
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&incoming).await;
            return Err(e);
        }
        let target = self.object_path(key);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        let meta_path = self.meta_path(key);
        if let Some(parent) = meta_path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        let version = ulid::Ulid::new().to_string();
        let meta = serde_json::to_vec(&Meta {
            content_type: content_type.to_owned(),
            version: Some(version.clone()),
        })
        .map_err(|e| BlobError::Unavailable(e.to_string()))?;
        tokio::fs::write(&meta_path, meta).await.map_err(io)?;
        tokio::fs::rename(&incoming, &target).await.map_err(io)?;
        if let Some(events) = &self.events {
            // The runtime may be shutting down; the object is stored either way.
            let _ = events.send(BlobCreated {
                bucket: self.bucket.clone(),
                key: key.clone(),
                size,
                version: Some(version.clone()),
            });
        }
        Ok(BlobInfo {
            key: key.clone(),
            size,
            content_type: content_type.to_owned(),
            version: Some(version),
        })
    }

    async fn get(&self, key: &BlobKey) -> Result<Option<Download>, BlobError> {
        let file = match tokio::fs::File::open(self.object_path(key)).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let size = file.metadata().await.map_err(io)?.len();
        let content_type = read_content_type(&self.root, key);
        Ok(Some(Download {
            info: BlobInfo {
                key: key.clone(),
                size,
                content_type,
                version: None,
            },
            body: Box::pin(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024)),
        }))
    }

    async fn get_range(
        &self,
        key: &BlobKey,
        start: u64,
        len: u64,
    ) -> Result<Option<Bytes>, BlobError> {
        let path = self.object_path(key);
        let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = match std::fs::File::open(path) {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let size = file.metadata()?.len();
            let len = len.min(size.saturating_sub(start));
            let mut out = vec![0; len as usize];
            file.seek(SeekFrom::Start(start))?;
            file.read_exact(&mut out)?;
            Ok(Some(out))
        })
        .await
        .map_err(|e| BlobError::Unavailable(e.to_string()))?
        .map_err(io)?;
        Ok(read.map(Bytes::from))
    }

    async fn get_version(
        &self,
        key: &BlobKey,
        version: &str,
    ) -> Result<Option<Download>, BlobError> {
        let current = std::fs::read(meta_path(&self.root, key))
            .ok()
            .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
            .and_then(|m| m.version);
        if current.as_deref() != Some(version) {
            return Ok(None);
        }
        self.get(key).await
    }

    async fn store_again(
        &self,
        key: &BlobKey,
        version: Option<&str>,
    ) -> Result<Option<BlobInfo>, BlobError> {
        let download = match version {
            Some(version) => self.get_version(key, version).await?,
            None => self.get(key).await?,
        };
        let Some(download) = download else {
            return Ok(None);
        };
        // The open file is read while the new one is written beside it and renamed over it.
        let stored = self
            .put(key, download.body, &download.info.content_type)
            .await?;
        Ok(Some(stored))
    }

    async fn list(
        &self,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<Listing, BlobError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let all = tokio::task::spawn_blocking(move || list_folder(&root, &prefix))
            .await
            .map_err(|e| BlobError::Unavailable(e.to_string()))?
            .map_err(io)?;
        let mut blobs: Vec<BlobInfo> = all
            .into_iter()
            .filter(|b| after.as_deref().is_none_or(|a| b.key.as_str() > a))
            .take(limit + 1)
            .collect();
        let next = if blobs.len() > limit {
            blobs.truncate(limit);
            blobs.last().map(|b| b.key.as_str().to_owned())
        } else {
            None
        };
        Ok(Listing { blobs, next })
    }

    async fn presign_get(&self, key: &BlobKey, expires_in: Duration) -> Result<String, BlobError> {
        let expires = self.clock.now().unix_timestamp() + expires_in.as_secs() as i64;
        Ok(format!(
            "{}/_local/blobs/{}/{}?expires={expires}&signature={}",
            self.base_url,
            self.bucket,
            key.as_str(),
            self.signature(key, expires, false)
        ))
    }

    async fn presign_put(
        &self,
        key: &BlobKey,
        expires_in: Duration,
        _content_type: &str,
    ) -> Result<String, BlobError> {
        let expires = self.clock.now().unix_timestamp() + expires_in.as_secs() as i64;
        Ok(format!(
            "{}/_local/blobs/{}/{}?expires={expires}&signature={}",
            self.base_url,
            self.bucket,
            key.as_str(),
            self.signature(key, expires, true)
        ))
    }
}
