//! The outbox: mail written with a change is sent once through the stream handler, retried
//! by the sweep when the mail service is down, and never sent twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use selfcare::domain::contact::EmailAddress;
use selfcare::domain::outbox::{self, Message, Outcome, Status};
use selfcare::domain::paging::PageRequest;
use selfcare::ids::TenantId;
use selfcare::platform::Platform;
use selfcare::ports::{
    ChangeFeed, Clock, Item, Key, MailError, Mailer, ManualClock, OutgoingMail, Table, Update,
    Value, Write,
};
use selfcare::store::CursorCodec;
use selfcare_embedded::{EmbeddedBlobs, EmbeddedTable, LocalOutbox};
use time::OffsetDateTime;

/// A mail service that is down for its first `failures` sends, or refuses everything.
struct Flaky {
    inner: Arc<LocalOutbox>,
    failures: AtomicUsize,
    refuse: bool,
}

#[async_trait]
impl Mailer for Flaky {
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        if self.refuse {
            return Err(MailError::Rejected("address suppressed".into()));
        }
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(MailError::Unavailable("connection reset".into()));
        }
        self.inner.send(mail).await
    }
}

struct World {
    platform: Platform,
    table: Arc<EmbeddedTable>,
    outbox: Arc<LocalOutbox>,
    clock: Arc<ManualClock>,
    tenant: TenantId,
    _dir: tempfile::TempDir,
}

fn world(failures: usize, refuse: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    let table = Arc::new(EmbeddedTable::open(&dir.path().join("t.redb"), clock.clone()).unwrap());
    let outbox = Arc::new(LocalOutbox::open(&dir.path().join("outbox"), clock.clone()).unwrap());
    let mailer = Arc::new(Flaky {
        inner: outbox.clone(),
        failures: AtomicUsize::new(failures),
        refuse,
    });
    let bucket = |name: &str| {
        Arc::new(
            EmbeddedBlobs::open(
                name,
                &dir.path().join(name),
                "http://127.0.0.1:3000",
                Arc::from(b"k".as_slice()),
                clock.clone(),
            )
            .unwrap(),
        )
    };
    let platform = Platform {
        table: table.clone(),
        exports: bucket("exports"),
        ingest: bucket("ingest"),
        mailer,
        clock: clock.clone(),
        cursors: CursorCodec::new(b"k"),
        hasher: selfcare::domain::identity::passwords::Hasher::new(1),
        links: selfcare::domain::identity::SiteLinks::Single {
            base_url: "http://127.0.0.1:3000".into(),
        },
        sender: selfcare_embedded::local_sender(),
        hosts: selfcare::platform::TenantHosts {
            portal_domain: None,
        },
        gateway: Arc::new(
            selfcare_embedded::EmbeddedGateway::open(
                dir.path().join("gateway.json"),
                "http://127.0.0.1:3000",
                clock.clone(),
            )
            .unwrap(),
        ),
        sealer: selfcare::domain::payments::sealing::Sealer::new(b"k"),
        usage_chunk_rows: selfcare::domain::usage::ingest::CHUNK_ROWS,
    };
    World {
        platform,
        table,
        outbox,
        tenant: TenantId::generate(clock.now()),
        clock,
        _dir: dir,
    }
}

fn message(w: &World) -> Message {
    let raw = mail_builder::MessageBuilder::new()
        .from("portal@acme.example")
        .to("jo@example.com")
        .subject("Set up your portal access")
        .text_body("Follow the link to choose your username and password.")
        .write_to_vec()
        .unwrap();
    Message {
        tenant: w.tenant,
        from: EmailAddress::parse("portal@acme.example").unwrap(),
        to: vec![EmailAddress::parse("jo@example.com").unwrap()],
        purpose: "credential-create".into(),
        raw,
    }
}

/// A change and its mail, in one transaction, as a domain operation writes them.
async fn change_with_mail(w: &World) -> Key {
    let enqueue = outbox::enqueue(&message(w), w.clock.now());
    let key = enqueue.key().unwrap();
    let change = Write::Put {
        item: Item::from([
            (
                "pk".to_owned(),
                Value::from(format!("TENANT#{}#ACCOUNT#X", w.tenant)),
            ),
            ("sk".to_owned(), Value::from("ACCOUNT")),
        ]),
        condition: None,
    };
    w.table.transact(vec![change, enqueue]).await.unwrap();
    key
}

async fn deliver_stream(w: &World) {
    let feed = w.table.change_feed("test");
    let changes = feed.next_changes().await.unwrap();
    let failed = selfcare::events::on_changes(&w.platform, &changes).await;
    assert!(failed.is_empty());
    feed.acknowledge(changes.last().unwrap()).await.unwrap();
}

fn status(item: &Item) -> Status {
    outbox::stored(item).unwrap().status
}

#[tokio::test]
async fn mail_written_with_a_change_is_sent_once_even_if_the_stream_repeats_itself() {
    let w = world(0, false);
    let key = change_with_mail(&w).await;
    let feed = w.table.change_feed("test");
    let changes = feed.next_changes().await.unwrap();
    // At-least-once delivery: the same batch twice, and the sweep on top.
    selfcare::events::on_changes(&w.platform, &changes).await;
    selfcare::events::on_changes(&w.platform, &changes).await;
    selfcare::events::sweep_outbox(&w.platform).await.unwrap();
    let sent = w.outbox.entries().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Set up your portal access");
    assert_eq!(sent[0].to, ["jo@example.com"]);
    assert_eq!(
        status(&w.table.get(&key).await.unwrap().unwrap()),
        Status::Sent
    );
}

#[tokio::test]
async fn mail_is_retried_with_backoff_while_the_service_is_down() {
    let w = world(2, false);
    let key = change_with_mail(&w).await;
    deliver_stream(&w).await;
    assert!(w.outbox.entries().await.unwrap().is_empty());
    // Not due yet: the sweep leaves it.
    assert!(
        selfcare::events::sweep_outbox(&w.platform)
            .await
            .unwrap()
            .is_empty()
    );
    w.clock.advance(time::Duration::minutes(1));
    assert_eq!(
        selfcare::events::sweep_outbox(&w.platform).await.unwrap(),
        [Outcome::RetryLater]
    );
    w.clock.advance(time::Duration::minutes(4));
    assert_eq!(
        selfcare::events::sweep_outbox(&w.platform).await.unwrap(),
        [Outcome::Sent]
    );
    assert_eq!(w.outbox.entries().await.unwrap().len(), 1);
    let item = w.table.get(&key).await.unwrap().unwrap();
    assert_eq!(outbox::stored(&item).unwrap().attempts, 3);
}

#[tokio::test]
async fn refused_mail_is_failed_and_shown_to_staff() {
    let w = world(0, true);
    change_with_mail(&w).await;
    deliver_stream(&w).await;
    let failed_of = |tenant: TenantId| {
        let platform = w.platform.clone();
        async move {
            outbox::failed_page(
                platform.table.as_ref(),
                &platform.cursors,
                &tenant,
                &PageRequest::default(),
            )
            .await
            .unwrap()
            .items
        }
    };
    let failed = failed_of(w.tenant).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].to, ["jo@example.com"]);
    assert_eq!(failed[0].purpose, "credential-create");
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("suppressed")
    );
    // Another tenant sees none of it.
    let other = TenantId::generate(w.clock.now());
    assert!(failed_of(other).await.is_empty());

    // Staff put it back in line, once; another tenant cannot name it.
    let id = failed[0].id.clone();
    let theirs = outbox::retry_write(&other, &id, w.clock.now()).unwrap();
    assert!(w.platform.table.transact(vec![theirs]).await.is_err());
    let retry = outbox::retry_write(&w.tenant, &id, w.clock.now()).unwrap();
    w.platform.table.transact(vec![retry]).await.unwrap();
    assert!(failed_of(w.tenant).await.is_empty());
    let again = outbox::retry_write(&w.tenant, &id, w.clock.now()).unwrap();
    assert!(
        w.platform.table.transact(vec![again]).await.is_err(),
        "no longer failed"
    );
    assert!(outbox::retry_write(&w.tenant, "not-an-id", w.clock.now()).is_none());
}

#[tokio::test]
async fn mail_left_mid_send_by_a_crash_is_failed_not_sent_twice() {
    let w = world(0, false);
    let key = change_with_mail(&w).await;
    // A sender claimed it and died before recording the result.
    w.table
        .update(
            &key,
            Update::default()
                .set("status", "sending")
                .set("claimed_at", w.clock.now().unix_timestamp())
                .add("attempts", 1),
            None,
        )
        .await
        .unwrap();
    assert!(
        selfcare::events::sweep_outbox(&w.platform)
            .await
            .unwrap()
            .is_empty()
    );
    w.clock.advance(outbox::CLAIM_TIMEOUT);
    assert_eq!(
        selfcare::events::sweep_outbox(&w.platform).await.unwrap(),
        [Outcome::Failed]
    );
    assert!(w.outbox.entries().await.unwrap().is_empty());
    assert_eq!(
        status(&w.table.get(&key).await.unwrap().unwrap()),
        Status::Failed
    );
}
