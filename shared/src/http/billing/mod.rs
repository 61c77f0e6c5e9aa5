//! Billing over HTTP (the `api-billing` function): an end user's invoices and ledger on
//! the portal (the Invoices module turns them on); for staff, the billing settings, an
//! account's invoices and ledger, the next invoice previewed, "bill now" and payments
//! received outside a card gateway.
//!
//! One file a part: settings, invoices, the ledger, payments, corrections, reports, runs.

mod corrections;
mod invoices;
mod ledger;
mod payments;
pub mod reports;
mod runs;
mod settings;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::identity::Permission;
use crate::http::access::StaffUser;
use crate::http::problem::Problem;
use crate::platform::Platform;

/// Billing settings and bill runs reach every account: staff limited to account groups
/// neither change nor run them.
pub(super) fn every_account(staff: &StaffUser) -> Result<(), Problem> {
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
/// For the payment settings and reports: billing staff who see every account.
pub(crate) fn every_account_staff(staff: &StaffUser) -> Result<(), Problem> {
    every_account(staff)
}

pub(super) fn idempotency_key(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
}

/// 201 for what this request made, 200 for what an earlier one did.
pub(super) fn created_or_found(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

pub fn routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(invoices::portal_invoices))
        .routes(routes!(invoices::portal_invoice))
        .routes(routes!(ledger::portal_ledger))
        .routes(routes!(
            settings::billing_settings,
            settings::set_billing_settings
        ))
        .routes(routes!(invoices::console_invoices, invoices::bill_now))
        .routes(routes!(invoices::console_invoice))
        .routes(routes!(invoices::invoice_preview))
        .routes(routes!(ledger::console_ledger))
        .routes(routes!(payments::record_payment))
        .routes(routes!(runs::bill_runs, runs::run_bills_now))
        .routes(routes!(corrections::charges, corrections::add_charge))
        .routes(routes!(corrections::remove_charge))
        .routes(routes!(corrections::credit_note))
        .routes(routes!(reports::aged_balances))
        .routes(routes!(invoices::portal_invoice_pdf))
        .routes(routes!(ledger::portal_ledger_csv))
        .routes(routes!(invoices::portal_itemised))
        .routes(routes!(
            settings::account_billing,
            settings::set_account_billing
        ))
        .routes(routes!(invoices::console_itemised))
        .routes(routes!(ledger::console_ledger_csv))
        .routes(routes!(invoices::console_invoice_pdf))
        .routes(routes!(reports::issued_in_period))
        .routes(routes!(reports::payments_by_invoice))
        .routes(routes!(invoices::portal_invoice_files))
        .routes(routes!(invoices::console_invoice_files))
}
