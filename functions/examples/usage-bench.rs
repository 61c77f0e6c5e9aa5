//! Usage benchmarks (figures for the README; run by infra/bench.sh, release build). Each
//! run measures one thing in a fresh process, so its peak memory is its own:
//!
//!     usage-bench ingest [rows]   # a generated call-detail file into the embedded table
//!     usage-bench shuffled [rows] # the same rows in no order, 1% bad, 2% repeated ids
//!     usage-bench sink [rows]     # the same, storage writes counted and dropped
//!     usage-bench export [rows]   # ingest (not measured), then the account's CSV export in
//!                                 # a second process (`export-from`)
//!
//! The file (1,000,000 rows unless told) holds the calls, messages and data sessions of
//! 1,000 services of one account over a month, in time order as a switch writes them; a
//! tenth of the services have a bolt-on allowance (`shuffled`: the same rows in an order
//! unrelated to time, as files merged from several switches come, with every hundredth row
//! bad and every fiftieth repeating an earlier record's id). Peak memory is the process's
//! resident high-water mark (VmHWM), reset just before the measured step. Each run also
//! prints the `csv` crate's raw read of the same file (the limit the ingest is measured
//! against).

use selfcare::store::Stamp;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use selfcare::domain::accounts::{AccountKind, NewAccount};
use selfcare::domain::catalogue::{Allowance, NewBoltOn, NewPlan, NewRate, ServiceType, UsageType};
use selfcare::domain::services::{NewService, ServiceStatus};
use selfcare::domain::tenancy::{NewTenant, Tenant, TenantKind};
use selfcare::domain::usage::Period;
use selfcare::domain::usage::export::{ExportScope, UsageExports};
use selfcare::domain::usage::ingest::Ingest;
use selfcare::ids::AccountId;
use selfcare::platform::Platform;
use selfcare::ports::blobs::{BlobKey, ByteStream};
use selfcare::ports::table::{Condition, Item, Key, Page, Query, Table, TableError, Update, Write};
use selfcare_embedded::LocalPlatform;

const SERVICES: usize = 1_000;

fn identifier(n: usize) -> String {
    format!("+6125550{n:04}")
}

/// Peak resident memory so far, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Starts a new high-water mark (Linux: writing 5 to clear_refs resets VmHWM).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn provider(platform: &Platform) -> Result<(Tenant, AccountId), Box<dyn std::error::Error>> {
    let tenant = platform
        .tenants()
        .create(NewTenant {
            kind: TenantKind::Retail,
            name: "Bench Telecom".into(),
            slug: "bench".into(),
            wholesaler: None,
        })
        .await?;
    let account = platform
        .accounts()
        .create(
            &tenant,
            NewAccount {
                kind: AccountKind::EndUser,
                number: None,
                name: "Big Business".into(),
                billing_address: None,
                phones: vec![],
                emails: vec!["ops@big.example".into()],
                attributes: BTreeMap::new(),
                group: None,
            },
            None,
        )
        .await?;
    let rate = |usage, prefix: &str, price: &str, increment| NewRate {
        usage,
        prefix: prefix.into(),
        price: price.into(),
        increment_seconds: increment,
    };
    let catalogue = platform.catalogue();
    let plan = catalogue
        .create_plan(
            &tenant.id,
            NewPlan {
                name: "Business Voice".into(),
                service_type: ServiceType::Voice,
                currency: "AUD".into(),
                recurring_minor: 4_000,
                rates: vec![
                    rate(UsageType::Call, "", "20", Some(60)),
                    rate(UsageType::Call, "61", "2.5", Some(30)),
                    rate(UsageType::Call, "614", "12", Some(30)),
                    rate(UsageType::Call, "44", "9.5", Some(60)),
                    rate(UsageType::Message, "", "5", None),
                    rate(UsageType::Data, "", "0.8", None),
                ],
            },
            &Stamp::none(),
        )
        .await?;
    let bolt_on = catalogue
        .create_bolt_on(
            &tenant.id,
            NewBoltOn {
                name: "500 minutes".into(),
                currency: "AUD".into(),
                price_minor: 1_000,
                term_months: 0,
                allowances: vec![Allowance {
                    usage: UsageType::Call,
                    quantity: 30_000,
                }],
                plans: vec![plan.id],
            },
            &Stamp::none(),
        )
        .await?;
    let services = platform.services();
    for n in 0..SERVICES {
        let service = services
            .create(
                &tenant.id,
                &account.id,
                NewService {
                    plan: plan.id,
                    identifier: identifier(n),
                    status: ServiceStatus::Active,
                    started_at: None,
                    attributes: BTreeMap::new(),
                },
                &Stamp::none(),
            )
            .await?;
        if n % 10 == 0 {
            services
                .attach_bolt_on(
                    &tenant.id,
                    &account.id,
                    &service.id,
                    &bolt_on.id,
                    &Stamp::none(),
                )
                .await?;
        }
    }
    Ok((tenant, account.id))
}

/// The file, generated as it is uploaded (never whole in memory); `shuffled` as above.
fn generated_file(rows: usize, shuffled: bool) -> ByteStream {
    let month_seconds = 30 * 86_400;
    let pieces = futures::stream::unfold(0usize, move |from| async move {
        if from > rows {
            return None;
        }
        let mut text = String::with_capacity(64 * 1024 + 128);
        if from == 0 {
            text.push_str("record_id,service,type,started_at,destination,quantity\r\n");
        }
        let mut i = from;
        while i < rows && text.len() < 64 * 1024 {
            // A prime that shares no factor with the row counts used: a permutation.
            let n = if shuffled {
                ((i as u128 * 1_000_003) % rows as u128) as usize
            } else {
                i
            };
            let at = time::macros::datetime!(2036-11-01 00:00 UTC)
                + time::Duration::seconds((n as i64 * month_seconds) / rows as i64);
            let at = at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let service = identifier((n * 7919) % SERVICES);
            let (kind, destination, quantity) = match n % 20 {
                0 => ("message", format!("614{:08}", n % 100_000_000), 1),
                1 => (
                    "data",
                    String::new(),
                    1_000 + (n as i64 * 4099) % 50_000_000,
                ),
                2 => (
                    "call",
                    format!("44{:09}", n % 1_000_000_000),
                    30 + (n as i64 % 1_800),
                ),
                3..=8 => (
                    "call",
                    format!("614{:08}", n % 100_000_000),
                    5 + (n as i64 % 900),
                ),
                _ => (
                    "call",
                    format!("612{:08}", n % 100_000_000),
                    5 + (n as i64 % 600),
                ),
            };
            let kind = if shuffled && i % 100 == 99 {
                "fax"
            } else {
                kind
            };
            let id = if shuffled && i % 50 == 25 {
                n.saturating_sub(1)
            } else {
                n
            };
            text.push_str(&format!(
                "r{id},{service},{kind},{at},{destination},{quantity}\r\n"
            ));
            i += 1;
        }
        let next = if i >= rows { rows + 1 } else { i };
        Some((Ok(Bytes::from(text)), next))
    });
    Box::pin(pieces)
}

fn bench_clock() -> Arc<selfcare::ports::ManualClock> {
    // The generated month is November 2036; the bench runs at its end, so the month can be
    // exported and nothing it writes has expired.
    Arc::new(selfcare::ports::ManualClock::at(
        time::macros::datetime!(2036-11-30 23:00 UTC),
    ))
}

async fn export_from(
    dir: &std::path::Path,
    tenant: selfcare::ids::TenantId,
    account: AccountId,
) -> Result<(), Box<dyn std::error::Error>> {
    let local = LocalPlatform::open_with_clock(dir, "http://127.0.0.1:3000", None, bench_clock())?;
    let platform = local.platform;
    let exports = UsageExports::new(
        platform.table.clone(),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
    )
    .with_at_once_limit(i64::MAX);
    reset_peak();
    let started = Instant::now();
    let job = exports
        .request(
            &tenant,
            &account,
            ExportScope::Account,
            Period::parse("2036-11").ok_or("period")?,
            None,
        )
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let written = job.rows.unwrap_or(0);
    println!(
        "export: {written} records in {seconds:.2} s = {:.0} records/s; peak memory {:.1} MiB",
        written as f64 / seconds,
        peak_mib()
    );

    // The records view: one service's month, a hundred records a page, newest first.
    let service = platform
        .services()
        .by_identifier(&tenant, &identifier(0))
        .await?
        .ok_or("the first service")?;
    let records = platform.usage_records();
    let period = Period::parse("2036-11").ok_or("period")?;
    reset_peak();
    let started = Instant::now();
    let (mut pages, mut shown, mut cursor) = (0, 0, None);
    loop {
        let page = records
            .page(
                &tenant,
                &service.id,
                period,
                None,
                &selfcare::domain::paging::PageRequest::after(100, cursor),
            )
            .await?;
        pages += 1;
        shown += page.items.len();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "records view: one service's month, {shown} records in {pages} pages of 100 in {seconds:.2} s = {:.1} ms a page; peak memory {:.1} MiB",
        seconds * 1000.0 / pages as f64,
        peak_mib()
    );
    Ok(())
}

/// Bytes under a folder, in every file below it.
fn folder_bytes(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => folder_bytes(&entry.path()),
            _ => entry.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// Storage writes counted and dropped; everything else goes to the real table.
struct CountingSink {
    inner: Arc<dyn Table>,
    items: AtomicU64,
}

#[async_trait]
impl Table for CountingSink {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        self.inner.put(item, condition).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, TableError> {
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        self.inner.transact(writes).await
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError> {
        self.items.fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// The reference: the `csv` crate reading the same file (from memory, so the disk is not
/// measured), each record's fields only found, then each field checked as the ingest's
/// parser does (a time, a whole number).
async fn raw_read(platform: &Platform, key: &BlobKey) -> Result<(), Box<dyn std::error::Error>> {
    let download = platform.ingest.get(key).await?.ok_or("the file")?;
    let bytes = selfcare::ports::blobs::collect(download.body).await?;
    let started = Instant::now();
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    while reader.read_record(&mut record)? {
        rows += 1;
    }
    let read = rows as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let mut good = 0u64;
    while reader.read_record(&mut record)? {
        let at = record.get(3).and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        });
        let quantity = record.get(5).and_then(|q| q.parse::<i64>().ok());
        if at.is_some() && quantity.is_some() {
            good += 1;
        }
    }
    let checked = rows as f64 / started.elapsed().as_secs_f64();
    println!(
        "csv crate, same file: {rows} rows read at {read:.0} rows/s; read and checked at {checked:.0} rows/s ({good} well formed)"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ingest".into());
    if mode == "export-from" {
        // The export alone, in a process of its own, so its peak memory is its own.
        let dir = args.next().ok_or("a data folder")?;
        let tenant = args.next().ok_or("a tenant id")?.parse()?;
        let account = args.next().ok_or("an account id")?.parse()?;
        return export_from(std::path::Path::new(&dir), tenant, account).await;
    }
    let rows: usize = args.next().map_or(Ok(1_000_000), |r| r.parse())?;
    let dir = tempfile::tempdir()?;
    let local =
        LocalPlatform::open_with_clock(dir.path(), "http://127.0.0.1:3000", None, bench_clock())?;
    let platform = local.platform.clone();
    let (tenant, account) = provider(&platform).await?;
    let key = BlobKey::parse(&format!("{}/usage/bench.csv", tenant.id))?;
    let stored = platform
        .ingest
        .put(&key, generated_file(rows, mode == "shuffled"), "text/csv")
        .await?;
    let file_mb = stored.size as f64 / 1e6;

    let sink = Arc::new(CountingSink {
        inner: platform.table.clone(),
        items: AtomicU64::new(0),
    });
    let table: Arc<dyn Table> = if mode == "sink" {
        sink.clone()
    } else {
        platform.table.clone()
    };
    let ingest = Ingest::new(
        table,
        platform.ingest.clone(),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
        platform.sender.clone(),
    );
    if mode == "export" {
        ingest.run(&key).await?;
        // Every handle on the table goes, so the second process can open it.
        drop((ingest, sink, platform, local));
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg("export-from")
            .arg(dir.path())
            .arg(tenant.id.to_string())
            .arg(account.to_string())
            .status()?;
        return if status.success() {
            Ok(())
        } else {
            Err("the export run failed".into())
        };
    }
    raw_read(&platform, &key).await?;
    reset_peak();
    let started = Instant::now();
    let result = ingest.run(&key).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{mode}: {} rows ({file_mb:.1} MB) in {seconds:.2} s = {:.0} rows/s; accepted {}, rejected {}; peak memory {:.1} MiB{}",
        result.rows_read,
        result.rows_read as f64 / seconds,
        result.accepted,
        result.rejected,
        peak_mib(),
        if mode == "sink" {
            let items = sink.items.load(Ordering::Relaxed);
            format!(
                "; {items} table items written ({:.4} a record: each under 1 KB is one DynamoDB write unit)",
                items as f64 / result.accepted.max(1) as f64
            )
        } else {
            String::new()
        }
    );
    if mode != "sink" {
        // What the embedded store holds after the load: the table's files and the rated
        // records' objects (the usage file itself and its rejects are not counted).
        let table = std::fs::metadata(dir.path().join("table.redb")).map_or(0, |m| m.len());
        let records = folder_bytes(&dir.path().join("buckets/exports"));
        println!(
            "storage after the load: table {:.1} MB, records' objects {:.1} MB = {:.0} bytes a record",
            table as f64 / 1e6,
            records as f64 / 1e6,
            (table + records) as f64 / result.accepted.max(1) as f64
        );
    }
    Ok(())
}
