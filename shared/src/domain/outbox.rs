//! The outbox: mail is written as an item in the same transaction as the change that causes
//! it, and sent afterwards by the notifier (fed by the table's stream), so a crash between
//! the change and the send loses nothing.
//!
//! Each message is claimed before it is sent (a conditional write), so two deliveries of one
//! stream record send it once. Transient failures are retried with backoff by the scheduled
//! sweep; after [`MAX_ATTEMPTS`], or when the mail service refuses the message, it is marked
//! failed, where staff see it. A message left claimed past [`CLAIM_TIMEOUT`] (the sender died
//! mid-send: it may or may not have gone) is marked failed too, never sent a second time.

use std::sync::Arc;

use time::OffsetDateTime;

use super::contact::EmailAddress;
use crate::ids::TenantId;
use crate::ports::table::{
    Condition, Index, Item, Key, Query, SortKey, Table, TableError, Update, Value, Write,
};
use crate::ports::{Clock, MailError, Mailer, OutgoingMail};
use crate::store::{self, keys};

pub const MAX_ATTEMPTS: i64 = 5;
pub const CLAIM_TIMEOUT: time::Duration = time::Duration::minutes(5);
/// Sent messages are kept this long, then expire.
pub const KEEP_SENT: time::Duration = time::Duration::days(30);

/// A message to send: the whole MIME text, rendered when the change happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tenant: TenantId,
    pub from: EmailAddress,
    pub to: Vec<EmailAddress>,
    /// What the message is about, for staff lists (`credential-create`, `order-approved`).
    pub purpose: String,
    pub raw: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub key: Key,
    pub tenant: TenantId,
    pub purpose: String,
    pub status: Status,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Is this item an outbox message? (The notifier looks at every change of the table.)
pub fn is_message(item: &Item) -> bool {
    item.get("sk").and_then(Value::as_s) == Some(keys::OUTBOX_SK)
}

fn due_sort_key(at: OffsetDateTime, id: &str) -> String {
    format!("{}#{id}", store::rfc3339(at))
}

/// The write that puts `message` in the outbox; add it to the change's transaction.
pub fn enqueue(message: &Message, now: OffsetDateTime) -> Write {
    let id = ulid::Ulid::from_datetime(now.into()).to_string();
    let item = store::keyed(
        Item::from([
            ("tenant".to_owned(), Value::S(message.tenant.to_string())),
            ("from".to_owned(), Value::S(message.from.to_string())),
            (
                "to".to_owned(),
                Value::L(message.to.iter().map(|e| Value::S(e.to_string())).collect()),
            ),
            ("purpose".to_owned(), Value::S(message.purpose.clone())),
            ("raw".to_owned(), Value::B(message.raw.clone())),
            ("status".to_owned(), Value::S("pending".into())),
            ("attempts".to_owned(), Value::N(0)),
            ("created_at".to_owned(), Value::S(store::rfc3339(now))),
        ]),
        &[
            ("pk", keys::outbox(&message.tenant, &id)),
            ("sk", keys::OUTBOX_SK.to_owned()),
            // Due now: the sweep finds it if the stream's delivery is lost.
            ("gsi2pk", keys::OUTBOX_DUE.to_owned()),
            ("gsi2sk", due_sort_key(now, &id)),
        ],
    );
    Write::Put {
        item,
        condition: Some(Condition::Absent),
    }
}

fn status_of(item: &Item) -> Option<Status> {
    match item.get("status").and_then(Value::as_s)? {
        "pending" => Some(Status::Pending),
        "sending" => Some(Status::Sending),
        "sent" => Some(Status::Sent),
        "failed" => Some(Status::Failed),
        _ => None,
    }
}

pub fn stored(item: &Item) -> Option<Stored> {
    Some(Stored {
        key: Key::of(item)?,
        tenant: item.get("tenant")?.as_s()?.parse().ok()?,
        purpose: item.get("purpose")?.as_s()?.to_owned(),
        status: status_of(item)?,
        attempts: item.get("attempts").and_then(Value::as_n).unwrap_or(0),
        last_error: item
            .get("last_error")
            .and_then(Value::as_s)
            .map(str::to_owned),
    })
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Not ours to send now: already claimed, sent or failed, or not yet due.
    Skipped,
    RetryLater,
    Failed,
}

pub struct Notifier {
    table: Arc<dyn Table>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
}

impl Notifier {
    pub fn new(table: Arc<dyn Table>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Notifier {
            table,
            mailer,
            clock,
        }
    }

    /// Claims, sends and records one message (the stream handler's and the sweep's work).
    pub async fn deliver(&self, key: &Key) -> Result<Outcome, TableError> {
        let Some(item) = self.table.get(key).await? else {
            return Ok(Outcome::Skipped);
        };
        if status_of(&item) != Some(Status::Pending) {
            return Ok(Outcome::Skipped);
        }
        let now = self.clock.now();
        if let Some(due) = item.get("next_attempt_at").and_then(Value::as_n)
            && due > now.unix_timestamp()
        {
            return Ok(Outcome::Skipped);
        }
        let attempts = item.get("attempts").and_then(Value::as_n).unwrap_or(0);
        let claim = self
            .table
            .update(
                key,
                Update::default()
                    .set("status", "sending")
                    .set("claimed_at", now.unix_timestamp())
                    .add("attempts", 1),
                Some(Condition::All(vec![
                    Condition::Equals("status".into(), Value::S("pending".into())),
                    Condition::Equals("attempts".into(), Value::N(attempts)),
                ])),
            )
            .await;
        match claim {
            Ok(_) => {}
            Err(TableError::ConditionFailed) => return Ok(Outcome::Skipped),
            Err(e) => return Err(e),
        }
        let mail = OutgoingMail {
            from: item
                .get("from")
                .and_then(Value::as_s)
                .unwrap_or_default()
                .to_owned(),
            to: match item.get("to") {
                Some(Value::L(list)) => list
                    .iter()
                    .filter_map(Value::as_s)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            },
            raw: match item.get("raw") {
                Some(Value::B(raw)) => raw.clone(),
                _ => Vec::new(),
            },
        };
        let sending = Condition::Equals("status".into(), Value::S("sending".into()));
        let result = self.mailer.send(&mail).await;
        let now = self.clock.now();
        let (update, outcome) = match result {
            Ok(message_id) => (
                Update::default()
                    .set("status", "sent")
                    .set("message_id", message_id)
                    .set("sent_at", store::rfc3339(now))
                    .set("expires_at", (now + KEEP_SENT).unix_timestamp())
                    .remove("gsi2pk")
                    .remove("gsi2sk"),
                Outcome::Sent,
            ),
            Err(MailError::Unavailable(e)) if attempts + 1 < MAX_ATTEMPTS => {
                // 1, 4, 9, 16 minutes.
                let due = now + time::Duration::minutes((attempts + 1).pow(2));
                let id = key.pk.rsplit('#').next().unwrap_or_default().to_owned();
                tracing::warn!(error = %e, attempts = attempts + 1, "mail not sent; will retry");
                (
                    Update::default()
                        .set("status", "pending")
                        .set("next_attempt_at", due.unix_timestamp())
                        .set("last_error", e)
                        .set("gsi2pk", keys::OUTBOX_DUE)
                        .set("gsi2sk", due_sort_key(due, &id)),
                    Outcome::RetryLater,
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "mail failed");
                (self.failure(&item, &e.to_string()), Outcome::Failed)
            }
        };
        self.table.update(key, update, Some(sending)).await?;
        Ok(outcome)
    }

    fn failure(&self, item: &Item, error: &str) -> Update {
        let mut update = Update::default()
            .set("status", "failed")
            .set("last_error", error.chars().take(500).collect::<String>())
            .remove("gsi2pk")
            .remove("gsi2sk");
        let tenant = item
            .get("tenant")
            .and_then(Value::as_s)
            .and_then(|t| t.parse::<TenantId>().ok());
        let id = item
            .get("pk")
            .and_then(Value::as_s)
            .and_then(|pk| pk.rsplit('#').next())
            .unwrap_or_default()
            .to_owned();
        if let Some(tenant) = tenant {
            update = update
                .set("gsi1pk", keys::outbox_failed(&tenant))
                .set("gsi1sk", id);
        }
        update
    }

    /// The scheduled sweep: sends what is due (retries, and messages whose stream delivery
    /// was lost) and fails messages left claimed too long. Returns what it did.
    pub async fn sweep(&self) -> Result<Vec<Outcome>, TableError> {
        let now = self.clock.now();
        let mut outcomes = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .table
                .query(
                    Query::partition(Index::Gsi2, keys::OUTBOX_DUE)
                        .sort(SortKey::LessThan(format!("{}~", store::rfc3339(now))))
                        .limit(100)
                        .after(after),
                )
                .await?;
            for item in &page.items {
                let Some(key) = Key::of(item) else { continue };
                match status_of(item) {
                    Some(Status::Pending) => outcomes.push(self.deliver(&key).await?),
                    Some(Status::Sending) => {
                        let claimed = item.get("claimed_at").and_then(Value::as_n).unwrap_or(0);
                        if claimed + CLAIM_TIMEOUT.whole_seconds() <= now.unix_timestamp() {
                            let update = self.failure(
                                item,
                                "the sender stopped while sending; the message may not have gone",
                            );
                            let sending =
                                Condition::Equals("status".into(), Value::S("sending".into()));
                            match self.table.update(&key, update, Some(sending)).await {
                                Ok(_) => outcomes.push(Outcome::Failed),
                                Err(TableError::ConditionFailed) => {}
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    _ => {}
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(outcomes)
    }
}

/// A message that could not be sent, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMail {
    pub id: String,
    pub purpose: String,
    pub to: Vec<String>,
    pub created_at: Option<OffsetDateTime>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

fn failed_mail(item: &Item) -> Result<FailedMail, TableError> {
    let bad = || TableError::Unreadable("a stored outbox message is unreadable".into());
    let stored = stored(item).ok_or_else(bad)?;
    Ok(FailedMail {
        id: stored.key.pk.rsplit('#').next().ok_or_else(bad)?.to_owned(),
        purpose: stored.purpose,
        to: match item.get("to") {
            Some(Value::L(list)) => list
                .iter()
                .filter_map(Value::as_s)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        },
        created_at: item
            .get("created_at")
            .and_then(Value::as_s)
            .and_then(store::parse_rfc3339),
        attempts: stored.attempts,
        last_error: stored.last_error,
    })
}

/// A tenant's failed mail, newest first, a page at a time.
pub async fn failed_page(
    table: &dyn Table,
    cursors: &store::CursorCodec,
    tenant: &TenantId,
    page: &super::paging::PageRequest,
) -> Result<super::paging::Page<FailedMail>, super::paging::PagingError> {
    super::paging::fetch(
        table,
        cursors,
        &format!("failed-mail:{tenant}"),
        Query::partition(Index::Gsi1, keys::outbox_failed(tenant)).backward(),
        page,
        failed_mail,
    )
    .await
}

/// The write that puts a failed message of `tenant` back in line (the next sweep, within a
/// minute, sends it), for staff who fixed the cause; its condition fails unless the tenant
/// has such a failed message. None when `id` cannot name a message.
pub fn retry_write(tenant: &TenantId, id: &str, now: OffsetDateTime) -> Option<Write> {
    // Ids are ULIDs; anything else cannot name a message.
    ulid::Ulid::from_string(id).ok()?;
    Some(Write::Update {
        key: Key::new(keys::outbox(tenant, id), keys::OUTBOX_SK),
        update: Update::default()
            .set("status", "pending")
            .set("attempts", 0)
            .set("retried_at", store::rfc3339(now))
            .remove("gsi1pk")
            .remove("gsi1sk")
            .set("gsi2pk", keys::OUTBOX_DUE)
            .set("gsi2sk", due_sort_key(now, id)),
        condition: Some(Condition::All(vec![
            Condition::Equals("status".into(), Value::S("failed".into())),
            Condition::Equals("tenant".into(), Value::S(tenant.to_string())),
        ])),
    })
}
