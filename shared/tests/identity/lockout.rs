//! Lock-out after failed sign-ins: what a stranger learns, the notice, the report, unlocking.

use axum::http::StatusCode;
use serde_json::json;

use super::*;

/// Acme, its staff member Boss, and Sam, owner of an account: the world and the account id.
async fn sam() -> (World, String) {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    (w, account)
}

/// Sam locked out by five wrong passwords: the world, the account, Boss's token and Sam's
/// login id.
async fn sam_locked() -> (World, String, String, String) {
    let (w, account) = sam().await;
    for _ in 1..=5 {
        w.sign_in("acme", "sam", "a stranger's guess").await;
    }
    let staff = w.token("acme", "boss", STAFF_PASSWORD).await;
    let panel = w
        .get(
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(panel.body["state"], "locked");
    let login = panel.body["owner"]["id"].as_str().unwrap().to_owned();
    (w, account, staff, login)
}

async fn unlock_by_staff(w: &World, staff: &str, account: &str, login: &str) -> Reply {
    w.call(
        "POST",
        &format!("/v1/console/accounts/{account}/logins/{login}/unlock"),
        "acme",
        Auth::Bearer(staff),
        None,
    )
    .await
}

async fn unlock_by_link(w: &World, tenant: &str, token: &str) -> Reply {
    w.call(
        "POST",
        "/v1/auth/unlock",
        tenant,
        Auth::None,
        Some(json!({"token": token})),
    )
    .await
}

#[tokio::test]
async fn a_name_no_login_has_is_answered_like_a_real_one_attempt_for_attempt() {
    let (w, _) = sam().await;
    for attempt in 1..=6 {
        let known = w.sign_in("acme", "sam", "not the password at all").await;
        let unknown = w
            .sign_in("acme", "samantha", "not the password at all")
            .await;
        let expected = if attempt < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::LOCKED
        };
        assert_eq!(known.status, expected, "attempt {attempt}: {}", known.text);
        assert_eq!(
            (unknown.status, &unknown.body),
            (known.status, &known.body),
            "attempt {attempt}"
        );
    }
    // The same name in full-width letters is the same name.
    let wide = w
        .sign_in("acme", "ｓａｍａｎｔｈａ", "not the password at all")
        .await;
    assert_eq!(wide.status, StatusCode::LOCKED);
}

#[tokio::test]
async fn a_locked_login_refuses_even_the_right_password_and_its_owner_is_told_once() {
    let (w, _, _, _) = sam_locked().await;
    let right = w.sign_in("acme", "sam", "sam's long password").await;
    assert_eq!(right.status, StatusCode::LOCKED);
    assert_eq!(right.body["type"], "/problems/login-locked");
    let notice = w.mail("sam@example.com", "locked-out").await;
    assert_eq!(notice.len(), 1, "told once");
    assert!(
        notice[0].contains("was locked after 5 failed sign-ins"),
        "{}",
        notice[0]
    );
    assert!(notice[0].contains("/credentials/unlock?tenant=acme#token="));
}

#[tokio::test]
async fn the_locked_out_users_report_lists_the_login_as_json_and_csv() {
    let (w, account, staff, _) = sam_locked().await;
    let report = w
        .get(
            "/v1/console/reports/locked-out-users",
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let items = report.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["username"], "sam");
    assert_eq!(items[0]["failed_attempts"], 5);
    assert_eq!(items[0]["last_failed_from"], "unknown");
    let csv = w
        .get(
            "/v1/console/reports/locked-out-users?format=csv",
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let mut lines = csv.text.lines();
    assert_eq!(
        lines.next(),
        Some("login,username,email,account,locked_at,failed_attempts,last_failed_from")
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(",sam,sam@example.com,") && row.contains(&account),
        "{row}"
    );
}

#[tokio::test]
async fn staff_unlock_a_login_its_owner_signs_in_and_the_unlock_is_audited() {
    let (w, account, staff, login) = sam_locked().await;
    w.clock.advance(time::Duration::seconds(1));
    let unlocked = unlock_by_staff(&w, &staff, &account, &login).await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.text);
    assert_eq!(unlocked.body["locked"], false);
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::OK
    );
    let report = w
        .get(
            "/v1/console/reports/locked-out-users",
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(report.body["items"], json!([]));
    let trail = w
        .get(
            &format!("/v1/console/accounts/{account}/audit"),
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(trail.body["items"][0]["action"], "login.unlocked");
    assert_eq!(trail.body["items"][0]["actor_username"], "boss");
}

#[tokio::test]
async fn a_login_locked_again_is_told_again() {
    let (w, account, staff, login) = sam_locked().await;
    unlock_by_staff(&w, &staff, &account, &login).await;
    for _ in 1..=5 {
        w.sign_in("acme", "sam", "a stranger's guess").await;
    }
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::LOCKED
    );
    let notices = w.mail("sam@example.com", "locked-out").await;
    assert_eq!(notices.len(), 2);
    assert!(notices[1].contains("/credentials/unlock?tenant=acme#token="));
}

#[tokio::test]
async fn the_notices_link_lets_the_owner_back_in_without_staff_once() {
    let (w, _, _, _) = sam_locked().await;
    let token = w.link_token("sam@example.com", "locked-out").await;
    let inspect = w
        .call(
            "POST",
            "/v1/auth/links/inspect",
            "acme",
            Auth::None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(inspect.body["next"], "unlock", "{}", inspect.text);
    assert_eq!(inspect.body["username"], "sam");
    let unlocked = unlock_by_link(&w, "acme", &token).await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.text);
    assert_eq!(unlocked.body["username"], "sam");
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::OK
    );
    let again = unlock_by_link(&w, "acme", &token).await;
    assert_eq!(again.status, StatusCode::GONE, "the link works once");
}

#[tokio::test]
async fn another_providers_address_does_not_take_the_unlock_link() {
    let (w, _, _, _) = sam_locked().await;
    w.tenant("bluewave").await;
    let token = w.link_token("sam@example.com", "locked-out").await;
    let crossed = unlock_by_link(&w, "bluewave", &token).await;
    assert_eq!(crossed.status, StatusCode::GONE);
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::LOCKED,
        "still locked"
    );
}
