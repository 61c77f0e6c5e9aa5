//! What a bill run is made of and comes to: each day's attempts, the batches of accounts
//! each is worked in, and what each batch and the day came to. The operations are in
//! [`super::run`].

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::dates;
use crate::ids::{AccountId, TenantId};

/// One account the run could not bill, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    pub account: String,
    pub reason: String,
}

/// What a provider's bill run of one day came to (its latest attempt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    #[serde(with = "dates::iso")]
    pub date: Date,
    /// The attempt this is (1 the first; each schedule after a failure makes another).
    pub attempt: u32,
    /// Batches the attempt was planned in, and how many have reported.
    pub batches: u32,
    pub batches_done: u32,
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
    pub started_at: OffsetDateTime,
    /// When its last batch reported (its start while none has).
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
}

impl RunReport {
    /// Every batch reported.
    pub fn finished(&self) -> bool {
        self.batches_done >= self.batches
    }

    /// Every batch reported, and no account failed.
    pub fn complete(&self) -> bool {
        self.finished() && self.failures.is_empty()
    }
}

/// One batch of a run, as handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunBatch {
    pub tenant: TenantId,
    #[serde(with = "dates::iso")]
    pub date: Date,
    pub attempt: u32,
    /// Its number in the attempt, from 1.
    pub batch: u32,
    pub accounts: Vec<AccountId>,
}

/// A planned attempt, as stored: how many batches, and when it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RunStart {
    #[serde(with = "dates::iso")]
    pub date: Date,
    pub attempt: u32,
    pub batches: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
}

/// What one batch came to, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct BatchOutcome {
    pub due: u32,
    pub issued: u32,
    pub already: u32,
    pub nothing: u32,
    pub failures: Vec<RunFailure>,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
}
