//! Card payments on the local runtime's test gateway, through the API as the portal,
//! the console and the gateway's webhooks use it: paying an invoice, a decline in plain
//! words, twenty clicks charging once, webhooks duplicated, forged or stale, a crash
//! between the charge and the ledger finished by the webhook, refunds, autopay, and nobody
//! reaching another account's payments.

use axum::http::StatusCode;
use selfcare::domain::payments::webhook;
use selfcare::ports::Clock;
use serde_json::{Value as Json, json};
use time::macros::datetime;

use crate::common::usage_fixture::*;
use crate::common::*;

/// The usage fixture billed on 1 December 2036 with GST, card payments on (the Payments
/// module, Acme connected to the test gateway); answers Sam's invoice.
async fn billed() -> (Fixture, Cast, Json) {
    let (f, cast) = card_payments_on().await;
    let issued =
        f.w.call(
            "POST",
            &format!("/v1/console/accounts/{}/invoices", f.account),
            "acme",
            Auth::Bearer(&cast.boss),
            None,
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    (f, cast, issued.body)
}

/// The usage fixture with GST and card payments on, the clock at 1 December 2036 before
/// anything is billed.
async fn card_payments_on() -> (Fixture, Cast) {
    let (f, cast) = loaded().await;
    let boss = &cast.boss;
    gst(&f, boss).await;
    let on =
        f.w.call(
            "PUT",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(boss),
            Some(json!({"modules": ["services", "usage", "invoices", "payments"]})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    let connected = connect(&f, boss, "whsec_acme_signing_secret").await;
    assert_eq!(connected.status, StatusCode::OK, "{}", connected.text);
    assert_eq!(connected.body["key_last4"], "cret");
    assert!(
        !connected.text.contains("sk_test"),
        "the secret key is never shown again"
    );
    f.w.clock
        .advance(datetime!(2036-12-01 00:30 UTC) - f.w.clock.now());
    let cast = signed_in_again(&f, cast).await;
    (f, cast)
}

async fn connect(f: &Fixture, boss: &str, webhook_secret: &str) -> Reply {
    f.w.call(
        "PUT",
        "/v1/console/payments/gateway",
        "acme",
        Auth::Bearer(boss),
        Some(json!({
            "publishable_key": "pk_test_acme_publishable",
            "secret_key": "sk_test_acme_secret",
            "webhook_secret": webhook_secret,
        })),
    )
    .await
}

async fn pay(f: &Fixture, token: &str, body: Json) -> Reply {
    f.w.call(
        "POST",
        "/v1/portal/payments",
        "acme",
        Auth::Bearer(token),
        Some(body),
    )
    .await
}

/// The customer types `card` into the gateway's page the checkout leads to (and completes
/// or fails a 3-D Secure step when one is asked); answers the gateway's last answer.
async fn enter_card(f: &Fixture, checkout: &Json, card: &str) -> Reply {
    let url = checkout["url"]
        .as_str()
        .expect("the test gateway has a page");
    let query = url.split_once('?').unwrap().1;
    let field = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let form = format!(
        "client_secret={}&return_url={}&number={}&expiry=12%2F34&cvc=123",
        field("client_secret"),
        field("return_url"),
        card
    );
    f.w.raw(
        "POST",
        "/_local/gateway/checkout",
        "application/x-www-form-urlencoded",
        form.into_bytes(),
        &[],
    )
    .await
}

/// The customer saves `card` from the portal (the gateway's set-up, then back to the
/// portal); answers the wallet.
async fn save_card(f: &Fixture, token: &str, card: &str) -> Json {
    let setup =
        f.w.call(
            "POST",
            "/v1/portal/wallet/cards",
            "acme",
            Auth::Bearer(token),
            None,
        )
        .await;
    assert_eq!(setup.status, StatusCode::CREATED, "{}", setup.text);
    let entered = enter_card(f, &setup.body, card).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.text);
    let back = entered.headers["location"].to_str().unwrap().to_owned();
    let setup_id = back
        .split("setup=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let saved =
        f.w.call(
            "POST",
            &format!("/v1/portal/wallet/setups/{setup_id}"),
            "acme",
            Auth::Bearer(token),
            None,
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    saved.body
}

async fn autopay_on(f: &Fixture, token: &str) {
    let on =
        f.w.call(
            "PUT",
            "/v1/portal/wallet/autopay",
            "acme",
            Auth::Bearer(token),
            Some(json!({"autopay": true})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert_eq!(on.body["autopay"], true);
}

/// The portal's page of a payment, as the customer's browser reads it on its way back
/// from the gateway (reading it is what finishes the payment when the webhook is late).
async fn payment_page(f: &Fixture, token: &str, payment: &str) -> Reply {
    f.w.get(
        &format!("/v1/portal/payments/{payment}"),
        "acme",
        Auth::Bearer(token),
    )
    .await
}

/// The customer follows a "fix your card" link on `provider`'s portal (the page's button).
async fn follow_card_link(f: &Fixture, provider: &str, token: &str) -> Reply {
    f.w.call(
        "POST",
        "/v1/auth/card-link",
        provider,
        Auth::None,
        Some(json!({"token": token, "session": "bearer"})),
    )
    .await
}

async fn ledger(f: &Fixture, token: &str) -> Json {
    let reply =
        f.w.get("/v1/portal/ledger", "acme", Auth::Bearer(token))
            .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

async fn invoice(f: &Fixture, token: &str, id: &str) -> Json {
    let reply =
        f.w.get(
            &format!("/v1/portal/invoices/{id}"),
            "acme",
            Auth::Bearer(token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

fn payments_in(ledger: &Json) -> Vec<String> {
    ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "payment")
        .map(|e| e["amount"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_invoice_paid_with_the_test_card_is_settled_once_in_the_ledger() {
    let (f, cast, issued) = billed().await;
    let id = issued["id"].as_str().unwrap();
    let owed = issued["outstanding"].as_str().unwrap().to_owned();
    let started = pay(&f, &cast.sam, json!({"invoice": id})).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text);
    assert_eq!(started.body["payment"]["status"], "pending");
    assert_eq!(started.body["payment"]["amount"], owed);
    assert_eq!(started.body["checkout"]["gateway"], "embedded");
    let payment = started.body["payment"]["id"].as_str().unwrap().to_owned();
    let paid = enter_card(&f, &started.body["checkout"], "4242424242424242").await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text);
    let back = paid.headers["location"].to_str().unwrap();
    assert!(back.contains(&format!("/payments/{payment}")), "{back}");

    let result = payment_page(&f, &cast.sam, &payment).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.text);
    assert_eq!(result.body["status"], "succeeded");
    assert_eq!(result.body["card"]["last4"], "4242");
    assert_eq!(result.body["invoice_number"], issued["number"]);
    // Read again (the page reloaded): still one payment in the ledger.
    payment_page(&f, &cast.sam, &payment).await;
    let l = ledger(&f, &cast.sam).await;
    assert_eq!(payments_in(&l), vec![format!("-{owed}")]);
    assert_eq!(l["balance"], "0.00");
    let inv = invoice(&f, &cast.sam, id).await;
    assert_eq!(inv["outstanding"], "0.00");
    assert_eq!(inv["status"], "paid");
    // Nothing is left to pay on it.
    let again = pay(&f, &cast.sam, json!({"invoice": id})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.body["type"], "/problems/nothing-owed");
}

#[tokio::test]
async fn a_declined_card_shows_the_banks_reason_and_the_invoice_can_be_paid_with_another() {
    let (f, cast, issued) = billed().await;
    let id = issued["id"].as_str().unwrap();
    let started = pay(&f, &cast.sam, json!({"invoice": id})).await;
    let payment = started.body["payment"]["id"].as_str().unwrap().to_owned();
    enter_card(&f, &started.body["checkout"], "4000000000009995").await;
    let result = payment_page(&f, &cast.sam, &payment).await;
    assert_eq!(result.body["status"], "failed");
    assert_eq!(result.body["failure"], "The card has insufficient funds.");
    assert!(payments_in(&ledger(&f, &cast.sam).await).is_empty());
    // Trying again starts a new payment that goes through.
    let retried = pay(&f, &cast.sam, json!({"invoice": id})).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.text);
    assert_ne!(retried.body["payment"]["id"], started.body["payment"]["id"]);
    enter_card(&f, &retried.body["checkout"], "4242424242424242").await;
    let second = retried.body["payment"]["id"].as_str().unwrap();
    let result = payment_page(&f, &cast.sam, second).await;
    assert_eq!(result.body["status"], "succeeded");
    assert_eq!(payments_in(&ledger(&f, &cast.sam).await).len(), 1);
}

#[tokio::test]
async fn twenty_concurrent_clicks_on_pay_start_one_payment_and_charge_once() {
    let (f, cast, issued) = billed().await;
    let id = issued["id"].as_str().unwrap().to_owned();
    let f = std::sync::Arc::new(f);
    let mut clicks = Vec::new();
    for _ in 0..20 {
        let (f, token, id) = (f.clone(), cast.sam.clone(), id.clone());
        clicks.push(tokio::spawn(async move {
            pay(&f, &token, json!({"invoice": id})).await
        }));
    }
    let mut started = std::collections::BTreeSet::new();
    let mut secrets = std::collections::BTreeSet::new();
    let mut last = None;
    for click in clicks {
        let reply = click.await.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        started.insert(reply.body["payment"]["id"].as_str().unwrap().to_owned());
        secrets.insert(
            reply.body["checkout"]["client_secret"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        last = Some(reply.body);
    }
    assert_eq!(started.len(), 1, "one payment: {started:?}");
    assert_eq!(secrets.len(), 1, "one gateway payment");
    enter_card(&f, &last.unwrap()["checkout"], "4242424242424242").await;
    let payment = started.into_iter().next().unwrap();
    payment_page(&f, &cast.sam, &payment).await;
    assert_eq!(payments_in(&ledger(&f, &cast.sam).await).len(), 1);
}

/// Collects the test gateway's webhooks instead of delivering them.
fn webhooks(
    f: &Fixture,
) -> tokio::sync::mpsc::UnboundedReceiver<selfcare_embedded::gateway::Delivery> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    f.w.gateway.deliver_to(tx);
    rx
}

async fn deliver(f: &Fixture, provider: &str, body: &[u8], signature: &str) -> Reply {
    f.w.raw(
        "POST",
        &format!("/v1/webhooks/stripe/{provider}"),
        "application/json",
        body.to_vec(),
        &[("stripe-signature", signature)],
    )
    .await
}

#[tokio::test]
async fn a_charge_whose_page_never_came_back_is_recorded_by_the_webhook_once_however_often_delivered()
 {
    let (f, cast, issued) = billed().await;
    let mut events = webhooks(&f);
    let id = issued["id"].as_str().unwrap();
    let started = pay(&f, &cast.sam, json!({"invoice": id})).await;
    // The card is charged, and the customer's browser (or our process) dies before the
    // page that reads the result back.
    enter_card(&f, &started.body["checkout"], "4242424242424242").await;
    assert!(payments_in(&ledger(&f, &cast.sam).await).is_empty());
    let mut delivered = Vec::new();
    while let Ok(event) = events.try_recv() {
        delivered.push(event);
    }
    let succeeded = delivered
        .iter()
        .find(|d| String::from_utf8_lossy(&d.body).contains("payment_intent.succeeded"))
        .expect("a succeeded event");
    // Delivered out of order (succeeded before created) and twice.
    let first = deliver(&f, "acme", &succeeded.body, &succeeded.signature).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["duplicate"], false);
    for d in &delivered {
        let again = deliver(&f, "acme", &d.body, &d.signature).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    }
    let twice = deliver(&f, "acme", &succeeded.body, &succeeded.signature).await;
    assert_eq!(twice.body["duplicate"], true);
    let l = ledger(&f, &cast.sam).await;
    assert_eq!(payments_in(&l).len(), 1);
    assert_eq!(l["balance"], "0.00");
    let payment = started.body["payment"]["id"].as_str().unwrap();
    let result = payment_page(&f, &cast.sam, payment).await;
    assert_eq!(result.body["status"], "succeeded");
    assert_eq!(payments_in(&ledger(&f, &cast.sam).await).len(), 1);
}

#[tokio::test]
async fn forged_changed_stale_or_misdirected_webhooks_are_refused_and_change_nothing() {
    let (f, cast, issued) = billed().await;
    let mut events = webhooks(&f);
    let started = pay(&f, &cast.sam, json!({"invoice": issued["id"]})).await;
    enter_card(&f, &started.body["checkout"], "4242424242424242").await;
    let mut succeeded = None;
    while let Ok(d) = events.try_recv() {
        if String::from_utf8_lossy(&d.body).contains("payment_intent.succeeded") {
            succeeded = Some(d);
        }
    }
    let event = succeeded.unwrap();
    let now = f.w.clock.now().unix_timestamp();
    // Signed with another secret.
    let forged = webhook::sign("whsec_not_acmes", now, &event.body);
    let reply = deliver(&f, "acme", &event.body, &forged).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["type"], "/problems/webhook-signature-invalid");
    // Signed right, then changed.
    let changed = String::from_utf8_lossy(&event.body).replace("pi_", "pj_");
    let reply = deliver(&f, "acme", changed.as_bytes(), &event.signature).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    // Signed right six minutes ago (a replay).
    let old = webhook::sign("whsec_acme_signing_secret", now - 301, &event.body);
    let reply = deliver(&f, "acme", &event.body, &old).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    // No signature at all.
    let reply = deliver(&f, "acme", &event.body, "").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    // Sent to another provider's endpoint: its secret does not match (and that provider
    // has none of this payment).
    let reply = deliver(&f, "bluewave", &event.body, &event.signature).await;
    assert!(
        reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::BAD_REQUEST,
        "{}",
        reply.text
    );
    assert!(payments_in(&ledger(&f, &cast.sam).await).is_empty());
    // The genuine one goes through.
    let reply = deliver(&f, "acme", &event.body, &event.signature).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(payments_in(&ledger(&f, &cast.sam).await).len(), 1);
}

#[tokio::test]
async fn a_partial_refund_reopens_the_invoice_by_its_amount_and_one_key_refunds_once() {
    let (f, cast, issued) = billed().await;
    let id = issued["id"].as_str().unwrap();
    let started = pay(&f, &cast.sam, json!({"invoice": id})).await;
    enter_card(&f, &started.body["checkout"], "4242424242424242").await;
    let payment = started.body["payment"]["id"].as_str().unwrap();
    payment_page(&f, &cast.sam, payment).await;
    let path = format!(
        "/v1/console/accounts/{}/card-payments/{payment}/refunds",
        f.account
    );
    // Without a key: refused (a retried click must not refund twice).
    let keyless =
        f.w.call(
            "POST",
            &path,
            "acme",
            Auth::Bearer(&cast.boss),
            Some(json!({"amount_minor": 500})),
        )
        .await;
    assert_eq!(
        keyless.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        keyless.text
    );
    for _ in 0..2 {
        let refunded =
            f.w.call_with(
                "POST",
                &path,
                "acme",
                Auth::Bearer(&cast.boss),
                Some(json!({"amount_minor": 500})),
                &[("idempotency-key", "refund-one-five-dollars")],
            )
            .await;
        assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.text);
        assert_eq!(refunded.body["refunded"], "5.00");
    }
    let l = ledger(&f, &cast.sam).await;
    let refunds: Vec<&Json> = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refund")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["amount"], "5.00");
    assert_eq!(l["balance"], "5.00");
    assert_eq!(invoice(&f, &cast.sam, id).await["outstanding"], "5.00");
    // More than is left: refused, nothing changes.
    let too_much =
        f.w.call_with(
            "POST",
            &path,
            "acme",
            Auth::Bearer(&cast.boss),
            Some(json!({"amount_minor": 99_999_999})),
            &[("idempotency-key", "refund-too-much")],
        )
        .await;
    assert_eq!(
        too_much.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_much.text
    );
    assert_eq!(ledger(&f, &cast.sam).await["balance"], "5.00");
}

#[tokio::test]
async fn staff_without_billing_rights_and_other_customers_reach_no_payment() {
    let (f, cast, issued) = billed().await;
    let started = pay(&f, &cast.sam, json!({"invoice": issued["id"]})).await;
    let payment = started.body["payment"]["id"].as_str().unwrap();
    // Kim, another account of the same provider: neither the payment nor the invoice.
    let kim = payment_page(&f, &cast.kim, payment).await;
    assert_eq!(kim.status, StatusCode::NOT_FOUND, "{}", kim.text);
    let kim_pays = pay(&f, &cast.kim, json!({"invoice": issued["id"]})).await;
    assert_eq!(kim_pays.status, StatusCode::NOT_FOUND, "{}", kim_pays.text);
    // Another provider's staff: not this account.
    let rival =
        f.w.get(
            &format!("/v1/console/accounts/{}/card-payments", f.account),
            "bluewave",
            Auth::Bearer(&cast.rival),
        )
        .await;
    assert!(
        rival.status == StatusCode::NOT_FOUND || rival.status == StatusCode::FORBIDDEN,
        "{}",
        rival.text
    );
    // Staff who may not manage billing (Nora reads and edits accounts) cannot refund or
    // connect the gateway.
    let lee =
        f.w.call_with(
            "POST",
            &format!(
                "/v1/console/accounts/{}/card-payments/{payment}/refunds",
                f.account
            ),
            "acme",
            Auth::Bearer(&cast.nora),
            Some(json!({})),
            &[("idempotency-key", "nora-tries")],
        )
        .await;
    assert_eq!(lee.status, StatusCode::FORBIDDEN, "{}", lee.text);
    let lee_connects = connect(&f, &cast.nora, "whsec_nora_owns_this_now").await;
    assert_eq!(
        lee_connects.status,
        StatusCode::FORBIDDEN,
        "{}",
        lee_connects.text
    );
}

#[tokio::test]
async fn autopay_charges_the_saved_card_for_an_issued_invoice_once() {
    let (f, cast, issued) = billed().await;
    // Sam saves a card and turns autopay on.
    let saved = save_card(&f, &cast.sam, "4242424242424242").await;
    assert_eq!(saved["cards"][0]["last4"], "4242");
    assert!(
        !saved.to_string().contains("4242424242424242"),
        "the card number is never kept"
    );
    autopay_on(&f, &cast.sam).await;
    // The invoice's issue, delivered twice (the stream handler's call).
    let invoice_id = issued["id"].as_str().unwrap();
    let payments = f.w.platform.payments();
    let first = payments.autopay(&f.tenant.id, &f.account, invoice_id).await;
    let first = first.unwrap().expect("autopay tried");
    let second = payments
        .autopay(&f.tenant.id, &f.account, invoice_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(
        first.status,
        selfcare::domain::payments::model::CardPaymentStatus::Succeeded
    );
    assert_eq!(payments_in(&ledger(&f, &cast.sam).await).len(), 1);
    assert_eq!(
        invoice(&f, &cast.sam, invoice_id).await["outstanding"],
        "0.00"
    );
    // Removing the only card turns autopay off with it.
    let card = saved["cards"][0]["id"].as_str().unwrap();
    let removed =
        f.w.call(
            "DELETE",
            &format!("/v1/portal/wallet/cards/{card}"),
            "acme",
            Auth::Bearer(&cast.sam),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(removed.body["autopay"], false);
}

#[tokio::test]
async fn a_failed_autopay_is_retried_on_the_providers_days_with_a_mail_each_time() {
    let (f, cast, issued) = billed().await;
    // Saves fine, declines when charged.
    save_card(&f, &cast.sam, "4000000000000341").await;
    autopay_on(&f, &cast.sam).await;
    let invoice_id = issued["id"].as_str().unwrap();
    let payments = f.w.platform.payments();
    let failed = payments
        .autopay(&f.tenant.id, &f.account, invoice_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        failed.status,
        selfcare::domain::payments::model::CardPaymentStatus::Failed
    );
    assert!(
        failed
            .failure
            .as_deref()
            .unwrap()
            .starts_with("Your bank declined the card")
    );
    assert_eq!(
        failed.next_retry_on,
        Some(time::macros::date!(2036 - 12 - 02))
    );
    // Not before its day.
    assert_eq!(payments.retry_due(&f.tenant.id).await.unwrap(), 0);
    f.w.clock.advance(time::Duration::days(1));
    assert_eq!(payments.retry_due(&f.tenant.id).await.unwrap(), 1);
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let list =
        f.w.get("/v1/portal/payments", "acme", Auth::Bearer(&sam))
            .await;
    assert_eq!(list.body[0]["attempts"], 2);
    assert_eq!(list.body[0]["status"], "failed");
    // Day 3 counts from the first failure: two days after the first retry.
    assert_eq!(list.body[0]["next_retry_on"], "2036-12-04");
    assert_eq!(
        payments.retry_due(&f.tenant.id).await.unwrap(),
        0,
        "each retry once"
    );
    assert!(payments_in(&ledger(&f, &sam).await).is_empty());
}

#[tokio::test]
async fn card_reports_show_each_payment_against_its_invoice_with_its_card_fee_and_state() {
    let (f, cast, issued) = billed().await;
    let id = issued["id"].as_str().unwrap();
    let owed = issued["outstanding"].as_str().unwrap().to_owned();
    let declined = pay(&f, &cast.sam, json!({"invoice": id})).await;
    enter_card(&f, &declined.body["checkout"], "4000000000009995").await;
    payment_page(
        &f,
        &cast.sam,
        declined.body["payment"]["id"].as_str().unwrap(),
    )
    .await;
    f.w.clock.advance(time::Duration::minutes(5));
    let paid = pay(&f, &cast.sam, json!({"invoice": id})).await;
    enter_card(&f, &paid.body["checkout"], "4242424242424242").await;
    let payment = paid.body["payment"]["id"].as_str().unwrap();
    payment_page(&f, &cast.sam, payment).await;
    let report = |path: &'static str| {
        let f = &f;
        let boss = cast.boss.clone();
        async move {
            let reply =
                f.w.get(
                    &format!("/v1/console/reports/{path}?from=2036-12-01&to=2036-12-31"),
                    "acme",
                    Auth::Bearer(&boss),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            reply.body
        }
    };
    // Before the gateway's balance is read the fee is not known.
    let lines = report("card-lines").await;
    assert_eq!(lines["items"].as_array().unwrap().len(), 2, "{lines}");
    assert_eq!(lines["items"][1]["fee"], Json::Null);

    let none_yet =
        f.w.get(
            "/v1/console/payments/reconciliation",
            "acme",
            Auth::Bearer(&cast.boss),
        )
        .await;
    assert_eq!(none_yet.status, StatusCode::OK, "{}", none_yet.text);
    assert_eq!(none_yet.body, Json::Null, "no check has run");
    let checked =
        f.w.call(
            "POST",
            "/v1/console/payments/reconciliation",
            "acme",
            Auth::Bearer(&cast.boss),
            None,
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(
        checked.body["differences"],
        json!([]),
        "the ledger and the gateway agree"
    );
    assert_eq!(checked.body["day"], "2036-12-01");
    let last =
        f.w.get(
            "/v1/console/payments/reconciliation",
            "acme",
            Auth::Bearer(&cast.boss),
        )
        .await;
    assert_eq!(last.body, checked.body, "staff read the last check");

    let lines = report("card-lines").await;
    let failed = &lines["items"][0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure"], "The card has insufficient funds.");
    assert_eq!(failed["invoice_number"], issued["number"]);
    let line = &lines["items"][1];
    assert_eq!(line["payment"], payment);
    assert_eq!(line["day"], "2036-12-01");
    assert_eq!(line["account_name"], "Sam Lee");
    assert_eq!(line["invoice_number"], issued["number"]);
    assert_eq!(line["brand"], "visa");
    assert_eq!(line["last4"], "4242");
    assert_eq!(line["amount"], owed);
    assert_eq!(line["status"], "succeeded");
    // The test gateway's price: 1.75% and 0.30.
    let owed_minor = owed.replace('.', "").parse::<i64>().unwrap();
    let fee_minor = (owed_minor * 175 + 5_000) / 10_000 + 30;
    let fee = format!("{}.{:02}", fee_minor / 100, fee_minor % 100);
    assert_eq!(line["fee"], fee);

    let days = report("card-payments-by-day").await;
    let net_minor = owed_minor - fee_minor;
    assert_eq!(
        days["items"],
        json!([{
            "day": "2036-12-01", "currency": "AUD", "succeeded": 1, "failed": 1,
            "taken": owed, "refunded": "0.00", "fees": fee, "fees_unknown": 0,
            "net": format!("{}.{:02}", net_minor / 100, net_minor % 100),
        }])
    );
    let failures = report("failed-card-payments").await;
    assert_eq!(failures["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        failures["items"][0]["payment"],
        declined.body["payment"]["id"]
    );

    let csv =
        f.w.get(
            "/v1/console/reports/card-lines?from=2036-12-01&to=2036-12-31&format=csv",
            "acme",
            Auth::Bearer(&cast.boss),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        rows[0],
        "day,payment,account_number,account_name,invoice,brand,last4,currency,amount,refunded,fee,status,origin,failure,attempts,reference"
    );
    assert!(
        rows[2].contains(&format!(
            ",visa,4242,AUD,{owed},0.00,{fee},succeeded,portal,,1,"
        )),
        "{}",
        rows[2]
    );

    // Reports cover every account: staff who may not view reports, or who see only some
    // accounts' groups, get none of them.
    let gail = invite_limited_staff(
        &f.w,
        &cast.boss,
        "gail",
        &["accounts_read", "billing_manage", "reports_view"],
    )
    .await;
    for token in [&cast.nora, &gail] {
        for path in ["card-lines", "card-payments-by-day", "failed-card-payments"] {
            let reply =
                f.w.get(
                    &format!("/v1/console/reports/{path}?from=2036-12-01&to=2036-12-31"),
                    "acme",
                    Auth::Bearer(token),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path}: {}",
                reply.text
            );
        }
    }
    // The schedule's check: not again the same day, again the next.
    let payments = f.w.platform.payments();
    assert!(
        payments
            .check_gateway_daily(&f.tenant.id)
            .await
            .unwrap()
            .is_none()
    );
    f.w.clock.advance(time::Duration::days(1));
    let next = payments.check_gateway_daily(&f.tenant.id).await.unwrap();
    assert_eq!(
        next.map(|c| c.day),
        Some(time::macros::date!(2036 - 12 - 02))
    );
}

#[tokio::test]
async fn staff_who_see_other_groups_reach_none_of_an_accounts_card_payments() {
    let (f, cast, issued) = billed().await;
    let paid = pay(&f, &cast.sam, json!({"invoice": issued["id"]})).await;
    enter_card(&f, &paid.body["checkout"], "4242424242424242").await;
    let payment = paid.body["payment"]["id"].as_str().unwrap();
    payment_page(&f, &cast.sam, payment).await;
    // Gail manages billing, but only for the accounts of group north; Sam's is in none.
    let gail = invite_limited_staff(
        &f.w,
        &cast.boss,
        "gail",
        &["accounts_read", "billing_manage", "reports_view"],
    )
    .await;
    let account = f.account;
    for (method, path, body) in [
        (
            "GET",
            format!("/v1/console/accounts/{account}/card-payments"),
            None,
        ),
        (
            "POST",
            format!("/v1/console/accounts/{account}/card-payments/{payment}/refunds"),
            Some(json!({"amount_minor": 100})),
        ),
        (
            "POST",
            format!("/v1/console/accounts/{account}/card-payments/{payment}/retry"),
            None,
        ),
    ] {
        let reply =
            f.w.call_with(
                method,
                &path,
                "acme",
                Auth::Bearer(&gail),
                body,
                &[("idempotency-key", "gail-tries")],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.text
        );
    }
    // The gateway's connection and the provider-wide reconciliation are for staff who see
    // every account.
    for path in [
        "/v1/console/payments/gateway",
        "/v1/console/payments/reconciliation",
        "/v1/console/payments/settings",
    ] {
        let reply = f.w.get(path, "acme", Auth::Bearer(&gail)).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.text
        );
    }
    // Nothing was refunded.
    let list =
        f.w.get(
            &format!("/v1/console/accounts/{account}/card-payments"),
            "acme",
            Auth::Bearer(&cast.boss),
        )
        .await;
    assert_eq!(list.body[0]["refunded"], "0.00");
    assert_eq!(list.body[0]["status"], "succeeded");
}

#[tokio::test]
async fn a_failed_autopay_mail_signs_its_contact_in_once_to_the_card_page_and_never_past_two_factor()
 {
    let (f, cast, issued) = billed().await;
    save_card(&f, &cast.sam, "4000000000000341").await;
    autopay_on(&f, &cast.sam).await;
    // Sam's own login is the account's billing contact.
    let logins =
        f.w.get("/v1/portal/logins", "acme", Auth::Bearer(&cast.sam))
            .await;
    let sam_login = logins.body[0]["id"].as_str().unwrap().to_owned();
    let sam_email = logins.body[0]["email"].as_str().unwrap().to_owned();
    let contacts =
        f.w.call(
            "PUT",
            &format!("/v1/console/accounts/{}/billing-settings", f.account),
            "acme",
            Auth::Bearer(&cast.boss),
            Some(json!({"bill_day": null, "tax_exempt": false, "contacts": [sam_login]})),
        )
        .await;
    assert_eq!(contacts.status, StatusCode::OK, "{}", contacts.text);
    let payments = f.w.platform.payments();
    payments
        .autopay(&f.tenant.id, &f.account, issued["id"].as_str().unwrap())
        .await
        .unwrap();
    let mail = f.w.mail(&sam_email, "payment-failed").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("it signs you in once, within three days"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("/credentials/card"), "{}", mail[0]);
    let token = f.w.link_token(&sam_email, "payment-failed").await;

    let seen =
        f.w.call(
            "POST",
            "/v1/auth/links/inspect",
            "acme",
            Auth::None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(seen.body["next"], "card");
    assert_eq!(seen.body["username"], "sam");
    // Another provider's portal does not know the link.
    let elsewhere = follow_card_link(&f, "bluewave", &token).await;
    assert_eq!(elsewhere.status, StatusCode::GONE, "{}", elsewhere.text);
    let signed_in = follow_card_link(&f, "acme", &token).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let session = signed_in.body["token"].as_str().unwrap().to_owned();
    let wallet =
        f.w.get("/v1/portal/wallet", "acme", Auth::Bearer(&session))
            .await;
    assert_eq!(wallet.status, StatusCode::OK, "{}", wallet.text);
    assert_eq!(wallet.body["cards"][0]["last4"], "0341");
    // Once only.
    let again = follow_card_link(&f, "acme", &token).await;
    assert_eq!(again.status, StatusCode::GONE, "{}", again.text);
    assert_eq!(again.body["type"], "/problems/link-unusable");

    // The link's session is for the card pages only, for half an hour: no two-factor
    // set-up (a link holder cannot take the login over), no other page.
    for (method, path) in [
        ("POST", "/v1/auth/two-factor/setup"),
        ("GET", "/v1/portal/services"),
        ("POST", "/v1/portal/logins"),
        ("PATCH", "/v1/portal/account"),
    ] {
        let refused =
            f.w.call(
                method,
                path,
                "acme",
                Auth::Bearer(&session),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            refused.text
        );
        assert_eq!(refused.body["type"], "/problems/card-pages-only");
    }
    let me =
        f.w.get("/v1/portal/me", "acme", Auth::Bearer(&session))
            .await;
    assert_eq!(me.body["card_pages_only"], true);
    f.w.clock.advance(time::Duration::minutes(31));
    let ended =
        f.w.get("/v1/portal/wallet", "acme", Auth::Bearer(&session))
            .await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.text);

    // With two-factor sign-in on, the next mail's link stands in for the password only.
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let (secret, _) = crate::two_factor::turn_on(&f.w, "acme", &sam).await;
    f.w.clock.advance(time::Duration::days(1));
    assert_eq!(payments.retry_due(&f.tenant.id).await.unwrap(), 1);
    let token = f.w.link_token(&sam_email, "payment-failed").await;
    let step = follow_card_link(&f, "acme", &token).await;
    assert_eq!(step.status, StatusCode::ACCEPTED, "{}", step.text);
    assert!(
        step.body.get("token").is_none(),
        "no session before the code"
    );
    let done =
        f.w.call(
            "POST",
            "/v1/auth/sign-in/second-factor",
            "acme",
            Auth::None,
            Some(json!({"challenge": step.body["challenge"], "code": crate::two_factor::app_code(&f.w, &secret), "session": "bearer"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let after_code = done.body["token"].as_str().unwrap();
    let still_card_only =
        f.w.get("/v1/portal/services", "acme", Auth::Bearer(after_code))
            .await;
    assert_eq!(
        still_card_only.status,
        StatusCode::FORBIDDEN,
        "the code does not widen it"
    );
    // Three days on, an unused link is dead.
    f.w.clock.advance(time::Duration::days(2));
    assert_eq!(payments.retry_due(&f.tenant.id).await.unwrap(), 1);
    let late = f.w.link_token(&sam_email, "payment-failed").await;
    f.w.clock
        .advance(time::Duration::days(3) + time::Duration::minutes(1));
    let expired = follow_card_link(&f, "acme", &late).await;
    assert_eq!(expired.status, StatusCode::GONE, "{}", expired.text);
}

#[tokio::test]
async fn the_scheduled_bill_run_issues_the_invoice_and_autopay_settles_it_once() {
    let (f, cast) = card_payments_on().await;
    save_card(&f, &cast.sam, "4242424242424242").await;
    autopay_on(&f, &cast.sam).await;
    // The schedule's run of the day, then the table's stream (twice, as a redelivery).
    let runs = selfcare::events::bill_run(&f.w.platform).await.unwrap();
    assert!(runs.iter().any(|r| r.issued == 1), "Sam's invoice issued");
    f.w.deliver_changes("invoice-files").await;
    f.w.deliver_changes("invoice-files-again").await;
    let invoices =
        f.w.get("/v1/portal/invoices", "acme", Auth::Bearer(&cast.sam))
            .await;
    let first = &invoices.body["items"][0];
    assert_eq!(first["status"], "paid", "{}", invoices.text);
    assert_eq!(first["outstanding"], "0.00");
    let l = ledger(&f, &cast.sam).await;
    assert_eq!(
        payments_in(&l),
        vec![format!("-{}", first["total"].as_str().unwrap())]
    );
    let list =
        f.w.get("/v1/portal/payments", "acme", Auth::Bearer(&cast.sam))
            .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1, "charged once");
    assert_eq!(list.body[0]["origin"], "autopay");
    assert_eq!(list.body[0]["status"], "succeeded");
    assert_eq!(
        f.w.mail("sam@example.com", "payment-receipt").await.len(),
        1
    );
}

#[tokio::test]
async fn a_payment_read_and_refunded_on_a_later_day_stays_one_payment() {
    let (f, _, issued) = billed().await;
    // Paid in the first second of the provider's 2 December (its zone is UTC here).
    f.w.clock
        .advance(datetime!(2036-12-02 00:00:00.25 UTC) - f.w.clock.now());
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let paid = pay(&f, &sam, json!({"invoice": issued["id"]})).await;
    enter_card(&f, &paid.body["checkout"], "4242424242424242").await;
    let payment = paid.body["payment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        payment_page(&f, &sam, &payment).await.body["status"],
        "succeeded"
    );
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    let day =
        f.w.get(
            "/v1/console/reports/card-lines?from=2036-12-02&to=2036-12-02",
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    assert_eq!(day.body["items"][0]["payment"], payment, "{}", day.text);
    // Two days later: the page reads it again, staff refund part of it, the webhook of
    // the refund comes; one payment in the ledger throughout.
    f.w.clock.advance(time::Duration::days(2));
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    let page = payment_page(&f, &sam, &payment).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let refunded =
        f.w.call_with(
            "POST",
            &format!(
                "/v1/console/accounts/{}/card-payments/{payment}/refunds",
                f.account
            ),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"amount_minor": 500})),
            &[("idempotency-key", "later-refund-1")],
        )
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.text);
    assert_eq!(refunded.body["refunded"], "5.00");
    let l = ledger(&f, &sam).await;
    assert_eq!(payments_in(&l).len(), 1, "{l}");
}

#[tokio::test]
async fn an_impersonation_a_rival_provider_and_narrow_staff_neither_pay_nor_read_card_money() {
    let (f, cast, issued) = billed().await;
    let paid = pay(&f, &cast.sam, json!({"invoice": issued["id"]})).await;
    enter_card(&f, &paid.body["checkout"], "4242424242424242").await;
    let payment = paid.body["payment"]["id"].as_str().unwrap().to_owned();
    payment_page(&f, &cast.sam, &payment).await;
    // Staff acting as Sam may look, never pay or keep cards with Sam's money.
    let logins =
        f.w.get("/v1/portal/logins", "acme", Auth::Bearer(&cast.sam))
            .await;
    let sam_login = logins.body[0]["id"].as_str().unwrap().to_owned();
    let acting =
        f.w.call(
            "POST",
            &format!(
                "/v1/console/accounts/{}/logins/{sam_login}/impersonate",
                f.account
            ),
            "acme",
            Auth::Bearer(&cast.boss),
            Some(json!({})),
        )
        .await;
    assert_eq!(acting.status, StatusCode::CREATED, "{}", acting.text);
    let as_sam = acting.body["token"].as_str().unwrap().to_owned();
    for (method, path, body) in [
        ("POST", "/v1/portal/payments", json!({"amount_minor": 1000})),
        ("POST", "/v1/portal/wallet/cards", json!({})),
        ("PUT", "/v1/portal/wallet/autopay", json!({"autopay": true})),
    ] {
        let refused =
            f.w.call(method, path, "acme", Auth::Bearer(&as_sam), Some(body))
                .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            refused.text
        );
    }
    // Another provider's staff read their own provider's card reports: none of Acme's.
    let rival =
        f.w.get(
            "/v1/console/reports/card-lines?from=2036-12-01&to=2036-12-31",
            "bluewave",
            Auth::Bearer(&cast.rival),
        )
        .await;
    assert_eq!(rival.status, StatusCode::OK, "{}", rival.text);
    assert_eq!(rival.body["items"], json!([]));
    assert!(
        !rival.text.contains(&payment),
        "another provider's report shows none of Acme's payments: {}",
        rival.text
    );
    // Staff who see only some groups run no gateway check.
    let gail = invite_limited_staff(
        &f.w,
        &cast.boss,
        "gail",
        &[
            "accounts_read",
            "billing_manage",
            "reports_view",
            "settings_manage",
        ],
    )
    .await;
    let check =
        f.w.call(
            "POST",
            "/v1/console/payments/reconciliation",
            "acme",
            Auth::Bearer(&gail),
            None,
        )
        .await;
    assert_eq!(check.status, StatusCode::FORBIDDEN, "{}", check.text);
    let connect = connect(&f, &gail, "whsec_gail_takes_the_money").await;
    assert_eq!(connect.status, StatusCode::FORBIDDEN, "{}", connect.text);
}
