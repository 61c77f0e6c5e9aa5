//! Usage exports: a service's or an account's records of a month as a CSV file in the
//! exports bucket, handed out through a presigned URL that expires.
//!
//! A small export (up to [`AT_ONCE_LIMIT`] records, known from the month's totals before
//! reading a record) is written while the request waits. A larger one is a job: its item is
//! written `queued`, the table's stream starts the `documents` function (locally, the
//! in-process stream), and the client polls the job until it is `completed`. Either way the
//! file is streamed from the table to the bucket a page at a time (multipart on S3), so
//! memory stays bounded whatever the number of records.
//!
//! The file (RFC 4180, CRLF, a header row, UTF-8) has the columns of [`COLUMNS`]: times in
//! RFC 3339, money as decimal strings beside a currency column, and text cells that a
//! spreadsheet would run as a formula prefixed with `'`.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::{Period, UsageError, UsageRecord, UsageViews};
use crate::domain::calendar::ProviderZone;
use crate::domain::catalogue::money;
use crate::domain::services::{Service, ServiceError, Services};
use crate::export::csv_safe;
use crate::ids::{AccountId, ExportId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::blobs::{BlobKey, Blobs, ByteStream, Retention};
use crate::ports::table::{Condition, Item, Key, Table, TableError, Update, Value, Write};
use crate::store::{self, CursorCodec, Transaction, TransactionError, keys};

/// Exports of at most this many records are written while the request waits.
pub const AT_ONCE_LIMIT: i64 = 10_000;
/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(15);
/// A job still queued or running after this long has failed (its function gave up).
pub const JOB_DEADLINE: Duration = Duration::minutes(30);
/// Export jobs are kept as long as the bucket keeps their files.
const JOB_RETENTION: Duration = Duration::days(7);
/// A job is tried at most this many times before it is marked failed.
const MAX_ATTEMPTS: i64 = 3;
/// The body is sent on in pieces of about this size.
const PIECE_BYTES: usize = 256 * 1024;
/// The `kind` attribute the stream filter picks export jobs by.
pub const JOB_KIND: &str = "usage-export";

pub const COLUMNS: [&str; 12] = [
    "record_id",
    "service_id",
    "service",
    "type",
    "started_at",
    "destination",
    "quantity",
    "unit",
    "billable",
    "covered",
    "charge",
    "currency",
];

/// What is exported: one service of the account, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    Service(ServiceId),
    Account,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

/// An export as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportJob {
    pub id: String,
    pub tenant: String,
    pub account: String,
    /// The one service exported, or none for the whole account.
    #[serde(default)]
    pub service: Option<String>,
    pub period: String,
    pub status: ExportStatus,
    /// The records in the file, once written.
    #[serde(default)]
    pub rows: Option<i64>,
    pub file: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: i64,
}

impl ExportJob {
    /// The status a client is shown: a job past its deadline has failed, whatever its item
    /// says (the function that ran it gave up or was never started).
    pub fn status_at(&self, now: OffsetDateTime) -> ExportStatus {
        match self.status {
            ExportStatus::Queued | ExportStatus::Running
                if now - self.requested_at > JOB_DEADLINE =>
            {
                ExportStatus::Failed
            }
            status => status,
        }
    }
}

/// A presigned download of a completed export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    pub url: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Storage(#[from] TableError),
    #[error("the exports bucket failed: {0}")]
    Blobs(String),
}

impl From<ServiceError> for ExportError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => ExportError::NotFound,
            ServiceError::Storage(e) => ExportError::Storage(e),
            other => ExportError::Invalid(other.to_string()),
        }
    }
}

fn job_key(tenant: &TenantId, account: &AccountId, id: &ExportId) -> Key {
    Key::new(keys::account(tenant, account), format!("EXPORT#{id}"))
}

/// A job's item: in its account's partition, marked for the stream's filter, kept as long
/// as the bucket keeps its file.
fn job_item(
    job: &ExportJob,
    tenant: &TenantId,
    account: &AccountId,
    id: &ExportId,
) -> Result<Item, ExportError> {
    let k = job_key(tenant, account, id);
    let mut item = store::keyed(
        store::to_item(job)?,
        &[("pk", k.pk), ("sk", k.sk), ("kind", JOB_KIND.to_owned())],
    );
    item.insert(
        crate::ports::table::EXPIRES_AT.to_owned(),
        Value::N((job.requested_at + JOB_RETENTION).unix_timestamp()),
    );
    Ok(item)
}

/// Makes usage exports. Every key names the tenant and the account, so an export can only
/// be read through the account it was made for.
#[derive(Clone)]
pub struct UsageExports {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    clock: Arc<dyn Clock>,
    services: Services,
    views: UsageViews,
    records: super::records::UsageRecords,
    at_once_limit: i64,
}

impl UsageExports {
    pub fn new(
        table: Arc<dyn Table>,
        blobs: Arc<dyn Blobs>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
    ) -> Self {
        UsageExports {
            services: Services::new(table.clone(), clock.clone(), cursors.clone()),
            views: UsageViews::new(table.clone()),
            records: super::records::UsageRecords::new(table.clone(), blobs.clone(), cursors),
            table,
            blobs,
            clock,
            at_once_limit: AT_ONCE_LIMIT,
        }
    }

    /// Another threshold between exports written at once and jobs (tests use a small one).
    pub fn with_at_once_limit(mut self, records: i64) -> Self {
        self.at_once_limit = records;
        self
    }

    /// Starts an export: written at once when small, else queued as a job. With an
    /// idempotency key, the same request again answers the same export.
    pub async fn request(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        scope: ExportScope,
        period: Period,
        idempotency_key: Option<&str>,
    ) -> Result<ExportJob, ExportError> {
        if let Some(key) = idempotency_key
            && !(8..=128).contains(&key.len())
        {
            return Err(ExportError::Invalid(
                "an idempotency key has 8 to 128 characters".into(),
            ));
        }
        let now = self.clock.now();
        let zone = crate::domain::settings::zone(self.table.as_ref(), tenant).await?;
        let today = zone.date_of(now);
        if period > Period::containing(today) {
            return Err(ExportError::Invalid(format!(
                "{period} has not begun; export this month or an earlier one"
            )));
        }
        let fingerprint = hex::encode(Sha256::digest(
            format!("{account}|{scope:?}|{period}").as_bytes(),
        ));
        if let Some(key) = idempotency_key
            && let Some(job) = self.replay(tenant, account, key, &fingerprint).await?
        {
            return Ok(job);
        }
        // The service must be the account's: a service id of another account is not found.
        // The file is named for what it holds (`usage-2026-11-+61255501234.csv`).
        let mut holds = "account".to_owned();
        let count = match scope {
            ExportScope::Service(id) => {
                holds = self.services.get(tenant, account, &id).await?.identifier;
                self.views
                    .service_month(tenant, &id, period, today)
                    .await?
                    .by_type
                    .values()
                    .map(|t| t.count)
                    .sum::<i64>()
            }
            ExportScope::Account => self
                .views
                .account_month(tenant, account, period, today)
                .await?
                .by_type
                .values()
                .map(|t| t.count)
                .sum(),
        };
        let id = ExportId::generate(now);
        let mut job = ExportJob {
            id: id.to_string(),
            tenant: tenant.to_string(),
            account: account.to_string(),
            service: match scope {
                ExportScope::Service(s) => Some(s.to_string()),
                ExportScope::Account => None,
            },
            period: period.to_string(),
            status: ExportStatus::Queued,
            rows: None,
            file: format!(
                "{tenant}/usage-exports/{account}/{id}/usage-{period}-{}.csv",
                file_name_part(&holds)
            ),
            requested_at: now,
            finished_at: None,
            error: None,
            attempts: 0,
        };
        if count <= self.at_once_limit {
            let rows = self.write_file(&job).await?;
            job.status = ExportStatus::Completed;
            job.rows = Some(rows);
            job.finished_at = Some(self.clock.now());
        }
        let mut tx = Transaction::new();
        tx.add(
            "export job",
            Write::Put {
                item: job_item(&job, tenant, account, &id)?,
                condition: Some(Condition::Absent),
            },
        );
        if let Some(key) = idempotency_key {
            tx.add(
                "idempotency claim",
                Write::Put {
                    item: store::keyed(
                        Item::from([
                            ("export".to_owned(), Value::S(job.id.clone())),
                            ("fingerprint".to_owned(), Value::S(fingerprint.clone())),
                            (
                                crate::ports::table::EXPIRES_AT.to_owned(),
                                Value::N((now + Duration::days(1)).unix_timestamp()),
                            ),
                        ]),
                        &[
                            ("pk", keys::idempotency(tenant, key)),
                            ("sk", format!("USAGE_EXPORT#{account}")),
                        ],
                    ),
                    condition: Some(Condition::Absent),
                },
            );
        }
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(job),
            // A twin request with the same key won the race: answer its export.
            Err(TransactionError::ConditionFailed("idempotency claim")) => {
                let key = idempotency_key.unwrap_or_default();
                self.replay(tenant, account, key, &fingerprint)
                    .await?
                    .ok_or(ExportError::IdempotencyKeyReused)
            }
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    async fn replay(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<ExportJob>, ExportError> {
        let claim = Key::new(
            keys::idempotency(tenant, key),
            format!("USAGE_EXPORT#{account}"),
        );
        let Some(item) = self.table.get(&claim).await? else {
            return Ok(None);
        };
        if item.get("fingerprint").and_then(Value::as_s) != Some(fingerprint) {
            return Err(ExportError::IdempotencyKeyReused);
        }
        let id = item
            .get("export")
            .and_then(Value::as_s)
            .and_then(|s| s.parse::<ExportId>().ok())
            .ok_or_else(|| {
                TableError::Unavailable("an idempotency item lacks its export".into())
            })?;
        self.job(tenant, account, &id).await.map(Some)
    }

    /// An export of the account.
    pub async fn job(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &ExportId,
    ) -> Result<ExportJob, ExportError> {
        let item = self
            .table
            .get(&job_key(tenant, account, id))
            .await?
            .ok_or(ExportError::NotFound)?;
        Ok(store::from_item(&item)?)
    }

    /// A fresh download link for a completed export; None while it is not.
    pub async fn link(&self, job: &ExportJob) -> Result<Option<DownloadLink>, ExportError> {
        if job.status_at(self.clock.now()) != ExportStatus::Completed {
            return Ok(None);
        }
        let key = BlobKey::parse(&job.file).map_err(|e| ExportError::Blobs(e.to_string()))?;
        let url = self
            .blobs
            .presign_get(&key, LINK_LIFETIME.unsigned_abs())
            .await
            .map_err(|e| ExportError::Blobs(e.to_string()))?;
        Ok(Some(DownloadLink {
            url,
            expires_at: self.clock.now() + LINK_LIFETIME,
        }))
    }

    /// Runs a queued job (the `documents` function, from the stream). Delivered again
    /// after a failure, it runs again and writes the whole file again; a job already
    /// completed, or tried [`MAX_ATTEMPTS`] times, is left as it is.
    pub async fn run(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &ExportId,
    ) -> Result<ExportJob, ExportError> {
        let key = job_key(tenant, account, id);
        let mut job = self.job(tenant, account, id).await?;
        if matches!(job.status, ExportStatus::Completed | ExportStatus::Failed) {
            return Ok(job);
        }
        if job.attempts >= MAX_ATTEMPTS {
            return self
                .settle(
                    &key,
                    job,
                    Err("the export failed after several tries".into()),
                )
                .await;
        }
        // Claim this attempt: a twin delivery running at the same time loses here.
        let claimed = self
            .table
            .update(
                &key,
                Update::default()
                    .set("status", "running")
                    .set("attempts", job.attempts + 1),
                Some(Condition::Equals("attempts".into(), Value::N(job.attempts))),
            )
            .await;
        match claimed {
            Ok(_) => {}
            Err(TableError::ConditionFailed) => return self.job(tenant, account, id).await,
            Err(e) => return Err(e.into()),
        }
        job.attempts += 1;
        job.status = ExportStatus::Running;
        match self.write_file(&job).await {
            Ok(rows) => self.settle(&key, job, Ok(rows)).await,
            Err(e) => {
                tracing::warn!(export = %id, error = %e, attempt = job.attempts, "usage export failed");
                Err(e)
            }
        }
    }

    async fn settle(
        &self,
        key: &Key,
        mut job: ExportJob,
        outcome: Result<i64, String>,
    ) -> Result<ExportJob, ExportError> {
        let now = self.clock.now();
        let mut update = Update::default().set("finished_at", store::rfc3339(now));
        match &outcome {
            Ok(rows) => {
                update = update.set("status", "completed").set("rows", *rows);
                job.status = ExportStatus::Completed;
                job.rows = Some(*rows);
            }
            Err(error) => {
                update = update.set("status", "failed").set("error", error.as_str());
                job.status = ExportStatus::Failed;
                job.error = Some(error.clone());
            }
        }
        self.table
            .update(key, update, Some(Condition::Exists))
            .await?;
        job.finished_at = Some(now);
        Ok(job)
    }

    /// Streams the job's records to its file; the number of records written.
    async fn write_file(&self, job: &ExportJob) -> Result<i64, ExportError> {
        let tenant: TenantId = job
            .tenant
            .parse()
            .map_err(|_| ExportError::Invalid("tenant".into()))?;
        let account: AccountId = job
            .account
            .parse()
            .map_err(|_| ExportError::Invalid("account".into()))?;
        let period = Period::parse(&job.period)
            .ok_or_else(|| ExportError::Invalid(format!("period {:?}", job.period)))?;
        let services = match &job.service {
            Some(id) => {
                let id: ServiceId = id
                    .parse()
                    .map_err(|_| ExportError::Invalid("service".into()))?;
                vec![self.services.get(&tenant, &account, &id).await?]
            }
            None => self.services.of_account(&tenant, &account).await?,
        };
        let key = BlobKey::parse(&job.file).map_err(|e| ExportError::Blobs(e.to_string()))?;
        // The records are read and formatted by one task while the bucket takes the body
        // from another; the channel holds at most a few pieces, which bounds memory.
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        let zone = crate::domain::settings::zone(self.table.as_ref(), &tenant).await?;
        // In the request's scope when a request runs it (crate::store::scope).
        let producer = crate::store::scope::spawn(produce_csv(
            self.records.clone(),
            tenant,
            services,
            period,
            zone,
            sender,
        ));
        let body: ByteStream = Box::pin(futures::stream::unfold(receiver, |mut r| async move {
            r.recv().await.map(|piece| (piece, r))
        }));
        let stored = self
            .blobs
            .put_kept(&key, body, "text/csv; charset=utf-8", Retention::Temporary)
            .await;
        let produced = producer
            .await
            .map_err(|e| ExportError::Blobs(format!("the export task stopped: {e}")))?;
        let rows = produced?;
        stored.map_err(|e| ExportError::Blobs(e.to_string()))?;
        Ok(rows)
    }
}

/// Reads the services' records of the month in order and sends them as CSV pieces.
async fn produce_csv(
    records: super::records::UsageRecords,
    tenant: TenantId,
    services: Vec<Service>,
    period: Period,
    zone: ProviderZone,
    sender: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<i64, ExportError> {
    let mut csv = csv_writer();
    let mut rows = 0;
    let fail = |e: &dyn std::fmt::Display| ExportError::Blobs(e.to_string());
    csv.write_record(COLUMNS).map_err(|e| fail(&e))?;
    for service in &services {
        let month = match records.month(&tenant, &service.id, period).await {
            Ok(month) => month,
            Err(e) => {
                let _ = sender.send(Err(std::io::Error::other(e.to_string()))).await;
                return Err(e.into());
            }
        };
        for record in month {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    let _ = sender.send(Err(std::io::Error::other(e.to_string()))).await;
                    return Err(e.into());
                }
            };
            write_row(&mut csv, service, &record, &zone).map_err(|e| fail(&e))?;
            rows += 1;
            // The writer's buffer goes into the Vec every few thousand rows, so its length
            // says what is ready to send.
            if rows % 4096 == 0 {
                csv.flush().map_err(|e| fail(&e))?;
                if csv.get_ref().len() >= PIECE_BYTES {
                    let piece = std::mem::replace(&mut csv, csv_writer())
                        .into_inner()
                        .map_err(|e| fail(&e))?;
                    if sender.send(Ok(Bytes::from(piece))).await.is_err() {
                        return Err(ExportError::Blobs("the upload stopped".into()));
                    }
                }
            }
        }
    }
    let last = csv.into_inner().map_err(|e| fail(&e))?;
    if !last.is_empty() && sender.send(Ok(Bytes::from(last))).await.is_err() {
        return Err(ExportError::Blobs("the upload stopped".into()));
    }
    Ok(rows)
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(8 * 1024)
        .from_writer(Vec::with_capacity(PIECE_BYTES + 16 * 1024))
}

/// One record as a row of [`COLUMNS`]; its start as the provider's clock read it (RFC
/// 3339 with the provider's offset, so the date in the file is the day it is counted in).
pub fn write_row(
    csv: &mut csv::Writer<Vec<u8>>,
    service: &Service,
    record: &UsageRecord,
    zone: &ProviderZone,
) -> csv::Result<()> {
    let unit = match record.usage {
        crate::domain::catalogue::UsageType::Call => "seconds",
        crate::domain::catalogue::UsageType::Message => "messages",
        crate::domain::catalogue::UsageType::Data => "bytes",
    };
    csv.write_record([
        csv_safe(&record.record_id).as_ref(),
        record.service.as_str(),
        csv_safe(&service.identifier).as_ref(),
        record.usage.name(),
        &zone
            .local(record.started_at)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        csv_safe(&record.destination).as_ref(),
        &record.quantity.to_string(),
        unit,
        &record.billable.to_string(),
        &record.covered.to_string(),
        &money::decimal(record.charge),
        &record.currency,
    ])
}

/// The job an inserted item is, for the stream handler: (tenant, account, export).
pub fn queued_job(item: &Item) -> Option<(TenantId, AccountId, ExportId)> {
    if item.get("kind").and_then(Value::as_s) != Some(JOB_KIND)
        || item.get("status").and_then(Value::as_s) != Some("queued")
    {
        return None;
    }
    let text = |name: &str| item.get(name).and_then(Value::as_s);
    Some((
        text("tenant")?.parse().ok()?,
        text("account")?.parse().ok()?,
        text("id")?.parse().ok()?,
    ))
}

/// What a file name may hold of a service's identifier: letters, digits and `+ - _ .`
/// (an address's `@` or a slash become `-`).
fn file_name_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}
