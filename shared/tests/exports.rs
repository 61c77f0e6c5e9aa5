//! Usage exports: the CSV a customer downloads holds exactly the records it can page
//! through, its link expires, large exports run as jobs through the stream, retries with an
//! idempotency key answer the same export, and nobody reaches another account's export.

use axum::http::StatusCode;
use selfcare::domain::usage::Period;
use selfcare::domain::usage::export::{ExportScope, ExportStatus, UsageExports};
use serde_json::{Value as Json, json};

use crate::common::usage_fixture::*;
use crate::common::*;

/// The path of a presigned URL of the local runtime (the test calls the router directly).
fn local_path(url: &str) -> &str {
    url.strip_prefix("http://127.0.0.1:3000")
        .expect("a local runtime URL")
}

async fn loaded() -> (Fixture, Cast) {
    let f = fixture().await;
    let key = drop_file(&f, "nov-1.csv", FILE).await;
    selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap();
    let cast = cast(&f).await;
    (f, cast)
}

/// Every record the portal pages through for the account's services, as CSV cells would
/// show them: (record_id, service identifier, type, started_at, destination, quantity,
/// billable, covered, charge, currency).
async fn records_as_the_portal_shows(f: &Fixture, token: &str) -> Vec<Vec<String>> {
    let services =
        f.w.call(
            "GET",
            "/v1/portal/services",
            "acme",
            Auth::Bearer(token),
            None,
        )
        .await;
    let mut rows = Vec::new();
    for service in services.body.as_array().unwrap() {
        let id = service["id"].as_str().unwrap();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/portal/services/{id}/usage/records?period=2036-11&limit=2");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page =
                f.w.call("GET", &path, "acme", Auth::Bearer(token), None)
                    .await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            for r in page.body["items"].as_array().unwrap() {
                let text = |name: &str| match &r[name] {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                rows.push(vec![
                    text("record_id"),
                    service["identifier"].as_str().unwrap().to_owned(),
                    text("usage"),
                    text("started_at"),
                    text("destination"),
                    text("quantity"),
                    text("billable"),
                    text("covered"),
                    text("charge"),
                    text("currency"),
                ]);
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
    }
    rows.sort();
    rows
}

/// The downloaded CSV's rows in the same shape, with the formula guard taken off.
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let unguard = |s: &str| s.strip_prefix('\'').unwrap_or(s).to_owned();
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            vec![
                unguard(&r[0]),
                unguard(&r[2]),
                r[3].to_owned(),
                r[4].to_owned(),
                unguard(&r[5]),
                r[6].to_owned(),
                r[8].to_owned(),
                r[9].to_owned(),
                r[10].to_owned(),
                r[11].to_owned(),
            ]
        })
        .collect();
    rows.sort();
    (header, rows)
}

#[tokio::test]
async fn the_downloaded_csv_holds_exactly_the_records_and_its_link_expires() {
    let (f, c) = loaded().await;
    let sam = c.sam.clone();
    let export =
        f.w.call(
            "POST",
            "/v1/portal/usage/exports",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"period": "2036-11"})),
        )
        .await;
    assert_eq!(export.status, StatusCode::CREATED, "{}", export.text);
    assert_eq!(export.body["status"], "completed");
    assert_eq!(export.body["rows"], 7);
    let url = export.body["download_url"].as_str().unwrap().to_owned();

    let download =
        f.w.call("GET", local_path(&url), "acme", Auth::None, None)
            .await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.text);
    // Saved under a name that says what it holds.
    let saved_as = download.headers["content-disposition"].to_str().unwrap();
    assert!(saved_as.contains("usage-2036-11-account.csv"), "{saved_as}");
    assert!(
        download.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    // RFC 4180: CRLF line ends, a header row.
    assert!(download.text.starts_with(
        "record_id,service_id,service,type,started_at,destination,quantity,unit,billable,covered,charge,currency\r\n"
    ));
    assert_eq!(download.text.matches("\r\n").count(), 8);
    // A phone number is a number to a spreadsheet: written as it is, with no apostrophe.
    assert!(
        download.text.contains(",+61255501234,call,"),
        "{}",
        download.text
    );
    let (header, rows) = csv_rows(&download.text);
    assert_eq!(header.len(), 12);
    assert_eq!(rows, records_as_the_portal_shows(&f, &sam).await);

    // One service only.
    let one =
        f.w.call(
            "POST",
            "/v1/portal/usage/exports",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"period": "2036-11", "service": f.landline.to_string()})),
        )
        .await;
    assert_eq!(one.body["rows"], 5, "{}", one.text);

    // Fifteen minutes on, the link no longer works; the export hands out a fresh one.
    f.w.clock.advance(time::Duration::minutes(16));
    let late =
        f.w.call("GET", local_path(&url), "acme", Auth::None, None)
            .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert_eq!(late.body["type"], "/problems/link-expired-or-invalid");
    let again =
        f.w.call(
            "GET",
            &format!(
                "/v1/portal/usage/exports/{}",
                export.body["id"].as_str().unwrap()
            ),
            "acme",
            Auth::Bearer(&sam),
            None,
        )
        .await;
    let fresh = again.body["download_url"].as_str().unwrap();
    assert_ne!(fresh, url);
    let redownload =
        f.w.call("GET", local_path(fresh), "acme", Auth::None, None)
            .await;
    assert_eq!(redownload.text, download.text);
    // A link whose signature was tampered with does not work either.
    let tampered = fresh.replace("signature=", "signature=00");
    let refused =
        f.w.call("GET", local_path(&tampered), "acme", Auth::None, None)
            .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_large_export_runs_as_a_job_through_the_stream() {
    let (f, c) = loaded().await;
    let sam = c.sam.clone();
    // Two records count as large here, so the job path runs on this small file.
    let exports = UsageExports::new(
        f.w.platform.table.clone(),
        f.w.platform.exports.clone(),
        f.w.platform.clock.clone(),
        f.w.platform.cursors.clone(),
    )
    .with_at_once_limit(2);
    let period = Period::parse("2036-11").unwrap();
    let job = exports
        .request(&f.tenant.id, &f.account, ExportScope::Account, period, None)
        .await
        .unwrap();
    assert_eq!(job.status, ExportStatus::Queued);
    let path = format!("/v1/portal/usage/exports/{}", job.id);
    let waiting =
        f.w.call("GET", &path, "acme", Auth::Bearer(&sam), None)
            .await;
    assert_eq!(waiting.body["status"], "queued", "{}", waiting.text);
    assert_eq!(waiting.body["download_url"], Json::Null);

    f.w.deliver_changes("exports").await;
    let done =
        f.w.call("GET", &path, "acme", Auth::Bearer(&sam), None)
            .await;
    assert_eq!(done.body["status"], "completed", "{}", done.text);
    assert_eq!(done.body["rows"], 7);
    let download =
        f.w.call(
            "GET",
            local_path(done.body["download_url"].as_str().unwrap()),
            "acme",
            Auth::None,
            None,
        )
        .await;
    let (_, rows) = csv_rows(&download.text);
    assert_eq!(rows, records_as_the_portal_shows(&f, &sam).await);

    // The stream delivering the job again changes nothing.
    let again = exports
        .run(&f.tenant.id, &f.account, &job.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(again.status, ExportStatus::Completed);
    assert_eq!(again.finished_at, Some(done_time(&done.body)));

    // A job nobody ran shows as failed once past its deadline.
    let stuck = exports
        .request(&f.tenant.id, &f.account, ExportScope::Account, period, None)
        .await
        .unwrap();
    f.w.clock.advance(time::Duration::minutes(31));
    // (The session went idle meanwhile.)
    let sam = f.w.token("acme", "sam", "sam's long password").await;
    let failed =
        f.w.call(
            "GET",
            &format!("/v1/portal/usage/exports/{}", stuck.id),
            "acme",
            Auth::Bearer(&sam),
            None,
        )
        .await;
    assert_eq!(failed.body["status"], "failed");
    assert!(
        failed.body["error"]
            .as_str()
            .unwrap()
            .contains("start another")
    );
}

fn done_time(body: &Json) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        body["finished_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

#[tokio::test]
async fn a_retried_export_with_its_idempotency_key_answers_the_same_export() {
    let (f, c) = loaded().await;
    let sam = c.sam.clone();
    let post = |body: Json, key: &'static str| {
        let w = &f.w;
        let sam = sam.clone();
        async move {
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/v1/portal/usage/exports")
                .header("x-selfcare-tenant", "acme")
                .header("authorization", format!("Bearer {sam}"))
                .header("idempotency-key", key)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let response = w.app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Json>(&bytes).unwrap())
        }
    };
    let (first_status, first) = post(json!({"period": "2036-11"}), "export-key-0001").await;
    assert_eq!(first_status, StatusCode::CREATED);
    f.w.clock.advance(time::Duration::seconds(5));
    let (_, second) = post(json!({"period": "2036-11"}), "export-key-0001").await;
    assert_eq!(second["id"], first["id"]);
    let (reused_status, reused) = post(json!({"period": "2036-10"}), "export-key-0001").await;
    assert_eq!(reused_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused["type"], "/problems/idempotency-key-reused");
    let (future_status, _) = post(json!({"period": "2037-01"}), "export-key-0002").await;
    assert_eq!(future_status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn nobody_reaches_another_accounts_exports() {
    let (f, c) = loaded().await;
    let Cast {
        sam,
        kim,
        kim_account,
        lee,
        boss,
        rival,
        nora,
        ..
    } = c;
    let export =
        f.w.call(
            "POST",
            "/v1/portal/usage/exports",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"period": "2036-11"})),
        )
        .await;
    let id = export.body["id"].as_str().unwrap().to_owned();
    let own = format!("/v1/portal/usage/exports/{id}");
    for (tenant, token) in [("acme", &kim), ("bluewave", &lee)] {
        let reply =
            f.w.call("GET", &own, tenant, Auth::Bearer(token), None)
                .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{tenant}");
        // Nor can they export Sam's service under their own account.
        let theirs =
            f.w.call(
                "POST",
                "/v1/portal/usage/exports",
                tenant,
                Auth::Bearer(token),
                Some(json!({"period": "2036-11", "service": f.landline.to_string()})),
            )
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{tenant}");
    }
    // Kim's own account export holds none of Sam's records.
    let kims =
        f.w.call(
            "POST",
            "/v1/portal/usage/exports",
            "acme",
            Auth::Bearer(&kim),
            Some(json!({"period": "2036-11"})),
        )
        .await;
    assert_eq!(kims.body["rows"], 0, "{}", kims.text);

    // Staff of the tenant see and make the account's exports; another tenant's staff, or
    // the export under another account's path, not.
    let console = format!("/v1/console/accounts/{}/usage/exports", f.account);
    let seen =
        f.w.call(
            "GET",
            &format!("{console}/{id}"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(seen.body["rows"], 7, "{}", seen.text);
    let made =
        f.w.call(
            "POST",
            &console,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"period": "2036-11"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let rivals =
        f.w.call(
            "GET",
            &format!("{console}/{id}"),
            "bluewave",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(rivals.status, StatusCode::NOT_FOUND);
    let rival_post =
        f.w.call(
            "POST",
            &console,
            "bluewave",
            Auth::Bearer(&rival),
            Some(json!({})),
        )
        .await;
    assert_eq!(rival_post.status, StatusCode::NOT_FOUND);
    let crossed =
        f.w.call(
            "GET",
            &format!("/v1/console/accounts/{kim_account}/usage/exports/{id}"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    // Staff limited to an account group Sam's account is not in: not found either.
    let outside =
        f.w.call(
            "GET",
            &format!("{console}/{id}"),
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let outside_post =
        f.w.call(
            "POST",
            &console,
            "acme",
            Auth::Bearer(&nora),
            Some(json!({})),
        )
        .await;
    assert_eq!(outside_post.status, StatusCode::NOT_FOUND);
}
