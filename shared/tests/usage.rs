//! Usage ingest and the usage views: a provider's file with good, bad and duplicate rows,
//! loaded twice and once after a crash halfway; allowances that run out mid-file; what the
//! customer then reads.

use selfcare::store::Stamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use selfcare::domain::catalogue::UsageType;
use selfcare::domain::paging::PageRequest;
use selfcare::domain::usage::Period;
use selfcare::domain::usage::ingest::{Ingest, IngestStatus};
use selfcare::ports::Clock;
use selfcare::ports::blobs::{BlobKey, collect};
use selfcare::ports::table::{Condition, Item, Key, Page, Query, Table, TableError, Update, Write};

use crate::common::usage_fixture::*;
use crate::common::*;

/// The rejects file of [`FILE`].
const FILE_REJECTS: &str = "line,reason\r\n\
    6,\"record_id \"\"c2\"\" appears earlier in the file\"\r\n\
    8,\"type: call, message or data\"\r\n\
    9,\"no service with identifier \"\"+61299999999\"\"\"\r\n\
    11,\"started_at: not an RFC 3339 time\"\r\n";

/// The text of a rejects file.
async fn rejects_text(f: &Fixture, key: &str) -> String {
    let file = f.w.platform.ingest.get(&BlobKey::parse(key).unwrap()).await;
    String::from_utf8(collect(file.unwrap().unwrap().body).await.unwrap()).unwrap()
}

/// The text of a load's rejects file.
async fn rejects_of(f: &Fixture, result: &selfcare::domain::usage::ingest::IngestResult) -> String {
    rejects_text(f, result.rejects_file.as_deref().unwrap()).await
}

#[tokio::test]
async fn a_file_loaded_twice_counts_once_with_exact_rejects_and_allowances() {
    a_file_loaded_twice_counts_once_with_exact_rejects_and_allowances_on(World::new().await).await;
}

/// The same on DynamoDB: record claims and ingest state stand on its conditions too.
#[tokio::test]
async fn a_file_loaded_twice_counts_once_with_exact_rejects_and_allowances_on_dynamodb() {
    a_file_loaded_twice_counts_once_with_exact_rejects_and_allowances_on(
        World::on_dynamodb().await,
    )
    .await;
}

async fn a_file_loaded_twice_counts_once_with_exact_rejects_and_allowances_on(w: World) {
    let f = fixture_on(w).await;
    let key = drop_file(&f, "nov-1.csv", FILE).await;
    let first = selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.status, IngestStatus::Completed);
    assert_eq!(
        (first.rows_read, first.accepted, first.rejected),
        (11, 7, 4)
    );

    // The rejects file says which line and why, in line order (the header is line 1).
    let text = rejects_of(&f, &first).await;
    assert_eq!(text, FILE_REJECTS);

    // Calls: landline 120+120+60+60 billable, 300 covered, 60 charged at 2.5 c/min (3 c,
    // rounded half up from 2.5); spare 60 s abroad at 10 c + 120 s at 2.5 c/min (5 c).
    let expected = (6, 540, 300, 3 + 10 + 5);
    assert_eq!(call_totals(&f).await, expected);

    // Delivered again (S3 delivers at least once): nothing changes.
    let again = selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(call_totals(&f).await, expected);

    // What the customer reads: the landline's month, by type and by day, and its records.
    let usage = f.w.platform.usage();
    let today = f.w.clock.now().date();
    let month = usage
        .service_month(
            &f.tenant.id,
            &f.landline,
            Period::containing(f.w.clock.now().date()),
            today,
        )
        .await
        .unwrap();
    assert_eq!(month.by_type[&UsageType::Call].count, 4);
    assert_eq!(month.by_type[&UsageType::Message].charge, 5);
    assert_eq!(month.total_charge, 3 + 5);
    assert_eq!(month.days.len(), 20, "1 to 20 November: up to today");
    assert_eq!(month.days[2].1[&UsageType::Call].count, 2, "3 November");
    assert_eq!(month.days[3].1[&UsageType::Call].charge, 3, "4 November");
    let records = f.w.platform.usage_records();
    let page = records
        .page(
            &f.tenant.id,
            &f.landline,
            Period::containing(f.w.clock.now().date()),
            None,
            &PageRequest {
                limit: Some(3),
                cursor: None,
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["m1", "c4", "c3"], "newest first");
    let rest = records
        .page(
            &f.tenant.id,
            &f.landline,
            Period::containing(f.w.clock.now().date()),
            Some(UsageType::Call),
            &PageRequest {
                limit: Some(10),
                cursor: None,
            },
        )
        .await
        .unwrap();
    let calls: Vec<(&str, i64, i64)> = rest
        .items
        .iter()
        .map(|r| (r.record_id.as_str(), r.covered, r.charge))
        .collect();
    assert_eq!(
        calls,
        [("c4", 0, 3), ("c3", 60, 0), ("c2", 120, 0), ("c1", 120, 0)]
    );
}

#[tokio::test]
async fn a_record_sent_again_in_another_file_counts_once_and_a_changed_one_is_refused() {
    a_record_sent_again_in_another_file_counts_once_and_a_changed_one_is_refused_on(
        World::new().await,
    )
    .await;
}

/// The same on DynamoDB: record claims and ingest state stand on its conditions too.
#[tokio::test]
async fn a_record_sent_again_in_another_file_counts_once_and_a_changed_one_is_refused_on_dynamodb()
{
    a_record_sent_again_in_another_file_counts_once_and_a_changed_one_is_refused_on(
        World::on_dynamodb().await,
    )
    .await;
}

async fn a_record_sent_again_in_another_file_counts_once_and_a_changed_one_is_refused_on(w: World) {
    let f = fixture_on(w).await;
    let first = drop_file(&f, "nov-1.csv", FILE).await;
    selfcare::events::on_usage_file(&f.w.platform, first.as_str())
        .await
        .unwrap();
    let expected = (6, 540, 300, 3 + 10 + 5);
    assert_eq!(call_totals(&f).await, expected);

    // The same bytes under another name: every good row is a record already loaded.
    let copy = drop_file(&f, "nov-1-copy.csv", FILE).await;
    let again = selfcare::events::on_usage_file(&f.w.platform, copy.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.accepted, again.rejected), (0, 11));
    assert_eq!(call_totals(&f).await, expected, "nothing counted twice");

    // A record id seen before with other details is refused, never a silent double; a new
    // id is loaded; a row that starts in the future is refused.
    let next = drop_file(
        &f,
        "nov-2.csv",
        "record_id,service,type,started_at,destination,quantity\r\n\
         c1,+61255501234,call,2036-11-03T09:15:00Z,+61255509999,200\r\n\
         c7,+61255501235,call,2036-11-06T09:00:00Z,61255501111,60\r\n\
         c8,+61255501235,call,2036-11-20T12:14:00Z,61255501111,60\r\n\
         c9,+61255501235,call,2036-11-21T09:00:00Z,61255501111,60\r\n",
    )
    .await;
    let result = selfcare::events::on_usage_file(&f.w.platform, next.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((result.accepted, result.rejected), (2, 2));
    let text = rejects_of(&f, &result).await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with("2,\"record_id \"\"c1\"\" was loaded from ")
            && lines[1].contains("nov-1.csv with other details"),
        "{text}"
    );
    assert_eq!(
        lines[2], "5,\"started_at: 2036-11-21T09:00:00Z is in the future\"",
        "{text}"
    );
    // c7 and c8 (14 minutes ahead: clock skew) at 2.5 c a minute.
    assert_eq!(call_totals(&f).await, (8, 660, 300, 3 + 10 + 5 + 3 + 3));

    // The copy's rejects say where each record was loaded from.
    let text = rejects_of(&f, &again).await;
    assert!(
        text.contains("2,\"record_id \"\"c1\"\" was loaded before, from ")
            && text.contains("nov-1.csv; it counts once\""),
        "{text}"
    );
}

#[tokio::test]
async fn days_and_months_are_the_providers_across_a_month_boundary_and_daylight_saving() {
    use axum::http::StatusCode;
    let f = fixture().await;
    let settings_service = f.w.platform.settings();
    let mut settings = settings_service.get(&f.tenant.id).await.unwrap();
    settings.time_zone = "Australia/Sydney".into();
    settings_service
        .set(&f.tenant.id, settings, &Stamp::none())
        .await
        .unwrap();
    // Sydney's clocks go forward at 02:00 on Sunday 5 October 2036 (+10 to +11).
    let key = drop_file(
        &f,
        "sydney.csv",
        "record_id,service,type,started_at,destination,quantity\r\n\
         d1,+61255501235,call,2036-10-04T14:30:00Z,61255501111,60\r\n\
         d2,+61255501235,call,2036-10-05T13:30:00Z,61255501111,60\r\n\
         m1,+61255501235,call,2036-10-31T12:30:00Z,61255501111,60\r\n\
         m2,+61255501235,call,2036-10-31T13:30:00Z,61255501111,60\r\n",
    )
    .await;
    let result = selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.accepted, 4, "{result:?}");
    let cast = cast(&f).await;
    let spare =
        f.w.platform
            .services()
            .by_identifier(&f.tenant.id, SPARE)
            .await
            .unwrap()
            .unwrap();
    let month = |period: &'static str| {
        let path = format!("/v1/portal/services/{}/usage?period={period}", spare.id);
        let (w, sam) = (&f.w, cast.sam.clone());
        async move { w.call("GET", &path, "acme", Auth::Bearer(&sam), None).await }
    };
    let october = month("2036-10").await;
    assert_eq!(october.status, StatusCode::OK, "{}", october.text);
    let calls_on = |reply: &crate::common::Reply, day: usize| {
        reply.body["days"][day - 1]["by_type"]["call"]["count"]
            .as_i64()
            .unwrap_or(0)
    };
    // 00:30 in Sydney both times: the 5th (before the change) and the 6th (after it).
    assert_eq!((calls_on(&october, 4), calls_on(&october, 5)), (0, 1));
    assert_eq!(calls_on(&october, 6), 1);
    // 23:30 on 31 October stays in October; 00:30 on 1 November is November's.
    assert_eq!(calls_on(&october, 31), 1);
    assert_eq!(october.body["by_type"]["call"]["count"], 3);
    let november = month("2036-11").await;
    assert_eq!(calls_on(&november, 1), 1, "{}", november.text);
    // The export shows each start as Sydney's clock read it.
    let export =
        f.w.call(
            "POST",
            "/v1/portal/usage/exports",
            "acme",
            Auth::Bearer(&cast.sam),
            Some(serde_json::json!({"period": "2036-10", "service": spare.id.to_string()})),
        )
        .await;
    assert_eq!(export.status, StatusCode::CREATED, "{}", export.text);
    let url = export.body["download_url"].as_str().unwrap();
    let csv =
        f.w.call(
            "GET",
            url.strip_prefix("http://127.0.0.1:3000").unwrap(),
            "acme",
            Auth::None,
            None,
        )
        .await;
    assert!(
        csv.text.contains(",2036-10-06T00:30:00+11:00,"),
        "{}",
        csv.text
    );
    assert!(
        csv.text.contains(",2036-10-05T00:30:00+10:00,"),
        "{}",
        csv.text
    );

    // Half past midnight on 1 December in Sydney is still November in UTC: the portal's
    // current month is December.
    f.w.clock
        .advance(time::macros::datetime!(2036-11-30 13:30 UTC) - f.w.clock.now());
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let current =
        f.w.call("GET", "/v1/portal/usage", "acme", Auth::Bearer(&sam), None)
            .await;
    assert_eq!(current.body["period"], "2036-12", "{}", current.text);
    assert_eq!(current.body["days"].as_array().unwrap().len(), 1);

    // Staff see and set the time zone; a name that is not one is refused.
    let bad =
        f.w.call(
            "PUT",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&f.w.token("acme", "boss", STAFF_PASSWORD).await),
            Some(serde_json::json!({"time_zone": "Sydney"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.body["errors"][0]["field"], "/time_zone");
}

/// A table that fails the `n`th update (an ingest's checkpoint), as a crash would.
struct CrashOnUpdate {
    inner: Arc<dyn Table>,
    updates: AtomicUsize,
    crash_at: usize,
}

#[async_trait]
impl Table for CrashOnUpdate {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        self.inner.put(item, condition).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        if self.updates.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            return Err(TableError::Unavailable("the function was stopped".into()));
        }
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, TableError> {
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        self.inner.transact(writes).await
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError> {
        self.inner.put_many(items).await
    }
}

#[tokio::test]
async fn a_crash_halfway_is_finished_by_the_redelivery_exactly_once() {
    // Chunks of three rows: four chunks, each stored then checkpointed (updates 1 to 4),
    // then the ingest fenced as still running (update 5), the file's totals written and
    // the ingest marked completed (update 6). The function dies at one of those steps; the
    // redelivery finishes the file.
    for (crash_at, chunks_done) in [(1, 0), (3, 2), (5, 4), (6, 4)] {
        let f = fixture().await;
        let key = drop_file(&f, "nov-1.csv", FILE).await;
        let platform = &f.w.platform;
        let with = |table: Arc<dyn Table>| {
            Ingest::new(
                table,
                platform.ingest.clone(),
                platform.exports.clone(),
                platform.clock.clone(),
                platform.cursors.clone(),
                platform.sender.clone(),
            )
            .with_chunk_rows(3)
        };
        let crashing = Arc::new(CrashOnUpdate {
            inner: platform.table.clone(),
            updates: AtomicUsize::new(0),
            crash_at,
        });
        assert!(with(crashing).run(&key).await.is_err());
        let halfway = platform
            .ingest()
            .result(
                &f.tenant.id,
                &selfcare::domain::usage::ingest::ingest_id(&key),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (halfway.status, halfway.chunks_done),
            (IngestStatus::Running, chunks_done),
            "crash at update {crash_at}"
        );

        let done = with(platform.table.clone()).run(&key).await.unwrap();
        assert_eq!(
            (done.status, done.rows_read, done.accepted, done.rejected),
            (IngestStatus::Completed, 11, 7, 4),
            "crash at update {crash_at}"
        );
        // The rejects of every chunk, in line order, once each, as from a load in one go.
        assert_eq!(
            rejects_of(&f, &done).await,
            FILE_REJECTS,
            "crash at update {crash_at}"
        );
        // The same totals, allowances included, as the file loaded in one go: the totals
        // the crashed run had written are its own and are not counted as allowance used.
        assert_eq!(
            call_totals(&f).await,
            (6, 540, 300, 3 + 10 + 5),
            "crash at update {crash_at}"
        );
        let records = platform
            .usage_records()
            .page(
                &f.tenant.id,
                &f.landline,
                Period::parse("2036-11").unwrap(),
                None,
                &PageRequest::first(100),
            )
            .await
            .unwrap();
        assert_eq!(records.items.len(), 5, "crash at update {crash_at}");
    }
}

#[tokio::test]
async fn a_load_that_stopped_is_shown_failed_and_staff_retry_it_once_counting_nothing_twice() {
    use axum::http::StatusCode;
    use serde_json::json;
    let f = fixture().await;
    f.w.staff(&f.tenant, "boss", ALL).await;
    f.w.staff(
        &f.tenant,
        "viewer",
        &[selfcare::domain::identity::Permission::ReportsView],
    )
    .await;
    let bluewave = f.w.tenant("bluewave").await;
    f.w.staff(&bluewave, "rival", ALL).await;
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    let viewer = f.w.token("acme", "viewer", STAFF_PASSWORD).await;
    let rival = f.w.token("bluewave", "rival", STAFF_PASSWORD).await;

    // S3 hands the file over; every delivery dies after two of its four chunks, and S3
    // stops handing it over.
    stopped_load(&f, "nov-1.csv").await;

    let list = |token: String| {
        let w = &f.w;
        async move {
            w.get("/v1/console/usage/ingests", "acme", Auth::Bearer(&token))
                .await
        }
    };
    let retry = |tenant: &'static str, token: String, id: String| {
        let w = &f.w;
        async move {
            w.call(
                "POST",
                &format!("/v1/console/usage/ingests/{id}/retry"),
                tenant,
                Auth::Bearer(&token),
                Some(json!({})),
            )
            .await
        }
    };
    let files = list(boss.clone()).await;
    let stuck = files.body["items"][0].clone();
    let id = stuck["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (&stuck["status"], &stuck["stalled"], &stuck["rows_read"]),
        (&json!("running"), &json!(false), &json!(6)),
        "{}",
        files.text
    );
    // While it may still be loading, there is nothing to retry.
    let early = retry("acme", boss.clone(), id.clone()).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    assert_eq!(early.body["type"], "/problems/ingest-not-stopped");

    // Twenty minutes without progress: shown failed, saying what to do.
    f.w.clock.advance(time::Duration::minutes(21));
    let files = list(boss.clone()).await;
    let stuck = &files.body["items"][0];
    assert_eq!(
        (&stuck["status"], &stuck["stalled"]),
        (&json!("failed"), &json!(true))
    );
    assert!(
        stuck["error"]
            .as_str()
            .unwrap()
            .starts_with("Loading stopped after 6 rows"),
        "{}",
        files.text
    );

    // Reading is not enough to retry; another provider's staff find no such load.
    let refused = retry("acme", viewer, id.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let theirs = retry("bluewave", rival, id.clone()).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.text);
    // Staff limited to an account group may manage settings, but a usage file covers
    // every account: not theirs to retry.
    let limited =
        invite_limited_staff(&f.w, &boss, "nora", &["settings_manage", "reports_view"]).await;
    let grouped = retry("acme", limited, id.clone()).await;
    assert_eq!(grouped.status, StatusCode::FORBIDDEN, "{}", grouped.text);
    assert!(
        f.w.take_blob_events()
            .await
            .iter()
            .all(|created| !created.key.as_str().contains("/usage/")),
        "nothing stored again"
    );

    // Retried: the file is stored again (once, however often asked) and loads whole.
    let retried = retry("acme", boss.clone(), id.clone()).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.text);
    let new_id = retried.body["retried_as"].as_str().unwrap().to_owned();
    assert_eq!(retried.body["status"], "failed");
    let again = retry("acme", boss.clone(), id.clone()).await;
    assert_eq!(
        (again.status, again.body["retried_as"].as_str()),
        (StatusCode::OK, Some(new_id.as_str()))
    );
    let loaded = f.w.deliver_usage_files().await;
    assert_eq!(loaded.len(), 1, "one new version, not two");
    assert_eq!(
        (
            loaded[0].id.as_str(),
            loaded[0].status,
            loaded[0].rows_read,
            loaded[0].accepted,
            loaded[0].rejected
        ),
        (new_id.as_str(), IngestStatus::Completed, 11, 7, 4)
    );
    // The same totals as the file loaded in one go: the stopped load's chunks count once.
    assert_eq!(call_totals(&f).await, (6, 540, 300, 3 + 10 + 5));

    let files = list(boss.clone()).await;
    assert_eq!(
        files.body["items"][0]["id"],
        new_id.as_str(),
        "{}",
        files.text
    );
    assert_eq!(files.body["items"][0]["status"], "completed");
    assert_eq!(files.body["items"][1]["retried_as"], new_id.as_str());
    // A completed load is not retried.
    let done = retry("acme", boss, new_id).await;
    assert_eq!(done.status, StatusCode::CONFLICT, "{}", done.text);
}

#[tokio::test]
async fn a_file_whose_records_another_unfinished_file_holds_waits_and_never_counts_twice() {
    for other_file_fails in [false, true] {
        let f = fixture().await;
        let platform = &f.w.platform;
        let with = |table: Arc<dyn Table>| {
            Ingest::new(
                table,
                platform.ingest.clone(),
                platform.exports.clone(),
                platform.clock.clone(),
                platform.cursors.clone(),
                platform.sender.clone(),
            )
            .with_chunk_rows(3)
        };
        // The first file dies after storing two of its four chunks.
        let first = drop_file(&f, "nov-1.csv", FILE).await;
        let crashing = Arc::new(CrashOnUpdate {
            inner: platform.table.clone(),
            updates: AtomicUsize::new(0),
            crash_at: 3,
        });
        assert!(with(crashing).run(&first).await.is_err());
        // The same records under another name wait for it rather than count.
        let copy = drop_file(&f, "nov-1-copy.csv", FILE).await;
        let waiting = with(platform.table.clone()).run(&copy).await;
        assert!(
            matches!(waiting, Err(selfcare::domain::usage::UsageError::WaitingFor(ref file)) if file.ends_with("nov-1.csv")),
            "{waiting:?}"
        );
        if other_file_fails {
            // The first file cannot finish (say it was taken away): its half load is void.
            platform
                .table
                .update(
                    &Key::new(
                        format!(
                            "TENANT#{}#INGEST#{}",
                            f.tenant.id,
                            selfcare::domain::usage::ingest::ingest_id(&first)
                        ),
                        "INGEST",
                    ),
                    Update::default().set("status", "failed"),
                    None,
                )
                .await
                .unwrap();
        } else {
            with(platform.table.clone()).run(&first).await.unwrap();
        }
        let done = with(platform.table.clone()).run(&copy).await.unwrap();
        assert_eq!(
            done.accepted,
            if other_file_fails { 7 } else { 0 },
            "{done:?}"
        );
        assert_eq!(
            call_totals(&f).await,
            (6, 540, 300, 3 + 10 + 5),
            "once, whichever file loads it (first fails: {other_file_fails})"
        );
    }
}

#[tokio::test]
async fn a_file_that_is_not_the_documented_csv_is_refused_whole() {
    let f = fixture().await;
    let key = drop_file(&f, "wrong.csv", "id,number,seconds\r\n1,2,3\r\n").await;
    let result = selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.status, IngestStatus::Failed);
    assert!(result.error.unwrap().contains("header row must be"));
    assert_eq!(result.accepted, 0);
    // Files outside {tenant}/usage/ are not usage files.
    let stray = format!("{}/rejects/x.csv", f.tenant.id);
    assert!(
        selfcare::events::on_usage_file(&f.w.platform, &stray)
            .await
            .unwrap()
            .is_none()
    );
}

mod over_http {
    //! What customers and staff read of the loaded usage, and only their own.

    use axum::http::StatusCode;
    use serde_json::json;

    use crate::common::usage_fixture::*;
    use crate::common::*;

    fn usage_path(f: &Fixture) -> String {
        format!("/v1/portal/services/{}/usage?period=2036-11", f.landline)
    }

    fn records_path(f: &Fixture) -> String {
        format!(
            "/v1/portal/services/{}/usage/records?limit=2&type=call",
            f.landline
        )
    }

    fn console_path(f: &Fixture) -> String {
        format!(
            "/v1/console/accounts/{}/services/{}/usage?period=2036-11",
            f.account, f.landline
        )
    }

    #[tokio::test]
    async fn a_customer_reads_its_services_and_a_services_month_by_type_and_day() {
        let (f, Cast { sam, .. }) = loaded().await;
        let services =
            f.w.get("/v1/portal/services", "acme", Auth::Bearer(&sam))
                .await;
        assert_eq!(services.status, StatusCode::OK, "{}", services.text);
        assert_eq!(services.body.as_array().unwrap().len(), 2);
        let usage = f.w.get(&usage_path(&f), "acme", Auth::Bearer(&sam)).await;
        assert_eq!(usage.status, StatusCode::OK, "{}", usage.text);
        assert_eq!(usage.body["by_type"]["call"]["count"], 4);
        assert_eq!(usage.body["by_type"]["call"]["covered"], 300);
        assert_eq!(usage.body["total_charge"], "0.08");
        assert_eq!(usage.body["days"][2]["date"], "2036-11-03");
        let account_usage =
            f.w.get("/v1/portal/usage", "acme", Auth::Bearer(&sam))
                .await;
        assert_eq!(account_usage.body["total_charge"], "0.23");
    }

    #[tokio::test]
    async fn a_services_records_page_newest_first_with_a_cursor() {
        let (f, Cast { sam, .. }) = loaded().await;
        let first = f.w.get(&records_path(&f), "acme", Auth::Bearer(&sam)).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        assert_eq!(first.body["items"][0]["record_id"], "c4");
        assert_eq!(first.body["items"][0]["charge"], "0.03");
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second =
            f.w.get(
                &format!("{}&cursor={cursor}", records_path(&f)),
                "acme",
                Auth::Bearer(&sam),
            )
            .await;
        let ids: Vec<&str> = second.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["record_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["c2", "c1"]);
    }

    #[tokio::test]
    async fn a_period_that_is_not_a_month_is_refused() {
        let (f, Cast { sam, .. }) = loaded().await;
        let bad_period =
            f.w.get(
                &format!("/v1/portal/services/{}/usage?period=November", f.landline),
                "acme",
                Auth::Bearer(&sam),
            )
            .await;
        assert_eq!(bad_period.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[tokio::test]
    async fn another_account_or_provider_finds_neither_the_service_nor_its_usage() {
        let (f, Cast { sam, kim, lee, .. }) = loaded().await;
        for (tenant, token) in [("acme", &kim), ("bluewave", &lee)] {
            for path in [
                format!("/v1/portal/services/{}", f.landline),
                usage_path(&f),
                records_path(&f),
            ] {
                let reply = f.w.get(&path, tenant, Auth::Bearer(token)).await;
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{tenant} {path}");
            }
        }
        let kims =
            f.w.get("/v1/portal/usage", "acme", Auth::Bearer(&kim))
                .await;
        assert_eq!(kims.body["total_charge"], "0.00");
        // Not even with a cursor of Sam's list.
        let first = f.w.get(&records_path(&f), "acme", Auth::Bearer(&sam)).await;
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let forged =
            f.w.get(
                &format!("{}&cursor={cursor}", records_path(&f)),
                "acme",
                Auth::Bearer(&kim),
            )
            .await;
        assert_eq!(forged.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn staff_read_an_accounts_usage_within_their_reach_only() {
        let (
            f,
            Cast {
                kim_account,
                boss,
                rival,
                nora,
                ..
            },
        ) = loaded().await;
        let seen =
            f.w.get(&console_path(&f), "acme", Auth::Bearer(&boss))
                .await;
        assert_eq!(seen.body["total_charge"], "0.08", "{}", seen.text);
        let theirs =
            f.w.get(&console_path(&f), "bluewave", Auth::Bearer(&rival))
                .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        // Staff limited to an account group Sam's account is not in.
        let outside =
            f.w.get(&console_path(&f), "acme", Auth::Bearer(&nora))
                .await;
        assert_eq!(outside.status, StatusCode::NOT_FOUND);
        // Sam's service under Kim's account.
        let crossed =
            f.w.get(
                &format!(
                    "/v1/console/accounts/{kim_account}/services/{}/usage",
                    f.landline
                ),
                "acme",
                Auth::Bearer(&boss),
            )
            .await;
        assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn staff_list_their_providers_usage_files_and_download_the_rejects() {
        let (f, Cast { boss, rival, .. }) = loaded().await;
        let files =
            f.w.get("/v1/console/usage/ingests", "acme", Auth::Bearer(&boss))
                .await;
        assert_eq!(files.body["items"][0]["rejected"], 4, "{}", files.text);
        let link = files.body["items"][0]["rejects_url"].as_str().unwrap();
        let rejects =
            f.w.get(
                link.strip_prefix("http://127.0.0.1:3000").unwrap(),
                "acme",
                Auth::None,
            )
            .await;
        assert_eq!(rejects.status, StatusCode::OK, "{}", rejects.text);
        assert!(
            rejects
                .text
                .starts_with("line,reason\r\n6,\"record_id \"\"c2\"\" appears earlier"),
            "{}",
            rejects.text
        );
        let none =
            f.w.get(
                "/v1/console/usage/ingests",
                "bluewave",
                Auth::Bearer(&rival),
            )
            .await;
        assert_eq!(none.body["items"], json!([]));
    }

    #[tokio::test]
    async fn with_the_usage_module_off_the_portal_says_so() {
        let (f, Cast { sam, boss, .. }) = loaded().await;
        let off =
            f.w.call(
                "PUT",
                "/v1/console/settings/access",
                "acme",
                Auth::Bearer(&boss),
                Some(json!({"modules": ["services"]})),
            )
            .await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.text);
        let disabled = f.w.get(&usage_path(&f), "acme", Auth::Bearer(&sam)).await;
        assert_eq!(disabled.status, StatusCode::NOT_FOUND);
        assert_eq!(disabled.body["type"], "/problems/module-disabled");
    }
}

#[tokio::test]
async fn staff_see_every_accounts_month_to_date_and_only_their_tenants() {
    use axum::http::StatusCode;
    let f = fixture().await;
    let key = drop_file(&f, "nov-1.csv", FILE).await;
    selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap();
    // Kim's account is opened a second after Sam's.
    f.w.clock.advance(time::Duration::seconds(1));
    let Cast {
        boss, rival, nora, ..
    } = cast(&f).await;

    let path = "/v1/console/usage/overview?period=2036-11";
    let overview =
        f.w.call("GET", path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    let rows: Vec<(String, String)> = overview.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["total_charge"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Newest account first, as the accounts list orders them.
    assert_eq!(
        rows,
        [
            ("Kim Park".to_owned(), "0.00".to_owned()),
            ("Sam Lee".to_owned(), "0.23".to_owned())
        ]
    );
    assert_eq!(overview.body["items"][1]["by_type"]["call"]["count"], 6);
    let theirs =
        f.w.call("GET", path, "bluewave", Auth::Bearer(&rival), None)
            .await;
    let names: Vec<&str> = theirs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lee Chan"]);

    // Staff limited to the north group see the north accounts only.
    f.w.account(&f.tenant, "Nina North", "nina@example.com", Some("north"))
        .await;
    let north =
        f.w.call("GET", path, "acme", Auth::Bearer(&nora), None)
            .await;
    assert_eq!(north.status, StatusCode::OK, "{}", north.text);
    let names: Vec<&str> = north.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Nina North"]);
}

#[tokio::test]
async fn staff_upload_a_usage_file_through_a_presigned_url() {
    use axum::http::StatusCode;
    use http_body_util::BodyExt;
    use serde_json::json;
    use tower::ServiceExt;
    let f = fixture().await;
    f.w.staff(&f.tenant, "boss", ALL).await;
    let bluewave = f.w.tenant("bluewave").await;
    f.w.staff(&bluewave, "rival", ALL).await;
    let boss = f.w.token("acme", "boss", STAFF_PASSWORD).await;
    let rival = f.w.token("bluewave", "rival", STAFF_PASSWORD).await;
    let ask = |tenant: &'static str, token: String, name: &'static str| {
        let w = &f.w;
        async move {
            w.call(
                "POST",
                "/v1/console/usage/uploads",
                tenant,
                Auth::Bearer(&token),
                Some(json!({ "name": name })),
            )
            .await
        }
    };
    let put = |url: String, body: &'static str| {
        let app = f.w.app.clone();
        async move {
            let path = url
                .strip_prefix("http://127.0.0.1:3000")
                .unwrap()
                .to_owned();
            let request = axum::http::Request::builder()
                .method("PUT")
                .uri(path)
                .header("content-type", "text/csv")
                .body(axum::body::Body::from(body))
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let _ = response.into_body().collect().await;
            status
        }
    };

    let upload = ask("acme", boss.clone(), "cdr-2036-11.csv").await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.text);
    assert_eq!(upload.body["method"], "PUT");
    let file = upload.body["file"].as_str().unwrap().to_owned();
    assert_eq!(file, format!("{}/usage/cdr-2036-11.csv", f.tenant.id));
    let url = upload.body["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(put(url.clone(), FILE).await, StatusCode::OK);
    // The bucket's notification (delivered in-process by the local runtime) loads it.
    let results = f.w.deliver_usage_files().await;
    let loaded: Vec<(i64, i64)> = results
        .iter()
        .filter(|r| r.file == file)
        .map(|r| (r.accepted, r.rejected))
        .collect();
    assert_eq!(loaded, [(7, 4)]);
    let first_rejects = results[0].rejects_file.clone().unwrap();
    assert_eq!(upload.body["corrects_earlier_file"], false);

    // A corrected file under the same name is a new version: loaded as a file of its own,
    // its records already loaded refused, its new one loaded; the answer says so first.
    let again = ask("acme", boss.clone(), "cdr-2036-11.csv").await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["corrects_earlier_file"], true);
    assert!(
        again.body["note"]
            .as_str()
            .unwrap()
            .contains("new record ids")
    );
    let corrected = "record_id,service,type,started_at,destination,quantity\r\n\
                     c1,+61255501234,call,2036-11-03T09:15:00Z,+61255509999,100\r\n\
                     c9,+61255501235,call,2036-11-06T09:00:00Z,61255501111,60\r\n";
    let url = again.body["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(put(url, corrected).await, StatusCode::OK);
    let results = f.w.deliver_usage_files().await;
    let loaded: Vec<(i64, i64)> = results
        .iter()
        .filter(|r| r.file == file)
        .map(|r| (r.accepted, r.rejected))
        .collect();
    assert_eq!(loaded, [(1, 1)], "{results:?}");
    // Each load keeps its own rejects file, and names the earlier file as the provider did.
    let corrected_rejects = results[0].rejects_file.clone().unwrap();
    assert_ne!(corrected_rejects, first_rejects);
    let text = rejects_text(&f, &corrected_rejects).await;
    assert!(
        text.contains("was loaded before, from cdr-2036-11.csv;"),
        "{text}"
    );
    // Each record counts once: the first file's seven and the corrected file's new one.
    assert_eq!(call_totals(&f).await, (7, 600, 300, 3 + 10 + 5 + 3));
    let bad = ask("acme", boss.clone(), "../other/x.csv").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another provider's upload lands under its own tenant, whatever the name.
    let theirs = ask("bluewave", rival.clone(), "cdr-2036-11.csv").await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    assert!(
        theirs.body["file"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/usage/", bluewave.id))
    );
    // A URL past its 15 minutes stores nothing.
    let late = ask("acme", boss.clone(), "cdr-late.csv").await;
    f.w.clock.advance(time::Duration::minutes(16));
    let late_url = late.body["upload_url"].as_str().unwrap().to_owned();
    assert_eq!(put(late_url, FILE).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_queue_message_that_names_no_usage_file_is_dropped_not_delivered_again_forever() {
    let f = fixture().await;
    let bluewave = f.w.tenant("bluewave").await;
    for body in [
        String::new(),
        "{}".to_owned(),
        "not json".to_owned(),
        r#"{"key":"../usage/x.csv"}"#.to_owned(),
        format!(r#"{{"key":"{}/rejects/x/nov.csv"}}"#, f.tenant.id),
    ] {
        let handled = selfcare::events::on_queued_usage_file(&f.w.platform, &body).await;
        assert_eq!(handled.unwrap(), None, "{body}");
    }
    // A file gone from the bucket is a failed load of its own, shown to its provider only.
    let gone = format!(r#"{{"key":"{}/usage/gone.csv"}}"#, bluewave.id);
    let handled = selfcare::events::on_queued_usage_file(&f.w.platform, &gone)
        .await
        .unwrap()
        .expect("a load");
    assert_eq!(handled.status, IngestStatus::Failed);
}

/// The ingest bucket, refusing to store a file again (the bucket briefly down).
struct NoCopies(Arc<dyn selfcare::ports::Blobs>);

#[async_trait]
impl selfcare::ports::Blobs for NoCopies {
    async fn put(
        &self,
        key: &BlobKey,
        body: selfcare::ports::blobs::ByteStream,
        content_type: &str,
    ) -> Result<selfcare::ports::blobs::BlobInfo, selfcare::ports::BlobError> {
        self.0.put(key, body, content_type).await
    }
    async fn put_kept(
        &self,
        key: &BlobKey,
        body: selfcare::ports::blobs::ByteStream,
        content_type: &str,
        retention: selfcare::ports::blobs::Retention,
    ) -> Result<selfcare::ports::blobs::BlobInfo, selfcare::ports::BlobError> {
        self.0.put_kept(key, body, content_type, retention).await
    }
    async fn get(
        &self,
        key: &BlobKey,
    ) -> Result<Option<selfcare::ports::blobs::Download>, selfcare::ports::BlobError> {
        self.0.get(key).await
    }
    async fn get_version(
        &self,
        key: &BlobKey,
        version: &str,
    ) -> Result<Option<selfcare::ports::blobs::Download>, selfcare::ports::BlobError> {
        self.0.get_version(key, version).await
    }
    async fn get_range(
        &self,
        key: &BlobKey,
        start: u64,
        len: u64,
    ) -> Result<Option<bytes::Bytes>, selfcare::ports::BlobError> {
        self.0.get_range(key, start, len).await
    }
    async fn store_again(
        &self,
        _: &BlobKey,
        _: Option<&str>,
    ) -> Result<Option<selfcare::ports::blobs::BlobInfo>, selfcare::ports::BlobError> {
        Err(selfcare::ports::BlobError::Unavailable(
            "the bucket is down".into(),
        ))
    }
    async fn list(
        &self,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<selfcare::ports::blobs::Listing, selfcare::ports::BlobError> {
        self.0.list(prefix, after, limit).await
    }
    async fn presign_get(
        &self,
        key: &BlobKey,
        expires_in: std::time::Duration,
    ) -> Result<String, selfcare::ports::BlobError> {
        self.0.presign_get(key, expires_in).await
    }
    async fn presign_put(
        &self,
        key: &BlobKey,
        expires_in: std::time::Duration,
        content_type: &str,
    ) -> Result<String, selfcare::ports::BlobError> {
        self.0.presign_put(key, expires_in, content_type).await
    }
}

/// Drops `FILE` as `name`, and hands it to an ingest that dies after two of its chunks:
/// the load stays running, and nothing hands it over again. Its ingest id.
async fn stopped_load(f: &Fixture, name: &str) -> String {
    let platform = &f.w.platform;
    let key = drop_file(f, name, FILE).await;
    let created = f.w.take_blob_events().await;
    let crashing = Arc::new(CrashOnUpdate {
        inner: platform.table.clone(),
        updates: AtomicUsize::new(0),
        crash_at: 3,
    });
    let ingest = Ingest::new(
        crashing,
        platform.ingest.clone(),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
        platform.sender.clone(),
    )
    .with_chunk_rows(3);
    assert!(
        ingest
            .run_version(&key, created[0].version.as_deref())
            .await
            .is_err()
    );
    selfcare::domain::usage::ingest::version_ingest_id(&key, created[0].version.as_deref())
}

#[tokio::test]
async fn a_retry_the_bucket_failed_is_asked_again_and_a_corrected_file_is_never_undone() {
    use selfcare::domain::usage::ingest::Retry;
    let f = fixture().await;
    let platform = &f.w.platform;
    let id = stopped_load(&f, "nov-1.csv").await;
    f.w.clock.advance(time::Duration::minutes(21));

    // The bucket fails as the file is stored again: the load is failed, and may be retried.
    let flaky = Ingest::new(
        platform.table.clone(),
        Arc::new(NoCopies(platform.ingest.clone())),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
        platform.sender.clone(),
    );
    assert!(flaky.retry(&f.tenant.id, &id).await.is_err());
    let now = platform.clock.now();
    let failed = platform
        .ingest()
        .result(&f.tenant.id, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, IngestStatus::Failed);
    assert!(failed.retryable_at(now), "asked again");
    let Some(Retry::Retried(retried)) = platform.ingest().retry(&f.tenant.id, &id).await.unwrap()
    else {
        panic!("retried the second time");
    };
    assert!(retried.retried_as.is_some());
    assert!(!retried.retryable_at(now));
    let loaded = f.w.deliver_usage_files().await;
    assert_eq!(
        (loaded.len(), loaded[0].status),
        (1, IngestStatus::Completed)
    );

    // A load that stopped, then a corrected file under the same name: retrying the old
    // one would store the old file over the correction, and is refused.
    let old = stopped_load(&f, "nov-2.csv").await;
    drop_file(&f, "nov-2.csv", FILE).await;
    f.w.clock.advance(time::Duration::minutes(21));
    let refused = platform.ingest().retry(&f.tenant.id, &old).await.unwrap();
    assert!(matches!(refused, Some(Retry::FileGone(_))), "{refused:?}");
}

/// `count` rows of the landline, ids `{prefix}00` on, every `step` minutes from 1 November
/// plus `offset` minutes, every fifth a message, in an order unrelated to time (every
/// seventh row, wrapping round: 7 and the counts used are coprime). Also each row's
/// (start, `id:type`).
fn scattered_file(
    prefix: &str,
    count: usize,
    step: i64,
    offset: i64,
) -> (String, Vec<(String, String)>) {
    let start = time::macros::datetime!(2036-11-01 00:00 UTC);
    let mut text = String::from("record_id,service,type,started_at,destination,quantity\r\n");
    let mut rows = Vec::new();
    for n in 0..count {
        let i = (n * 7) % count;
        let at =
            selfcare::store::rfc3339(start + time::Duration::minutes(offset + step * i as i64));
        let id = format!("{prefix}{i:02}");
        let (kind, quantity) = if i % 5 == 4 {
            ("message", 1)
        } else {
            ("call", 30)
        };
        text.push_str(&format!(
            "{id},{LANDLINE},{kind},{at},61255509999,{quantity}\r\n"
        ));
        rows.push((at, format!("{id}:{kind}")));
    }
    (text, rows)
}

#[tokio::test]
async fn records_live_in_blocks_and_page_newest_first_across_files_and_chunks() {
    let f = fixture().await;
    let platform = &f.w.platform;
    let chunked = Ingest::new(
        platform.table.clone(),
        platform.ingest.clone(),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
        platform.sender.clone(),
    )
    .with_chunk_rows(4);
    // Two files whose times interleave (every 10 minutes, and 5 minutes later), each
    // scattered over chunks of four rows: blocks overlap in time.
    let (first, mut expected) = scattered_file("a", 22, 10, 0);
    let (second, more) = scattered_file("b", 13, 10, 5);
    expected.extend(more);
    for (name, text) in [("a.csv", first), ("b.csv", second)] {
        let key = drop_file(&f, name, &text).await;
        let loaded = chunked.run(&key).await.unwrap();
        assert_eq!(loaded.status, IngestStatus::Completed, "{name}");
        assert_eq!(loaded.rejected, 0, "{name}");
    }
    expected.sort();
    expected.reverse();
    let period = Period::parse("2036-11").unwrap();
    let records = platform.usage_records();

    // Paged seven at a time, newest first: every record once, in order.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = records
            .page(
                &f.tenant.id,
                &f.landline,
                period,
                None,
                &PageRequest::after(7, cursor),
            )
            .await
            .unwrap();
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|r| {
            (
                selfcare::store::rfc3339(r.started_at),
                format!("{}:{}", r.record_id, r.usage.name()),
            )
        }));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected);

    // One type only: the messages, newest first, three a page.
    let messages: Vec<&(String, String)> = expected
        .iter()
        .filter(|(_, id)| id.ends_with(":message"))
        .collect();
    let page = records
        .page(
            &f.tenant.id,
            &f.landline,
            period,
            Some(UsageType::Message),
            &PageRequest::first(3),
        )
        .await
        .unwrap();
    let ids: Vec<String> = page
        .items
        .iter()
        .map(|r| format!("{}:message", r.record_id))
        .collect();
    assert_eq!(
        ids,
        messages[..3]
            .iter()
            .map(|(_, id)| id.clone())
            .collect::<Vec<_>>()
    );
    let rest = records
        .page(
            &f.tenant.id,
            &f.landline,
            period,
            Some(UsageType::Message),
            &PageRequest::after(100, page.next_cursor.clone()),
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), messages.len() - 3);
    assert!(rest.next_cursor.is_none());

    // A cursor of the landline's messages means nothing for all its records, nor for the
    // spare service.
    let spare = platform
        .services()
        .by_identifier(&f.tenant.id, SPARE)
        .await
        .unwrap()
        .unwrap();
    for (service, usage) in [(f.landline, None), (spare.id, Some(UsageType::Message))] {
        let refused = records
            .page(
                &f.tenant.id,
                &service,
                period,
                usage,
                &PageRequest::after(3, page.next_cursor.clone()),
            )
            .await;
        assert!(refused.is_err(), "a cursor carried to another list");
    }

    // The month whole, oldest first, as exports read it.
    let month: Vec<String> = records
        .month(&f.tenant.id, &f.landline, period)
        .await
        .unwrap()
        .map(|r| r.unwrap().record_id)
        .collect();
    let mut oldest_first: Vec<String> = expected
        .iter()
        .map(|(_, id)| id.split(':').next().unwrap().to_owned())
        .collect();
    oldest_first.reverse();
    assert_eq!(month, oldest_first);

    // The table holds an index item per block (a chunk's records of the month), not an
    // item per record: ten chunks of four rows or fewer, one block each, for 35 records.
    let partition = platform
        .table
        .query(
            Query::partition(
                selfcare::ports::table::Index::Primary,
                format!(
                    "TENANT#{}#SERVICE#{}#USAGE#2036-11",
                    f.tenant.id, f.landline
                ),
            )
            .limit(1000),
        )
        .await
        .unwrap();
    assert_eq!(partition.items.len(), 6 + 4);
}

#[tokio::test]
async fn a_files_records_appear_when_it_finishes_and_a_failed_loads_never() {
    let f = fixture().await;
    let platform = &f.w.platform;
    let (text, _) = scattered_file("a", 12, 10, 0);
    let key = drop_file(&f, "a.csv", &text).await;
    // Handed to the stopping run below, not through the bucket's notice.
    f.w.take_blob_events().await;
    // The run stops as it moves the checkpoint past its second chunk of four (update 2):
    // two chunks' blocks are stored.
    let crashing = Arc::new(CrashOnUpdate {
        inner: platform.table.clone(),
        updates: AtomicUsize::new(0),
        crash_at: 2,
    });
    let stopped = Ingest::new(
        crashing,
        platform.ingest.clone(),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
        platform.sender.clone(),
    )
    .with_chunk_rows(4);
    assert!(stopped.run(&key).await.is_err());
    let period = Period::parse("2036-11").unwrap();
    let shown = || async {
        platform
            .usage_records()
            .page(
                &f.tenant.id,
                &f.landline,
                period,
                None,
                &PageRequest::first(100),
            )
            .await
            .unwrap()
            .items
            .len()
    };
    let blocks = selfcare::domain::usage::blocks::Block::all_of(
        platform.table.as_ref(),
        &f.tenant.id,
        &f.landline,
        period,
    )
    .await
    .unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(
        shown().await,
        0,
        "a file still loading shows none of its records"
    );

    // Staff retry it once it has stalled: the stopped load's blocks are void, the new
    // load's are shown, each record once.
    f.w.clock.advance(time::Duration::minutes(21));
    let id = selfcare::domain::usage::ingest::ingest_id(&key);
    let retried = platform.ingest().retry(&f.tenant.id, &id).await.unwrap();
    assert!(matches!(
        retried,
        Some(selfcare::domain::usage::ingest::Retry::Retried(_))
    ));
    let loaded = f.w.deliver_usage_files().await;
    assert_eq!(loaded.len(), 1);
    assert_eq!((loaded[0].accepted, loaded[0].rejected), (12, 0));
    assert_eq!(shown().await, 12);
}

#[tokio::test]
async fn a_chunk_redone_differently_counts_only_its_last_attempt() {
    let f = fixture().await;
    let platform = &f.w.platform;
    // 20:00 UTC on 31 October is 1 November in Sydney; +61255501236 is not a service yet.
    let key = drop_file(
        &f,
        "edge.csv",
        "record_id,service,type,started_at,destination,quantity\r\n\
         e1,+61255501234,call,2036-10-31T20:00:00Z,61255509999,60\r\n\
         e2,+61255501236,call,2036-10-31T20:00:00Z,61255509999,60\r\n\
         e3,+61255501234,call,2036-11-05T09:00:00Z,61255509999,60\r\n",
    )
    .await;
    f.w.take_blob_events().await;
    // The first attempt (the provider's clock in UTC) writes its chunk, e1 in October and
    // e2 refused, then stops before its checkpoint.
    let crashing = Arc::new(CrashOnUpdate {
        inner: platform.table.clone(),
        updates: AtomicUsize::new(0),
        crash_at: 1,
    });
    let stopping = Ingest::new(
        crashing,
        platform.ingest.clone(),
        platform.exports.clone(),
        platform.clock.clone(),
        platform.cursors.clone(),
        platform.sender.clone(),
    );
    assert!(stopping.run(&key).await.is_err());
    let october = Period::parse("2036-10").unwrap();
    let november = Period::parse("2036-11").unwrap();
    let blocks = |period| {
        selfcare::domain::usage::blocks::Block::all_of(
            platform.table.as_ref(),
            &f.tenant.id,
            &f.landline,
            period,
        )
    };
    assert_eq!(
        blocks(october).await.unwrap().len(),
        1,
        "the stopped attempt's"
    );

    // Before the file is delivered again the provider moves to Sydney's time and adds the
    // service: the chunk is rated differently the second time.
    let settings_service = platform.settings();
    let mut settings = settings_service.get(&f.tenant.id).await.unwrap();
    settings.time_zone = "Australia/Sydney".into();
    settings_service
        .set(&f.tenant.id, settings, &Stamp::none())
        .await
        .unwrap();
    platform
        .services()
        .create(
            &f.tenant.id,
            &f.account,
            selfcare::domain::services::NewService {
                plan: f.plan,
                identifier: "+61255501236".into(),
                status: selfcare::domain::services::ServiceStatus::Active,
                started_at: None,
                attributes: Default::default(),
            },
            &Stamp::none(),
        )
        .await
        .unwrap();
    let done = platform.ingest().run(&key).await.unwrap();
    assert_eq!(
        (done.status, done.accepted, done.rejected),
        (IngestStatus::Completed, 3, 0)
    );
    // No rejects file: the stopped attempt's refusal of e2 is not the load's.
    assert_eq!(done.rejects_file, None);
    let page = |period| async move {
        platform
            .usage_records()
            .page(
                &f.tenant.id,
                &f.landline,
                period,
                None,
                &PageRequest::first(10),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.record_id)
            .collect::<Vec<_>>()
    };
    // The October block the stopped attempt left is still there, and never read.
    assert_eq!(blocks(october).await.unwrap().len(), 1);
    assert!(page(october).await.is_empty());
    assert_eq!(page(november).await, ["e3", "e1"]);

    // A later file sending e1 again is refused as loaded before, from this file; e1's
    // stale October copy does not make it "other details".
    let again = drop_file(
        &f,
        "again.csv",
        "record_id,service,type,started_at,destination,quantity\r\n\
         e1,+61255501234,call,2036-10-31T20:00:00Z,61255509999,60\r\n",
    )
    .await;
    f.w.take_blob_events().await;
    let refused = platform.ingest().run(&again).await.unwrap();
    assert_eq!((refused.accepted, refused.rejected), (0, 1));
    assert!(
        rejects_of(&f, &refused)
            .await
            .contains("was loaded before, from edge.csv"),
        "{}",
        rejects_of(&f, &refused).await
    );
}
