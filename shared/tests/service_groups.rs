//! Service groups: a provider groups services across its accounts; a retry never makes two
//! groups; staff limited to account groups and other tenants reach none of it.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::usage_fixture::*;
use crate::common::*;

#[tokio::test]
async fn a_provider_groups_services_across_accounts_and_nobody_else_sees_them() {
    let f = fixture().await;
    let Cast {
        kim_account,
        boss,
        rival,
        nora,
        ..
    } = cast(&f).await;

    let made =
        f.w.call(
            "POST",
            "/v1/console/service-groups",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"name": "Sydney 911", "kind": "e911"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let group = made.body["id"].as_str().unwrap().to_owned();
    let again =
        f.w.call(
            "POST",
            "/v1/console/service-groups",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"name": "sydney  911", "kind": "e911"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], group.as_str());
    let bad =
        f.w.call(
            "POST",
            "/v1/console/service-groups",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"name": "x", "kind": "Not A Kind"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let member_path = format!(
        "/v1/console/accounts/{}/services/{}/groups/{group}",
        f.account, f.landline
    );
    let added =
        f.w.call("PUT", &member_path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(added.body["identifier"], LANDLINE);
    // Adding again is the same membership.
    let twice =
        f.w.call("PUT", &member_path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(twice.body["added_at"], added.body["added_at"]);
    let members_path = format!("/v1/console/service-groups/{group}/members");
    let members =
        f.w.call("GET", &members_path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(members.body["items"].as_array().unwrap().len(), 1);
    let groups =
        f.w.call(
            "GET",
            "/v1/console/service-groups",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(groups.body["items"][0]["name"], "Sydney 911");

    // Another tenant's staff: not the group, not the account, not the list.
    for (method, path) in [
        ("GET", members_path.clone()),
        ("PUT", member_path.clone()),
        ("DELETE", member_path.clone()),
    ] {
        let reply =
            f.w.call(method, &path, "bluewave", Auth::Bearer(&rival), None)
                .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let theirs =
        f.w.call(
            "GET",
            "/v1/console/service-groups",
            "bluewave",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(theirs.body["items"], json!([]));

    // A service of another account of the tenant, named under this account: not found.
    let crossed =
        f.w.call(
            "PUT",
            &format!(
                "/v1/console/accounts/{kim_account}/services/{}/groups/{group}",
                f.landline
            ),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    let removed_elsewhere =
        f.w.call(
            "DELETE",
            &format!(
                "/v1/console/accounts/{kim_account}/services/{}/groups/{group}",
                f.landline
            ),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(removed_elsewhere.status, StatusCode::NOT_FOUND);

    // Staff limited to an account group cannot see groups that span accounts, nor touch
    // the membership of a service of an account outside their groups.
    for (method, path, expected) in [
        (
            "GET",
            "/v1/console/service-groups".to_owned(),
            StatusCode::FORBIDDEN,
        ),
        ("GET", members_path.clone(), StatusCode::FORBIDDEN),
        ("PUT", member_path.clone(), StatusCode::NOT_FOUND),
    ] {
        let reply =
            f.w.call(method, &path, "acme", Auth::Bearer(&nora), None)
                .await;
        assert_eq!(reply.status, expected, "{method} {path}");
    }

    let removed =
        f.w.call("DELETE", &member_path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let empty =
        f.w.call("GET", &members_path, "acme", Auth::Bearer(&boss), None)
            .await;
    assert_eq!(empty.body["items"], json!([]));
}

/// The actions of staff on services, groups and plan alerts are on the trail once each,
/// written with the change: a repeat that changes nothing leaves none.
#[tokio::test]
async fn staff_changes_to_services_groups_and_plan_alerts_are_on_the_trail_once_each() {
    let f = fixture().await;
    let Cast { boss, .. } = cast(&f).await;
    let call = |method: &'static str, path: String, body: Option<serde_json::Value>| {
        let (w, boss) = (&f.w, boss.clone());
        async move {
            w.clock.advance(time::Duration::seconds(1));
            w.call(method, &path, "acme", Auth::Bearer(&boss), body)
                .await
        }
    };
    let trail = || async {
        let reply = call("GET", "/v1/console/audit?limit=100".into(), None).await;
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before = trail().await.len();
    let made = call(
        "POST",
        "/v1/console/service-groups".into(),
        Some(json!({"name": "Depots", "kind": "site"})),
    )
    .await;
    let group = made.body["id"].as_str().unwrap().to_owned();
    call(
        "POST",
        "/v1/console/service-groups".into(),
        Some(json!({"name": "depots", "kind": "site"})),
    )
    .await;
    let member = format!(
        "/v1/console/accounts/{}/services/{}/groups/{group}",
        f.account, f.landline
    );
    call("PUT", member.clone(), None).await;
    call("PUT", member.clone(), None).await;
    assert_eq!(
        call("DELETE", member.clone(), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call("DELETE", member, None).await.status,
        StatusCode::NOT_FOUND
    );
    let service = call(
        "POST",
        format!("/v1/console/accounts/{}/services", f.account),
        Some(json!({"plan": f.plan.to_string(), "identifier": "+61 2 5550 4444"})),
    )
    .await;
    assert_eq!(service.status, StatusCode::CREATED, "{}", service.text);
    let alert = call(
        "POST",
        format!("/v1/console/plans/{}/alerts", f.plan),
        Some(json!({"measure": "spend", "threshold": 5000})),
    )
    .await;
    assert_eq!(alert.status, StatusCode::CREATED, "{}", alert.text);
    let removed = call(
        "DELETE",
        format!(
            "/v1/console/plans/{}/alerts/{}",
            f.plan,
            alert.body["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let after = trail().await;
    assert_eq!(
        after[..after.len() - before],
        [
            "catalogue.plan_alert_removed",
            "catalogue.plan_alert_added",
            "service.created",
            "service_group.service_removed",
            "service_group.service_added",
            "service_group.created",
        ]
    );
}
