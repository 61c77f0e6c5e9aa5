//! The daily bill run: every account of a provider whose bill day is today gets its
//! invoice for the period, once ([`super::Billing::bill`] makes a retried or overlapping
//! run harmless), and the run's outcome is kept per day for staff: how many accounts were
//! billed, which had nothing new, which failed and why. A day whose run had failures is
//! run again by the next schedule, so a failure is retried without anyone asking.

use time::{Date, OffsetDateTime};

use super::dates;

/// One account the run could not bill, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunFailure {
    pub account: String,
    pub reason: String,
}

/// What a provider's bill run of one day came to (its latest attempt).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunReport {
    #[serde(with = "dates::iso")]
    pub date: Date,
    /// Accounts whose bill day it was.
    pub due: u32,
    /// Invoices this attempt issued.
    pub issued: u32,
    /// Accounts already billed for the period (by an earlier attempt or "bill now").
    pub already: u32,
    /// Accounts with nothing new to bill.
    pub nothing: u32,
    pub failures: Vec<RunFailure>,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
}

impl RunReport {
    pub fn complete(&self) -> bool {
        self.failures.is_empty()
    }
}
