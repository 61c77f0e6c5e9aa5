//! Billing through the API and the domain: what an invoice holds (worked examples with GST),
//! one invoice a period whatever the run does, numbers without gaps, late usage billed once,
//! payments settling invoices oldest first, the ledger always summing to the balance, and
//! nobody reaching another account's bills.

use selfcare::store::Stamp;
use std::sync::Arc;

use axum::http::StatusCode;
use rand::{Rng, SeedableRng};
use selfcare::domain::billing::NewPayment;
use selfcare::domain::billing::payments::PaymentMethod;
use selfcare::domain::billing::reconciliation::WantedAllocation;
use selfcare::ids::AccountId;
use selfcare::ports::Clock;
use serde_json::{Value as Json, json};
use time::macros::{date, datetime};

use crate::common::usage_fixture::*;
use crate::common::*;

/// The usage fixture (Sam's landline with its bolt-on and a spare line, both started on 20
/// November 2036, November's usage loaded), GST on, and the clock at 1 December.
async fn december() -> (Fixture, Cast) {
    let (f, cast) = loaded().await;
    gst(&f, &cast.boss).await;
    f.w.clock
        .advance(datetime!(2036-12-01 00:30 UTC) - f.w.clock.now());
    let cast = signed_in_again(&f, cast).await;
    (f, cast)
}

/// Moves the clock to `at` and signs the staff member Boss in again.
async fn later(f: &Fixture, at: time::OffsetDateTime) -> String {
    f.w.clock.advance(at - f.w.clock.now());
    f.w.token("acme", "boss", STAFF_PASSWORD).await
}

async fn bill_now(f: &Fixture, boss: &str, account: &AccountId) -> Reply {
    f.w.call(
        "POST",
        &format!("/v1/console/accounts/{account}/invoices"),
        "acme",
        Auth::Bearer(boss),
        None,
    )
    .await
}

fn lines(invoice: &Json) -> Vec<(String, String, String, i64, String, String)> {
    invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_owned(),
                l["identifier"].as_str().unwrap().to_owned(),
                l["period_start"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
                l["gross"].as_str().unwrap().to_owned(),
                l["tax"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn line(
    description: &str,
    identifier: &str,
    start: &str,
    quantity: i64,
    gross: &str,
    tax: &str,
) -> (String, String, String, i64, String, String) {
    (
        description.into(),
        identifier.into(),
        start.into(),
        quantity,
        gross.into(),
        tax.into(),
    )
}

#[tokio::test]
async fn an_invoice_bills_the_month_ahead_the_days_since_activation_and_last_months_usage() {
    let (f, Cast { boss, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let invoice = &issued.body;
    assert_eq!(invoice["number"], "INV-000001");
    assert_eq!(
        (&invoice["period_start"], &invoice["period_end"]),
        (&json!("2036-12-01"), &json!("2036-12-31"))
    );
    assert_eq!(
        (&invoice["issued_on"], &invoice["due_on"]),
        (&json!("2036-12-01"), &json!("2036-12-15"))
    );
    // 20 – 30 November is 11 of November's 30 days: $20.00 → $7.33, $3.00 → $1.10. GST is
    // a line's price / 11, rounded half away from zero: $7.33 holds $0.67.
    assert_eq!(
        lines(invoice),
        [
            line(
                "Talk 20 (11 of 30 days)",
                LANDLINE,
                "2036-11-20",
                11,
                "7.33",
                "0.67"
            ),
            line("Talk 20", LANDLINE, "2036-12-01", 31, "20.00", "1.82"),
            line(
                "5 minutes (11 of 30 days)",
                LANDLINE,
                "2036-11-20",
                11,
                "1.10",
                "0.10"
            ),
            line("5 minutes", LANDLINE, "2036-12-01", 31, "3.00", "0.27"),
            line(
                "Talk 20 (11 of 30 days)",
                SPARE,
                "2036-11-20",
                11,
                "7.33",
                "0.67"
            ),
            line("Talk 20", SPARE, "2036-12-01", 31, "20.00", "1.82"),
            // November's rated usage, in arrears.
            line("Usage", LANDLINE, "2036-11-01", 5, "0.08", "0.01"),
            line("Usage", SPARE, "2036-11-01", 2, "0.15", "0.01"),
        ]
    );
    assert_eq!(invoice["total"], "58.99");
    assert_eq!(invoice["tax"], "5.37");
    assert_eq!(invoice["subtotal"], "53.62");
    assert_eq!(invoice["amount_due"], "58.99");
    assert_eq!(invoice["status"], "issued");
}

#[tokio::test]
async fn the_preview_shows_what_bill_now_then_issues_and_writes_nothing() {
    let (f, Cast { boss, .. }) = december().await;
    let preview =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoice-preview", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(preview.body["total"], "58.99");
    let ledger =
        f.w.get(
            &format!("/v1/console/accounts/{}/ledger", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(ledger.body["items"], json!([]), "a preview issues nothing");
    let issued = bill_now(&f, &boss, &f.account).await;
    assert_eq!(lines(&issued.body), lines(&preview.body));
}

#[tokio::test]
async fn billing_the_same_period_again_answers_the_invoice_already_issued() {
    let (f, Cast { boss, .. }) = december().await;
    let first = bill_now(&f, &boss, &f.account).await;
    let again = bill_now(&f, &boss, &f.account).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"]);
    let ledger =
        f.w.get(
            &format!("/v1/console/accounts/{}/ledger", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(ledger.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(ledger.body["balance"], "58.99");
}

#[tokio::test]
async fn the_customer_reads_its_invoices_and_ledger_on_the_portal() {
    let (f, Cast { sam, boss, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let list =
        f.w.get("/v1/portal/invoices", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["items"][0]["number"], "INV-000001");
    assert_eq!(list.body["items"][0]["outstanding"], "58.99");
    let one =
        f.w.get(
            &format!(
                "/v1/portal/invoices/{}",
                issued.body["id"].as_str().unwrap()
            ),
            "acme",
            Auth::Bearer(&sam),
        )
        .await;
    assert_eq!(lines(&one.body), lines(&issued.body));
    let ledger =
        f.w.get("/v1/portal/ledger", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(ledger.body["balance"], "58.99");
    assert_eq!(ledger.body["currency"], "AUD");
    assert_eq!(ledger.body["items"][0]["reference"], "INV-000001");
    assert_eq!(ledger.body["items"][0]["kind"], "invoice");
}

#[tokio::test]
async fn an_invoice_past_its_due_date_with_something_owed_is_overdue() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    later(&f, datetime!(2036-12-16 09:00 UTC)).await;
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let list =
        f.w.get("/v1/portal/invoices", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(list.body["items"][0]["status"], "overdue");
}

#[tokio::test]
async fn an_account_with_nothing_new_to_bill_gets_no_invoice() {
    let (
        f,
        Cast {
            boss, kim_account, ..
        },
    ) = december().await;
    let nothing = bill_now(&f, &boss, &kim_account).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT, "{}", nothing.text);
    assert_eq!(nothing.body["type"], "/problems/nothing-to-bill");
}

#[tokio::test]
async fn late_usage_is_billed_once_on_the_next_invoice_under_its_own_period() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    // A November call arrives after November's usage was invoiced.
    let late = "record_id,service,type,started_at,destination,quantity\r\n\
                late1,+61255501235,call,2036-11-29T10:00:00Z,61255501111,60\r\n";
    let key = drop_file(&f, "nov-late.csv", late).await;
    selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap();
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    let january = bill_now(&f, &boss, &f.account).await;
    assert_eq!(january.status, StatusCode::CREATED, "{}", january.text);
    let usage: Vec<_> = lines(&january.body)
        .into_iter()
        .filter(|l| l.0 == "Usage")
        .collect();
    assert_eq!(
        usage,
        [line("Usage", SPARE, "2036-11-01", 1, "0.03", "0.00")],
        "the late call, once, labelled November"
    );
    // January bills January's plans and bolt-on, nothing of December twice.
    let recurring: Vec<_> = lines(&january.body)
        .into_iter()
        .filter(|l| l.0 != "Usage")
        .map(|l| (l.2, l.4))
        .collect();
    assert_eq!(
        recurring,
        [
            ("2037-01-01".to_owned(), "20.00".to_owned()),
            ("2037-01-01".to_owned(), "3.00".to_owned()),
            ("2037-01-01".to_owned(), "20.00".to_owned()),
        ]
    );
    assert_eq!(january.body["number"], "INV-000002");
}

/// Twenty runs billing one account's period at once issue one invoice.
async fn twenty_runs_issue_one_invoice_on(w: World) {
    let f = Arc::new(fixture_on(w).await);
    f.w.clock
        .advance(datetime!(2036-12-01 00:30 UTC) - f.w.clock.now());
    let mut runs = Vec::new();
    for _ in 0..20 {
        let f = f.clone();
        runs.push(tokio::spawn(async move {
            f.w.platform
                .billing()
                .bill(&f.tenant.id, &f.account, date!(2036 - 12 - 01))
                .await
                .unwrap()
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut issued = 0;
    for run in runs {
        let (invoice, created) = run.await.unwrap();
        ids.insert(invoice.id);
        issued += usize::from(created);
    }
    assert_eq!((ids.len(), issued), (1, 1));
    let balance =
        f.w.platform
            .billing()
            .balance(&f.tenant.id, &f.account)
            .await
            .unwrap();
    assert_eq!(balance.entries, 1);
}

#[tokio::test]
async fn twenty_runs_billing_one_period_at_once_issue_one_invoice() {
    twenty_runs_issue_one_invoice_on(World::new().await).await;
}

#[tokio::test]
async fn twenty_runs_billing_one_period_at_once_issue_one_invoice_on_dynamodb() {
    twenty_runs_issue_one_invoice_on(World::on_dynamodb().await).await;
}

/// Accounts billed at once take the provider's numbers without gaps or repeats.
async fn numbers_have_no_gaps_on(w: World) {
    let f = Arc::new(fixture_on(w).await);
    let services = f.w.platform.services();
    let mut accounts = vec![f.account];
    for n in 0..7 {
        let account: AccountId =
            f.w.account(&f.tenant, &format!("Customer {n}"), "c@example.com", None)
                .await
                .parse()
                .unwrap();
        services
            .create(
                &f.tenant.id,
                &account,
                selfcare::domain::services::NewService {
                    plan: f.plan,
                    identifier: format!("+6125550900{n}"),
                    status: selfcare::domain::services::ServiceStatus::Active,
                    started_at: None,
                    attributes: Default::default(),
                },
                &Stamp::none(),
            )
            .await
            .unwrap();
        accounts.push(account);
    }
    f.w.clock
        .advance(datetime!(2036-12-01 00:30 UTC) - f.w.clock.now());
    let mut runs = Vec::new();
    for &account in &accounts {
        let f = f.clone();
        runs.push(tokio::spawn(async move {
            f.w.platform
                .billing()
                .bill(&f.tenant.id, &account, date!(2036 - 12 - 01))
                .await
                .unwrap()
                .0
        }));
    }
    let mut numbers = Vec::new();
    for run in runs {
        numbers.push(run.await.unwrap().sequence);
    }
    numbers.sort();
    assert_eq!(numbers, (1..=accounts.len() as i64).collect::<Vec<_>>());
}

#[tokio::test]
async fn invoice_numbers_have_no_gaps_when_accounts_are_billed_at_once() {
    numbers_have_no_gaps_on(World::new().await).await;
}

#[tokio::test]
async fn invoice_numbers_have_no_gaps_when_accounts_are_billed_at_once_on_dynamodb() {
    numbers_have_no_gaps_on(World::on_dynamodb().await).await;
}

async fn pay(f: &Fixture, boss: &str, amount: i64, reference: &str) -> Reply {
    f.w.call(
        "POST",
        &format!("/v1/console/accounts/{}/payments", f.account),
        "acme",
        Auth::Bearer(boss),
        Some(json!({"method": "bank_transfer", "amount_minor": amount,
                    "received_on": "2036-12-01", "reference": reference})),
    )
    .await
}

#[tokio::test]
async fn a_payment_settles_invoices_oldest_first_and_the_rest_is_credit_for_the_next() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let paid = pay(&f, &boss, 7000, "BANK-REF-1").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    assert_eq!(paid.body["allocations"][0]["number"], "INV-000001");
    assert_eq!(paid.body["allocations"][0]["amount"], "58.99");
    assert_eq!(paid.body["unallocated"], "11.01");
    // Entered twice (a double click), it is recorded once.
    let twice = pay(&f, &boss, 7000, "bank-ref-1").await;
    assert_eq!(twice.status, StatusCode::OK, "{}", twice.text);
    assert_eq!(twice.body["id"], paid.body["id"]);
    let invoices =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoices", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(invoices.body["items"][0]["status"], "paid");
    // January's invoice uses the credit first.
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    let january = bill_now(&f, &boss, &f.account).await;
    assert_eq!(january.body["total"], "43.00");
    assert_eq!(january.body["credit_applied"], "11.01");
    assert_eq!(january.body["amount_due"], "31.99");
    let ledger =
        f.w.get(
            &format!("/v1/console/accounts/{}/ledger", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    let running: Vec<(&str, &str)> = ledger.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["amount"].as_str().unwrap(),
                e["balance"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        running,
        [("43.00", "31.99"), ("-70.00", "-11.01"), ("58.99", "58.99")],
        "newest first, each with the balance after it"
    );
}

#[tokio::test]
async fn a_payment_that_is_not_money_or_has_no_reference_is_refused() {
    let (f, Cast { boss, .. }) = december().await;
    let zero = pay(&f, &boss, 0, "REF").await;
    assert_eq!(
        zero.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        zero.text
    );
    let blank = pay(&f, &boss, 100, "  ").await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let date =
        f.w.call(
            "POST",
            &format!("/v1/console/accounts/{}/payments", f.account),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"method": "cash", "amount_minor": 100,
                        "received_on": "5 December", "reference": "R"})),
        )
        .await;
    assert_eq!(date.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(date.body["errors"][0]["field"], "/received_on");
}

#[tokio::test]
async fn the_ledger_always_sums_to_the_balance() {
    let f = fixture().await;
    let billing = f.w.platform.billing();
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let mut month = date!(2036 - 12 - 01);
    let mut reallocated = 0;
    for n in 0..8 {
        f.w.clock
            .advance(month.midnight().assume_utc() - f.w.clock.now() + time::Duration::hours(1));
        billing.bill(&f.tenant.id, &f.account, month).await.unwrap();
        for p in 0..rng.random_range(0..3) {
            billing
                .record_payment(
                    &f.tenant.id,
                    &f.account,
                    NewPayment {
                        method: PaymentMethod::Cheque,
                        amount: rng.random_range(1..9000),
                        received_on: month,
                        reference: format!("CHQ-{n}-{p}"),
                    },
                    "boss",
                )
                .await
                .unwrap();
        }
        // Now and then staff move part of a payment to another invoice, or write one off.
        let picture = billing
            .reconciliation(&f.tenant.id, &f.account)
            .await
            .unwrap();
        if rng.random_bool(0.5)
            && let Some(payment) = picture.payments.iter().find(|p| !p.allocations.is_empty())
            && let Some(to) = picture
                .invoices
                .iter()
                .find(|i| i.outstanding() > 0 && i.id != payment.allocations[0].invoice)
        {
            let mut wanted: Vec<WantedAllocation> = payment
                .allocations
                .iter()
                .map(|a| WantedAllocation {
                    invoice: a.invoice.clone(),
                    amount: a.amount,
                })
                .collect();
            let moved = rng.random_range(1..=wanted[0].amount).min(to.outstanding());
            wanted[0].amount -= moved;
            match wanted.iter_mut().find(|w| w.invoice == to.id) {
                Some(w) => w.amount += moved,
                None => wanted.push(WantedAllocation {
                    invoice: to.id.clone(),
                    amount: moved,
                }),
            }
            wanted.retain(|w| w.amount > 0);
            let (_, changed) = billing
                .reallocate(&f.tenant.id, &f.account, &payment.id, &wanted)
                .await
                .unwrap();
            reallocated += usize::from(changed);
        }
        if rng.random_bool(0.2)
            && let Some(open) = picture.invoices.iter().find(|i| i.outstanding() > 0)
        {
            billing
                .write_off(&f.tenant.id, &f.account, &open.id, "customer gone away")
                .await
                .unwrap();
        }
        month = selfcare::domain::calendar::add_months(month, 1);
    }
    let mut entries = billing
        .ledger(
            &f.tenant.id,
            &f.account,
            &selfcare::domain::paging::PageRequest {
                limit: Some(100),
                cursor: None,
            },
        )
        .await
        .unwrap()
        .items;
    entries.sort_by_key(|e| e.sequence);
    let balance = billing.balance(&f.tenant.id, &f.account).await.unwrap();
    let mut running = 0;
    for entry in &entries {
        running += entry.amount;
        assert_eq!(entry.balance, running, "entry {}", entry.sequence);
    }
    assert_eq!(balance.owed, running);
    assert_eq!(balance.entries, entries.len() as i64);
    // What the invoices still owe plus the credit is the balance.
    let invoices = billing
        .invoices(
            &f.tenant.id,
            &f.account,
            &selfcare::domain::paging::PageRequest {
                limit: Some(100),
                cursor: None,
            },
        )
        .await
        .unwrap()
        .items;
    let outstanding: i64 = invoices.iter().map(|i| i.outstanding()).sum();
    let paid: i64 = entries
        .iter()
        .filter(|e| e.amount < 0)
        .map(|e| -e.amount)
        .sum();
    let billed: i64 = invoices.iter().map(|i| i.total).sum();
    assert_eq!(billed - paid, balance.owed);
    // Exactly: what the invoices owe, less the payments' money no invoice took that the
    // next invoices have not used as credit yet.
    let picture = billing
        .reconciliation(&f.tenant.id, &f.account)
        .await
        .unwrap();
    // (All credit here comes from payments: each invoice's credit used is taken from them.)
    let credit_applied: i64 = invoices.iter().map(|i| i.credit_applied).sum();
    let credit_used: i64 = picture
        .payments
        .iter()
        .flat_map(|p| &p.credit_used)
        .map(|c| c.amount)
        .sum();
    assert_eq!(credit_used, credit_applied);
    assert_eq!(outstanding - picture.unallocated, balance.owed);
    // Each invoice shows as paid exactly what the payments' parts give it.
    for invoice in &invoices {
        let parts: i64 = picture
            .payments
            .iter()
            .flat_map(|p| &p.allocations)
            .filter(|a| a.invoice == invoice.id)
            .map(|a| a.amount)
            .sum();
        assert_eq!(invoice.paid, parts, "{}", invoice.number);
    }
    assert!(
        entries
            .iter()
            .any(|e| e.kind == selfcare::domain::billing::ledger::EntryKind::WriteOff),
        "the seed writes one off"
    );
    assert!(reallocated > 0, "the seed moves money between invoices");
}

#[tokio::test]
async fn nobody_reaches_another_accounts_or_providers_bills() {
    let (
        f,
        Cast {
            kim,
            kim_account,
            lee,
            boss,
            rival,
            nora,
            ..
        },
    ) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let invoice = issued.body["id"].as_str().unwrap();
    // Another account of the provider, an end user of another: not there.
    for (tenant, token) in [("acme", &kim), ("bluewave", &lee)] {
        let one =
            f.w.get(
                &format!("/v1/portal/invoices/{invoice}"),
                tenant,
                Auth::Bearer(token),
            )
            .await;
        assert_eq!(one.status, StatusCode::NOT_FOUND, "{tenant}");
    }
    let kims =
        f.w.get("/v1/portal/invoices", "acme", Auth::Bearer(&kim))
            .await;
    assert_eq!(kims.body["items"], json!([]));
    let kims =
        f.w.get("/v1/portal/ledger", "acme", Auth::Bearer(&kim))
            .await;
    assert_eq!(kims.body["balance"], "0.00");
    // Another provider's staff, and staff limited to a group the account is not in.
    let account = f.account;
    for (tenant, token) in [("bluewave", &rival), ("acme", &nora)] {
        for (method, path) in [
            ("GET", format!("/v1/console/accounts/{account}/invoices")),
            (
                "GET",
                format!("/v1/console/accounts/{account}/invoices/{invoice}"),
            ),
            ("POST", format!("/v1/console/accounts/{account}/invoices")),
            ("GET", format!("/v1/console/accounts/{account}/ledger")),
            (
                "GET",
                format!("/v1/console/accounts/{account}/invoice-preview"),
            ),
        ] {
            let reply =
                f.w.call(method, &path, tenant, Auth::Bearer(token), None)
                    .await;
            assert!(
                matches!(reply.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{tenant} {method} {path}: {}",
                reply.status
            );
        }
    }
    // An invoice id under another account's path.
    let crossed =
        f.w.get(
            &format!("/v1/console/accounts/{kim_account}/invoices/{invoice}"),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    // A customer is no staff member.
    let console =
        f.w.get(
            &format!("/v1/console/accounts/{account}/invoices"),
            "acme",
            Auth::Bearer(&kim),
        )
        .await;
    assert_eq!(console.body["type"], "/problems/console-only");
}

#[tokio::test]
async fn staff_without_the_billing_permission_read_bills_but_neither_bill_nor_take_payments() {
    let (f, Cast { boss, .. }) = december().await;
    f.w.staff(
        &f.tenant,
        "clerk",
        &[selfcare::domain::identity::Permission::AccountsRead],
    )
    .await;
    let clerk = f.w.token("acme", "clerk", STAFF_PASSWORD).await;
    bill_now(&f, &boss, &f.account).await;
    let read =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoices", f.account),
            "acme",
            Auth::Bearer(&clerk),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    for (method, path, body) in [
        (
            "POST",
            format!("/v1/console/accounts/{}/invoices", f.account),
            None,
        ),
        (
            "POST",
            format!("/v1/console/accounts/{}/payments", f.account),
            Some(json!({"method": "cash", "amount_minor": 100,
                        "received_on": "2036-12-05", "reference": "R"})),
        ),
        ("GET", "/v1/console/settings/billing".to_owned(), None),
    ] {
        let reply =
            f.w.call(method, &path, "acme", Auth::Bearer(&clerk), body)
                .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(reply.body["type"], "/problems/permission-missing");
    }
}

#[tokio::test]
async fn billing_settings_that_make_no_sense_are_refused_field_by_field() {
    let (f, Cast { boss, .. }) = loaded().await;
    let refused =
        f.w.call(
            "PUT",
            "/v1/console/settings/billing",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({
                "currency": "XYZ",
                "bill_day": {"rule": "fixed", "day": 31},
                "payment_terms_days": 14,
                "invoice_prefix": "INV 2036",
                "tax": {"name": "GST", "rate_basis_points": 1000, "prices_include_tax": true},
                "legal_name": "", "tax_number": "", "address": []
            })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/currency", "/bill_day/day", "/invoice_prefix"]);
    let kept =
        f.w.get("/v1/console/settings/billing", "acme", Auth::Bearer(&boss))
            .await;
    assert_eq!(kept.body["currency"], "AUD", "nothing saved");
}

#[tokio::test]
async fn an_issued_invoice_cannot_be_changed_or_removed() {
    let (f, Cast { boss, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let path = format!(
        "/v1/console/accounts/{}/invoices/{}",
        f.account,
        issued.body["id"].as_str().unwrap()
    );
    for method in ["PUT", "PATCH", "DELETE"] {
        let reply =
            f.w.call(
                method,
                &path,
                "acme",
                Auth::Bearer(&boss),
                Some(json!({"total": "0.00"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let after = f.w.get(&path, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(after.body["total"], "58.99");
}

#[tokio::test]
async fn the_daily_run_bills_each_account_due_once_and_runs_again_only_after_a_failure() {
    let (f, _) = december().await;
    let runs = selfcare::events::bill_run(&f.w.platform).await.unwrap();
    let acme = runs
        .iter()
        .find(|r| r.due == 2)
        .expect("acme's run: Sam's and Kim's accounts are due on the 1st");
    assert_eq!(
        (acme.issued, acme.already, acme.nothing, acme.failures.len()),
        (1, 0, 1, 0),
        "Sam's invoice issued; Kim has nothing to bill"
    );
    // The next hour: every provider's day ran without failures, so nothing runs.
    f.w.clock.advance(time::Duration::hours(1));
    assert!(
        selfcare::events::bill_run(&f.w.platform)
            .await
            .unwrap()
            .is_empty()
    );
    // Run again by hand, it bills nothing twice.
    let again =
        f.w.platform
            .billing()
            .run_day(&f.tenant.id, date!(2036 - 12 - 01))
            .await
            .unwrap();
    assert_eq!((again.issued, again.already, again.nothing), (0, 1, 1));
}

#[tokio::test]
async fn an_account_the_run_cannot_bill_is_reported_with_why_and_tried_again_next_hour() {
    let (f, Cast { kim_account, .. }) = december().await;
    // Kim's service is on a plan priced in US dollars; the provider bills in AUD.
    let plan =
        f.w.platform
            .catalogue()
            .create_plan(
                &f.tenant.id,
                selfcare::domain::catalogue::NewPlan {
                    name: "US Voice".into(),
                    service_type: selfcare::domain::catalogue::ServiceType::Voice,
                    currency: "USD".into(),
                    recurring_minor: 1_000,
                    rates: vec![],
                },
                &Stamp::none(),
            )
            .await
            .unwrap();
    f.w.platform
        .services()
        .create(
            &f.tenant.id,
            &kim_account,
            selfcare::domain::services::NewService {
                plan: plan.id,
                identifier: "+61255509100".into(),
                status: selfcare::domain::services::ServiceStatus::Active,
                started_at: None,
                attributes: Default::default(),
            },
            &Stamp::none(),
        )
        .await
        .unwrap();
    let runs = selfcare::events::bill_run(&f.w.platform).await.unwrap();
    let acme = runs.iter().find(|r| r.due == 2).unwrap();
    assert_eq!(acme.issued, 1, "Sam is billed all the same");
    assert_eq!(acme.failures.len(), 1);
    assert_eq!(acme.failures[0].account, kim_account.to_string());
    assert!(
        acme.failures[0].reason.contains("USD"),
        "{}",
        acme.failures[0].reason
    );
    f.w.clock.advance(time::Duration::hours(1));
    let retried = selfcare::events::bill_run(&f.w.platform).await.unwrap();
    assert_eq!(retried.len(), 1, "only acme's day runs again");
    assert_eq!((retried[0].already, retried[0].failures.len()), (1, 1));
}

#[tokio::test]
async fn on_a_fixed_bill_day_no_account_is_due_on_another_day() {
    let (f, _) = december().await;
    let run =
        f.w.platform
            .billing()
            .run_day(&f.tenant.id, date!(2036 - 12 - 02))
            .await
            .unwrap();
    assert_eq!(run.due, 0);
}

#[tokio::test]
async fn staff_read_their_own_providers_runs_and_group_limited_staff_none() {
    let (
        f,
        Cast {
            boss, rival, nora, ..
        },
    ) = december().await;
    let ran =
        f.w.call(
            "POST",
            "/v1/console/billing/runs",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.text);
    assert_eq!(ran.body["issued"], 1);
    let runs =
        f.w.get("/v1/console/billing/runs", "acme", Auth::Bearer(&boss))
            .await;
    assert_eq!(runs.body[0]["date"], "2036-12-01");
    assert_eq!(runs.body[0]["issued"], 1);
    let theirs =
        f.w.get("/v1/console/billing/runs", "bluewave", Auth::Bearer(&rival))
            .await;
    assert_eq!(theirs.body, json!([]), "acme's runs stay acme's");
    for method in ["GET", "POST"] {
        let limited =
            f.w.call(
                method,
                "/v1/console/billing/runs",
                "acme",
                Auth::Bearer(&nora),
                None,
            )
            .await;
        assert_eq!(limited.status, StatusCode::FORBIDDEN, "{method}");
    }
}

#[tokio::test]
async fn a_bolt_on_taken_off_after_its_month_was_billed_is_credited_on_the_next_invoice() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    // On 21 December Sam takes the 5-minute bolt-on off; staff approve.
    f.w.clock
        .advance(datetime!(2036-12-21 03:00 UTC) - f.w.clock.now());
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    let landline = f.landline.to_string();
    let placed =
        f.w.call(
            "POST",
            "/v1/portal/orders",
            "acme",
            Auth::Bearer(&sam),
            Some(
                json!({"request": {"kind": "cancel_bolt_on", "service": landline,
                                    "bolt_on": f.bolt_on.to_string()}}),
            ),
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let order = placed.body["id"].as_str().unwrap();
    let approved =
        f.w.call(
            "POST",
            &format!("/v1/console/accounts/{}/orders/{order}/approve", f.account),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(approved.body["state"], "completed", "{}", approved.text);
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    let january = bill_now(&f, &boss, &f.account).await;
    let bolt_on: Vec<_> = lines(&january.body)
        .into_iter()
        .filter(|l| l.0.starts_with("5 minutes"))
        .collect();
    // $3.00 × 11 of December's 31 days = $1.0645... → a credit of $1.06.
    assert_eq!(
        bolt_on,
        [line(
            "5 minutes (credit, 11 of 31 days unused)",
            LANDLINE,
            "2036-12-21",
            11,
            "-1.06",
            "-0.10"
        )],
        "credited, and not billed for January"
    );
}

#[tokio::test]
async fn a_second_payment_under_a_used_reference_is_refused_not_dropped() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    assert_eq!(
        pay(&f, &boss, 1000, "MONTHLY").await.status,
        StatusCode::CREATED
    );
    let other = pay(&f, &boss, 2500, "monthly").await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text);
    assert_eq!(other.body["type"], "/problems/payment-reference-used");
    let same = pay(&f, &boss, 1000, "MONTHLY").await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.body["already_recorded"], true);
}

#[tokio::test]
async fn the_currency_cannot_change_once_invoices_are_issued() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let mut settings =
        f.w.get("/v1/console/settings/billing", "acme", Auth::Bearer(&boss))
            .await
            .body;
    settings["currency"] = json!("NZD");
    let refused =
        f.w.call(
            "PUT",
            "/v1/console/settings/billing",
            "acme",
            Auth::Bearer(&boss),
            Some(settings),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.body["type"], "/problems/currency-fixed");
}

#[tokio::test]
async fn staff_limited_to_account_groups_cannot_change_provider_wide_billing() {
    let (f, Cast { boss, .. }) = december().await;
    let gail =
        invite_limited_staff(&f.w, &boss, "gail", &["accounts_read", "billing_manage"]).await;
    let settings =
        f.w.get("/v1/console/settings/billing", "acme", Auth::Bearer(&boss))
            .await
            .body;
    for (method, path) in [
        ("GET", "/v1/console/settings/billing"),
        ("PUT", "/v1/console/settings/billing"),
        ("POST", "/v1/console/billing/runs"),
    ] {
        let reply =
            f.w.call(
                method,
                path,
                "acme",
                Auth::Bearer(&gail),
                Some(settings.clone()).filter(|_| method == "PUT"),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn after_the_periods_invoice_the_preview_shows_the_next_periods() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let preview =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoice-preview", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(preview.body["period_start"], "2037-01-01");
    assert_eq!(preview.body["total"], "43.00");
}

async fn add_charge(f: &Fixture, boss: &str, description: &str, amount: i64) -> Reply {
    f.w.call(
        "POST",
        &format!("/v1/console/accounts/{}/charges", f.account),
        "acme",
        Auth::Bearer(boss),
        Some(json!({"description": description, "amount_minor": amount,
                    "reason": "agreed with the customer"})),
    )
    .await
}

#[tokio::test]
async fn one_off_charges_and_credits_land_on_the_next_invoice_once() {
    let (f, Cast { boss, .. }) = december().await;
    let install = add_charge(&f, &boss, "Installation", 2500).await;
    assert_eq!(install.status, StatusCode::CREATED, "{}", install.text);
    add_charge(&f, &boss, "Goodwill credit", -500).await;
    let dropped = add_charge(&f, &boss, "Entered by mistake", 999).await;
    let removed =
        f.w.call(
            "DELETE",
            &format!(
                "/v1/console/accounts/{}/charges/{}",
                f.account,
                dropped.body["id"].as_str().unwrap()
            ),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let december = bill_now(&f, &boss, &f.account).await;
    let one_offs: Vec<_> = lines(&december.body)
        .into_iter()
        .filter(|l| l.1.is_empty())
        .map(|l| (l.0, l.4, l.5))
        .collect();
    assert_eq!(
        one_offs,
        // Added at the same instant (the test clock stands still): by description.
        [
            (
                "Goodwill credit".to_owned(),
                "-5.00".to_owned(),
                "-0.45".to_owned()
            ),
            (
                "Installation".to_owned(),
                "25.00".to_owned(),
                "2.27".to_owned()
            ),
        ]
    );
    assert_eq!(december.body["total"], "78.99");
    // Taken by the invoice: not removable, and not billed again.
    let listed =
        f.w.get(
            &format!("/v1/console/accounts/{}/charges", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "invoiced"),
        "{}",
        listed.text
    );
    let too_late =
        f.w.call(
            "DELETE",
            &format!(
                "/v1/console/accounts/{}/charges/{}",
                f.account,
                install.body["id"].as_str().unwrap()
            ),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(too_late.status, StatusCode::CONFLICT);
    assert_eq!(too_late.body["type"], "/problems/charge-invoiced");
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    let january = bill_now(&f, &boss, &f.account).await;
    assert!(lines(&january.body).iter().all(|l| !l.1.is_empty()));
}

#[tokio::test]
async fn a_credit_note_corrects_an_issued_invoice_which_itself_never_changes() {
    let (f, Cast { boss, sam, kim, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let invoice = issued.body["id"].as_str().unwrap().to_owned();
    let path = format!(
        "/v1/console/accounts/{}/invoices/{invoice}/credit-notes",
        f.account
    );
    let credit = |amount: i64| {
        let (f, boss, path) = (&f, boss.clone(), path.clone());
        async move {
            f.w.call(
                "POST",
                &path,
                "acme",
                Auth::Bearer(&boss),
                Some(
                    json!({"amount_minor": amount, "reason": "charged for days before activation"}),
                ),
            )
            .await
        }
    };
    let note = credit(899).await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text);
    assert_eq!(note.body["number"], "CN-000001");
    // Its tax is the invoice's share: 8.99 × 5.37 / 58.99 = 0.818... → 0.82.
    assert_eq!(note.body["tax"], "0.82");
    let too_much = credit(5001).await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_much.text.contains("at most 50.00"), "{}", too_much.text);
    let seen =
        f.w.get(
            &format!("/v1/portal/invoices/{invoice}"),
            "acme",
            Auth::Bearer(&sam),
        )
        .await;
    assert_eq!(seen.body["total"], "58.99", "the invoice is as issued");
    assert_eq!(seen.body["credited"], "8.99");
    assert_eq!(seen.body["outstanding"], "50.00");
    assert_eq!(seen.body["credit_notes"][0]["number"], "CN-000001");
    let ledger =
        f.w.get("/v1/portal/ledger", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(ledger.body["balance"], "50.00");
    assert_eq!(ledger.body["items"][0]["kind"], "credit_note");
    // Nobody else's.
    let theirs =
        f.w.get(
            &format!("/v1/portal/invoices/{invoice}"),
            "acme",
            Auth::Bearer(&kim),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn corrections_are_for_staff_who_bill_the_account() {
    let (f, Cast { boss, rival, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let invoice = issued.body["id"].as_str().unwrap();
    f.w.staff(
        &f.tenant,
        "clerk",
        &[selfcare::domain::identity::Permission::AccountsRead],
    )
    .await;
    let clerk = f.w.token("acme", "clerk", STAFF_PASSWORD).await;
    let account = f.account;
    let attempts = [
        (
            format!("/v1/console/accounts/{account}/charges"),
            json!({"description": "x", "amount_minor": 100, "reason": "x"}),
        ),
        (
            format!("/v1/console/accounts/{account}/invoices/{invoice}/credit-notes"),
            json!({"amount_minor": 100, "reason": "x"}),
        ),
    ];
    for (path, body) in &attempts {
        let refused =
            f.w.call(
                "POST",
                path,
                "acme",
                Auth::Bearer(&clerk),
                Some(body.clone()),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        let elsewhere =
            f.w.call(
                "POST",
                path,
                "bluewave",
                Auth::Bearer(&rival),
                Some(body.clone()),
            )
            .await;
        assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn aged_balances_put_each_accounts_unpaid_invoices_by_how_late_they_are() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    bill_now(&f, &boss, &f.account).await;
    // 20 January: December's invoice (due 15 December) is 36 days late, January's (due 15
    // January) 5 days.
    let boss = later(&f, datetime!(2037-01-20 09:00 UTC)).await;
    let aged =
        f.w.get(
            "/v1/console/reports/aged-balances",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(aged.status, StatusCode::OK, "{}", aged.text);
    let rows = aged.body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "Kim owes nothing: {}", aged.text);
    assert_eq!(
        (
            &rows[0]["current"],
            &rows[0]["days_1_30"],
            &rows[0]["days_31_60"],
            &rows[0]["total"]
        ),
        (
            &json!("0.00"),
            &json!("43.00"),
            &json!("58.99"),
            &json!("101.99")
        )
    );
    let csv =
        f.w.get(
            "/v1/console/reports/aged-balances?format=csv",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.text
            .starts_with("account,number,name,current,1-30,31-60,61-90,over 90,total\n"),
        "{}",
        csv.text
    );
}

#[tokio::test]
async fn the_periods_invoices_and_credit_notes_give_the_tax_to_declare() {
    let (
        f,
        Cast {
            boss, rival, nora, ..
        },
    ) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let credited =
        f.w.call(
            "POST",
            &format!(
                "/v1/console/accounts/{}/invoices/{}/credit-notes",
                f.account,
                issued.body["id"].as_str().unwrap()
            ),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"amount_minor": 899, "reason": "days before activation"})),
        )
        .await;
    assert_eq!(credited.status, StatusCode::CREATED, "{}", credited.text);
    let path = "/v1/console/reports/invoices?from=2036-12-01&to=2036-12-31";
    let report = f.w.get(path, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let numbers: Vec<&str> = report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["INV-000001", "CN-000001"]);
    // 5.37 of tax on the invoice, 0.82 of it credited.
    assert_eq!(report.body["tax"], "4.55");
    assert_eq!(report.body["total"], "50.00");
    let csv =
        f.w.get(&format!("{path}&format=csv"), "acme", Auth::Bearer(&boss))
            .await;
    assert!(
        csv.text.trim_end().ends_with("total,,,,,45.45,4.55,50.00"),
        "{}",
        csv.text
    );
    let theirs = f.w.get(path, "bluewave", Auth::Bearer(&rival)).await;
    assert_eq!(theirs.body["items"], json!([]));
    let limited = f.w.get(path, "acme", Auth::Bearer(&nora)).await;
    assert_eq!(limited.status, StatusCode::FORBIDDEN);
    let backwards =
        f.w.get(
            "/v1/console/reports/invoices?from=2036-12-31&to=2036-12-01",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_customer_downloads_the_invoice_as_a_pdf_holding_its_number_lines_and_totals() {
    let (f, Cast { boss, sam, kim, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let path = format!(
        "/v1/portal/invoices/{}/pdf",
        issued.body["id"].as_str().unwrap()
    );
    let pdf = f.w.get(&path, "acme", Auth::Bearer(&sam)).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers["content-disposition"],
        "attachment; filename=\"invoice-INV-000001.pdf\""
    );
    assert!(pdf.text.starts_with("%PDF-"));
    // The text is written uncompressed: what a reader shows is in the file as it is.
    for shown in [
        "(Acme Telecom Pty Ltd)",
        "(ABN 12 345 678 901)",
        "(Tax invoice INV-000001)",
        "(Sam Lee)",
        "(+61255501234)",
        "(Talk 20 (11 of 30 days))",
        "(58.99)",
        "(5.37)",
        "(Amount (AUD))",
    ] {
        assert!(pdf.text.contains(shown), "{shown} is not in the PDF");
    }
    // In the login's language.
    let chosen =
        f.w.call(
            "PUT",
            "/v1/auth/language",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"language": "fr"})),
        )
        .await;
    assert!(chosen.status.is_success(), "{}", chosen.text);
    let french = f.w.get(&path, "acme", Auth::Bearer(&sam)).await;
    assert!(french.text.contains("(58,99)"), "French writes 58,99");
    assert!(french.text.contains("(Facture INV-000001)"));
    // Nobody else's.
    let theirs = f.w.get(&path, "acme", Auth::Bearer(&kim)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unpaid_invoice_is_reminded_once_on_each_reminder_day_until_paid() {
    let (f, Cast { boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let billing = f.w.platform.billing();
    let sender = f.w.platform.sender.clone();
    // Due 15 December: 7 days late on the 22nd.
    let on = |d: time::Date| {
        let (billing, sender, tenant) = (&billing, &sender, f.tenant.id);
        async move { billing.send_reminders(&tenant, d, sender).await.unwrap() }
    };
    assert_eq!(on(date!(2036 - 12 - 21)).await, 0, "6 days late: not yet");
    assert_eq!(on(date!(2036 - 12 - 22)).await, 1);
    assert_eq!(on(date!(2036 - 12 - 22)).await, 0, "once");
    let mail = f.w.mail("sam@example.com", "invoice-overdue").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Reminder: invoice INV-000001 is overdue")
            && mail[0].contains("AUD 58.99"),
        "{}",
        mail[0]
    );
    // Part paid: the next reminder says what is left.
    f.w.clock
        .advance(datetime!(2036-12-27 00:00 UTC) - f.w.clock.now());
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    f.w.call(
        "POST",
        &format!("/v1/console/accounts/{}/payments", f.account),
        "acme",
        Auth::Bearer(&boss),
        Some(json!({"method": "cheque", "amount_minor": 2000,
                    "received_on": "2036-12-27", "reference": "CHQ-1"})),
    )
    .await;
    assert_eq!(on(date!(2036 - 12 - 29)).await, 1);
    let mail = f.w.mail("sam@example.com", "invoice-overdue").await;
    assert!(mail[1].contains("AUD 38.99"), "{}", mail[1]);
    // Paid in full: no third reminder.
    f.w.call(
        "POST",
        &format!("/v1/console/accounts/{}/payments", f.account),
        "acme",
        Auth::Bearer(&boss),
        Some(json!({"method": "cheque", "amount_minor": 3899,
                    "received_on": "2036-12-27", "reference": "CHQ-2"})),
    )
    .await;
    assert_eq!(on(date!(2037 - 01 - 14)).await, 0);
}

#[tokio::test]
async fn the_customer_downloads_a_periods_transactions_as_csv_with_the_running_balance() {
    let (f, Cast { boss, sam, kim, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    pay(&f, &boss, 1000, "REF-1").await;
    let csv =
        f.w.get(
            "/v1/portal/ledger/export?from=2036-12-01&to=2036-12-31",
            "acme",
            Auth::Bearer(&sam),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        rows,
        [
            "date,transaction,reference,description,amount,balance",
            "2036-12-01,invoice,INV-000001,Invoice for 2036-12-01 to 2036-12-31,58.99,58.99",
            "2036-12-01,payment,REF-1,Payment received (bank transfer),-10.00,48.99",
        ]
    );
    let before =
        f.w.get(
            "/v1/portal/ledger/export?to=2036-11-30",
            "acme",
            Auth::Bearer(&sam),
        )
        .await;
    assert_eq!(before.text.lines().count(), 1, "only the header");
    let kims =
        f.w.get("/v1/portal/ledger/export", "acme", Auth::Bearer(&kim))
            .await;
    assert_eq!(kims.text.lines().count(), 1, "Kim's own: none");
    let bad =
        f.w.get(
            "/v1/portal/ledger/export?from=December",
            "acme",
            Auth::Bearer(&sam),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_technical_login_reads_services_but_not_the_bills() {
    let (f, Cast { sam, boss, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let invited =
        f.w.call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"email": "tech@example.com", "name": "Tech", "role": "technical"})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let link =
        f.w.link_token("tech@example.com", "credential-create")
            .await;
    f.w.call(
        "POST",
        "/v1/auth/credentials",
        "acme",
        Auth::None,
        Some(json!({"token": link, "username": "tech", "password": "a technical long password"})),
    )
    .await;
    let tech = f.w.token("acme", "tech", "a technical long password").await;
    let services =
        f.w.get("/v1/portal/services", "acme", Auth::Bearer(&tech))
            .await;
    assert_eq!(services.status, StatusCode::OK);
    for path in [
        "/v1/portal/invoices",
        "/v1/portal/ledger",
        "/v1/portal/ledger/export",
    ] {
        let refused = f.w.get(path, "acme", Auth::Bearer(&tech)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(refused.body["type"], "/problems/action-not-allowed");
    }
}

#[tokio::test]
async fn an_invoices_itemised_usage_lists_the_records_its_usage_lines_cover() {
    let (f, Cast { boss, sam, kim, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let path = format!(
        "/v1/portal/invoices/{}/usage",
        issued.body["id"].as_str().unwrap()
    );
    let csv = f.w.get(&path, "acme", Auth::Bearer(&sam)).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(
        csv.headers["content-disposition"],
        "attachment; filename=\"usage-INV-000001.csv\""
    );
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(rows[0], selfcare::domain::usage::export::COLUMNS.join(","));
    // November's seven rated records: the landline's five, the spare's two.
    assert_eq!(rows.len(), 1 + 7, "{}", csv.text);
    let charged: i64 = rows[1..]
        .iter()
        .map(|r| {
            let charge = r.split(',').nth(10).unwrap();
            (charge.parse::<f64>().unwrap() * 100.0).round() as i64
        })
        .sum();
    assert_eq!(charged, 23, "the invoice's usage lines: 0.08 + 0.15");
    let theirs = f.w.get(&path, "acme", Auth::Bearer(&kim)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

async fn account_billing(f: &Fixture, boss: &str, body: Json) -> Reply {
    f.w.call(
        "PUT",
        &format!("/v1/console/accounts/{}/billing-settings", f.account),
        "acme",
        Auth::Bearer(boss),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_tax_exempt_account_is_billed_without_tax() {
    let (f, Cast { boss, .. }) = december().await;
    let no_reason = account_billing(&f, &boss, json!({"bill_day": null, "tax_exempt": true})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = account_billing(
        &f,
        &boss,
        json!({"bill_day": null, "tax_exempt": true, "tax_exempt_reason": "registered charity"}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let invoice = bill_now(&f, &boss, &f.account).await;
    assert_eq!(invoice.body["tax"], "0.00");
    assert_eq!(
        invoice.body["total"], "58.99",
        "prices as they are, no tax in them"
    );
}

#[tokio::test]
async fn an_account_with_its_own_bill_day_is_billed_on_it() {
    let (f, Cast { boss, .. }) = december().await;
    let wrong = account_billing(&f, &boss, json!({"bill_day": 31, "tax_exempt": false})).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = account_billing(&f, &boss, json!({"bill_day": 15, "tax_exempt": false})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    // Not due on the provider's 1st; due on its own 15th.
    let first =
        f.w.platform
            .billing()
            .run_day(&f.tenant.id, date!(2036 - 12 - 01))
            .await
            .unwrap();
    assert_eq!(first.issued, 0);
    let fifteenth =
        f.w.platform
            .billing()
            .run_day(&f.tenant.id, date!(2036 - 12 - 15))
            .await
            .unwrap();
    assert_eq!(fifteenth.issued, 1);
    let boss = later(&f, datetime!(2036-12-15 08:00 UTC)).await;
    let invoices =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoices", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(invoices.body["items"][0]["period_start"], "2036-12-15");
    assert_eq!(invoices.body["items"][0]["period_end"], "2037-01-14");
}

#[tokio::test]
async fn an_issued_invoice_is_mailed_to_the_account_unless_it_wants_the_portal_only() {
    let (
        f,
        Cast {
            boss, kim_account, ..
        },
    ) = december().await;
    bill_now(&f, &boss, &f.account).await;
    let mail = f.w.mail("sam@example.com", "invoice-issued").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Your invoice INV-000001 is ready")
            && mail[0].contains("AUD 58.99 to pay by 2036-12-15"),
        "{}",
        mail[0]
    );
    // Kim's account wants its invoices in the portal only.
    let set =
        f.w.call(
            "PUT",
            &format!("/v1/console/accounts/{kim_account}/billing-settings"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"bill_day": null, "tax_exempt": false, "portal_only": true})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    add_charge_to(&f, &boss, &kim_account).await;
    let kims = bill_now(&f, &boss, &kim_account).await;
    assert_eq!(kims.status, StatusCode::CREATED, "{}", kims.text);
    assert!(
        f.w.mail("kim@example.com", "invoice-issued")
            .await
            .is_empty()
    );
}

async fn add_charge_to(f: &Fixture, boss: &str, account: &AccountId) {
    let added =
        f.w.call(
            "POST",
            &format!("/v1/console/accounts/{account}/charges"),
            "acme",
            Auth::Bearer(boss),
            Some(
                json!({"description": "Installation", "amount_minor": 5000, "reason": "new site"}),
            ),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
}

/// The path a presigned link of the local buckets is served at (the test app serves it).
fn local_path(url: &str) -> &str {
    url.strip_prefix("http://127.0.0.1:3000")
        .expect("a local bucket link")
}

#[tokio::test]
async fn an_issued_invoice_and_its_credit_notes_are_stored_as_issued_and_reached_by_links() {
    let (f, Cast { boss, sam, kim, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let invoice = issued.body["id"].as_str().unwrap().to_owned();
    // The stream writes the files as the invoice is inserted.
    f.w.deliver_changes("invoice-files").await;
    let stored =
        f.w.platform
            .exports
            .list(&format!("{}/invoices/", f.tenant.id), None, 10)
            .await
            .unwrap();
    let names: Vec<&str> = stored
        .blobs
        .iter()
        .map(|b| b.key.as_str().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["invoice-INV-000001.pdf", "usage-INV-000001.csv"]);
    // A payment and a credit note later, the stored invoice is still the one issued.
    assert_eq!(
        pay(&f, &boss, 1000, "BT-1").await.status,
        StatusCode::CREATED
    );
    let note =
        f.w.call(
            "POST",
            &format!(
                "/v1/console/accounts/{}/invoices/{invoice}/credit-notes",
                f.account
            ),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"amount_minor": 899, "reason": "charged for days before activation"})),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text);
    f.w.deliver_changes("invoice-files").await;
    let path = format!("/v1/portal/invoices/{invoice}/files");
    let files = f.w.get(&path, "acme", Auth::Bearer(&sam)).await;
    assert_eq!(files.status, StatusCode::OK, "{}", files.text);
    assert_eq!(files.body["pdf"]["name"], "invoice-INV-000001.pdf");
    assert_eq!(files.body["usage_csv"]["name"], "usage-INV-000001.csv");
    assert_eq!(
        files.body["credit_notes"][0]["name"],
        "credit-note-CN-000001.pdf"
    );
    let fetch = |url: &Json| {
        let url = url.as_str().unwrap().to_owned();
        let f = &f;
        async move {
            f.w.call("GET", local_path(&url), "acme", Auth::None, None)
                .await
        }
    };
    let pdf = fetch(&files.body["pdf"]["url"]).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers["content-disposition"],
        "attachment; filename=\"invoice-INV-000001.pdf\""
    );
    assert!(
        files.body["pdf"]["url"]
            .as_str()
            .unwrap()
            .contains("/invoice-INV-000001.pdf?")
    );
    for shown in ["(Tax invoice INV-000001)", "(58.99)", "(To pay)"] {
        assert!(pdf.text.contains(shown), "{shown} is not in the stored PDF");
    }
    assert!(
        !pdf.text.contains("(Paid)") && !pdf.text.contains("(Credited)"),
        "the stored invoice is as issued"
    );
    let csv = fetch(&files.body["usage_csv"]["url"]).await;
    assert!(csv.text.starts_with("record_id,"), "{}", csv.text);
    assert!(csv.text.contains("+61255501234"));
    let credit = fetch(&files.body["credit_notes"][0]["url"]).await;
    for shown in [
        "(Credit note CN-000001)",
        "(Against invoice)",
        "(INV-000001)",
        "(charged for days before activation)",
        "(8.99)",
        "(0.82)",
    ] {
        assert!(
            credit.text.contains(shown),
            "{shown} is not in the credit note"
        );
    }
    // Staff reach the same files; nobody reaches another account's.
    let staff =
        f.w.get(
            &format!(
                "/v1/console/accounts/{}/invoices/{invoice}/files",
                f.account
            ),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.text);
    let theirs = f.w.get(&path, "acme", Auth::Bearer(&kim)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn files_the_stream_has_not_written_yet_are_written_when_asked_for() {
    let (f, Cast { boss, sam, .. }) = december().await;
    let issued = bill_now(&f, &boss, &f.account).await;
    let invoice = issued.body["id"].as_str().unwrap().to_owned();
    // No stream delivered: the first request writes them.
    let path = format!("/v1/portal/invoices/{invoice}/files");
    let files = f.w.get(&path, "acme", Auth::Bearer(&sam)).await;
    assert_eq!(files.status, StatusCode::OK, "{}", files.text);
    let pdf =
        f.w.call(
            "GET",
            local_path(files.body["pdf"]["url"].as_str().unwrap()),
            "acme",
            Auth::None,
            None,
        )
        .await;
    assert!(pdf.text.contains("(Tax invoice INV-000001)"));
    // The stream's late delivery writes the same file again, and nothing else.
    f.w.deliver_changes("invoice-files").await;
    let stored =
        f.w.platform
            .exports
            .list(&format!("{}/invoices/", f.tenant.id), None, 10)
            .await
            .unwrap();
    assert_eq!(stored.blobs.len(), 2);
    // A link stops working after its quarter of an hour.
    f.w.clock.advance(time::Duration::minutes(16));
    let late =
        f.w.call(
            "GET",
            local_path(files.body["pdf"]["url"].as_str().unwrap()),
            "acme",
            Auth::None,
            None,
        )
        .await;
    assert!(late.status.is_client_error(), "{}", late.status);
}

/// The batches the planner wrote for the workers.
async fn planned_batches(f: &Fixture) -> Vec<selfcare::domain::billing::run::RunBatch> {
    let planned = selfcare::events::plan_bill_runs(&f.w.platform)
        .await
        .unwrap();
    let Some(file) = planned.file else {
        return Vec::new();
    };
    let key = selfcare::ports::blobs::BlobKey::parse(&file).unwrap();
    let download = f.w.platform.exports.get(&key).await.unwrap().unwrap();
    let body = selfcare::ports::blobs::collect(download.body)
        .await
        .unwrap();
    let batches: Vec<selfcare::domain::billing::run::RunBatch> =
        serde_json::from_slice(&body).unwrap();
    assert_eq!(batches.len(), planned.batches);
    batches
}

#[tokio::test]
async fn the_planned_batches_bill_each_account_once_however_often_the_workers_run_them() {
    let (f, _) = december().await;
    let batches: Vec<_> = planned_batches(&f)
        .await
        .into_iter()
        .filter(|b| b.tenant == f.tenant.id)
        .collect();
    assert_eq!(batches.len(), 1, "acme's two accounts fit one batch");
    let billing = f.w.platform.billing();
    let on = date!(2036 - 12 - 01);
    let before = billing.run_of(&f.tenant.id, on).await.unwrap().unwrap();
    assert_eq!((before.batches, before.batches_done), (1, 0));
    assert!(!before.finished(), "planned, not billed yet");
    // Two workers handed the same batch (a retry after a timeout), one after the other
    // and at once.
    let (a, b) = tokio::join!(
        selfcare::events::bill_batch(&f.w.platform, &batches[0]),
        selfcare::events::bill_batch(&f.w.platform, &batches[0]),
    );
    a.unwrap();
    b.unwrap();
    selfcare::events::bill_batch(&f.w.platform, &batches[0])
        .await
        .unwrap();
    let report = billing.run_of(&f.tenant.id, on).await.unwrap().unwrap();
    assert!(report.complete(), "{report:?}");
    assert_eq!(
        (report.batches_done, report.due),
        (1, 2),
        "one outcome recorded"
    );
    assert_eq!(report.issued + report.already, 1, "Sam's account");
    let invoices =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoices", f.account),
            "acme",
            Auth::Bearer(&f.w.token("acme", "boss", STAFF_PASSWORD).await),
        )
        .await;
    assert_eq!(invoices.body["items"].as_array().unwrap().len(), 1);
    // The next hour, the day is done: nothing is planned for acme.
    f.w.clock.advance(time::Duration::hours(1));
    assert!(
        planned_batches(&f)
            .await
            .iter()
            .all(|b| b.tenant != f.tenant.id)
    );
}

#[tokio::test]
async fn a_run_whose_batch_never_reported_is_planned_again_once_it_has_stalled() {
    let (f, _) = december().await;
    let on = date!(2036 - 12 - 01);
    let first = planned_batches(&f).await;
    assert!(first.iter().any(|b| b.tenant == f.tenant.id));
    // Its worker died: nothing reported. For a while the attempt is left to run.
    f.w.clock.advance(time::Duration::minutes(15));
    assert!(
        planned_batches(&f)
            .await
            .iter()
            .all(|b| b.tenant != f.tenant.id)
    );
    // Twenty minutes without a batch reporting, it is planned again, as attempt 2, and
    // finishes.
    f.w.clock.advance(time::Duration::minutes(6));
    let again: Vec<_> = planned_batches(&f)
        .await
        .into_iter()
        .filter(|b| b.tenant == f.tenant.id)
        .collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    selfcare::events::bill_batch(&f.w.platform, &again[0])
        .await
        .unwrap();
    let report =
        f.w.platform
            .billing()
            .run_of(&f.tenant.id, on)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((report.attempt, report.issued), (2, 1));
    assert!(report.complete());
    // Staff see it with its batches.
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    let runs =
        f.w.get("/v1/console/billing/runs", "acme", Auth::Bearer(&boss))
            .await;
    assert_eq!(runs.body[0]["attempt"], 2);
    assert_eq!(runs.body[0]["batches_done"], 1);
}

#[tokio::test]
async fn a_customer_reads_only_the_reports_granted_to_it_and_they_add_up_to_the_invoice() {
    let (
        f,
        Cast {
            boss,
            sam,
            kim,
            kim_account,
            ..
        },
    ) = december().await;
    // The landline under Sales before the invoice is issued.
    let sales =
        f.w.call(
            "POST",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"name": "Sales"})),
        )
        .await;
    assert_eq!(sales.status, StatusCode::CREATED, "{}", sales.text);
    let under =
        f.w.call(
            "PUT",
            &format!("/v1/portal/services/{}/cost-centre", f.landline),
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"cost_centre": sales.body["id"]})),
        )
        .await;
    assert_eq!(under.status, StatusCode::OK, "{}", under.text);
    let invoice = bill_now(&f, &boss, &f.account).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = |name: &str, token: &str, format: &str| {
        let path = format!("/v1/portal/reports/{name}/invoices/{invoice}{format}");
        let (f, token) = (&f, token.to_owned());
        async move { f.w.get(&path, "acme", Auth::Bearer(&token)).await }
    };
    // The Reports module is off: nothing to read.
    let off = report("spend-by-service", &sam, "").await;
    assert_eq!(
        off.body["type"], "/problems/module-disabled",
        "{}",
        off.text
    );
    let on =
        f.w.call(
            "PUT",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"modules": ["services", "usage", "invoices", "reports"]})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    // On, but granted none.
    let granted =
        f.w.get("/v1/portal/reports", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(granted.body["reports"], json!([]));
    let refused = report("spend-by-service", &sam, "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "/problems/report-not-granted");
    let set = account_billing(
        &f,
        &boss,
        json!({"bill_day": null, "tax_exempt": false,
               "granted_reports": ["spend-by-cost-centre", "calls-by-invoice"]}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let granted =
        f.w.get("/v1/portal/reports", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(
        granted.body["reports"],
        json!(["spend-by-cost-centre", "calls-by-invoice"])
    );
    // By cost centre: the landline's 31.51 under Sales, the spare line's 27.48 under none.
    let by_centre = report("spend-by-cost-centre", &sam, "").await;
    assert_eq!(by_centre.status, StatusCode::OK, "{}", by_centre.text);
    let rows: Vec<(&str, &str, &str)> = by_centre.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap(),
                r["gross"].as_str().unwrap(),
                r["tax"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("", "27.48", "2.50"), ("Sales", "31.51", "2.87")]);
    assert_eq!(by_centre.body["total"], "58.99", "the invoice's total");
    // Calls by invoice: each service's usage line, with its records and days.
    let calls = report("calls-by-invoice", &sam, "?format=csv").await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.text);
    assert_eq!(
        calls.headers["content-disposition"],
        "attachment; filename=\"calls-by-invoice-INV-000001.csv\""
    );
    let lines: Vec<&str> = calls.text.lines().collect();
    assert_eq!(
        lines[0],
        "label,quantity,period_start,period_end,currency,net,tax,gross"
    );
    assert_eq!(
        &lines[1..],
        [
            "+61255501234,5,2036-11-01,2036-11-30,AUD,0.07,0.01,0.08",
            "+61255501235,2,2036-11-01,2036-11-30,AUD,0.14,0.01,0.15",
        ]
    );
    // Not granted; not another account's invoice; not a report that does not exist.
    assert_eq!(
        report("spend-by-service", &sam, "").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        report("everything", &sam, "").await.status,
        StatusCode::NOT_FOUND
    );
    // Kim's account granted the same report still reaches only its own invoices.
    let kims =
        f.w.call(
            "PUT",
            &format!("/v1/console/accounts/{kim_account}/billing-settings"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"bill_day": null, "tax_exempt": false,
                        "granted_reports": ["spend-by-cost-centre"]})),
        )
        .await;
    assert_eq!(kims.status, StatusCode::OK, "{}", kims.text);
    let theirs = report("spend-by-cost-centre", &kim, "").await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.text);
}

#[tokio::test]
async fn staff_move_a_payment_between_invoices_and_write_one_off_each_once_and_audited() {
    let (
        f,
        Cast {
            boss, kim_account, ..
        },
    ) = december().await;
    let first = bill_now(&f, &boss, &f.account).await;
    assert_eq!(first.body["total"], "58.99");
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    let second = bill_now(&f, &boss, &f.account).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    let (inv1, inv2) = (
        first.body["id"].as_str().unwrap().to_owned(),
        second.body["id"].as_str().unwrap().to_owned(),
    );
    let paid = pay(&f, &boss, 5899, "BT-77").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    assert_eq!(paid.body["allocations"][0]["number"], "INV-000001");
    let payment = paid.body["id"].as_str().unwrap().to_owned();
    let path = format!(
        "/v1/console/accounts/{}/payments/{payment}/allocations",
        f.account
    );
    // Sam's session ended with the month: staff read the ledger.
    let ledger_path = format!("/v1/console/accounts/{}/ledger", f.account);
    let ledger_before = f.w.get(&ledger_path, "acme", Auth::Bearer(&boss)).await;
    let move_to = |parts: Json| {
        let (f, boss, path) = (&f, boss.clone(), path.clone());
        async move {
            f.w.call(
                "PUT",
                &path,
                "acme",
                Auth::Bearer(&boss),
                Some(json!({"allocations": parts})),
            )
            .await
        }
    };
    // The customer meant 30.00 for December's and the rest for January's.
    let parts = json!([{"invoice": inv1, "amount_minor": 3000},
                       {"invoice": inv2, "amount_minor": 2899}]);
    let moved = move_to(parts.clone()).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    let outstanding = |view: &Reply, number: &str| {
        view.body["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["number"] == number)
            .unwrap()["outstanding"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(outstanding(&moved, "INV-000001"), "28.99");
    assert_eq!(
        moved.body["payments"][0]["allocations"][1]["number"],
        "INV-000002"
    );
    assert_eq!(moved.body["unallocated"], "0.00");
    // No money moved: the balance and the ledger are as they were.
    let ledger_after = f.w.get(&ledger_path, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(ledger_after.status, StatusCode::OK, "{}", ledger_after.text);
    assert_eq!(ledger_after.body["balance"], ledger_before.body["balance"]);
    assert_eq!(ledger_after.body["items"], ledger_before.body["items"]);
    // Sent again, nothing more changes, and the trail says it once.
    let again = move_to(parts).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, moved.body);
    let trail =
        f.w.get(
            &format!("/v1/console/audit?account={}", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    let reallocations = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "billing.payment_reallocated")
        .count();
    assert_eq!(reallocations, 1, "{}", trail.text);
    // More than the payment, more than an invoice owes, another account's invoice: refused,
    // nothing changed.
    for (parts, says) in [
        (
            json!([{"invoice": inv1, "amount_minor": 6000}]),
            "more than the 58.99 of the payment",
        ),
        (
            json!([{"invoice": inv2, "amount_minor": 4400}]),
            "INV-000002 owes at most 43.00",
        ),
        (
            json!([{"invoice": "01JAAAAAAAAAAAAAAAAAAAAAAA", "amount_minor": 100}]),
            "not an invoice of this account",
        ),
    ] {
        let refused = move_to(parts).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert!(refused.text.contains(says), "{says}: {}", refused.text);
    }
    let unchanged =
        f.w.get(
            &format!("/v1/console/accounts/{}/reconciliation", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(unchanged.body, moved.body);
    // Writing off what January's invoice owes: once, with a reason, in the ledger.
    let write_off = format!(
        "/v1/console/accounts/{}/invoices/{inv2}/write-off",
        f.account
    );
    let no_reason =
        f.w.call(
            "POST",
            &write_off,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let owed_before = outstanding(&moved, "INV-000002");
    let written =
        f.w.call(
            "POST",
            &write_off,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"reason": "customer gone away"})),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text);
    assert_eq!(outstanding(&written, "INV-000002"), "0.00");
    let inv2_row = written.body["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == "INV-000002")
        .unwrap()
        .clone();
    assert_eq!(inv2_row["status"], "written_off");
    assert_eq!(inv2_row["written_off"], owed_before.as_str());
    let twice =
        f.w.call(
            "POST",
            &write_off,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"reason": "customer gone away"})),
        )
        .await;
    assert_eq!(twice.body["balance"], written.body["balance"]);
    let ledger = f.w.get(&ledger_path, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(ledger.body["items"][0]["kind"], "write_off");
    assert_eq!(ledger.body["balance"], written.body["balance"]);
    // A clerk reads it but changes nothing; another account's payment is not found.
    f.w.staff(
        &f.tenant,
        "clerk",
        &[selfcare::domain::identity::Permission::AccountsRead],
    )
    .await;
    let clerk = f.w.token("acme", "clerk", STAFF_PASSWORD).await;
    let read =
        f.w.get(
            &format!("/v1/console/accounts/{}/reconciliation", f.account),
            "acme",
            Auth::Bearer(&clerk),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let denied =
        f.w.call(
            "PUT",
            &path,
            "acme",
            Auth::Bearer(&clerk),
            Some(json!({"allocations": []})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let elsewhere =
        f.w.call(
            "PUT",
            &format!("/v1/console/accounts/{kim_account}/payments/{payment}/allocations"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"allocations": []})),
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.text
    );
}

#[tokio::test]
async fn billing_mail_goes_to_the_chosen_contacts_each_in_its_own_language() {
    let (f, Cast { boss, sam, kim, .. }) = december().await;
    // Sam's account gets a bookkeeper, who reads French.
    let invited =
        f.w.call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&sam),
            Some(
                json!({"email": "books@acme-customer.example", "name": "Bea Books",
                        "role": "billing", "language": "fr"}),
            ),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let link =
        f.w.link_token("books@acme-customer.example", "credential-create")
            .await;
    let made =
        f.w.call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "bea", "password": "bea keeps the books"})),
        )
        .await;
    assert!(made.status.is_success(), "{}", made.text);
    let id_of = |logins: &Reply, username: &str| {
        logins
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["username"] == username)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ours =
        f.w.get("/v1/portal/logins", "acme", Auth::Bearer(&sam))
            .await;
    let bea = id_of(&ours, "bea");
    let theirs =
        f.w.get("/v1/portal/logins", "acme", Auth::Bearer(&kim))
            .await;
    let kims_login = id_of(&theirs, "kim");
    // Another account's login, or no login at all, cannot be a contact.
    for (contacts, field) in [
        (json!([kims_login]), "/contacts/0"),
        (json!([bea, "not-an-id"]), "/contacts/1"),
    ] {
        let refused = account_billing(
            &f,
            &boss,
            json!({"bill_day": null, "tax_exempt": false, "contacts": contacts}),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert_eq!(
            refused.body["errors"][0]["field"], field,
            "{}",
            refused.text
        );
    }
    let set = account_billing(
        &f,
        &boss,
        json!({"bill_day": null, "tax_exempt": false, "contacts": [bea]}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["contacts"], json!([bea]));
    bill_now(&f, &boss, &f.account).await;
    let mail =
        f.w.mail("books@acme-customer.example", "invoice-issued")
            .await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("INV-000001") && mail[0].contains("Bea Books"),
        "{}",
        mail[0]
    );
    assert!(
        mail[0].contains("Subject: Votre facture INV-000001 est disponible"),
        "in French: {}",
        mail[0]
    );
    assert!(
        f.w.mail("sam@example.com", "invoice-issued")
            .await
            .is_empty(),
        "the account's own address gets none once contacts are chosen"
    );
    // A technical login does not read bills: it cannot be chosen.
    let invited =
        f.w.call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&sam),
            Some(
                json!({"email": "noc@acme-customer.example", "name": "Nick Ops",
                        "role": "technical", "language": "en"}),
            ),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let link =
        f.w.link_token("noc@acme-customer.example", "credential-create")
            .await;
    f.w.call(
        "POST",
        "/v1/auth/credentials",
        "acme",
        Auth::None,
        Some(json!({"token": link, "username": "nick", "password": "nick runs the network"})),
    )
    .await;
    let ours =
        f.w.get("/v1/portal/logins", "acme", Auth::Bearer(&sam))
            .await;
    let nick = id_of(&ours, "nick");
    let refused = account_billing(
        &f,
        &boss,
        json!({"bill_day": null, "tax_exempt": false, "contacts": [bea, nick]}),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["errors"][0]["field"], "/contacts/1");
    // Bea leaves: the next invoice's mail goes to the account's address, not nowhere.
    let removed =
        f.w.call(
            "DELETE",
            &format!("/v1/portal/logins/{bea}"),
            "acme",
            Auth::Bearer(&sam),
            None,
        )
        .await;
    assert!(removed.status.is_success(), "{}", removed.text);
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    assert_eq!(
        bill_now(&f, &boss, &f.account).await.status,
        StatusCode::CREATED
    );
    let mail = f.w.mail("sam@example.com", "invoice-issued").await;
    assert_eq!(mail.len(), 1, "INV-000002 to the account's address");
}

#[tokio::test]
async fn the_payments_report_lists_each_part_of_each_payment_against_its_invoice() {
    let (f, Cast { boss, rival, .. }) = december().await;
    bill_now(&f, &boss, &f.account).await;
    assert_eq!(
        pay(&f, &boss, 7000, "BT-REPORT").await.status,
        StatusCode::CREATED
    );
    let path = "/v1/console/reports/payments?from=2036-12-01&to=2036-12-31";
    let report = f.w.get(path, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let lines: Vec<(&str, &str, &str)> = report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["reference"].as_str().unwrap(),
                l["invoice_number"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("BT-REPORT", "INV-000001", "58.99"),
            ("BT-REPORT", "", "11.01")
        ]
    );
    assert_eq!(report.body["total"], "70.00");
    let csv =
        f.w.get(&format!("{path}&format=csv"), "acme", Auth::Bearer(&boss))
            .await;
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        rows,
        [
            "received_on,account_number,account_name,method,reference,invoice,currency,amount",
            "2036-12-01,100001,Sam Lee,bank_transfer,BT-REPORT,INV-000001,AUD,58.99",
            "2036-12-01,100001,Sam Lee,bank_transfer,BT-REPORT,,AUD,11.01",
        ]
    );
    // Outside the period, nothing; another provider's staff see their own, none.
    let before =
        f.w.get(
            "/v1/console/reports/payments?from=2036-11-01&to=2036-11-30",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(before.body["items"], json!([]));
    let theirs = f.w.get(path, "bluewave", Auth::Bearer(&rival)).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
    assert_eq!(theirs.body["items"], json!([]));
}

#[tokio::test]
async fn credit_from_a_payment_is_used_once_and_a_written_off_invoice_takes_no_credit_note() {
    let (f, Cast { boss, .. }) = december().await;
    // Paid ahead: nothing to settle yet, all of it credit.
    let ahead = pay(&f, &boss, 10000, "AHEAD").await;
    assert_eq!(ahead.body["unallocated"], "100.00");
    let payment = ahead.body["id"].as_str().unwrap().to_owned();
    let invoice = bill_now(&f, &boss, &f.account).await;
    assert_eq!(invoice.body["credit_applied"], "58.99");
    assert_eq!(invoice.body["amount_due"], "0.00");
    let inv1 = invoice.body["id"].as_str().unwrap().to_owned();
    let picture =
        f.w.get(
            &format!("/v1/console/accounts/{}/reconciliation", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    let p = &picture.body["payments"][0];
    assert_eq!(p["unallocated"], "41.01", "{}", picture.text);
    assert_eq!(p["credit_used"][0]["number"], "INV-000001");
    assert_eq!(p["credit_used"][0]["amount"], "58.99");
    assert_eq!(picture.body["unallocated"], "41.01");
    assert_eq!(picture.body["balance"], "-41.01");
    // The money the invoice used as credit cannot settle it a second time, nor anything.
    let again =
        f.w.call(
            "PUT",
            &format!(
                "/v1/console/accounts/{}/payments/{payment}/allocations",
                f.account
            ),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"allocations": [{"invoice": inv1, "amount_minor": 1000}]})),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text
    );
    // A second invoice, its rest written off: a credit note may give back what the customer
    // paid of it (the credit it used), never the part written off.
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    let second = bill_now(&f, &boss, &f.account).await;
    let inv2 = second.body["id"].as_str().unwrap().to_owned();
    assert_eq!(second.body["credit_applied"], "41.01");
    let written =
        f.w.call(
            "POST",
            &format!(
                "/v1/console/accounts/{}/invoices/{inv2}/write-off",
                f.account
            ),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"reason": "moved away"})),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text);
    let note =
        f.w.call(
            "POST",
            &format!(
                "/v1/console/accounts/{}/invoices/{inv2}/credit-notes",
                f.account
            ),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"amount_minor": 4102, "reason": "goodwill"})),
        )
        .await;
    assert_eq!(
        note.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        note.text
    );
    assert!(note.text.contains("at most 41.01"), "{}", note.text);
}

#[tokio::test]
async fn run_now_waits_for_a_running_attempt_and_a_day_that_failed_is_tried_again_the_next() {
    let (
        f,
        Cast {
            boss, kim_account, ..
        },
    ) = december().await;
    // Planned, its batch not billed yet: "run now" says so rather than racing it.
    let planned = planned_batches(&f).await;
    let running =
        f.w.call(
            "POST",
            "/v1/console/billing/runs",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(running.status, StatusCode::CONFLICT, "{}", running.text);
    assert_eq!(running.body["type"], "/problems/bill-run-running");
    for batch in planned.iter().filter(|b| b.tenant == f.tenant.id) {
        selfcare::events::bill_batch(&f.w.platform, batch)
            .await
            .unwrap();
    }
    let ran =
        f.w.call(
            "POST",
            "/v1/console/billing/runs",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.text);
    assert_eq!(
        (ran.body["attempt"].as_u64(), ran.body["already"].as_u64()),
        (Some(2), Some(1))
    );
    // Kim's service is priced in US dollars: Kim's account fails on the 1st.
    let plan =
        f.w.platform
            .catalogue()
            .create_plan(
                &f.tenant.id,
                selfcare::domain::catalogue::NewPlan {
                    name: "US Voice".into(),
                    service_type: selfcare::domain::catalogue::ServiceType::Voice,
                    currency: "USD".into(),
                    recurring_minor: 1_000,
                    rates: vec![],
                },
                &Stamp::none(),
            )
            .await
            .unwrap();
    f.w.platform
        .services()
        .create(
            &f.tenant.id,
            &kim_account,
            selfcare::domain::services::NewService {
                plan: plan.id,
                identifier: "+61255509100".into(),
                status: selfcare::domain::services::ServiceStatus::Active,
                started_at: None,
                attributes: Default::default(),
            },
            &Stamp::none(),
        )
        .await
        .unwrap();
    let failed =
        f.w.call(
            "POST",
            "/v1/console/billing/runs",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(failed.body["failures"].as_array().unwrap().len(), 1);
    // The next day, the schedule plans the 1st again beside the 2nd.
    f.w.clock.advance(time::Duration::days(1));
    let mut days: Vec<(String, u32)> = planned_batches(&f)
        .await
        .into_iter()
        .filter(|b| b.tenant == f.tenant.id)
        .map(|b| (b.date.to_string(), b.attempt))
        .collect();
    days.sort();
    assert_eq!(
        days,
        [("2036-12-01".to_owned(), 4), ("2036-12-02".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_charge_or_credit_note_sent_again_under_its_idempotency_key_is_made_once() {
    let (f, Cast { boss, .. }) = december().await;
    let invoice = bill_now(&f, &boss, &f.account).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let charges = format!("/v1/console/accounts/{}/charges", f.account);
    let notes = format!(
        "/v1/console/accounts/{}/invoices/{invoice}/credit-notes",
        f.account
    );
    let send = |path: &str, key: &str, body: Json| {
        let (f, boss, path, key) = (&f, boss.clone(), path.to_owned(), key.to_owned());
        async move {
            f.w.call_with(
                "POST",
                &path,
                "acme",
                Auth::Bearer(&boss),
                Some(body),
                &[("idempotency-key", &key)],
            )
            .await
        }
    };
    let charge = json!({"description": "Installation", "amount_minor": 2500, "reason": "on site"});
    let first = send(&charges, "charge-key-0001", charge.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = send(&charges, "charge-key-0001", charge).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"]);
    let other = send(
        &charges,
        "charge-key-0001",
        json!({"description": "Installation", "amount_minor": 9900, "reason": "on site"}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["type"], "/problems/idempotency-key-reused");
    let listed = f.w.get(&charges, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.text);
    // A credit note: twice at once under one key, one note and one ledger entry.
    let note = json!({"amount_minor": 500, "reason": "late activation"});
    let (a, b) = tokio::join!(
        send(&notes, "note-key-0001", note.clone()),
        send(&notes, "note-key-0001", note.clone()),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CREATED],
        "{} {}",
        a.text,
        b.text
    );
    assert_eq!(a.body["number"], b.body["number"]);
    let seen =
        f.w.get(
            &format!("/v1/console/accounts/{}/invoices/{invoice}", f.account),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(seen.body["credited"], "5.00");
    assert_eq!(seen.body["credit_notes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn credit_that_settles_no_invoice_still_counts_against_aged_balances_and_reminders() {
    let (f, Cast { boss, .. }) = december().await;
    let first = bill_now(&f, &boss, &f.account).await;
    let inv1 = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        pay(&f, &boss, 5899, "BT-DEC").await.status,
        StatusCode::CREATED
    );
    let boss = later(&f, datetime!(2037-01-01 00:30 UTC)).await;
    assert_eq!(bill_now(&f, &boss, &f.account).await.body["total"], "43.00");
    // December's paid invoice is corrected by 20.00: credit, on no open invoice.
    let note = |boss: &str, amount: i64, key: &'static str| {
        let (f, boss, inv1) = (&f, boss.to_owned(), inv1.clone());
        async move {
            f.w.call_with(
                "POST",
                &format!(
                    "/v1/console/accounts/{}/invoices/{inv1}/credit-notes",
                    f.account
                ),
                "acme",
                Auth::Bearer(&boss),
                Some(json!({"amount_minor": amount, "reason": "overcharged"})),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    assert_eq!(
        note(&boss, 2000, "note-20-00-key").await.status,
        StatusCode::CREATED
    );
    let boss = later(&f, datetime!(2037-02-20 00:30 UTC)).await;
    let aged =
        f.w.get(
            "/v1/console/reports/aged-balances",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    let sams: Vec<&Json> = aged
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["account_number"] == "100001")
        .collect();
    assert_eq!(sams.len(), 1, "{}", aged.text);
    // January's 43.00, 36 days late, less the 20.00 of credit.
    assert_eq!(sams[0]["days_31_60"], "23.00");
    assert_eq!(sams[0]["total"], "23.00");
    // Credit that covers the rest: the account owes nothing, is not listed, not reminded.
    assert_eq!(
        note(&boss, 3000, "note-30-00-key").await.status,
        StatusCode::CREATED
    );
    let aged =
        f.w.get(
            "/v1/console/reports/aged-balances",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert!(
        aged.body
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["account_number"] != "100001"),
        "{}",
        aged.text
    );
    let today = f.w.platform.billing().today(&f.tenant.id).await.unwrap();
    f.w.platform
        .billing()
        .send_reminders(&f.tenant.id, today, &f.w.platform.sender)
        .await
        .unwrap();
    assert!(
        f.w.mail("sam@example.com", "invoice-overdue")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn staff_limited_to_other_groups_reach_none_of_an_accounts_files_reconciliation_or_reports() {
    let (f, Cast { boss, .. }) = december().await;
    let invoice = bill_now(&f, &boss, &f.account).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let payment = pay(&f, &boss, 1000, "BT-GROUPS").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Gail sees the accounts of group north only; Sam's is in none.
    let gail = invite_limited_staff(
        &f.w,
        &boss,
        "gail",
        &["accounts_read", "billing_manage", "reports_view"],
    )
    .await;
    let account = f.account;
    for (method, path, body) in [
        (
            "GET",
            format!("/v1/console/accounts/{account}/invoices/{invoice}/files"),
            None,
        ),
        (
            "GET",
            format!("/v1/console/accounts/{account}/reconciliation"),
            None,
        ),
        (
            "PUT",
            format!("/v1/console/accounts/{account}/payments/{payment}/allocations"),
            Some(json!({"allocations": []})),
        ),
        (
            "POST",
            format!("/v1/console/accounts/{account}/invoices/{invoice}/write-off"),
            Some(json!({"reason": "not mine to write off"})),
        ),
    ] {
        let reply =
            f.w.call(method, &path, "acme", Auth::Bearer(&gail), body)
                .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.text
        );
    }
    // Provider-wide reports are for staff who see every account.
    let report =
        f.w.get(
            "/v1/console/reports/payments?from=2036-12-01&to=2036-12-31",
            "acme",
            Auth::Bearer(&gail),
        )
        .await;
    assert_eq!(report.status, StatusCode::FORBIDDEN, "{}", report.text);
    // And nothing changed.
    let picture =
        f.w.get(
            &format!("/v1/console/accounts/{account}/reconciliation"),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(
        picture.body["payments"][0]["allocations"][0]["amount"],
        "10.00"
    );
}
