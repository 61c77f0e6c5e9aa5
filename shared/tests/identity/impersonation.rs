//! Staff acting as an end user: visible, time-boxed, read-only on request, audited, and
//! ended when the staff member's reach ends.

use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use selfcare::ports::Clock;
use serde_json::json;

use super::*;

/// Acme with Boss (every permission) and Clerk (no impersonation), and Sam, owner of an
/// account: the world, the account, the path that impersonates Sam, and Boss's token.
async fn sam_and_staff() -> (World, String, String, String) {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(
        &acme,
        "clerk",
        &[Permission::AccountsRead, Permission::LoginsManage],
    )
    .await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    let sam = w.owner(&acme, &account, "sam", "sam's long password").await;
    let path = format!(
        "/v1/console/accounts/{account}/logins/{}/impersonate",
        sam.id
    );
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    (w, account, path, boss)
}

/// Boss impersonates Sam; answers the whole reply.
async fn impersonate(w: &World, path: &str, boss: &str, read_only: bool) -> Reply {
    let body = if read_only {
        json!({"read_only": true})
    } else {
        json!({})
    };
    let reply = w
        .call("POST", path, "acme", Auth::Bearer(boss), Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply
}

async fn rename_account(w: &World, token: &str, name: &str) -> Reply {
    w.call(
        "PATCH",
        "/v1/portal/account",
        "acme",
        Auth::Bearer(token),
        Some(json!({ "name": name })),
    )
    .await
}

#[tokio::test]
async fn staff_without_the_permission_cannot_impersonate() {
    let (w, _, path, _) = sam_and_staff().await;
    let clerk = w.token("acme", "clerk", STAFF_PASSWORD).await;
    let refused = w
        .call("POST", &path, "acme", Auth::Bearer(&clerk), Some(json!({})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "/problems/permission-missing");
}

#[tokio::test]
async fn a_read_only_impersonation_shows_who_is_looking_and_changes_nothing() {
    let (w, _, path, boss) = sam_and_staff().await;
    let looking = impersonate(&w, &path, &boss, true).await;
    let token = looking.body["token"].as_str().unwrap().to_owned();
    let me = w.get("/v1/portal/me", "acme", Auth::Bearer(&token)).await;
    assert_eq!(me.body["username"], "sam");
    assert_eq!(me.body["impersonation"]["by"], "boss");
    assert_eq!(me.body["impersonation"]["read_only"], true);
    assert_eq!(me.body["actions"], json!(["account_view", "billing_view"]));
    let change = rename_account(&w, &token, "X").await;
    assert_eq!(change.status, StatusCode::FORBIDDEN);
    assert_eq!(change.body["type"], "/problems/read-only-session");
}

#[tokio::test]
async fn an_impersonated_session_is_no_way_into_the_console() {
    let (w, _, path, boss) = sam_and_staff().await;
    let looking = impersonate(&w, &path, &boss, true).await;
    let token = looking.body["token"].as_str().unwrap().to_owned();
    let console = w
        .get("/v1/console/accounts", "acme", Auth::Bearer(&token))
        .await;
    assert_eq!(console.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_full_impersonation_lasts_half_an_hour_at_most_and_each_change_names_both_people() {
    let (w, account, path, boss) = sam_and_staff().await;
    let acting = impersonate(&w, &path, &boss, false).await;
    let token = acting.body["token"].as_str().unwrap().to_owned();
    let expires = time::OffsetDateTime::parse(
        acting.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires - w.clock.now() <= time::Duration::minutes(30));
    let change = rename_account(&w, &token, "Sam L.").await;
    assert_eq!(change.status, StatusCode::OK, "{}", change.text);
    let trail = w
        .get(
            &format!("/v1/console/accounts/{account}/audit"),
            "acme",
            Auth::Bearer(&boss),
        )
        .await;
    let changes: Vec<&serde_json::Value> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] == "impersonation.change")
        .collect();
    assert_eq!(
        changes.len(),
        1,
        "one entry, written with the change: {}",
        trail.text
    );
    let first = changes[0];
    assert_eq!(first["detail"], "PATCH /v1/portal/account");
    assert_eq!(first["actor_username"], "boss");
    assert_eq!(first["on_behalf_of_username"], "sam");
    assert_eq!(first["request_id"].as_str().unwrap().len(), 26);
}

#[tokio::test]
async fn the_owner_sees_who_came_in_and_what_they_changed() {
    let (w, _, path, boss) = sam_and_staff().await;
    let looking = impersonate(&w, &path, &boss, true).await;
    let read_only = looking.body["token"].as_str().unwrap().to_owned();
    rename_account(&w, &read_only, "X").await;
    // The trail orders by time; the test clock stands still unless moved.
    w.clock.advance(time::Duration::seconds(1));
    let acting = impersonate(&w, &path, &boss, false).await;
    let token = acting.body["token"].as_str().unwrap().to_owned();
    w.clock.advance(time::Duration::seconds(1));
    rename_account(&w, &token, "Sam L.").await;

    let own = w.token("acme", "sam", "sam's long password").await;
    let history = w
        .get("/v1/portal/access-history", "acme", Auth::Bearer(&own))
        .await;
    let items = history.body["items"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["action"].as_str().unwrap(), i["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("impersonation.change", "PATCH /v1/portal/account"),
            ("impersonation.started", "as sam"),
            ("impersonation.started", "as sam, read-only"),
        ],
        "what was done, not only that staff came in; the refused change is not there"
    );
    assert!(items.iter().all(|i| i["actor_username"] == "boss"));
}

#[tokio::test]
async fn a_full_impersonation_cannot_add_change_or_remove_logins() {
    let (w, _, path, boss) = sam_and_staff().await;
    let acting = impersonate(&w, &path, &boss, false).await;
    let token = acting.body["token"].as_str().unwrap().to_owned();
    let invite = w
        .call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&token),
            Some(json!({"email": "mole@example.com", "name": "Mole", "role": "owner"})),
        )
        .await;
    assert_eq!(invite.status, StatusCode::FORBIDDEN, "{}", invite.text);
    assert_eq!(
        invite.body["type"],
        "/problems/impersonation-cannot-manage-logins"
    );
    assert!(
        w.mail("mole@example.com", "credential-create")
            .await
            .is_empty()
    );
    let me = w.get("/v1/portal/me", "acme", Auth::Bearer(&token)).await;
    assert!(
        !me.body["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("logins_manage")),
        "{}",
        me.text
    );
}

#[tokio::test]
async fn an_impersonation_ends_when_its_staff_member_loses_access() {
    let w = World::new().await;
    let (account, boss) = sam_and_boss(&w).await;
    w.staff(
        &selfcare::domain::tenancy::Tenant::clone(
            &w.platform.tenants().by_slug("acme").await.unwrap(),
        ),
        "agent",
        &[
            Permission::AccountsRead,
            Permission::LoginsManage,
            Permission::Impersonate,
        ],
    )
    .await;
    let agent = w.token("acme", "agent", STAFF_PASSWORD).await;
    let login = owner_login(&w, &agent, &account).await;
    let acting = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{account}/logins/{login}/impersonate"),
            "acme",
            Auth::Bearer(&agent),
            Some(json!({})),
        )
        .await;
    assert_eq!(acting.status, StatusCode::CREATED, "{}", acting.text);
    let token = acting.body["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&w, &token).await, StatusCode::OK);
    // The agent may no longer impersonate: the impersonation ends with that change.
    let staff = w
        .call(
            "GET",
            "/v1/console/staff?limit=100",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    let agent_id = staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["username"] == "agent")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let demoted = w
        .call(
            "PATCH",
            &format!("/v1/console/staff/{agent_id}"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"permissions": ["accounts_read"]})),
        )
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.text);
    assert_eq!(me(&w, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_impersonation_ends_when_the_account_leaves_the_staff_members_groups() {
    let w = World::new().await;
    let (account, boss) = sam_and_boss(&w).await;
    let move_to = |group: &'static str| {
        let (w, boss, path) = (&w, boss.clone(), format!("/v1/console/accounts/{account}"));
        async move {
            w.call(
                "PATCH",
                &path,
                "acme",
                Auth::Bearer(&boss),
                Some(json!({ "group": group })),
            )
            .await
        }
    };
    assert_eq!(move_to("north").await.status, StatusCode::OK);
    let nora = usage_fixture::invite_limited_staff(
        &w,
        &boss,
        "nora",
        &["accounts_read", "logins_manage", "impersonate"],
    )
    .await;
    let login = owner_login(&w, &nora, &account).await;
    let acting = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{account}/logins/{login}/impersonate"),
            "acme",
            Auth::Bearer(&nora),
            Some(json!({"read_only": true})),
        )
        .await;
    assert_eq!(acting.status, StatusCode::CREATED, "{}", acting.text);
    let token = acting.body["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&w, &token).await, StatusCode::OK);
    assert_eq!(move_to("south").await.status, StatusCode::OK);
    assert_eq!(me(&w, &token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_customer_sees_its_sessions_and_signs_out_everywhere_else_which_staff_cannot_do_for_it()
{
    let (w, _, path, boss) = sam_and_staff().await;
    let phone = w.token("acme", "sam", "sam's long password").await;
    let laptop = w.token("acme", "sam", "sam's long password").await;
    let acting = impersonate(&w, &path, &boss, false).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = w
        .call(
            "GET",
            "/v1/auth/sessions",
            "acme",
            Auth::Bearer(&laptop),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let sessions = listed.body.as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{}", listed.text);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(
        sessions
            .iter()
            .filter(|s| s["staff_acting"] == true)
            .count(),
        1,
        "staff using the portal as Sam show as such"
    );
    // Staff acting as Sam cannot sign Sam out.
    let refused = w
        .call(
            "POST",
            "/v1/auth/sessions/end-others",
            "acme",
            Auth::Bearer(&acting),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let ended = w
        .call(
            "POST",
            "/v1/auth/sessions/end-others",
            "acme",
            Auth::Bearer(&laptop),
            None,
        )
        .await;
    assert_eq!(ended.body["ended"], 2, "{}", ended.text);
    for gone in [&phone, &acting] {
        let reply = w
            .call("GET", "/v1/portal/me", "acme", Auth::Bearer(gone), None)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let again = w
        .call(
            "POST",
            "/v1/auth/sessions/end-others",
            "acme",
            Auth::Bearer(&laptop),
            None,
        )
        .await;
    assert_eq!(again.body["ended"], 0, "nothing more to end");
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&laptop), None)
        .await;
    assert_eq!(me.status, StatusCode::OK, "this session stays");
}
