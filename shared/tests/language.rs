//! A login chooses its language: its pages (`me`) and its mail follow; staff acting as the
//! customer cannot choose for them.

use crate::common::{ALL, Auth, STAFF_PASSWORD, World};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_login_chooses_its_language_for_pages_and_mail() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let sam = w.token("acme", "sam", "sam's long password").await;
    let choose = |token: String, language: &'static str| {
        let w = &w;
        async move {
            w.call(
                "PUT",
                "/v1/auth/language",
                "acme",
                Auth::Bearer(&token),
                Some(json!({"language": language})),
            )
            .await
        }
    };
    assert_eq!(
        choose(sam.clone(), "de").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        choose(sam.clone(), "fr").await.status,
        StatusCode::NO_CONTENT
    );
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&sam), None)
        .await;
    assert_eq!(me.body["language"], "fr", "this session shows it at once");
    let again = w.token("acme", "sam", "sam's long password").await;
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&again), None)
        .await;
    assert_eq!(me.body["language"], "fr", "and the next one");

    // Mail to the login is in its language.
    w.call(
        "POST",
        "/v1/auth/forgot-password",
        "acme",
        Auth::None,
        Some(json!({"username": "sam"})),
    )
    .await;
    w.deliver_changes("test").await;
    let mail = w.mail("sam@example.com", "password-reset").await;
    assert!(mail[0].contains("Bonjour"), "{}", mail[0]);

    // Staff acting as Sam cannot choose Sam's language.
    w.staff(&acme, "boss", ALL).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let login = me.body["login"].as_str().unwrap().to_owned();
    let started = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{account}/logins/{login}/impersonate"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({})),
        )
        .await;
    let acting = started.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        choose(acting, "en").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Staff choose their own.
    assert_eq!(
        choose(boss.clone(), "fr").await.status,
        StatusCode::NO_CONTENT
    );
    let staff_me = w
        .call("GET", "/v1/console/me", "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(staff_me.body["language"], "fr");
}
