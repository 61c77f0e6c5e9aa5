//! The bill-run benchmark (figures for docs/benchmarks.md; run by infra/bench.sh, release
//! build): a provider with `accounts` accounts (10,000 unless told) of three services each,
//! one with a bolt-on, and a month of calls on every service, loaded through the product's
//! own ingest into the embedded table; then one day's bill run over all of them, and the
//! PDF of each invoice. Prints accounts billed a second, the run's peak memory, and PDFs
//! a second.
//!
//!     billing-bench [accounts]

use selfcare::store::Stamp;
use std::collections::BTreeMap;
use std::time::Instant;

use selfcare::domain::accounts::{AccountKind, NewAccount};
use selfcare::domain::billing::settings::{BillingSettings, TaxSetting};
use selfcare::domain::catalogue::{Allowance, NewBoltOn, NewPlan, NewRate, ServiceType, UsageType};
use selfcare::domain::paging::PageRequest;
use selfcare::domain::services::{NewService, ServiceStatus};
use selfcare::domain::tenancy::{NewTenant, TenantKind};
use selfcare::ports::ManualClock;
use selfcare::ports::blobs::{BlobKey, bytes_stream};
use selfcare_embedded::LocalPlatform;
use time::macros::{date, datetime};

/// Peak resident memory so far, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let accounts: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let clock = std::sync::Arc::new(ManualClock::at(datetime!(2036-11-01 00:30 UTC)));
    let local =
        LocalPlatform::open_with_clock(dir.path(), "http://127.0.0.1:3000", None, clock.clone())?;
    let platform = local.platform.clone();
    let tenant = platform
        .tenants()
        .create(NewTenant {
            kind: TenantKind::Retail,
            name: "Bench Telecom".into(),
            slug: "bench".into(),
            wholesaler: None,
        })
        .await?;
    platform
        .billing()
        .set_settings(
            &tenant.id,
            BillingSettings {
                tax: TaxSetting {
                    name: "GST".into(),
                    rate_basis_points: 1000,
                    prices_include_tax: true,
                },
                legal_name: "Bench Telecom Pty Ltd".into(),
                ..BillingSettings::default()
            },
            &Stamp::none(),
        )
        .await?;
    let catalogue = platform.catalogue();
    let plan = catalogue
        .create_plan(
            &tenant.id,
            NewPlan {
                name: "Business Voice".into(),
                service_type: ServiceType::Voice,
                currency: "AUD".into(),
                recurring_minor: 3_500,
                rates: vec![NewRate {
                    usage: UsageType::Call,
                    prefix: String::new(),
                    price: "10".into(),
                    increment_seconds: Some(60),
                }],
            },
            &Stamp::none(),
        )
        .await?;
    let bolt_on = catalogue
        .create_bolt_on(
            &tenant.id,
            NewBoltOn {
                name: "100 minutes".into(),
                currency: "AUD".into(),
                price_minor: 500,
                term_months: 0,
                allowances: vec![Allowance {
                    usage: UsageType::Call,
                    quantity: 6_000,
                }],
                plans: vec![plan.id],
            },
            &Stamp::none(),
        )
        .await?;
    let started = Instant::now();
    let services = platform.services();
    let mut file = String::from("record_id,service,type,started_at,destination,quantity\r\n");
    for n in 0..accounts {
        let account = platform
            .accounts()
            .create(
                &tenant,
                NewAccount {
                    kind: AccountKind::EndUser,
                    number: None,
                    name: format!("Customer {n}"),
                    billing_address: None,
                    phones: vec![],
                    emails: vec![format!("c{n}@bench.example")],
                    attributes: BTreeMap::new(),
                    group: None,
                },
                None,
            )
            .await?;
        for s in 0..3 {
            let identifier = format!("+612{:08}", n * 3 + s);
            let service = services
                .create(
                    &tenant.id,
                    &account.id,
                    NewService {
                        plan: plan.id,
                        identifier: identifier.clone(),
                        status: ServiceStatus::Active,
                        started_at: None,
                        attributes: BTreeMap::new(),
                    },
                    &Stamp::none(),
                )
                .await?;
            if s == 0 {
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
            // A month of calls: one every third day.
            for day in (1..=30).step_by(3) {
                file.push_str(&format!(
                    "{n}-{s}-{day},{identifier},call,2036-11-{day:02}T09:00:00Z,61299990000,{}\r\n",
                    60 + day * 7
                ));
            }
        }
    }
    let key = BlobKey::parse(&format!("{}/usage/bench-2036-11.csv", tenant.id))?;
    let stored = platform
        .ingest
        .put(&key, bytes_stream(file.into_bytes()), "text/csv")
        .await?;
    platform
        .ingest()
        .run_version(&key, stored.version.as_deref())
        .await?;
    println!(
        "set-up: {accounts} accounts, {} services, {} usage records in {:.1} s",
        accounts * 3,
        accounts * 30,
        started.elapsed().as_secs_f64()
    );

    clock.advance(datetime!(2036-12-01 00:30 UTC) - datetime!(2036-11-01 00:30 UTC));
    reset_peak();
    let started = Instant::now();
    let report = platform
        .billing()
        .run_day(&tenant.id, date!(2036 - 12 - 01))
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "bill run: {} invoices issued of {} accounts due, {} failures, in {:.1} s: {:.0} accounts/s, peak {:.0} MiB",
        report.issued,
        report.due,
        report.failures.len(),
        seconds,
        f64::from(report.due) / seconds,
        peak_mib()
    );

    // The PDFs of every invoice issued.
    let billing = platform.billing();
    let settings = billing.settings(&tenant.id).await?;
    let mut invoices = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let list = platform.accounts().list(&tenant.id, &page).await?;
        for account in &list.items {
            let mut first = billing
                .invoices(&tenant.id, &account.id, &PageRequest::first(1))
                .await?;
            invoices.append(&mut first.items);
        }
        match list.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let started = Instant::now();
    let mut bytes = 0;
    for invoice in &invoices {
        bytes +=
            selfcare::domain::billing::pdf::render(invoice, &[], &settings, "Bench", "en").len();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "pdf: {} invoices in {:.2} s: {:.0} PDFs/s, {:.1} KB each",
        invoices.len(),
        seconds,
        invoices.len() as f64 / seconds,
        bytes as f64 / invoices.len().max(1) as f64 / 1024.0
    );
    Ok(())
}
