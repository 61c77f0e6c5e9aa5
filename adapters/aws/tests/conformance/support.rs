//! Fixtures: a fresh, isolated instance of each port on each adapter.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use selfcare::ports::{Blobs, ChangeFeed, Mailer, ManualClock, Table};
use selfcare_aws::faults::FaultInjector;
use selfcare_aws::{DynamoChangeFeed, DynamoTable, S3Blobs, SesMailer, ensure_table};
use selfcare_embedded::{EmbeddedBlobs, EmbeddedTable, LocalOutbox};
use time::OffsetDateTime;

/// The moto endpoint; the suite does not run without it (it would prove nothing of AWS).
pub fn moto_url() -> String {
    std::env::var("SELFCARE_MOTO_URL")
        .expect("SELFCARE_MOTO_URL is not set: run the tests with infra/test.sh, which starts moto")
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub fn start_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a valid time"),
    ))
}

pub async fn moto_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        // Quick retries, so injected throttling costs milliseconds.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .load()
        .await
}

pub struct TableFixture {
    pub table: Arc<dyn Table>,
    pub feed: Box<dyn ChangeFeed>,
    pub clock: Arc<ManualClock>,
    /// Present on AWS: faults to inject on the wire.
    pub faults: Option<Arc<FaultInjector>>,
    _dir: Option<tempfile::TempDir>,
}

pub mod table {
    use super::*;

    pub async fn embedded() -> TableFixture {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let clock = start_clock();
        let table = EmbeddedTable::open(&dir.path().join("table.redb"), clock.clone())
            .expect("the embedded table opens");
        let feed = Box::new(table.change_feed("contract"));
        TableFixture {
            table: Arc::new(table),
            feed,
            clock,
            faults: None,
            _dir: Some(dir),
        }
    }

    pub async fn aws() -> TableFixture {
        let config = moto_config().await;
        let faults = FaultInjector::new();
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&config)
                .interceptor(faults.interceptor())
                .build(),
        );
        let name = unique("contract");
        ensure_table(&client, &name)
            .await
            .expect("moto creates the table");
        let described = client
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .expect("moto describes the table");
        let stream_arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream")
            .to_owned();
        let clock = start_clock();
        TableFixture {
            table: Arc::new(DynamoTable::new(client, name, clock.clone())),
            feed: Box::new(DynamoChangeFeed::new(
                aws_sdk_dynamodbstreams::Client::new(&config),
                stream_arn,
            )),
            clock,
            faults: Some(faults),
            _dir: None,
        }
    }
}

pub struct BlobFixture {
    pub blobs: Arc<dyn Blobs>,
    pub clock: Arc<ManualClock>,
    pub embedded: bool,
    /// On moto: the client and bucket, to read what the port does not (object tags).
    pub s3: Option<(aws_sdk_s3::Client, String)>,
    _server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

pub mod blobs {
    use super::*;

    pub async fn embedded() -> BlobFixture {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let clock = start_clock();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let blobs = Arc::new(
            EmbeddedBlobs::open(
                "exports",
                &dir.path().join("exports"),
                &base,
                Arc::from(b"contract-signing-key".as_slice()),
                clock.clone(),
            )
            .expect("the folder opens"),
        );
        let router = selfcare_embedded::routes::blob_downloads(vec![blobs.clone()]);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        BlobFixture {
            blobs,
            clock,
            embedded: true,
            s3: None,
            _server: Some(server),
            _dir: Some(dir),
        }
    }

    pub async fn aws() -> BlobFixture {
        let config = moto_config().await;
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let bucket = unique("contract");
        client
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("moto creates the bucket");
        // Versioned, as the template's buckets are.
        client
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("moto versions the bucket");
        BlobFixture {
            blobs: Arc::new(S3Blobs::new(client.clone(), bucket.clone())),
            clock: start_clock(),
            embedded: false,
            s3: Some((client, bucket)),
            _server: None,
            _dir: None,
        }
    }
}

pub struct MailFixture {
    pub mailer: Arc<dyn Mailer>,
    pub sender: String,
    /// Reads back what was sent: the raw message with this id.
    pub sent:
        Box<dyn Fn(String) -> futures::future::BoxFuture<'static, Option<Vec<u8>>> + Send + Sync>,
    _dir: Option<tempfile::TempDir>,
}

pub mod mailer {
    use super::*;
    use futures::FutureExt;

    pub async fn embedded() -> MailFixture {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let outbox = Arc::new(
            LocalOutbox::open(&dir.path().join("outbox"), start_clock()).expect("the outbox opens"),
        );
        let reader = outbox.clone();
        MailFixture {
            mailer: outbox,
            sender: "portal@acme-telecom.example".into(),
            sent: Box::new(move |id| {
                let reader = reader.clone();
                async move { reader.raw(&id).await.ok().flatten() }.boxed()
            }),
            _dir: Some(dir),
        }
    }

    pub async fn aws() -> MailFixture {
        let config = moto_config().await;
        let client = aws_sdk_sesv2::Client::new(&config);
        let domain = format!("{}.example", unique("tenant"));
        client
            .create_email_identity()
            .email_identity(&domain)
            .send()
            .await
            .expect("moto verifies the sending domain");
        MailFixture {
            mailer: Arc::new(SesMailer::new(client)),
            sender: format!("portal@{domain}"),
            sent: Box::new(|id| async move { moto_sent_raw(&id).await }.boxed()),
            _dir: None,
        }
    }

    /// The raw message moto recorded under this message id. moto's data.json answers 500
    /// now and then while other tests' S3 uploads settle (TOOLCHAIN.md), so it is asked a
    /// few times.
    async fn moto_sent_raw(id: &str) -> Option<Vec<u8>> {
        for _ in 0..20 {
            if let Some(raw) = moto_sent_raw_once(id).await {
                return Some(raw);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        None
    }

    async fn moto_sent_raw_once(id: &str) -> Option<Vec<u8>> {
        let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto_url()))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let messages = data.get("ses")?.get("RawMessage")?.as_array()?;
        messages.iter().find_map(|m| {
            (m.get("id")?.as_str()? == id)
                .then(|| m.get("raw_data")?.as_str().map(|s| s.as_bytes().to_vec()))
                .flatten()
        })
    }
}
