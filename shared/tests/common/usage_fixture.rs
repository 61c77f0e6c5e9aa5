//! The usage tests' provider: a tenant with a voice plan, a bolt-on of 5 minutes, an account
//! with two services, and a file of calls and messages to load.

#![allow(dead_code)]

use selfcare::store::Stamp;
use std::collections::BTreeMap;

use selfcare::domain::catalogue::{Allowance, NewBoltOn, NewPlan, NewRate, ServiceType, UsageType};
use selfcare::domain::services::{NewService, ServiceStatus};
use selfcare::domain::tenancy::Tenant;
use selfcare::domain::usage::Period;
use selfcare::ids::{AccountId, BoltOnId, PlanId, ServiceId};
use selfcare::ports::Clock;
use selfcare::ports::blobs::{BlobKey, bytes_stream};
use time::macros::datetime;

use super::{Auth, World};

/// The landline with 5 minutes of calls a month from a bolt-on.
pub const LANDLINE: &str = "+61255501234";
/// A second service, without bolt-ons.
pub const SPARE: &str = "+61255501235";

pub struct Fixture {
    pub w: World,
    pub tenant: Tenant,
    pub account: AccountId,
    pub landline: ServiceId,
    /// The voice plan both services are on.
    pub plan: PlanId,
    /// The landline's 5-minute bolt-on (AUD 3.00 a month).
    pub bolt_on: BoltOnId,
}

pub async fn fixture() -> Fixture {
    fixture_on(World::new().await).await
}

/// The same on a world of the caller's (its table on DynamoDB, say).
pub async fn fixture_on(w: World) -> Fixture {
    let tenant = w.tenant("acme").await;
    fixture_for(w, tenant).await
}

/// The same catalogue, account and services, for a provider the caller made.
pub async fn fixture_for(w: World, tenant: Tenant) -> Fixture {
    w.clock
        .advance(datetime!(2036-11-20 12:00 UTC) - w.clock.now());
    let account: AccountId = w
        .account(&tenant, "Sam Lee", "sam@example.com", None)
        .await
        .parse()
        .unwrap();
    let catalogue = w.platform.catalogue();
    let rate = |usage, prefix: &str, price: &str, increment| NewRate {
        usage,
        prefix: prefix.into(),
        price: price.into(),
        increment_seconds: increment,
    };
    let plan = catalogue
        .create_plan(
            &tenant.id,
            NewPlan {
                name: "Talk 20".into(),
                service_type: ServiceType::Voice,
                currency: "AUD".into(),
                recurring_minor: 2_000,
                rates: vec![
                    rate(UsageType::Call, "", "10", Some(60)),
                    rate(UsageType::Call, "61", "2.5", Some(60)),
                    rate(UsageType::Message, "", "5", None),
                ],
            },
            &Stamp::none(),
        )
        .await
        .unwrap();
    let bolt_on = catalogue
        .create_bolt_on(
            &tenant.id,
            NewBoltOn {
                name: "5 minutes".into(),
                currency: "AUD".into(),
                price_minor: 300,
                term_months: 0,
                allowances: vec![Allowance {
                    usage: UsageType::Call,
                    quantity: 300,
                }],
                plans: vec![plan.id],
            },
            &Stamp::none(),
        )
        .await
        .unwrap();
    let services = w.platform.services();
    let new = |identifier: &str| NewService {
        plan: plan.id,
        identifier: identifier.into(),
        status: ServiceStatus::Active,
        started_at: None,
        attributes: BTreeMap::new(),
    };
    let landline = services
        .create(&tenant.id, &account, new(LANDLINE), &Stamp::none())
        .await
        .unwrap();
    services
        .attach_bolt_on(
            &tenant.id,
            &account,
            &landline.id,
            &bolt_on.id,
            &Stamp::none(),
        )
        .await
        .unwrap();
    services
        .create(&tenant.id, &account, new(SPARE), &Stamp::none())
        .await
        .unwrap();
    Fixture {
        w,
        tenant,
        account,
        landline: landline.id,
        plan: plan.id,
        bolt_on: bolt_on.id,
    }
}

/// Eleven rows: seven good, one duplicate, three bad. The landline's calls bill 120 + 120 +
/// 60 + 60 seconds against its 300-second allowance, which runs out in the third call.
pub const FILE: &str = "record_id,service,type,started_at,destination,quantity\r
c1,+61255501234,call,2036-11-03T09:15:00Z,+61255509999,100\r
c2,+61255501234,call,2036-11-03T10:00:00Z,61255508888,61\r
c3,+61255501234,call,2036-11-04T08:00:00Z,61255507777,60\r
c4,+61255501234,call,2036-11-04T09:00:00Z,61255507777,45\r
c2,+61255501234,call,2036-11-03T10:00:00Z,61255508888,61\r
m1,+61255501234,message,2036-11-04T09:30:00Z,61412345678,1\r
x1,+61255501234,fax,2036-11-04T09:31:00Z,61412345678,1\r
x2,+61299999999,call,2036-11-04T09:32:00Z,61412345678,10\r
c5,+61255501235,call,2036-11-05T11:00:00Z,4420794600,30\r
x3,+61255501234,call,not a time,61412345678,10\r
c6,+61255501235,call,2036-11-05T12:00:00Z,61255501111,120\r
";

pub async fn drop_file(f: &Fixture, name: &str, body: &str) -> BlobKey {
    let key = BlobKey::parse(&format!("{}/usage/{name}", f.tenant.id)).unwrap();
    f.w.platform
        .ingest
        .put(&key, bytes_stream(body.as_bytes().to_vec()), "text/csv")
        .await
        .unwrap();
    key
}

/// The landline's and the spare's month: (count, billable, covered, charge) of calls.
pub async fn call_totals(f: &Fixture) -> (i64, i64, i64, i64) {
    let today = f.w.clock.now().date();
    let month =
        f.w.platform
            .usage()
            .account_month(
                &f.tenant.id,
                &f.account,
                Period::containing(f.w.clock.now().date()),
                today,
            )
            .await
            .unwrap();
    let t = month.by_type[&UsageType::Call];
    (t.count, t.billable, t.covered, t.charge)
}

/// The people the isolation checks need around Sam's account: Sam (its owner), Kim (owner
/// of another account of the same provider), Lee (an end user of another provider), staff
/// of both providers with every permission, and Nora, staff of Sam's provider limited to
/// the account group `north` (Sam's account is in no group).
pub struct Cast {
    pub sam: String,
    pub kim: String,
    pub kim_account: AccountId,
    pub bluewave: Tenant,
    pub lee: String,
    pub boss: String,
    pub rival: String,
    pub nora: String,
}

pub async fn cast(f: &Fixture) -> Cast {
    let identity = f.w.platform.identity();
    let owner = |tenant: Tenant, account: AccountId, username: &'static str| {
        let identity = identity.clone();
        async move {
            identity
                .credentials
                .create_owner_with_password(
                    &tenant.id,
                    &account,
                    username,
                    &format!("{username}'s long password"),
                )
                .await
                .unwrap();
        }
    };
    owner(f.tenant.clone(), f.account, "sam").await;
    let kim_account: AccountId =
        f.w.account(&f.tenant, "Kim Park", "kim@example.com", None)
            .await
            .parse()
            .unwrap();
    owner(f.tenant.clone(), kim_account, "kim").await;
    let bluewave = f.w.tenant("bluewave").await;
    let lee_account: AccountId =
        f.w.account(&bluewave, "Lee Chan", "lee@example.com", None)
            .await
            .parse()
            .unwrap();
    owner(bluewave.clone(), lee_account, "lee").await;
    f.w.staff(&f.tenant, "boss", super::ALL).await;
    f.w.staff(&bluewave, "rival", super::ALL).await;
    let boss = f.w.token("acme", "boss", super::STAFF_PASSWORD).await;
    Cast {
        nora: invite_limited_staff(
            &f.w,
            &boss,
            "nora",
            &["accounts_read", "accounts_write", "reports_view"],
        )
        .await,
        sam: f.w.token("acme", "sam", "sam's long password").await,
        kim: f.w.token("acme", "kim", "kim's long password").await,
        kim_account,
        lee: f.w.token("bluewave", "lee", "lee's long password").await,
        boss,
        rival: f.w.token("bluewave", "rival", super::STAFF_PASSWORD).await,
        bluewave,
    }
}

/// Invites a staff member of acme limited to the account group `north`, through the
/// console and the credential-create link, and signs them in.
pub async fn invite_limited_staff(
    w: &World,
    boss: &str,
    username: &str,
    permissions: &[&str],
) -> String {
    let email = format!("{username}@acme.example");
    let invited = w
        .call(
            "POST",
            "/v1/console/staff",
            "acme",
            super::Auth::Bearer(boss),
            Some(serde_json::json!({
                "email": email, "name": username, "groups": ["north"],
                "permissions": permissions})),
        )
        .await;
    assert_eq!(
        invited.status,
        axum::http::StatusCode::ACCEPTED,
        "{}",
        invited.text
    );
    let mail = w.mail(&email, "credential-create").await;
    assert!(
        mail[0].contains("/console/credentials/create?tenant=acme#token="),
        "staff set up their access on the console: {}",
        mail[0]
    );
    let link = w.link_token(&email, "credential-create").await;
    let password = format!("{username}'s long password");
    w.call(
        "POST",
        "/v1/auth/credentials",
        "acme",
        super::Auth::None,
        Some(serde_json::json!({
            "token": link, "username": username, "password": password})),
    )
    .await;
    w.token("acme", username, &password).await
}

/// The fixture with November's file (`FILE`) loaded, and its cast.
pub async fn loaded() -> (Fixture, Cast) {
    let f = fixture().await;
    let key = drop_file(&f, "nov-1.csv", FILE).await;
    selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap();
    let cast = cast(&f).await;
    (f, cast)
}

/// The same cast signed in again (after the clock moved past their sessions' lifetime).
pub async fn signed_in_again(f: &Fixture, cast: Cast) -> Cast {
    let w = &f.w;
    Cast {
        sam: w.token("acme", "sam", "sam's long password").await,
        kim: w.token("acme", "kim", "kim's long password").await,
        lee: w.token("bluewave", "lee", "lee's long password").await,
        boss: w.token("acme", "boss", super::STAFF_PASSWORD).await,
        rival: w.token("bluewave", "rival", super::STAFF_PASSWORD).await,
        nora: w.token("acme", "nora", "nora's long password").await,
        ..cast
    }
}

/// GST at 10 %, prices including it, as an Australian provider bills (Acme's billing
/// settings, set by its staff member `boss`).
pub async fn gst(f: &Fixture, boss: &str) {
    let saved =
        f.w.call(
            "PUT",
            "/v1/console/settings/billing",
            "acme",
            Auth::Bearer(boss),
            Some(serde_json::json!({
                "currency": "AUD",
                "bill_day": {"rule": "fixed", "day": 1},
                "payment_terms_days": 14,
                "invoice_prefix": "INV-",
                "tax": {"name": "GST", "rate_basis_points": 1000, "prices_include_tax": true},
                "legal_name": "Acme Telecom Pty Ltd",
                "tax_number": "ABN 12 345 678 901",
                "address": ["1 George St", "Sydney NSW 2000"]
            })),
        )
        .await;
    assert_eq!(saved.status, axum::http::StatusCode::OK, "{}", saved.text);
}
