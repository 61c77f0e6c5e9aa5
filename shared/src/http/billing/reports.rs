//! The provider's billing reports: aged balances, a period's invoices and credit notes with their tax, payments by invoice.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::domain::billing::dates;
use crate::domain::billing::payments::PaymentMethod;
use crate::domain::catalogue::money::decimal;
use crate::domain::identity::Permission;
use crate::http::access::StaffUser;
use crate::http::downloads::{ReportFormat, csv_response, wants_csv};
use crate::http::problem::{Problem, QueryParams};
use crate::http::views::today;
use crate::platform::Platform;

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
pub(crate) fn reports_of_every_account(staff: &StaffUser) -> Result<(), Problem> {
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
    let AskedPeriod { from, to, csv } = asked_period(&staff, &q)?;
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
    let AskedPeriod { from, to, csv } = asked_period(&staff, &q)?;
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
/// A period report staff asked for: allowed (they see every account), its days, and
/// whether as CSV.
pub(crate) struct AskedPeriod {
    pub from: Date,
    pub to: Date,
    pub csv: bool,
}

pub(crate) fn asked_period(staff: &StaffUser, q: &PeriodReport) -> Result<AskedPeriod, Problem> {
    reports_of_every_account(staff)?;
    let csv = wants_csv(q.format.as_deref())?;
    let (from, to) = report_period(q)?;
    Ok(AskedPeriod { from, to, csv })
}

fn report_period(q: &PeriodReport) -> Result<(Date, Date), Problem> {
    match (dates::parse(&q.from), dates::parse(&q.to)) {
        (Some(from), Some(to)) if from <= to && (to - from).whole_days() <= 366 => Ok((from, to)),
        _ => Err(Problem::validation().field(
            "from",
            "a date such as 2026-11-01, on or before `to`, a year at most",
        )),
    }
}
