//! The payment gateway port on Stripe. A small typed client over the dozen endpoints
//! selfcare calls, rather than `async-stripe`: that crate generates the whole API (hundreds
//! of thousands of lines to compile) for calls we would mostly never make; this needs only
//! `reqwest`, which the workspace already builds.
//!
//! Every write carries the idempotency key the domain derives from its own record, so a
//! retried call answers the first one's result instead of charging twice. The API version is
//! pinned, so Stripe's answers keep the shape parsed here.

use async_trait::async_trait;
use serde::Deserialize;

use selfcare::ports::payments::{
    BalanceMovement, CardSummary, Decline, GatewayError, GatewayKeys, GatewayKind, Intent,
    IntentStatus, NewIntent, PaymentGateway, Refund, Setup, SetupStatus,
};

/// The API version whose shapes this client reads.
pub const STRIPE_VERSION: &str = "2024-06-20";

pub struct StripeGateway {
    http: reqwest::Client,
    /// `https://api.stripe.com`, or an emulator's address.
    api: String,
}

impl StripeGateway {
    pub fn new(api: &str) -> Self {
        StripeGateway {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap_or_default(),
            api: api.trim_end_matches('/').to_owned(),
        }
    }

    async fn send(
        &self,
        keys: &GatewayKeys,
        method: reqwest::Method,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<serde_json::Value, GatewayError> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.api))
            .bearer_auth(&keys.secret_key)
            .header("Stripe-Version", STRIPE_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request = if method == reqwest::Method::GET {
            request.query(form)
        } else {
            request.form(form)
        };
        let response = request
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("an unreadable answer: {e}")))?;
        if status.is_success() {
            return Ok(body);
        }
        let error = body.get("error").cloned().unwrap_or_default();
        let message = error
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("")
            .to_owned();
        let code = error
            .get("decline_code")
            .or_else(|| error.get("code"))
            .and_then(|c| c.as_str())
            .unwrap_or("card_declined")
            .to_owned();
        Err(match status.as_u16() {
            401 | 403 => GatewayError::Unauthorized,
            402 => GatewayError::Declined(Decline {
                code,
                message,
                intent: error
                    .get("payment_intent")
                    .and_then(|i| i.get("id"))
                    .and_then(|i| i.as_str())
                    .map(str::to_owned),
            }),
            404 => GatewayError::NotFound,
            400..=499 => GatewayError::Refused(message),
            _ => GatewayError::Unavailable(format!("{status}: {message}")),
        })
    }
}

fn metadata_form(metadata: &[(String, String)]) -> Vec<(String, String)> {
    metadata
        .iter()
        .map(|(k, v)| (format!("metadata[{k}]"), v.clone()))
        .collect()
}

fn metadata_of(value: &serde_json::Value) -> Vec<(String, String)> {
    value
        .get("metadata")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// An id field that may also come expanded as an object.
fn id_of(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("id").and_then(|i| i.as_str()).map(str::to_owned),
        _ => None,
    }
}

fn text(value: &serde_json::Value, name: &str) -> String {
    value
        .get(name)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn unreadable(what: &str) -> GatewayError {
    GatewayError::Unavailable(format!("an unreadable {what} from Stripe"))
}

fn intent_from(v: &serde_json::Value) -> Result<Intent, GatewayError> {
    let status = match v.get("status").and_then(|s| s.as_str()) {
        Some("requires_payment_method") => IntentStatus::RequiresPaymentMethod,
        Some("requires_confirmation") => IntentStatus::RequiresConfirmation,
        Some("requires_action") => IntentStatus::RequiresAction,
        // Captured automatically here: a payment waiting for capture is still working.
        Some("processing") | Some("requires_capture") => IntentStatus::Processing,
        Some("succeeded") => IntentStatus::Succeeded,
        Some("canceled") => IntentStatus::Canceled,
        _ => return Err(unreadable("payment")),
    };
    let last_error = v
        .get("last_payment_error")
        .filter(|e| e.is_object())
        .map(|e| Decline {
            code: e
                .get("decline_code")
                .or_else(|| e.get("code"))
                .and_then(|c| c.as_str())
                .unwrap_or("card_declined")
                .to_owned(),
            message: text(e, "message"),
            intent: None,
        });
    Ok(Intent {
        id: text(v, "id"),
        status,
        amount: v
            .get("amount")
            .and_then(|a| a.as_i64())
            .ok_or_else(|| unreadable("payment"))?,
        currency: text(v, "currency"),
        client_secret: text(v, "client_secret"),
        last_error,
        payment_method: id_of(v.get("payment_method")),
        charge: id_of(v.get("latest_charge")),
        metadata: metadata_of(v),
    })
}

fn setup_from(v: &serde_json::Value) -> Result<Setup, GatewayError> {
    let status = match v.get("status").and_then(|s| s.as_str()) {
        Some("requires_payment_method") | Some("requires_confirmation") | Some("processing") => {
            SetupStatus::Waiting
        }
        Some("requires_action") => SetupStatus::RequiresAction,
        Some("succeeded") => SetupStatus::Succeeded,
        Some("canceled") => SetupStatus::Canceled,
        _ => return Err(unreadable("card set-up")),
    };
    Ok(Setup {
        id: text(v, "id"),
        status,
        client_secret: text(v, "client_secret"),
        payment_method: id_of(v.get("payment_method")),
        metadata: metadata_of(v),
    })
}

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct StripeRefund {
    id: String,
    amount: i64,
    status: Option<String>,
    payment_intent: Option<String>,
}

#[derive(Deserialize)]
struct StripeBalanceTransaction {
    id: String,
    amount: i64,
    #[serde(default)]
    fee: i64,
    currency: String,
    created: i64,
    source: Option<String>,
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Stripe
    }

    async fn check(&self, keys: &GatewayKeys) -> Result<(), GatewayError> {
        self.send(keys, reqwest::Method::GET, "/v1/balance", &[], None)
            .await
            .map(|_| ())
    }

    async fn create_customer(
        &self,
        keys: &GatewayKeys,
        name: &str,
        metadata: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<String, GatewayError> {
        let mut form = vec![("name".to_owned(), name.to_owned())];
        form.extend(metadata_form(metadata));
        let v = self
            .send(
                keys,
                reqwest::Method::POST,
                "/v1/customers",
                &form,
                Some(idempotency_key),
            )
            .await?;
        Ok(text(&v, "id"))
    }

    async fn create_intent(
        &self,
        keys: &GatewayKeys,
        intent: &NewIntent,
        idempotency_key: &str,
    ) -> Result<Intent, GatewayError> {
        let mut form = vec![
            ("amount".to_owned(), intent.amount.to_string()),
            ("currency".to_owned(), intent.currency.clone()),
            ("customer".to_owned(), intent.customer.clone()),
        ];
        if let Some(card) = &intent.saved_card {
            form.push(("payment_method".into(), card.clone()));
            form.push(("confirm".into(), "true".into()));
            form.push(("off_session".into(), "true".into()));
        }
        form.extend(metadata_form(&intent.metadata));
        let v = self
            .send(
                keys,
                reqwest::Method::POST,
                "/v1/payment_intents",
                &form,
                Some(idempotency_key),
            )
            .await?;
        intent_from(&v)
    }

    async fn intent(&self, keys: &GatewayKeys, id: &str) -> Result<Intent, GatewayError> {
        let v = self
            .send(
                keys,
                reqwest::Method::GET,
                &format!("/v1/payment_intents/{}", path(id)?),
                &[],
                None,
            )
            .await?;
        intent_from(&v)
    }

    async fn create_setup(
        &self,
        keys: &GatewayKeys,
        customer: &str,
        metadata: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Setup, GatewayError> {
        let mut form = vec![
            ("customer".to_owned(), customer.to_owned()),
            ("usage".to_owned(), "off_session".to_owned()),
        ];
        form.extend(metadata_form(metadata));
        let v = self
            .send(
                keys,
                reqwest::Method::POST,
                "/v1/setup_intents",
                &form,
                Some(idempotency_key),
            )
            .await?;
        setup_from(&v)
    }

    async fn setup(&self, keys: &GatewayKeys, id: &str) -> Result<Setup, GatewayError> {
        let v = self
            .send(
                keys,
                reqwest::Method::GET,
                &format!("/v1/setup_intents/{}", path(id)?),
                &[],
                None,
            )
            .await?;
        setup_from(&v)
    }

    async fn card(
        &self,
        keys: &GatewayKeys,
        payment_method: &str,
    ) -> Result<CardSummary, GatewayError> {
        let v = self
            .send(
                keys,
                reqwest::Method::GET,
                &format!("/v1/payment_methods/{}", path(payment_method)?),
                &[],
                None,
            )
            .await?;
        let card = v.get("card").ok_or_else(|| unreadable("card"))?;
        Ok(CardSummary {
            brand: text(card, "brand"),
            last4: text(card, "last4"),
            exp_month: card.get("exp_month").and_then(|m| m.as_u64()).unwrap_or(0) as u8,
            exp_year: card.get("exp_year").and_then(|m| m.as_u64()).unwrap_or(0) as u16,
        })
    }

    async fn detach(&self, keys: &GatewayKeys, payment_method: &str) -> Result<(), GatewayError> {
        self.send(
            keys,
            reqwest::Method::POST,
            &format!("/v1/payment_methods/{}/detach", path(payment_method)?),
            &[],
            None,
        )
        .await
        .map(|_| ())
    }

    async fn refund(
        &self,
        keys: &GatewayKeys,
        intent: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError> {
        let form = vec![
            ("payment_intent".to_owned(), intent.to_owned()),
            ("amount".to_owned(), amount.to_string()),
        ];
        let v = self
            .send(
                keys,
                reqwest::Method::POST,
                "/v1/refunds",
                &form,
                Some(idempotency_key),
            )
            .await?;
        let r: StripeRefund = serde_json::from_value(v).map_err(|_| unreadable("refund"))?;
        Ok(Refund {
            succeeded: r.status.as_deref() == Some("succeeded"),
            id: r.id,
            intent: r.payment_intent.unwrap_or_else(|| intent.to_owned()),
            amount: r.amount,
        })
    }

    async fn refunds(&self, keys: &GatewayKeys, intent: &str) -> Result<Vec<Refund>, GatewayError> {
        let form = vec![
            ("payment_intent".to_owned(), intent.to_owned()),
            ("limit".to_owned(), "100".to_owned()),
        ];
        let v = self
            .send(keys, reqwest::Method::GET, "/v1/refunds", &form, None)
            .await?;
        let list: List<StripeRefund> =
            serde_json::from_value(v).map_err(|_| unreadable("refund list"))?;
        Ok(list
            .data
            .into_iter()
            .map(|r| Refund {
                succeeded: r.status.as_deref() == Some("succeeded"),
                id: r.id,
                intent: r.payment_intent.unwrap_or_else(|| intent.to_owned()),
                amount: r.amount,
            })
            .collect())
    }

    async fn balance_movements(
        &self,
        keys: &GatewayKeys,
        limit: u32,
    ) -> Result<Vec<BalanceMovement>, GatewayError> {
        let form = vec![("limit".to_owned(), limit.min(100).to_string())];
        let v = self
            .send(
                keys,
                reqwest::Method::GET,
                "/v1/balance_transactions",
                &form,
                None,
            )
            .await?;
        let list: List<StripeBalanceTransaction> =
            serde_json::from_value(v).map_err(|_| unreadable("balance"))?;
        Ok(list
            .data
            .into_iter()
            .map(|t| BalanceMovement {
                id: t.id,
                source: t.source.unwrap_or_default(),
                amount: t.amount,
                fee: t.fee,
                currency: t.currency,
                created: t.created,
            })
            .collect())
    }

    fn checkout_url(&self, _client_secret: &str, _return_url: &str) -> Option<String> {
        None
    }
}

/// An id safe in a path: Stripe's ids are letters, digits and underscores.
fn path(id: &str) -> Result<&str, GatewayError> {
    if !id.is_empty()
        && id.len() <= 255
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Ok(id)
    } else {
        Err(GatewayError::NotFound)
    }
}
