//! Staff managing colleagues, and the mail that could not be sent.

use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use serde_json::json;
use std::sync::Arc;

use super::*;

/// A mail service that refuses every message, as SES does a suppressed address.
struct Refusing;

#[async_trait::async_trait]
impl selfcare::ports::Mailer for Refusing {
    async fn send(
        &self,
        _: &selfcare::ports::OutgoingMail,
    ) -> Result<String, selfcare::ports::MailError> {
        Err(selfcare::ports::MailError::Rejected(
            "address on the suppression list".into(),
        ))
    }
}

#[tokio::test]
async fn staff_manage_only_colleagues_within_their_reach_and_never_themselves() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(
        &acme,
        "keeper",
        &[Permission::StaffManage, Permission::AccountsRead],
    )
    .await;
    w.staff(&acme, "clerk", &[Permission::AccountsRead]).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let keeper = w.token("acme", "keeper", STAFF_PASSWORD).await;
    let boss_id = staff_id(&w, &boss, "boss").await;
    let keeper_id = staff_id(&w, &boss, "keeper").await;
    let clerk_id = staff_id(&w, &boss, "clerk").await;

    // The built-in admin holds more than keeper: keeper can neither demote, remove,
    // unlock nor reset its second factor.
    for (method, path, body) in [
        (
            "PATCH",
            format!("/v1/console/staff/{boss_id}"),
            Some(json!({"permissions": ["accounts_read"]})),
        ),
        ("DELETE", format!("/v1/console/staff/{boss_id}"), None),
        ("POST", format!("/v1/console/staff/{boss_id}/unlock"), None),
        (
            "POST",
            format!("/v1/console/staff/{boss_id}/two-factor/reset"),
            None,
        ),
    ] {
        let reply = w
            .call(method, &path, "acme", Auth::Bearer(&keeper), body)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(
            reply.body["type"], "/problems/staff-beyond-reach",
            "{method} {path}"
        );
    }
    let boss_now = w
        .call("GET", "/v1/console/me", "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(boss_now.status, StatusCode::OK, "boss is still signed in");
    assert_eq!(
        boss_now.body["permissions"].as_array().unwrap().len(),
        Permission::ALL.len()
    );

    // Within reach: keeper changes the clerk; never itself.
    let changed = w
        .call(
            "PATCH",
            &format!("/v1/console/staff/{clerk_id}"),
            "acme",
            Auth::Bearer(&keeper),
            Some(json!({"permissions": ["accounts_read"], "groups": ["north"]})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let own = w
        .call(
            "DELETE",
            &format!("/v1/console/staff/{keeper_id}"),
            "acme",
            Auth::Bearer(&keeper),
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.text);

    // A manager limited to a group does not reach staff who see every account, even with
    // fewer permissions.
    let nora = usage_fixture::invite_limited_staff(
        &w,
        &boss,
        "nora",
        &["staff_manage", "accounts_read", "reports_view"],
    )
    .await;
    let reply = w
        .call(
            "DELETE",
            &format!("/v1/console/staff/{keeper_id}"),
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    // ... and reaches the clerk, now limited to north too.
    let reply = w
        .call(
            "DELETE",
            &format!("/v1/console/staff/{clerk_id}"),
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
}

#[tokio::test]
async fn staff_see_failed_mail_and_send_it_again_within_their_own_tenant() {
    use selfcare::domain::outbox::Notifier;
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let bluewave = w.tenant("bluewave").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(&acme, "clerk", &[Permission::AccountsRead]).await;
    w.staff(&bluewave, "rival", ALL).await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let invited = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{account}/portal-access/create-email"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert!(invited.status.is_success(), "{}", invited.text);
    let refusing = Notifier::new(
        w.platform.table.clone(),
        Arc::new(Refusing),
        w.platform.clock.clone(),
    );
    refusing.sweep().await.unwrap();

    let failed = w
        .call(
            "GET",
            "/v1/console/mail/failed",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.text);
    let items = failed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", failed.text);
    assert_eq!(items[0]["purpose"], "credential-create");
    assert_eq!(items[0]["to"], json!(["sam@example.com"]));
    assert!(
        items[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("suppression")
    );
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let retry = format!("/v1/console/mail/failed/{id}/retry");

    // Another tenant's staff see none of it and cannot retry it; a clerk may not.
    let rival = w.token("bluewave", "rival", STAFF_PASSWORD).await;
    let theirs = w
        .call(
            "GET",
            "/v1/console/mail/failed",
            "bluewave",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(theirs.body["items"], json!([]));
    let crossed = w
        .call("POST", &retry, "bluewave", Auth::Bearer(&rival), None)
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    let clerk = w.token("acme", "clerk", STAFF_PASSWORD).await;
    let by_clerk = w
        .call("POST", &retry, "acme", Auth::Bearer(&clerk), None)
        .await;
    assert_eq!(by_clerk.status, StatusCode::FORBIDDEN);

    // Retried, it goes with the next sweep, once; the trail says who asked (the trail
    // orders by time, and the test clock stands still unless moved).
    w.clock.advance(time::Duration::seconds(1));
    let retried = w
        .call("POST", &retry, "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{}", retried.text);
    let twice = w
        .call("POST", &retry, "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND, "no longer failed");
    let working = Notifier::new(
        w.platform.table.clone(),
        w.platform.mailer.clone(),
        w.platform.clock.clone(),
    );
    let sent = working.sweep().await.unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let after = w
        .call(
            "GET",
            "/v1/console/mail/failed",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(after.body["items"], json!([]));
    let trail = w
        .call(
            "GET",
            "/v1/console/audit",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(trail.body["items"][0]["action"], "mail.retried");
    assert_eq!(trail.body["items"][0]["detail"], id.as_str());
}
