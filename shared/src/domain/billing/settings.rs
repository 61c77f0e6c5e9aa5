//! A provider's billing settings: its currency, when its accounts are billed, its payment
//! terms, how its invoices are numbered, its tax and the legal details printed on every
//! invoice. One item per tenant; a provider that has chosen nothing bills in its plans'
//! currency on the first of the month, due in 14 days, without tax.

use crate::store::Stamp;
use time::Date;

use crate::domain::Violations;
use crate::domain::catalogue::money::Currency;
use crate::ids::TenantId;
use crate::ports::table::{Key, Table, TableError};
use crate::store::{self, keys};

/// When an account is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum BillDay {
    /// Every account on the same day of the month (1 to 28, so every month has it).
    Fixed { day: u8 },
    /// Each account on the day of the month it was opened (the 29th to 31st bill on the
    /// 28th).
    Anniversary,
}

impl Default for BillDay {
    fn default() -> Self {
        BillDay::Fixed { day: 1 }
    }
}

impl BillDay {
    /// The day of the month an account opened on `opened` is billed.
    pub fn day_for(self, opened: Date) -> u8 {
        match self {
            BillDay::Fixed { day } => day,
            BillDay::Anniversary => opened.day().min(28),
        }
    }
}

/// The tax a provider charges.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TaxSetting {
    /// As printed: `GST`, `VAT`.
    pub name: String,
    /// Basis points: 1000 is 10 %.
    pub rate_basis_points: u32,
    /// The catalogue's prices include the tax (as Australian consumer prices must).
    pub prices_include_tax: bool,
}

impl Default for TaxSetting {
    fn default() -> Self {
        TaxSetting {
            name: "Tax".into(),
            rate_basis_points: 0,
            prices_include_tax: true,
        }
    }
}

/// The paper an invoice's PDF is laid out on.
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
pub enum Paper {
    #[default]
    A4,
    /// US Letter, for providers in North America.
    Letter,
}

impl Paper {
    /// Width and height in points.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.0, 842.0),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

/// What a provider has chosen. Stored as it is; unknown fields of a newer version are
/// ignored on reading, so a rollback still reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BillingSettings {
    /// The one currency the provider bills in; its plans and bolt-ons are priced in it.
    pub currency: String,
    pub bill_day: BillDay,
    /// Days from an invoice's date to its due date.
    pub payment_terms_days: u16,
    /// Printed before the invoice's sequence number: `INV-` gives `INV-000042`.
    pub invoice_prefix: String,
    pub tax: TaxSetting,
    /// The provider as its invoices name it.
    pub legal_name: String,
    /// ABN, VAT number, ...
    pub tax_number: String,
    pub address: Vec<String>,
    /// Days after the due date on which an unpaid invoice's reminder goes (one mail each).
    pub reminder_days: Vec<u16>,
    /// The paper its PDFs are laid out on.
    pub paper: Paper,
    /// Years its invoices' and credit notes' files are kept (one of
    /// [`Retention::YEARS`](crate::ports::blobs::Retention::YEARS)).
    pub retention_years: u16,
}

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            currency: "AUD".into(),
            bill_day: BillDay::default(),
            payment_terms_days: 14,
            invoice_prefix: "INV-".into(),
            tax: TaxSetting::default(),
            legal_name: String::new(),
            tax_number: String::new(),
            address: Vec::new(),
            reminder_days: vec![7, 14, 30],
            paper: Paper::A4,
            retention_years: 7,
        }
    }
}

impl BillingSettings {
    pub fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        if let Err(m) = Currency::parse(&self.currency) {
            v.add("/currency", m);
        }
        if let BillDay::Fixed { day } = self.bill_day
            && !(1..=28).contains(&day)
        {
            v.add("/bill_day/day", "1 to 28, so that every month has it");
        }
        if !crate::ports::blobs::Retention::YEARS.contains(&self.retention_years) {
            v.add("/retention_years", "1, 2, 5, 7 or 10 years");
        }
        if self.payment_terms_days > 365 {
            v.add("/payment_terms_days", "0 to 365 days");
        }
        if self.invoice_prefix.chars().count() > 12
            || self
                .invoice_prefix
                .chars()
                .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '/'))
        {
            v.add(
                "/invoice_prefix",
                "up to 12 letters, digits, dashes and slashes",
            );
        }
        if self.tax.rate_basis_points > 5000 {
            v.add("/tax/rate_basis_points", "0 to 5000 (50 %)");
        }
        if !(1..=20).contains(&self.tax.name.trim().chars().count()) {
            v.add("/tax/name", "1 to 20 characters");
        }
        if self.legal_name.chars().count() > 120 {
            v.add("/legal_name", "up to 120 characters");
        }
        if self.tax_number.chars().count() > 40 {
            v.add("/tax_number", "up to 40 characters");
        }
        if self.reminder_days.len() > 5
            || self.reminder_days.iter().any(|d| !(1..=365).contains(d))
            || self.reminder_days.windows(2).any(|w| w[0] >= w[1])
        {
            v.add(
                "/reminder_days",
                "up to 5 days from 1 to 365 after the due date, each after the one before",
            );
        }
        if self.address.len() > 6 || self.address.iter().any(|l| l.chars().count() > 80) {
            v.add("/address", "up to 6 lines of up to 80 characters");
        }
        v.into_result()
    }

    /// The currency, checked when the settings were saved.
    pub fn currency(&self) -> Currency {
        Currency::parse(&self.currency).unwrap_or_else(|_| {
            Currency::parse("AUD").expect("AUD is one of the currencies we bill in")
        })
    }

    /// An invoice's number as printed.
    pub fn invoice_number(&self, sequence: i64) -> String {
        format!("{}{sequence:06}", self.invoice_prefix)
    }
}

/// A report an account may be granted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GrantedReport {
    /// What each cost centre's services came to on an invoice.
    SpendByCostCentre,
    /// What each service came to on an invoice.
    SpendByService,
    /// Each service's calls, messages and data on an invoice: records and charges (the
    /// records themselves are the invoice's itemised usage file).
    CallsByInvoice,
}

impl GrantedReport {
    pub const ALL: [GrantedReport; 3] = [
        GrantedReport::SpendByCostCentre,
        GrantedReport::SpendByService,
        GrantedReport::CallsByInvoice,
    ];
}

/// The most billing contacts an account has.
pub const MOST_CONTACTS: usize = 5;

/// What staff set for one account, over the provider's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AccountBillingSettings {
    /// Its own day of the month (1 to 28), instead of the provider's rule.
    pub bill_day: Option<u8>,
    /// Billed without tax (a charity, an export customer), and why.
    pub tax_exempt: bool,
    pub tax_exempt_reason: String,
    /// Its invoices are in the portal only: no mail when one is issued.
    pub portal_only: bool,
    /// The reports its logins may read on the portal.
    pub granted_reports: std::collections::BTreeSet<GrantedReport>,
    /// Its logins that get its billing mail, each in its own language (none: the
    /// account's addresses).
    pub contacts: Vec<crate::ids::LoginId>,
}

impl AccountBillingSettings {
    pub fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        if self.bill_day.is_some_and(|d| !(1..=28).contains(&d)) {
            v.add("/bill_day", "1 to 28, so that every month has it");
        }
        if self.tax_exempt && self.tax_exempt_reason.trim().is_empty() {
            v.add("/tax_exempt_reason", "say why the account is exempt");
        }
        if self.tax_exempt_reason.chars().count() > 200 {
            v.add("/tax_exempt_reason", "up to 200 characters");
        }
        if self.contacts.len() > MOST_CONTACTS {
            v.add("/contacts", "up to 5 logins");
        }
        v.into_result()
    }

    /// The provider's settings as they apply to this account.
    pub fn over(&self, provider: &BillingSettings) -> BillingSettings {
        let mut out = provider.clone();
        if let Some(day) = self.bill_day {
            out.bill_day = BillDay::Fixed { day };
        }
        if self.tax_exempt {
            out.tax.rate_basis_points = 0;
        }
        out
    }
}

pub fn account_key(tenant: &TenantId, account: &crate::ids::AccountId) -> Key {
    Key::new(keys::account(tenant, account), "SETTINGS#BILLING")
}

/// An account's own billing settings (none chosen: the provider's apply as they are).
pub async fn read_account(
    table: &dyn Table,
    tenant: &TenantId,
    account: &crate::ids::AccountId,
) -> Result<AccountBillingSettings, TableError> {
    store::read_settings(table, &account_key(tenant, account), "settings").await
}

pub async fn write_account(
    table: &dyn Table,
    tenant: &TenantId,
    account: &crate::ids::AccountId,
    settings: &AccountBillingSettings,
    now: time::OffsetDateTime,
    stamp: &Stamp,
) -> Result<(), TableError> {
    store::write_settings(
        table,
        &account_key(tenant, account),
        "settings",
        settings,
        now,
        stamp.writes(),
    )
    .await
}

fn key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "SETTINGS#BILLING")
}

/// A tenant's billing settings, the defaults where it has chosen none.
pub async fn read(table: &dyn Table, tenant: &TenantId) -> Result<BillingSettings, TableError> {
    store::read_settings(table, &key(tenant), "settings").await
}

pub async fn write(
    table: &dyn Table,
    tenant: &TenantId,
    settings: &BillingSettings,
    now: time::OffsetDateTime,
    stamp: &Stamp,
) -> Result<(), TableError> {
    store::write_settings(
        table,
        &key(tenant),
        "settings",
        settings,
        now,
        stamp.writes(),
    )
    .await
}
