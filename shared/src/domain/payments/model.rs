//! Card payments: what a payment is at each step, the cards an account keeps, the
//! provider's payment settings and its connection to a gateway.

use time::{Date, OffsetDateTime};

use crate::domain::billing::dates;
use crate::ports::payments::{CardSummary, GatewayKind, IntentStatus};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CardPaymentStatus {
    /// Waiting for the customer's card.
    Pending,
    /// Waiting for the customer's bank (3-D Secure).
    RequiresAction,
    /// The gateway is still working on it.
    Processing,
    Succeeded,
    /// Declined or not authenticated; `failure` says why in plain words.
    Failed,
    /// Given up before it was paid (another payment settled the invoice first).
    Canceled,
}

impl CardPaymentStatus {
    /// Nothing more happens to it at the gateway (a succeeded one may still be refunded).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// Where a payment of the gateway's in this state stands. A failure while the intent
    /// waits for another card shows as failed once the gateway has said why.
    pub fn from_intent(status: IntentStatus, has_error: bool) -> Self {
        match status {
            IntentStatus::Succeeded => Self::Succeeded,
            IntentStatus::Canceled => Self::Canceled,
            IntentStatus::Processing => Self::Processing,
            IntentStatus::RequiresAction => Self::RequiresAction,
            IntentStatus::RequiresPaymentMethod if has_error => Self::Failed,
            IntentStatus::RequiresPaymentMethod | IntentStatus::RequiresConfirmation => {
                Self::Pending
            }
        }
    }

    /// May the gateway's state take the payment from `self` to `next`? Succeeded is never
    /// left (only refunds follow it); a failure may be followed by the customer paying
    /// the same intent with another card.
    pub fn may_become(self, next: Self) -> bool {
        !matches!(self, Self::Succeeded | Self::Canceled) && self != next
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The customer paid from the portal.
    Portal,
    /// The default card, charged when an invoice was issued.
    Autopay,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CardPayment {
    pub id: String,
    pub account: String,
    /// The invoice it pays (settled first); None: an amount paid ahead.
    pub invoice: Option<String>,
    pub invoice_number: Option<String>,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    pub status: CardPaymentStatus,
    /// The gateway's payment.
    pub intent: Option<String>,
    /// The gateway's charge of a succeeded payment (what its balance moves by).
    #[serde(default)]
    pub charge: Option<String>,
    /// The gateway's fee in minor units, once its balance shows the charge.
    #[serde(default)]
    pub fee: Option<i64>,
    /// Why it failed, in plain words, and the gateway's code.
    pub failure: Option<String>,
    pub failure_code: Option<String>,
    pub card: Option<CardSummary>,
    pub origin: Origin,
    /// Minor units given back.
    #[serde(default)]
    pub refunded: i64,
    /// Autopay's tries (1 at issue, then one per dunning retry).
    #[serde(default)]
    pub attempts: u32,
    /// The provider's day of the next autopay retry, while one is due.
    #[serde(default, with = "dates::iso_option")]
    pub next_retry_on: Option<Date>,
    pub started_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub succeeded_at: Option<OffsetDateTime>,
}

/// A card kept at the gateway for later: only what may be shown of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SavedCard {
    /// The gateway's token for it.
    pub id: String,
    #[serde(flatten)]
    pub card: CardSummary,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// An account's cards and autopay choice, and its customer at the gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wallet {
    pub customer: Option<String>,
    pub cards: Vec<SavedCard>,
    pub default_card: Option<String>,
    pub autopay: bool,
}

/// The most cards an account keeps.
pub const MOST_CARDS: usize = 5;

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AutopayOn {
    /// The default card is charged when the invoice is issued.
    #[default]
    Issue,
    /// ... on the invoice's due date.
    DueDate,
}

/// A provider's card payment settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PaymentSettings {
    /// Customers cannot turn autopay off, nor remove their last card while it is on.
    pub autopay_required: bool,
    pub autopay_on: AutopayOn,
    /// Days after a failed autopay to try the card again, ascending (for example 1, 3, 7).
    pub retry_days: Vec<u16>,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            autopay_required: false,
            autopay_on: AutopayOn::Issue,
            retry_days: vec![1, 3, 7],
        }
    }
}

/// A provider's account at its gateway. The keys are sealed ([`super::sealing`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Connection {
    pub gateway: GatewayKind,
    pub publishable_key: String,
    pub secret_key_sealed: String,
    pub webhook_secret_sealed: String,
    /// The secret key's last four characters: all that is ever shown of it.
    pub key_last4: String,
    pub connected_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub connected_at: OffsetDateTime,
}

/// The bank's or gateway's reason, in words a customer understands.
pub fn decline_words(code: &str, message: &str) -> String {
    match code {
        "card_declined" | "generic_decline" | "do_not_honor" => {
            "Your bank declined the card. Try another card or ask your bank why.".into()
        }
        "insufficient_funds" => "The card has insufficient funds.".into(),
        "expired_card" => "The card has expired.".into(),
        "incorrect_cvc" | "invalid_cvc" => "The card's security code is incorrect.".into(),
        "incorrect_number" | "invalid_number" => "The card number is incorrect.".into(),
        "lost_card" | "stolen_card" | "pickup_card" => {
            "Your bank declined the card. Please call your bank.".into()
        }
        "processing_error" => "The payment could not be processed. Please try again.".into(),
        "authentication_required" => {
            "Your bank asks you to confirm this payment: pay it from the portal.".into()
        }
        "payment_intent_authentication_failure" => {
            "Your bank's security check (3-D Secure) was not completed.".into()
        }
        _ if message.is_empty() => "The payment did not go through.".into(),
        _ => format!("The payment did not go through: {message}"),
    }
}

/// "Visa ending 4242".
pub fn card_words(card: &CardSummary) -> String {
    let brand = match card.brand.as_str() {
        "visa" => "Visa".to_owned(),
        "mastercard" => "Mastercard".to_owned(),
        "amex" => "American Express".to_owned(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_else(|| "Card".to_owned())
        }
    };
    format!("{brand} ending {}", card.last4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_succeeded_payment_never_goes_back_whatever_arrives_later() {
        use CardPaymentStatus::*;
        assert!(!Succeeded.may_become(Failed));
        assert!(!Succeeded.may_become(Pending));
        assert!(Failed.may_become(Succeeded));
        assert!(Pending.may_become(Succeeded));
        assert!(RequiresAction.may_become(Failed));
        assert!(!Canceled.may_become(Succeeded));
    }

    #[test]
    fn declines_are_told_in_plain_words() {
        assert_eq!(
            decline_words("insufficient_funds", "Your card has insufficient funds."),
            "The card has insufficient funds."
        );
        assert!(decline_words("card_declined", "").starts_with("Your bank declined"));
        assert!(decline_words("weird", "Odd thing").ends_with("Odd thing"));
    }
}
