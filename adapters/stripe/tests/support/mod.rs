//! What the Stripe adapter's tests share: the test keys localstripe takes (the test
//! gateway takes any `sk_test_` key) and the metadata selfcare puts on what it makes.

use selfcare::ports::payments::{GatewayKeys, Setup};

pub fn keys() -> GatewayKeys {
    GatewayKeys {
        secret_key: "sk_test_selfcare_conformance".into(),
        webhook_secret: "whsec_selfcare_conformance".into(),
    }
}

pub fn meta(payment: &str) -> Vec<(String, String)> {
    vec![
        ("tenant".into(), "01TENANT".into()),
        ("payment".into(), payment.into()),
    ]
}

/// localstripe's address (started by infra/test.sh).
pub fn localstripe() -> String {
    std::env::var("SELFCARE_LOCALSTRIPE_URL")
        .expect("SELFCARE_LOCALSTRIPE_URL is not set: run the tests with infra/test.sh")
}

/// What Stripe.js does in the customer's browser when a card is typed in for a set-up:
/// confirms it with the card's data. Answers whether it was taken, and the answer's text.
pub async fn browser_confirms_setup(setup: &Setup, number: &str) -> (bool, String) {
    let reply = reqwest::Client::new()
        .post(format!(
            "{}/v1/setup_intents/{}/confirm",
            localstripe(),
            setup.id
        ))
        .bearer_auth(&keys().secret_key)
        .form(&[
            ("client_secret", setup.client_secret.as_str()),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
        ])
        .send()
        .await
        .unwrap();
    (reply.status().is_success(), reply.text().await.unwrap())
}
