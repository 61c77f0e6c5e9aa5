//! Usage alerts: an end user's thresholds on spend and quantity, a provider's default per
//! plan; reaching one mails the account once a month, however often usage is loaded.

use axum::http::StatusCode;
use selfcare::ports::blobs::BlobKey;
use serde_json::json;

use crate::common::usage_fixture::*;
use crate::common::*;

/// Another day's calls for both services, in the same month.
const MORE: &str = "record_id,service,type,started_at,destination,quantity\r
d1,+61255501234,call,2036-11-06T09:00:00Z,61255509999,600\r
d2,+61255501235,call,2036-11-06T10:00:00Z,61255508888,600\r
";

async fn load(f: &Fixture, name: &str, body: &str) {
    let key: BlobKey = drop_file(f, name, body).await;
    selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap();
}

#[tokio::test]
async fn reaching_an_alert_mails_the_account_once_a_month() {
    let f = fixture().await;
    let Cast { sam, boss, .. } = cast(&f).await;
    let landline = f.landline.to_string();

    let set = |body: serde_json::Value| {
        f.w.call(
            "POST",
            "/v1/portal/usage/alerts",
            "acme",
            Auth::Bearer(&sam),
            Some(body),
        )
    };
    // The whole account's spend past 0.20; the landline's calls past 4 minutes.
    let account_alert = set(json!({"measure": "spend", "threshold": 20})).await;
    assert_eq!(
        account_alert.status,
        StatusCode::CREATED,
        "{}",
        account_alert.text
    );
    let calls_alert =
        set(json!({"service": landline, "measure": "quantity", "usage": "call", "threshold": 240}))
            .await;
    assert_eq!(
        calls_alert.status,
        StatusCode::CREATED,
        "{}",
        calls_alert.text
    );
    // The same alert again is the one there.
    let again = set(json!({"measure": "spend", "threshold": 20})).await;
    assert_eq!(again.body["id"], account_alert.body["id"]);
    for bad in [
        json!({"measure": "spend", "usage": "call", "threshold": 20}),
        json!({"measure": "quantity", "threshold": 20}),
        json!({"measure": "spend", "threshold": 0}),
    ] {
        let refused = set(bad.clone()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let unknown = set(json!({"measure": "bananas", "threshold": 5})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let listed =
        f.w.call(
            "GET",
            "/v1/portal/usage/alerts",
            "acme",
            Auth::Bearer(&sam),
            None,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);

    // The provider's default for the plan: each service's spend past 0.10.
    let plans =
        f.w.call(
            "GET",
            "/v1/console/plans",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    let plan = plans.body["items"][0]["id"].as_str().unwrap().to_owned();
    let default =
        f.w.call(
            "POST",
            &format!("/v1/console/plans/{plan}/alerts"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"measure": "spend", "threshold": 10})),
        )
        .await;
    assert_eq!(default.status, StatusCode::CREATED, "{}", default.text);

    // The file: account 0.23 (past 0.20), landline calls 266 s (past 240), landline spend
    // 0.08 (under the default), the spare's 0.15 (past it).
    load(&f, "nov-1.csv", FILE).await;
    let mail = f.w.mail("sam@example.com", "usage-alert").await;
    assert_eq!(mail.len(), 3, "{mail:#?}");
    let all = mail.join("\n---\n");
    assert!(all.contains("spend on your account"), "{all}");
    assert!(all.contains("0.23 so far, against the 0.20"), "{all}");
    assert!(all.contains("calls on +61 2 5550 1234"), "{all}");
    assert!(all.contains("5 min so far, against the 4 min"), "{all}");
    assert!(all.contains("spend on +61 2 5550 1235"), "{all}");
    assert!(!all.contains("spend on +61 2 5550 1234"), "{all}");

    // More usage the same month: every alert is past, none is sent again; the landline's
    // spend now passes the plan's default for the first time.
    f.w.clock.advance(time::Duration::minutes(1));
    load(&f, "nov-2.csv", MORE).await;
    let mail = f.w.mail("sam@example.com", "usage-alert").await;
    assert_eq!(mail.len(), 4, "{mail:#?}");
    assert!(mail.join("\n").contains("spend on +61 2 5550 1234"));

    // A removed alert is gone; removing it again is not found.
    let id = calls_alert.body["id"].as_str().unwrap();
    let path = format!("/v1/portal/usage/alerts/{id}");
    let removed =
        f.w.call("DELETE", &path, "acme", Auth::Bearer(&sam), None)
            .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let twice =
        f.w.call("DELETE", &path, "acme", Auth::Bearer(&sam), None)
            .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn alerts_are_the_accounts_own_and_plans_the_providers_own() {
    let f = fixture().await;
    let Cast {
        sam,
        kim,
        boss,
        rival,
        ..
    } = cast(&f).await;
    let sams =
        f.w.call(
            "POST",
            "/v1/portal/usage/alerts",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"measure": "spend", "threshold": 20})),
        )
        .await;
    let id = sams.body["id"].as_str().unwrap().to_owned();
    // Kim: not Sam's alert, not Sam's service.
    let deleted =
        f.w.call(
            "DELETE",
            &format!("/v1/portal/usage/alerts/{id}"),
            "acme",
            Auth::Bearer(&kim),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NOT_FOUND);
    let on_sams_service =
        f.w.call(
            "POST",
            "/v1/portal/usage/alerts",
            "acme",
            Auth::Bearer(&kim),
            Some(json!({"service": f.landline.to_string(), "measure": "spend", "threshold": 5})),
        )
        .await;
    assert_eq!(on_sams_service.status, StatusCode::NOT_FOUND);
    let kims =
        f.w.call(
            "GET",
            "/v1/portal/usage/alerts",
            "acme",
            Auth::Bearer(&kim),
            None,
        )
        .await;
    assert_eq!(kims.body, json!([]));
    let still =
        f.w.call(
            "GET",
            "/v1/portal/usage/alerts",
            "acme",
            Auth::Bearer(&sam),
            None,
        )
        .await;
    assert_eq!(still.body.as_array().unwrap().len(), 1);

    // Another provider's staff cannot read or add alerts on this provider's plan.
    let plans =
        f.w.call(
            "GET",
            "/v1/console/plans",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    let plan = plans.body["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/console/plans/{plan}/alerts");
    let read =
        f.w.call("GET", &path, "bluewave", Auth::Bearer(&rival), None)
            .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let added =
        f.w.call(
            "POST",
            &path,
            "bluewave",
            Auth::Bearer(&rival),
            Some(json!({"measure": "spend", "threshold": 1})),
        )
        .await;
    assert_eq!(added.status, StatusCode::NOT_FOUND);
    let default =
        f.w.call(
            "POST",
            &path,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"measure": "spend", "threshold": 1000})),
        )
        .await;
    let removed =
        f.w.call(
            "DELETE",
            &format!("{path}/{}", default.body["id"].as_str().unwrap()),
            "bluewave",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NOT_FOUND);
    let own =
        f.w.call("GET", &path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(own.body.as_array().unwrap().len(), 1);
}
