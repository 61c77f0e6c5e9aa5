//! Staff acting as an end user: visible, time-boxed, read-only on request, audited, and ended when the staff member's reach ends.

use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use selfcare::ports::Clock;
use serde_json::json;

use super::*;

#[tokio::test]
async fn impersonation_is_visible_time_boxed_read_only_on_request_and_audited() {
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

    // Without the permission: refused.
    let clerk = w.token("acme", "clerk", STAFF_PASSWORD).await;
    let refused = w
        .call("POST", &path, "acme", Auth::Bearer(&clerk), Some(json!({})))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "/problems/permission-missing");

    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let looking = w
        .call(
            "POST",
            &path,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"read_only": true})),
        )
        .await;
    assert_eq!(looking.status, StatusCode::CREATED, "{}", looking.text);
    let token = looking.body["token"].as_str().unwrap().to_owned();
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&token), None)
        .await;
    assert_eq!(me.body["username"], "sam");
    assert_eq!(me.body["impersonation"]["by"], "boss");
    assert_eq!(me.body["impersonation"]["read_only"], true);
    assert_eq!(me.body["actions"], json!(["account_view"]));
    let change = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&token),
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(change.status, StatusCode::FORBIDDEN);
    assert_eq!(change.body["type"], "/problems/read-only-session");
    // An impersonated session is not a way into the console.
    let console = w
        .call(
            "GET",
            "/v1/console/accounts",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(console.status, StatusCode::FORBIDDEN);

    // A full impersonation can change things; each change records both identities.
    w.clock.advance(time::Duration::seconds(1));
    let acting = w
        .call("POST", &path, "acme", Auth::Bearer(&boss), Some(json!({})))
        .await;
    let token = acting.body["token"].as_str().unwrap().to_owned();
    let expires = time::OffsetDateTime::parse(
        acting.body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires - w.clock.now() <= time::Duration::minutes(30));
    // The trail orders by time; the test clock stands still unless moved.
    w.clock.advance(time::Duration::seconds(1));
    let change = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&token),
            Some(json!({"name": "Sam L."})),
        )
        .await;
    assert_eq!(change.status, StatusCode::OK, "{}", change.text);
    let trail = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/audit"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    let first = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["action"] == "account.updated")
        .unwrap();
    assert_eq!(first["actor_username"], "boss");
    assert_eq!(first["on_behalf_of_username"], "sam");
    assert_eq!(first["request_id"].as_str().unwrap().len(), 26);

    // Sam sees, in the portal, that the account was accessed and by whom.
    let own = w.token("acme", "sam", "sam's long password").await;
    let history = w
        .call(
            "GET",
            "/v1/portal/access-history",
            "acme",
            Auth::Bearer(&own),
            None,
        )
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

    // Logins outlive an impersonation: a full one cannot add, change or remove any.
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
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&token), None)
        .await;
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
