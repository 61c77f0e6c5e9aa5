//! Identity and access through the HTTP API, as a portal site, the console and an API
//! client would use it, one module a part of it.

use axum::http::StatusCode;

use crate::common::*;

mod accounts;
mod credentials;
mod impersonation;
mod isolation;
mod lockout;
mod logins;
mod providers;
mod sessions;
mod staff;

/// Finds a staff member's login id in the console's staff list.
pub(super) async fn staff_id(w: &World, token: &str, username: &str) -> String {
    let staff = w
        .call(
            "GET",
            "/v1/console/staff?limit=100",
            "acme",
            Auth::Bearer(token),
            None,
        )
        .await;
    staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["username"] == username)
        .unwrap_or_else(|| panic!("{username} in {}", staff.text))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The id of an account's owner login, from the console's portal-access panel.
pub(super) async fn owner_login(w: &World, staff: &str, account: &str) -> String {
    let panel = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(staff),
            None,
        )
        .await;
    assert_eq!(panel.status, StatusCode::OK, "{}", panel.text);
    panel.body["owner"]["id"].as_str().unwrap().to_owned()
}

/// What `GET /v1/portal/me` answers a token.
pub(super) async fn me(w: &World, token: &str) -> StatusCode {
    w.call("GET", "/v1/portal/me", "acme", Auth::Bearer(token), None)
        .await
        .status
}

/// Signs up Sam, owner of an account of acme, and Boss, staff with every permission.
pub(super) async fn sam_and_boss(w: &World) -> (String, String) {
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    (account, boss)
}
