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
