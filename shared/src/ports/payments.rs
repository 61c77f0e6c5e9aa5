//! The payment gateway port: the few calls selfcare makes to a card processor. Card numbers
//! never pass through it: the customer types them into the gateway's own page (Stripe
//! Elements, or the embedded gateway's page locally), and selfcare only sees the tokens.
//!
//! Every provider connects its own account: each call carries that account's keys.

use async_trait::async_trait;

/// One provider's keys at the gateway. Never logged: `Debug` shows the key's last four.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayKeys {
    pub secret_key: String,
    /// Signs the gateway's webhooks to this provider's endpoint.
    pub webhook_secret: String,
}

impl std::fmt::Debug for GatewayKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GatewayKeys(…{})", last_four(&self.secret_key))
    }
}

/// The last four characters of a key, the only part ever shown again.
pub fn last_four(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// How the portal collects a card for this gateway.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    /// Stripe: Stripe.js and Elements with the provider's publishable key.
    Stripe,
    /// The local runtime's test gateway: a page of its own at `checkout_url`.
    Embedded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntent {
    /// Minor units, more than zero.
    pub amount: i64,
    /// ISO 4217, lower case as gateways want it.
    pub currency: String,
    pub customer: String,
    /// A saved card to charge now without the customer (autopay): confirmed at once,
    /// off-session.
    pub saved_card: Option<String>,
    /// Carried back on every event: the tenant, the account and our payment's id.
    pub metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    /// Waiting for the customer's card.
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// A 3-D Secure step is waiting for the customer.
    RequiresAction,
    Processing,
    Succeeded,
    Canceled,
}

/// Why the bank or the gateway refused a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    /// The gateway's code (`card_declined`, `insufficient_funds`,
    /// `authentication_required`, ...).
    pub code: String,
    pub message: String,
    /// The gateway's payment the decline left behind (a saved card charged off-session
    /// is refused with the payment in its failed state), when it says.
    pub intent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CardSummary {
    /// `visa`, `mastercard`, `amex`, ...
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    pub currency: String,
    /// What the customer's browser needs to finish it (never stored by selfcare).
    pub client_secret: String,
    /// Why the last try failed, while it waits for another card.
    pub last_error: Option<Decline>,
    /// The card it was paid (or tried) with.
    pub payment_method: Option<String>,
    /// The charge that moved the money (what the balance's movements name).
    pub charge: Option<String>,
    pub metadata: Vec<(String, String)>,
}

impl Intent {
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupStatus {
    Waiting,
    RequiresAction,
    Succeeded,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub id: String,
    pub status: SetupStatus,
    pub client_secret: String,
    pub payment_method: Option<String>,
    pub metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub intent: String,
    /// Minor units.
    pub amount: i64,
    pub succeeded: bool,
}

/// A movement of the provider's gateway balance (a charge or a refund), for reconciling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceMovement {
    pub id: String,
    /// The charge or refund it moved money for.
    pub source: String,
    /// Minor units: positive in, negative out.
    pub amount: i64,
    pub fee: i64,
    pub currency: String,
    pub created: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway refused the keys.
    #[error("the gateway refused the keys")]
    Unauthorized,
    /// The card was declined (answered with the intent in its failed state when one was
    /// made).
    #[error("declined: {}", .0.message)]
    Declined(Decline),
    #[error("not found at the gateway")]
    NotFound,
    /// The gateway refused the request as made.
    #[error("the gateway refused the request: {0}")]
    Refused(String),
    /// Worth trying again later.
    #[error("the gateway is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    fn kind(&self) -> GatewayKind;

    /// Checks the keys (a cheap read the keys must be allowed).
    async fn check(&self, keys: &GatewayKeys) -> Result<(), GatewayError>;

    /// A customer for an account; `idempotency_key` makes a retried call answer the same
    /// one.
    async fn create_customer(
        &self,
        keys: &GatewayKeys,
        name: &str,
        metadata: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<String, GatewayError>;

    /// A payment. With a saved card it is confirmed at once; without, it waits for the
    /// customer's card in the browser.
    async fn create_intent(
        &self,
        keys: &GatewayKeys,
        intent: &NewIntent,
        idempotency_key: &str,
    ) -> Result<Intent, GatewayError>;

    async fn intent(&self, keys: &GatewayKeys, id: &str) -> Result<Intent, GatewayError>;

    /// Starts saving a card for the customer.
    async fn create_setup(
        &self,
        keys: &GatewayKeys,
        customer: &str,
        metadata: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Setup, GatewayError>;

    async fn setup(&self, keys: &GatewayKeys, id: &str) -> Result<Setup, GatewayError>;

    /// What may be shown of a saved card.
    async fn card(
        &self,
        keys: &GatewayKeys,
        payment_method: &str,
    ) -> Result<CardSummary, GatewayError>;

    /// Forgets a saved card at the gateway.
    async fn detach(&self, keys: &GatewayKeys, payment_method: &str) -> Result<(), GatewayError>;

    async fn refund(
        &self,
        keys: &GatewayKeys,
        intent: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError>;

    /// Every refund of a payment.
    async fn refunds(&self, keys: &GatewayKeys, intent: &str) -> Result<Vec<Refund>, GatewayError>;

    /// The most recent movements of the balance, newest first.
    async fn balance_movements(
        &self,
        keys: &GatewayKeys,
        limit: u32,
    ) -> Result<Vec<BalanceMovement>, GatewayError>;

    /// Where the customer's browser goes to pay or save a card, for gateways with a page of
    /// their own (None: the portal uses the gateway's script).
    fn checkout_url(&self, client_secret: &str, return_url: &str) -> Option<String>;
}
