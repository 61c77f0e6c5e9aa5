//! Invoices: the portal's and the console's, their PDFs, stored files and itemised usage, the next invoice previewed and "bill now".

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use super::corrections::CreditNoteView;
use super::created_or_found;
use crate::domain::billing::Draft;
use crate::domain::billing::adjustments::CreditNote;
use crate::domain::billing::dates;
use crate::domain::billing::invoice::{Invoice, InvoiceLine, InvoiceStatus, LineKind};
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::domain::settings::Module;
use crate::http::access::{
    PortalAction, PortalUser, StaffUser, portal_account, require, visible_account,
};
use crate::http::problem::{Problem, QueryParams};
use crate::http::views::{PageOf, Paging, today};
use crate::ids::AccountId;
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineView {
    pub kind: LineKind,
    pub description: String,
    pub service: String,
    /// The service's identifier: its number, its circuit.
    pub identifier: String,
    /// As people read it (`+61 2 5550 1234`).
    pub identifier_shown: String,
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
            identifier_shown: crate::domain::contact::for_people(&l.identifier),
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
        staff
            .record(
                &platform,
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
