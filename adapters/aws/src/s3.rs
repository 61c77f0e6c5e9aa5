//! The Blobs port on S3: multipart uploads for large bodies, streamed downloads,
//! presigned GET URLs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tracing::instrument;

use selfcare::ports::blobs::{
    BlobError, BlobInfo, BlobKey, Blobs, ByteStream, Download, Listing, RETENTION_TAG, Retention,
};

/// Bodies up to this size go in one PutObject; larger ones in parts of this size
/// (S3's least part size is 5 MiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

pub struct S3Blobs {
    client: Client,
    bucket: String,
}

fn sdk_error<
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
>(
    operation: &str,
    error: SdkError<E, R>,
) -> BlobError {
    BlobError::Unavailable(format!("{operation}: {}", DisplayErrorContext(&error)))
}

/// Reads from `body` until `buffer` holds a part's worth or the body ends.
async fn fill(body: &mut ByteStream, buffer: &mut BytesMut) -> Result<bool, BlobError> {
    while buffer.len() < PART_SIZE {
        match body.next().await {
            Some(chunk) => buffer.extend_from_slice(&chunk?),
            None => return Ok(false),
        }
    }
    Ok(true)
}

impl S3Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Blobs {
            client,
            bucket: bucket.into(),
        }
    }

    async fn store(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        content_type: &str,
        tagging: Option<String>,
    ) -> Result<BlobInfo, BlobError> {
        let mut buffer = BytesMut::with_capacity(PART_SIZE);
        let full = fill(&mut body, &mut buffer).await?;
        let first = buffer.split().freeze();
        let (size, version) = if full {
            self.put_multipart(key, first, &mut body, content_type, tagging)
                .await?
        } else {
            let size = first.len() as u64;
            let stored = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .content_type(content_type)
                .set_tagging(tagging)
                .body(S3Body::from(first))
                .send()
                .await
                .map_err(|e| sdk_error("PutObject", e))?;
            (size, stored.version_id)
        };
        Ok(BlobInfo {
            key: key.clone(),
            size,
            content_type: content_type.to_owned(),
            version,
        })
    }

    async fn put_multipart(
        &self,
        key: &BlobKey,
        first: Bytes,
        body: &mut ByteStream,
        content_type: &str,
        tagging: Option<String>,
    ) -> Result<(u64, Option<String>), BlobError> {
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .set_tagging(tagging)
            .send()
            .await
            .map_err(|e| sdk_error("CreateMultipartUpload", e))?;
        let upload_id = upload
            .upload_id()
            .ok_or_else(|| BlobError::Unavailable("S3 gave no upload id".into()))?
            .to_owned();
        let result: Result<(u64, Option<String>), BlobError> = async {
            let mut parts = Vec::new();
            let mut size = 0u64;
            let mut pending = Some(first);
            let mut buffer = BytesMut::with_capacity(PART_SIZE);
            while let Some(part) = pending.take() {
                let number = i32::try_from(parts.len() + 1)
                    .map_err(|_| BlobError::Unavailable("too many parts".into()))?;
                size += part.len() as u64;
                let uploaded = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key.as_str())
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(S3Body::from(part))
                    .send()
                    .await
                    .map_err(|e| sdk_error("UploadPart", e))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(uploaded.e_tag().map(str::to_owned))
                        .build(),
                );
                let full = fill(body, &mut buffer).await?;
                if full || !buffer.is_empty() {
                    pending = Some(buffer.split().freeze());
                }
            }
            let done = self
                .client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| sdk_error("CompleteMultipartUpload", e))?;
            Ok((size, done.version_id))
        }
        .await;
        if result.is_err() {
            // Parts of an abandoned upload cost money until aborted (the bucket's lifecycle
            // rule is the second net).
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    #[instrument(skip(self, body), fields(bucket = %self.bucket, key = %key))]
    async fn put(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
    ) -> Result<BlobInfo, BlobError> {
        self.store(key, body, content_type, None).await
    }

    #[instrument(skip(self, body), fields(bucket = %self.bucket, key = %key))]
    async fn put_kept(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
        retention: Retention,
    ) -> Result<BlobInfo, BlobError> {
        // S3 takes tags as a URL query string; the tag and its values need no escaping.
        let tagging = format!("{RETENTION_TAG}={}", retention.tag());
        self.store(key, body, content_type, Some(tagging)).await
    }

    #[instrument(skip(self), fields(bucket = %self.bucket, key = %key))]
    async fn get(&self, key: &BlobKey) -> Result<Option<Download>, BlobError> {
        self.get_object(key, None).await
    }

    #[instrument(skip(self), fields(bucket = %self.bucket, key = %key))]
    async fn get_range(
        &self,
        key: &BlobKey,
        start: u64,
        len: u64,
    ) -> Result<Option<Bytes>, BlobError> {
        if len == 0 {
            // An empty range is no range to S3; whether the object is there still counts.
            return Ok(self.get_object(key, None).await?.map(|_| Bytes::new()));
        }
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .range(format!("bytes={start}-{}", start + len - 1))
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            // A range that starts past the object's end.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 416) => {
                return Ok(Some(Bytes::new()));
            }
            Err(e) => return Err(sdk_error("GetObject", e)),
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Unavailable(format!("GetObject body: {e}")))?;
        Ok(Some(body.into_bytes()))
    }

    #[instrument(skip(self), fields(bucket = %self.bucket, key = %key))]
    async fn get_version(
        &self,
        key: &BlobKey,
        version: &str,
    ) -> Result<Option<Download>, BlobError> {
        self.get_object(key, Some(version)).await
    }

    #[instrument(skip(self), fields(bucket = %self.bucket))]
    async fn store_again(
        &self,
        key: &BlobKey,
        version: Option<&str>,
    ) -> Result<Option<BlobInfo>, BlobError> {
        // S3 copies an object onto itself only when something about it changes: the
        // metadata is replaced (its content type kept, the time it was stored again added).
        // The current object: the version named must be it.
        let head = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(head) => head,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found() || s.code() == Some("NoSuchVersion"))
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(sdk_error("HeadObject", e)),
        };
        if version.is_some() && head.version_id() != version {
            return Ok(None);
        }
        let content_type = head
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        // Keys hold letters, digits and `- _ . = +`; only `+` needs quoting in a copy source.
        let mut source = format!("{}/{}", self.bucket, key.as_str().replace('+', "%2B"));
        if let Some(version) = version {
            source.push_str(&format!("?versionId={version}"));
        }
        let copied = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .copy_source(source)
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .content_type(&content_type)
            .metadata("stored-again", "true")
            .send()
            .await
            .map_err(|e| sdk_error("CopyObject", e))?;
        Ok(Some(BlobInfo {
            key: key.clone(),
            size: head.content_length().unwrap_or_default().max(0) as u64,
            content_type,
            version: copied.version_id().map(str::to_owned),
        }))
    }

    #[instrument(skip(self), fields(bucket = %self.bucket))]
    async fn list(
        &self,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<Listing, BlobError> {
        let output = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_start_after(after)
            .max_keys(i32::try_from(limit.min(1000)).unwrap_or(1000))
            .send()
            .await
            .map_err(|e| sdk_error("ListObjectsV2", e))?;
        let mut blobs = Vec::new();
        for object in output.contents() {
            let Some(key) = object.key().and_then(|k| BlobKey::parse(k).ok()) else {
                continue;
            };
            blobs.push(BlobInfo {
                key,
                size: object.size().unwrap_or_default().max(0) as u64,
                // Listings carry no content type; a get tells it.
                content_type: String::new(),
                version: None,
            });
        }
        let next = if output.is_truncated().unwrap_or(false) {
            blobs.last().map(|b| b.key.as_str().to_owned())
        } else {
            None
        };
        Ok(Listing { blobs, next })
    }

    async fn presign_get(&self, key: &BlobKey, expires_in: Duration) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| BlobError::Unavailable(format!("presigning: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            // Every link is a file to save (an export, an invoice), named by its key.
            .response_content_disposition(key.attachment())
            .presigned(config)
            .await
            .map_err(|e| sdk_error("presign GetObject", e))?;
        Ok(request.uri().to_owned())
    }

    async fn presign_put(
        &self,
        key: &BlobKey,
        expires_in: Duration,
        content_type: &str,
    ) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| BlobError::Unavailable(format!("presigning: {e}")))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(|e| sdk_error("presign PutObject", e))?;
        Ok(request.uri().to_owned())
    }
}

impl S3Blobs {
    /// GetObject, of one version when named; a missing key or version reads as None.
    async fn get_object(
        &self,
        key: &BlobKey,
        version: Option<&str>,
    ) -> Result<Option<Download>, BlobError> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
        {
            Ok(output) => output,
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    use aws_sdk_s3::error::ProvideErrorMetadata;
                    s.is_no_such_key() || s.code() == Some("NoSuchVersion")
                }) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(sdk_error("GetObject", e)),
        };
        let info = BlobInfo {
            key: key.clone(),
            size: output.content_length().unwrap_or_default().max(0) as u64,
            content_type: output
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned(),
            version: output.version_id().map(str::to_owned),
        };
        let reader = output.body.into_async_read();
        Ok(Some(Download {
            info,
            body: Box::pin(tokio_util::io::ReaderStream::with_capacity(
                reader,
                64 * 1024,
            )),
        }))
    }
}
