//! Card payments through the provider's own gateway account: paying an invoice, part of it
//! or any amount ahead from the portal; cards kept for autopay; refunds; the gateway's
//! webhooks; autopay retries (dunning).
//!
//! Exactly once, whatever the network does:
//! - a payment is our record first (its id is the gateway call's idempotency key and rides
//!   in the gateway payment's metadata), so a retried start never makes a second charge and
//!   a crash after the charge is finished by the webhook, which finds the record by it;
//! - the gateway's state is read back, never taken from an event's body, so events in any
//!   order or twice end in the gateway's present state;
//! - the money reaches the ledger through billing's payment reference claim (the gateway's
//!   payment id) and each refund through its refund id: one ledger entry each, whoever
//!   tells of it first (the page that saw it succeed, the webhook, a retry).

pub mod model;
pub mod record;
pub mod reports;
pub mod sealing;
pub mod webhook;

use std::sync::Arc;

use time::Date;

use self::model::{
    AutopayOn, CardPayment, CardPaymentStatus, Connection, MOST_CARDS, Origin, PaymentSettings,
    SavedCard, Wallet,
};
use self::sealing::Sealer;
use super::Violations;
use super::billing::{Billing, BillingError, CardReceipt, RefundReceipt};
use super::identity::{Credentials, SiteLinks};
use super::tenancy::Tenants;
use crate::domain::catalogue::money;
use crate::domain::notifications::{Notice, PaymentFacts};
use crate::ids::{AccountId, CardPaymentId, TenantId};
use crate::ports::Clock;
use crate::ports::payments::{
    GatewayError, GatewayKeys, GatewayKind, IntentStatus, NewIntent, PaymentGateway, SetupStatus,
};
use crate::ports::table::{Table, TableError, Write};
use crate::store::Stamp;
use crate::store::{CursorCodec, Transaction, TransactionError};

/// The largest card payment: 1,000,000.00.
pub const MAX_CARD_PAYMENT: i64 = 100_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    /// The provider has not connected a gateway account.
    #[error("card payments are not set up")]
    NotConnected,
    /// The invoice has nothing left to pay.
    #[error("nothing is owed on this invoice")]
    NothingOwed,
    /// The provider requires autopay: it cannot be turned off, nor the last card removed.
    #[error("autopay is required by the provider")]
    AutopayRequired,
    /// Autopay needs a saved card.
    #[error("save a card first")]
    NoCard,
    /// The payment has not succeeded, or this much of it is not left to refund.
    #[error("not refundable: {0}")]
    NotRefundable(String),
    /// Only a failed autopay can be tried again.
    #[error("only a failed autopay can be retried")]
    NotRetryable,
    /// The gateway refused the keys (connect).
    #[error("the gateway refused these keys")]
    KeysRefused,
    /// A webhook's signature was missing, wrong or too old.
    #[error("webhook signature: {0}")]
    Signature(#[from] webhook::SignatureError),
    #[error("not an event: {0}")]
    NotAnEvent(String),
    #[error("the payment gateway is unavailable: {0}")]
    GatewayUnavailable(String),
    #[error("the payment gateway refused the request: {0}")]
    GatewayRefused(String),
    /// The card was declined as the payment was made.
    #[error("declined: {}", .0.message)]
    Declined(crate::ports::payments::Decline),
    #[error("conflict")]
    Conflict,
    #[error(transparent)]
    Billing(BillingError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

impl From<BillingError> for PaymentError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotFound => PaymentError::NotFound,
            BillingError::Storage(e) => PaymentError::Storage(e),
            other => PaymentError::Billing(other),
        }
    }
}

impl From<GatewayError> for PaymentError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Unauthorized => PaymentError::KeysRefused,
            GatewayError::NotFound => PaymentError::NotFound,
            GatewayError::Refused(m) => PaymentError::GatewayRefused(m),
            GatewayError::Declined(d) => PaymentError::Declined(d),
            GatewayError::Unavailable(m) => PaymentError::GatewayUnavailable(m),
        }
    }
}

impl From<TransactionError> for PaymentError {
    fn from(e: TransactionError) -> Self {
        if e.is_contention() {
            PaymentError::Conflict
        } else {
            PaymentError::Storage(e.into())
        }
    }
}

/// What the customer's browser needs to pay (or save a card) at the gateway.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Checkout {
    pub gateway: GatewayKind,
    /// For Stripe.js (Elements): the provider's publishable key and the payment's client
    /// secret. Shown to this customer only, never stored.
    pub publishable_key: String,
    pub client_secret: String,
    /// The gateway's own page, where it has one (the embedded test gateway).
    pub url: Option<String>,
    /// Where the browser comes back to.
    pub return_url: String,
}

/// The provider's connection as staff see it: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub gateway: GatewayKind,
    pub publishable_key: String,
    pub key_last4: String,
    pub connected_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub connected_at: time::OffsetDateTime,
    /// The address the gateway's webhooks must be sent to.
    pub webhook_path: String,
}

pub struct ConnectInput {
    pub publishable_key: String,
    pub secret_key: String,
    pub webhook_secret: String,
}

/// What a webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// Not about anything of ours (another event type, a payment we never started).
    Ignored,
}

pub struct Payments {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    gateway: Arc<dyn PaymentGateway>,
    sealer: Sealer,
    billing: Billing,
    tenants: Tenants,
    accounts: crate::domain::accounts::Accounts,
    links: SiteLinks,
    credentials: Credentials,
}

impl Payments {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        gateway: Arc<dyn PaymentGateway>,
        sealer: Sealer,
        billing: Billing,
        links: SiteLinks,
        credentials: Credentials,
    ) -> Self {
        Payments {
            tenants: Tenants::new(table.clone(), clock.clone(), cursors.clone()),
            accounts: crate::domain::accounts::Accounts::new(table.clone(), clock.clone(), cursors),
            table,
            clock,
            gateway,
            sealer,
            billing,
            links,
            credentials,
        }
    }

    // The provider's connection and settings.

    pub async fn connection(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<ConnectionView>, PaymentError> {
        let Some(item) = self.table.get(&record::connection_key(tenant)).await? else {
            return Ok(None);
        };
        let c = record::connection_from(&item)?;
        Ok(Some(self.view(tenant, c).await?))
    }

    async fn view(&self, tenant: &TenantId, c: Connection) -> Result<ConnectionView, PaymentError> {
        let slug = self
            .tenants
            .get(tenant)
            .await
            .map_err(|_| PaymentError::NotFound)?
            .slug;
        Ok(ConnectionView {
            gateway: c.gateway,
            publishable_key: c.publishable_key,
            key_last4: c.key_last4,
            connected_by: c.connected_by,
            connected_at: c.connected_at,
            webhook_path: format!("/v1/webhooks/stripe/{slug}"),
        })
    }

    /// Connects (or reconnects) the provider's gateway account: the keys are checked with
    /// the gateway, then kept sealed.
    pub async fn connect(
        &self,
        tenant: &TenantId,
        input: ConnectInput,
        by: &str,
    ) -> Result<ConnectionView, PaymentError> {
        let publishable = input.publishable_key.trim().to_owned();
        let secret = input.secret_key.trim().to_owned();
        let webhook_secret = input.webhook_secret.trim().to_owned();
        let mut v = Violations::default();
        let well_formed = |s: &str, prefixes: &[&str]| {
            prefixes.iter().any(|p| s.starts_with(p))
                && (12..=255).contains(&s.len())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !well_formed(&publishable, &["pk_test_", "pk_live_"]) {
            v.add(
                "/publishable_key",
                "a publishable key (pk_test_… or pk_live_…)",
            );
        }
        if !well_formed(&secret, &["sk_test_", "sk_live_", "rk_test_", "rk_live_"]) {
            v.add("/secret_key", "a secret or restricted key (sk_… or rk_…)");
        }
        if !well_formed(&webhook_secret, &["whsec_"]) {
            v.add(
                "/webhook_secret",
                "the webhook endpoint's signing secret (whsec_…)",
            );
        }
        if publishable.starts_with("pk_live_")
            != (secret.starts_with("sk_live_") || secret.starts_with("rk_live_"))
        {
            v.add(
                "/secret_key",
                "the same mode (test or live) as the publishable key",
            );
        }
        v.into_result().map_err(PaymentError::Invalid)?;
        let keys = GatewayKeys {
            secret_key: secret.clone(),
            webhook_secret: webhook_secret.clone(),
        };
        self.gateway.check(&keys).await?;
        let connection = Connection {
            gateway: self.gateway.kind(),
            publishable_key: publishable,
            secret_key_sealed: self.sealer.seal(&secret),
            webhook_secret_sealed: self.sealer.seal(&webhook_secret),
            key_last4: crate::ports::payments::last_four(&secret),
            connected_by: by.to_owned(),
            connected_at: self.clock.now(),
        };
        self.table
            .put(record::connection_item(tenant, &connection)?, None)
            .await?;
        self.view(tenant, connection).await
    }

    pub async fn disconnect(&self, tenant: &TenantId) -> Result<(), PaymentError> {
        self.table
            .delete(&record::connection_key(tenant), None)
            .await?;
        Ok(())
    }

    async fn keys(&self, tenant: &TenantId) -> Result<(Connection, GatewayKeys), PaymentError> {
        let item = self
            .table
            .get(&record::connection_key(tenant))
            .await?
            .ok_or(PaymentError::NotConnected)?;
        let c = record::connection_from(&item)?;
        let open = |sealed: &str| {
            self.sealer.open(sealed).map_err(|e| {
                PaymentError::Storage(TableError::Unreadable(format!("the gateway keys: {e}")))
            })
        };
        let keys = GatewayKeys {
            secret_key: open(&c.secret_key_sealed)?,
            webhook_secret: open(&c.webhook_secret_sealed)?,
        };
        Ok((c, keys))
    }

    pub async fn settings(&self, tenant: &TenantId) -> Result<PaymentSettings, PaymentError> {
        let item = self.table.get(&record::settings_key(tenant)).await?;
        Ok(record::settings_from(item.as_ref())?)
    }

    pub async fn set_settings(
        &self,
        tenant: &TenantId,
        settings: PaymentSettings,
        stamp: &Stamp,
    ) -> Result<PaymentSettings, PaymentError> {
        let mut v = Violations::default();
        if settings.retry_days.len() > 5 {
            v.add("/retry_days", "at most 5 retries");
        }
        if settings.retry_days.windows(2).any(|w| w[0] >= w[1])
            || settings.retry_days.iter().any(|d| !(1..=30).contains(d))
        {
            v.add("/retry_days", "ascending days, each 1 to 30");
        }
        v.into_result().map_err(PaymentError::Invalid)?;
        let mut writes = vec![Write::Put {
            item: record::settings_item(tenant, &settings)?,
            condition: None,
        }];
        writes.extend(stamp.writes());
        self.table.transact(writes).await?;
        Ok(settings)
    }

    // An account's cards and autopay.

    pub async fn wallet(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Wallet, PaymentError> {
        let item = self.table.get(&record::wallet_key(tenant, account)).await?;
        Ok(record::wallet_from(item.as_ref())?.0)
    }

    /// The account's customer at the gateway, made on first need (once, however many ask:
    /// the gateway call's key is the account's, and the first customer kept wins).
    async fn customer(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        keys: &GatewayKeys,
    ) -> Result<String, PaymentError> {
        if let Some(customer) = self.wallet(tenant, account).await?.customer {
            return Ok(customer);
        }
        let name = self.billing_account_name(tenant, account).await?;
        let made = self
            .gateway
            .create_customer(
                keys,
                &name,
                &[
                    ("tenant".into(), tenant.to_string()),
                    ("account".into(), account.to_string()),
                ],
                &format!("selfcare-customer-{tenant}-{account}"),
            )
            .await?;
        let wallet = self
            .change_wallet(tenant, account, |wallet| {
                wallet.customer.get_or_insert_with(|| made.clone());
                Ok(())
            })
            .await?;
        Ok(wallet.customer.unwrap_or(made))
    }

    async fn billing_account_name(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<String, PaymentError> {
        let a = self
            .accounts
            .get(tenant, account)
            .await
            .map_err(|_| PaymentError::NotFound)?;
        Ok(format!("{} ({})", a.name, a.number))
    }

    /// Starts saving a card: the gateway's set-up, for the customer's browser.
    pub async fn start_saving_card(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Checkout, PaymentError> {
        let (connection, keys) = self.keys(tenant).await?;
        let wallet = self.wallet(tenant, account).await?;
        if wallet.cards.len() >= MOST_CARDS {
            let mut v = Violations::default();
            v.add("", "at most 5 cards: remove one first");
            return Err(PaymentError::Invalid(v));
        }
        let customer = self.customer(tenant, account, &keys).await?;
        let setup = self
            .gateway
            .create_setup(
                &keys,
                &customer,
                &[
                    ("tenant".into(), tenant.to_string()),
                    ("account".into(), account.to_string()),
                ],
                &format!("selfcare-setup-{}", ulid::Ulid::new()),
            )
            .await?;
        let return_url = self
            .portal_page(tenant, &format!("payments/cards?setup={}", setup.id))
            .await?;
        Ok(Checkout {
            gateway: connection.gateway,
            publishable_key: connection.publishable_key,
            url: self.gateway.checkout_url(&setup.client_secret, &return_url),
            client_secret: setup.client_secret,
            return_url,
        })
    }

    /// Keeps the card a finished set-up saved (once, however often it is told). The first
    /// card becomes the default.
    pub async fn finish_saving_card(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        setup_id: &str,
    ) -> Result<Wallet, PaymentError> {
        let (_, keys) = self.keys(tenant).await?;
        let setup = self.gateway.setup(&keys, setup_id).await?;
        // A set-up of another account (or tenant) is not this account's to finish.
        if setup
            .metadata
            .iter()
            .find(|(k, _)| k == "account")
            .map(|(_, v)| v.as_str())
            != Some(account.to_string().as_str())
            || setup
                .metadata
                .iter()
                .find(|(k, _)| k == "tenant")
                .map(|(_, v)| v.as_str())
                != Some(tenant.to_string().as_str())
        {
            return Err(PaymentError::NotFound);
        }
        let (SetupStatus::Succeeded, Some(method)) = (setup.status, setup.payment_method) else {
            let mut v = Violations::default();
            v.add("/setup", "the card was not saved: try again");
            return Err(PaymentError::Invalid(v));
        };
        let card = self.gateway.card(&keys, &method).await?;
        self.change_wallet(tenant, account, |wallet| {
            if !wallet.cards.iter().any(|c| c.id == method) {
                wallet.cards.push(SavedCard {
                    id: method.clone(),
                    card: card.clone(),
                    added_at: self.clock.now(),
                });
            }
            if wallet.default_card.is_none() {
                wallet.default_card = Some(method.clone());
            }
            Ok(())
        })
        .await
    }

    async fn change_wallet(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        change: impl Fn(&mut Wallet) -> Result<(), PaymentError>,
    ) -> Result<Wallet, PaymentError> {
        for _ in 0..8 {
            let item = self.table.get(&record::wallet_key(tenant, account)).await?;
            let (mut wallet, version) = record::wallet_from(item.as_ref())?;
            let before = wallet.clone();
            change(&mut wallet)?;
            if wallet == before {
                // Nothing to write (the card is kept already, the customer made).
                return Ok(wallet);
            }
            match self
                .table
                .transact(vec![record::wallet_write(
                    tenant, account, &wallet, version,
                )?])
                .await
            {
                Ok(()) => return Ok(wallet),
                Err(e) if lost_race(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Conflict)
    }

    pub async fn set_default_card(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        card: &str,
    ) -> Result<Wallet, PaymentError> {
        self.change_wallet(tenant, account, |wallet| {
            if !wallet.cards.iter().any(|c| c.id == card) {
                return Err(PaymentError::NotFound);
            }
            wallet.default_card = Some(card.to_owned());
            Ok(())
        })
        .await
    }

    pub async fn remove_card(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        card: &str,
    ) -> Result<Wallet, PaymentError> {
        let settings = self.settings(tenant).await?;
        let wallet = self
            .change_wallet(tenant, account, |wallet| {
                if !wallet.cards.iter().any(|c| c.id == card) {
                    return Err(PaymentError::NotFound);
                }
                if wallet.cards.len() == 1 && wallet.autopay && settings.autopay_required {
                    return Err(PaymentError::AutopayRequired);
                }
                wallet.cards.retain(|c| c.id != card);
                if wallet.default_card.as_deref() == Some(card) {
                    wallet.default_card = wallet.cards.first().map(|c| c.id.clone());
                }
                if wallet.cards.is_empty() {
                    wallet.autopay = false;
                }
                Ok(())
            })
            .await?;
        // Forgotten at the gateway too; kept in our wallet no more either way.
        if let Ok((_, keys)) = self.keys(tenant).await
            && let Err(e) = self.gateway.detach(&keys, card).await
        {
            tracing::warn!(error = %e, "a removed card could not be detached at the gateway");
        }
        Ok(wallet)
    }

    pub async fn set_autopay(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        on: bool,
    ) -> Result<Wallet, PaymentError> {
        let settings = self.settings(tenant).await?;
        self.change_wallet(tenant, account, |wallet| {
            if !on && settings.autopay_required {
                return Err(PaymentError::AutopayRequired);
            }
            if on && wallet.default_card.is_none() {
                return Err(PaymentError::NoCard);
            }
            wallet.autopay = on;
            Ok(())
        })
        .await
    }

    // Paying.

    /// Starts a card payment of an invoice (all it owes, or `amount` of it) or of any
    /// amount ahead. An invoice has one payment open at a time: asking again (twenty clicks)
    /// answers the same one. `key`, the request's idempotency key, does the same for
    /// amounts paid ahead.
    pub async fn start(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: Option<&str>,
        amount: Option<i64>,
        key: Option<&str>,
        by: &str,
    ) -> Result<(CardPayment, Checkout), PaymentError> {
        let (connection, keys) = self.keys(tenant).await?;
        let currency = self.billing.settings(tenant).await?.currency;
        let (amount, invoice_number, slot) = match invoice {
            Some(id) => {
                let invoice = self.billing.invoice(tenant, account, id).await?;
                let owed = invoice.outstanding();
                if owed <= 0 {
                    return Err(PaymentError::NothingOwed);
                }
                let amount = amount.unwrap_or(owed);
                if !(1..=owed).contains(&amount) {
                    let mut v = Violations::default();
                    v.add(
                        "/amount_minor",
                        "more than zero and at most what the invoice owes",
                    );
                    return Err(PaymentError::Invalid(v));
                }
                (amount, Some(invoice.number), Some(id.to_owned()))
            }
            None => {
                let Some(amount) = amount.filter(|a| (1..=MAX_CARD_PAYMENT).contains(a)) else {
                    let mut v = Violations::default();
                    v.add("/amount_minor", "more than zero and at most 1,000,000.00");
                    return Err(PaymentError::Invalid(v));
                };
                (amount, None, key.map(|k| format!("ahead:{k}")))
            }
        };
        let customer = self.customer(tenant, account, &keys).await?;
        let payment = loop {
            // The payment already open on this invoice (or under this key), if any.
            let mut replacing = None;
            if let Some(slot) = &slot
                && let Some(claim) = self
                    .table
                    .get(&record::open_on_invoice_key(tenant, account, slot))
                    .await?
            {
                let open_id = record::named_payment(&claim).unwrap_or_default().to_owned();
                if let Some((open, version)) = self.read(tenant, account, &open_id).await? {
                    let open = self.refresh(tenant, account, open, version, &keys).await?;
                    let reusable = !open.status.is_final()
                        && (open.amount == amount || open.status == CardPaymentStatus::Processing);
                    let same_key = invoice.is_none();
                    if reusable || (same_key && open.status == CardPaymentStatus::Succeeded) {
                        break open;
                    }
                    if open.status == CardPaymentStatus::Succeeded {
                        // Paid while this was asked: the invoice owes less now.
                        return Err(PaymentError::NothingOwed);
                    }
                }
                replacing = Some(open_id);
            }
            let now = self.clock.now();
            let payment = CardPayment {
                charge: None,
                fee: None,
                id: CardPaymentId::generate(now).to_string(),
                account: account.to_string(),
                invoice: invoice.map(str::to_owned),
                invoice_number: invoice_number.clone(),
                amount,
                currency: currency.clone(),
                status: CardPaymentStatus::Pending,
                intent: None,
                failure: None,
                failure_code: None,
                card: None,
                origin: Origin::Portal,
                refunded: 0,
                attempts: 1,
                next_retry_on: None,
                started_by: by.to_owned(),
                created_at: now,
                updated_at: now,
                succeeded_at: None,
            };
            let mut tx = Transaction::new();
            tx.add(
                "payment",
                record::payment_write(tenant, account, &payment, None)?,
            );
            if let Some(slot) = &slot {
                tx.add(
                    "open payment",
                    record::open_on_invoice_write(
                        tenant,
                        account,
                        slot,
                        &payment.id,
                        replacing.as_deref(),
                    ),
                );
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => break payment,
                Err(TransactionError::ConditionFailed("open payment")) => continue,
                Err(e) if e.is_contention() => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let intent = self
            .intent_for(tenant, account, &payment, &customer, None, &keys)
            .await?;
        let payment = match self.read(tenant, account, &payment.id).await? {
            Some((p, v)) => self.apply(tenant, account, p, v, &intent, &keys).await?,
            None => payment,
        };
        let return_url = self
            .portal_page(tenant, &format!("payments/{}", payment.id))
            .await?;
        Ok((
            payment,
            Checkout {
                gateway: connection.gateway,
                publishable_key: connection.publishable_key,
                url: self
                    .gateway
                    .checkout_url(&intent.client_secret, &return_url),
                client_secret: intent.client_secret,
                return_url,
            },
        ))
    }

    /// The gateway's payment for ours: made once (the same idempotency key answers the same
    /// one), its id kept on our record and in the tenant's index.
    async fn intent_for(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: &CardPayment,
        customer: &str,
        saved_card: Option<&str>,
        keys: &GatewayKeys,
    ) -> Result<crate::ports::payments::Intent, PaymentError> {
        if let Some(id) = &payment.intent {
            return Ok(self.gateway.intent(keys, id).await?);
        }
        let request = NewIntent {
            amount: payment.amount,
            currency: payment.currency.to_lowercase(),
            customer: customer.to_owned(),
            saved_card: saved_card.map(str::to_owned),
            metadata: vec![
                ("tenant".into(), tenant.to_string()),
                ("account".into(), account.to_string()),
                ("payment".into(), payment.id.clone()),
            ],
        };
        let key = format!("selfcare-{}-{}", payment.id, payment.attempts);
        let intent = self.gateway.create_intent(keys, &request, &key).await?;
        self.table
            .transact(vec![record::intent_write(
                tenant,
                &intent.id,
                account,
                &payment.id,
            )])
            .await?;
        Ok(intent)
    }

    async fn read(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<(CardPayment, u64)>, PaymentError> {
        match self
            .table
            .get(&record::payment_key(tenant, account, id))
            .await?
        {
            Some(item) => Ok(Some(record::payment_from(&item)?)),
            None => Ok(None),
        }
    }

    /// A payment as it stands, read back from the gateway while it is not final (the page
    /// the customer comes back to after the gateway's).
    pub async fn payment(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<CardPayment, PaymentError> {
        let (payment, version) = self
            .read(tenant, account, id)
            .await?
            .ok_or(PaymentError::NotFound)?;
        if payment.status.is_final() && payment.status != CardPaymentStatus::Succeeded {
            return Ok(payment);
        }
        let Ok((_, keys)) = self.keys(tenant).await else {
            return Ok(payment);
        };
        self.refresh(tenant, account, payment, version, &keys).await
    }

    async fn refresh(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: CardPayment,
        version: u64,
        keys: &GatewayKeys,
    ) -> Result<CardPayment, PaymentError> {
        let Some(intent_id) = payment.intent.clone() else {
            return Ok(payment);
        };
        if payment.status == CardPaymentStatus::Failed
            || payment.status == CardPaymentStatus::Canceled
        {
            return Ok(payment);
        }
        let intent = self.gateway.intent(keys, &intent_id).await?;
        self.apply(tenant, account, payment, version, &intent, keys)
            .await
    }

    /// An account's card payments, newest first (at most 100).
    pub async fn payments(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<CardPayment>, PaymentError> {
        let page = self
            .table
            .query(record::payments_of(tenant, account).limit(100))
            .await?;
        Ok(page
            .items
            .iter()
            .map(|i| record::payment_from(i).map(|(p, _)| p))
            .collect::<Result<_, _>>()?)
    }

    /// Brings our payment to the gateway's state: the money to the ledger once it
    /// succeeded (before our record says so, so a crash between is finished by the next
    /// reader), refunds to the ledger, the receipt or the failure mailed once (with the
    /// record's change), and a failed autopay queued for its retry.
    async fn apply(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        mut payment: CardPayment,
        mut version: u64,
        intent: &crate::ports::payments::Intent,
        keys: &GatewayKeys,
    ) -> Result<CardPayment, PaymentError> {
        let status = CardPaymentStatus::from_intent(intent.status, intent.last_error.is_some());
        // A saved card that needs the customer (3-D Secure) cannot be charged off-session.
        let status =
            if payment.origin == Origin::Autopay && status == CardPaymentStatus::RequiresAction {
                CardPaymentStatus::Failed
            } else {
                status
            };
        let card = match &intent.payment_method {
            Some(method) if payment.card.is_none() => self.gateway.card(keys, method).await.ok(),
            _ => None,
        };
        // Into the ledger once: a payment stored as succeeded was recorded before its
        // record changed (a crash between the two is finished here, by the reference).
        if status == CardPaymentStatus::Succeeded && payment.status != CardPaymentStatus::Succeeded
        {
            let card_text = card
                .as_ref()
                .or(payment.card.as_ref())
                .map(model::card_words)
                .unwrap_or_else(|| "card".to_owned());
            self.billing
                .record_card_payment(
                    tenant,
                    account,
                    CardReceipt {
                        reference: &intent.id,
                        amount: intent.amount,
                        invoice: payment.invoice.as_deref(),
                        description: &card_text,
                    },
                )
                .await?;
        }
        loop {
            let mut changed = payment.clone();
            changed.intent = Some(intent.id.clone());
            if changed.charge.is_none() {
                changed.charge = intent.charge.clone();
            }
            if changed.card.is_none() {
                changed.card = card.clone();
            }
            let becomes = payment.status.may_become(status);
            if becomes {
                changed.status = status;
                match status {
                    CardPaymentStatus::Succeeded => {
                        changed.succeeded_at = Some(self.clock.now());
                        changed.failure = None;
                        changed.failure_code = None;
                        changed.next_retry_on = None;
                    }
                    CardPaymentStatus::Failed => {
                        let (code, message) = match &intent.last_error {
                            Some(d) => (d.code.clone(), d.message.clone()),
                            None => ("authentication_required".to_owned(), String::new()),
                        };
                        changed.failure = Some(model::decline_words(&code, &message));
                        changed.failure_code = Some(code);
                    }
                    _ => {}
                }
            }
            if changed == payment {
                break;
            }
            changed.updated_at = self.clock.now();
            let mut tx = Transaction::new();
            tx.add(
                "payment",
                record::payment_write(tenant, account, &changed, Some(version))?,
            );
            if becomes && status == CardPaymentStatus::Succeeded {
                tx.extend(
                    "receipt",
                    self.receipt(tenant, account, &changed, &intent.id).await?,
                );
            }
            if becomes && status == CardPaymentStatus::Failed {
                if payment.origin == Origin::Autopay {
                    changed.next_retry_on = self.next_retry(tenant, changed.attempts).await?;
                    tx = Transaction::new();
                    tx.add(
                        "payment",
                        record::payment_write(tenant, account, &changed, Some(version))?,
                    );
                    if let Some(on) = changed.next_retry_on {
                        tx.add(
                            "retry",
                            Write::Put {
                                item: record::retry_item(tenant, on, account, &changed.id),
                                condition: None,
                            },
                        );
                    }
                }
                tx.extend(
                    "failure mail",
                    self.failure_mail(tenant, account, &changed).await?,
                );
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => {
                    payment = changed;
                    break;
                }
                Err(e) if e.is_contention() => {
                    let (p, v) = self
                        .read(tenant, account, &payment.id)
                        .await?
                        .ok_or(PaymentError::NotFound)?;
                    payment = p;
                    version = v;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if payment.status == CardPaymentStatus::Succeeded {
            payment = self.apply_refunds(tenant, account, payment, keys).await?;
        }
        Ok(payment)
    }

    async fn apply_refunds(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: CardPayment,
        keys: &GatewayKeys,
    ) -> Result<CardPayment, PaymentError> {
        let Some(intent) = payment.intent.clone() else {
            return Ok(payment);
        };
        let refunds = self.gateway.refunds(keys, &intent).await?;
        let refunded: i64 = refunds
            .iter()
            .filter(|r| r.succeeded)
            .map(|r| r.amount)
            .sum();
        for refund in refunds.iter().filter(|r| r.succeeded) {
            self.billing
                .record_refund(
                    tenant,
                    account,
                    RefundReceipt {
                        payment_reference: &intent,
                        refund: &refund.id,
                        amount: refund.amount,
                    },
                )
                .await?;
        }
        if refunded == payment.refunded {
            return Ok(payment);
        }
        self.change_payment(tenant, account, &payment.id, |p| {
            let changes = p.refunded != refunded;
            p.refunded = refunded;
            changes
        })
        .await
    }

    /// Reads a payment, lets `change` edit it (answering whether it changed anything) and
    /// writes it on the version read; a writer that came first makes it read again.
    async fn change_payment(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
        mut change: impl FnMut(&mut CardPayment) -> bool,
    ) -> Result<CardPayment, PaymentError> {
        loop {
            let (mut p, version) = self
                .read(tenant, account, id)
                .await?
                .ok_or(PaymentError::NotFound)?;
            if !change(&mut p) {
                return Ok(p);
            }
            p.updated_at = self.clock.now();
            let write = record::payment_write(tenant, account, &p, Some(version))?;
            match self.table.transact(vec![write]).await {
                Ok(()) => return Ok(p),
                Err(e) if lost_race(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn next_retry(
        &self,
        tenant: &TenantId,
        attempts: u32,
    ) -> Result<Option<Date>, PaymentError> {
        let settings = self.settings(tenant).await?;
        let today = self.billing.today(tenant).await?;
        // The first try is attempt 1; retry n waits retry_days[n-1] days after the first
        // failure's day... counted from today, which is the day of the failed try.
        let previous = if attempts >= 2 {
            settings
                .retry_days
                .get(attempts as usize - 2)
                .copied()
                .unwrap_or(0)
        } else {
            0
        };
        Ok(settings
            .retry_days
            .get(attempts as usize - 1)
            .map(|d| today + time::Duration::days(i64::from(*d - previous))))
    }

    async fn receipt(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: &CardPayment,
        reference: &str,
    ) -> Result<Vec<Write>, PaymentError> {
        let facts = self.facts(tenant, payment, reference, None).await?;
        Ok(self
            .billing
            .mail_to_billing_contacts(tenant, account, move |_| {
                Notice::PaymentReceipt(facts.clone())
            })
            .await?)
    }

    async fn failure_mail(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: &CardPayment,
    ) -> Result<Vec<Write>, PaymentError> {
        // The customer watching the page sees why at once; mail is for payments made
        // without them (autopay).
        if payment.origin != Origin::Autopay {
            return Ok(Vec::new());
        }
        let reference = payment.intent.clone().unwrap_or_else(|| payment.id.clone());
        let facts = self
            .facts(tenant, payment, &reference, payment.next_retry_on)
            .await?;
        // Each contact who may pay gets a "fix your card" link of their own that signs
        // them in to the card page once; the account's own addresses get the page.
        let mut links = std::collections::BTreeMap::new();
        let mut writes = Vec::new();
        for recipient in self.billing.billing_recipients(tenant, account).await? {
            if let Some(login) = recipient.paying_login {
                let (link, write) = self
                    .credentials
                    .card_sign_in_link(tenant, &login)
                    .await
                    .map_err(|e| PaymentError::Storage(TableError::Unavailable(e.to_string())))?;
                links.insert(login, link);
                writes.push(write);
            }
        }
        writes.extend(
            self.billing
                .mail_to_billing_contacts(tenant, account, move |recipient| {
                    let mut facts = facts.clone();
                    if let Some(link) = recipient.paying_login.as_ref().and_then(|l| links.get(l)) {
                        facts.link = link.clone();
                        facts.signs_in = true;
                    }
                    Notice::PaymentFailed(facts)
                })
                .await?,
        );
        Ok(writes)
    }

    async fn facts(
        &self,
        tenant: &TenantId,
        payment: &CardPayment,
        reference: &str,
        retry_on: Option<Date>,
    ) -> Result<PaymentFacts, PaymentError> {
        Ok(PaymentFacts {
            amount: format!("{} {}", payment.currency, money::decimal(payment.amount)),
            card: payment
                .card
                .as_ref()
                .map(model::card_words)
                .unwrap_or_default(),
            reference: reference.to_owned(),
            invoice: payment.invoice_number.clone(),
            reason: payment.failure.clone(),
            link: self.portal_page(tenant, "payments").await?,
            signs_in: false,
            retry_on: retry_on.map(crate::domain::billing::dates::text),
        })
    }

    async fn portal_page(&self, tenant: &TenantId, page: &str) -> Result<String, PaymentError> {
        let t = self
            .tenants
            .get(tenant)
            .await
            .map_err(|_| PaymentError::NotFound)?;
        Ok(self.links.page(&t, page))
    }

    // Autopay and its retries.

    /// Charges the account's default card for a freshly issued invoice when autopay is on
    /// (on issue; on the due date the retry queue holds it till then). Once per invoice,
    /// however often the issue is delivered.
    pub async fn autopay(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice_id: &str,
    ) -> Result<Option<CardPayment>, PaymentError> {
        let wallet = self.wallet(tenant, account).await?;
        let (true, Some(card)) = (wallet.autopay, wallet.default_card.clone()) else {
            return Ok(None);
        };
        let Ok((_, keys)) = self.keys(tenant).await else {
            return Ok(None);
        };
        // Tried before (a second delivery of the issue): that payment, as it stands.
        let slot = format!("autopay:{invoice_id}");
        if let Some(claim) = self
            .table
            .get(&record::open_on_invoice_key(tenant, account, &slot))
            .await?
        {
            let id = record::named_payment(&claim).unwrap_or_default().to_owned();
            return Ok(self.read(tenant, account, &id).await?.map(|(p, _)| p));
        }
        let invoice = self.billing.invoice(tenant, account, invoice_id).await?;
        let owed = invoice.outstanding();
        if owed <= 0 {
            return Ok(None);
        }
        let settings = self.settings(tenant).await?;
        let now = self.clock.now();
        let due_later = settings.autopay_on == AutopayOn::DueDate
            && invoice.due_on > self.billing.today(tenant).await?;
        let payment = CardPayment {
            charge: None,
            fee: None,
            id: CardPaymentId::generate(now).to_string(),
            account: account.to_string(),
            invoice: Some(invoice.id.clone()),
            invoice_number: Some(invoice.number.clone()),
            amount: owed,
            currency: invoice.currency.clone(),
            status: CardPaymentStatus::Pending,
            intent: None,
            failure: None,
            failure_code: None,
            card: wallet
                .cards
                .iter()
                .find(|c| c.id == card)
                .map(|c| c.card.clone()),
            origin: Origin::Autopay,
            refunded: 0,
            attempts: if due_later { 0 } else { 1 },
            next_retry_on: due_later.then_some(invoice.due_on),
            started_by: "autopay".to_owned(),
            created_at: now,
            updated_at: now,
            succeeded_at: None,
        };
        let mut tx = Transaction::new();
        tx.add(
            "payment",
            record::payment_write(tenant, account, &payment, None)?,
        );
        tx.add(
            "open payment",
            record::open_on_invoice_write(tenant, account, &slot, &payment.id, None),
        );
        if due_later {
            tx.add(
                "retry",
                Write::Put {
                    item: record::retry_item(tenant, invoice.due_on, account, &payment.id),
                    condition: None,
                },
            );
        }
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => {}
            Err(TransactionError::ConditionFailed("open payment")) => {
                return Box::pin(self.autopay(tenant, account, invoice_id)).await;
            }
            Err(e) => return Err(e.into()),
        }
        if due_later {
            return Ok(Some(payment));
        }
        Ok(Some(
            self.charge_saved(tenant, account, payment, &card, &keys)
                .await?,
        ))
    }

    /// One try of a saved card for an autopay payment.
    async fn charge_saved(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: CardPayment,
        card: &str,
        keys: &GatewayKeys,
    ) -> Result<CardPayment, PaymentError> {
        let customer = self.customer(tenant, account, keys).await?;
        match self
            .intent_for(tenant, account, &payment, &customer, Some(card), keys)
            .await
        {
            Ok(intent) => {
                let (p, v) = self
                    .read(tenant, account, &payment.id)
                    .await?
                    .ok_or(PaymentError::NotFound)?;
                self.apply(tenant, account, p, v, &intent, keys).await
            }
            Err(PaymentError::Declined(decline)) => {
                let (p, v) = self
                    .read(tenant, account, &payment.id)
                    .await?
                    .ok_or(PaymentError::NotFound)?;
                // The gateway's failed payment, read back when the decline names it.
                if let Some(id) = &decline.intent
                    && let Ok(failed) = self.gateway.intent(keys, id).await
                {
                    return self.apply(tenant, account, p, v, &failed, keys).await;
                }
                // Declined at once with no payment to read back: the failure, from the words.
                let failed = crate::ports::payments::Intent {
                    id: p
                        .intent
                        .clone()
                        .unwrap_or_else(|| format!("declined-{}-{}", p.id, p.attempts)),
                    status: IntentStatus::RequiresPaymentMethod,
                    amount: p.amount,
                    currency: p.currency.clone(),
                    client_secret: String::new(),
                    last_error: Some(decline),
                    payment_method: Some(card.to_owned()),
                    charge: None,
                    metadata: Vec::new(),
                };
                self.apply(tenant, account, p, v, &failed, keys).await
            }
            Err(e) => Err(e),
        }
    }

    /// Tries again the failed autopays (and the ones held for their due date) whose day has
    /// come, for one provider: the default card as it is now.
    pub async fn retry_due(&self, tenant: &TenantId) -> Result<u32, PaymentError> {
        let Ok((_, keys)) = self.keys(tenant).await else {
            return Ok(0);
        };
        let today = self.billing.today(tenant).await?;
        let items =
            crate::store::query_all(self.table.as_ref(), record::retries_until(tenant, today))
                .await?;
        let mut tried = 0;
        for item in items {
            let Some((account, id)) = record::retry_from(&item) else {
                continue;
            };
            let key = crate::ports::table::Key::of(&item)
                .ok_or_else(|| TableError::Unreadable("a retry has no key".into()))?;
            // One payment's trouble neither stops the others nor loses its retry: it is
            // logged and its retry stays for the next schedule.
            let done = match self.read(tenant, &account, &id).await {
                Ok(Some((payment, _))) => self
                    .retry_one(tenant, &account, payment, &keys)
                    .await
                    .map(|_| tried += 1),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => self.table.delete(&key, None).await?,
                Err(error) => {
                    tracing::warn!(tenant = %tenant, account = %account, payment = %id, %error,
                        "an autopay retry failed; tried again with the next schedule");
                }
            }
        }
        Ok(tried)
    }

    async fn retry_one(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        payment: CardPayment,
        keys: &GatewayKeys,
    ) -> Result<CardPayment, PaymentError> {
        if payment.status == CardPaymentStatus::Succeeded || payment.origin != Origin::Autopay {
            return Ok(payment);
        }
        if !may_try_again(&payment) {
            // The last try's outcome is not known here (a charge in flight, a crash after
            // it): read it back from the gateway rather than charge again.
            return self.payment(tenant, account, &payment.id).await;
        }
        let invoice = match &payment.invoice {
            Some(id) => Some(self.billing.invoice(tenant, account, id).await?),
            None => None,
        };
        let owed = invoice.as_ref().map_or(0, |i| i.outstanding());
        let wallet = self.wallet(tenant, account).await?;
        let card = wallet.default_card.clone();
        let card_summary = wallet
            .cards
            .iter()
            .find(|c| Some(&c.id) == card.as_ref())
            .map(|c| c.card.clone());
        let mut new_try = false;
        let p = self
            .change_payment(tenant, account, &payment.id, |p| {
                new_try = false;
                if p.attempts != payment.attempts || !may_try_again(p) {
                    // Another retry (the schedule, a staff member) came first.
                    return false;
                }
                if owed <= 0 || card.is_none() {
                    // Paid another way meanwhile, or no card left to try.
                    if owed <= 0 {
                        p.status = CardPaymentStatus::Canceled;
                    }
                    p.next_retry_on = None;
                } else {
                    // A new try: a new gateway payment for what is owed now.
                    p.attempts += 1;
                    p.amount = owed;
                    p.intent = None;
                    p.charge = None;
                    p.status = CardPaymentStatus::Pending;
                    p.failure = None;
                    p.failure_code = None;
                    p.next_retry_on = None;
                    p.card = card_summary.clone();
                    new_try = true;
                }
                true
            })
            .await?;
        match card {
            Some(card) if new_try => self.charge_saved(tenant, account, p, &card, keys).await,
            _ => Ok(p),
        }
    }

    /// Staff try a failed autopay again now.
    pub async fn retry(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<CardPayment, PaymentError> {
        let (_, keys) = self.keys(tenant).await?;
        let (payment, _) = self
            .read(tenant, account, id)
            .await?
            .ok_or(PaymentError::NotFound)?;
        if payment.origin != Origin::Autopay || payment.status != CardPaymentStatus::Failed {
            return Err(PaymentError::NotRetryable);
        }
        if let Some(on) = payment.next_retry_on {
            self.table
                .delete(&record::retry_key(tenant, on, account, id), None)
                .await?;
        }
        self.retry_one(tenant, account, payment, &keys).await
    }

    // Refunds.

    /// Refunds `amount` (all that is left when None) of a succeeded payment. The ledger and
    /// the invoice follow; once per `key` (the request's idempotency key) at the gateway.
    pub async fn refund(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
        amount: Option<i64>,
        key: &str,
    ) -> Result<CardPayment, PaymentError> {
        let (_, keys) = self.keys(tenant).await?;
        let payment = self.payment(tenant, account, id).await?;
        if payment.status != CardPaymentStatus::Succeeded {
            return Err(PaymentError::NotRefundable(
                "the payment has not succeeded".into(),
            ));
        }
        let left = payment.amount - payment.refunded;
        let amount = amount.unwrap_or(left);
        if amount <= 0 || amount > left {
            let mut v = Violations::default();
            v.add(
                "/amount_minor",
                format!("more than zero and at most {}", money::decimal(left)),
            );
            return Err(PaymentError::Invalid(v));
        }
        let intent = payment
            .intent
            .clone()
            .ok_or_else(|| PaymentError::NotRefundable("no gateway payment".into()))?;
        self.gateway
            .refund(
                &keys,
                &intent,
                amount,
                &format!("selfcare-refund-{id}-{key}"),
            )
            .await?;
        self.apply_refunds(tenant, account, payment, &keys).await
    }

    // Webhooks.

    /// A webhook for the provider `slug`: the signature checked on the raw body with the
    /// provider's signing secret, the event recorded by its id once handled (a second
    /// delivery changes nothing), and the payment it is about brought to the gateway's
    /// present state.
    pub async fn webhook(
        &self,
        slug: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<Handled, PaymentError> {
        let tenant = self
            .tenants
            .id_by_slug(slug)
            .await
            .map_err(|_| PaymentError::NotFound)?;
        // A request for this provider from here on (the second wall, crate::store::scope).
        crate::store::scope::enter(&tenant);
        let (_, keys) = self.keys(&tenant).await.map_err(|e| match e {
            PaymentError::NotConnected => PaymentError::NotFound,
            other => other,
        })?;
        webhook::verify(
            &keys.webhook_secret,
            signature,
            body,
            self.clock.now().unix_timestamp(),
        )?;
        let event = webhook::parse(body).map_err(|e| PaymentError::NotAnEvent(e.to_string()))?;
        if self
            .table
            .get(&record::event_key(&tenant, &event.id))
            .await?
            .is_some()
        {
            return Ok(Handled::Duplicate);
        }
        let handled = match (&event.intent, &event.setup) {
            (Some(intent), _) => self.sync_intent(&tenant, intent, &keys).await?,
            (None, Some(setup)) => self.sync_setup(&tenant, setup, &keys).await?,
            (None, None) => Handled::Ignored,
        };
        self.table
            .put(
                record::event_item(&tenant, &event.id, &event.kind, self.clock.now()),
                None,
            )
            .await?;
        Ok(handled)
    }

    async fn sync_intent(
        &self,
        tenant: &TenantId,
        intent_id: &str,
        keys: &GatewayKeys,
    ) -> Result<Handled, PaymentError> {
        let intent = match self.gateway.intent(keys, intent_id).await {
            Ok(i) => i,
            Err(GatewayError::NotFound) => return Ok(Handled::Ignored),
            Err(e) => return Err(e.into()),
        };
        // Ours by the index, or (a crash before the index was written) by the metadata we
        // gave it, which must name this tenant.
        let owner = match self
            .table
            .get(&record::intent_key(tenant, intent_id))
            .await?
        {
            Some(item) => record::intent_owner(&item),
            None if intent.metadata("tenant") == Some(tenant.to_string().as_str()) => {
                match (intent.metadata("account"), intent.metadata("payment")) {
                    (Some(a), Some(p)) => a.parse().ok().map(|a| (a, p.to_owned())),
                    _ => None,
                }
            }
            None => None,
        };
        let Some((account, payment_id)) = owner else {
            return Ok(Handled::Ignored);
        };
        let Some((payment, version)) = self.read(tenant, &account, &payment_id).await? else {
            return Ok(Handled::Ignored);
        };
        if payment.intent.is_none() {
            self.table
                .transact(vec![record::intent_write(
                    tenant,
                    intent_id,
                    &account,
                    &payment_id,
                )])
                .await?;
        } else if payment.intent.as_deref() != Some(intent_id) {
            // An earlier try of a retried autopay: its own state no longer matters.
            return Ok(Handled::Ignored);
        }
        self.apply(tenant, &account, payment, version, &intent, keys)
            .await?;
        Ok(Handled::Applied)
    }

    async fn sync_setup(
        &self,
        tenant: &TenantId,
        setup_id: &str,
        keys: &GatewayKeys,
    ) -> Result<Handled, PaymentError> {
        let setup = match self.gateway.setup(keys, setup_id).await {
            Ok(s) => s,
            Err(GatewayError::NotFound) => return Ok(Handled::Ignored),
            Err(e) => return Err(e.into()),
        };
        let account = setup
            .metadata
            .iter()
            .find(|(k, _)| k == "account")
            .and_then(|(_, v)| v.parse::<AccountId>().ok());
        match (account, setup.status) {
            (Some(account), SetupStatus::Succeeded) => {
                match self.finish_saving_card(tenant, &account, setup_id).await {
                    Ok(_) => Ok(Handled::Applied),
                    Err(PaymentError::NotFound) => Ok(Handled::Ignored),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(Handled::Ignored),
        }
    }

    // Reports.

    /// The provider's card payments started between two of its days, oldest first.
    pub async fn payments_between(
        &self,
        tenant: &TenantId,
        from: Date,
        to: Date,
    ) -> Result<Vec<CardPayment>, PaymentError> {
        let zone = crate::domain::settings::zone(self.table.as_ref(), tenant).await?;
        let start = zone.start_of(from);
        let end = zone.start_of(to + time::Duration::days(1));
        // Bounds to the second with no zone mark: the keys are RFC 3339 in UTC with their
        // fraction of a second ("…T00:00:00.25Z"), which sorts after "…T00:00:00" but before
        // "…T00:00:00Z", so a payment in a period's first second would fall outside.
        let text = |t: time::OffsetDateTime| {
            t.to_offset(time::UtcOffset::UTC)
                .format(time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]"
                ))
                .unwrap_or_default()
        };
        let items = crate::store::query_all(
            self.table.as_ref(),
            record::payments_between(
                tenant,
                &text(start),
                &text(end - time::Duration::seconds(1)),
            ),
        )
        .await?;
        Ok(items
            .iter()
            .map(|i| record::payment_from(i).map(|(p, _)| p))
            .collect::<Result<_, _>>()?)
    }

    /// The provider's last check against the gateway, if one ran.
    pub async fn last_check(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<GatewayCheck>, PaymentError> {
        match self.table.get(&record::check_key(tenant)).await? {
            Some(item) => Ok(Some(record::check_from(&item)?)),
            None => Ok(None),
        }
    }

    /// Checks the gateway against the ledger now and keeps the result for staff (the
    /// console shows the last one).
    pub async fn check_gateway(&self, tenant: &TenantId) -> Result<GatewayCheck, PaymentError> {
        let differences = self.reconcile(tenant).await?;
        let check = GatewayCheck {
            checked_at: self.clock.now(),
            day: self.billing.today(tenant).await?,
            differences,
        };
        self.table
            .put(record::check_item(tenant, &check)?, None)
            .await?;
        if !check.differences.is_empty() {
            tracing::warn!(tenant = %tenant, differences = check.differences.len(),
                "the gateway's balance and the ledger differ");
        }
        Ok(check)
    }

    /// The daily check of a connected provider (the schedule's): once a provider day.
    pub async fn check_gateway_daily(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<GatewayCheck>, PaymentError> {
        if self.connection(tenant).await?.is_none() {
            return Ok(None);
        }
        let today = self.billing.today(tenant).await?;
        if self
            .last_check(tenant)
            .await?
            .is_some_and(|c| c.day == today)
        {
            return Ok(None);
        }
        Ok(Some(self.check_gateway(tenant).await?))
    }

    /// The gateway's recent balance movements that the ledger does not know (a charge or
    /// refund of no payment of ours), and our succeeded payments the gateway does not show.
    async fn reconcile(&self, tenant: &TenantId) -> Result<Vec<Difference>, PaymentError> {
        let (_, keys) = self.keys(tenant).await?;
        let movements = self.gateway.balance_movements(&keys, 100).await?;
        let oldest = movements.iter().map(|m| m.created).min();
        let today = self.billing.today(tenant).await?;
        let ours = self
            .payments_between(tenant, today - time::Duration::days(31), today)
            .await?;
        let mut charges = std::collections::BTreeMap::new();
        for p in ours
            .iter()
            .filter(|p| p.status == CardPaymentStatus::Succeeded)
        {
            if let Some(charge) = &p.charge {
                charges.insert(charge.clone(), p);
            } else if let Some(intent) = &p.intent
                && let Ok(i) = self.gateway.intent(&keys, intent).await
                && let Some(charge) = i.charge.clone()
            {
                charges.insert(charge, p);
            }
        }
        let mut out = Vec::new();
        for m in &movements {
            if let Some(p) = charges.get(&m.source)
                && p.fee.is_none()
                && m.amount > 0
            {
                // The balance shows the charge: its fee is known now (the card lines show it).
                let account: AccountId = p.account.parse().map_err(|_| PaymentError::NotFound)?;
                self.change_payment(tenant, &account, &p.id, |p| {
                    let changes = p.fee.is_none();
                    p.fee = Some(m.fee);
                    changes
                })
                .await?;
            }
            if m.amount > 0 && !charges.contains_key(&m.source) {
                out.push(Difference {
                    gateway_id: m.source.clone(),
                    payment: None,
                    amount: m.amount,
                    what: "a charge at the gateway that no payment here records".into(),
                });
            }
        }
        for (charge, p) in &charges {
            let recent = oldest.is_none_or(|o| p.created_at.unix_timestamp() >= o);
            if recent && !movements.iter().any(|m| &m.source == charge) {
                out.push(Difference {
                    gateway_id: charge.clone(),
                    payment: Some(p.id.clone()),
                    amount: p.amount,
                    what: "a payment recorded here that the gateway's balance does not show".into(),
                });
            }
        }
        Ok(out)
    }
}

/// A check of the gateway's balance against the ledger, kept for staff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GatewayCheck {
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: time::OffsetDateTime,
    /// The provider's day it ran on (the schedule checks once a day).
    #[serde(with = "crate::domain::billing::dates::iso")]
    pub day: Date,
    pub differences: Vec<Difference>,
}

/// A difference between the gateway's balance and the ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Difference {
    pub gateway_id: String,
    pub payment: Option<String>,
    /// Minor units.
    pub amount: i64,
    pub what: String,
}

/// May an autopay be charged again with a new try? Only once the last try is known to
/// have failed, or when none was made (held for its due date): a try whose outcome is not
/// known yet is read back, never charged over.
fn may_try_again(p: &CardPayment) -> bool {
    p.status == CardPaymentStatus::Failed
        || (p.status == CardPaymentStatus::Pending && p.intent.is_none())
}

/// Another writer changed the record first: read it again and retry.
fn lost_race(e: &TableError) -> bool {
    matches!(
        e,
        TableError::ConditionFailed
            | TableError::TransactionConditionFailed { .. }
            | TableError::TransactionConflict
    )
}
