//! The provider's card payment reports: Cardlines by Invoice, card takings by day, failed
//! card payments; each as JSON or CSV, for staff who see every account.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::billing::dates;
use crate::domain::catalogue::money::decimal;
use crate::domain::payments::model::{CardPaymentStatus, Origin};
use crate::domain::payments::reports::{CardDay, CardLine};
use crate::export::csv_safe;
use crate::http::access::StaffUser;
use crate::http::billing::reports::{AskedPeriod, PeriodReport, asked_period};
use crate::http::downloads::csv_response;
use crate::http::problem::{Problem, QueryParams};
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct CardLineView {
    pub payment: String,
    /// The provider's day it was started on.
    pub day: String,
    pub account: String,
    pub account_number: String,
    pub account_name: String,
    pub invoice: Option<String>,
    pub invoice_number: Option<String>,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub currency: String,
    /// Decimal in the currency's major unit.
    pub amount: String,
    pub refunded: String,
    /// The gateway's fee, once its balance has shown the charge (reconciliation reads it).
    pub fee: Option<String>,
    pub status: CardPaymentStatus,
    pub origin: Origin,
    /// Why it failed, in plain words.
    pub failure: Option<String>,
    pub attempts: u32,
    pub next_retry_on: Option<String>,
    /// The gateway's reference.
    pub reference: Option<String>,
}

impl From<CardLine> for CardLineView {
    fn from(l: CardLine) -> Self {
        let p = l.payment;
        CardLineView {
            day: dates::text(l.day),
            account: p.account,
            account_number: l.account_number,
            account_name: l.account_name,
            invoice: p.invoice,
            invoice_number: p.invoice_number,
            brand: p.card.as_ref().map(|c| c.brand.clone()),
            last4: p.card.as_ref().map(|c| c.last4.clone()),
            currency: p.currency,
            amount: decimal(p.amount),
            refunded: decimal(p.refunded),
            fee: p.fee.map(decimal),
            status: p.status,
            origin: p.origin,
            failure: p.failure,
            attempts: p.attempts,
            next_retry_on: p.next_retry_on.map(dates::text),
            reference: p.intent,
            payment: p.id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardLinesView {
    pub from: String,
    pub to: String,
    pub items: Vec<CardLineView>,
}

fn wire<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

const LINE_COLUMNS: [&str; 16] = [
    "day",
    "payment",
    "account_number",
    "account_name",
    "invoice",
    "brand",
    "last4",
    "currency",
    "amount",
    "refunded",
    "fee",
    "status",
    "origin",
    "failure",
    "attempts",
    "reference",
];

fn line_row(l: &CardLineView) -> Vec<String> {
    vec![
        l.day.clone(),
        l.payment.clone(),
        csv_safe(&l.account_number).into_owned(),
        csv_safe(&l.account_name).into_owned(),
        l.invoice_number.clone().unwrap_or_default(),
        csv_safe(l.brand.as_deref().unwrap_or_default()).into_owned(),
        l.last4.clone().unwrap_or_default(),
        l.currency.clone(),
        l.amount.clone(),
        l.refunded.clone(),
        l.fee.clone().unwrap_or_default(),
        wire(l.status),
        wire(l.origin),
        csv_safe(l.failure.as_deref().unwrap_or_default()).into_owned(),
        l.attempts.to_string(),
        l.reference.clone().unwrap_or_default(),
    ]
}

fn lines_answer(
    name: &str,
    from: time::Date,
    to: time::Date,
    lines: Vec<CardLine>,
    csv: bool,
) -> Result<Response, Problem> {
    let view = CardLinesView {
        from: dates::text(from),
        to: dates::text(to),
        items: lines.into_iter().map(Into::into).collect(),
    };
    if !csv {
        return Ok(Json(view).into_response());
    }
    csv_response(
        &format!("{name}-{}-to-{}.csv", view.from, view.to),
        &LINE_COLUMNS,
        view.items.iter().map(line_row).collect(),
    )
}

/// Cardlines by Invoice: each card payment started between two of the provider's days,
/// against the invoice it settled (none: paid ahead), with the card's brand and last four,
/// the gateway's fee once known and its state (failed ones too), oldest first.
#[utoipa::path(get, path = "/v1/console/reports/card-lines", tag = "console", params(PeriodReport),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((CardLinesView = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn card_lines(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<PeriodReport>,
) -> Result<Response, Problem> {
    let AskedPeriod { from, to, csv } = asked_period(&staff, &q)?;
    let lines = platform
        .payments()
        .card_lines(&staff.session.tenant, from, to)
        .await?;
    lines_answer("card-lines", from, to, lines, csv)
}

/// The card payments started between two days that failed and are not paid since, with
/// the bank's reason, the tries so far and the next automatic one.
#[utoipa::path(get, path = "/v1/console/reports/failed-card-payments", tag = "console", params(PeriodReport),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((CardLinesView = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn failed_card_payments(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<PeriodReport>,
) -> Result<Response, Problem> {
    let AskedPeriod { from, to, csv } = asked_period(&staff, &q)?;
    let lines = platform
        .payments()
        .failed_card_payments(&staff.session.tenant, from, to)
        .await?;
    lines_answer("failed-card-payments", from, to, lines, csv)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardDayView {
    pub day: String,
    pub currency: String,
    pub succeeded: u32,
    pub failed: u32,
    /// Decimals in the currency's major unit: taken by succeeded payments, given back,
    /// the gateway's known fees, and what stays.
    pub taken: String,
    pub refunded: String,
    pub fees: String,
    /// Paid payments whose fee is not known yet (left out of `fees` and `net`).
    pub fees_unknown: u32,
    pub net: String,
}

impl From<CardDay> for CardDayView {
    fn from(d: CardDay) -> Self {
        CardDayView {
            day: dates::text(d.day),
            net: decimal(d.net()),
            currency: d.currency,
            succeeded: d.succeeded,
            failed: d.failed,
            taken: decimal(d.taken),
            refunded: decimal(d.refunded),
            fees: decimal(d.fees),
            fees_unknown: d.fees_unknown,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardDaysView {
    pub from: String,
    pub to: String,
    pub items: Vec<CardDayView>,
}

/// Card takings by the provider's day: payments that succeeded and failed, the amount
/// taken, refunded, the known fees and what stays; days without card payments left out.
#[utoipa::path(get, path = "/v1/console/reports/card-payments-by-day", tag = "console", params(PeriodReport),
    responses((status = 200, description = "JSON, or CSV with `format=csv`",
            content((CardDaysView = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn card_payments_by_day(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<PeriodReport>,
) -> Result<Response, Problem> {
    let AskedPeriod { from, to, csv } = asked_period(&staff, &q)?;
    let days = platform
        .payments()
        .card_days(&staff.session.tenant, from, to)
        .await?;
    let view = CardDaysView {
        from: dates::text(from),
        to: dates::text(to),
        items: days.into_iter().map(Into::into).collect(),
    };
    if !csv {
        return Ok(Json(view).into_response());
    }
    csv_response(
        &format!("card-payments-by-day-{}-to-{}.csv", view.from, view.to),
        &[
            "day",
            "currency",
            "succeeded",
            "failed",
            "taken",
            "refunded",
            "fees",
            "fees_unknown",
            "net",
        ],
        view.items
            .iter()
            .map(|d| {
                vec![
                    d.day.clone(),
                    d.currency.clone(),
                    d.succeeded.to_string(),
                    d.failed.to_string(),
                    d.taken.clone(),
                    d.refunded.clone(),
                    d.fees.clone(),
                    d.fees_unknown.to_string(),
                    d.net.clone(),
                ]
            })
            .collect(),
    )
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(card_lines))
        .routes(routes!(failed_card_payments))
        .routes(routes!(card_payments_by_day))
}
