//! Sessions: cookies and CSRF, what a read costs, and what ends a session.

use axum::http::StatusCode;
use serde_json::json;

use super::*;

/// Sam, owner of an account of acme, signed in with a cookie: the world, the sign-in
/// reply, the session token from the cookie and the CSRF token.
async fn sam_with_a_cookie() -> (World, Reply, String, String) {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let signed_in = w
        .call(
            "POST",
            "/v1/auth/sign-in",
            "acme",
            Auth::None,
            Some(json!({"username": "sam", "password": "sam's long password"})),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap().to_owned();
    let token = cookie
        .trim_start_matches("__Host-selfcare_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = signed_in.body["csrf_token"].as_str().unwrap().to_owned();
    (w, signed_in, token, csrf)
}

async fn patch_account(w: &World, auth: Auth<'_>, body: serde_json::Value) -> Reply {
    w.call("PATCH", "/v1/portal/account", "acme", auth, Some(body))
        .await
}

#[tokio::test]
async fn the_session_cookie_is_host_only_secure_and_out_of_scripts_reach() {
    let (_, signed_in, _, _) = sam_with_a_cookie().await;
    assert!(
        signed_in.body.get("token").is_none(),
        "the cookie's token never reaches script"
    );
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap();
    for part in [
        "__Host-selfcare_session=",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
}

#[tokio::test]
async fn a_cookie_reads_without_the_csrf_token_but_changes_nothing_without_the_right_one() {
    let (w, _, token, _) = sam_with_a_cookie().await;
    let read = w
        .get("/v1/portal/account", "acme", Auth::Cookie(&token, None))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let forged = patch_account(
        &w,
        Auth::Cookie(&token, None),
        json!({"name": "Forged Name"}),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.body["type"], "/problems/csrf-token-missing");
    let wrong = patch_account(
        &w,
        Auth::Cookie(&token, Some("not-the-token")),
        json!({"name": "Forged Name"}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let read = w
        .get("/v1/portal/account", "acme", Auth::Cookie(&token, None))
        .await;
    assert_eq!(read.body["name"], "Sam Lee");
}

#[tokio::test]
async fn the_customer_changes_its_own_details_with_the_csrf_token() {
    let (w, _, token, csrf) = sam_with_a_cookie().await;
    let changed = patch_account(
        &w,
        Auth::Cookie(&token, Some(&csrf)),
        json!({"name": "Sam Lee-Smith"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["name"], "Sam Lee-Smith");
}

#[tokio::test]
async fn fields_the_provider_sets_are_not_the_customers_to_change() {
    let (w, _, token, csrf) = sam_with_a_cookie().await;
    let group = patch_account(
        &w,
        Auth::Cookie(&token, Some(&csrf)),
        json!({"group": "vip"}),
    )
    .await;
    assert_eq!(group.status, StatusCode::FORBIDDEN);
    assert_eq!(group.body["type"], "/problems/field-not-editable");
}

#[tokio::test]
async fn a_bad_address_is_a_problem_naming_the_field_and_loses_nothing() {
    let (w, _, token, csrf) = sam_with_a_cookie().await;
    let bad = patch_account(
        &w,
        Auth::Cookie(&token, Some(&csrf)),
        json!({"emails": ["not an address"]}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "/emails/0");
    let read = w
        .get("/v1/portal/account", "acme", Auth::Cookie(&token, None))
        .await;
    assert_eq!(read.body["emails"], json!(["sam@example.com"]));
    assert_eq!(read.body["name"], "Sam Lee");
}

#[tokio::test]
async fn an_authenticated_read_costs_four_round_trips() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let token = w.token("acme", "sam", "sam's long password").await;
    w.counting.take();
    let read = w
        .call(
            "GET",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let trips = w.counting.take();
    // The session; what it stands on, in one batch (its login's sessions epoch and its
    // account's status); the provider the request names (a session answers under its own
    // provider's address only); the account.
    assert_eq!(
        (trips.gets, trips.queries, trips.writes),
        (4, 0, 0),
        "{trips:?}"
    );
}

#[tokio::test]
async fn no_session_outlives_a_password_change_even_when_cleaning_up_fails() {
    use selfcare::ports::table::Key;
    let w = World::new().await;
    sam_and_boss(&w).await;
    let other = w.token("acme", "sam", "sam's long password").await;
    let this = w.token("acme", "sam", "sam's long password").await;
    // The other session's item, as it was before the change.
    let tenant = other.split('.').next().unwrap().parse().unwrap();
    let other_key = Key::new(
        selfcare::store::keys::session(&tenant, &selfcare::domain::identity::tokens::hash(&other)),
        "SESSION",
    );
    let other_item = w.platform.table.get(&other_key).await.unwrap().unwrap();
    let changed = w
        .call(
            "POST",
            "/v1/auth/change-password",
            "acme",
            Auth::Bearer(&this),
            Some(json!({"current_password": "sam's long password",
                        "new_password": "a brand new long passphrase"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
    // As if ending the other sessions had failed after the change was stored.
    w.platform.table.put(other_item, None).await.unwrap();
    assert_eq!(me(&w, &other).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&w, &this).await,
        StatusCode::OK,
        "the changing session lives on"
    );
}

#[tokio::test]
async fn a_session_answers_only_under_its_own_providers_address() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.tenant("bluewave").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let sam = w.token("acme", "sam", "sam's long password").await;
    for tenant in ["bluewave", "nobody"] {
        let reply = w
            .call("GET", "/v1/portal/me", tenant, Auth::Bearer(&sam), None)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{tenant}");
    }
    let reply = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&sam), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Every answer: not stored, not sniffed, no referrer.
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    assert_eq!(reply.headers["referrer-policy"], "no-referrer");
}
