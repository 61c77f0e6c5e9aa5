//! What only the Stripe adapter does, against localstripe (started by infra/test.sh; its
//! URL in SELFCARE_LOCALSTRIPE_URL): a card that asks for 3-D Secure, and a webhook
//! localstripe signs and delivers. What both gateways do is in `gateway_contract.rs`. The tests
//! play the customer's browser where Stripe.js would (entering a card through a SetupIntent
//! with card data, which only Stripe.js may do against the real API).

mod support;

use selfcare::domain::payments::webhook;
use selfcare::ports::payments::{IntentStatus, NewIntent, PaymentGateway, SetupStatus};
use selfcare_stripe::StripeGateway;
use support::{keys, meta};

fn api() -> String {
    support::localstripe()
}

/// Saves `number` for `customer` as the browser would, answering the card's token.
async fn save_card(
    gateway: &StripeGateway,
    customer: &str,
    number: &str,
) -> Result<String, String> {
    let setup = gateway
        .create_setup(
            &keys(),
            customer,
            &meta("setup"),
            &format!("setup-{number}-{customer}"),
        )
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(setup.status, SetupStatus::Waiting);
    let reply = support::browser_confirms_setup(&setup, number).await;
    if !reply.0 {
        return Err(reply.1);
    }
    let done = gateway
        .setup(&keys(), &setup.id)
        .await
        .map_err(|e| e.to_string())?;
    done.payment_method.ok_or_else(|| "no card".to_owned())
}

async fn reqwest_post(url: &str, form: &[(&str, &str)]) -> (bool, String) {
    let reply = reqwest::Client::new()
        .post(url)
        .bearer_auth("sk_test_selfcare_conformance")
        .form(form)
        .send()
        .await
        .unwrap();
    (reply.status().is_success(), reply.text().await.unwrap())
}

#[tokio::test]
async fn a_3d_secure_card_waits_for_the_customer_off_session() {
    let gateway = StripeGateway::new(&api());
    let customer = gateway
        .create_customer(&keys(), "Lee (100003)", &meta("c"), "customer-lee")
        .await
        .unwrap();
    // Saving asks the customer to authenticate first.
    let saved = save_card(&gateway, &customer, "4000002500003155").await;
    let card = match saved {
        Ok(card) => card,
        Err(e) => panic!("saving the card: {e}"),
    };
    let intent = gateway
        .create_intent(
            &keys(),
            &NewIntent {
                amount: 1000,
                currency: "aud".into(),
                customer,
                saved_card: Some(card),
                metadata: meta("03PAYMENT"),
            },
            "pay-03PAYMENT-1",
        )
        .await
        .unwrap();
    assert_eq!(intent.status, IntentStatus::RequiresAction);
}

#[tokio::test]
async fn a_webhook_localstripe_delivers_carries_a_signature_selfcare_accepts() {
    // localstripe signs as Stripe does; a small server here receives the delivery.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<u8>)>();
    let app = axum_router(tx);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (ok, text) = reqwest_post(
        &format!("{}/_config/webhooks/conformance-{}", api(), address.port()),
        &[
            ("url", &format!("http://{address}/hook")),
            ("secret", "whsec_selfcare_conformance"),
            ("events[]", "payment_intent.succeeded"),
        ],
    )
    .await;
    assert!(ok, "{text}");
    let gateway = StripeGateway::new(&api());
    let customer = gateway
        .create_customer(&keys(), "Hook (100004)", &meta("c"), "customer-hook")
        .await
        .unwrap();
    let intent = gateway
        .create_intent(
            &keys(),
            &NewIntent {
                amount: 1234,
                currency: "aud".into(),
                customer,
                saved_card: Some("pm_card_visa".into()),
                metadata: meta("04PAYMENT"),
            },
            "pay-04PAYMENT-1",
        )
        .await
        .unwrap();
    let (signature, body) = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let (signature, body) = rx.recv().await.unwrap();
            if String::from_utf8_lossy(&body).contains(&intent.id) {
                return (signature, body);
            }
        }
    })
    .await
    .expect("localstripe delivered the event");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    webhook::verify("whsec_selfcare_conformance", &signature, &body, now).unwrap();
    let event = webhook::parse(&body).unwrap();
    assert_eq!(event.kind, "payment_intent.succeeded");
    assert_eq!(event.intent.as_deref(), Some(intent.id.as_str()));
    assert!(webhook::verify("whsec_someone_else", &signature, &body, now).is_err());
}

fn axum_router(tx: tokio::sync::mpsc::UnboundedSender<(String, Vec<u8>)>) -> axum::Router {
    use axum::routing::post;
    axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let signature = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send((signature, body.to_vec()));
                    "ok"
                }
            },
        ),
    )
}
