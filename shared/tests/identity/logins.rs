//! An account's owner managing the account's other logins.

use axum::http::StatusCode;
use serde_json::json;

use super::*;

/// Fitzroy Bakery's owner invites Bea (billing, in French), and Bea sets up her login: the
/// world, the owner's token, Bea's login id and Bea's token.
async fn bea_invited_by_the_owner() -> (World, String, String, String) {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w
        .account(&acme, "Fitzroy Bakery", "hello@bakery.example", None)
        .await;
    w.owner(&acme, &account, "owner", "the owner's long password")
        .await;
    let owner = w.token("acme", "owner", "the owner's long password").await;
    let invited = w
        .call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&owner),
            Some(json!({"email": "books@bakery.example", "name": "Bea Books",
                        "role": "billing", "language": "fr"})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let made = w
        .set_up_invited("acme", "books@bakery.example", "bea", "bea keeps the books")
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let bea_id = made.body["login"].as_str().unwrap().to_owned();
    let bea = w.token("acme", "bea", "bea keeps the books").await;
    (w, owner, bea_id, bea)
}

#[tokio::test]
async fn an_invited_login_is_mailed_in_its_own_language() {
    let (w, _, _, _) = bea_invited_by_the_owner().await;
    let mail = w.mail("books@bakery.example", "credential-create").await;
    assert!(
        mail[0].contains("Bonjour Bea Books"),
        "mail in the login's language: {}",
        mail[0]
    );
}

#[tokio::test]
async fn an_invited_login_has_its_role_and_orders_nothing_until_allowed() {
    let (w, _, _, bea) = bea_invited_by_the_owner().await;
    let me = w.get("/v1/portal/me", "acme", Auth::Bearer(&bea)).await;
    assert_eq!(me.body["role"], "billing");
    assert_eq!(me.body["language"], "fr");
    assert_eq!(me.body["allow_orders"], false);
    assert!(
        !me.body["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("orders_create"))
    );
}

#[tokio::test]
async fn only_the_owner_manages_logins() {
    let (w, _, _, bea) = bea_invited_by_the_owner().await;
    let refused = w.get("/v1/portal/logins", "acme", Auth::Bearer(&bea)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "/problems/action-not-allowed");
    let invitations = w
        .get("/v1/portal/logins/invitations", "acme", Auth::Bearer(&bea))
        .await;
    assert_eq!(invitations.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_login_made_read_only_is_signed_out_and_its_next_session_changes_nothing() {
    let (w, owner, bea_id, bea) = bea_invited_by_the_owner().await;
    let limited = w
        .call(
            "PATCH",
            &format!("/v1/portal/logins/{bea_id}"),
            "acme",
            Auth::Bearer(&owner),
            Some(json!({"role": "read_only", "allow_orders": false})),
        )
        .await;
    assert_eq!(limited.status, StatusCode::OK, "{}", limited.text);
    assert_eq!(
        w.get("/v1/portal/me", "acme", Auth::Bearer(&bea))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let bea = w.token("acme", "bea", "bea keeps the books").await;
    let edit = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&bea),
            Some(json!({"name": "Bea's Bakery"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_removed_login_is_signed_out_and_gone_from_the_list() {
    let (w, owner, bea_id, bea) = bea_invited_by_the_owner().await;
    let removed = w
        .call(
            "DELETE",
            &format!("/v1/portal/logins/{bea_id}"),
            "acme",
            Auth::Bearer(&owner),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        w.get("/v1/portal/me", "acme", Auth::Bearer(&bea))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let logins = w
        .get("/v1/portal/logins", "acme", Auth::Bearer(&owner))
        .await;
    let names: Vec<&str> = logins
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["owner"]);
}

#[tokio::test]
async fn an_invited_colleague_shows_as_invited_until_set_up_and_then_as_a_login() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w
        .account(&acme, "Fitzroy Bakery", "hello@bakery.example", None)
        .await;
    w.owner(&acme, &account, "owner", "the owner's long password")
        .await;
    let owner = w.token("acme", "owner", "the owner's long password").await;
    let invite = |email: &'static str| {
        let (w, owner) = (&w, owner.clone());
        async move {
            let reply = w
                .call(
                    "POST",
                    "/v1/portal/logins",
                    "acme",
                    Auth::Bearer(&owner),
                    Some(json!({"email": email, "name": "Bea Books", "role": "billing"})),
                )
                .await;
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
        }
    };
    invite("books@bakery.example").await;
    let invited = w
        .get(
            "/v1/portal/logins/invitations",
            "acme",
            Auth::Bearer(&owner),
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.text);
    assert_eq!(invited.body[0]["email"], "books@bakery.example");
    assert_eq!(invited.body[0]["role"], "billing");
    // Inviting the same address again replaces the invitation, it does not add one.
    w.clock.advance(time::Duration::minutes(1));
    invite("books@bakery.example").await;
    let invited = w
        .get(
            "/v1/portal/logins/invitations",
            "acme",
            Auth::Bearer(&owner),
        )
        .await;
    assert_eq!(invited.body.as_array().unwrap().len(), 1);
    // Set up: no longer invited, a login of the account.
    let links = w.mail("books@bakery.example", "credential-create").await;
    assert_eq!(links.len(), 2);
    let made = w
        .set_up_invited("acme", "books@bakery.example", "bea", "bea keeps the books")
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let invited = w
        .get(
            "/v1/portal/logins/invitations",
            "acme",
            Auth::Bearer(&owner),
        )
        .await;
    assert_eq!(invited.body, json!([]));
    // Another account's owner sees none of them.
    let other = w
        .account(&acme, "Other Co", "other@example.com", None)
        .await;
    w.owner(&acme, &other, "other", "the other's long password")
        .await;
    let other = w.token("acme", "other", "the other's long password").await;
    invite("cleo@bakery.example").await;
    let theirs = w
        .get(
            "/v1/portal/logins/invitations",
            "acme",
            Auth::Bearer(&other),
        )
        .await;
    assert_eq!(theirs.body, json!([]));
}
