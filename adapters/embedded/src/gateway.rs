//! The local runtime's card gateway: a test processor that behaves like Stripe for the
//! few calls selfcare makes, with a card page of its own (selfcare never sees the number)
//! that accepts Stripe's documented test cards, declines the declining ones and asks for a
//! 3-D Secure step on the authenticating ones. Its state is kept in a JSON file beside the
//! data; its webhooks are signed like Stripe's and handed to the local runtime to deliver.
//! Never deployed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use selfcare::domain::payments::webhook;
use selfcare::ports::payments::{
    BalanceMovement, CardSummary, Decline, GatewayError, GatewayKeys, GatewayKind, Intent,
    IntentStatus, NewIntent, PaymentGateway, Refund, Setup, SetupStatus,
};

/// A webhook for the local runtime to deliver to `/v1/webhooks/stripe/{slug of tenant}`.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The tenant's id, from the payment's metadata.
    pub tenant: String,
    pub body: Vec<u8>,
    pub signature: String,
}

/// What a test card number does (Stripe's documented numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Succeeds,
    /// Declined with this code when saved or charged.
    Declined(&'static str),
    /// Saved fine, declined when charged (`card_declined`).
    ChargeDeclined,
    /// Asks the customer for a 3-D Secure step (and cannot be charged off-session).
    Authenticates,
}

fn behaviour(number: &str) -> Option<(Behaviour, &'static str)> {
    Some(match number {
        "4242424242424242" => (Behaviour::Succeeds, "visa"),
        "5555555555554444" => (Behaviour::Succeeds, "mastercard"),
        "378282246310005" => (Behaviour::Succeeds, "amex"),
        "4000000000000002" => (Behaviour::Declined("card_declined"), "visa"),
        "4000000000009995" => (Behaviour::Declined("insufficient_funds"), "visa"),
        "4000000000000069" => (Behaviour::Declined("expired_card"), "visa"),
        "4000000000000341" => (Behaviour::ChargeDeclined, "visa"),
        "4000002500003155" | "4000002760003184" => (Behaviour::Authenticates, "visa"),
        _ => return None,
    })
}

/// Stripe's test payment methods, which a server names without a card page
/// (`pm_card_visa`, `pm_card_chargeCustomerFail`, ...), as the cards they stand for.
fn test_payment_method(id: &str) -> Option<StoredCard> {
    let number = match id {
        "pm_card_visa" => "4242424242424242",
        "pm_card_mastercard" => "5555555555554444",
        "pm_card_amex" => "378282246310005",
        "pm_card_chargeCustomerFail" => "4000000000000341",
        "pm_card_authenticationRequired" => "4000002500003155",
        _ => return None,
    };
    let (_, brand) = behaviour(number)?;
    Some(StoredCard {
        number: number.to_owned(),
        brand: brand.to_owned(),
        exp_month: 12,
        exp_year: 2034,
    })
}

fn decline_message(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => "Your card has insufficient funds.",
        "expired_card" => "Your card has expired.",
        "authentication_required" => "Your card requires authentication.",
        "payment_intent_authentication_failure" => {
            "The provided PaymentMethod has failed authentication."
        }
        _ => "Your card was declined.",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredCard {
    number: String,
    brand: String,
    exp_month: u8,
    exp_year: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredIntent {
    id: String,
    amount: i64,
    currency: String,
    customer: String,
    metadata: Vec<(String, String)>,
    client_secret: String,
    /// `requires_payment_method`, `requires_action`, `succeeded`, `canceled`.
    status: String,
    last_error: Option<(String, String)>,
    payment_method: Option<String>,
    charge: Option<String>,
    webhook_secret: String,
    created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSetup {
    id: String,
    customer: String,
    metadata: Vec<(String, String)>,
    client_secret: String,
    status: String,
    payment_method: Option<String>,
    webhook_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredRefund {
    id: String,
    intent: String,
    amount: i64,
    created: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State_ {
    customers: BTreeMap<String, String>,
    /// By idempotency key: the id first answered.
    idempotent: BTreeMap<String, String>,
    cards: BTreeMap<String, StoredCard>,
    intents: BTreeMap<String, StoredIntent>,
    setups: BTreeMap<String, StoredSetup>,
    refunds: Vec<StoredRefund>,
}

pub struct EmbeddedGateway {
    state: Mutex<State_>,
    file: PathBuf,
    /// The local runtime's address: the card page lives there, and returns only there.
    base_url: String,
    deliveries: OnceLock<tokio::sync::mpsc::UnboundedSender<Delivery>>,
    /// The platform's clock: its events are signed at the platform's time.
    clock: Arc<dyn selfcare::ports::Clock>,
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

impl EmbeddedGateway {
    pub fn open(
        file: PathBuf,
        base_url: &str,
        clock: Arc<dyn selfcare::ports::Clock>,
    ) -> std::io::Result<Self> {
        let state = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State_::default(),
            Err(e) => return Err(e),
        };
        Ok(EmbeddedGateway {
            state: Mutex::new(state),
            file,
            base_url: base_url.trim_end_matches('/').to_owned(),
            deliveries: OnceLock::new(),
            clock,
        })
    }

    /// Where its webhooks go (the local runtime delivers them in-process).
    pub fn deliver_to(&self, sender: tokio::sync::mpsc::UnboundedSender<Delivery>) {
        let _ = self.deliveries.set(sender);
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    fn with<T>(&self, change: impl FnOnce(&mut State_) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let out = change(&mut state);
        if let Ok(bytes) = serde_json::to_vec(&*state) {
            let _ = std::fs::write(&self.file, bytes);
        }
        out
    }

    fn emit(
        &self,
        kind: &str,
        object: serde_json::Value,
        metadata: &[(String, String)],
        secret: &str,
    ) {
        let Some(sender) = self.deliveries.get() else {
            return;
        };
        let Some(tenant) = metadata
            .iter()
            .find(|(k, _)| k == "tenant")
            .map(|(_, v)| v.clone())
        else {
            return;
        };
        let created = self.now();
        let body = serde_json::to_vec(&serde_json::json!({
            "id": new_id("evt"),
            "object": "event",
            "type": kind,
            "created": created,
            "data": { "object": object },
        }))
        .unwrap_or_default();
        let signature = webhook::sign(secret, created, &body);
        let _ = sender.send(Delivery {
            tenant,
            body,
            signature,
        });
    }

    fn emit_intent(&self, intent: &StoredIntent, kind: &str) {
        self.emit(
            kind,
            serde_json::json!({"object": "payment_intent", "id": intent.id}),
            &intent.metadata,
            &intent.webhook_secret,
        );
    }

    /// Charges `intent` with `card` (the customer present unless `off_session`).
    fn charge(
        state: &mut State_,
        intent_id: &str,
        card_id: &str,
        off_session: bool,
    ) -> Option<StoredIntent> {
        let card = state.cards.get(card_id)?.clone();
        let intent = state.intents.get_mut(intent_id)?;
        intent.payment_method = Some(card_id.to_owned());
        intent.last_error = None;
        match behaviour(&card.number).map(|b| b.0) {
            Some(Behaviour::Succeeds) => {
                intent.status = "succeeded".into();
                intent.charge = Some(new_id("ch"));
            }
            Some(Behaviour::Authenticates) if off_session => {
                intent.status = "requires_payment_method".into();
                intent.last_error = Some((
                    "authentication_required".into(),
                    decline_message("authentication_required").into(),
                ));
            }
            Some(Behaviour::Authenticates) => intent.status = "requires_action".into(),
            Some(Behaviour::Declined(code)) => {
                intent.status = "requires_payment_method".into();
                intent.last_error = Some((code.into(), decline_message(code).into()));
            }
            Some(Behaviour::ChargeDeclined) | None => {
                intent.status = "requires_payment_method".into();
                intent.last_error = Some((
                    "card_declined".into(),
                    decline_message("card_declined").into(),
                ));
            }
        }
        Some(intent.clone())
    }

    fn intent_out(i: &StoredIntent) -> Intent {
        Intent {
            id: i.id.clone(),
            status: match i.status.as_str() {
                "succeeded" => IntentStatus::Succeeded,
                "requires_action" => IntentStatus::RequiresAction,
                "canceled" => IntentStatus::Canceled,
                _ => IntentStatus::RequiresPaymentMethod,
            },
            amount: i.amount,
            currency: i.currency.clone(),
            client_secret: i.client_secret.clone(),
            last_error: i.last_error.clone().map(|(code, message)| Decline {
                code,
                message,
                intent: None,
            }),
            payment_method: i.payment_method.clone(),
            charge: i.charge.clone(),
            metadata: i.metadata.clone(),
        }
    }

    fn setup_out(s: &StoredSetup) -> Setup {
        Setup {
            id: s.id.clone(),
            status: match s.status.as_str() {
                "succeeded" => SetupStatus::Succeeded,
                "requires_action" => SetupStatus::RequiresAction,
                "canceled" => SetupStatus::Canceled,
                _ => SetupStatus::Waiting,
            },
            client_secret: s.client_secret.clone(),
            payment_method: s.payment_method.clone(),
            metadata: s.metadata.clone(),
        }
    }
}

fn test_keys(keys: &GatewayKeys) -> Result<(), GatewayError> {
    if keys.secret_key.starts_with("sk_test_") || keys.secret_key.starts_with("rk_test_") {
        Ok(())
    } else {
        Err(GatewayError::Unauthorized)
    }
}

#[async_trait]
impl PaymentGateway for EmbeddedGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Embedded
    }

    async fn check(&self, keys: &GatewayKeys) -> Result<(), GatewayError> {
        test_keys(keys)
    }

    async fn create_customer(
        &self,
        keys: &GatewayKeys,
        name: &str,
        _metadata: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<String, GatewayError> {
        test_keys(keys)?;
        Ok(self.with(|s| {
            if let Some(id) = s.idempotent.get(idempotency_key) {
                return id.clone();
            }
            let id = new_id("cus");
            s.customers.insert(id.clone(), name.to_owned());
            s.idempotent.insert(idempotency_key.to_owned(), id.clone());
            id
        }))
    }

    async fn create_intent(
        &self,
        keys: &GatewayKeys,
        request: &NewIntent,
        idempotency_key: &str,
    ) -> Result<Intent, GatewayError> {
        test_keys(keys)?;
        let (intent, fresh) = self.with(|s| {
            if let Some(id) = s.idempotent.get(idempotency_key)
                && let Some(i) = s.intents.get(id)
            {
                return Ok((i.clone(), false));
            }
            // An unknown card is refused before anything is kept (as Stripe answers 400 and
            // keeps no payment), so a replay of the key is refused the same way.
            if let Some(card) = &request.saved_card
                && !s.cards.contains_key(card)
            {
                let Some(test) = test_payment_method(card) else {
                    return Err(GatewayError::Refused("no such payment method".into()));
                };
                s.cards.insert(card.clone(), test);
            }
            let id = new_id("pi");
            let intent = StoredIntent {
                client_secret: format!("{id}_secret_{}", new_id("s")),
                id: id.clone(),
                amount: request.amount,
                currency: request.currency.clone(),
                customer: request.customer.clone(),
                metadata: request.metadata.clone(),
                status: "requires_payment_method".into(),
                last_error: None,
                payment_method: None,
                charge: None,
                webhook_secret: keys.webhook_secret.clone(),
                created: self.now(),
            };
            s.intents.insert(id.clone(), intent.clone());
            s.idempotent.insert(idempotency_key.to_owned(), id.clone());
            match &request.saved_card {
                Some(card) => Ok((Self::charge(s, &id, card, true).unwrap_or(intent), true)),
                None => Ok((intent, true)),
            }
        })?;
        if fresh {
            self.emit_intent(&intent, "payment_intent.created");
            match intent.status.as_str() {
                "succeeded" => self.emit_intent(&intent, "payment_intent.succeeded"),
                _ if intent.last_error.is_some() => {
                    self.emit_intent(&intent, "payment_intent.payment_failed")
                }
                _ => {}
            }
        }
        // As Stripe answers a saved card it cannot charge (402 with the failed payment),
        // again for every retry of the same key.
        if request.saved_card.is_some()
            && let Some((code, message)) = intent.last_error.clone()
        {
            return Err(GatewayError::Declined(Decline {
                code,
                message,
                intent: Some(intent.id.clone()),
            }));
        }
        Ok(Self::intent_out(&intent))
    }

    async fn intent(&self, keys: &GatewayKeys, id: &str) -> Result<Intent, GatewayError> {
        test_keys(keys)?;
        self.with(|s| s.intents.get(id).map(Self::intent_out))
            .ok_or(GatewayError::NotFound)
    }

    async fn create_setup(
        &self,
        keys: &GatewayKeys,
        customer: &str,
        metadata: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Setup, GatewayError> {
        test_keys(keys)?;
        Ok(self.with(|s| {
            if let Some(id) = s.idempotent.get(idempotency_key)
                && let Some(setup) = s.setups.get(id)
            {
                return Self::setup_out(setup);
            }
            let id = new_id("seti");
            let setup = StoredSetup {
                client_secret: format!("{id}_secret_{}", new_id("s")),
                id: id.clone(),
                customer: customer.to_owned(),
                metadata: metadata.to_vec(),
                status: "requires_payment_method".into(),
                payment_method: None,
                webhook_secret: keys.webhook_secret.clone(),
            };
            s.setups.insert(id.clone(), setup.clone());
            s.idempotent.insert(idempotency_key.to_owned(), id);
            Self::setup_out(&setup)
        }))
    }

    async fn setup(&self, keys: &GatewayKeys, id: &str) -> Result<Setup, GatewayError> {
        test_keys(keys)?;
        self.with(|s| s.setups.get(id).map(Self::setup_out))
            .ok_or(GatewayError::NotFound)
    }

    async fn card(
        &self,
        keys: &GatewayKeys,
        payment_method: &str,
    ) -> Result<CardSummary, GatewayError> {
        test_keys(keys)?;
        self.with(|s| {
            s.cards.get(payment_method).map(|c| CardSummary {
                brand: c.brand.clone(),
                last4: c.number[c.number.len() - 4..].to_owned(),
                exp_month: c.exp_month,
                exp_year: c.exp_year,
            })
        })
        .ok_or(GatewayError::NotFound)
    }

    async fn detach(&self, keys: &GatewayKeys, payment_method: &str) -> Result<(), GatewayError> {
        test_keys(keys)?;
        self.with(|s| s.cards.remove(payment_method));
        Ok(())
    }

    async fn refund(
        &self,
        keys: &GatewayKeys,
        intent: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError> {
        test_keys(keys)?;
        let (refund, intent) = self.with(|s| {
            let i = s
                .intents
                .get(intent)
                .cloned()
                .ok_or(GatewayError::NotFound)?;
            if let Some(id) = s.idempotent.get(idempotency_key)
                && let Some(r) = s.refunds.iter().find(|r| &r.id == id)
            {
                return Ok((r.clone(), i));
            }
            if i.status != "succeeded" {
                return Err(GatewayError::Refused(
                    "Cannot refund a failed payment.".into(),
                ));
            }
            let refunded: i64 = s
                .refunds
                .iter()
                .filter(|r| r.intent == intent)
                .map(|r| r.amount)
                .sum();
            if amount <= 0 || refunded + amount > i.amount {
                return Err(GatewayError::Refused(
                    "Refund amount is greater than unrefunded amount on charge".into(),
                ));
            }
            let r = StoredRefund {
                id: new_id("re"),
                intent: intent.to_owned(),
                amount,
                created: self.now(),
            };
            s.refunds.push(r.clone());
            s.idempotent
                .insert(idempotency_key.to_owned(), r.id.clone());
            Ok((r, i))
        })?;
        self.emit(
            "charge.refunded",
            serde_json::json!({"object": "charge", "id": intent.charge, "payment_intent": intent.id}),
            &intent.metadata,
            &intent.webhook_secret,
        );
        Ok(Refund {
            id: refund.id,
            intent: refund.intent,
            amount: refund.amount,
            succeeded: true,
        })
    }

    async fn refunds(&self, keys: &GatewayKeys, intent: &str) -> Result<Vec<Refund>, GatewayError> {
        test_keys(keys)?;
        Ok(self.with(|s| {
            s.refunds
                .iter()
                .filter(|r| r.intent == intent)
                .map(|r| Refund {
                    id: r.id.clone(),
                    intent: r.intent.clone(),
                    amount: r.amount,
                    succeeded: true,
                })
                .collect()
        }))
    }

    async fn balance_movements(
        &self,
        keys: &GatewayKeys,
        limit: u32,
    ) -> Result<Vec<BalanceMovement>, GatewayError> {
        test_keys(keys)?;
        Ok(self.with(|s| {
            let mut out: Vec<BalanceMovement> = s
                .intents
                .values()
                .filter_map(|i| {
                    i.charge.as_ref().map(|c| BalanceMovement {
                        id: format!("txn_{c}"),
                        source: c.clone(),
                        amount: i.amount,
                        fee: test_fee(i.amount),
                        currency: i.currency.clone(),
                        created: i.created,
                    })
                })
                .chain(s.refunds.iter().map(|r| {
                    BalanceMovement {
                        id: format!("txn_{}", r.id),
                        source: r.id.clone(),
                        amount: -r.amount,
                        fee: 0,
                        currency: s
                            .intents
                            .get(&r.intent)
                            .map(|i| i.currency.clone())
                            .unwrap_or_default(),
                        created: r.created,
                    }
                }))
                .collect();
            out.sort_by_key(|m| std::cmp::Reverse(m.created));
            out.truncate(limit as usize);
            out
        }))
    }

    fn checkout_url(&self, client_secret: &str, return_url: &str) -> Option<String> {
        Some(format!(
            "{}/_local/gateway/checkout?client_secret={}&return_url={}",
            self.base_url,
            urlencode(client_secret),
            urlencode(return_url)
        ))
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Deserialize)]
struct CheckoutQuery {
    client_secret: String,
    return_url: String,
}

#[derive(Deserialize)]
struct CardForm {
    client_secret: String,
    return_url: String,
    number: String,
    expiry: String,
    cvc: String,
}

#[derive(Deserialize)]
struct AuthenticateForm {
    client_secret: String,
    return_url: String,
    outcome: String,
}

/// The card page, the 3-D Secure step and what they post to, at `/_local/gateway/*`.
pub fn routes(gateway: Arc<EmbeddedGateway>) -> Router {
    Router::new()
        .route(
            "/_local/gateway/checkout",
            get(checkout_page).post(submit_card),
        )
        .route(
            "/_local/gateway/authenticate",
            axum::routing::post(authenticate),
        )
        .with_state(gateway)
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui;max-width:26rem;margin:3rem auto;\
         padding:0 1rem}}label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;\
         font-size:1rem;box-sizing:border-box}}button{{margin-top:1rem;padding:.6rem 1.2rem;\
         font-size:1rem}}.error{{color:#a00;background:#fee;padding:.6rem}}.note{{color:#555;\
         font-size:.9rem}}</style></head><body>{body}</body></html>"
    ))
    .into_response()
}

/// What a client secret opens: the amount line of a payment, or a card set-up.
fn describe(gateway: &EmbeddedGateway, client_secret: &str) -> Option<String> {
    gateway.with(|s| {
        if let Some(i) = s
            .intents
            .values()
            .find(|i| i.client_secret == client_secret)
        {
            let minor = i.amount;
            return Some(format!(
                "Pay {} {}.{:02}",
                i.currency.to_uppercase(),
                minor / 100,
                minor % 100
            ));
        }
        s.setups
            .values()
            .find(|x| x.client_secret == client_secret)
            .map(|_| "Save a card".to_owned())
    })
}

fn form(q: &CheckoutQuery, what: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Test card payment",
        &format!(
            "<h1>{what}</h1><p class=\"note\">selfcare's local test gateway. Try 4242 4242 4242 \
             4242 (succeeds), 4000 0000 0000 0002 (declined), 4000 0000 0000 9995 (insufficient \
             funds), 4000 0025 0000 3155 (3-D Secure).</p>{error}\
             <form method=\"post\" action=\"/_local/gateway/checkout\">\
             <input type=\"hidden\" name=\"client_secret\" value=\"{}\">\
             <input type=\"hidden\" name=\"return_url\" value=\"{}\">\
             <label for=\"number\">Card number</label><input id=\"number\" name=\"number\" \
             autocomplete=\"cc-number\" inputmode=\"numeric\" required>\
             <label for=\"expiry\">Expiry (MM/YY)</label><input id=\"expiry\" name=\"expiry\" \
             autocomplete=\"cc-exp\" required>\
             <label for=\"cvc\">Security code</label><input id=\"cvc\" name=\"cvc\" \
             autocomplete=\"cc-csc\" inputmode=\"numeric\" required>\
             <button type=\"submit\">{what}</button></form>",
            escape(&q.client_secret),
            escape(&q.return_url)
        ),
    )
}

fn refused() -> Response {
    page("Link not valid", "<h1>This payment link is not valid</h1>")
}

async fn checkout_page(
    State(gateway): State<Arc<EmbeddedGateway>>,
    Query(q): Query<CheckoutQuery>,
) -> Response {
    if !q.return_url.starts_with(&format!("{}/", gateway.base_url)) {
        return refused();
    }
    match describe(&gateway, &q.client_secret) {
        Some(what) => form(&q, &what, None),
        None => refused(),
    }
}

fn parse_expiry(text: &str) -> Option<(u8, u16)> {
    let (m, y) = text.trim().split_once('/')?;
    let month: u8 = m.trim().parse().ok().filter(|m| (1..=12).contains(m))?;
    let year: u16 = y.trim().parse().ok()?;
    Some((month, if year < 100 { 2000 + year } else { year }))
}

async fn submit_card(
    State(gateway): State<Arc<EmbeddedGateway>>,
    Form(f): Form<CardForm>,
) -> Response {
    let q = CheckoutQuery {
        client_secret: f.client_secret.clone(),
        return_url: f.return_url.clone(),
    };
    if !q.return_url.starts_with(&format!("{}/", gateway.base_url)) {
        return refused();
    }
    let Some(what) = describe(&gateway, &q.client_secret) else {
        return refused();
    };
    let number: String = f.number.chars().filter(|c| c.is_ascii_digit()).collect();
    let Some((_, brand)) = behaviour(&number) else {
        return form(
            &q,
            &what,
            Some("Your card number is incorrect (use a test card)."),
        );
    };
    let Some((exp_month, exp_year)) = parse_expiry(&f.expiry) else {
        return form(
            &q,
            &what,
            Some("Your card's expiry date is incomplete (MM/YY)."),
        );
    };
    if !(3..=4).contains(&f.cvc.trim().len()) {
        return form(&q, &what, Some("Your card's security code is incomplete."));
    }
    let card_id = new_id("pm");
    let outcome = gateway.with(|s| {
        s.cards.insert(
            card_id.clone(),
            StoredCard {
                number: number.clone(),
                brand: brand.to_owned(),
                exp_month,
                exp_year,
            },
        );
        if let Some(id) = s
            .intents
            .values()
            .find(|i| i.client_secret == q.client_secret)
            .map(|i| i.id.clone())
        {
            return Outcome::Intent(EmbeddedGateway::charge(s, &id, &card_id, false));
        }
        let Some(setup) = s
            .setups
            .values_mut()
            .find(|x| x.client_secret == q.client_secret)
        else {
            return Outcome::Intent(None);
        };
        match behaviour(&number).map(|b| b.0) {
            Some(Behaviour::Declined(code)) => return Outcome::SetupDeclined(code),
            Some(Behaviour::Authenticates) => {
                setup.payment_method = Some(card_id.clone());
                setup.status = "requires_action".into();
            }
            _ => {
                setup.payment_method = Some(card_id.clone());
                setup.status = "succeeded".into();
            }
        }
        Outcome::Setup(setup.clone())
    });
    finish(&gateway, &q, &what, outcome)
}

enum Outcome {
    Intent(Option<StoredIntent>),
    Setup(StoredSetup),
    SetupDeclined(&'static str),
}

fn finish(gateway: &EmbeddedGateway, q: &CheckoutQuery, what: &str, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Intent(Some(intent)) if intent.status == "requires_action" => authenticate_page(q),
        Outcome::Intent(Some(intent)) => {
            let kind = if intent.status == "succeeded" {
                "payment_intent.succeeded"
            } else {
                "payment_intent.payment_failed"
            };
            gateway.emit_intent(&intent, kind);
            Redirect::to(&q.return_url).into_response()
        }
        Outcome::Intent(None) => refused(),
        Outcome::Setup(setup) if setup.status == "requires_action" => authenticate_page(q),
        Outcome::Setup(setup) => {
            gateway.emit(
                "setup_intent.succeeded",
                serde_json::json!({"object": "setup_intent", "id": setup.id}),
                &setup.metadata,
                &setup.webhook_secret,
            );
            Redirect::to(&q.return_url).into_response()
        }
        Outcome::SetupDeclined(code) => form(q, what, Some(decline_message(code))),
    }
}

fn authenticate_page(q: &CheckoutQuery) -> Response {
    let hidden = format!(
        "<input type=\"hidden\" name=\"client_secret\" value=\"{}\">\
         <input type=\"hidden\" name=\"return_url\" value=\"{}\">",
        escape(&q.client_secret),
        escape(&q.return_url)
    );
    page(
        "3-D Secure",
        &format!(
            "<h1>Your bank asks you to confirm</h1><p class=\"note\">A test 3-D Secure step.</p>\
             <form method=\"post\" action=\"/_local/gateway/authenticate\">{hidden}\
             <button name=\"outcome\" value=\"complete\">Complete authentication</button> \
             <button name=\"outcome\" value=\"fail\">Fail authentication</button></form>"
        ),
    )
}

async fn authenticate(
    State(gateway): State<Arc<EmbeddedGateway>>,
    Form(f): Form<AuthenticateForm>,
) -> Response {
    let q = CheckoutQuery {
        client_secret: f.client_secret,
        return_url: f.return_url,
    };
    if !q.return_url.starts_with(&format!("{}/", gateway.base_url)) {
        return refused();
    }
    let success = f.outcome == "complete";
    let outcome = gateway.with(|s| {
        if let Some(intent) = s
            .intents
            .values_mut()
            .find(|i| i.client_secret == q.client_secret && i.status == "requires_action")
        {
            if success {
                intent.status = "succeeded".into();
                intent.charge = Some(new_id("ch"));
            } else {
                intent.status = "requires_payment_method".into();
                intent.last_error = Some((
                    "payment_intent_authentication_failure".into(),
                    decline_message("payment_intent_authentication_failure").into(),
                ));
            }
            return Outcome::Intent(Some(intent.clone()));
        }
        let Some(setup) = s
            .setups
            .values_mut()
            .find(|x| x.client_secret == q.client_secret && x.status == "requires_action")
        else {
            return Outcome::Intent(None);
        };
        if success {
            setup.status = "succeeded".into();
            Outcome::Setup(setup.clone())
        } else {
            setup.status = "requires_payment_method".into();
            setup.payment_method = None;
            Outcome::SetupDeclined("payment_intent_authentication_failure")
        }
    });
    let what = describe(&gateway, &q.client_secret).unwrap_or_default();
    finish(&gateway, &q, &what, outcome)
}

/// The test gateway's price for a charge: 1.75% (half away from zero) and 30 minor units,
/// like a card gateway's domestic price, so that fees show in reports locally.
fn test_fee(amount: i64) -> i64 {
    (amount * 175 + 5_000).div_euclid(10_000) + 30
}
