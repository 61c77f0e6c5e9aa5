//! Creating credentials from the email's link, resetting a password, and the usernames and
//! passwords refused on the way.

use axum::http::StatusCode;
use serde_json::json;

use super::*;

/// Acme, its staff member Boss, and Jo's account opened by Boss through the console, which
/// sends Jo the credential-create email. Answers the world, Boss's token and the account id.
async fn jo_invited() -> (World, String, String) {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let staff = w.token("acme", "boss", STAFF_PASSWORD).await;
    let created = w
        .call(
            "POST",
            "/v1/console/accounts",
            "acme",
            Auth::Bearer(&staff),
            Some(json!({"kind": "end_user", "name": "Jo Bloggs", "emails": ["jo@example.com"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["create_email_sent"], true);
    let account = created.body["id"].as_str().unwrap().to_owned();
    (w, staff, account)
}

/// Uses the credential-create link with `username` and `password`.
async fn create(w: &World, link: &str, username: &str, password: &str) -> Reply {
    w.call(
        "POST",
        "/v1/auth/credentials",
        "acme",
        Auth::None,
        Some(json!({"token": link, "username": username, "password": password})),
    )
    .await
}

async fn inspect(w: &World, link: &str) -> Reply {
    w.call(
        "POST",
        "/v1/auth/links/inspect",
        "acme",
        Auth::None,
        Some(json!({"token": link})),
    )
    .await
}

/// Jo with the username "jo", signed in: the world, Boss's token, the account and Jo's token.
async fn jo_signed_up() -> (World, String, String, String) {
    let (w, staff, account) = jo_invited().await;
    let link = w.link_token("jo@example.com", "credential-create").await;
    let chosen = create(&w, &link, "Jo", "a long and quiet river").await;
    assert_eq!(chosen.status, StatusCode::CREATED, "{}", chosen.text);
    let jo = w.token("acme", "jo", "a long and quiet river").await;
    (w, staff, account, jo)
}

#[tokio::test]
async fn a_new_accounts_owner_is_invited_by_mail_in_the_providers_name() {
    let (w, staff, account) = jo_invited().await;
    let panel = w
        .get(
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(panel.body["state"], "invited");
    assert_eq!(panel.body["offers"], json!(["send_create_email"]));

    let mail = w.mail("jo@example.com", "credential-create").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Subject: Set up your acme Telecom portal access"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("text/html"));
    let link = w.link_token("jo@example.com", "credential-create").await;
    let inspected = inspect(&w, &link).await;
    assert_eq!(inspected.body["next"], "create");
    assert_eq!(inspected.body["name"], "Jo Bloggs");
}

#[tokio::test]
async fn a_common_password_or_a_staff_members_username_is_refused_and_the_link_stays_usable() {
    let (w, _, _) = jo_invited().await;
    let link = w.link_token("jo@example.com", "credential-create").await;
    let weak = create(&w, &link, "jo", "password123456").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.body["errors"][0]["field"], "/password");
    let taken = create(&w, &link, "BOSS", "a long and quiet river").await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["type"], "/problems/username-taken");
    let chosen = create(&w, &link, "Jo", "a long and quiet river").await;
    assert_eq!(chosen.status, StatusCode::CREATED, "{}", chosen.text);
    assert_eq!(chosen.body["username"], "jo");
}

#[tokio::test]
async fn a_used_create_link_leads_to_sign_in_and_cannot_be_used_again() {
    let (w, _, _, _) = jo_signed_up().await;
    let link = w.link_token("jo@example.com", "credential-create").await;
    assert_eq!(inspect(&w, &link).await.body["next"], "sign_in");
    let reuse = create(&w, &link, "jo2", "another long password").await;
    assert_eq!(reuse.status, StatusCode::GONE);
    assert_eq!(reuse.body["type"], "/problems/link-unusable");
}

#[tokio::test]
async fn the_new_owner_signs_in_to_the_account_and_staff_see_access_active() {
    let (w, staff, account, jo) = jo_signed_up().await;
    let me = w.get("/v1/portal/me", "acme", Auth::Bearer(&jo)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["account"]["id"], account.as_str());
    assert_eq!(me.body["role"], "owner");
    assert!(
        me.body["modules"]
            .as_array()
            .unwrap()
            .contains(&json!("usage"))
    );
    assert!(
        me.body["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("logins_manage"))
    );
    let panel = w
        .get(
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&staff),
        )
        .await;
    assert_eq!(panel.body["state"], "active");
    assert_eq!(panel.body["owner"]["username"], "jo");
}

#[tokio::test]
async fn forgot_password_answers_and_works_the_same_for_a_stranger_and_mails_only_the_owner() {
    let (w, _, _, _) = jo_signed_up().await;
    let mut work = Vec::new();
    for who in ["nobody-here", "jo@example.com"] {
        w.counting.take();
        let forgot = w
            .call(
                "POST",
                "/v1/auth/forgot-password",
                "acme",
                Auth::None,
                Some(json!({"username": who})),
            )
            .await;
        assert_eq!(forgot.status, StatusCode::ACCEPTED);
        assert_eq!(
            forgot.body["message"],
            "If that login exists, we have sent a reset link to its email address."
        );
        let trips = w.counting.take();
        work.push((trips.gets, trips.queries, trips.writes));
    }
    assert_eq!(work[0], work[1], "the same reads and writes either way");
    assert!(w.mail("jo@example.com", "password-reset").await.is_empty());
    w.deliver_changes("test").await;
    assert!(w.mail("nobody-here", "password-reset").await.is_empty());
    let reset = w.link_token("jo@example.com", "password-reset").await;
    let inspected = inspect(&w, &reset).await;
    assert_eq!(inspected.body["next"], "reset");
    assert_eq!(inspected.body["username"], "jo");
}

#[tokio::test]
async fn a_forgot_password_request_the_stream_is_late_with_is_answered_by_the_sweep_once() {
    let (w, _, _, _) = jo_signed_up().await;
    for who in ["nobody-here", "jo@example.com"] {
        let forgot = w
            .call(
                "POST",
                "/v1/auth/forgot-password",
                "acme",
                Auth::None,
                Some(json!({"username": who})),
            )
            .await;
        assert_eq!(forgot.status, StatusCode::ACCEPTED);
    }
    // The stream is held back (a usage file's burst, say): within the minute, the sweep
    // leaves the requests to it.
    let resets = || async {
        let sent = w.sent_mail.entries().await.unwrap();
        sent.into_iter()
            .filter(|m| m.subject.contains("Reset"))
            .map(|m| m.to)
            .collect::<Vec<_>>()
    };
    w.clock.advance(time::Duration::seconds(30));
    selfcare::events::sweep_outbox(&w.platform).await.unwrap();
    assert!(resets().await.is_empty());
    // Past it, the sweep answers them: the owner gets one link, the stranger nothing.
    w.clock.advance(time::Duration::seconds(31));
    selfcare::events::sweep_outbox(&w.platform).await.unwrap();
    selfcare::events::sweep_outbox(&w.platform).await.unwrap();
    assert_eq!(resets().await, [["jo@example.com"]]);
    // The stream catches up, later than the spacing between reset mails (its marker
    // expired and swept away): the request was answered, nothing more is sent.
    w.clock.advance(time::Duration::minutes(10));
    w.local_table.purge_expired().await.unwrap();
    w.deliver_changes("late").await;
    selfcare::events::sweep_outbox(&w.platform).await.unwrap();
    assert_eq!(resets().await, [["jo@example.com"]]);
}

/// Asks for Jo's reset link and answers it.
async fn reset_link(w: &World) -> String {
    w.call(
        "POST",
        "/v1/auth/forgot-password",
        "acme",
        Auth::None,
        Some(json!({"username": "jo@example.com"})),
    )
    .await;
    w.deliver_changes("test").await;
    w.link_token("jo@example.com", "password-reset").await
}

async fn reset(w: &World, link: &str, password: &str) -> Reply {
    w.call(
        "POST",
        "/v1/auth/reset-password",
        "acme",
        Auth::None,
        Some(json!({"token": link, "password": password})),
    )
    .await
}

#[tokio::test]
async fn a_password_reset_ends_the_old_session_and_only_the_new_password_signs_in() {
    let (w, _, _, jo) = jo_signed_up().await;
    let link = reset_link(&w).await;
    let done = reset(&w, &link, "a new and longer river").await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);

    let old = w.get("/v1/portal/me", "acme", Auth::Bearer(&jo)).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(old.body["type"], "/problems/unauthenticated");
    let wrong = w.sign_in("acme", "jo", "a long and quiet river").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let jo = w.token("acme", "jo", "a new and longer river").await;
    let me = w.get("/v1/portal/me", "acme", Auth::Bearer(&jo)).await;
    assert_eq!(me.status, StatusCode::OK);
}

#[tokio::test]
async fn a_reset_link_works_once() {
    let (w, _, _, _) = jo_signed_up().await;
    let link = reset_link(&w).await;
    assert_eq!(
        reset(&w, &link, "a new and longer river").await.status,
        StatusCode::NO_CONTENT
    );
    let reuse = reset(&w, &link, "yet another river bank").await;
    assert_eq!(reuse.status, StatusCode::GONE);
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let (w, _, _, jo) = jo_signed_up().await;
    let out = w
        .call("POST", "/v1/auth/sign-out", "acme", Auth::Bearer(&jo), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = w.get("/v1/portal/me", "acme", Auth::Bearer(&jo)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_username_that_looks_like_another_is_taken_and_weak_personal_passwords_are_refused() {
    let w = World::new().await;
    let (account, boss) = sam_and_boss(&w).await;
    let login = owner_login(&w, &boss, &account).await;
    let rename = |username: &'static str| {
        let (w, boss, path) = (
            &w,
            boss.clone(),
            format!("/v1/console/accounts/{account}/logins/{login}"),
        );
        async move {
            w.call(
                "PATCH",
                &path,
                "acme",
                Auth::Bearer(&boss),
                Some(json!({ "username": username })),
            )
            .await
        }
    };
    // "bоss" with a Cyrillic о looks like the staff member "boss".
    let lookalike = rename("b\u{043e}ss").await;
    assert_eq!(lookalike.status, StatusCode::CONFLICT, "{}", lookalike.text);
    assert_eq!(lookalike.body["type"], "/problems/username-taken");
    // Full-width letters are the same letters.
    let wide = rename("ＳＡＭ２").await;
    assert_eq!(wide.status, StatusCode::OK, "{}", wide.text);
    assert_eq!(wide.body["username"], "sam2");
    assert_eq!(
        rename("sam").await.status,
        StatusCode::OK,
        "its old look is free again"
    );

    // The email address, or the username with digits, is no password.
    let this = w.token("acme", "sam", "sam's long password").await;
    for weak in ["sam@example.com", "sam20262026!!"] {
        let changed = w
            .call(
                "POST",
                "/v1/auth/change-password",
                "acme",
                Auth::Bearer(&this),
                Some(json!({"current_password": "sam's long password", "new_password": weak})),
            )
            .await;
        assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert_eq!(
            changed.body["errors"][0]["field"], "/password",
            "{}",
            changed.text
        );
    }
}
