//! What the Stripe adapter's tests share: the test keys localstripe takes (the test
//! gateway takes any `sk_test_` key) and the metadata selfcare puts on what it makes.

use selfcare::ports::payments::GatewayKeys;

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
