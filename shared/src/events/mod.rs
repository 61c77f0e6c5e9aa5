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
/// stream delivery was lost, fails mail left mid-send.
pub async fn sweep_outbox(platform: &Platform) -> Result<Vec<Outcome>, TableError> {
    notifier(platform).sweep().await
}

/// The scheduled handler (`bill-run`, every hour): for each retail provider, the bill run
/// of its today (its time zone's), unless today's run finished without failures, and its
/// overdue reminders once a day. Hourly, so each provider's day starts at its own midnight
/// and a failed account is tried again within the hour. Answers the runs it made.
pub async fn bill_run(
    platform: &Platform,
) -> Result<Vec<crate::domain::billing::run::RunReport>, crate::domain::billing::BillingError> {
    use crate::domain::billing::BillingError;
    use crate::domain::paging::PageRequest;
    use crate::domain::tenancy::TenantKind;
    let billing = platform.billing();
    let mut reports = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let tenants = platform
            .tenants()
            .list(&page)
            .await
            .map_err(|e| BillingError::Storage(TableError::Unavailable(e.to_string())))?;
        for tenant in tenants
            .items
            .iter()
            .filter(|t| t.kind == TenantKind::Retail)
        {
            // One provider's failure is logged and retried next hour; the others go on.
            match bill_and_remind(&billing, platform, &tenant.id).await {
                Ok(Some(report)) => reports.push(report),
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(tenant = %tenant.id, %error, "the bill run of a provider failed")
                }
            }
        }
        match tenants.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(reports)
}

/// A provider's bill run of its today, unless it finished without failures, and its
/// overdue reminders, once a day.
async fn bill_and_remind(
    billing: &crate::domain::billing::Billing,
    platform: &Platform,
    tenant: &crate::ids::TenantId,
) -> Result<Option<crate::domain::billing::run::RunReport>, crate::domain::billing::BillingError> {
    let today = billing.today(tenant).await?;
    let mut report = None;
    let done = billing.run_of(tenant, today).await?;
    if !done.as_ref().is_some_and(|r| r.complete()) {
        let ran = billing.run_day(tenant, today).await?;
        tracing::info!(tenant = %tenant, date = %today, issued = ran.issued,
            failed = ran.failures.len(), "bill run");
        report = Some(ran);
    }
    if billing.reminded_on(tenant, today).await?.is_none() {
        let sent = billing
            .send_reminders(tenant, today, &platform.sender)
            .await?;
        billing.mark_reminded(tenant, today, sent).await?;
        tracing::info!(tenant = %tenant, date = %today, sent, "overdue reminders");
    }
    Ok(report)
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

/// The stream handler (`usage-export`): runs each export job as it is queued. A job that
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

/// The stream handler (`invoice-files`): writes each issued invoice's PDF and itemised
/// usage, and each credit note's PDF, to the exports bucket as it is inserted. A document
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
            }
        }
    }
    failed
}
