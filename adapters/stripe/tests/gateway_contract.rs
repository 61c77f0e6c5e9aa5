//! One contract for the payment gateway port, run against both adapters: the Stripe
//! adapter on localstripe (started by infra/test.sh; its URL in SELFCARE_LOCALSTRIPE_URL)
//! and the local runtime's test gateway. Each case plays the customer's browser where a
//! card is typed in (Stripe.js against localstripe; the test gateway's own card page),
//! then asks the port what selfcare asks: customers and payments made once per key, a
//! saved card charged off-session, refunded in part and shown in the balance, a card the
//! bank declines when charged.

mod support;

use std::sync::Arc;

use selfcare::ports::payments::{
    GatewayError, GatewayKeys, IntentStatus, NewIntent, PaymentGateway, SetupStatus,
};
use selfcare_embedded::EmbeddedGateway;
use selfcare_stripe::StripeGateway;
use support::{keys, meta};

/// A gateway and the browser that types cards into it.
struct Fixture {
    gateway: Arc<dyn PaymentGateway>,
    browser: Browser,
}

enum Browser {
    /// localstripe: the card goes to the set-up's confirm call, as Stripe.js sends it.
    Stripe,
    /// The test gateway: its card page, served here.
    Embedded {
        base: String,
        _dir: tempfile::TempDir,
    },
}

/// A key no earlier run used (localstripe keeps its state while it runs).
fn fresh(name: &str) -> String {
    format!("{name}-{}", ulid_like())
}

fn ulid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}")
}

impl Fixture {
    async fn stripe() -> Self {
        Fixture {
            gateway: Arc::new(StripeGateway::new(&support::localstripe())),
            browser: Browser::Stripe,
        }
    }

    async fn embedded() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let gateway = Arc::new(
            EmbeddedGateway::open(
                dir.path().join("gateway.json"),
                &base,
                Arc::new(selfcare::ports::SystemClock),
            )
            .unwrap(),
        );
        let pages = selfcare_embedded::gateway::routes(gateway.clone());
        tokio::spawn(async move { axum::serve(listener, pages).await.unwrap() });
        Fixture {
            gateway,
            browser: Browser::Embedded { base, _dir: dir },
        }
    }

    /// Saves `number` for `customer` as the customer's browser would; answers the card.
    async fn save_card(&self, customer: &str, number: &str) -> String {
        let setup = self
            .gateway
            .create_setup(&keys(), customer, &meta("setup"), &fresh("setup"))
            .await
            .unwrap();
        assert_eq!(setup.status, SetupStatus::Waiting);
        let (taken, answer) = match &self.browser {
            Browser::Stripe => support::browser_confirms_setup(&setup, number).await,
            Browser::Embedded { base, .. } => {
                // The test gateway's own card page, posted as the browser posts it.
                let reply = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap()
                    .post(format!("{base}/_local/gateway/checkout"))
                    .form(&[
                        ("client_secret", setup.client_secret.as_str()),
                        ("return_url", &format!("{base}/payments/cards")),
                        ("number", number),
                        ("expiry", "12/34"),
                        ("cvc", "123"),
                    ])
                    .send()
                    .await
                    .unwrap();
                let taken = reply.status().is_redirection();
                (taken, reply.text().await.unwrap())
            }
        };
        assert!(taken, "{answer}");
        let saved = self.gateway.setup(&keys(), &setup.id).await.unwrap();
        assert_eq!(saved.status, SetupStatus::Succeeded);
        saved.payment_method.expect("the saved card")
    }

    /// Does a decline name the failed payment it left? (localstripe's 402 does not.)
    fn names_the_failed_payment(&self) -> bool {
        matches!(self.browser, Browser::Embedded { .. })
    }

    async fn customer(&self, name: &str) -> String {
        self.gateway
            .create_customer(&keys(), name, &meta("c"), &fresh("customer"))
            .await
            .unwrap()
    }

    async fn charge(
        &self,
        customer: &str,
        card: &str,
        amount: i64,
        key: &str,
    ) -> Result<selfcare::ports::payments::Intent, GatewayError> {
        self.gateway
            .create_intent(
                &keys(),
                &NewIntent {
                    amount,
                    currency: "aud".into(),
                    customer: customer.to_owned(),
                    saved_card: Some(card.to_owned()),
                    metadata: meta(key),
                },
                key,
            )
            .await
    }
}

/// Runs each case against each gateway, each with a fixture of its own.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::Fixture::embedded().await).await;
                }
            )*
        }
        mod stripe {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::Fixture::stripe().await).await;
                }
            )*
        }
    };
}

contract!(
    test_keys_are_taken_and_others_refused,
    a_saved_card_is_charged_off_session_refunded_in_part_and_shown_in_the_balance,
    a_card_declined_when_charged_is_refused_with_the_banks_code,
    stripes_test_payment_methods_charge_and_decline_as_stripe_documents,
);

// localstripe ignores `Idempotency-Key` (Stripe keeps each key's answer for 24 hours), so
// this case runs on the test gateway only; selfcare's own records make the keys (a
// payment's id, a refund's key) and its tests hold that a retried request charges once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_one_key_makes_one_customer_one_charge_and_one_refund() {
    one_key_makes_one_customer_one_charge_and_one_refund(&Fixture::embedded().await).await;
}

async fn test_keys_are_taken_and_others_refused(f: &Fixture) {
    f.gateway.check(&keys()).await.unwrap();
    let wrong = GatewayKeys {
        secret_key: "not_a_key".into(),
        webhook_secret: "whsec_x".into(),
    };
    assert!(matches!(
        f.gateway.check(&wrong).await,
        Err(GatewayError::Unauthorized)
    ));
}

async fn one_key_makes_one_customer_one_charge_and_one_refund(f: &Fixture) {
    let key = fresh("customer-once");
    let first = f
        .gateway
        .create_customer(&keys(), "Sam (100001)", &meta("c"), &key)
        .await
        .unwrap();
    let again = f
        .gateway
        .create_customer(&keys(), "Sam (100001)", &meta("c"), &key)
        .await
        .unwrap();
    assert_eq!(first, again, "a retried request makes no second customer");
    let card = f.save_card(&first, "4242424242424242").await;
    let pay = fresh("pay-once");
    let charged = f.charge(&first, &card, 2500, &pay).await.unwrap();
    let retried = f.charge(&first, &card, 2500, &pay).await.unwrap();
    assert_eq!(charged.id, retried.id, "a retried charge charges once");
    let movements = f.gateway.balance_movements(&keys(), 100).await.unwrap();
    let charge = charged.charge.expect("the charge");
    assert_eq!(movements.iter().filter(|m| m.source == charge).count(), 1);
    let refund_key = fresh("refund-once");
    let refund = f
        .gateway
        .refund(&keys(), &charged.id, 500, &refund_key)
        .await
        .unwrap();
    let again = f
        .gateway
        .refund(&keys(), &charged.id, 500, &refund_key)
        .await
        .unwrap();
    assert_eq!(refund.id, again.id, "one refund per key");
    let refunds = f.gateway.refunds(&keys(), &charged.id).await.unwrap();
    assert_eq!(refunds.iter().map(|r| r.amount).sum::<i64>(), 500);
}

async fn a_saved_card_is_charged_off_session_refunded_in_part_and_shown_in_the_balance(
    f: &Fixture,
) {
    let customer = f.customer("Kim (100002)").await;
    let card = f.save_card(&customer, "4242424242424242").await;
    let summary = f.gateway.card(&keys(), &card).await.unwrap();
    assert_eq!(summary.brand, "visa");
    assert_eq!(summary.last4, "4242");
    assert_eq!((summary.exp_month, summary.exp_year), (12, 2034));
    let key = fresh("pay");
    let intent = f.charge(&customer, &card, 5899, &key).await.unwrap();
    assert_eq!(intent.status, IntentStatus::Succeeded);
    assert_eq!(intent.amount, 5899);
    assert_eq!(intent.metadata("payment"), Some(key.as_str()));
    let read = f.gateway.intent(&keys(), &intent.id).await.unwrap();
    assert_eq!(read.status, IntentStatus::Succeeded);
    let charge = read
        .charge
        .clone()
        .expect("the charge that moved the money");
    let refund_key = fresh("refund");
    let refund = f
        .gateway
        .refund(&keys(), &intent.id, 1000, &refund_key)
        .await
        .unwrap();
    assert!(refund.succeeded);
    assert_eq!(refund.amount, 1000);
    let refunds = f.gateway.refunds(&keys(), &intent.id).await.unwrap();
    assert_eq!(refunds.iter().map(|r| r.amount).sum::<i64>(), 1000);
    let movements = f.gateway.balance_movements(&keys(), 100).await.unwrap();
    assert!(
        movements
            .iter()
            .any(|m| m.source == charge && m.amount == 5899)
    );
    assert!(
        movements
            .iter()
            .any(|m| m.source == refund.id && m.amount == -1000)
    );
    f.gateway.detach(&keys(), &card).await.unwrap();
}

async fn a_card_declined_when_charged_is_refused_with_the_banks_code(f: &Fixture) {
    let customer = f.customer("Lee (100003)").await;
    // Saved fine; the bank refuses it when charged.
    let card = f.save_card(&customer, "4000000000000341").await;
    let key = fresh("pay-declined");
    match f.charge(&customer, &card, 1000, &key).await {
        Err(GatewayError::Declined(d)) => {
            assert_eq!(d.code, "card_declined");
            // Stripe's answer names the failed payment it left (the test gateway's too);
            // localstripe's does not, and selfcare then records the failure from the words.
            assert_eq!(d.intent.is_some(), f.names_the_failed_payment());
            if let Some(id) = d.intent {
                let failed = f.gateway.intent(&keys(), &id).await.unwrap();
                assert_eq!(failed.status, IntentStatus::RequiresPaymentMethod);
                assert_eq!(
                    failed.last_error.map(|e| e.code).as_deref(),
                    Some("card_declined")
                );
                assert!(failed.charge.is_none());
            }
        }
        other => panic!("expected a decline, got {other:?}"),
    }
}

async fn stripes_test_payment_methods_charge_and_decline_as_stripe_documents(f: &Fixture) {
    let customer = f.customer("Ray (100004)").await;
    let paid = f
        .charge(&customer, "pm_card_visa", 1500, &fresh("pay-visa"))
        .await
        .unwrap();
    assert_eq!(paid.status, IntentStatus::Succeeded);
    assert!(paid.charge.is_some());
    match f
        .charge(
            &customer,
            "pm_card_chargeCustomerFail",
            1500,
            &fresh("pay-fail"),
        )
        .await
    {
        Err(GatewayError::Declined(d)) => assert_eq!(d.code, "card_declined"),
        other => panic!("expected a decline, got {other:?}"),
    }
}
