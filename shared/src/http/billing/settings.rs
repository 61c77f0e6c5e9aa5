//! A provider's billing settings and an account's own.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::every_account;
use crate::domain::billing::granted::GrantedReport;
use crate::domain::billing::settings::{BillDay, BillingSettings, Paper, TaxSetting};
use crate::domain::identity::Permission;
use crate::http::access::{StaffUser, visible_account};
use crate::http::problem::{JsonBody, Problem};
use crate::platform::Platform;

/// When accounts are billed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum BillDayInput {
    /// Every account on the same day of the month, 1 to 28.
    Fixed {
        #[schema(minimum = 1, maximum = 28)]
        day: u8,
    },
    /// Each account on the day of the month it was opened (29th to 31st: the 28th).
    Anniversary,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxInput {
    /// As printed on invoices: `GST`, `VAT`.
    #[schema(min_length = 1, max_length = 20)]
    pub name: String,
    /// Basis points: 1000 is 10 %.
    #[schema(minimum = 0, maximum = 5000)]
    pub rate_basis_points: u32,
    /// The catalogue's prices include the tax.
    pub prices_include_tax: bool,
}

/// A provider's billing settings, as the console sends and reads them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingSettingsBody {
    /// ISO 4217: AUD, USD, EUR, GBP, NZD or CAD.
    #[schema(min_length = 3, max_length = 3)]
    pub currency: String,
    pub bill_day: BillDayInput,
    /// Days from an invoice's date to its due date.
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: u16,
    /// Printed before the sequence number: `INV-` gives `INV-000042`.
    #[schema(max_length = 12)]
    pub invoice_prefix: String,
    pub tax: TaxInput,
    #[schema(max_length = 120)]
    pub legal_name: String,
    #[schema(max_length = 40)]
    pub tax_number: String,
    #[schema(max_items = 6)]
    pub address: Vec<String>,
    /// Days after the due date on which an unpaid invoice's reminder is mailed, rising;
    /// none to send no reminders.
    #[serde(default = "default_reminders")]
    #[schema(max_items = 5)]
    pub reminder_days: Vec<u16>,
    /// The paper its invoice and credit note PDFs are laid out on.
    #[serde(default)]
    pub paper: Paper,
    /// Years its invoices' and credit notes' files are kept: 1, 2, 5, 7 or 10.
    #[serde(default = "default_retention")]
    #[schema(minimum = 1, maximum = 10)]
    pub retention_years: u16,
}

fn default_retention() -> u16 {
    BillingSettings::default().retention_years
}

fn default_reminders() -> Vec<u16> {
    BillingSettings::default().reminder_days
}

impl From<BillingSettings> for BillingSettingsBody {
    fn from(s: BillingSettings) -> Self {
        BillingSettingsBody {
            currency: s.currency,
            bill_day: match s.bill_day {
                BillDay::Fixed { day } => BillDayInput::Fixed { day },
                BillDay::Anniversary => BillDayInput::Anniversary,
            },
            payment_terms_days: s.payment_terms_days,
            invoice_prefix: s.invoice_prefix,
            tax: TaxInput {
                name: s.tax.name,
                rate_basis_points: s.tax.rate_basis_points,
                prices_include_tax: s.tax.prices_include_tax,
            },
            legal_name: s.legal_name,
            tax_number: s.tax_number,
            address: s.address,
            reminder_days: s.reminder_days,
            paper: s.paper,
            retention_years: s.retention_years,
        }
    }
}

impl From<BillingSettingsBody> for BillingSettings {
    fn from(b: BillingSettingsBody) -> Self {
        BillingSettings {
            currency: b.currency.trim().to_ascii_uppercase(),
            bill_day: match b.bill_day {
                BillDayInput::Fixed { day } => BillDay::Fixed { day },
                BillDayInput::Anniversary => BillDay::Anniversary,
            },
            payment_terms_days: b.payment_terms_days,
            invoice_prefix: b.invoice_prefix,
            tax: TaxSetting {
                name: b.tax.name.trim().to_owned(),
                rate_basis_points: b.tax.rate_basis_points,
                prices_include_tax: b.tax.prices_include_tax,
            },
            legal_name: b.legal_name,
            tax_number: b.tax_number,
            address: b.address,
            reminder_days: b.reminder_days,
            paper: b.paper,
            retention_years: b.retention_years,
        }
    }
}

/// The provider's billing settings.
#[utoipa::path(get, path = "/v1/console/settings/billing", tag = "console",
    responses((status = 200, body = BillingSettingsBody), (status = 403, body = Problem)))]
pub async fn billing_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<BillingSettingsBody>, Problem> {
    every_account(&staff)?;
    let settings = platform.billing().settings(&staff.session.tenant).await?;
    Ok(Json(settings.into()))
}

/// Replace the provider's billing settings.
#[utoipa::path(put, path = "/v1/console/settings/billing", tag = "console",
    request_body = BillingSettingsBody,
    responses((status = 200, body = BillingSettingsBody), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_billing_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(body): JsonBody<BillingSettingsBody>,
) -> Result<Json<BillingSettingsBody>, Problem> {
    every_account(&staff)?;
    let stamp = staff.stamp(
        &platform,
        None,
        "billing.settings_changed",
        &format!(
            "currency {}, terms {} days",
            body.currency, body.payment_terms_days
        ),
    )?;
    let settings = platform
        .billing()
        .set_settings(&staff.session.tenant, body.into(), &stamp)
        .await?;
    Ok(Json(settings.into()))
}

/// An account's own billing settings, over the provider's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBillingBody {
    /// Its own day of the month (1 to 28); null for the provider's rule.
    #[schema(minimum = 1, maximum = 28)]
    pub bill_day: Option<u8>,
    /// Billed without tax; say why.
    pub tax_exempt: bool,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub tax_exempt_reason: String,
    /// Invoices in the portal only, without mail.
    #[serde(default)]
    pub portal_only: bool,
    /// The reports its logins may read on the portal (the Reports module).
    #[serde(default)]
    #[schema(max_items = 3)]
    pub granted_reports: Vec<GrantedReport>,
    /// Its logins (ids) that get its billing mail, each in its own language; none for the
    /// account's addresses.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub contacts: Vec<String>,
}

impl From<crate::domain::billing::settings::AccountBillingSettings> for AccountBillingBody {
    fn from(s: crate::domain::billing::settings::AccountBillingSettings) -> Self {
        AccountBillingBody {
            bill_day: s.bill_day,
            tax_exempt: s.tax_exempt,
            tax_exempt_reason: s.tax_exempt_reason,
            portal_only: s.portal_only,
            granted_reports: s.granted_reports.into_iter().collect(),
            contacts: s.contacts.iter().map(ToString::to_string).collect(),
        }
    }
}

/// An account's own billing settings.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/billing-settings", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = AccountBillingBody), (status = 404, body = Problem)))]
pub async fn account_billing(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<AccountBillingBody>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let own = platform
        .billing()
        .account_settings(&staff.session.tenant, &account.id)
        .await?;
    Ok(Json(own.into()))
}

/// Replace an account's own billing settings (its bill day, its tax exemption); they apply
/// from its next invoice.
#[utoipa::path(put, path = "/v1/console/accounts/{account}/billing-settings", tag = "console",
    params(("account" = String, Path)), request_body = AccountBillingBody,
    responses((status = 200, body = AccountBillingBody), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_account_billing(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    JsonBody(body): JsonBody<AccountBillingBody>,
) -> Result<Json<AccountBillingBody>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let mut contacts = Vec::new();
    let mut bad = Problem::validation();
    let mut any_bad = false;
    for (n, id) in body.contacts.iter().enumerate() {
        match id.parse::<crate::ids::LoginId>() {
            Ok(id) => contacts.push(id),
            Err(_) => {
                bad = bad.field(&format!("/contacts/{n}"), "not a login of this account");
                any_bad = true;
            }
        }
    }
    if any_bad {
        return Err(bad);
    }
    let own = crate::domain::billing::settings::AccountBillingSettings {
        bill_day: body.bill_day,
        tax_exempt: body.tax_exempt,
        tax_exempt_reason: body.tax_exempt_reason.trim().to_owned(),
        portal_only: body.portal_only,
        granted_reports: body.granted_reports.into_iter().collect(),
        contacts,
    };
    let detail = format!(
        "bill day {}, tax exempt: {}, reports granted: {}",
        own.bill_day
            .map_or("of the provider".to_owned(), |d| d.to_string()),
        if own.tax_exempt {
            own.tax_exempt_reason.as_str()
        } else {
            "no"
        },
        own.granted_reports.len()
    );
    let stamp = staff.stamp(
        &platform,
        Some(account.id),
        "billing.account_settings_changed",
        &detail,
    )?;
    let own = platform
        .billing()
        .set_account_settings(&staff.session.tenant, &account.id, own, &stamp)
        .await?;
    Ok(Json(own.into()))
}
