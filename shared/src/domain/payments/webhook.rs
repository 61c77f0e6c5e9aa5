//! The gateway's webhooks: Stripe's signature scheme (HMAC-SHA256 of `{t}.{body}` under the
//! endpoint's signing secret, `Stripe-Signature: t=…,v1=…`), checked on the raw body before
//! anything is parsed, and the little of an event selfcare reads. The embedded gateway signs
//! its events the same way, so one endpoint serves both.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How old a signed event may be: Stripe's own libraries' default.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no usable Stripe-Signature header")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the signature is too old or from the future")]
    Stale,
}

/// The header value for `body` signed at `timestamp` (the embedded gateway, tests).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body))
    )
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks `header` against `body` and the endpoint's `secret` at `now` (Unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => {
                if let Ok(bytes) = hex::decode(s) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(SignatureError::Malformed);
    };
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret, timestamp, body);
    if !signatures
        .iter()
        .any(|s| bool::from(s.as_slice().ct_eq(expected.as_slice())))
    {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// What selfcare reads of an event: its id, its type, and the payment or card set-up it
/// is about. The event's object is never trusted for state: the handler reads the payment
/// back from the gateway, so events in any order end in the gateway's present state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayEvent {
    pub id: String,
    pub kind: String,
    pub intent: Option<String>,
    pub setup: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an event: {0}")]
pub struct NotAnEvent(String);

pub fn parse(body: &[u8]) -> Result<GatewayEvent, NotAnEvent> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| NotAnEvent(e.to_string()))?;
    let text =
        |v: &serde_json::Value, name: &str| v.get(name).and_then(|x| x.as_str()).map(str::to_owned);
    let id = text(&value, "id").ok_or_else(|| NotAnEvent("no id".into()))?;
    let kind = text(&value, "type").ok_or_else(|| NotAnEvent("no type".into()))?;
    let object = value
        .get("data")
        .and_then(|d| d.get("object"))
        .ok_or_else(|| NotAnEvent("no data.object".into()))?;
    let (intent, setup) = match object.get("object").and_then(|o| o.as_str()) {
        Some("payment_intent") => (text(object, "id"), None),
        Some("charge") | Some("refund") => (text(object, "payment_intent"), None),
        Some("setup_intent") => (None, text(object, "id")),
        _ => (None, None),
    };
    Ok(GatewayEvent {
        id,
        kind,
        intent,
        setup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1"}}}"#;

    #[test]
    fn a_signature_of_the_body_is_accepted_within_five_minutes() {
        let header = sign("whsec_a", 1_000, BODY);
        assert_eq!(verify("whsec_a", &header, BODY, 1_000 + 300), Ok(()));
        assert_eq!(verify("whsec_a", &header, BODY, 1_000 - 300), Ok(()));
    }

    #[test]
    fn forged_changed_old_or_malformed_signatures_are_refused() {
        let header = sign("whsec_a", 1_000, BODY);
        assert_eq!(
            verify("whsec_b", &header, BODY, 1_000),
            Err(SignatureError::Mismatch)
        );
        let changed = br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_2"}}}"#;
        assert_eq!(
            verify("whsec_a", &header, changed, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_a", &header, BODY, 1_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("whsec_a", "v1=abc", BODY, 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("whsec_a", "t=1000", BODY, 1_000),
            Err(SignatureError::Malformed)
        );
        // A timestamp moved forward invalidates the signature (it is signed too).
        let moved = header.replace("t=1000", "t=1200");
        assert_eq!(
            verify("whsec_a", &moved, BODY, 1_200),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match_while_a_secret_is_rolled() {
        let good = sign("whsec_new", 1_000, BODY);
        let v1 = good.split("v1=").nth(1).unwrap();
        let header = format!("t=1000,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify("whsec_new", &header, BODY, 1_000), Ok(()));
    }

    #[test]
    fn events_name_the_payment_they_are_about() {
        let e = parse(BODY).unwrap();
        assert_eq!(e.intent.as_deref(), Some("pi_1"));
        let refund = br#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"object":"charge","id":"ch_1","payment_intent":"pi_9"}}}"#;
        assert_eq!(parse(refund).unwrap().intent.as_deref(), Some("pi_9"));
        assert!(parse(b"{}").is_err());
        assert!(parse(b"not json").is_err());
    }
}
