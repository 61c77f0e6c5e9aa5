//! Rated records at rest (docs/usage-storage.md). Each ingest chunk's records are one
//! object in the bucket, `{tenant}/records/{ingest}/{chunk}.rec`, made of one block per
//! service and month the chunk touched; the table holds one small index item per block,
//! in the service-month's records partition. A block has two parts, each read on its own
//! with a ranged read:
//!
//! - its **ids**: for each record, the 16-byte hash of its id and 8 bytes of the hash of
//!   what the row said, sorted by id hash (what de-duplication reads, 24 bytes a record);
//! - its **rows**: the records as CSV, oldest first, compressed with zlib (what the views
//!   and exports read). The service and currency are the block's, not repeated per row.
//!
//! An object is never changed once written. A chunk written again (a delivery that
//! carries on where a stopped one left off) is written under a key of its own attempt,
//! with index items of that attempt: the ingest's checkpoint names, for each chunk, the
//! attempt that completed it, and only that attempt's blocks count. What a stopped
//! attempt left (an object, index items for months the redone chunk no longer touches:
//! rating reads live settings) is never read.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use time::OffsetDateTime;

use super::ingest::IngestStatus;
use super::{Period, UsageError, UsageRecord, keys};
use crate::domain::catalogue::UsageType;
use crate::ids::{ServiceId, TenantId};
use crate::ports::blobs::{BlobKey, Blobs};
use crate::ports::table::{Index, Item, Key, Query, SortKey, Table, TableError, Value};
use crate::store;

/// The sort key of the index items (after the records partition's totals and older items).
const BLOCK: &str = "BLOCK#";

/// A record's place in its service's month: by start, then by the provider's id.
pub type Place = (OffsetDateTime, String);

/// A rated record on its way into a block, with what de-duplication keeps of it (its
/// service and currency are its block's).
pub struct Stored {
    pub id_hash: u128,
    pub digest: u64,
    pub record_id: String,
    pub usage: UsageType,
    pub started_at: OffsetDateTime,
    pub destination: String,
    pub quantity: i64,
    pub billable: i64,
    pub covered: i64,
    pub charge: i64,
}

/// A service-month's records of one chunk, on their way into a block.
pub struct Pending {
    pub currency: String,
    pub rows: Vec<Stored>,
}

/// One block's index item: where its parts are and what they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub object: String,
    pub ingest: String,
    /// The ingest's chunk, and the attempt at it that wrote this block.
    pub chunk: i64,
    pub attempt: String,
    /// The usage file the records came from, as the bucket names it.
    pub file: String,
    pub service: String,
    pub currency: String,
    pub ids_at: u64,
    pub ids_len: u64,
    pub rows_at: u64,
    pub rows_len: u64,
    pub count: i64,
    /// Records of each type, in [`UsageType::ALL`]'s order.
    pub by_type: [i64; 3],
    pub first: Place,
    pub last: Place,
}

fn type_slot(usage: UsageType) -> usize {
    UsageType::ALL
        .iter()
        .position(|u| *u == usage)
        .unwrap_or_default()
}

impl Block {
    pub fn holds(&self, usage: Option<UsageType>) -> bool {
        match usage {
            None => self.count > 0,
            Some(usage) => self.by_type[type_slot(usage)] > 0,
        }
    }

    fn key(tenant: &TenantId, service: &ServiceId, period: Period, sk: String) -> Key {
        Key::new(keys::records(tenant, service, period), sk)
    }

    /// The index item, in the service-month's records partition.
    pub fn item(&self, tenant: &TenantId, service: &ServiceId, period: Period) -> Item {
        let key = Self::key(
            tenant,
            service,
            period,
            format!("{BLOCK}{}#{:06}#{}", self.ingest, self.chunk, self.attempt),
        );
        let s = |text: &str| Value::S(text.to_owned());
        let n = |number: u64| Value::N(number as i64);
        let mut item = Item::from([
            ("object".to_owned(), s(&self.object)),
            ("ingest".to_owned(), s(&self.ingest)),
            ("chunk".to_owned(), Value::N(self.chunk)),
            ("attempt".to_owned(), s(&self.attempt)),
            ("file".to_owned(), s(&self.file)),
            ("service".to_owned(), s(&self.service)),
            ("currency".to_owned(), s(&self.currency)),
            ("ids_at".to_owned(), n(self.ids_at)),
            ("ids_len".to_owned(), n(self.ids_len)),
            ("rows_at".to_owned(), n(self.rows_at)),
            ("rows_len".to_owned(), n(self.rows_len)),
            ("count".to_owned(), Value::N(self.count)),
            ("first_at".to_owned(), s(&store::rfc3339(self.first.0))),
            ("first_id".to_owned(), s(&self.first.1)),
            ("last_at".to_owned(), s(&store::rfc3339(self.last.0))),
            ("last_id".to_owned(), s(&self.last.1)),
        ]);
        for (usage, count) in UsageType::ALL.iter().zip(self.by_type) {
            item.insert(format!("n_{}", usage.name()), Value::N(count));
        }
        store::keyed(item, &[("pk", key.pk), ("sk", key.sk)])
    }

    pub fn from_item(item: &Item) -> Result<Block, TableError> {
        let bad = || TableError::Unreadable("a usage block's index item".into());
        let s = |name: &str| item.get(name).and_then(Value::as_s).ok_or_else(bad);
        let n = |name: &str| item.get(name).and_then(Value::as_n).ok_or_else(bad);
        let place_in_object =
            |name: &str| n(name).and_then(|v| u64::try_from(v).map_err(|_| bad()));
        let at = |name: &str| s(name).and_then(|t| store::parse_rfc3339(t).ok_or_else(bad));
        let mut by_type = [0; 3];
        for (slot, usage) in UsageType::ALL.iter().enumerate() {
            by_type[slot] = n(&format!("n_{}", usage.name()))?;
        }
        Ok(Block {
            object: s("object")?.to_owned(),
            ingest: s("ingest")?.to_owned(),
            chunk: n("chunk")?,
            attempt: s("attempt")?.to_owned(),
            file: s("file")?.to_owned(),
            service: s("service")?.to_owned(),
            currency: s("currency")?.to_owned(),
            ids_at: place_in_object("ids_at")?,
            ids_len: place_in_object("ids_len")?,
            rows_at: place_in_object("rows_at")?,
            rows_len: place_in_object("rows_len")?,
            count: n("count")?,
            by_type,
            first: (at("first_at")?, s("first_id")?.to_owned()),
            last: (at("last_at")?, s("last_id")?.to_owned()),
        })
    }

    /// Every block of a service's month, of every ingest (finished or not), in key order.
    pub async fn all_of(
        table: &dyn Table,
        tenant: &TenantId,
        service: &ServiceId,
        period: Period,
    ) -> Result<Vec<Block>, TableError> {
        // Consistent: a file that starts as the one before it finishes sees all its blocks.
        let query = Query::partition(Index::Primary, keys::records(tenant, service, period))
            .sort(SortKey::BeginsWith(BLOCK.into()))
            .limit(1000)
            .consistent();
        store::query_all(table, query)
            .await?
            .iter()
            .map(Block::from_item)
            .collect()
    }

    /// The blocks of a service's month that the views show: those of files that finished
    /// loading (a file's records appear with its totals; a file that failed part way and
    /// was loaded again is shown through its new load).
    pub async fn shown_of(
        table: &dyn Table,
        tenant: &TenantId,
        service: &ServiceId,
        period: Period,
    ) -> Result<Vec<Block>, TableError> {
        let blocks = Self::all_of(table, tenant, service, period).await?;
        let loads = loads(table, tenant, blocks.iter().map(|b| b.ingest.as_str())).await?;
        Ok(blocks
            .into_iter()
            .filter(|b| loads.get(&b.ingest).is_some_and(|l| l.counts(b)))
            .collect())
    }

    fn object_key(&self) -> Result<BlobKey, UsageError> {
        Ok(BlobKey::parse(&self.object)?)
    }

    async fn part(&self, blobs: &dyn Blobs, at: u64, len: u64) -> Result<Bytes, UsageError> {
        let part = blobs.get_range(&self.object_key()?, at, len).await?;
        match part {
            Some(bytes) if bytes.len() as u64 == len => Ok(bytes),
            _ => Err(TableError::Unreadable(format!(
                "usage block {} is missing from the bucket",
                self.object
            ))
            .into()),
        }
    }

    /// The block's ids: (id hash, what-the-row-said hash), sorted by id hash.
    pub async fn ids(&self, blobs: &dyn Blobs) -> Result<Vec<(u128, u64)>, UsageError> {
        let bytes = self.part(blobs, self.ids_at, self.ids_len).await?;
        Ok(bytes
            .chunks_exact(24)
            .map(|entry| {
                let (hash, digest) = entry.split_at(16);
                (
                    u128::from_be_bytes(hash.try_into().unwrap_or_default()),
                    u64::from_be_bytes(digest.try_into().unwrap_or_default()),
                )
            })
            .collect())
    }

    /// The block's records, oldest first, read as they are decompressed.
    pub async fn rows(&self, blobs: &dyn Blobs) -> Result<BlockRows, UsageError> {
        let bytes = self.part(blobs, self.rows_at, self.rows_len).await?;
        Ok(BlockRows {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(flate2::read::ZlibDecoder::new(std::io::Cursor::new(bytes))),
            service: Arc::from(self.service.as_str()),
            currency: Arc::from(self.currency.as_str()),
            row: csv::StringRecord::new(),
        })
    }
}

/// What a block's reader needs of the load that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub status: IngestStatus,
    /// For each chunk done, the attempt that completed it.
    attempts: HashMap<i64, String>,
}

impl Load {
    /// The checkpoint's attribute naming the attempt that completed `chunk`.
    pub fn attempt_attribute(chunk: i64) -> String {
        format!("attempt_{chunk:06}")
    }

    pub fn from_item(item: &Item) -> Option<Load> {
        let status = item
            .get("status")
            .and_then(Value::as_s)
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s.into())).ok())?;
        let attempts = item
            .iter()
            .filter_map(|(name, value)| {
                let chunk = name.strip_prefix("attempt_")?.parse().ok()?;
                Some((chunk, value.as_s()?.to_owned()))
            })
            .collect();
        Some(Load { status, attempts })
    }

    /// Whether the block is one of the completed load's own: written by the attempt that
    /// completed its chunk.
    pub fn counts(&self, block: &Block) -> bool {
        self.status == IngestStatus::Completed && self.wrote(block.chunk, &block.attempt)
    }

    /// Whether `attempt` is the one that completed `chunk`.
    pub fn wrote(&self, chunk: i64, attempt: &str) -> bool {
        self.attempts.get(&chunk).is_some_and(|a| a == attempt)
    }
}

/// The loads named (one batch read); an ingest not found is not in the map.
pub async fn loads<'a>(
    table: &dyn Table,
    tenant: &TenantId,
    ingests: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, Load>, TableError> {
    let mut wanted: Vec<&str> = ingests.collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = HashMap::new();
    for some in wanted.chunks(100) {
        let keys: Vec<Key> = some
            .iter()
            .map(|id| Key::new(keys::ingest(tenant, id), "INGEST"))
            .collect();
        for item in table.get_many(&keys).await?.values() {
            let id = item.get("id").and_then(Value::as_s);
            if let (Some(id), Some(load)) = (id, Load::from_item(item)) {
                out.insert(id.to_owned(), load);
            }
        }
    }
    Ok(out)
}

/// A block's records as they are read.
pub struct BlockRows {
    reader: csv::Reader<flate2::read::ZlibDecoder<std::io::Cursor<Bytes>>>,
    service: Arc<str>,
    currency: Arc<str>,
    row: csv::StringRecord,
}

impl Iterator for BlockRows {
    type Item = Result<UsageRecord, UsageError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.row) {
            Ok(false) => None,
            Ok(true) => Some(record_of(&self.row, &self.service, &self.currency)),
            Err(e) => Some(Err(
                TableError::Unreadable(format!("a usage block: {e}")).into()
            )),
        }
    }
}

const COLUMNS: usize = 8;

fn record_of(
    row: &csv::StringRecord,
    service: &str,
    currency: &str,
) -> Result<UsageRecord, UsageError> {
    let bad = || UsageError::from(TableError::Unreadable("a usage block's row".into()));
    if row.len() != COLUMNS {
        return Err(bad());
    }
    let field = |i: usize| row.get(i).unwrap_or_default();
    let number = |i: usize| field(i).parse::<i64>().map_err(|_| bad());
    Ok(UsageRecord {
        record_id: field(0).to_owned(),
        service: service.to_owned(),
        usage: UsageType::parse(field(1)).ok_or_else(bad)?,
        started_at: store::parse_rfc3339(field(2)).ok_or_else(bad)?,
        destination: field(3).to_owned(),
        quantity: number(4)?,
        billable: number(5)?,
        covered: number(6)?,
        charge: number(7)?,
        currency: currency.to_owned(),
    })
}

/// A chunk's object and the index of each of its blocks, by service and month.
pub struct Encoded {
    pub object: Vec<u8>,
    pub blocks: Vec<(ServiceId, Period, Block)>,
}

/// Lays out a chunk's records as one object: a block per service and month, each its ids
/// then its rows. The same records give the same bytes, whatever order they came in.
pub fn encode(
    object: &BlobKey,
    ingest: &str,
    (chunk, attempt): (i64, &str),
    file: &str,
    records: BTreeMap<(ServiceId, Period), Pending>,
) -> Result<Encoded, UsageError> {
    let failed = |e: std::io::Error| UsageError::Blobs(e.into());
    let mut out = Vec::new();
    let mut blocks = Vec::with_capacity(records.len());
    let mut number = NumberText::default();
    for ((service, period), pending) in records {
        let (currency, mut stored) = (pending.currency, pending.rows);
        let mut ids: Vec<(u128, u64)> = stored.iter().map(|s| (s.id_hash, s.digest)).collect();
        ids.sort_unstable();
        let ids_at = out.len() as u64;
        for (hash, digest) in &ids {
            out.extend_from_slice(&hash.to_be_bytes());
            out.extend_from_slice(&digest.to_be_bytes());
        }
        stored.sort_unstable_by(|a, b| {
            (a.started_at, &a.record_id).cmp(&(b.started_at, &b.record_id))
        });
        let rows_at = out.len() as u64;
        let mut by_type = [0; 3];
        let compressed = {
            let encoder = flate2::write::ZlibEncoder::new(
                std::mem::take(&mut out),
                flate2::Compression::fast(),
            );
            let mut csv = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(encoder);
            let write = |e: csv::Error| failed(std::io::Error::other(e));
            for r in &stored {
                by_type[type_slot(r.usage)] += 1;
                csv.write_field(&r.record_id).map_err(write)?;
                csv.write_field(r.usage.name()).map_err(write)?;
                csv.write_field(store::rfc3339(r.started_at))
                    .map_err(write)?;
                csv.write_field(&r.destination).map_err(write)?;
                for n in [r.quantity, r.billable, r.covered, r.charge] {
                    csv.write_field(number.of(n)).map_err(write)?;
                }
                csv.write_record(None::<&[u8]>).map_err(write)?;
            }
            csv.flush().map_err(failed)?;
            let encoder = csv
                .into_inner()
                .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
            encoder.finish().map_err(failed)?
        };
        out = compressed;
        let place = |s: &Stored| (s.started_at, s.record_id.clone());
        let first = stored.first().map(place);
        let last = stored.last().map(place);
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        blocks.push((
            service,
            period,
            Block {
                object: object.as_str().to_owned(),
                ingest: ingest.to_owned(),
                chunk,
                attempt: attempt.to_owned(),
                file: file.to_owned(),
                service: service.to_string(),
                currency,
                ids_at,
                ids_len: rows_at - ids_at,
                rows_at,
                rows_len: out.len() as u64 - rows_at,
                count: stored.len() as i64,
                by_type,
                first,
                last,
            },
        ));
    }
    Ok(Encoded {
        object: out,
        blocks,
    })
}

pub fn place(record: &UsageRecord) -> Place {
    (record.started_at, record.record_id.clone())
}

/// Writes numbers into one reused buffer (a block writes four a record).
#[derive(Default)]
struct NumberText(String);

impl NumberText {
    fn of(&mut self, n: i64) -> &str {
        use std::fmt::Write as _;
        self.0.clear();
        let _ = write!(self.0, "{n}");
        &self.0
    }
}
