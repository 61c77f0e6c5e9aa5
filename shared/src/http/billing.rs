//! Billing over HTTP (the `api-billing` function): an end user's invoices and ledger on
//! the portal (the Invoices module turns them on); for staff, the billing settings, an
//! account's invoices and ledger, the next invoice previewed, "bill now" and payments
//! received outside a card gateway.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{
    PortalAction, PortalUser, StaffUser, portal_account, require, visible_account,
};
use super::downloads::{ReportFormat, csv_response, wants_csv};
use super::problem::{JsonBody, Problem, QueryParams};
use super::views::{PageOf, Paging, today};
use crate::domain::billing::adjustments::{ChargeState, CreditNote, OneOffCharge};
use crate::domain::billing::dates;
use crate::domain::billing::granted::GrantedReport;
use crate::domain::billing::invoice::{Invoice, InvoiceLine, InvoiceStatus, LineKind};
use crate::domain::billing::ledger::{EntryKind, LedgerEntry};
use crate::domain::billing::payments::{Allocation, Payment, PaymentMethod};
use crate::domain::billing::run::RunReport;
use crate::domain::billing::settings::{BillDay, BillingSettings, Paper, TaxSetting};
use crate::domain::billing::{Balance, Draft, NewPayment};
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::ids::AccountId;
use crate::platform::Platform;

/// Billing settings and bill runs reach every account: staff limited to account groups
/// neither change nor run them.
fn every_account(staff: &StaffUser) -> Result<(), Problem> {
    staff.require(Permission::BillingManage)?;
    if staff.session.principal.sees_group(None) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This is for staff who see every account",
        )
        .detail("Billing settings and bill runs reach every account; bill an account of your groups from its page."))
    }
}

/// The request's `Idempotency-Key`, if it sent one.
fn idempotency_key(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
}

/// 201 for what this request made, 200 for what an earlier one did.
fn created_or_found(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Puts a staff member's billing action on the audit trail (of the account, if one).
async fn audited(
    platform: &Platform,
    staff: &StaffUser,
    account: Option<AccountId>,
    action: &str,
    detail: &str,
) -> Result<(), Problem> {
    platform
        .audit()
        .record(&staff.session, account, action, detail, &staff.request_id)
        .await?;
    Ok(())
}

// Settings.

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
    let settings = platform
        .billing()
        .set_settings(&staff.session.tenant, body.into())
        .await?;
    audited(
        &platform,
        &staff,
        None,
        "billing.settings_changed",
        "billing settings saved",
    )
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
    let own = platform
        .billing()
        .set_account_settings(
            &staff.session.tenant,
            &account.id,
            crate::domain::billing::settings::AccountBillingSettings {
                bill_day: body.bill_day,
                tax_exempt: body.tax_exempt,
                tax_exempt_reason: body.tax_exempt_reason.trim().to_owned(),
                portal_only: body.portal_only,
                granted_reports: body.granted_reports.into_iter().collect(),
                contacts,
            },
        )
        .await?;
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
    audited(
        &platform,
        &staff,
        Some(account.id),
        "billing.account_settings_changed",
        &detail,
    )
    .await?;
    Ok(Json(own.into()))
}

// Invoices.

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineView {
    pub kind: LineKind,
    pub description: String,
    pub service: String,
    /// The service's identifier: its number, its circuit.
    pub identifier: String,
    /// The cost centre's name when the invoice was issued.
    pub cost_centre: Option<String>,
    /// `2026-11-01`.
    pub period_start: String,
    /// The last day the line covers.
    pub period_end: String,
    /// Days for a monthly charge, records for usage.
    pub quantity: i64,
    /// Decimal amounts in the invoice's currency: before tax, tax, and the two together.
    pub net: String,
    pub tax: String,
    pub gross: String,
}

impl From<InvoiceLine> for InvoiceLineView {
    fn from(l: InvoiceLine) -> Self {
        InvoiceLineView {
            kind: l.kind,
            description: l.description,
            service: l.service,
            identifier: l.identifier,
            cost_centre: l.cost_centre,
            period_start: dates::text(l.period_start),
            period_end: dates::text(l.period_end),
            quantity: l.quantity,
            net: decimal(l.net),
            tax: decimal(l.tax),
            gross: decimal(l.gross),
        }
    }
}

/// An invoice in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceSummaryView {
    pub id: String,
    pub number: String,
    pub status: InvoiceStatus,
    pub period_start: String,
    pub period_end: String,
    pub issued_on: String,
    pub due_on: String,
    pub currency: String,
    pub total: String,
    /// Still to pay.
    pub outstanding: String,
}

impl InvoiceSummaryView {
    fn of(i: &Invoice, today: Date) -> Self {
        InvoiceSummaryView {
            id: i.id.clone(),
            number: i.number.clone(),
            status: i.status(today),
            period_start: dates::text(i.period_start),
            period_end: dates::text(i.period_end),
            issued_on: dates::text(i.issued_on),
            due_on: dates::text(i.due_on),
            currency: i.currency.clone(),
            total: decimal(i.total),
            outstanding: decimal(i.outstanding()),
        }
    }
}

/// An invoice with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub summary: InvoiceSummaryView,
    pub account: String,
    pub account_name: String,
    pub account_number: String,
    pub tax_name: String,
    pub lines: Vec<InvoiceLineView>,
    pub subtotal: String,
    pub tax: String,
    pub credit_applied: String,
    pub amount_due: String,
    pub paid: String,
    /// Taken back by credit notes.
    pub credited: String,
    /// Written off by staff.
    pub written_off: String,
    pub credit_notes: Vec<CreditNoteView>,
}

impl InvoiceView {
    fn of(i: Invoice, today: Date, notes: Vec<CreditNote>) -> Self {
        InvoiceView {
            summary: InvoiceSummaryView::of(&i, today),
            account: i.account.clone(),
            account_name: i.account_name.clone(),
            account_number: i.account_number.clone(),
            tax_name: i.tax_name.clone(),
            subtotal: decimal(i.subtotal),
            tax: decimal(i.tax),
            credit_applied: decimal(i.credit_applied),
            amount_due: decimal(i.amount_due),
            paid: decimal(i.paid),
            credited: decimal(i.credited),
            written_off: decimal(i.written_off),
            credit_notes: notes.into_iter().map(Into::into).collect(),
            lines: i.lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// What the next invoice would hold if it were issued now.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftView {
    pub period_start: String,
    pub period_end: String,
    pub currency: String,
    pub tax_name: String,
    pub lines: Vec<InvoiceLineView>,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    pub credit_applied: String,
    pub amount_due: String,
}

impl From<Draft> for DraftView {
    fn from(d: Draft) -> Self {
        DraftView {
            period_start: dates::text(d.period.start),
            period_end: dates::text(d.period.last_day()),
            currency: d.currency,
            tax_name: d.tax_name,
            lines: d.lines.into_iter().map(Into::into).collect(),
            subtotal: decimal(d.subtotal),
            tax: decimal(d.tax),
            total: decimal(d.total),
            credit_applied: decimal(d.credit_applied),
            amount_due: decimal(d.amount_due),
        }
    }
}

async fn invoice_page(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    paging: &Paging,
) -> Result<PageOf<InvoiceSummaryView>, Problem> {
    let page = platform
        .billing()
        .invoices(tenant, account, &paging.request())
        .await?;
    let today = today(platform, tenant).await?;
    Ok(PageOf {
        items: page
            .items
            .iter()
            .map(|i| InvoiceSummaryView::of(i, today))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

async fn invoice_view(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    invoice: &str,
) -> Result<InvoiceView, Problem> {
    let billing = platform.billing();
    let invoice = billing.invoice(tenant, account, invoice).await?;
    let notes = billing
        .credit_notes_of(tenant, account, &invoice.id)
        .await?;
    Ok(InvoiceView::of(
        invoice,
        today(platform, tenant).await?,
        notes,
    ))
}

/// The account's invoices, newest first.
#[utoipa::path(get, path = "/v1/portal/invoices", tag = "portal", params(Paging),
    responses((status = 200, body = PageOf<InvoiceSummaryView>), (status = 404, body = Problem)))]
pub async fn portal_invoices(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<InvoiceSummaryView>>, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    Ok(Json(
        invoice_page(&platform, &user.session.tenant, &account, &paging).await?,
    ))
}

/// One of the account's invoices, with its lines.
#[utoipa::path(get, path = "/v1/portal/invoices/{invoice}", tag = "portal",
    params(("invoice" = String, Path)),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem)))]
pub async fn portal_invoice(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(invoice): Path<String>,
) -> Result<Json<InvoiceView>, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    Ok(Json(
        invoice_view(&platform, &user.session.tenant, &account, &invoice).await?,
    ))
}

async fn invoice_pdf(
    platform: &Platform,
    session: &crate::domain::identity::Session,
    account: &AccountId,
    invoice: &str,
) -> Result<Response, Problem> {
    let tenant = &session.tenant;
    let billing = platform.billing();
    let invoice = billing.invoice(tenant, account, invoice).await?;
    let notes = billing
        .credit_notes_of(tenant, account, &invoice.id)
        .await?;
    let settings = billing.settings(tenant).await?;
    let provider = platform.tenants().get(tenant).await?;
    let pdf = crate::domain::billing::pdf::render(
        &invoice,
        &notes,
        &settings,
        &provider.name,
        &session.language,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"invoice-{}.pdf\"", invoice.number),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// One of the account's invoices as a PDF, in the login's language.
#[utoipa::path(get, path = "/v1/portal/invoices/{invoice}/pdf", tag = "portal",
    params(("invoice" = String, Path)),
    responses((status = 200, description = "The invoice", content_type = "application/pdf"),
        (status = 404, body = Problem)))]
pub async fn portal_invoice_pdf(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(invoice): Path<String>,
) -> Result<Response, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    invoice_pdf(&platform, &user.session, &account, &invoice).await
}

/// One of an account's invoices as a PDF, in the staff member's language.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/invoices/{invoice}/pdf", tag = "console",
    params(("account" = String, Path), ("invoice" = String, Path)),
    responses((status = 200, description = "The invoice", content_type = "application/pdf"),
        (status = 404, body = Problem)))]
pub async fn console_invoice_pdf(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
) -> Result<Response, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    invoice_pdf(&platform, &staff.session, &account.id, &invoice).await
}

/// A stored file and a link to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileLinkView {
    /// What to save it as: `invoice-INV-000042.pdf`.
    pub name: String,
    /// A presigned link, good until `expires_at`.
    pub url: String,
}

/// Links to an invoice's documents of record (the PDF as issued, its itemised usage, its
/// credit notes), stored in the exports bucket.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceFilesView {
    pub pdf: FileLinkView,
    /// Absent when the invoice bills no usage.
    pub usage_csv: Option<FileLinkView>,
    pub credit_notes: Vec<FileLinkView>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
}

impl From<crate::domain::billing::files::FileLink> for FileLinkView {
    fn from(l: crate::domain::billing::files::FileLink) -> Self {
        FileLinkView {
            name: l.name,
            url: l.url,
        }
    }
}

async fn invoice_files(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    invoice: &str,
) -> Result<Json<InvoiceFilesView>, Problem> {
    let links = platform
        .invoice_files()
        .links(tenant, account, invoice)
        .await?;
    Ok(Json(InvoiceFilesView {
        pdf: links.pdf.into(),
        usage_csv: links.usage_csv.map(Into::into),
        credit_notes: links.credit_notes.into_iter().map(Into::into).collect(),
        expires_at: links.expires_at,
    }))
}

/// Links to one of the account's invoices as stored when it was issued: its PDF, its
/// itemised usage and its credit notes.
#[utoipa::path(get, path = "/v1/portal/invoices/{invoice}/files", tag = "portal",
    params(("invoice" = String, Path)),
    responses((status = 200, body = InvoiceFilesView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn portal_invoice_files(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(invoice): Path<String>,
) -> Result<Json<InvoiceFilesView>, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    invoice_files(&platform, &user.session.tenant, &account, &invoice).await
}

/// Links to one of an account's invoices as stored when it was issued.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/invoices/{invoice}/files",
    tag = "console", params(("account" = String, Path), ("invoice" = String, Path)),
    responses((status = 200, body = InvoiceFilesView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 503, body = Problem)))]
pub async fn console_invoice_files(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
) -> Result<Json<InvoiceFilesView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    invoice_files(&platform, &staff.session.tenant, &account.id, &invoice).await
}

async fn itemised(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    invoice: &str,
) -> Result<Response, Problem> {
    let billing = platform.billing();
    let invoice = billing.invoice(tenant, account, invoice).await?;
    let csv = billing.itemised_usage(tenant, account, &invoice).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"usage-{}.csv\"", invoice.number),
            ),
        ],
        csv,
    )
        .into_response())
}

/// The calls, messages and data sessions an invoice's usage lines cover, as CSV (the
/// usage export's columns).
#[utoipa::path(get, path = "/v1/portal/invoices/{invoice}/usage", tag = "portal",
    params(("invoice" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn portal_itemised(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(invoice): Path<String>,
) -> Result<Response, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    itemised(&platform, &user.session.tenant, &account, &invoice).await
}

/// The usage records an account's invoice covers, as CSV.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/invoices/{invoice}/usage",
    tag = "console", params(("account" = String, Path), ("invoice" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn console_itemised(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
) -> Result<Response, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    itemised(&platform, &staff.session.tenant, &account.id, &invoice).await
}

/// An account's invoices, newest first.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/invoices", tag = "console",
    params(("account" = String, Path), Paging),
    responses((status = 200, body = PageOf<InvoiceSummaryView>), (status = 404, body = Problem)))]
pub async fn console_invoices(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<InvoiceSummaryView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    Ok(Json(
        invoice_page(&platform, &staff.session.tenant, &account.id, &paging).await?,
    ))
}

/// One of an account's invoices, with its lines.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/invoices/{invoice}", tag = "console",
    params(("account" = String, Path), ("invoice" = String, Path)),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem)))]
pub async fn console_invoice(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
) -> Result<Json<InvoiceView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    Ok(Json(
        invoice_view(&platform, &staff.session.tenant, &account.id, &invoice).await?,
    ))
}

/// What the account's invoice for the current billing period would hold if it were issued
/// now (nothing is written).
#[utoipa::path(get, path = "/v1/console/accounts/{account}/invoice-preview", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = DraftView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn invoice_preview(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<DraftView>, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let tenant = &staff.session.tenant;
    let on = today(&platform, tenant).await?;
    let draft = platform.billing().preview(tenant, &account.id, on).await?;
    Ok(Json(draft.into()))
}

/// Issue the account's invoice for the current billing period now ("bill now"). Asked
/// again for the same period, it answers the invoice already issued, with 200.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/invoices", tag = "console",
    params(("account" = String, Path)),
    responses((status = 201, body = InvoiceView), (status = 200, body = InvoiceView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn bill_now(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<(StatusCode, Json<InvoiceView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let tenant = &staff.session.tenant;
    let on = today(&platform, tenant).await?;
    let (invoice, issued) = platform.billing().bill(tenant, &account.id, on).await?;
    if issued {
        audited(
            &platform,
            &staff,
            Some(account.id),
            "invoice.issued",
            &format!("{} for {}", invoice.number, decimal(invoice.total)),
        )
        .await?;
    }
    let status = created_or_found(issued);
    let notes = platform
        .billing()
        .credit_notes_of(tenant, &account.id, &invoice.id)
        .await?;
    Ok((status, Json(InvoiceView::of(invoice, on, notes))))
}

// The ledger.

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntryView {
    pub sequence: i64,
    pub kind: EntryKind,
    pub date: String,
    pub reference: String,
    pub description: String,
    /// Positive adds to what the account owes; negative takes from it.
    pub amount: String,
    /// What the account owes after it (negative: credit).
    pub balance: String,
    pub invoice: Option<String>,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> Self {
        LedgerEntryView {
            sequence: e.sequence,
            kind: e.kind,
            date: dates::text(e.date),
            reference: e.reference,
            description: e.description,
            amount: decimal(e.amount),
            balance: decimal(e.balance),
            invoice: e.invoice,
        }
    }
}

/// The account's balance and its ledger, newest entry first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub currency: String,
    /// What the account owes now (negative: credit).
    pub balance: String,
    /// The provider's date the account is next billed on.
    pub next_bill_on: String,
    pub items: Vec<LedgerEntryView>,
    /// Send it as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

async fn ledger_view(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    paging: &Paging,
) -> Result<LedgerView, Problem> {
    let billing = platform.billing();
    let Balance { owed, .. } = billing.balance(tenant, account).await?;
    let page = billing.ledger(tenant, account, &paging.request()).await?;
    Ok(LedgerView {
        currency: billing.settings(tenant).await?.currency,
        balance: decimal(owed),
        next_bill_on: dates::text(billing.next_bill_on(tenant, account).await?),
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    })
}

/// The account's balance and transaction ledger.
#[utoipa::path(get, path = "/v1/portal/ledger", tag = "portal", params(Paging),
    responses((status = 200, body = LedgerView), (status = 404, body = Problem)))]
pub async fn portal_ledger(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<LedgerView>, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    Ok(Json(
        ledger_view(&platform, &user.session.tenant, &account, &paging).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerExport {
    /// The first day, `2026-11-01`; from the first entry when left out.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included; to the latest entry when left out.
    #[param(format = Date)]
    pub to: Option<String>,
}

async fn ledger_csv(
    platform: &Platform,
    tenant: &crate::ids::TenantId,
    account: &AccountId,
    q: &LedgerExport,
) -> Result<Response, Problem> {
    let day = |text: &Option<String>, field: &str| -> Result<Option<Date>, Problem> {
        match text {
            None => Ok(None),
            Some(t) => dates::parse(t)
                .map(Some)
                .ok_or_else(|| Problem::validation().field(field, "a date such as 2026-11-01")),
        }
    };
    let (from, to) = (day(&q.from, "from")?, day(&q.to, "to")?);
    let entries = platform
        .billing()
        .ledger_between(tenant, account, from, to)
        .await?;
    let name = format!(
        "transactions-{}-to-{}.csv",
        from.map(dates::text).unwrap_or_else(|| "start".into()),
        to.map(dates::text).unwrap_or_else(|| "now".into())
    );
    csv_response(
        &name,
        &[
            "date",
            "transaction",
            "reference",
            "description",
            "amount",
            "balance",
        ],
        entries
            .into_iter()
            .map(|e| {
                vec![
                    dates::text(e.date),
                    wire_kind(e.kind),
                    crate::export::csv_safe(&e.reference).into_owned(),
                    crate::export::csv_safe(&e.description).into_owned(),
                    decimal(e.amount),
                    decimal(e.balance),
                ]
            })
            .collect(),
    )
}

fn wire_kind(kind: EntryKind) -> String {
    crate::http::access::wire_name(&kind)
}

/// The account's transactions from `from` to `to` as CSV, oldest first, with the running
/// balance.
#[utoipa::path(get, path = "/v1/portal/ledger/export", tag = "portal", params(LedgerExport),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn portal_ledger_csv(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(q): QueryParams<LedgerExport>,
) -> Result<Response, Problem> {
    let account = portal_account(&platform, &user, Module::Invoices).await?;
    require(&user.session, PortalAction::BillingView)?;
    ledger_csv(&platform, &user.session.tenant, &account, &q).await
}

/// An account's transactions from `from` to `to` as CSV, oldest first.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/ledger/export", tag = "console",
    params(("account" = String, Path), LedgerExport),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn console_ledger_csv(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(q): QueryParams<LedgerExport>,
) -> Result<Response, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    ledger_csv(&platform, &staff.session.tenant, &account.id, &q).await
}

/// An account's balance and transaction ledger.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/ledger", tag = "console",
    params(("account" = String, Path), Paging),
    responses((status = 200, body = LedgerView), (status = 404, body = Problem)))]
pub async fn console_ledger(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<LedgerView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    Ok(Json(
        ledger_view(&platform, &staff.session.tenant, &account.id, &paging).await?,
    ))
}

// Payments received outside a card gateway.

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub method: PaymentMethod,
    /// Minor units (cents), more than zero.
    #[schema(minimum = 1, maximum = 10000000000_i64)]
    pub amount_minor: i64,
    /// `2026-11-30`: the day the money arrived.
    #[schema(format = Date)]
    pub received_on: String,
    /// The bank's or cheque's reference; one payment a reference in an account.
    #[schema(min_length = 1, max_length = 60)]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationView {
    pub invoice: String,
    pub number: String,
    pub amount: String,
}

impl From<Allocation> for AllocationView {
    fn from(a: Allocation) -> Self {
        AllocationView {
            invoice: a.invoice,
            number: a.number,
            amount: decimal(a.amount),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: String,
    pub method: PaymentMethod,
    pub currency: String,
    pub amount: String,
    pub received_on: String,
    pub reference: String,
    /// The invoices it settled, oldest first.
    pub allocations: Vec<AllocationView>,
    /// What no invoice needed: a credit the next invoices use first.
    pub unallocated: String,
    /// True when this answers a payment recorded before under the same reference.
    pub already_recorded: bool,
}

impl PaymentView {
    fn of(p: Payment, currency: String, already_recorded: bool) -> Self {
        PaymentView {
            id: p.id,
            method: p.method,
            currency,
            amount: decimal(p.amount),
            received_on: dates::text(p.received_on),
            reference: p.reference,
            allocations: p.allocations.into_iter().map(Into::into).collect(),
            unallocated: decimal(p.unallocated),
            already_recorded,
        }
    }
}

/// Record a payment received by bank transfer, cheque or cash; it settles the account's
/// unpaid invoices oldest first and leaves the rest as credit. The same reference again
/// answers the payment already recorded, with 200.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/payments", tag = "console",
    params(("account" = String, Path)), request_body = PaymentInput,
    responses((status = 201, body = PaymentView), (status = 200, body = PaymentView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_payment(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    JsonBody(input): JsonBody<PaymentInput>,
) -> Result<(StatusCode, Json<PaymentView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let received_on = dates::parse(&input.received_on)
        .ok_or_else(|| Problem::validation().field("/received_on", "a date such as 2026-11-30"))?;
    let (payment, recorded) = platform
        .billing()
        .record_payment(
            &staff.session.tenant,
            &account.id,
            NewPayment {
                method: input.method,
                amount: input.amount_minor,
                received_on,
                reference: input.reference,
            },
            &staff.session.username,
        )
        .await?;
    if recorded {
        audited(
            &platform,
            &staff,
            Some(account.id),
            "payment.recorded",
            &format!("{} {}", payment.reference, decimal(payment.amount)),
        )
        .await?;
    }
    let status = created_or_found(recorded);
    let currency = platform
        .billing()
        .settings(&staff.session.tenant)
        .await?
        .currency;
    Ok((status, Json(PaymentView::of(payment, currency, !recorded))))
}

// Corrections: one-off charges and credits, credit notes.

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditNoteView {
    pub id: String,
    pub number: String,
    pub invoice_number: String,
    /// Tax included.
    pub amount: String,
    pub tax: String,
    pub reason: String,
    pub issued_on: String,
}

impl From<CreditNote> for CreditNoteView {
    fn from(n: CreditNote) -> Self {
        CreditNoteView {
            id: n.id,
            number: n.number,
            invoice_number: n.invoice_number,
            amount: decimal(n.amount),
            tax: decimal(n.tax),
            reason: n.reason,
            issued_on: dates::text(n.issued_on),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChargeView {
    pub id: String,
    pub description: String,
    /// Negative for a credit.
    pub amount: String,
    pub reason: String,
    pub state: ChargeState,
    /// The invoice that took it.
    pub invoice: Option<String>,
    pub added_on: String,
    pub added_by: String,
}

impl From<OneOffCharge> for ChargeView {
    fn from(c: OneOffCharge) -> Self {
        ChargeView {
            id: c.id,
            description: c.description,
            amount: decimal(c.amount),
            reason: c.reason,
            state: c.state,
            invoice: c.invoice,
            added_on: dates::text(c.added_on),
            added_by: c.added_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeInput {
    /// What the customer reads on the invoice.
    #[schema(min_length = 1, max_length = 80)]
    pub description: String,
    /// Minor units, as the provider's prices are (tax included or not); negative for a
    /// credit, never zero.
    #[schema(minimum = -100000000_i64, maximum = 100000000_i64)]
    pub amount_minor: i64,
    /// Why: kept with the charge and on the audit trail.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// An account's one-off charges and credits, newest first (the last 1,000).
#[utoipa::path(get, path = "/v1/console/accounts/{account}/charges", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = Vec<ChargeView>), (status = 404, body = Problem)))]
pub async fn charges(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<Vec<ChargeView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let list = platform
        .billing()
        .charges(&staff.session.tenant, &account.id)
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Add a one-off charge or credit to the account's next invoice.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/charges", tag = "console",
    params(("account" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "8 to 128 characters; a retry with the same key and body answers the charge the first added (200)")),
    request_body = ChargeInput,
    responses((status = 201, body = ChargeView), (status = 200, body = ChargeView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_charge(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    headers: axum::http::HeaderMap,
    JsonBody(input): JsonBody<ChargeInput>,
) -> Result<(StatusCode, Json<ChargeView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let (charge, added) = platform
        .billing()
        .add_charge(
            &staff.session.tenant,
            &account.id,
            &input.description,
            input.amount_minor,
            &input.reason,
            &staff.session.username,
            idempotency_key(&headers).as_deref(),
        )
        .await?;
    if !added {
        return Ok((StatusCode::OK, Json(charge.into())));
    }
    audited(
        &platform,
        &staff,
        Some(account.id),
        "charge.added",
        &format!(
            "{} {}: {}",
            charge.description,
            decimal(charge.amount),
            charge.reason
        ),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(charge.into())))
}

/// Take back a one-off charge or credit no invoice has taken yet.
#[utoipa::path(delete, path = "/v1/console/accounts/{account}/charges/{charge}", tag = "console",
    params(("account" = String, Path), ("charge" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn remove_charge(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, charge)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    platform
        .billing()
        .remove_charge(&staff.session.tenant, &account.id, &charge)
        .await?;
    audited(
        &platform,
        &staff,
        Some(account.id),
        "charge.removed",
        &charge,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteInput {
    /// Minor units, tax included: at most what the invoice still holds to credit.
    #[schema(minimum = 1, maximum = 100000000_i64)]
    pub amount_minor: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// Correct an issued invoice with a credit note (its own number; the invoice itself
/// never changes).
#[utoipa::path(post, path = "/v1/console/accounts/{account}/invoices/{invoice}/credit-notes",
    tag = "console", params(("account" = String, Path), ("invoice" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "8 to 128 characters; a retry with the same key and body answers the credit note the first issued (200)")),
    request_body = CreditNoteInput,
    responses((status = 201, body = CreditNoteView), (status = 200, body = CreditNoteView),
        (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn credit_note(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, invoice)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    JsonBody(input): JsonBody<CreditNoteInput>,
) -> Result<(StatusCode, Json<CreditNoteView>), Problem> {
    staff.require(Permission::BillingManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let (note, issued) = platform
        .billing()
        .credit_invoice(
            &staff.session.tenant,
            &account.id,
            &invoice,
            input.amount_minor,
            &input.reason,
            &staff.session.username,
            idempotency_key(&headers).as_deref(),
        )
        .await?;
    if !issued {
        return Ok((StatusCode::OK, Json(note.into())));
    }
    audited(
        &platform,
        &staff,
        Some(account.id),
        "credit_note.issued",
        &format!(
            "{} against {} for {}: {}",
            note.number,
            note.invoice_number,
            decimal(note.amount),
            note.reason
        ),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

// Reports.

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodReport {
    /// The first day, `2026-11-01` (the provider's date).
    #[param(format = Date)]
    pub from: String,
    /// The last day, included.
    #[param(format = Date)]
    pub to: String,
    /// `json` (the default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// Reports cover every account: for staff who see them all.
fn reports_of_every_account(staff: &StaffUser) -> Result<(), Problem> {
    staff.require(Permission::ReportsView)?;
    if staff.session.principal.sees_group(None) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Billing reports are for staff who see every account",
        ))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgedBalanceView {
    pub currency: String,
    pub account: String,
    pub account_number: String,
    pub account_name: String,
    pub current: String,
    pub days_1_30: String,
    pub days_31_60: String,
    pub days_61_90: String,
    pub days_over_90: String,
    pub total: String,
}

/// What each account owes on its invoices, by how long past due (on the provider's date
/// today), most owed first; as JSON or CSV.
#[utoipa::path(get, path = "/v1/console/reports/aged-balances", tag = "console", params(ReportFormat),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((Vec<AgedBalanceView> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem)))]
pub async fn aged_balances(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<ReportFormat>,
) -> Result<Response, Problem> {
    reports_of_every_account(&staff)?;
    let csv = wants_csv(q.format.as_deref())?;
    let tenant = &staff.session.tenant;
    let on = today(&platform, tenant).await?;
    let currency = platform.billing().settings(tenant).await?.currency;
    let rows: Vec<AgedBalanceView> = platform
        .billing()
        .aged_balances(tenant, on)
        .await?
        .into_iter()
        .map(|r| AgedBalanceView {
            currency: currency.clone(),
            account: r.account,
            account_number: r.account_number,
            account_name: r.account_name,
            current: decimal(r.current),
            days_1_30: decimal(r.days_1_30),
            days_31_60: decimal(r.days_31_60),
            days_61_90: decimal(r.days_61_90),
            days_over_90: decimal(r.days_over_90),
            total: decimal(r.total),
        })
        .collect();
    if !csv {
        return Ok(Json(rows).into_response());
    }
    csv_response(
        &format!("aged-balances-{}.csv", dates::text(on)),
        &[
            "account", "number", "name", "current", "1-30", "31-60", "61-90", "over 90", "total",
        ],
        rows.into_iter()
            .map(|r| {
                vec![
                    r.account,
                    crate::export::csv_safe(&r.account_number).into_owned(),
                    crate::export::csv_safe(&r.account_name).into_owned(),
                    r.current,
                    r.days_1_30,
                    r.days_31_60,
                    r.days_61_90,
                    r.days_over_90,
                    r.total,
                ]
            })
            .collect(),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedDocumentView {
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: String,
    pub issued_on: String,
    pub account_number: String,
    pub account_name: String,
    /// Before tax; negative for a credit note.
    pub subtotal: String,
    pub tax: String,
    pub total: String,
}

/// A period's invoices and credit notes, and what they come to.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedInPeriodView {
    pub from: String,
    pub to: String,
    pub currency: String,
    pub items: Vec<IssuedDocumentView>,
    /// Invoices less credit notes.
    pub subtotal: String,
    pub tax: String,
    pub total: String,
}

/// The invoices and credit notes issued in a period with their tax (for the provider's tax
/// return), oldest first; as JSON or CSV.
#[utoipa::path(get, path = "/v1/console/reports/invoices", tag = "console", params(PeriodReport),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((IssuedInPeriodView = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn issued_in_period(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<PeriodReport>,
) -> Result<Response, Problem> {
    reports_of_every_account(&staff)?;
    let csv = wants_csv(q.format.as_deref())?;
    let (from, to) = report_period(&q)?;
    let tenant = &staff.session.tenant;
    let billing = platform.billing();
    let period = billing.issued_in(tenant, from, to).await?;
    let currency = billing.settings(tenant).await?.currency;
    let mut items: Vec<(Date, IssuedDocumentView)> = Vec::new();
    for i in &period.invoices {
        items.push((
            i.issued_on,
            IssuedDocumentView {
                kind: "invoice".into(),
                number: i.number.clone(),
                issued_on: dates::text(i.issued_on),
                account_number: i.account_number.clone(),
                account_name: i.account_name.clone(),
                subtotal: decimal(i.subtotal),
                tax: decimal(i.tax),
                total: decimal(i.total),
            },
        ));
    }
    for n in &period.credit_notes {
        items.push((
            n.issued_on,
            IssuedDocumentView {
                kind: "credit_note".into(),
                number: n.number.clone(),
                issued_on: dates::text(n.issued_on),
                account_number: String::new(),
                account_name: format!("against {}", n.invoice_number),
                subtotal: decimal(-(n.amount - n.tax)),
                tax: decimal(-n.tax),
                total: decimal(-n.amount),
            },
        ));
    }
    items.sort_by_key(|(on, _)| *on);
    let view = IssuedInPeriodView {
        from: dates::text(from),
        to: dates::text(to),
        currency,
        items: items.into_iter().map(|(_, v)| v).collect(),
        subtotal: decimal(period.subtotal - (period.credited - period.credited_tax)),
        tax: decimal(period.tax - period.credited_tax),
        total: decimal(period.total - period.credited),
    };
    if !csv {
        return Ok(Json(view).into_response());
    }
    let mut rows: Vec<Vec<String>> = view
        .items
        .iter()
        .map(|d| {
            vec![
                d.kind.clone(),
                d.number.clone(),
                d.issued_on.clone(),
                crate::export::csv_safe(&d.account_number).into_owned(),
                crate::export::csv_safe(&d.account_name).into_owned(),
                d.subtotal.clone(),
                d.tax.clone(),
                d.total.clone(),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        view.subtotal.clone(),
        view.tax.clone(),
        view.total.clone(),
    ]);
    csv_response(
        &format!("invoices-{}-to-{}.csv", view.from, view.to),
        &[
            "kind",
            "number",
            "issued_on",
            "account",
            "name",
            "subtotal",
            "tax",
            "total",
        ],
        rows,
    )
}

/// One part of a payment against the invoice it settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentLineView {
    pub received_on: String,
    pub account_number: String,
    pub account_name: String,
    pub method: PaymentMethod,
    pub reference: String,
    /// Empty for what no invoice took (credit).
    pub invoice_number: String,
    pub amount: String,
}

/// The payments received in a period, a line per invoice each settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentsByInvoiceView {
    pub from: String,
    pub to: String,
    pub currency: String,
    pub items: Vec<PaymentLineView>,
    pub total: String,
}

/// The payments received in a period, one line per invoice each settled (the "Cardlines
/// by Invoice" report; card payments join it with the gateway), oldest first; as JSON or
/// CSV.
#[utoipa::path(get, path = "/v1/console/reports/payments", tag = "console", params(PeriodReport),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((PaymentsByInvoiceView = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn payments_by_invoice(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<PeriodReport>,
) -> Result<Response, Problem> {
    reports_of_every_account(&staff)?;
    let csv = wants_csv(q.format.as_deref())?;
    let (from, to) = report_period(&q)?;
    let tenant = &staff.session.tenant;
    let billing = platform.billing();
    let lines = billing.payments_by_invoice(tenant, from, to).await?;
    let total: i64 = lines.iter().map(|l| l.amount).sum();
    let view = PaymentsByInvoiceView {
        from: dates::text(from),
        to: dates::text(to),
        currency: billing.settings(tenant).await?.currency,
        items: lines
            .into_iter()
            .map(|l| PaymentLineView {
                received_on: dates::text(l.received_on),
                account_number: l.account_number,
                account_name: l.account_name,
                method: l.method,
                reference: l.reference,
                invoice_number: l.invoice_number,
                amount: decimal(l.amount),
            })
            .collect(),
        total: decimal(total),
    };
    if !csv {
        return Ok(Json(view).into_response());
    }
    let rows = view
        .items
        .iter()
        .map(|l| {
            vec![
                l.received_on.clone(),
                crate::export::csv_safe(&l.account_number).into_owned(),
                crate::export::csv_safe(&l.account_name).into_owned(),
                wire_method(l.method),
                crate::export::csv_safe(&l.reference).into_owned(),
                l.invoice_number.clone(),
                view.currency.clone(),
                l.amount.clone(),
            ]
        })
        .collect();
    csv_response(
        &format!("payments-{}-to-{}.csv", view.from, view.to),
        &[
            "received_on",
            "account_number",
            "account_name",
            "method",
            "reference",
            "invoice",
            "currency",
            "amount",
        ],
        rows,
    )
}

fn wire_method(method: PaymentMethod) -> String {
    crate::http::access::wire_name(&method)
}

/// A report's period: `from` on or before `to`, a year at most.
fn report_period(q: &PeriodReport) -> Result<(Date, Date), Problem> {
    match (dates::parse(&q.from), dates::parse(&q.to)) {
        (Some(from), Some(to)) if from <= to && (to - from).whole_days() <= 366 => Ok((from, to)),
        _ => Err(Problem::validation().field(
            "from",
            "a date such as 2026-11-01, on or before `to`, a year at most",
        )),
    }
}

// Bill runs.

#[derive(Debug, Serialize, ToSchema)]
pub struct RunFailureView {
    pub account: String,
    pub reason: String,
}

/// What a day's bill run came to (its latest attempt; while batches are still billing,
/// what those that finished came to).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// `2026-12-01`: the provider's date.
    pub date: String,
    /// 1 for the day's first attempt; each retry after a failure is the next.
    pub attempt: u32,
    /// The batches the attempt bills its accounts in, and how many have finished.
    pub batches: u32,
    pub batches_done: u32,
    /// Accounts whose bill day it was.
    pub due: u32,
    pub issued: u32,
    /// Already billed for the period (an earlier attempt, or "bill now").
    pub already: u32,
    /// Nothing new to bill.
    pub nothing: u32,
    pub failures: Vec<RunFailureView>,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: time::OffsetDateTime,
    /// When its last batch finished.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: time::OffsetDateTime,
}

impl From<RunReport> for RunView {
    fn from(r: RunReport) -> Self {
        RunView {
            date: dates::text(r.date),
            attempt: r.attempt,
            batches: r.batches,
            batches_done: r.batches_done,
            due: r.due,
            issued: r.issued,
            already: r.already,
            nothing: r.nothing,
            failures: r
                .failures
                .into_iter()
                .map(|f| RunFailureView {
                    account: f.account,
                    reason: f.reason,
                })
                .collect(),
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// The provider's bill runs of the last 31 days that ran, newest first.
#[utoipa::path(get, path = "/v1/console/billing/runs", tag = "console",
    responses((status = 200, body = Vec<RunView>), (status = 403, body = Problem)))]
pub async fn bill_runs(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<Vec<RunView>>, Problem> {
    every_account(&staff)?;
    let runs = platform.billing().runs(&staff.session.tenant, 31).await?;
    Ok(Json(runs.into_iter().map(Into::into).collect()))
}

/// How long "run now" bills while the request waits; the function's own limit is 10 s.
const RUN_NOW_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// Run today's bill run now (again): accounts already billed are left as they are, so
/// this retries the failed ones and bills what is newly due. 200 when it finished while
/// the request waited; 202 when it had more to bill than a request can wait for (the
/// schedule carries on with the rest); 409 while an attempt is still billing.
#[utoipa::path(post, path = "/v1/console/billing/runs", tag = "console",
    responses((status = 200, body = RunView), (status = 202, body = RunView),
        (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn run_bills_now(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<(StatusCode, Json<RunView>), Problem> {
    every_account(&staff)?;
    let tenant = &staff.session.tenant;
    let on = today(&platform, tenant).await?;
    let (report, finished) = match platform
        .billing()
        .run_now(tenant, on, Some(RUN_NOW_BUDGET))
        .await?
    {
        Ok(ran) => ran,
        Err(_) => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "bill-run-running",
                "Today's bill run is still billing",
            )
            .detail("Its progress is on the bill runs page; run it again once it has finished."));
        }
    };
    audited(
        &platform,
        &staff,
        None,
        "billing.run",
        &format!("{}: {} issued", dates::text(on), report.issued),
    )
    .await?;
    let status = if finished {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(report.into())))
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_invoices))
        .routes(routes!(portal_invoice))
        .routes(routes!(portal_ledger))
        .routes(routes!(billing_settings, set_billing_settings))
        .routes(routes!(console_invoices, bill_now))
        .routes(routes!(console_invoice))
        .routes(routes!(invoice_preview))
        .routes(routes!(console_ledger))
        .routes(routes!(record_payment))
        .routes(routes!(bill_runs, run_bills_now))
        .routes(routes!(charges, add_charge))
        .routes(routes!(remove_charge))
        .routes(routes!(credit_note))
        .routes(routes!(aged_balances))
        .routes(routes!(portal_invoice_pdf))
        .routes(routes!(portal_ledger_csv))
        .routes(routes!(portal_itemised))
        .routes(routes!(account_billing, set_account_billing))
        .routes(routes!(console_itemised))
        .routes(routes!(console_ledger_csv))
        .routes(routes!(console_invoice_pdf))
        .routes(routes!(issued_in_period))
        .routes(routes!(payments_by_invoice))
        .routes(routes!(portal_invoice_files))
        .routes(routes!(console_invoice_files))
}
