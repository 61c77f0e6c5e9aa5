//! Card payments over HTTP: the portal's "make a payment", cards and autopay; the console's
//! gateway connection, payment settings, refunds, retries and reports; the gateway's
//! webhook. Handlers parse, call [`crate::domain::payments`] and map the result.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::billing::dates;
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::domain::payments::model::{
    AutopayOn, CardPayment, CardPaymentStatus, Origin, PaymentSettings, SavedCard, Wallet,
};
use crate::domain::payments::{
    Checkout, ConnectInput, ConnectionView, Difference, GatewayCheck, PaymentError,
};
use crate::domain::settings::Module;
use crate::http::access::{
    PortalAction, PortalUser, StaffUser, portal_account, require, visible_account,
};
use crate::http::problem::{JsonBody, Problem};
use crate::platform::Platform;
use crate::ports::payments::CardSummary;

impl From<PaymentError> for Problem {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Invalid(v) => Problem::from_violations(v),
            PaymentError::NotFound => Problem::not_found(),
            PaymentError::NotConnected => Problem::new(
                StatusCode::CONFLICT,
                "payments-not-set-up",
                "Card payments are not set up",
            )
            .detail("The provider has not connected a payment account yet."),
            PaymentError::NothingOwed => Problem::new(
                StatusCode::CONFLICT,
                "nothing-owed",
                "Nothing is left to pay on this invoice",
            ),
            PaymentError::AutopayRequired => Problem::new(
                StatusCode::CONFLICT,
                "autopay-required",
                "Your provider requires automatic payment",
            )
            .detail("Autopay stays on, with at least one card; add another card before removing this one."),
            PaymentError::NoCard => Problem::new(
                StatusCode::CONFLICT,
                "no-card",
                "Save a card first",
            ),
            PaymentError::NotRefundable(why) => Problem::new(
                StatusCode::CONFLICT,
                "not-refundable",
                "This payment cannot be refunded",
            )
            .detail(why),
            PaymentError::NotRetryable => Problem::new(
                StatusCode::CONFLICT,
                "not-retryable",
                "Only a failed automatic payment can be tried again",
            ),
            PaymentError::KeysRefused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "gateway-keys-refused",
                "The payment gateway refused these keys",
            )
            .field("/secret_key", "refused by the gateway"),
            PaymentError::Signature(e) => Problem::new(
                StatusCode::BAD_REQUEST,
                "webhook-signature-invalid",
                "The webhook's signature is not valid",
            )
            .detail(e.to_string()),
            PaymentError::NotAnEvent(why) => Problem::new(
                StatusCode::BAD_REQUEST,
                "webhook-not-an-event",
                "The webhook's body is not an event",
            )
            .detail(why),
            PaymentError::Declined(d) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "card-declined",
                "The card was declined",
            )
            .detail(crate::domain::payments::model::decline_words(&d.code, &d.message)),
            PaymentError::GatewayRefused(why) => Problem::new(
                StatusCode::CONFLICT,
                "gateway-refused",
                "The payment gateway refused the request",
            )
            .detail(why),
            PaymentError::GatewayUnavailable(why) => {
                tracing::warn!(error = %why, "the payment gateway is unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "gateway-unavailable",
                    "The payment gateway is not answering; try again shortly",
                )
            }
            PaymentError::Conflict => Problem::conflict("Others changed this at the same time; try again."),
            PaymentError::Billing(e) => e.into(),
            PaymentError::Storage(e) => e.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardPaymentView {
    pub id: String,
    pub status: CardPaymentStatus,
    pub origin: Origin,
    pub currency: String,
    /// Decimal in the currency's major unit.
    pub amount: String,
    pub refunded: String,
    pub invoice: Option<String>,
    pub invoice_number: Option<String>,
    /// Why it failed, in plain words.
    pub failure: Option<String>,
    pub card: Option<CardSummary>,
    /// The gateway's reference.
    pub reference: Option<String>,
    /// The next automatic try, for a failed autopay.
    pub next_retry_on: Option<String>,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub succeeded_at: Option<time::OffsetDateTime>,
}

impl From<CardPayment> for CardPaymentView {
    fn from(p: CardPayment) -> Self {
        CardPaymentView {
            id: p.id,
            status: p.status,
            origin: p.origin,
            currency: p.currency,
            amount: decimal(p.amount),
            refunded: decimal(p.refunded),
            invoice: p.invoice,
            invoice_number: p.invoice_number,
            failure: p.failure,
            card: p.card,
            reference: p.intent,
            next_retry_on: p.next_retry_on.map(dates::text),
            attempts: p.attempts,
            created_at: p.created_at,
            succeeded_at: p.succeeded_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartedPayment {
    pub payment: CardPaymentView,
    pub checkout: Checkout,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayInput {
    /// The invoice to pay (all it owes unless `amount_minor` says less); none: an amount
    /// paid ahead, a credit the next invoices use.
    #[schema(min_length = 26, max_length = 26)]
    pub invoice: Option<String>,
    /// Minor units (cents).
    #[schema(minimum = 1, maximum = 100000000_i64)]
    pub amount_minor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletView {
    pub cards: Vec<SavedCard>,
    pub default_card: Option<String>,
    pub autopay: bool,
    /// The provider requires autopay (it cannot be turned off; the last card stays).
    pub autopay_required: bool,
    pub autopay_on: AutopayOn,
    /// The provider takes card payments.
    pub payments_enabled: bool,
}

async fn wallet_view(
    platform: &Platform,
    user: &PortalUser,
    wallet: Wallet,
) -> Result<WalletView, Problem> {
    let payments = platform.payments();
    let settings = payments.settings(&user.session.tenant).await?;
    let enabled = payments.connection(&user.session.tenant).await?.is_some();
    Ok(WalletView {
        cards: wallet.cards,
        default_card: wallet.default_card,
        autopay: wallet.autopay,
        autopay_required: settings.autopay_required,
        autopay_on: settings.autopay_on,
        payments_enabled: enabled,
    })
}

/// The portal's account, for paying: the Payments module on, a role that pays, the
/// customer's own session.
async fn paying_account(
    platform: &Platform,
    user: &PortalUser,
) -> Result<crate::ids::AccountId, Problem> {
    let account = portal_account(platform, user, Module::Payments).await?;
    require(&user.session, PortalAction::Pay)?;
    Ok(account)
}

async fn reading_account(
    platform: &Platform,
    user: &PortalUser,
) -> Result<crate::ids::AccountId, Problem> {
    let account = portal_account(platform, user, Module::Payments).await?;
    require(&user.session, PortalAction::BillingView)?;
    Ok(account)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().unwrap_or_default();
            crate::store::idempotency::check(key)
                .map_err(|why| Problem::validation().field("/idempotency-key", why))?;
            Ok(Some(key.to_owned()))
        }
    }
}

/// The account's card payments, newest first (the last 100).
#[utoipa::path(get, path = "/v1/portal/payments", tag = "portal",
    responses((status = 200, body = Vec<CardPaymentView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn portal_payments(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Vec<CardPaymentView>>, Problem> {
    let account = reading_account(&platform, &user).await?;
    let list = platform
        .payments()
        .payments(&user.session.tenant, &account)
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Start a card payment of an invoice (all it owes, or part) or of any amount ahead. The
/// answer says how the browser pays at the gateway. Asked again for the same invoice, or
/// with the same `Idempotency-Key`, it answers the payment already started.
#[utoipa::path(post, path = "/v1/portal/payments", tag = "portal", request_body = PayInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request answer the first one's payment")),
    responses((status = 201, body = StartedPayment), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn start_payment(
    State(platform): State<Platform>,
    user: PortalUser,
    headers: HeaderMap,
    JsonBody(input): JsonBody<PayInput>,
) -> Result<(StatusCode, Json<StartedPayment>), Problem> {
    let account = paying_account(&platform, &user).await?;
    let key = idempotency_key(&headers)?;
    let (payment, checkout) = platform
        .payments()
        .start(
            &user.session.tenant,
            &account,
            input.invoice.as_deref(),
            input.amount_minor,
            key.as_deref(),
            &user.session.username,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(StartedPayment {
            payment: payment.into(),
            checkout,
        }),
    ))
}

/// One card payment as it stands (read back from the gateway while it is under way): the
/// page the customer comes back to.
#[utoipa::path(get, path = "/v1/portal/payments/{payment}", tag = "portal", params(("payment" = String, Path)),
    responses((status = 200, body = CardPaymentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn portal_payment(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(payment): Path<String>,
) -> Result<Json<CardPaymentView>, Problem> {
    let account = reading_account(&platform, &user).await?;
    let p = platform
        .payments()
        .payment(&user.session.tenant, &account, &payment)
        .await?;
    Ok(Json(p.into()))
}

/// The account's saved cards and autopay.
#[utoipa::path(get, path = "/v1/portal/wallet", tag = "portal",
    responses((status = 200, body = WalletView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn wallet(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<WalletView>, Problem> {
    let account = reading_account(&platform, &user).await?;
    let w = platform
        .payments()
        .wallet(&user.session.tenant, &account)
        .await?;
    Ok(Json(wallet_view(&platform, &user, w).await?))
}

/// Start saving a card: how the browser enters it at the gateway.
#[utoipa::path(post, path = "/v1/portal/wallet/cards", tag = "portal",
    responses((status = 201, body = Checkout), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn start_saving_card(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<(StatusCode, Json<Checkout>), Problem> {
    let account = paying_account(&platform, &user).await?;
    let checkout = platform
        .payments()
        .start_saving_card(&user.session.tenant, &account)
        .await?;
    Ok((StatusCode::CREATED, Json(checkout)))
}

/// Keep the card a finished set-up saved (the page the browser comes back to).
#[utoipa::path(post, path = "/v1/portal/wallet/setups/{setup}", tag = "portal", params(("setup" = String, Path)),
    responses((status = 200, body = WalletView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn finish_saving_card(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(setup): Path<String>,
) -> Result<Json<WalletView>, Problem> {
    let account = paying_account(&platform, &user).await?;
    let w = platform
        .payments()
        .finish_saving_card(&user.session.tenant, &account, &setup)
        .await?;
    Ok(Json(wallet_view(&platform, &user, w).await?))
}

/// Make a saved card the default (the one autopay charges).
#[utoipa::path(put, path = "/v1/portal/wallet/cards/{card}/default", tag = "portal", params(("card" = String, Path)),
    responses((status = 200, body = WalletView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_default_card(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(card): Path<String>,
) -> Result<Json<WalletView>, Problem> {
    let account = paying_account(&platform, &user).await?;
    let w = platform
        .payments()
        .set_default_card(&user.session.tenant, &account, &card)
        .await?;
    Ok(Json(wallet_view(&platform, &user, w).await?))
}

/// Remove a saved card (at the gateway too).
#[utoipa::path(delete, path = "/v1/portal/wallet/cards/{card}", tag = "portal", params(("card" = String, Path)),
    responses((status = 200, body = WalletView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_card(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(card): Path<String>,
) -> Result<Json<WalletView>, Problem> {
    let account = paying_account(&platform, &user).await?;
    let w = platform
        .payments()
        .remove_card(&user.session.tenant, &account, &card)
        .await?;
    Ok(Json(wallet_view(&platform, &user, w).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AutopayInput {
    pub autopay: bool,
}

/// Turn autopay on (the default card is charged for each invoice) or off.
#[utoipa::path(put, path = "/v1/portal/wallet/autopay", tag = "portal", request_body = AutopayInput,
    responses((status = 200, body = WalletView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn set_autopay(
    State(platform): State<Platform>,
    user: PortalUser,
    JsonBody(input): JsonBody<AutopayInput>,
) -> Result<Json<WalletView>, Problem> {
    let account = paying_account(&platform, &user).await?;
    let w = platform
        .payments()
        .set_autopay(&user.session.tenant, &account, input.autopay)
        .await?;
    Ok(Json(wallet_view(&platform, &user, w).await?))
}

// The console.

fn gateway_staff(staff: &StaffUser) -> Result<(), Problem> {
    super::billing::every_account_staff(staff)
}

/// Connecting or disconnecting the gateway decides where every card payment goes: staff
/// who manage billing for every account and the provider's settings.
fn gateway_owner(staff: &StaffUser) -> Result<(), Problem> {
    gateway_staff(staff)?;
    staff.require(Permission::SettingsManage)
}

/// The provider's payment gateway connection (never a secret).
#[utoipa::path(get, path = "/v1/console/payments/gateway", tag = "console",
    responses((status = 200, body = Option<ConnectionView>), (status = 403, body = Problem)))]
pub async fn gateway(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<Option<ConnectionView>>, Problem> {
    gateway_staff(&staff)?;
    Ok(Json(
        platform
            .payments()
            .connection(&staff.session.tenant)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ConnectGatewayInput {
    #[schema(min_length = 12, max_length = 255)]
    pub publishable_key: String,
    /// Kept sealed; never shown again (its last four characters are).
    #[schema(min_length = 12, max_length = 255)]
    pub secret_key: String,
    /// The webhook endpoint's signing secret.
    #[schema(min_length = 12, max_length = 255)]
    pub webhook_secret: String,
}

impl std::fmt::Debug for ConnectGatewayInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectGatewayInput(…)")
    }
}

/// Connect (or reconnect) the provider's payment account: the keys are checked with the
/// gateway, then kept sealed.
#[utoipa::path(put, path = "/v1/console/payments/gateway", tag = "console", request_body = ConnectGatewayInput,
    responses((status = 200, body = ConnectionView), (status = 403, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn connect_gateway(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(input): JsonBody<ConnectGatewayInput>,
) -> Result<Json<ConnectionView>, Problem> {
    gateway_owner(&staff)?;
    let view = platform
        .payments()
        .connect(
            &staff.session.tenant,
            ConnectInput {
                publishable_key: input.publishable_key,
                secret_key: input.secret_key,
                webhook_secret: input.webhook_secret,
            },
            &staff.session.username,
        )
        .await?;
    staff
        .record(
            &platform,
            None,
            "payments.gateway_connected",
            &format!("key …{}", view.key_last4),
        )
        .await?;
    Ok(Json(view))
}

/// Disconnect the payment account: card payments stop until it is connected again.
#[utoipa::path(delete, path = "/v1/console/payments/gateway", tag = "console",
    responses((status = 204), (status = 403, body = Problem)))]
pub async fn disconnect_gateway(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<StatusCode, Problem> {
    gateway_owner(&staff)?;
    platform
        .payments()
        .disconnect(&staff.session.tenant)
        .await?;
    staff
        .record(&platform, None, "payments.gateway_disconnected", "")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The provider's card payment settings: autopay required, when autopay charges, retries.
#[utoipa::path(get, path = "/v1/console/payments/settings", tag = "console",
    responses((status = 200, body = PaymentSettings), (status = 403, body = Problem)))]
pub async fn payment_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<PaymentSettings>, Problem> {
    gateway_staff(&staff)?;
    Ok(Json(
        platform.payments().settings(&staff.session.tenant).await?,
    ))
}

#[utoipa::path(put, path = "/v1/console/payments/settings", tag = "console", request_body = PaymentSettings,
    responses((status = 200, body = PaymentSettings), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_payment_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(input): JsonBody<PaymentSettings>,
) -> Result<Json<PaymentSettings>, Problem> {
    gateway_staff(&staff)?;
    let detail = format!("retry days {:?}", input.retry_days);
    let stamp = staff.stamp(&platform, None, "payments.settings_changed", &detail)?;
    let s = platform
        .payments()
        .set_settings(&staff.session.tenant, input, &stamp)
        .await?;
    Ok(Json(s))
}

/// An account's card payments, newest first (the last 100).
#[utoipa::path(get, path = "/v1/console/accounts/{account}/card-payments", tag = "console", params(("account" = String, Path)),
    responses((status = 200, body = Vec<CardPaymentView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn console_payments(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<Vec<CardPaymentView>>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let list = platform
        .payments()
        .payments(&staff.session.tenant, &account.id)
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundInput {
    /// Minor units; all that is left when absent.
    #[schema(minimum = 1, maximum = 100000000_i64)]
    pub amount_minor: Option<i64>,
}

/// Refund a card payment in full or in part. The ledger and the invoice follow. Requires an
/// `Idempotency-Key`: the same key never refunds twice.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/card-payments/{payment}/refunds", tag = "console",
    params(("account" = String, Path), ("payment" = String, Path),
        ("Idempotency-Key" = String, Header, description = "One refund per key")),
    request_body = RefundInput,
    responses((status = 200, body = CardPaymentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn refund(
    State(platform): State<Platform>,
    staff: StaffUser,
    headers: HeaderMap,
    Path((account, payment)): Path<(String, String)>,
    JsonBody(input): JsonBody<RefundInput>,
) -> Result<Json<CardPaymentView>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let Some(key) = idempotency_key(&headers)? else {
        return Err(Problem::validation().field("/idempotency-key", "required: one refund per key"));
    };
    let p = platform
        .payments()
        .refund(
            &staff.session.tenant,
            &account.id,
            &payment,
            input.amount_minor,
            &key,
        )
        .await?;
    staff
        .record(
            &platform,
            Some(account.id),
            "payments.refunded",
            &format!(
                "{} refunded {}",
                p.intent.clone().unwrap_or_default(),
                decimal(p.refunded)
            ),
        )
        .await?;
    Ok(Json(p.into()))
}

/// Try a failed automatic payment again now, with the account's default card.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/card-payments/{payment}/retry", tag = "console",
    params(("account" = String, Path), ("payment" = String, Path)),
    responses((status = 200, body = CardPaymentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn retry(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, payment)): Path<(String, String)>,
) -> Result<Json<CardPaymentView>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let p = platform
        .payments()
        .retry(&staff.session.tenant, &account.id, &payment)
        .await?;
    staff
        .record(&platform, Some(account.id), "payments.retried", &p.id)
        .await?;
    Ok(Json(p.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayCheckView {
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: time::OffsetDateTime,
    /// The provider's day it ran on (the schedule checks once a day).
    #[schema(format = Date)]
    pub day: String,
    /// The gateway's recent charges and refunds the ledger does not know, and succeeded
    /// card payments the gateway's balance does not show; none when they agree.
    pub differences: Vec<Difference>,
}

impl From<GatewayCheck> for GatewayCheckView {
    fn from(c: GatewayCheck) -> Self {
        GatewayCheckView {
            checked_at: c.checked_at,
            day: dates::text(c.day),
            differences: c.differences,
        }
    }
}

/// The last check of the gateway's balance against the ledger (the schedule runs one a
/// day; none before the first).
#[utoipa::path(get, path = "/v1/console/payments/reconciliation", tag = "console",
    responses((status = 200, body = Option<GatewayCheckView>), (status = 403, body = Problem)))]
pub async fn last_gateway_check(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<Option<GatewayCheckView>>, Problem> {
    gateway_staff(&staff)?;
    Ok(Json(
        platform
            .payments()
            .last_check(&staff.session.tenant)
            .await?
            .map(Into::into),
    ))
}

/// Check the gateway's balance against the ledger now (it also learns the gateway's fees).
#[utoipa::path(post, path = "/v1/console/payments/reconciliation", tag = "console",
    responses((status = 200, body = GatewayCheckView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn check_gateway(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<GatewayCheckView>, Problem> {
    gateway_staff(&staff)?;
    Ok(Json(
        platform
            .payments()
            .check_gateway(&staff.session.tenant)
            .await?
            .into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    pub received: bool,
    /// The event was delivered before and changed nothing.
    pub duplicate: bool,
}

/// The gateway's webhook for one provider (`Stripe-Signature` checked on the raw body with
/// the provider's signing secret, 300 seconds' tolerance). Answered 200 only once the
/// event is handled and recorded; a second delivery changes nothing.
#[utoipa::path(post, path = "/v1/webhooks/stripe/{provider}", tag = "meta", params(("provider" = String, Path),
        ("Stripe-Signature" = String, Header)),
    request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = WebhookAnswer), (status = 400, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn stripe_webhook(
    State(platform): State<Platform>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAnswer>, Problem> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let handled = platform
        .payments()
        .webhook(&provider, signature, &body)
        .await?;
    Ok(Json(WebhookAnswer {
        received: true,
        duplicate: handled == crate::domain::payments::Handled::Duplicate,
    }))
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_payments, start_payment))
        .routes(routes!(portal_payment))
        .routes(routes!(wallet))
        .routes(routes!(start_saving_card))
        .routes(routes!(finish_saving_card))
        .routes(routes!(set_default_card))
        .routes(routes!(remove_card))
        .routes(routes!(set_autopay))
        .routes(routes!(gateway, connect_gateway, disconnect_gateway))
        .routes(routes!(payment_settings, set_payment_settings))
        .routes(routes!(console_payments))
        .routes(routes!(refund))
        .routes(routes!(retry))
        .routes(routes!(last_gateway_check, check_gateway))
        .routes(routes!(stripe_webhook))
}
