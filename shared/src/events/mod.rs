//! Event handlers: plain functions of the platform and an event. Deployed, Lambda calls them
//! (a DynamoDB stream batch, a schedule); locally, the local runtime calls the same ones
//! in-process from the embedded table's change stream and its own timers.

use crate::domain::identity::credentials::is_password_help as password_help;
use crate::domain::outbox::{self, Notifier, Outcome};
use crate::platform::Platform;
use crate::ports::{Change, ChangeKind, TableError};

fn notifier(platform: &Platform) -> Notifier {
    Notifier::new(
        platform.table.clone(),
        platform.mailer.clone(),
        platform.clock.clone(),
    )
}

/// The stream handler (`notifier`): answers forgot-password requests and sends each outbox
/// message as it is inserted. Returns the changes it could not handle, to be delivered
/// again (nothing is sent twice: the notifier claims a message before sending it).
pub async fn on_changes<'a>(platform: &Platform, changes: &'a [Change]) -> Vec<&'a Change> {
    let notifier = notifier(platform);
    let mut failed = on_password_help(platform, changes).await;
    for change in changes {
        let is_new_message = change.kind == ChangeKind::Insert
            && change.new.as_ref().is_some_and(outbox::is_message);
        if !is_new_message {
            continue;
        }
        match notifier.deliver(&change.key).await {
            Ok(outcome) => tracing::info!(key = %change.key, ?outcome, "outbox message handled"),
            Err(error) => {
                tracing::warn!(key = %change.key, %error, "outbox message not handled");
                failed.push(change);
            }
        }
    }
    failed
}

/// Answers the forgot-password requests among `changes` (a reset link into the outbox when
/// the login exists). Returns the ones to deliver again.
pub async fn on_password_help<'a>(platform: &Platform, changes: &'a [Change]) -> Vec<&'a Change> {
    let identity = platform.identity();
    let mut failed = Vec::new();
    for change in changes {
        let Some(request) = change
            .new
            .as_ref()
            .filter(|item| change.kind == ChangeKind::Insert && password_help(item))
        else {
            continue;
        };
        if let Err(error) = identity.credentials.answer_password_help(request).await {
            tracing::warn!(key = %change.key, %error, "forgot-password request not answered");
            failed.push(change);
        }
    }
    failed
}

/// The scheduled handler (`outbox-sweep`, every minute): retries due mail, sends mail whose
/// stream delivery was lost or is late, fails mail left mid-send, and answers forgot-password
/// requests the stream has not answered in a minute. However far the stream lags (it reads
/// every change of the table in order, usage records included), no mail and no reset link
/// waits more than about two minutes for it.
pub async fn sweep_outbox(platform: &Platform) -> Result<Vec<Outcome>, TableError> {
    // Mail first: a flood of forgot-password requests cannot hold it back.
    let outcomes = notifier(platform).sweep().await;
    let answered = platform
        .identity()
        .credentials
        .answer_waiting_password_help()
        .await;
    match answered {
        Ok(0) => {}
        Ok(answered) => tracing::info!(answered, "forgot-password requests answered by the sweep"),
        // The requests wait for the next sweep.
        Err(error) => tracing::warn!(%error, "forgot-password requests not answered"),
    }
    outcomes
}

/// The retail providers: the ones that bill.
async fn retail_providers(
    platform: &Platform,
) -> Result<Vec<crate::ids::TenantId>, crate::domain::billing::BillingError> {
    use crate::domain::billing::BillingError;
    use crate::domain::paging::PageRequest;
    use crate::domain::tenancy::TenantKind;
    let mut out = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let tenants = platform
            .tenants()
            .list(&page)
            .await
            .map_err(|e| BillingError::Storage(TableError::Unavailable(e.to_string())))?;
        out.extend(
            tenants
                .items
                .iter()
                .filter(|t| t.kind == TenantKind::Retail)
                .map(|t| t.id),
        );
        match tenants.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(out)
}

/// Every retail provider's overdue reminders, once a day, and the plan of each one's bill
/// run of its today (its time zone's) that needs running: not run yet, run with failures,
/// or stalled; and of its yesterday when that run was left unfinished or failed (so a
/// failure at midnight is still billed on its day). One provider's failure is logged and
/// tried again by the next schedule; the others go on.
async fn plan_runs(
    platform: &Platform,
) -> Result<Vec<crate::domain::billing::run::PlannedRun>, crate::domain::billing::BillingError> {
    let billing = platform.billing();
    let mut plans = Vec::new();
    for tenant in retail_providers(platform).await? {
        let planned = async {
            let today = billing.today(&tenant).await?;
            let mut out = Vec::new();
            if let Some(yesterday) = today.previous_day()
                && billing
                    .run_of(&tenant, yesterday)
                    .await?
                    .is_some_and(|r| !r.complete())
                && let Ok(plan) = billing.plan_run(&tenant, yesterday, false).await?
            {
                out.push(plan);
            }
            if let Ok(plan) = billing.plan_run(&tenant, today, false).await? {
                out.push(plan);
            }
            // Failed autopays whose retry day has come (and autopays held for their due
            // date): tried on the same schedule as the reminders.
            match platform.payments().retry_due(&tenant).await {
                Ok(0) => {}
                Ok(tried) => tracing::info!(tenant = %tenant, tried, "autopay retries"),
                Err(error) => tracing::warn!(tenant = %tenant, %error, "autopay retries failed"),
            }
            // The gateway's balance against the ledger, once a day (staff read the result).
            if let Err(error) = platform.payments().check_gateway_daily(&tenant).await {
                tracing::warn!(tenant = %tenant, %error, "the daily gateway check failed");
            }
            if billing.reminded_on(&tenant, today).await?.is_none() {
                let sent = billing
                    .send_reminders(&tenant, today, &platform.sender)
                    .await?;
                billing.mark_reminded(&tenant, today, sent).await?;
                tracing::info!(tenant = %tenant, date = %today, sent, "overdue reminders");
            }
            Ok::<_, crate::domain::billing::BillingError>(out)
        }
        .await;
        match planned {
            Ok(planned) => {
                for plan in &planned {
                    tracing::info!(tenant = %tenant, batches = plan.batches.len(), "bill run planned");
                }
                plans.extend(planned);
            }
            Err(error) => {
                tracing::error!(tenant = %tenant, %error, "the bill run of a provider failed")
            }
        }
    }
    Ok(plans)
}

/// The bill run in one process (the local runtime's schedule, every minute): plans each
/// provider's run as [`plan_bill_runs`] does and bills its batches one after another.
/// Answers the runs it made.
pub async fn bill_run(
    platform: &Platform,
) -> Result<Vec<crate::domain::billing::run::RunReport>, crate::domain::billing::BillingError> {
    let billing = platform.billing();
    let mut reports = Vec::new();
    for plan in plan_runs(platform).await? {
        billing.record_plan(&plan).await?;
        for batch in &plan.batches {
            if let Err(error) = billing.run_batch(batch, None).await {
                tracing::error!(tenant = %batch.tenant, batch = batch.batch, %error,
                    "a bill run batch failed");
            }
        }
        if let Some(date) = plan.batches.first().map(|b| b.date) {
            reports.extend(billing.run_of(&plan.tenant, date).await?);
        } else {
            reports.extend(billing.runs(&plan.tenant, 1).await?);
        }
    }
    Ok(reports)
}

/// What the planner hands the workers: a file of batches in the exports bucket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedRuns {
    /// The key of the JSON array of batches; None when nothing needs billing.
    pub file: Option<String>,
    pub batches: usize,
}

/// The planning function (`bill-run-plan`, started hourly by the bill-run state machine):
/// reminders, then each provider's run planned, its batches written as one JSON array
/// to the exports bucket, for the state machine's distributed map to hand to
/// [`bill_batch`] workers.
pub async fn plan_bill_runs(
    platform: &Platform,
) -> Result<PlannedRuns, crate::domain::billing::BillingError> {
    use crate::domain::billing::BillingError;
    use crate::ports::blobs::{BlobKey, Retention, bytes_stream};
    let plans = plan_runs(platform).await?;
    let batches: Vec<&crate::domain::billing::run::RunBatch> =
        plans.iter().flat_map(|p| &p.batches).collect();
    let file = if batches.is_empty() {
        None
    } else {
        let now = platform.clock.now();
        let key = BlobKey::parse(&format!(
            "_bill-runs/{}-{}.json",
            now.unix_timestamp(),
            ulid::Ulid::new()
        ))
        .map_err(|e| BillingError::Files(e.to_string()))?;
        let body = serde_json::to_vec(&batches)
            .map_err(|e| BillingError::Storage(TableError::Invalid(e.to_string())))?;
        platform
            .exports
            .put_kept(
                &key,
                bytes_stream(body),
                "application/json",
                Retention::Temporary,
            )
            .await
            .map_err(|e| BillingError::Files(e.to_string()))?;
        Some(key.as_str().to_owned())
    };
    // Recorded once the workers have their batches: a plan that never reached them leaves
    // the day as it was, for the next schedule.
    let billing = platform.billing();
    for plan in &plans {
        billing.record_plan(plan).await?;
    }
    Ok(PlannedRuns {
        file,
        batches: batches.len(),
    })
}

/// The worker function (`bill-run-batch`, one batch of the distributed map): bills the
/// batch's accounts that are due and records what it came to. Retried by the state
/// machine after an error; a batch run twice issues nothing twice.
pub async fn bill_batch(
    platform: &Platform,
    batch: &crate::domain::billing::run::RunBatch,
) -> Result<(), crate::domain::billing::BillingError> {
    // Well inside the function's five minutes: a batch cut short records nothing, and the
    // attempt is planned again once stalled, rather than timing out mid-account.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    let finished = platform.billing().run_batch(batch, Some(deadline)).await?;
    if !finished {
        tracing::warn!(tenant = %batch.tenant, batch = batch.batch,
            "a bill run batch ran out of time; the attempt is planned again once stalled");
    }
    Ok(())
}

/// The blob handler (`usage-ingest`): loads a usage file dropped in the ingest bucket. Keys
/// outside `{tenant}/usage/` (the rejects files it writes, stray objects) are ignored.
/// An error makes the trigger deliver the file again, which carries on where it stopped.
pub async fn on_usage_file(
    platform: &Platform,
    key: &str,
) -> Result<Option<crate::domain::usage::ingest::IngestResult>, crate::domain::usage::UsageError> {
    on_usage_file_version(platform, key, None).await
}

/// The same, for one version of the file (a versioned bucket's notification names it): a
/// file stored again under its name is loaded again, as a file of its own.
pub async fn on_usage_file_version(
    platform: &Platform,
    key: &str,
    version: Option<&str>,
) -> Result<Option<crate::domain::usage::ingest::IngestResult>, crate::domain::usage::UsageError> {
    let Ok(key) = crate::ports::BlobKey::parse(key) else {
        tracing::warn!(key, "not a blob key; ignored");
        return Ok(None);
    };
    if crate::domain::usage::ingest::tenant_of(&key).is_none() {
        return Ok(None);
    }
    platform.ingest().run_version(&key, version).await.map(Some)
}

/// A usage file waiting to be loaded, as the ingest's queue carries it: the bucket's
/// notification becomes one of these (`usage-queue`), queued in its provider's line, so
/// each provider's files load one at a time in the order they arrived while different
/// providers' load side by side (an SQS FIFO queue with the provider as the message group;
/// per-provider tasks in the local runtime).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueuedUsageFile {
    pub key: String,
    #[serde(default)]
    pub version: Option<String>,
}

impl QueuedUsageFile {
    /// The file a bucket reported, if it is a usage file (under `{tenant}/usage/`; the
    /// rejects files the ingest writes under `{tenant}/rejects/` are not).
    pub fn of(key: &str, version: Option<&str>) -> Option<QueuedUsageFile> {
        let file = QueuedUsageFile {
            key: key.to_owned(),
            version: version.map(str::to_owned),
        };
        file.tenant().map(|_| file)
    }

    /// The provider whose line the file joins.
    pub fn tenant(&self) -> Option<crate::ids::TenantId> {
        let key = crate::ports::BlobKey::parse(&self.key).ok()?;
        crate::domain::usage::ingest::tenant_of(&key)
    }

    /// One id per arrival: the same notification delivered twice (S3 may) queues once.
    /// `sequencer` is S3's order of events on the key.
    pub fn arrival_id(&self, sequencer: Option<&str>) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for part in [
            self.key.as_str(),
            self.version.as_deref().unwrap_or(""),
            sequencer.unwrap_or(""),
        ] {
            hash.update(part.len().to_be_bytes());
            hash.update(part.as_bytes());
        }
        hex::encode(hash.finalize())
    }
}

/// The queue handler (`usage-ingest`): loads one queued usage file. A message this version
/// cannot read is logged and dropped (delivering it again would not help); any other error
/// leaves it queued, delivered again after the queue's visibility timeout, carrying on where
/// the load stopped.
pub async fn on_queued_usage_file(
    platform: &Platform,
    body: &str,
) -> Result<Option<crate::domain::usage::ingest::IngestResult>, crate::domain::usage::UsageError> {
    let Ok(file) = serde_json::from_str::<QueuedUsageFile>(body) else {
        tracing::warn!(body_bytes = body.len(), "not a queued usage file; dropped");
        return Ok(None);
    };
    on_usage_file_version(platform, &file.key, file.version.as_deref()).await
}

/// The stream's second reader (`documents`): the invoice files and the export jobs of a
/// batch; the changes either could not handle, once each, to be delivered again.
pub async fn on_documents<'a>(platform: &Platform, changes: &'a [Change]) -> Vec<&'a Change> {
    let mut failed = on_issued_documents(platform, changes).await;
    for change in on_export_jobs(platform, changes).await {
        if !failed.iter().any(|f| std::ptr::eq(*f, change)) {
            failed.push(change);
        }
    }
    failed
}

/// The documents' part (`documents`) for export jobs: runs each export job as it is queued. A job that
/// fails is reported for redelivery and runs again (up to its attempt limit).
pub async fn on_export_jobs<'a>(platform: &Platform, changes: &'a [Change]) -> Vec<&'a Change> {
    let exports = platform.usage_exports();
    let mut failed = Vec::new();
    for change in changes {
        if change.kind != ChangeKind::Insert {
            continue;
        }
        let Some((tenant, account, id)) = change
            .new
            .as_ref()
            .and_then(crate::domain::usage::export::queued_job)
        else {
            continue;
        };
        match exports.run(&tenant, &account, &id).await {
            Ok(job) => {
                tracing::info!(export = %id, status = ?job.status, rows = ?job.rows, "usage export handled")
            }
            Err(error) => {
                tracing::warn!(export = %id, %error, "usage export not finished");
                failed.push(change);
            }
        }
    }
    failed
}

/// The documents' part (`documents`) for invoices and credit notes: writes each issued invoice's PDF and itemised
/// usage, and each credit note's PDF, to the exports bucket as it is inserted, then charges
/// autopay for the invoice. A document
/// whose files could not be written is reported for redelivery (writing them again stores
/// the same files).
pub async fn on_issued_documents<'a>(
    platform: &Platform,
    changes: &'a [Change],
) -> Vec<&'a Change> {
    use crate::domain::billing::files::{IssuedDocument, issued_document};
    let files = platform.invoice_files();
    let mut failed = Vec::new();
    for change in changes {
        if change.kind != ChangeKind::Insert {
            continue;
        }
        let Some(document) = change.new.as_ref().and_then(issued_document) else {
            continue;
        };
        let result = match &document {
            IssuedDocument::Invoice {
                tenant,
                account,
                invoice,
            } => files.store_invoice(tenant, account, invoice).await,
            IssuedDocument::CreditNote {
                tenant,
                account,
                invoice,
                note,
            } => {
                files
                    .store_credit_note(tenant, account, invoice, note)
                    .await
            }
        };
        match result {
            Ok(()) => tracing::info!(?document, "invoice files written"),
            Err(error) => {
                tracing::warn!(?document, %error, "invoice files not written");
                failed.push(change);
                continue;
            }
        }
        // Autopay: the account's default card charged for the new invoice (once per
        // invoice, however often this is delivered).
        if let IssuedDocument::Invoice {
            tenant,
            account,
            invoice,
        } = &document
        {
            match platform.payments().autopay(tenant, account, invoice).await {
                Ok(Some(payment)) => {
                    tracing::info!(?document, status = ?payment.status, "autopay")
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(?document, %error, "autopay not tried");
                    failed.push(change);
                }
            }
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::QueuedUsageFile;

    const TENANT: &str = "01JDQ3Z8W5V4K1M2N3P4Q5R6S7";

    #[test]
    fn only_usage_files_join_a_providers_line() {
        let file = QueuedUsageFile::of(&format!("{TENANT}/usage/nov.csv"), Some("v1"))
            .expect("a usage file");
        assert_eq!(
            file.tenant().map(|t| t.to_string()).as_deref(),
            Some(TENANT)
        );
        for stray in [
            format!("{TENANT}/rejects/abc/nov.csv"),
            "not-a-tenant/usage/nov.csv".to_owned(),
            format!("{TENANT}/usage/"),
            "../usage/nov.csv".to_owned(),
        ] {
            assert_eq!(QueuedUsageFile::of(&stray, None), None, "{stray}");
        }
    }

    #[test]
    fn an_arrival_is_named_by_its_file_version_and_order() {
        let file = |version| {
            QueuedUsageFile::of(&format!("{TENANT}/usage/nov.csv"), Some(version)).unwrap()
        };
        let first = file("v1").arrival_id(Some("0001"));
        assert_eq!(
            first,
            file("v1").arrival_id(Some("0001")),
            "the same arrival"
        );
        assert_ne!(first, file("v2").arrival_id(Some("0001")));
        assert_ne!(first, file("v1").arrival_id(Some("0002")));
        assert_eq!(first.len(), 64, "within SQS's 128 characters");
    }
}
