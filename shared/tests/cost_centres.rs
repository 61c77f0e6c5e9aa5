//! Cost centres: an end user names them, puts services under them, and reads the month's
//! spend by cost centre; retries never make two; other accounts reach none of it.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::usage_fixture::*;
use crate::common::*;

async fn add(f: &Fixture, token: &str, body: serde_json::Value) -> Reply {
    f.w.call(
        "POST",
        "/v1/portal/cost-centres",
        "acme",
        Auth::Bearer(token),
        Some(body),
    )
    .await
}

/// Puts the landline under `cost_centre` (or none), as `token`.
async fn put_landline(f: &Fixture, token: &str, cost_centre: serde_json::Value) -> Reply {
    f.w.call(
        "PUT",
        &format!("/v1/portal/services/{}/cost-centre", f.landline),
        "acme",
        Auth::Bearer(token),
        Some(json!({ "cost_centre": cost_centre })),
    )
    .await
}

/// Sam's account with the cost centres Sales (the landline under it) and Warehouse (empty):
/// the fixture, the cast and Sales's id.
async fn sales_and_warehouse() -> (Fixture, Cast, String) {
    let (f, cast) = loaded().await;
    let created = add(&f, &cast.sam, json!({"name": "Sales", "code": "4100"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let sales = created.body["id"].as_str().unwrap().to_owned();
    add(&f, &cast.sam, json!({"name": "Warehouse"})).await;
    let assigned = put_landline(&f, &cast.sam, json!(sales)).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text);
    assert_eq!(assigned.body["cost_centre"], sales.as_str());
    (f, cast, sales)
}

#[tokio::test]
async fn a_name_given_again_is_the_same_cost_centre_and_a_blank_one_is_refused() {
    let (f, Cast { sam, .. }) = loaded().await;
    let created = add(&f, &sam, json!({"name": "Sales", "code": "4100"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    // The same name again (a retry, or another case) is the same cost centre.
    let again = add(&f, &sam, json!({"name": "  sales "})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], created.body["id"]);
    let blank = add(&f, &sam, json!({"name": " "})).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_months_spend_totals_by_cost_centre_and_the_rest_under_none() {
    let (f, Cast { sam, .. }, _) = sales_and_warehouse().await;
    let usage =
        f.w.get(
            "/v1/portal/cost-centres/usage?period=2036-11",
            "acme",
            Auth::Bearer(&sam),
        )
        .await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.text);
    let rows = usage.body.as_array().unwrap();
    let summary: Vec<(String, String, usize)> = rows
        .iter()
        .map(|r| {
            (
                r["cost_centre"]["name"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_owned(),
                r["total_charge"].as_str().unwrap().to_owned(),
                r["services"].as_array().unwrap().len(),
            )
        })
        .collect();
    // The account's 0.23: the landline's 0.08 under Sales, the spare's 0.15 under none.
    assert_eq!(
        summary,
        [
            ("Sales".to_owned(), "0.08".to_owned(), 1),
            ("Warehouse".to_owned(), "0.00".to_owned(), 0),
            ("(none)".to_owned(), "0.15".to_owned(), 1),
        ]
    );
    assert_eq!(rows[0]["by_type"]["call"]["count"], 4);
}

#[tokio::test]
async fn a_service_taken_out_of_its_cost_centre_is_under_none() {
    let (f, Cast { sam, .. }, _) = sales_and_warehouse().await;
    let out = put_landline(&f, &sam, json!(null)).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    assert_eq!(out.body["cost_centre"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_read_only_login_reads_cost_centres_but_may_not_add_one() {
    let (f, Cast { sam, .. }, _) = sales_and_warehouse().await;
    let added =
        f.w.call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"email": "ro@example.com", "name": "Read Only", "role": "read_only"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::ACCEPTED, "{}", added.text);
    let link = f.w.link_token("ro@example.com", "credential-create").await;
    f.w.call(
        "POST",
        "/v1/auth/credentials",
        "acme",
        Auth::None,
        Some(json!({"token": link, "username": "reader", "password": "reads but never writes"})),
    )
    .await;
    let reader = f.w.token("acme", "reader", "reads but never writes").await;
    let listed =
        f.w.get("/v1/portal/cost-centres", "acme", Auth::Bearer(&reader))
            .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2, "{}", listed.text);
    let refused = add(&f, &reader, json!({"name": "Mine"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_account_has_its_own_list_and_reaches_neither_the_service_nor_the_cost_centres() {
    let (f, Cast { sam, kim, .. }, _) = sales_and_warehouse().await;
    let kims =
        f.w.get("/v1/portal/cost-centres", "acme", Auth::Bearer(&kim))
            .await;
    assert_eq!(kims.body, json!([]));
    let crossed = put_landline(&f, &kim, json!(null)).await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    // Kim's cost centre is unknown to Sam's services.
    let kim_centre = add(&f, &kim, json!({"name": "Kim's"})).await;
    let theirs = put_landline(&f, &sam, kim_centre.body["id"].clone()).await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        theirs.body["errors"][0]["field"], "/cost_centre",
        "{}",
        theirs.text
    );
}

#[tokio::test]
async fn the_providers_staff_read_the_totals_and_no_other_provider_or_group_does() {
    let (
        f,
        Cast {
            boss, rival, nora, ..
        },
        _,
    ) = sales_and_warehouse().await;
    let console = format!(
        "/v1/console/accounts/{}/cost-centres/usage?period=2036-11",
        f.account
    );
    let seen = f.w.get(&console, "acme", Auth::Bearer(&boss)).await;
    assert_eq!(seen.body[0]["total_charge"], "0.08", "{}", seen.text);
    for path in [
        console.clone(),
        format!("/v1/console/accounts/{}/cost-centres", f.account),
    ] {
        let reply = f.w.get(&path, "bluewave", Auth::Bearer(&rival)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        // Staff limited to an account group Sam's account is not in.
        let outside = f.w.get(&path, "acme", Auth::Bearer(&nora)).await;
        assert_eq!(outside.status, StatusCode::NOT_FOUND, "{path}");
    }
}
