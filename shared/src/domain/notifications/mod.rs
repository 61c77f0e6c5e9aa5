//! The mail selfcare sends (credential-create, password reset, lock-out and second-factor
//! notices, usage alerts, an order's steps), each message typed with what only it says,
//! rendered from [`templates`] in the recipient's language, as text and HTML, with the
//! tenant's name, logo and contact details. Rendered when the change happens and written
//! to the outbox in the same transaction.

mod templates;

use minijinja::context;

use crate::domain::contact::EmailAddress;
use crate::domain::outbox::Message;
use crate::domain::settings::AccessSettings;
use crate::domain::settings::LANGUAGE_FALLBACK;
use crate::domain::tenancy::Tenant;
use templates::ENVIRONMENT;

/// Each kind of message, by the name the outbox records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    CredentialCreate,
    PasswordReset,
    LockedOut,
    /// Two-factor sign-in turned on, off, or reset by staff (`change`: on, off, reset).
    SecondFactorChanged,
    /// A usage alert's threshold was reached (`alert`).
    UsageAlert,
    /// An order's steps (`order`), to the account's addresses; `OrderReceived` is the
    /// provider's copy of a new order, to its order-alert address.
    OrderSubmitted,
    OrderReceived,
    OrderApproved,
    OrderRejected,
    OrderHalted,
    OrderCompleted,
    /// An invoice past its due date with something still to pay (`invoice`).
    InvoiceOverdue,
    /// An invoice issued (`invoice`).
    InvoiceIssued,
    /// A card payment went through: the receipt (`payment`).
    PaymentReceipt,
    /// A card payment failed (`payment`, with the reason and the card page's link).
    PaymentFailed,
}

impl Purpose {
    pub fn name(self) -> &'static str {
        match self {
            Purpose::CredentialCreate => "credential-create",
            Purpose::PasswordReset => "password-reset",
            Purpose::LockedOut => "locked-out",
            Purpose::SecondFactorChanged => "second-factor-changed",
            Purpose::UsageAlert => "usage-alert",
            Purpose::OrderSubmitted => "order-submitted",
            Purpose::OrderReceived => "order-received",
            Purpose::OrderApproved => "order-approved",
            Purpose::OrderRejected => "order-rejected",
            Purpose::OrderHalted => "order-halted",
            Purpose::OrderCompleted => "order-completed",
            Purpose::InvoiceOverdue => "invoice-overdue",
            Purpose::InvoiceIssued => "invoice-issued",
            Purpose::PaymentReceipt => "payment-receipt",
            Purpose::PaymentFailed => "payment-failed",
        }
    }

    /// The template family that renders it: the order steps share one.
    fn template(self) -> &'static str {
        match self {
            Purpose::OrderSubmitted
            | Purpose::OrderReceived
            | Purpose::OrderApproved
            | Purpose::OrderRejected
            | Purpose::OrderHalted
            | Purpose::OrderCompleted => "order",
            other => other.name(),
        }
    }

    fn subject(self, language: &str) -> &'static str {
        match (self, language) {
            (Purpose::CredentialCreate, "fr") => "Créez votre accès au portail {{ tenant }}",
            (Purpose::CredentialCreate, _) => "Set up your {{ tenant }} portal access",
            (Purpose::PasswordReset, "fr") => {
                "Réinitialisez votre mot de passe du portail {{ tenant }}"
            }
            (Purpose::PasswordReset, _) => "Reset your {{ tenant }} portal password",
            (Purpose::LockedOut, "fr") => "Votre accès au portail {{ tenant }} est bloqué",
            (Purpose::LockedOut, _) => "Your {{ tenant }} portal login is locked",
            (Purpose::SecondFactorChanged, "fr") => {
                "Validation en deux étapes modifiée sur votre accès {{ tenant }}"
            }
            (Purpose::SecondFactorChanged, _) => {
                "Two-factor sign-in changed on your {{ tenant }} login"
            }
            (Purpose::UsageAlert, "fr") => "Alerte de consommation : {{ alert.what }}",
            (Purpose::UsageAlert, _) => "Usage alert: {{ alert.what }}",
            (Purpose::OrderSubmitted, "fr") => "Commande {{ order.reference }} reçue",
            (Purpose::OrderSubmitted, _) => "Order {{ order.reference }} received",
            (Purpose::OrderReceived, "fr") => {
                "Nouvelle commande {{ order.reference }} de {{ order.account }}"
            }
            (Purpose::OrderReceived, _) => {
                "New order {{ order.reference }} from {{ order.account }}"
            }
            (Purpose::OrderApproved, "fr") => "Commande {{ order.reference }} approuvée",
            (Purpose::OrderApproved, _) => "Order {{ order.reference }} approved",
            (Purpose::OrderRejected, "fr") => "Commande {{ order.reference }} refusée",
            (Purpose::OrderRejected, _) => "Order {{ order.reference }} not approved",
            (Purpose::OrderHalted, "fr") => "Commande {{ order.reference }} : action requise",
            (Purpose::OrderHalted, _) => "Order {{ order.reference }}: we need something from you",
            (Purpose::OrderCompleted, "fr") => "Commande {{ order.reference }} terminée",
            (Purpose::OrderCompleted, _) => "Order {{ order.reference }} completed",
            (Purpose::InvoiceOverdue, "fr") => {
                "Rappel : facture {{ invoice.number }} en retard de paiement"
            }
            (Purpose::InvoiceOverdue, _) => "Reminder: invoice {{ invoice.number }} is overdue",
            (Purpose::InvoiceIssued, "fr") => "Votre facture {{ invoice.number }} est disponible",
            (Purpose::InvoiceIssued, _) => "Your invoice {{ invoice.number }} is ready",
            (Purpose::PaymentReceipt, "fr") => "Reçu de votre paiement de {{ payment.amount }}",
            (Purpose::PaymentReceipt, _) => "Receipt for your payment of {{ payment.amount }}",
            (Purpose::PaymentFailed, "fr") => "Votre paiement de {{ payment.amount }} a échoué",
            (Purpose::PaymentFailed, _) => {
                "Your payment of {{ payment.amount }} did not go through"
            }
        }
    }
}

/// A message: who it greets, in which language, and what it says.
pub struct Mail<'a> {
    pub language: &'a str,
    /// The person (or account) it is addressed to.
    pub name: &'a str,
    pub notice: Notice<'a>,
}

/// What one message says beyond the tenant's details: each kind with its own facts.
pub enum Notice<'a> {
    /// A one-time link to choose a username and password, valid `days`.
    CredentialCreate { link: &'a str, days: u32 },
    /// A one-time link to choose a new password.
    PasswordReset { username: &'a str, link: &'a str },
    /// The login locked after `attempts` failed sign-ins; `link` unlocks it.
    LockedOut {
        username: &'a str,
        link: &'a str,
        attempts: u32,
    },
    /// Two-factor sign-in turned on, off, or reset by staff (`on`, `off`, `reset`).
    SecondFactorChanged { username: &'a str, change: &'a str },
    /// A usage alert's threshold was reached.
    UsageAlert(AlertFacts),
    /// A step of an order.
    Order { step: OrderStep, facts: OrderFacts },
    /// An invoice past its due date with something still to pay.
    InvoiceOverdue(InvoiceFacts),
    /// An invoice issued.
    InvoiceIssued(InvoiceFacts),
    /// A card payment's receipt.
    PaymentReceipt(PaymentFacts),
    /// A card payment that failed.
    PaymentFailed(PaymentFacts),
}

/// The step of an order a message is about. `Received` is the provider's copy of a new
/// order, to its order-alert address; the others go to the account's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStep {
    Received,
    Submitted,
    Approved,
    Rejected,
    Halted,
    Completed,
}

impl OrderStep {
    fn purpose(self) -> Purpose {
        match self {
            OrderStep::Received => Purpose::OrderReceived,
            OrderStep::Submitted => Purpose::OrderSubmitted,
            OrderStep::Approved => Purpose::OrderApproved,
            OrderStep::Rejected => Purpose::OrderRejected,
            OrderStep::Halted => Purpose::OrderHalted,
            OrderStep::Completed => Purpose::OrderCompleted,
        }
    }

    /// As the order template names it.
    fn event(self) -> &'static str {
        match self {
            OrderStep::Received => "received",
            OrderStep::Submitted => "submitted",
            OrderStep::Approved => "approved",
            OrderStep::Rejected => "rejected",
            OrderStep::Halted => "halted",
            OrderStep::Completed => "completed",
        }
    }
}

impl Notice<'_> {
    fn purpose(&self) -> Purpose {
        match self {
            Notice::CredentialCreate { .. } => Purpose::CredentialCreate,
            Notice::PasswordReset { .. } => Purpose::PasswordReset,
            Notice::LockedOut { .. } => Purpose::LockedOut,
            Notice::SecondFactorChanged { .. } => Purpose::SecondFactorChanged,
            Notice::UsageAlert(_) => Purpose::UsageAlert,
            Notice::Order { step, .. } => step.purpose(),
            Notice::InvoiceOverdue(_) => Purpose::InvoiceOverdue,
            Notice::InvoiceIssued(_) => Purpose::InvoiceIssued,
            Notice::PaymentReceipt(_) => Purpose::PaymentReceipt,
            Notice::PaymentFailed(_) => Purpose::PaymentFailed,
        }
    }

    /// What its templates print beyond the tenant's details and the name.
    fn context(&self) -> minijinja::Value {
        match self {
            Notice::CredentialCreate { link, days } => context! { link, days },
            Notice::PasswordReset { username, link } => context! { username, link },
            Notice::LockedOut {
                username,
                link,
                attempts,
            } => context! { username, link, attempts },
            Notice::SecondFactorChanged { username, change } => context! { username, change },
            Notice::UsageAlert(alert) => context! { alert },
            Notice::Order { step, facts } => context! {
                order => context! { event => step.event(), ..minijinja::Value::from_serialize(facts) },
            },
            Notice::InvoiceOverdue(invoice) | Notice::InvoiceIssued(invoice) => {
                context! { invoice }
            }
            Notice::PaymentReceipt(payment) | Notice::PaymentFailed(payment) => {
                context! { payment }
            }
        }
    }
}

/// A message could not be rendered (a template of ours is broken).
#[derive(Debug, thiserror::Error)]
#[error("composing mail: {0}")]
pub struct ComposeError(String);

/// An order, in words ready to print.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrderFacts {
    /// The order's reference, as the portal shows it.
    pub reference: String,
    /// The order's page on the portal (the customer's copies).
    pub link: Option<String>,
    /// `Bolt-on Data 10 GB on +61255501234`.
    pub summary: String,
    pub reason: Option<String>,
    /// The account's name and number (the provider's copy).
    pub account: String,
    /// The order waits for staff approval.
    pub waits: bool,
}

/// An overdue invoice, in words and figures ready to print.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvoiceFacts {
    pub number: String,
    /// What is still to pay, with its currency: `AUD 58.99`.
    pub outstanding: String,
    /// `2026-12-15`.
    pub due_on: String,
    pub days_late: i64,
}

/// A card payment, in words and figures ready to print.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PaymentFacts {
    /// `AUD 58.99`.
    pub amount: String,
    /// `Visa ending 4242`.
    pub card: String,
    /// The gateway's reference of the payment.
    pub reference: String,
    /// The invoice it paid, if one.
    pub invoice: Option<String>,
    /// Why it failed, in plain words.
    pub reason: Option<String>,
    /// The portal's card page, or a link that signs the contact in to it.
    pub link: String,
    /// `link` signs in once (within three days).
    pub signs_in: bool,
    /// When the card is tried again (`2026-12-04`), if it will be.
    pub retry_on: Option<String>,
}

/// A reached usage alert, in words and figures ready to print.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AlertFacts {
    /// `spend on +61255501234`, `calls on your account`.
    pub what: String,
    pub threshold: String,
    pub reached: String,
    /// `2026-11`.
    pub period: String,
}

/// Renders a message to `to` as a MIME text, ready for the outbox.
pub fn compose(
    tenant: &Tenant,
    settings: &AccessSettings,
    sender: &EmailAddress,
    to: &[EmailAddress],
    mail: Mail<'_>,
) -> Result<Message, ComposeError> {
    let language = if crate::domain::settings::LANGUAGES.contains(&mail.language) {
        mail.language
    } else {
        LANGUAGE_FALLBACK
    };
    let purpose = mail.notice.purpose();
    let fail = |e: minijinja::Error| ComposeError(e.to_string());
    let base = context! {
        tenant => tenant.name,
        language => language,
        name => mail.name,
        logo_url => settings.logo_url,
        support_email => settings.support_email,
        support_phone => settings.support_phone,
        ..mail.notice.context()
    };
    let subject = ENVIRONMENT
        .render_str(purpose.subject(language), base.clone())
        .map_err(fail)?;
    let render = |kind: &str| -> Result<String, ComposeError> {
        ENVIRONMENT
            .get_template(&format!("{}.{language}.{kind}", purpose.template()))
            .and_then(|t| t.render(context! { subject => subject, ..base.clone() }))
            .map_err(fail)
    };
    let text = render("txt")?;
    let html = render("html")?;
    let from = match &settings.mail_from {
        Some(address) => EmailAddress::parse(address).unwrap_or_else(|_| sender.clone()),
        None => sender.clone(),
    };
    let raw = mail_builder::MessageBuilder::new()
        .from((tenant.name.as_str(), from.as_str()))
        .to(to.iter().map(|e| e.as_str()).collect::<Vec<_>>())
        .subject(subject)
        .text_body(text)
        .html_body(html)
        .write_to_vec()
        .map_err(|e| ComposeError(e.to_string()))?;
    Ok(Message {
        tenant: tenant.id,
        from,
        to: to.to_vec(),
        purpose: purpose.name().to_owned(),
        raw,
    })
}
