//! The daily bill run: every account of a provider whose bill day is today gets its
//! invoice for the period, once ([`super::Billing::bill`] makes a retried or overlapping
//! run harmless), and the run's outcome is kept per day for staff: how many accounts were
//! billed, which had nothing new, which failed and why. A day whose run had failures is
//! run again by the next schedule, so a failure is retried without anyone asking.
//!
//! A run is planned, then worked in batches: the plan pages the provider's accounts into
//! batches of a page each and records how many there are (an *attempt*); each batch bills
//! its accounts that are due and records what it came to, under the attempt and its
//! number, so a batch delivered twice records one outcome. The day's report is the sum of
//! its latest attempt's batches. Deployed, a Step Functions distributed map hands the
//! batches to workers in parallel (docs/operations.md); locally they run one after another
//! in-process, through the same functions.

use time::Date;

use super::batches::{BatchOutcome, RunStart};
pub use super::batches::{RunBatch, RunFailure, RunReport};
use super::{Billing, BillingError, record, settings};
use crate::domain::accounts::{AccountKind, AccountStatus};
use crate::domain::paging::PageRequest;
use crate::ids::{AccountId, TenantId};

/// Accounts in one batch: a page of the provider's accounts.
pub const BATCH_SIZE: usize = 100;

/// An attempt not finished, with no batch reported this long (nor started), is taken as
/// stalled (its workers stopped) and planned again; before that, the schedule leaves it
/// to run.
pub const STALLED_AFTER: time::Duration = time::Duration::minutes(20);

/// A planned attempt: its batches, to record with [`Billing::record_plan`] once they are
/// safely handed to the workers.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub tenant: TenantId,
    start: RunStart,
    pub batches: Vec<RunBatch>,
}

/// Why a run cannot be started now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotPlanned {
    /// The day's run completed (and it was not asked for again).
    Complete,
    /// An attempt is still billing.
    Running,
}

impl Billing {
    /// Plans the tenant's run of `on`: its active end-user accounts in batches, as a new
    /// attempt (recorded by [`Billing::record_plan`]). Not when the day's run completed
    /// (unless `again`: staff's "run again"), nor while an attempt is still billing: a batch
    /// reported, or it started, less than [`STALLED_AFTER`] ago.
    pub async fn plan_run(
        &self,
        tenant: &TenantId,
        on: Date,
        again: bool,
    ) -> Result<Result<PlannedRun, NotPlanned>, BillingError> {
        let last = self.run_of(tenant, on).await?;
        let now = self.clock.now();
        if let Some(last) = &last {
            if !last.finished() && now - last.finished_at.max(last.started_at) < STALLED_AFTER {
                return Ok(Err(NotPlanned::Running));
            }
            if last.complete() && !again {
                return Ok(Err(NotPlanned::Complete));
            }
        }
        let attempt = last.map_or(1, |l| l.attempt + 1);
        let mut batches = Vec::new();
        let mut page = PageRequest::first(BATCH_SIZE);
        loop {
            let accounts = self.accounts.list(tenant, &page).await?;
            let billable: Vec<AccountId> = accounts
                .items
                .iter()
                .filter(|a| a.kind == AccountKind::EndUser && a.status == AccountStatus::Active)
                .map(|a| a.id)
                .collect();
            if !billable.is_empty() {
                batches.push(RunBatch {
                    tenant: *tenant,
                    date: on,
                    attempt,
                    batch: batches.len() as u32 + 1,
                    accounts: billable,
                });
            }
            match accounts.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
        Ok(Ok(PlannedRun {
            tenant: *tenant,
            start: RunStart {
                date: on,
                attempt,
                batches: batches.len() as u32,
                started_at: now,
            },
            batches,
        }))
    }

    /// Records a planned attempt as the day's run: from now on the day's report is its
    /// batches'. Done once its batches are handed to the workers, so a plan that never
    /// reached them leaves the last attempt as it was, and the next schedule plans again.
    pub async fn record_plan(&self, plan: &PlannedRun) -> Result<(), BillingError> {
        self.table
            .put(record::run_item(&plan.tenant, &plan.start)?, None)
            .await?;
        Ok(())
    }

    /// Bills the batch's accounts whose bill day is its date, and records what it came
    /// to. Run twice, it issues nothing twice and records one outcome. Past `deadline`, it
    /// stops before the next account and records nothing (false): the batch is unfinished,
    /// and the attempt is planned again once it has stalled.
    pub async fn run_batch(
        &self,
        batch: &RunBatch,
        deadline: Option<std::time::Instant>,
    ) -> Result<bool, BillingError> {
        let tenant = &batch.tenant;
        let on = batch.date;
        let settings = settings::read(self.table.as_ref(), tenant).await?;
        let zone = self.zone(tenant).await?;
        let mut outcome = BatchOutcome {
            due: 0,
            issued: 0,
            already: 0,
            nothing: 0,
            failures: Vec::new(),
            finished_at: self.clock.now(),
        };
        for id in &batch.accounts {
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Ok(false);
            }
            // Read again: it may have closed since the plan.
            let account = self.accounts.get(tenant, id).await?;
            if account.kind() != AccountKind::EndUser || account.status != AccountStatus::Active {
                continue;
            }
            // The account's own bill day, or the provider's rule.
            let own = settings::read_account(self.table.as_ref(), tenant, id).await?;
            let rule = own.over(&settings).bill_day;
            if rule.day_for(zone.date_of(account.created_at)) != on.day() {
                continue;
            }
            outcome.due += 1;
            match self.bill(tenant, id, on).await {
                Ok((_, true)) => outcome.issued += 1,
                Ok((_, false)) => outcome.already += 1,
                Err(BillingError::NothingToBill) => outcome.nothing += 1,
                Err(error) => {
                    tracing::warn!(tenant = %tenant, account = %id, %error,
                        "the bill run could not bill an account");
                    outcome.failures.push(RunFailure {
                        account: id.to_string(),
                        reason: error.to_string(),
                    });
                }
            }
        }
        outcome.finished_at = self.clock.now();
        self.table
            .put(record::batch_item(batch, &outcome)?, None)
            .await?;
        Ok(true)
    }

    /// Bills the tenant's accounts whose bill day is `on` now, in this process (staff's
    /// "run now", and the tests): a new attempt, its batches one after another until
    /// `budget` has passed. Answers what it came to and whether it finished; what it did
    /// not reach is billed when the schedule finds the attempt stalled.
    pub async fn run_now(
        &self,
        tenant: &TenantId,
        on: Date,
        budget: Option<std::time::Duration>,
    ) -> Result<Result<(RunReport, bool), NotPlanned>, BillingError> {
        let deadline = budget.map(|b| std::time::Instant::now() + b);
        let plan = match self.plan_run(tenant, on, true).await? {
            Ok(plan) => plan,
            Err(why) => return Ok(Err(why)),
        };
        self.record_plan(&plan).await?;
        let mut finished = true;
        for batch in &plan.batches {
            if !self.run_batch(batch, deadline).await? {
                finished = false;
                break;
            }
        }
        let report = self
            .run_of(tenant, on)
            .await?
            .ok_or(BillingError::NotFound)?;
        Ok(Ok((report, finished)))
    }

    /// [`Billing::run_now`] without a time limit: every batch of a new attempt.
    pub async fn run_day(&self, tenant: &TenantId, on: Date) -> Result<RunReport, BillingError> {
        match self.run_now(tenant, on, None).await? {
            Ok((report, _)) => Ok(report),
            Err(_) => Err(BillingError::Conflict),
        }
    }

    /// The tenant's bill runs, newest first (up to `limit`).
    pub async fn runs(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<RunReport>, BillingError> {
        let items = self
            .table
            .query(record::runs_of(tenant).limit(limit))
            .await?
            .items;
        let mut reports = Vec::with_capacity(items.len());
        for item in &items {
            reports.push(self.report(tenant, record::run_from_item(item)?).await?);
        }
        Ok(reports)
    }

    /// The tenant's run of `on` (its latest attempt), if one was planned.
    pub async fn run_of(
        &self,
        tenant: &TenantId,
        on: Date,
    ) -> Result<Option<RunReport>, BillingError> {
        match self.table.get(&record::run_key(tenant, on)).await? {
            Some(item) => Ok(Some(
                self.report(tenant, record::run_from_item(&item)?).await?,
            )),
            None => Ok(None),
        }
    }

    /// An attempt's report: the sum of the batches that reported.
    async fn report(&self, tenant: &TenantId, start: RunStart) -> Result<RunReport, BillingError> {
        let mut report = RunReport {
            date: start.date,
            attempt: start.attempt,
            batches: start.batches,
            batches_done: 0,
            due: 0,
            issued: 0,
            already: 0,
            nothing: 0,
            failures: Vec::new(),
            started_at: start.started_at,
            finished_at: start.started_at,
        };
        let mut query = record::batches_of(tenant, start.date, start.attempt);
        loop {
            let page = self.table.query(query.clone()).await?;
            for item in &page.items {
                let outcome = record::batch_from_item(item)?;
                report.batches_done += 1;
                report.due += outcome.due;
                report.issued += outcome.issued;
                report.already += outcome.already;
                report.nothing += outcome.nothing;
                report.failures.extend(outcome.failures);
                report.finished_at = report.finished_at.max(outcome.finished_at);
            }
            match page.next {
                Some(next) => query = query.after(Some(next)),
                None => break,
            }
        }
        Ok(report)
    }
}
