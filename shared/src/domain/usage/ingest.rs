//! Usage ingest: a provider's CSV file of records, streamed from the ingest bucket, checked
//! row by row, rated, and stored with its totals; bad rows go to a rejects file.
//!
//! The file (RFC 4180, a header row, UTF-8) has these columns, in this order:
//!
//! | column | what |
//! | --- | --- |
//! | `record_id` | the provider's id of the record (1–100 chars), unique across its files |
//! | `service` | the service's identifier: its phone number, circuit id, ... |
//! | `type` | `call`, `message` or `data` |
//! | `started_at` | RFC 3339, `2026-11-03T09:15:00Z` |
//! | `destination` | the number called or messaged (digits, an optional leading `+`); empty for data |
//! | `quantity` | seconds (calls), messages, bytes (data): a whole number, 0 or more |
//!
//! Each record's day and month are the provider's (its time zone, read once per file).
//!
//! Files go under `{tenant id}/usage/` in the ingest bucket; a name is a file: the same key
//! delivered again is the same ingest. Rejects land at `{tenant id}/rejects/{ingest}/{name}`.
//!
//! A record is loaded once per provider: a row whose id another file loaded into the
//! same service and month is refused, saying which file: as "loaded before" when it says
//! the same, or "with other details" when it differs (a loaded record is never changed; a
//! correction comes as a new record id: a credit or a rebill line). Each service-month's
//! loaded ids are read once per file from its blocks' id parts (24 bytes a record). A
//! record id sent again under another service or month is not caught: the id index is per
//! service-month, not per provider (docs/usage-storage.md says why). Rows that start
//! more than [`CLOCK_SKEW`] after the ingest began are refused as in the future.
//!
//! Rated records are not table items: each chunk's records are one object in the
//! documents bucket, a block per service and month, with an index item per block
//! ([`super::blocks`]); the views and exports read them from there.
//!
//! Exactly once: the file is processed in chunks of [`CHUNK_ROWS`]. A chunk's records and
//! rejects are written whole and are the same if the chunk is redone (the same object
//! under the same key, the same index items); only then does the ingest's checkpoint move
//! past the chunk (a conditional write). The file's totals are kept in memory, one per
//! service, day and usage type, and written once the last chunk is stored, as parts keyed
//! by the ingest, then the alerts are checked and the ingest marked completed. A crash or
//! timeout leaves the checkpoint at the first chunk not stored, and a redelivery carries on
//! from there: rows before it are parsed and rated again (to know the record ids seen and
//! to total the file) but not stored again. Allowances already drawn are read from the
//! totals of other files only, so a file's own parts, half written by a run that died,
//! never count against it. A provider's files load one at a time, in the order they
//! arrived (its line of the usage files queue: [`crate::events::QueuedUsageFile`]), since
//! allowances are drawn in file order; different providers' files load side by side. A
//! file's records and totals appear in the views when the file finishes.
//!
//! Memory: the parser runs ahead by at most two chunks; what grows with the file is the
//! set of record ids seen (16 bytes a row) and the ids other files loaded into the
//! service-months the file touches (about 40 bytes a record, held as a hash map); the
//! totals grow by services × days × 3, not by rows.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::alerts::{Alerts, Touched};
use super::blocks::{self, Block};
use super::rating::{self, UsageRow};
use super::{Period, Totals, UsageError, keys};
use crate::domain::calendar::ProviderZone;
use crate::domain::catalogue::{BoltOn, Plan, UsageType};
use crate::domain::contact::EmailAddress;
use crate::domain::paging::{self, Page, PageRequest};
use crate::domain::services::{Service, Services};
use crate::export::csv_safe;
use crate::ids::{AccountId, PlanId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::blobs::{BlobKey, Blobs, bytes_stream};
use crate::ports::table::{Condition, Index, Item, Key, Query, Table, TableError, Update, Value};
use crate::store::{self, CursorCodec};

/// Rows per chunk: the unit of progress and of redo.
pub const CHUNK_ROWS: usize = 50_000;
/// How far after the ingest began a row may start (the provider's clock may run ahead).
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(15);
const HEADER: [&str; 6] = [
    "record_id",
    "service",
    "type",
    "started_at",
    "destination",
    "quantity",
];

/// Where an ingest is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    Running,
    Completed,
    /// The file could not be read at all (no header, not CSV); nothing was loaded.
    Failed,
}

/// One load of a usage file: how far it got and what it came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestResult {
    pub id: String,
    /// The file's key in the ingest bucket.
    pub file: String,
    pub status: IngestStatus,
    pub rows_read: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// The rejects file (line, reason), when there were rejects.
    pub rejects_file: Option<String>,
    pub error: Option<String>,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    /// Chunks finished (progress, and where a redelivery carries on).
    pub chunks_done: i64,
    /// When it last moved: started, or a chunk finished.
    pub progressed_at: Option<OffsetDateTime>,
    /// The version of the file it loads, where the bucket keeps versions.
    pub version: Option<String>,
    /// The ingest of the file stored again when staff retried this one.
    pub retried_as: Option<String>,
    /// When staff asked to retry it (set before the file is stored again: a retry whose
    /// copy failed may be asked again).
    pub retry_requested_at: Option<OffsetDateTime>,
}

/// How long a running ingest may go without finishing a chunk before it is shown as
/// failed: longer than one delivery may live (the function stops at 15 minutes), and a
/// chunk takes seconds. S3 hands a file over three times at most: a load that stopped and
/// was not handed over again, or that waited on another file too long, stays like this.
pub const STALLED_AFTER: time::Duration = time::Duration::minutes(20);

impl IngestResult {
    /// Stopped: still marked running, with no progress for [`STALLED_AFTER`].
    pub fn stalled_at(&self, now: OffsetDateTime) -> bool {
        self.status == IngestStatus::Running
            && now - self.progressed_at.unwrap_or(self.started_at) > STALLED_AFTER
    }

    /// The status staff are shown: a stalled load has failed, whatever its item says.
    pub fn status_at(&self, now: OffsetDateTime) -> IngestStatus {
        if self.stalled_at(now) {
            IngestStatus::Failed
        } else {
            self.status
        }
    }

    /// May staff retry it: stopped, or asked before and the file not stored again yet.
    pub fn retryable_at(&self, now: OffsetDateTime) -> bool {
        self.retried_as.is_none()
            && (self.stalled_at(now)
                || (self.status == IngestStatus::Failed && self.retry_requested_at.is_some()))
    }

    /// Why it failed, in words staff can act on.
    pub fn error_at(&self, now: OffsetDateTime) -> Option<String> {
        if self.stalled_at(now) {
            return Some(format!(
                "Loading stopped after {} rows and has not moved for {} minutes. Retry \
                 to load the file again; records already loaded are not counted twice.",
                self.rows_read,
                STALLED_AFTER.whole_minutes()
            ));
        }
        self.error.clone()
    }
}

/// What staff asking to retry a load come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// The file is stored again and loads as a new ingest; this one is failed for good
    /// (asking again answers the same).
    Retried(IngestResult),
    /// It is loading, has completed, or failed for a reason a retry would meet again (the
    /// file unreadable): nothing to retry.
    NotStopped(IngestResult),
    /// The file (that version of it) is no longer in the bucket, or a newer file was
    /// stored under its name since (storing the old one again would undo the correction).
    FileGone(IngestResult),
}

/// An ingest's stored form. Fields it does not know are ignored (a rollback reads what a
/// later version wrote); the API answers with a view of its own.
#[derive(serde::Serialize, serde::Deserialize)]
struct IngestRecord {
    id: String,
    file: String,
    status: IngestStatus,
    rows_read: i64,
    accepted: i64,
    rejected: i64,
    #[serde(default)]
    rejects_file: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
    chunks_done: i64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    progressed_at: Option<OffsetDateTime>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    retried_as: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    retry_requested_at: Option<OffsetDateTime>,
}

impl From<&IngestResult> for IngestRecord {
    fn from(r: &IngestResult) -> Self {
        IngestRecord {
            id: r.id.clone(),
            file: r.file.clone(),
            status: r.status,
            rows_read: r.rows_read,
            accepted: r.accepted,
            rejected: r.rejected,
            rejects_file: r.rejects_file.clone(),
            error: r.error.clone(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            chunks_done: r.chunks_done,
            progressed_at: r.progressed_at,
            version: r.version.clone(),
            retried_as: r.retried_as.clone(),
            retry_requested_at: r.retry_requested_at,
        }
    }
}

impl From<IngestRecord> for IngestResult {
    fn from(r: IngestRecord) -> Self {
        IngestResult {
            id: r.id,
            file: r.file,
            status: r.status,
            rows_read: r.rows_read,
            accepted: r.accepted,
            rejected: r.rejected,
            rejects_file: r.rejects_file,
            error: r.error,
            started_at: r.started_at,
            finished_at: r.finished_at,
            chunks_done: r.chunks_done,
            progressed_at: r.progressed_at,
            version: r.version,
            retried_as: r.retried_as,
            retry_requested_at: r.retry_requested_at,
        }
    }
}

/// One parsed line: its number and the row, or why it is refused.
type Line = (u64, Result<UsageRow, String>);

/// A rated chunk on its way to the write stage.
struct ChunkWrite {
    chunk_no: i64,
    records: BTreeMap<(ServiceId, Period), blocks::Pending>,
    /// Line and reason, in line order.
    rejects: Vec<(u64, String)>,
    rows: i64,
    accepted: i64,
    rejected: i64,
}

/// A row rated, with where it goes.
struct Accepted {
    service: ServiceId,
    period: Period,
    currency: crate::domain::catalogue::Currency,
    stored: blocks::Stored,
}

/// Why rating stopped before the file's end.
enum Stop {
    /// The file is not the documented CSV: it fails whole.
    Unreadable(String),
    Error(UsageError),
}

fn parse_row(record: &csv::StringRecord) -> Result<UsageRow, String> {
    if record.len() != HEADER.len() {
        return Err(format!(
            "{} columns; a row has {}",
            record.len(),
            HEADER.len()
        ));
    }
    let field = |i: usize| record.get(i).unwrap_or_default().trim();
    let record_id = field(0);
    if record_id.is_empty() || record_id.len() > 100 {
        return Err("record_id: 1 to 100 characters".into());
    }
    let identifier = field(1);
    if identifier.is_empty() {
        return Err("service: empty".into());
    }
    let usage = UsageType::parse(field(2)).ok_or("type: call, message or data")?;
    let started_at = store::parse_rfc3339(field(3))
        .ok_or("started_at: not an RFC 3339 time")?
        .to_offset(time::UtcOffset::UTC);
    // Stored as RFC 3339 in UTC, which has four-digit years only.
    if !(1970..=9999).contains(&started_at.year()) {
        return Err("started_at: a time from 1970 to 9999".into());
    }
    let destination = field(4).trim_start_matches('+');
    if destination.len() > 20 || !destination.bytes().all(|b| b.is_ascii_digit()) {
        return Err("destination: up to 20 digits".into());
    }
    if destination.is_empty() && usage != UsageType::Data {
        return Err("destination: a call or message needs one".into());
    }
    let quantity: i64 = field(5)
        .parse()
        .ok()
        .filter(|q| (0..=1_000_000_000_000).contains(q))
        .ok_or("quantity: a whole number from 0 to 10^12")?;
    Ok(UsageRow {
        record_id: record_id.to_owned(),
        identifier: identifier.to_owned(),
        usage,
        started_at,
        destination: destination.to_owned(),
        quantity,
    })
}

/// The ingest of one file (its id is a hash of the key: the same key is the same file).
pub fn ingest_id(file: &BlobKey) -> String {
    hex::encode(&Sha256::digest(file.as_str().as_bytes())[..16])
}

/// The ingest of one version of a file: a file stored again under its name (a corrected
/// file, in a versioned bucket) is loaded again; the same version delivered again is not.
pub fn version_ingest_id(file: &BlobKey, version: Option<&str>) -> String {
    match version {
        None => ingest_id(file),
        Some(version) => {
            hex::encode(&Sha256::digest(format!("{}\n{version}", file.as_str()).as_bytes())[..16])
        }
    }
}

/// The tenant a file belongs to: the first segment of `{tenant}/usage/{name}`.
pub fn tenant_of(file: &BlobKey) -> Option<TenantId> {
    let mut parts = file.as_str().splitn(3, '/');
    let tenant = parts.next()?.parse().ok()?;
    (parts.next()? == "usage" && !parts.next()?.is_empty()).then_some(tenant)
}

fn record_hash(record_id: &str) -> u128 {
    let digest = Sha256::digest(record_id.as_bytes());
    u128::from_be_bytes(digest[..16].try_into().unwrap_or_default())
}

/// What a service is rated with, looked up once per ingest.
struct Pricing {
    service: Service,
    plan: Plan,
    pools: HashMap<UsageType, i64>,
}

fn pools(bolt_ons: &[BoltOn]) -> HashMap<UsageType, i64> {
    let mut pools = HashMap::new();
    for allowance in bolt_ons.iter().flat_map(|b| &b.allowances) {
        *pools.entry(allowance.usage).or_insert(0) += allowance.quantity;
    }
    pools
}

/// What a file's run keeps in memory: the record ids seen (16 bytes a row), the services
/// met with their pricing, the allowances drawn, and the file's totals by service, day and
/// usage type (bounded by services × days × 3, not by rows).
struct FileRun {
    /// The provider's time zone: each record's day and month.
    zone: ProviderZone,
    /// Rows that started after this are refused: a small allowance for clock skew after
    /// the ingest began (not "now", so that a redelivery decides every row the same way).
    not_after: OffsetDateTime,
    seen: HashSet<u128>,
    pricing: HashMap<String, Option<Arc<Pricing>>>,
    used: HashMap<(ServiceId, Period, UsageType), i64>,
    totals: BTreeMap<(ServiceId, Period, u8, UsageType), Totals>,
    /// Each service's account and plan.
    services: HashMap<ServiceId, (AccountId, PlanId)>,
    /// The state of the other ingests whose blocks share a month with this file's records.
    claimants: HashMap<String, Option<blocks::Load>>,
    /// The record ids other files loaded, by service and month ([`Ingest::loaded_in`]).
    loaded: HashMap<(ServiceId, Period), HashMap<u128, (u64, u32)>>,
    /// The files named in `loaded`.
    files: Vec<String>,
}

impl FileRun {
    /// `file_bytes` sizes the set of ids seen once (a row is rarely under 40 bytes), so it
    /// is not grown, and held twice, as the file goes.
    fn new(state: &IngestResult, zone: ProviderZone, file_bytes: u64) -> Self {
        let rows = usize::try_from(file_bytes / 40).unwrap_or(usize::MAX);
        FileRun {
            zone,
            not_after: state.started_at + CLOCK_SKEW,
            seen: HashSet::with_capacity(rows.min(4_000_000)),
            pricing: HashMap::new(),
            used: HashMap::new(),
            totals: BTreeMap::new(),
            services: HashMap::new(),
            claimants: HashMap::new(),
            loaded: HashMap::new(),
            files: Vec::new(),
        }
    }
}

/// What a row says (all but its id): two rows with one id and one digest are the same
/// record sent twice.
fn content_digest(row: &UsageRow) -> u64 {
    let mut hasher = Sha256::new();
    for field in [
        row.identifier.as_bytes(),
        row.usage.name().as_bytes(),
        row.destination.as_bytes(),
    ] {
        hasher.update(field);
        hasher.update([0x1f]);
    }
    hasher.update(row.started_at.unix_timestamp_nanos().to_be_bytes());
    hasher.update(row.quantity.to_be_bytes());
    u64::from_be_bytes(hasher.finalize()[..8].try_into().unwrap_or_default())
}

/// A file's name as the provider named it (without the bucket's folders).
fn file_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

#[derive(Clone)]
pub struct Ingest {
    table: Arc<dyn Table>,
    /// The ingest bucket: usage files and their rejects.
    blobs: Arc<dyn Blobs>,
    /// The documents bucket: rated records ([`blocks`]).
    records: Arc<dyn Blobs>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    services: Services,
    alerts: Alerts,
    chunk_rows: usize,
}

impl Ingest {
    /// Smaller chunks (tests: to see a file resumed between chunks).
    pub fn with_chunk_rows(mut self, rows: usize) -> Self {
        self.chunk_rows = rows.max(1);
        self
    }

    pub fn new(
        table: Arc<dyn Table>,
        blobs: Arc<dyn Blobs>,
        records: Arc<dyn Blobs>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        sender: EmailAddress,
    ) -> Self {
        Ingest {
            records,
            services: Services::new(table.clone(), clock.clone(), cursors.clone()),
            alerts: Alerts::new(table.clone(), clock.clone(), cursors.clone(), sender),
            table,
            blobs,
            clock,
            cursors,
            chunk_rows: CHUNK_ROWS,
        }
    }

    fn state_key(tenant: &TenantId, id: &str) -> Key {
        Key::new(keys::ingest(tenant, id), "INGEST")
    }

    /// The ingest's state, started if new.
    async fn begin(
        &self,
        tenant: &TenantId,
        file: &BlobKey,
        version: Option<&str>,
    ) -> Result<IngestResult, UsageError> {
        let id = version_ingest_id(file, version);
        let key = Self::state_key(tenant, &id);
        let now = self.clock.now();
        if let Some(item) = self.table.get(&key).await? {
            let state = result_from_item(&item)?;
            if state.status != IngestStatus::Running {
                return Ok(state);
            }
            // A delivery again: it is moving, so it is not shown stopped (nor retried)
            // while this delivery lives (at most the function's 15 minutes).
            return match self
                .table
                .update(
                    &key,
                    Update::default().set("progressed_at", store::rfc3339(now)),
                    Some(running()),
                )
                .await
            {
                Ok(item) => Ok(result_from_item(&item)?),
                Err(TableError::ConditionFailed) => {
                    let item = self.table.get(&key).await?.ok_or_else(|| {
                        TableError::Unavailable("an ingest vanished as it resumed".into())
                    })?;
                    Ok(result_from_item(&item)?)
                }
                Err(e) => Err(e.into()),
            };
        }
        let result = IngestResult {
            id: id.clone(),
            file: file.as_str().to_owned(),
            status: IngestStatus::Running,
            rows_read: 0,
            accepted: 0,
            rejected: 0,
            rejects_file: None,
            error: None,
            started_at: now,
            finished_at: None,
            chunks_done: 0,
            progressed_at: Some(now),
            version: version.map(str::to_owned),
            retried_as: None,
            retry_requested_at: None,
        };
        let item = store::keyed(
            store::to_item(&IngestRecord::from(&result))?,
            &[
                ("pk", key.pk.clone()),
                ("sk", key.sk.clone()),
                ("gsi1pk", keys::ingests_of(tenant)),
                ("gsi1sk", format!("{}#{id}", store::rfc3339(now))),
            ],
        );
        match self.table.put(item, Some(Condition::Absent)).await {
            Ok(()) => Ok(result),
            // Started meanwhile by another delivery.
            Err(TableError::ConditionFailed) => {
                let item = self.table.get(&key).await?.ok_or_else(|| {
                    TableError::Unavailable("an ingest vanished as it started".into())
                })?;
                Ok(result_from_item(&item)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Loads a usage file (the blob-created trigger). Delivering the same file again, at any
    /// point, finishes it once and counts nothing twice.
    pub async fn run(&self, file: &BlobKey) -> Result<IngestResult, UsageError> {
        self.run_version(file, None).await
    }

    /// Loads one version of a usage file (what a versioned bucket's notification names).
    pub async fn run_version(
        &self,
        file: &BlobKey,
        version: Option<&str>,
    ) -> Result<IngestResult, UsageError> {
        let Some(tenant) = tenant_of(file) else {
            return Err(UsageError::Invalid(format!(
                "{file} is not under {{tenant}}/usage/"
            )));
        };
        let state = self.begin(&tenant, file, version).await?;
        if state.status != IngestStatus::Running {
            return Ok(state);
        }
        let download = match version {
            Some(version) => self.blobs.get_version(file, version).await,
            None => self.blobs.get(file).await,
        };
        let Some(download) = download.map_err(storage)? else {
            return self
                .fail(&tenant, &state, "the file is gone from the bucket")
                .await;
        };
        let resume_at = state.chunks_done;
        let (sender, mut chunks) = tokio::sync::mpsc::channel::<Result<Vec<Line>, String>>(2);
        let reader = tokio_util::io::StreamReader::new(download.body);
        let bridge = tokio_util::io::SyncIoBridge::new(reader);
        let rows = self.chunk_rows;
        let parser = tokio::task::spawn_blocking(move || parse_file(bridge, rows, &sender));

        let zone = crate::domain::settings::zone(self.table.as_ref(), &tenant).await?;
        // Parse and rate, then write: a chunk is written (its object, index items, rejects
        // and checkpoint, in chunk order) while the next is rated; one waits at most.
        let (writes, written) = tokio::sync::mpsc::channel::<ChunkWrite>(1);
        // This delivery's attempt at the chunks it writes (blocks::Load).
        let attempt = ulid::Ulid::new().to_string().to_ascii_lowercase();
        let writer = crate::store::scope::spawn(self.clone().write_chunks(
            tenant,
            (state.id.clone(), attempt),
            state.file.clone(),
            written,
        ));
        let mut run = FileRun::new(&state, zone, download.info.size);
        let mut chunk_no: i64 = 0;
        let mut stopped = None;
        while let Some(chunk) = chunks.recv().await {
            let lines = match chunk {
                Ok(lines) => lines,
                Err(e) => {
                    stopped = Some(Stop::Unreadable(e));
                    break;
                }
            };
            // Every chunk is rated, to total the file; only chunks not done before are
            // stored.
            let store_it = chunk_no >= resume_at;
            match self
                .rate_chunk(&tenant, &state.id, chunk_no, store_it, lines, &mut run)
                .await
            {
                Ok(Some(write)) => {
                    if writes.send(write).await.is_err() {
                        // The writer stopped: its error is the one to tell.
                        break;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    stopped = Some(Stop::Error(e));
                    break;
                }
            }
            chunk_no += 1;
        }
        // Every chunk handed over is written (or the writer failed) before anything else.
        drop(writes);
        let wrote = writer.await.map_err(|e| {
            UsageError::from(TableError::Unavailable(format!("the writer stopped: {e}")))
        })?;
        match stopped {
            Some(Stop::Unreadable(e)) => return self.fail(&tenant, &state, &e).await,
            Some(Stop::Error(e)) => return Err(e),
            None => wrote?,
        }
        match parser.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return self.fail(&tenant, &state, &e).await,
            Err(e) => {
                return Err(TableError::Unavailable(format!("the parser stopped: {e}")).into());
            }
        }
        // The totals count once the file is finished: only while it is still running (not
        // failed and retried by staff meanwhile, whose new load will count them instead).
        let fence = self
            .table
            .update(
                &Self::state_key(&tenant, &state.id),
                Update::default().set("progressed_at", store::rfc3339(self.clock.now())),
                Some(running()),
            )
            .await;
        match fence {
            Ok(_) => {}
            Err(TableError::ConditionFailed) => {
                return Err(UsageError::Invalid(
                    "the load was failed meanwhile; its totals are not written".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.store_totals(&tenant, &state.id, &run).await?;
        self.finish(&tenant, &state.id, file).await
    }

    /// Rates a chunk's rows into the file's totals; unless it was stored before, what to
    /// write for it: its records (one object of blocks, [`blocks`]) and rejects.
    async fn rate_chunk(
        &self,
        tenant: &TenantId,
        ingest: &str,
        chunk_no: i64,
        store_it: bool,
        lines: Vec<Line>,
        run: &mut FileRun,
    ) -> Result<Option<ChunkWrite>, UsageError> {
        let mut rejects: Vec<(u64, String)> = Vec::new();
        let mut records: BTreeMap<(ServiceId, Period), blocks::Pending> = BTreeMap::new();
        let (mut accepted, mut rejected) = (0i64, 0i64);
        let rows = lines.len() as i64;
        for (line, row) in lines {
            let outcome = match row {
                Err(reason) => Err(reason),
                Ok(row) => self.accept(tenant, ingest, row, run).await?,
            };
            match outcome {
                Ok(row) => {
                    accepted += 1;
                    if store_it {
                        records
                            .entry((row.service, row.period))
                            .or_insert_with(|| blocks::Pending {
                                currency: row.currency.to_string(),
                                rows: Vec::new(),
                            })
                            .rows
                            .push(row.stored);
                    }
                }
                Err(reason) => {
                    rejected += 1;
                    if store_it {
                        rejects.push((line, reason));
                    }
                }
            }
        }
        Ok(store_it.then_some(ChunkWrite {
            chunk_no,
            records,
            rejects,
            rows,
            accepted,
            rejected,
        }))
    }

    /// The write stage: each chunk in turn, its records' object first (an index item never
    /// names an object not stored), then its index items and rejects, then the checkpoint.
    async fn write_chunks(
        self,
        tenant: TenantId,
        (ingest, attempt): (String, String),
        file: String,
        mut chunks: tokio::sync::mpsc::Receiver<ChunkWrite>,
    ) -> Result<(), UsageError> {
        let tenant = &tenant;
        let ingest = ingest.as_str();
        while let Some(chunk) = chunks.recv().await {
            let chunk_no = chunk.chunk_no;
            let object = BlobKey::parse(&format!(
                "{tenant}/records/{ingest}/{chunk_no:06}-{attempt}.rec"
            ))?;
            let encoded =
                blocks::encode(&object, ingest, (chunk_no, &attempt), &file, chunk.records)?;
            if !chunk.rejects.is_empty() {
                self.blobs
                    .put(
                        &rejects_part(tenant, ingest, chunk_no, &attempt)?,
                        bytes_stream(rejects_csv(&chunk.rejects)?),
                        "text/csv",
                    )
                    .await?;
            }
            let mut items = Vec::with_capacity(encoded.blocks.len());
            if !encoded.blocks.is_empty() {
                self.records
                    .put(
                        &object,
                        bytes_stream(encoded.object),
                        "application/octet-stream",
                    )
                    .await?;
                for (service, period, block) in &encoded.blocks {
                    items.push(block.item(tenant, service, *period));
                }
            }
            self.table.put_many(items).await?;
            // Only now is the chunk done; a second runner of the same chunk finds it moved.
            let checkpoint = self
                .table
                .update(
                    &Self::state_key(tenant, ingest),
                    Update::default()
                        .set("chunks_done", chunk_no + 1)
                        .set(&blocks::Load::attempt_attribute(chunk_no), attempt.as_str())
                        .set("progressed_at", store::rfc3339(self.clock.now()))
                        .add("rows_read", chunk.rows)
                        .add("accepted", chunk.accepted)
                        .add("rejected", chunk.rejected),
                    // Still this delivery's to finish: not moved on by another, nor failed
                    // (retried by staff) meanwhile.
                    Some(Condition::All(vec![
                        Condition::Equals("chunks_done".into(), Value::N(chunk_no)),
                        running(),
                    ])),
                )
                .await;
            match checkpoint {
                Ok(_) => {}
                Err(TableError::ConditionFailed) => {
                    return Err(UsageError::Invalid(
                        "another delivery of this file is loading it; this one stops".into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Writes the file's totals, one part per service, day and usage type (and the same by
    /// account), then checks the usage alerts of the services it touched. Done again
    /// identically if a redelivery gets here again.
    async fn store_totals(
        &self,
        tenant: &TenantId,
        ingest: &str,
        run: &FileRun,
    ) -> Result<(), UsageError> {
        let mut items = Vec::with_capacity(run.totals.len() * 2);
        for ((service, period, day, usage), t) in &run.totals {
            let part = |pk: String, sk: String| {
                store::keyed(
                    Item::from([
                        ("count".to_owned(), Value::N(t.count)),
                        ("quantity".to_owned(), Value::N(t.quantity)),
                        ("billable".to_owned(), Value::N(t.billable)),
                        ("covered".to_owned(), Value::N(t.covered)),
                        ("charge".to_owned(), Value::N(t.charge)),
                        ("ingest".to_owned(), Value::S(ingest.to_owned())),
                    ]),
                    &[("pk", pk), ("sk", sk)],
                )
            };
            let name = usage.name();
            items.push(part(
                keys::service_totals(tenant, service, *period),
                format!("{day:02}#{name}#{ingest}"),
            ));
            if let Some((account, _)) = run.services.get(service) {
                items.push(part(
                    keys::account_totals(tenant, account, *period),
                    format!("{day:02}#{name}#{service}#{ingest}"),
                ));
            }
            // Bounded batches: a month of thousands of services is many parts.
            if items.len() >= 10_000 {
                self.table.put_many(std::mem::take(&mut items)).await?;
            }
        }
        self.table.put_many(items).await?;
        // A redelivery checks again; each alert mails once (its marker must be new).
        let alerts = self.alerts.of_tenant(tenant).await?;
        if alerts.is_empty() {
            return Ok(());
        }
        let mut touched = BTreeSet::new();
        for (service, period, _, _) in run.totals.keys() {
            if let Some((account, plan)) = run.services.get(service) {
                touched.insert(Touched {
                    account: *account,
                    service: *service,
                    plan: *plan,
                    period: *period,
                });
            }
        }
        let identifiers: BTreeMap<ServiceId, String> = run
            .pricing
            .values()
            .flatten()
            .map(|p| (p.service.id, p.service.identifier.clone()))
            .collect();
        self.alerts
            .check(tenant, &alerts, &touched, &identifiers)
            .await?;
        Ok(())
    }

    /// Checks and rates one row: its service, month and rated record, or why it is refused.
    async fn accept(
        &self,
        tenant: &TenantId,
        ingest: &str,
        row: UsageRow,
        run: &mut FileRun,
    ) -> Result<Result<Accepted, String>, UsageError> {
        let id_hash = record_hash(&row.record_id);
        if !run.seen.insert(id_hash) {
            return Ok(Err(format!(
                "record_id {:?} appears earlier in the file",
                row.record_id
            )));
        }
        if row.started_at > run.not_after {
            return Ok(Err(format!(
                "started_at: {} is in the future",
                store::rfc3339(row.started_at)
            )));
        }
        let priced = match run.pricing.get(&row.identifier) {
            Some(p) => p.clone(),
            None => {
                let found = self.pricing_of(tenant, &row.identifier).await?;
                run.pricing.insert(row.identifier.clone(), found.clone());
                found
            }
        };
        let Some(p) = priced else {
            return Ok(Err(format!(
                "no service with identifier {:?}",
                row.identifier
            )));
        };
        let date = run.zone.date_of(row.started_at);
        let period = Period::containing(date);
        let digest = content_digest(&row);
        let loaded = self
            .loaded_in(tenant, ingest, p.service.id, period, run)
            .await?;
        if let Some(&(before, file)) = loaded.get(&id_hash) {
            let file = run.files.get(file as usize).map_or("", |f| file_name(f));
            return Ok(Err(if before == digest {
                format!(
                    "record_id {:?} was loaded before, from {file}; it counts once",
                    row.record_id
                )
            } else {
                format!(
                    "record_id {:?} was loaded from {file} with other details; a loaded \
                     record is never changed: send the correction under a new record_id",
                    row.record_id
                )
            }));
        }
        let rated = match self
            .rate_row(tenant, ingest, &p, &row, period, &mut run.used)
            .await?
        {
            Ok(rated) => rated,
            Err(reason) => return Ok(Err(reason)),
        };
        run.services
            .entry(p.service.id)
            .or_insert_with(|| (p.service.account, p.service.plan));
        run.totals
            .entry((p.service.id, period, date.day(), row.usage))
            .or_default()
            .add(&Totals {
                count: 1,
                quantity: row.quantity,
                billable: rated.billable,
                covered: rated.covered,
                charge: rated.charge,
            });
        Ok(Ok(Accepted {
            service: p.service.id,
            period,
            currency: p.plan.currency,
            stored: blocks::Stored {
                id_hash,
                digest,
                record_id: row.record_id,
                usage: row.usage,
                started_at: row.started_at,
                destination: row.destination,
                quantity: row.quantity,
                billable: rated.billable,
                covered: rated.covered,
                charge: rated.charge,
            },
        }))
    }

    /// The record ids other files loaded into a service's month (read once per file and
    /// service-month): by id hash, what the row said and the file (an index of
    /// [`FileRun::files`]).
    ///
    /// Only files that finished loading count (their totals are written then): the blocks
    /// of a file that failed part way are void, and this file takes the records over; while
    /// a file that holds some is unfinished, this one waits ([`UsageError::WaitingFor`]: the
    /// trigger delivers it again). This file's own blocks, from a delivery that stopped,
    /// are written again as they were.
    async fn loaded_in<'r>(
        &self,
        tenant: &TenantId,
        ingest: &str,
        service: ServiceId,
        period: Period,
        run: &'r mut FileRun,
    ) -> Result<&'r HashMap<u128, (u64, u32)>, UsageError> {
        if !run.loaded.contains_key(&(service, period)) {
            let found = Block::all_of(self.table.as_ref(), tenant, &service, period).await?;
            let others: Vec<&Block> = found.iter().filter(|b| b.ingest != ingest).collect();
            let unknown: Vec<&str> = others
                .iter()
                .map(|b| b.ingest.as_str())
                .filter(|i| !run.claimants.contains_key(*i))
                .collect();
            if !unknown.is_empty() {
                let loads =
                    blocks::loads(self.table.as_ref(), tenant, unknown.iter().copied()).await?;
                // An ingest may be named by many blocks: each is looked up, not taken.
                for id in unknown {
                    run.claimants.insert(id.to_owned(), loads.get(id).cloned());
                }
            }
            let mut ids = HashMap::new();
            for block in others {
                match run.claimants.get(&block.ingest).and_then(Option::as_ref) {
                    Some(load) if load.counts(block) => {}
                    Some(load) if load.status == IngestStatus::Running => {
                        return Err(UsageError::WaitingFor(block.file.clone()));
                    }
                    // A failed load's, or a stopped attempt's.
                    _ => continue,
                }
                let file = match run.files.iter().position(|f| *f == block.file) {
                    Some(i) => i as u32,
                    None => {
                        run.files.push(block.file.clone());
                        (run.files.len() - 1) as u32
                    }
                };
                for (hash, digest) in block.ids(self.records.as_ref()).await? {
                    ids.insert(hash, (digest, file));
                }
            }
            run.loaded.insert((service, period), ids);
        }
        Ok(&run.loaded[&(service, period)])
    }

    async fn pricing_of(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<Option<Arc<Pricing>>, UsageError> {
        let service = match self.services.by_identifier(tenant, identifier).await {
            Ok(Some(service)) => service,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let (plan, bolt_ons) = self.services.pricing(&service).await?;
        Ok(Some(Arc::new(Pricing {
            pools: pools(&bolt_ons),
            service,
            plan,
        })))
    }

    /// Rates a row and makes its record item; Err(reason) rejects the row.
    /// Rates a row after the allowances drawn so far; Err(reason) rejects it.
    async fn rate_row(
        &self,
        tenant: &TenantId,
        ingest: &str,
        p: &Pricing,
        row: &UsageRow,
        period: Period,
        used: &mut HashMap<(ServiceId, Period, UsageType), i64>,
    ) -> Result<Result<rating::Rated, String>, UsageError> {
        let pool = p.pools.get(&row.usage).copied().unwrap_or(0);
        let slot = (p.service.id, period, row.usage);
        if pool > 0 && !used.contains_key(&slot) {
            let already = self
                .allowance_used(tenant, &p.service.id, period, ingest)
                .await?;
            for usage in UsageType::ALL {
                used.insert(
                    (p.service.id, period, usage),
                    already.get(&usage).copied().unwrap_or(0),
                );
            }
        }
        let spent = used.entry(slot).or_insert(0);
        let mut left = pool - *spent;
        let rated = match rating::rate(&p.plan, row, &mut left) {
            Ok(rated) => rated,
            Err(reason) => return Ok(Err(reason)),
        };
        *spent += rated.covered;
        Ok(Ok(rated))
    }

    /// Allowance already drawn on a service in a month, by usage type: the covered
    /// quantities of its totals parts, but this file's own (which a redelivery may find
    /// half written, and which it writes again itself).
    async fn allowance_used(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        period: Period,
        ingest: &str,
    ) -> Result<HashMap<UsageType, i64>, UsageError> {
        let mut used = HashMap::new();
        let query = Query::partition(
            Index::Primary,
            keys::service_totals(tenant, service, period),
        )
        .limit(1000);
        for item in &store::query_all(self.table.as_ref(), query).await? {
            if item.get("ingest").and_then(Value::as_s) == Some(ingest) {
                continue;
            }
            let usage = item
                .get("sk")
                .and_then(Value::as_s)
                .and_then(|sk| sk.split('#').nth(1))
                .and_then(UsageType::parse);
            if let Some(usage) = usage {
                *used.entry(usage).or_insert(0) +=
                    item.get("covered").and_then(Value::as_n).unwrap_or(0);
            }
        }
        Ok(used)
    }

    /// Writes the rejects file (when there are rejects) and marks the ingest completed.
    async fn finish(
        &self,
        tenant: &TenantId,
        ingest: &str,
        file: &BlobKey,
    ) -> Result<IngestResult, UsageError> {
        let state_key = Self::state_key(tenant, ingest);
        let load = self
            .table
            .get(&state_key)
            .await?
            .as_ref()
            .and_then(blocks::Load::from_item)
            .ok_or_else(|| TableError::Unavailable("an ingest vanished as it finished".into()))?;
        let mut rejects_file = None;
        // The chunks' parts, in chunk order (their keys' order), after the header: each
        // chunk's from the attempt that completed it.
        let folder = format!("{tenant}/rejects/{ingest}/parts/");
        let mut parts = Vec::new();
        let mut after = None;
        loop {
            let listing = self
                .blobs
                .list(&folder, after, 1000)
                .await
                .map_err(storage)?;
            parts.extend(listing.blobs.into_iter().map(|b| b.key).filter(|key| {
                let name = key.as_str().rsplit('/').next().unwrap_or_default();
                let part = name.strip_suffix(".part").and_then(|n| n.split_once('-'));
                part.is_some_and(|(chunk, attempt)| {
                    chunk.parse().is_ok_and(|chunk| load.wrote(chunk, attempt))
                })
            }));
            match listing.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if !parts.is_empty() {
            let name = file.as_str().rsplit('/').next().unwrap_or("file.csv");
            // One rejects file per load: a corrected file under the same name has its own.
            let key =
                BlobKey::parse(&format!("{tenant}/rejects/{ingest}/{name}")).map_err(storage)?;
            let blobs = self.blobs.clone();
            let bodies = futures::stream::iter(parts)
                .then(move |part| {
                    let blobs = blobs.clone();
                    async move {
                        match blobs.get(&part).await {
                            Ok(Some(download)) => download.body,
                            Ok(None) => bytes_error(format!("{part} vanished")),
                            Err(e) => bytes_error(e.to_string()),
                        }
                    }
                })
                .flatten();
            let header =
                futures::stream::once(async { Ok(bytes::Bytes::from_static(b"line,reason\r\n")) });
            self.blobs
                .put(&key, Box::pin(header.chain(bodies)), "text/csv")
                .await
                .map_err(storage)?;
            rejects_file = Some(key.as_str().to_owned());
        }
        let mut update = Update::default()
            .set("status", "completed")
            .set("finished_at", store::rfc3339(self.clock.now()));
        if let Some(rejects) = &rejects_file {
            update = update.set("rejects_file", rejects.as_str());
        }
        let item = self.table.update(&state_key, update, Some(running())).await;
        match item {
            Ok(item) => Ok(result_from_item(&item)?),
            Err(TableError::ConditionFailed) => {
                let item = self.table.get(&state_key).await?.ok_or_else(|| {
                    TableError::Unavailable("an ingest vanished as it finished".into())
                })?;
                Ok(result_from_item(&item)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn fail(
        &self,
        tenant: &TenantId,
        state: &IngestResult,
        error: &str,
    ) -> Result<IngestResult, UsageError> {
        tracing::warn!(tenant = %tenant, ingest = %state.id, error, "usage file refused");
        let item = self
            .table
            .update(
                &Self::state_key(tenant, &state.id),
                Update::default()
                    .set("status", "failed")
                    .set("error", error.chars().take(500).collect::<String>())
                    .set("finished_at", store::rfc3339(self.clock.now())),
                Some(Condition::Exists),
            )
            .await?;
        Ok(result_from_item(&item)?)
    }

    /// One ingest of the tenant (staff).
    pub async fn result(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<IngestResult>, UsageError> {
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        match self.table.get(&Self::state_key(tenant, id)).await? {
            Some(item) => Ok(Some(result_from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// A link to download an ingest's rejects file (line, reason), working for
    /// [`super::export::LINK_LIFETIME`]; None when the file had no rejects.
    pub async fn rejects_link(
        &self,
        result: &IngestResult,
    ) -> Result<Option<(String, OffsetDateTime)>, UsageError> {
        let Some(rejects) = &result.rejects_file else {
            return Ok(None);
        };
        let key = BlobKey::parse(rejects).map_err(storage)?;
        let lifetime = super::export::LINK_LIFETIME;
        let url = self
            .blobs
            .presign_get(&key, lifetime.unsigned_abs())
            .await
            .map_err(storage)?;
        Ok(Some((url, self.clock.now() + lifetime)))
    }

    /// Loads a file whose load stopped (stalled) again (staff): the version it loaded is stored again
    /// under its name, which starts a new ingest as any stored file does (records this one
    /// loaded are taken over, none counted twice), and this one is failed for good. Asking
    /// again answers the same; None when the tenant has no such ingest.
    pub async fn retry(&self, tenant: &TenantId, id: &str) -> Result<Option<Retry>, UsageError> {
        let Some(result) = self.result(tenant, id).await? else {
            return Ok(None);
        };
        if result.retried_as.is_some() {
            return Ok(Some(Retry::Retried(result)));
        }
        let now = self.clock.now();
        // A retry asked before whose copy did not happen (the bucket failed) is asked again.
        let asked_before =
            result.status == IngestStatus::Failed && result.retry_requested_at.is_some();
        if !result.retryable_at(now) {
            return Ok(Some(Retry::NotStopped(result)));
        }
        // Failed for good first, so the new ingest takes its records over rather than wait
        // for it; only if it is still where it was read (a late delivery that moved it, or
        // another retry, wins: the error changes with each mark).
        let key = Self::state_key(tenant, id);
        let mut unchanged = vec![Condition::Equals(
            "chunks_done".into(),
            Value::N(result.chunks_done),
        )];
        match &result.error {
            Some(error) if asked_before => {
                unchanged.push(Condition::Equals(
                    "status".into(),
                    Value::S("failed".into()),
                ));
                unchanged.push(Condition::Equals("error".into(), Value::S(error.clone())));
            }
            _ => unchanged.push(running()),
        }
        let error = if asked_before {
            format!("Loading stopped; retried {}.", store::rfc3339(now))
        } else {
            format!(
                "{} Retried {}.",
                result.error_at(now).unwrap_or_default(),
                store::rfc3339(now)
            )
        };
        let marked = self
            .table
            .update(
                &key,
                Update::default()
                    .set("status", "failed")
                    .set(
                        "error",
                        error.trim_start().chars().take(600).collect::<String>(),
                    )
                    .set("finished_at", store::rfc3339(now))
                    .set("retry_requested_at", store::rfc3339(now)),
                Some(Condition::All(unchanged)),
            )
            .await;
        let marked = match marked {
            Ok(item) => result_from_item(&item)?,
            Err(TableError::ConditionFailed) => {
                // It moved, or another retry marked it: answer with what it is now.
                let now_stored = self.result(tenant, id).await?.ok_or_else(|| {
                    TableError::Unavailable("an ingest vanished as it was retried".into())
                })?;
                return Ok(Some(if now_stored.retried_as.is_some() {
                    Retry::Retried(now_stored)
                } else {
                    Retry::NotStopped(now_stored)
                }));
            }
            Err(e) => return Err(e.into()),
        };
        let file = BlobKey::parse(&marked.file).map_err(storage)?;
        let Some(stored) = self
            .blobs
            .store_again(&file, marked.version.as_deref())
            .await
            .map_err(storage)?
        else {
            return Ok(Some(Retry::FileGone(marked)));
        };
        let retried_as = version_ingest_id(&file, stored.version.as_deref());
        let item = self
            .table
            .update(
                &key,
                Update::default().set("retried_as", retried_as),
                Some(Condition::Exists),
            )
            .await?;
        tracing::info!(tenant = %tenant, ingest = %id, "usage file retried");
        Ok(Some(Retry::Retried(result_from_item(&item)?)))
    }

    /// The tenant's ingests, newest first (staff).
    pub async fn results(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<IngestResult>, UsageError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("ingests:{tenant}"),
            Query::partition(Index::Gsi1, keys::ingests_of(tenant)).backward(),
            page,
            result_from_item,
        )
        .await?)
    }
}

/// Where a chunk's rejects wait for the file's end, in the ingest bucket.
fn rejects_part(
    tenant: &TenantId,
    ingest: &str,
    chunk_no: i64,
    attempt: &str,
) -> Result<BlobKey, UsageError> {
    Ok(BlobKey::parse(&format!(
        "{tenant}/rejects/{ingest}/parts/{chunk_no:06}-{attempt}.part"
    ))?)
}

/// A chunk's rejects as rows of the rejects file: line numbers bare and reasons always
/// quoted (a reason may hold commas and quotes).
fn rejects_csv(rejects: &[(u64, String)]) -> Result<Vec<u8>, UsageError> {
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(Vec::new());
    // Writing into memory fails only as the body of a blob would.
    let failed =
        |e: &dyn std::fmt::Display| UsageError::Blobs(std::io::Error::other(e.to_string()).into());
    for (line, reason) in rejects {
        csv.write_record([line.to_string(), csv_safe(reason).into_owned()])
            .map_err(|e| failed(&e))?;
    }
    csv.into_inner().map_err(|e| failed(&e))
}

/// A body that fails as it is read.
fn bytes_error(why: String) -> crate::ports::blobs::ByteStream {
    Box::pin(futures::stream::once(async move {
        Err(std::io::Error::other(why))
    }))
}

/// The condition that an ingest is still running.
fn running() -> Condition {
    Condition::Equals("status".into(), Value::S("running".into()))
}

fn result_from_item(item: &Item) -> Result<IngestResult, TableError> {
    store::from_item::<IngestRecord>(item).map(IngestResult::from)
}

fn storage(e: crate::ports::BlobError) -> UsageError {
    UsageError::Blobs(e)
}

/// Parses the file on a blocking thread, sending chunks of lines; a header that is not the
/// documented one refuses the whole file.
fn parse_file(
    input: impl std::io::Read,
    chunk_rows: usize,
    out: &tokio::sync::mpsc::Sender<Result<Vec<Line>, String>>,
) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| format!("the header row does not read: {e}"))?;
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    if names != HEADER {
        return Err(format!(
            "the header row must be {}; it is {}",
            HEADER.join(","),
            names.join(",")
        ));
    }
    let mut chunk = Vec::with_capacity(chunk_rows);
    let mut record = csv::StringRecord::new();
    // Line numbers count one record a line after the header (line 1): what a provider's
    // CDR export is. (The csv crate's own positions disagree between LF and CRLF files.)
    let mut line: u64 = 1;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                chunk.push((line, parse_row(&record)));
            }
            // A row that is not CSV (bad UTF-8, a broken quote): rejected, the rest goes on.
            Err(e) => chunk.push((line, Err(format!("not a CSV row: {e}")))),
        }
        if chunk.len() == chunk_rows {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(chunk_rows));
            if out.blocking_send(Ok(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = out.blocking_send(Ok(chunk));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_field_by_field() {
        let row = |fields: &[&str]| parse_row(&csv::StringRecord::from(fields.to_vec()));
        let good = row(&[
            "c1",
            "+61255501234",
            "call",
            "2026-11-03T09:15:00Z",
            "+61255509999",
            "61",
        ])
        .unwrap();
        assert_eq!(good.destination, "61255509999");
        assert_eq!(good.quantity, 61);
        assert!(
            row(&["c1", "x", "fax", "2026-11-03T09:15:00Z", "1", "1"])
                .unwrap_err()
                .starts_with("type")
        );
        assert!(
            row(&["c1", "x", "call", "yesterday", "1", "1"])
                .unwrap_err()
                .starts_with("started_at")
        );
        assert!(
            row(&["c1", "x", "call", "2026-11-03T09:15:00Z", "", "1"])
                .unwrap_err()
                .starts_with("destination")
        );
        assert!(
            row(&["c1", "x", "data", "2026-11-03T09:15:00Z", "", "-5"])
                .unwrap_err()
                .starts_with("quantity")
        );
        assert!(row(&["c1", "x", "data"]).unwrap_err().contains("columns"));
        // Year 0 in its own offset is year -1 in UTC: refused, not stored unreadable.
        for far in ["0000-01-01T00:30:00+01:00", "1969-12-31T23:59:59Z"] {
            assert!(
                row(&["c1", "x", "data", far, "", "1"])
                    .unwrap_err()
                    .starts_with("started_at: a time from 1970"),
                "{far}"
            );
        }
        assert!(row(&["c1", "x", "data", "2026-11-03T09:15:00Z", "", "1000"]).is_ok());
    }

    #[test]
    fn line_numbers_count_the_header_as_line_one() {
        let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
        let file = "record_id,service,type,started_at,destination,quantity\n\
                    a,x,data,2026-11-03T09:15:00Z,,1\n\
                    b,x,fax,2026-11-03T09:15:00Z,,1\n";
        for file in [file.to_owned(), file.replace('\n', "\r\n")] {
            parse_file(file.as_bytes(), 10, &sender).unwrap();
            let lines = receiver.try_recv().unwrap().unwrap();
            let numbers: Vec<u64> = lines.iter().map(|(n, _)| *n).collect();
            assert_eq!(numbers, [2, 3]);
            assert!(lines[1].1.is_err());
        }
    }

    #[test]
    fn files_belong_to_the_tenant_their_key_names() {
        let t = TenantId::generate(OffsetDateTime::UNIX_EPOCH);
        let key = |k: &str| BlobKey::parse(k).unwrap();
        assert_eq!(tenant_of(&key(&format!("{t}/usage/nov.csv"))), Some(t));
        assert_eq!(tenant_of(&key(&format!("{t}/rejects/nov.csv"))), None);
        assert_eq!(tenant_of(&key("acme/usage/nov.csv")), None);
        assert_eq!(
            ingest_id(&key(&format!("{t}/usage/nov.csv"))),
            ingest_id(&key(&format!("{t}/usage/nov.csv")))
        );
    }
}
