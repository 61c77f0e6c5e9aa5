//! Demo data for the local runtime: a wholesaler, two retail providers (one buying through
//! the wholesaler), and end-user and agent accounts with contacts. Seeding twice adds
//! nothing: tenants are found by slug, accounts by their fixed numbers, logins by username.
//! Each tenant has a staff member `admin`; Acme's account 100001 has the login `jo` and
//! Bluewave's `sam`; Acme's 100002 has none, to try the credential-create email on.
//! Acme has a small catalogue, and 100001 a landline and a mobile with this month's usage;
//! Acme takes orders, with numbers of area 02 in its inventory.

use std::collections::BTreeMap;

use crate::domain::accounts::{AccountError, AccountKind, AccountSearch, NewAccount};
use crate::domain::contact::PostalAddressInput;
use crate::domain::identity::{IdentityError, Permission};
use crate::domain::paging::PageRequest;
use crate::domain::tenancy::{NewTenant, Tenant, TenantError, TenantKind};
use crate::platform::Platform;
use crate::store::Stamp;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Settings(#[from] crate::domain::settings::SettingsError),
    #[error(transparent)]
    Storage(#[from] crate::ports::TableError),
    #[error("demo services and usage: {0}")]
    Demo(String),
}

/// The demo staff member's password, on every demo tenant (username `admin`). Demo only:
/// real staff choose theirs through a credential-create link.
pub const DEMO_STAFF_PASSWORD: &str = "console-demo-2026";
/// The demo end user's password (username `jo` on `acme`, `sam` on `bluewave`).
pub const DEMO_PORTAL_PASSWORD: &str = "portal-demo-2026";

async fn staff(platform: &Platform, tenant: &Tenant) -> Result<(), SeedError> {
    let result = platform
        .identity()
        .credentials
        .create_staff_with_password(
            &tenant.id,
            "admin",
            &format!("admin@{}.example", tenant.slug),
            &format!("{} Admin", tenant.name),
            DEMO_STAFF_PASSWORD,
            Permission::ALL.into_iter().collect(),
        )
        .await;
    match result {
        Ok(_) | Err(IdentityError::UsernameTaken(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn owner(
    platform: &Platform,
    tenant: &Tenant,
    number: &str,
    username: &str,
) -> Result<(), SeedError> {
    let found = platform
        .accounts()
        .search(
            &tenant.id,
            &AccountSearch::Number(number.into()),
            &PageRequest::first(1),
        )
        .await?;
    let Some(account) = found.items.first() else {
        return Ok(());
    };
    let result = platform
        .identity()
        .credentials
        .create_owner_with_password(&tenant.id, &account.id, username, DEMO_PORTAL_PASSWORD)
        .await;
    match result {
        Ok(_) | Err(IdentityError::UsernameTaken(_)) | Err(IdentityError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn tenant(
    platform: &Platform,
    kind: TenantKind,
    name: &str,
    slug: &str,
    wholesaler: Option<&Tenant>,
) -> Result<Tenant, SeedError> {
    let tenants = platform.tenants();
    match tenants.by_slug(slug).await {
        Ok(existing) => Ok(existing),
        Err(TenantError::NotFound) => Ok(tenants
            .create(NewTenant {
                kind,
                name: name.into(),
                slug: slug.into(),
                wholesaler: wholesaler.map(|w| w.id),
            })
            .await?),
        Err(e) => Err(e.into()),
    }
}

struct DemoAccount {
    number: &'static str,
    kind: AccountKind,
    name: &'static str,
    email: &'static str,
    phone: &'static str,
    street: &'static str,
    locality: &'static str,
    region: &'static str,
    postcode: &'static str,
}

const ACME: &[DemoAccount] = &[
    DemoAccount {
        number: "100001",
        kind: AccountKind::EndUser,
        name: "Jo Bloggs",
        email: "jo.bloggs@example.com",
        phone: "+61 2 9876 5432",
        street: "1 Harbour St",
        locality: "Sydney",
        region: "NSW",
        postcode: "2000",
    },
    DemoAccount {
        number: "100002",
        kind: AccountKind::EndUser,
        name: "Harbour Dental Pty Ltd",
        email: "accounts@harbourdental.example",
        phone: "+61 2 9000 1234",
        street: "20 Bridge Rd",
        locality: "Glebe",
        region: "NSW",
        postcode: "2037",
    },
    DemoAccount {
        number: "100003",
        kind: AccountKind::EndUser,
        name: "Priya Natarajan",
        email: "priya@example.net",
        phone: "+61 412 345 678",
        street: "7 Ocean Pde",
        locality: "Bondi",
        region: "NSW",
        postcode: "2026",
    },
    DemoAccount {
        number: "100004",
        kind: AccountKind::Agent,
        name: "Coastal Sales Agency",
        email: "team@coastalsales.example",
        phone: "+61 2 9111 2222",
        street: "3 Market St",
        locality: "Sydney",
        region: "NSW",
        postcode: "2000",
    },
];

const BLUEWAVE: &[DemoAccount] = &[
    DemoAccount {
        number: "100001",
        kind: AccountKind::EndUser,
        name: "Sam Lee",
        email: "sam.lee@example.org",
        phone: "+61 3 9123 4567",
        street: "12 Collins St",
        locality: "Melbourne",
        region: "VIC",
        postcode: "3000",
    },
    DemoAccount {
        number: "100002",
        kind: AccountKind::EndUser,
        name: "Fitzroy Bakery",
        email: "hello@fitzroybakery.example",
        phone: "+61 3 9555 0101",
        street: "88 Brunswick St",
        locality: "Fitzroy",
        region: "VIC",
        postcode: "3065",
    },
];

async fn accounts(
    platform: &Platform,
    tenant: &Tenant,
    list: &[DemoAccount],
) -> Result<usize, SeedError> {
    let accounts = platform.accounts();
    let mut created = 0;
    for a in list {
        let new = NewAccount {
            kind: a.kind,
            number: Some(a.number.into()),
            name: a.name.into(),
            billing_address: Some(PostalAddressInput {
                lines: vec![a.street.into()],
                locality: a.locality.into(),
                region: Some(a.region.into()),
                postcode: Some(a.postcode.into()),
                country: "AU".into(),
            }),
            phones: vec![a.phone.into()],
            emails: vec![a.email.into()],
            attributes: BTreeMap::new(),
            group: None,
        };
        match accounts.create(tenant, new, None).await {
            Ok(_) => created += 1,
            Err(AccountError::NumberTaken(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(created)
}

/// Seeds the demo tenants and accounts; returns how many accounts were new.
pub async fn seed(platform: &Platform) -> Result<usize, SeedError> {
    let wholesaler = tenant(
        platform,
        TenantKind::Wholesale,
        "Wholesale Networks",
        "wholesale",
        None,
    )
    .await?;
    let acme = tenant(
        platform,
        TenantKind::Retail,
        "Acme Telecom",
        "acme",
        Some(&wholesaler),
    )
    .await?;
    let bluewave = tenant(
        platform,
        TenantKind::Retail,
        "Bluewave Internet",
        "bluewave",
        None,
    )
    .await?;
    // Australian providers: their days and months are Sydney's and Melbourne's, and a
    // number written 02 5550 1234 is an Australian one.
    for (tenant, zone) in [
        (&wholesaler, "Australia/Sydney"),
        (&acme, "Australia/Sydney"),
        (&bluewave, "Australia/Melbourne"),
    ] {
        let _identity = platform.identity();
        let mut access = platform.settings().get(&tenant.id).await?;
        access.time_zone = zone.into();
        access.phone_country = Some("AU".into());
        platform
            .settings()
            .set(&tenant.id, access, &Stamp::none())
            .await?;
    }
    let created =
        accounts(platform, &acme, ACME).await? + accounts(platform, &bluewave, BLUEWAVE).await?;
    for tenant in [&wholesaler, &acme, &bluewave] {
        staff(platform, tenant).await?;
    }
    owner(platform, &acme, "100001", "jo").await?;
    owner(platform, &bluewave, "100001", "sam").await?;
    services_and_usage(platform, &acme).await?;
    ordering(platform, &acme).await?;
    billing(platform, &acme).await?;
    Ok(created)
}

/// Acme bills on the first of the month with GST included in its prices, and account
/// 100001 has its invoice for this billing period (issued once: seeding again finds it) and
/// may read every report of it.
async fn billing(platform: &Platform, tenant: &Tenant) -> Result<(), SeedError> {
    use crate::domain::billing::settings::{BillingSettings, TaxSetting};
    let fail = |e: &dyn std::fmt::Display| SeedError::Demo(e.to_string());
    let billing = platform.billing();
    billing
        .set_settings(
            &tenant.id,
            BillingSettings {
                tax: TaxSetting {
                    name: "GST".into(),
                    rate_basis_points: 1000,
                    prices_include_tax: true,
                },
                legal_name: "Acme Telecom Pty Ltd".into(),
                tax_number: "ABN 12 345 678 901".into(),
                address: vec!["1 George Street".into(), "Sydney NSW 2000".into()],
                ..BillingSettings::default()
            },
            &Stamp::none(),
        )
        .await
        .map_err(|e| fail(&e))?;
    let Some(account) = platform
        .accounts()
        .search(
            &tenant.id,
            &AccountSearch::Number("100001".into()),
            &PageRequest::first(1),
        )
        .await?
        .items
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    // Its logins read every report of its invoices (the Reports module on), and pay by
    // card (the Payments module on, Acme connected to the gateway with test keys: the
    // local runtime's test gateway, whose page takes Stripe's test cards).
    let mut access = platform.settings().get(&tenant.id).await?;
    access.modules.extend([
        crate::domain::settings::Module::Reports,
        crate::domain::settings::Module::Payments,
    ]);
    platform
        .settings()
        .set(&tenant.id, access, &Stamp::none())
        .await?;
    let payments = platform.payments();
    if payments
        .connection(&tenant.id)
        .await
        .map_err(|e| fail(&e))?
        .is_none()
    {
        match payments
            .connect(
                &tenant.id,
                crate::domain::payments::ConnectInput {
                    publishable_key: "pk_test_selfcare_demo".into(),
                    secret_key: "sk_test_selfcare_demo".into(),
                    webhook_secret: "whsec_selfcare_demo".into(),
                },
                "demo",
            )
            .await
        {
            Ok(_) => {}
            // A real gateway (the AWS adapters' Stripe) refuses the demo's keys: the demo
            // goes on without card payments.
            Err(crate::domain::payments::PaymentError::KeysRefused)
            | Err(crate::domain::payments::PaymentError::GatewayUnavailable(_)) => {}
            Err(e) => return Err(fail(&e)),
        }
    }
    billing
        .set_account_settings(
            &tenant.id,
            &account.id,
            crate::domain::billing::settings::AccountBillingSettings {
                granted_reports: crate::domain::billing::granted::GrantedReport::ALL
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
            &Stamp::none(),
        )
        .await
        .map_err(|e| fail(&e))?;
    let today = billing.today(&tenant.id).await.map_err(|e| fail(&e))?;
    billing
        .bill(&tenant.id, &account.id, today)
        .await
        .map_err(|e| fail(&e))?;
    Ok(())
}

/// Acme takes orders: number ordering and E911 on (for Australian numbers too), numbers of area 02 in its inventory
/// (standard and gold; customers may order both), call forwarding approved at once, port
/// ins left to its wholesaler, new orders copied to orders@acme.example. Settings are
/// written again on every seed; numbers already held are skipped.
async fn ordering(platform: &Platform, tenant: &Tenant) -> Result<(), SeedError> {
    use crate::domain::orders::settings::{ManualKind, OrderSettings};
    use crate::domain::settings::Module;
    let fail = |e: &dyn std::fmt::Display| SeedError::Demo(e.to_string());
    let _identity = platform.identity();
    let mut access = platform.settings().get(&tenant.id).await?;
    access
        .modules
        .extend([Module::NumberOrdering, Module::E911]);
    platform
        .settings()
        .set(&tenant.id, access, &Stamp::none())
        .await?;
    let orders = platform.orders();
    let mut settings = OrderSettings::default();
    settings.orderable_tiers.insert("gold".into());
    settings.auto_approve.call_forwarding = true;
    // Australian numbers keep a registered emergency address too (for 000).
    settings.emergency_address_countries.insert("AU".into());
    settings.wholesaler_provisions.insert(ManualKind::PortIn);
    settings.alert_email = Some("orders@acme.example".into());
    orders
        .set_settings(&tenant.id, settings, &Stamp::none())
        .await
        .map_err(|e| fail(&e))?;
    let numbers = orders.numbers();
    let standard: Vec<String> = (1..=8)
        .map(|n| format!("+6125550{:04}", 7000 + n))
        .collect();
    numbers
        .add(&tenant.id, "02", "standard", &standard)
        .await
        .map_err(|e| fail(&e))?;
    numbers
        .add(&tenant.id, "02", "gold", &["+61255508888".to_owned()])
        .await
        .map_err(|e| fail(&e))?;
    Ok(())
}

/// Acme's catalogue (a voice plan with a bolt-on, a mobile plan), two services on account
/// 100001, and this month's usage so far loaded from a generated file. Seeding again finds
/// the plans, the services (by identifier) and the file (by name) and adds nothing.
async fn services_and_usage(platform: &Platform, tenant: &Tenant) -> Result<(), SeedError> {
    use crate::domain::catalogue::{Allowance, NewBoltOn, NewPlan, NewRate, UsageType};
    use crate::domain::services::{NewService, ServiceError, ServiceStatus};
    use crate::domain::usage::Period;
    let fail = |e: &dyn std::fmt::Display| SeedError::Demo(e.to_string());
    let catalogue = platform.catalogue();
    let existing = catalogue
        .plans(&tenant.id, &PageRequest::first(10))
        .await
        .map_err(|e| fail(&e))?;
    let Some(account) = platform
        .accounts()
        .search(
            &tenant.id,
            &AccountSearch::Number("100001".into()),
            &PageRequest::first(1),
        )
        .await?
        .items
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    if existing.items.is_empty() {
        let rate = |usage, prefix: &str, price: &str, increment| NewRate {
            usage,
            prefix: prefix.into(),
            price: price.into(),
            increment_seconds: increment,
        };
        let voice = catalogue
            .create_plan(
                &tenant.id,
                NewPlan {
                    name: "Business Voice".into(),
                    service_type: crate::domain::catalogue::ServiceType::Voice,
                    currency: "AUD".into(),
                    recurring_minor: 3_500,
                    rates: vec![
                        rate(UsageType::Call, "", "25", Some(60)),
                        rate(UsageType::Call, "61", "3", Some(30)),
                        rate(UsageType::Call, "614", "12", Some(30)),
                        rate(UsageType::Message, "", "8", None),
                    ],
                },
                &Stamp::none(),
            )
            .await
            .map_err(|e| fail(&e))?;
        let mobile = catalogue
            .create_plan(
                &tenant.id,
                NewPlan {
                    name: "Mobile 20 GB".into(),
                    service_type: crate::domain::catalogue::ServiceType::Mobile,
                    currency: "AUD".into(),
                    recurring_minor: 4_500,
                    rates: vec![
                        rate(UsageType::Call, "", "10", Some(60)),
                        rate(UsageType::Message, "", "0", None),
                        rate(UsageType::Data, "", "1", None),
                    ],
                },
                &Stamp::none(),
            )
            .await
            .map_err(|e| fail(&e))?;
        let minutes = catalogue
            .create_bolt_on(
                &tenant.id,
                NewBoltOn {
                    name: "100 national minutes".into(),
                    currency: "AUD".into(),
                    price_minor: 500,
                    term_months: 0,
                    allowances: vec![Allowance {
                        usage: UsageType::Call,
                        quantity: 6_000,
                    }],
                    plans: vec![voice.id],
                },
                &Stamp::none(),
            )
            .await
            .map_err(|e| fail(&e))?;
        // Offered on the landline but not on it: to try ordering a bolt-on with.
        catalogue
            .create_bolt_on(
                &tenant.id,
                NewBoltOn {
                    name: "International 60 minutes".into(),
                    currency: "AUD".into(),
                    price_minor: 1_000,
                    term_months: 0,
                    allowances: vec![Allowance {
                        usage: UsageType::Call,
                        quantity: 3_600,
                    }],
                    plans: vec![voice.id],
                },
                &Stamp::none(),
            )
            .await
            .map_err(|e| fail(&e))?;
        let services = platform.services();
        for (plan, identifier, bolt_on) in [
            (voice.id, DEMO_LANDLINE, Some(minutes.id)),
            (mobile.id, DEMO_MOBILE, None),
        ] {
            let new = NewService {
                plan,
                identifier: identifier.into(),
                status: ServiceStatus::Active,
                started_at: None,
                attributes: BTreeMap::new(),
            };
            match services
                .create(&tenant.id, &account.id, new, &Stamp::none())
                .await
            {
                Ok(service) => {
                    if let Some(bolt_on) = bolt_on {
                        services
                            .attach_bolt_on(
                                &tenant.id,
                                &account.id,
                                &service.id,
                                &bolt_on,
                                &Stamp::none(),
                            )
                            .await
                            .map_err(|e| fail(&e))?;
                    }
                }
                Err(ServiceError::IdentifierTaken(_)) => {}
                Err(e) => return Err(fail(&e)),
            }
        }
    }
    let zone = crate::domain::settings::zone(platform.table.as_ref(), &tenant.id)
        .await
        .map_err(|e| fail(&e))?;
    let today = zone.date_of(platform.clock.now());
    let period = Period::containing(today);
    let key = crate::ports::BlobKey::parse(&format!("{}/usage/demo-{period}.csv", tenant.id))
        .map_err(|e| fail(&e))?;
    // Stored once a month; loaded as the bucket's notification would (the same version:
    // when the notification comes too, it finds the load done or under way).
    if platform
        .ingest
        .get(&key)
        .await
        .map_err(|e| fail(&e))?
        .is_none()
    {
        let file = demo_usage_file(period, &zone, platform.clock.now());
        let stored = platform
            .ingest
            .put(&key, crate::ports::blobs::bytes_stream(file), "text/csv")
            .await
            .map_err(|e| fail(&e))?;
        platform
            .ingest()
            .run_version(&key, stored.version.as_deref())
            .await
            .map_err(|e| fail(&e))?;
    }
    Ok(())
}

const DEMO_LANDLINE: &str = "+61255501234";
const DEMO_MOBILE: &str = "+61412555678";

/// A month of usage up to `today`: calls on the landline, calls, texts and data on the
/// mobile, a few a day, the same every time for the same month.
fn demo_usage_file(
    period: crate::domain::usage::Period,
    zone: &crate::domain::calendar::ProviderZone,
    now: time::OffsetDateTime,
) -> String {
    let mut file = String::from("record_id,service,type,started_at,destination,quantity\r\n");
    let today = zone.date_of(now).day();
    for day in 1..=today {
        let Ok(date) = time::Date::from_calendar_date(period.year, period.month, day) else {
            continue;
        };
        for n in 0..6u32 {
            let seed = u32::from(day) * 31 + n * 7;
            // 08:00 to 18:00 on the provider's clock; nothing that has not happened yet.
            let started = zone.local(
                zone.start_of(date)
                    + time::Duration::hours(i64::from(8 + n * 2))
                    + time::Duration::minutes(i64::from(seed % 60)),
            );
            if started > now {
                continue;
            }
            let at = started
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let (service, kind, destination, quantity) = match n {
                0 | 1 => (
                    DEMO_LANDLINE,
                    "call",
                    format!("6129{:07}", seed * 977 % 10_000_000),
                    30 + seed * 13 % 900,
                ),
                2 => (
                    DEMO_LANDLINE,
                    "call",
                    format!("614{:08}", seed * 7919 % 100_000_000),
                    20 + seed * 7 % 400,
                ),
                3 => (
                    DEMO_MOBILE,
                    "call",
                    format!("614{:08}", seed * 104_729 % 100_000_000),
                    15 + seed * 11 % 600,
                ),
                4 => (
                    DEMO_MOBILE,
                    "message",
                    format!("614{:08}", seed * 15_485 % 100_000_000),
                    1,
                ),
                _ => (
                    DEMO_MOBILE,
                    "data",
                    String::new(),
                    5_000_000 + seed * 1_234_567 % 400_000_000,
                ),
            };
            file.push_str(&format!(
                "demo-{period}-{day:02}-{n},{service},{kind},{at},{destination},{quantity}\r\n"
            ));
        }
    }
    file
}
