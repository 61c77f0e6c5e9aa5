//! Isolation between tenants, accounts and account groups, whatever ids a request sends.

use axum::http::StatusCode;
use selfcare::domain::identity::Login;
use serde_json::{Value as Json, json};

use super::*;

/// Two providers: acme with the accounts North Co (group "north") and South Co (group
/// "south"), bluewave with Blue Co; each account's owner login; each provider's Boss; and
/// Nora, acme staff limited to the north group.
struct Neighbours {
    w: World,
    acme_boss: String,
    blue_boss: String,
    nora: String,
    northie: String,
    north: String,
    south: String,
    theirs: String,
    north_login: Login,
    south_login: Login,
    blue_login: Login,
}

async fn neighbours() -> Neighbours {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let blue = w.tenant("bluewave").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(&blue, "boss", ALL).await;
    let north = w
        .account(&acme, "North Co", "north@example.com", Some("north"))
        .await;
    let south = w
        .account(&acme, "South Co", "south@example.com", Some("south"))
        .await;
    let theirs = w.account(&blue, "Blue Co", "blue@example.com", None).await;
    let north_login = w
        .owner(&acme, &north, "northie", "north's long password")
        .await;
    let south_login = w
        .owner(&acme, &south, "southie", "south's long password")
        .await;
    let blue_login = w
        .owner(&blue, &theirs, "bluey", "blue's long password")
        .await;
    let acme_boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let blue_boss = w.token("bluewave", "boss", STAFF_PASSWORD).await;
    // A staff member limited to the north group.
    let invited = w
        .call(
            "POST",
            "/v1/console/staff",
            "acme",
            Auth::Bearer(&acme_boss),
            Some(json!({"email": "nora@acme.example", "name": "Nora", "groups": ["north"],
                        "permissions": ["accounts_read", "accounts_write", "logins_manage", "impersonate", "audit_view"]})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let link = w.link_token("nora@acme.example", "credential-create").await;
    let made = w
        .call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "nora", "password": "nora's long password"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let nora = w.token("acme", "nora", "nora's long password").await;
    let northie = w.token("acme", "northie", "north's long password").await;
    Neighbours {
        w,
        acme_boss,
        blue_boss,
        nora,
        northie,
        north,
        south,
        theirs,
        north_login,
        south_login,
        blue_login,
    }
}

#[tokio::test]
async fn console_account_endpoints_answer_not_found_for_accounts_out_of_reach_and_change_nothing() {
    let Neighbours {
        w,
        acme_boss,
        blue_boss,
        nora,
        north,
        south,
        theirs,
        north_login,
        south_login,
        blue_login,
        ..
    } = neighbours().await;
    // Every account-scoped console endpoint, with an account the caller may not see.
    let scoped = |account: &str, login: &str| -> Vec<(&'static str, String, Option<Json>)> {
        vec![
            ("GET", format!("/v1/console/accounts/{account}"), None),
            (
                "PATCH",
                format!("/v1/console/accounts/{account}"),
                Some(json!({"name": "Taken Over"})),
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/deactivate"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/reactivate"),
                None,
            ),
            (
                "GET",
                format!("/v1/console/accounts/{account}/portal-access"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/portal-access/create-email"),
                None,
            ),
            (
                "PATCH",
                format!("/v1/console/accounts/{account}/logins/{login}"),
                Some(json!({"username": "stolen"})),
            ),
            (
                "DELETE",
                format!("/v1/console/accounts/{account}/logins/{login}"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/logins/{login}/reset-email"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/logins/{login}/unlock"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/logins/{login}/two-factor/reset"),
                None,
            ),
            (
                "GET",
                format!("/v1/console/accounts/{account}/services"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/services"),
                Some(json!({"plan": login, "identifier": "+61255500000"})),
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/services/{login}/bolt-ons"),
                Some(json!({"bolt_on": login})),
            ),
            (
                "GET",
                format!("/v1/console/accounts/{account}/services/{login}/usage"),
                None,
            ),
            (
                "POST",
                format!("/v1/console/accounts/{account}/logins/{login}/impersonate"),
                Some(json!({})),
            ),
            ("GET", format!("/v1/console/accounts/{account}/audit"), None),
        ]
    };
    let cases = [
        (
            "another tenant's staff",
            "bluewave",
            &blue_boss,
            north.clone(),
            north_login.id.to_string(),
        ),
        (
            "staff of another group",
            "acme",
            &nora,
            south.clone(),
            south_login.id.to_string(),
        ),
        (
            "a login of another account",
            "acme",
            &acme_boss,
            north.clone(),
            south_login.id.to_string(),
        ),
        (
            "another tenant's account",
            "acme",
            &acme_boss,
            theirs.clone(),
            blue_login.id.to_string(),
        ),
    ];
    for (who, tenant, token, account, login) in &cases {
        let logins_only = who.starts_with("a login");
        for (method, path, body) in scoped(account, login) {
            if logins_only && !path.contains("/logins/") {
                continue;
            }
            let reply = w
                .call(method, &path, tenant, Auth::Bearer(token), body)
                .await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{who}: {method} {path}: {}",
                reply.text
            );
            assert_eq!(
                reply.body["type"], "/problems/not-found",
                "{who}: {method} {path}"
            );
        }
    }
    // Nothing changed underneath.
    let south_now = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{south}"),
            "acme",
            Auth::Bearer(&acme_boss),
            None,
        )
        .await;
    assert_eq!(south_now.body["name"], "South Co");
    assert_eq!(south_now.body["status"], "active");
    assert_eq!(
        w.sign_in("acme", "southie", "south's long password")
            .await
            .status,
        StatusCode::OK
    );

    // Lists: the group-limited staff member sees the north group only; a search does not
}

#[tokio::test]
async fn account_lists_and_searches_stop_at_the_callers_groups_and_tenant() {
    let Neighbours {
        w, blue_boss, nora, ..
    } = neighbours().await;
    // Lists: the group-limited staff member sees the north group only; a search does not
    // reach past it; the unlimited list is the tenant's own.
    let listed = w
        .call(
            "GET",
            "/v1/console/accounts",
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    let names: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["North Co"]);
    let searched = w
        .call(
            "GET",
            "/v1/console/accounts?email=south@example.com",
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    assert_eq!(searched.body["items"], json!([]));
    let other_group = w
        .call(
            "GET",
            "/v1/console/accounts?group=south",
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    assert_eq!(other_group.status, StatusCode::NOT_FOUND);
    let blue_list = w
        .call(
            "GET",
            "/v1/console/accounts",
            "bluewave",
            Auth::Bearer(&blue_boss),
            None,
        )
        .await;
    let names: Vec<&str> = blue_list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Blue Co"]);

    // A cursor from one list does not page another.
}

#[tokio::test]
async fn a_cursor_from_one_tenants_list_does_not_page_another() {
    let Neighbours {
        w,
        acme_boss,
        blue_boss,
        ..
    } = neighbours().await;
    // A cursor from one list does not page another.
    let page = w
        .call(
            "GET",
            "/v1/console/accounts?limit=1",
            "acme",
            Auth::Bearer(&acme_boss),
            None,
        )
        .await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let forged = w
        .call(
            "GET",
            &format!("/v1/console/accounts?limit=1&cursor={cursor}"),
            "bluewave",
            Auth::Bearer(&blue_boss),
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(forged.body["type"], "/problems/invalid-cursor");

    // A session answers under its own tenant's host or header only.
}

#[tokio::test]
async fn a_session_does_not_answer_under_another_tenant() {
    let Neighbours { w, northie, .. } = neighbours().await;
    // A session answers under its own tenant's host or header only.
    let me = w
        .call(
            "GET",
            "/v1/portal/account",
            "bluewave",
            Auth::Bearer(&northie),
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.text);
    // The portal names no account: an end user reaches another account's logins by no id.
}

#[tokio::test]
async fn an_end_user_reaches_no_other_accounts_logins_by_any_id() {
    let Neighbours {
        w,
        northie,
        south_login,
        ..
    } = neighbours().await;
    // The portal names no account: an end user reaches another account's logins by no id.
    for (method, body) in [
        (
            "PATCH",
            Some(json!({"role": "read_only", "allow_orders": false})),
        ),
        ("DELETE", None),
    ] {
        let path = format!("/v1/portal/logins/{}", south_login.id);
        let reply = w
            .call(method, &path, "acme", Auth::Bearer(&northie), body)
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    // Staff and end users stay on their own side.
}

#[tokio::test]
async fn staff_and_end_users_stay_on_their_own_side() {
    let Neighbours {
        w,
        acme_boss,
        northie,
        ..
    } = neighbours().await;
    // Staff and end users stay on their own side.
    let staff_on_portal = w
        .call(
            "GET",
            "/v1/portal/me",
            "acme",
            Auth::Bearer(&acme_boss),
            None,
        )
        .await;
    assert_eq!(staff_on_portal.body["type"], "/problems/portal-only");
    let user_on_console = w
        .call(
            "GET",
            "/v1/console/accounts",
            "acme",
            Auth::Bearer(&northie),
            None,
        )
        .await;
    assert_eq!(user_on_console.body["type"], "/problems/console-only");
    // A group-limited staff member grants nothing beyond their own.
}

#[tokio::test]
async fn a_group_limited_staff_member_grants_nothing_beyond_their_own() {
    let Neighbours { w, nora, .. } = neighbours().await;
    // A group-limited staff member grants nothing beyond their own.
    let escalate = w
        .call(
            "POST",
            "/v1/console/staff",
            "acme",
            Auth::Bearer(&nora),
            Some(json!({"email": "x@acme.example", "name": "X", "permissions": ["staff_manage"]})),
        )
        .await;
    assert_eq!(escalate.status, StatusCode::FORBIDDEN);
    // Staff endpoints take ids of the caller's tenant's staff only; an end user's login id,
}

#[tokio::test]
async fn staff_endpoints_take_only_the_callers_tenants_staff() {
    let Neighbours {
        w,
        acme_boss,
        blue_boss,
        north_login,
        ..
    } = neighbours().await;
    // Staff endpoints take ids of the caller's tenant's staff only; an end user's login id,
    // or another tenant's staff member, is not found.
    let acme_staff = w
        .call(
            "GET",
            "/v1/console/staff",
            "acme",
            Auth::Bearer(&acme_boss),
            None,
        )
        .await;
    let nora_id = acme_staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["username"] == "nora")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (token, tenant, login) in [
        (&blue_boss, "bluewave", nora_id.clone()),
        (&acme_boss, "acme", north_login.id.to_string()),
    ] {
        for (method, path, body) in [
            (
                "PATCH",
                format!("/v1/console/staff/{login}"),
                Some(json!({"permissions": []})),
            ),
            ("DELETE", format!("/v1/console/staff/{login}"), None),
            ("POST", format!("/v1/console/staff/{login}/unlock"), None),
        ] {
            let reply = w
                .call(method, &path, tenant, Auth::Bearer(token), body)
                .await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                reply.text
            );
        }
    }
    let blue_staff = w
        .call(
            "GET",
            "/v1/console/staff",
            "bluewave",
            Auth::Bearer(&blue_boss),
            None,
        )
        .await;
    let names: Vec<&str> = blue_staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["boss"]);
    // Tenant-wide views are the caller's tenant's, and closed to group-limited staff.
}

#[tokio::test]
async fn tenant_wide_views_are_the_callers_tenants_and_closed_to_group_limited_staff() {
    let Neighbours {
        w,
        acme_boss,
        blue_boss,
        nora,
        ..
    } = neighbours().await;
    // Tenant-wide views are the caller's tenant's, and closed to group-limited staff.
    let blue_trail = w
        .call(
            "GET",
            "/v1/console/audit",
            "bluewave",
            Auth::Bearer(&blue_boss),
            None,
        )
        .await;
    assert_eq!(
        blue_trail.body["items"],
        json!([]),
        "acme's actions stay in acme's trail"
    );
    for path in [
        "/v1/console/audit",
        "/v1/console/reports/locked-out-users",
        "/v1/console/settings/access",
        "/v1/console/staff",
    ] {
        let reply = w.call("GET", path, "acme", Auth::Bearer(&nora), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    let settings = w
        .call(
            "PUT",
            "/v1/console/settings/access",
            "bluewave",
            Auth::Bearer(&blue_boss),
            Some(json!({"lockout_threshold": 3})),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let acme_settings = w
        .call(
            "GET",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&acme_boss),
            None,
        )
        .await;
    assert_eq!(acme_settings.body["lockout_threshold"], 5);
    // One tenant's one-time link means nothing to another.
}

#[tokio::test]
async fn one_tenants_one_time_link_means_nothing_to_another() {
    let Neighbours {
        w,
        blue_boss,
        theirs,
        ..
    } = neighbours().await;
    // One tenant's one-time link means nothing to another.
    let send = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{theirs}/portal-access/create-email"),
            "bluewave",
            Auth::Bearer(&blue_boss),
            None,
        )
        .await;
    assert_eq!(
        send.status,
        StatusCode::CONFLICT,
        "Blue Co already has its owner: {}",
        send.text
    );
    w.call(
        "POST",
        "/v1/auth/forgot-password",
        "bluewave",
        Auth::None,
        Some(json!({"username": "bluey"})),
    )
    .await;
    w.deliver_changes("test").await;
    let blue_reset = w.link_token("blue@example.com", "password-reset").await;
    let crossed = w
        .call(
            "POST",
            "/v1/auth/links/inspect",
            "acme",
            Auth::None,
            Some(json!({"token": blue_reset})),
        )
        .await;
    assert_eq!(crossed.body["next"], "sign_in");
    let crossed = w
        .call(
            "POST",
            "/v1/auth/reset-password",
            "acme",
            Auth::None,
            Some(json!({"token": blue_reset, "password": "taken over from acme"})),
        )
        .await;
    assert_eq!(crossed.status, StatusCode::GONE);
    // A made-up token, and no token at all.
}

#[tokio::test]
async fn a_made_up_token_or_none_is_unauthenticated() {
    let Neighbours { w, .. } = neighbours().await;
    // A made-up token, and no token at all.
    for auth in [
        Auth::Bearer("01ARZ3NDEKTSV4RRFFQ69G5FAV.made-up"),
        Auth::Bearer("junk"),
        Auth::None,
    ] {
        let reply = w.call("GET", "/v1/portal/me", "acme", auth, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn one_search_box_finds_an_account_by_name_anywhere_number_email_or_phone_and_nothing_else() {
    let Neighbours {
        w,
        acme_boss,
        blue_boss,
        nora,
        north,
        theirs,
        ..
    } = neighbours().await;
    let theirs_id = theirs.clone();
    let acme = w.platform.tenants().by_slug("acme").await.unwrap();
    let north_id: selfcare::ids::AccountId = north.parse().unwrap();
    let number = w
        .platform
        .accounts()
        .update(
            &acme,
            &north_id,
            selfcare::domain::accounts::AccountChanges {
                phones: Some(vec!["+61 2 5550 1234".into()]),
                ..Default::default()
            },
            None,
            &selfcare::store::Stamp::none(),
        )
        .await
        .unwrap()
        .number;
    let search = |q: String, tenant: &'static str, token: String| {
        let w = &w;
        async move {
            let reply = w
                .call(
                    "GET",
                    &format!(
                        "/v1/console/accounts?q={}",
                        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                    ),
                    tenant,
                    Auth::Bearer(&token),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{q}: {}", reply.text);
            reply.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    for q in [
        "rth c".to_owned(),
        number.clone(),
        "NORTH@example.com".to_owned(),
        "(02) 5550 1234".to_owned(),
        "+61255501234".to_owned(),
    ] {
        assert_eq!(
            search(q.clone(), "acme", acme_boss.clone()).await,
            ["North Co"],
            "{q}"
        );
    }
    assert_eq!(
        search("Co".into(), "acme", acme_boss.clone()).await,
        ["North Co", "South Co"]
    );
    // Staff of one group find nothing of another; another provider nothing of acme's.
    assert_eq!(
        search("South".into(), "acme", nora.clone()).await,
        Vec::<String>::new()
    );
    // Nor the audit trail of an account outside Nora's groups, or of another provider's.
    let south = w
        .platform
        .accounts()
        .search(
            &acme.id,
            &selfcare::domain::accounts::AccountSearch::Email("south@example.com".into()),
            &Default::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    for (account, token) in [(south.to_string(), &nora), (theirs_id.clone(), &acme_boss)] {
        let trail = w
            .call(
                "GET",
                &format!("/v1/console/audit?account={account}"),
                "acme",
                Auth::Bearer(token),
                None,
            )
            .await;
        assert_eq!(trail.status, StatusCode::NOT_FOUND, "{}", trail.text);
    }
    // Limited to one group, the hidden accounts are not counted either: a page of one is
    // the visible account, and where a page stopped says nothing of the others.
    let one = w
        .call(
            "GET",
            "/v1/console/accounts?q=co&limit=1",
            "acme",
            Auth::Bearer(&nora),
            None,
        )
        .await;
    assert_eq!(one.body["items"][0]["name"], "North Co", "{}", one.text);
    if let Some(cursor) = one.body["next_cursor"].as_str() {
        let shown = String::from_utf8_lossy(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, cursor)
                .unwrap_or_default(),
        )
        .to_lowercase();
        assert!(!shown.contains("south"), "{shown}");
    }
    assert_eq!(
        search("000000".into(), "acme", acme_boss.clone()).await,
        Vec::<String>::new(),
        "zeros are no phone number"
    );
    assert_eq!(
        search("Co".into(), "bluewave", blue_boss.clone()).await,
        ["Blue Co"]
    );
    assert_eq!(
        search("5550 1234".into(), "bluewave", blue_boss).await,
        Vec::<String>::new()
    );
    let empty = w
        .call(
            "GET",
            "/v1/console/accounts?q=%20",
            "acme",
            Auth::Bearer(&acme_boss),
            None,
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}
