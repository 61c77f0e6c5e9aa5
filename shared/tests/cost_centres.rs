//! Cost centres: an end user names them, puts services under them, and reads the month's
//! spend by cost centre; retries never make two; other accounts reach none of it.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::usage_fixture::*;
use crate::common::*;

#[tokio::test]
async fn an_end_user_totals_its_month_by_cost_centre_and_reaches_no_one_elses() {
    let f = fixture().await;
    let key = drop_file(&f, "nov-1.csv", FILE).await;
    selfcare::events::on_usage_file(&f.w.platform, key.as_str())
        .await
        .unwrap();
    let Cast {
        sam,
        kim,
        boss,
        rival,
        nora,
        ..
    } = cast(&f).await;

    let created =
        f.w.call(
            "POST",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"name": "Sales", "code": "4100"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let sales = created.body["id"].as_str().unwrap().to_owned();
    // The same name again (a retry, or another case) is the same cost centre.
    let again =
        f.w.call(
            "POST",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"name": "  sales "})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], sales.as_str());
    let blank =
        f.w.call(
            "POST",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"name": " "})),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    f.w.call(
        "POST",
        "/v1/portal/cost-centres",
        "acme",
        Auth::Bearer(&sam),
        Some(json!({"name": "Warehouse"})),
    )
    .await;

    let landline = f.landline.to_string();
    let assigned =
        f.w.call(
            "PUT",
            &format!("/v1/portal/services/{landline}/cost-centre"),
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"cost_centre": sales})),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text);
    assert_eq!(assigned.body["cost_centre"], sales.as_str());

    let usage =
        f.w.call(
            "GET",
            "/v1/portal/cost-centres/usage?period=2036-11",
            "acme",
            Auth::Bearer(&sam),
            None,
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

    // Taken out again, the landline counts under none.
    let out =
        f.w.call(
            "PUT",
            &format!("/v1/portal/services/{landline}/cost-centre"),
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"cost_centre": null})),
        )
        .await;
    assert_eq!(out.body["cost_centre"], serde_json::Value::Null);
    f.w.call(
        "PUT",
        &format!("/v1/portal/services/{landline}/cost-centre"),
        "acme",
        Auth::Bearer(&sam),
        Some(json!({"cost_centre": sales})),
    )
    .await;

    // A read-only login reads but may not change.
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
        f.w.call(
            "GET",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&reader),
            None,
        )
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2, "{}", listed.text);
    let refused =
        f.w.call(
            "POST",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&reader),
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Another account: its own (empty) list, Sam's service not found, Sam's cost centre
    // unknown to its services; another tenant's staff find nothing.
    let kims =
        f.w.call(
            "GET",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&kim),
            None,
        )
        .await;
    assert_eq!(kims.body, json!([]));
    let crossed =
        f.w.call(
            "PUT",
            &format!("/v1/portal/services/{landline}/cost-centre"),
            "acme",
            Auth::Bearer(&kim),
            Some(json!({"cost_centre": null})),
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    let kim_centre =
        f.w.call(
            "POST",
            "/v1/portal/cost-centres",
            "acme",
            Auth::Bearer(&kim),
            Some(json!({"name": "Kim's"})),
        )
        .await;
    let theirs =
        f.w.call(
            "PUT",
            &format!("/v1/portal/services/{landline}/cost-centre"),
            "acme",
            Auth::Bearer(&sam),
            Some(json!({"cost_centre": kim_centre.body["id"]})),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        theirs.body["errors"][0]["field"], "/cost_centre",
        "{}",
        theirs.text
    );

    let console = format!(
        "/v1/console/accounts/{}/cost-centres/usage?period=2036-11",
        f.account
    );
    let seen =
        f.w.call("GET", &console, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(seen.body[0]["total_charge"], "0.08", "{}", seen.text);
    for path in [
        console.clone(),
        format!("/v1/console/accounts/{}/cost-centres", f.account),
    ] {
        let reply =
            f.w.call("GET", &path, "bluewave", Auth::Bearer(&rival), None)
                .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        // Staff limited to an account group Sam's account is not in.
        let outside =
            f.w.call("GET", &path, "acme", Auth::Bearer(&nora), None)
                .await;
        assert_eq!(outside.status, StatusCode::NOT_FOUND, "{path}");
    }
}
