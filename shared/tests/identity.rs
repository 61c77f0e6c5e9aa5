//! Identity and access through the HTTP API, as a portal site, the console and an API
//! client would use it: the credential lifecycle from the email on, lock-out, sessions and
//! CSRF, impersonation, and isolation between tenants, accounts and account groups.

use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use selfcare::ports::Clock;
use serde_json::{Value as Json, json};
use std::sync::Arc;

use crate::common::*;

#[tokio::test]
async fn the_whole_credential_lifecycle_works_through_http() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let staff = w.token("acme", "boss", STAFF_PASSWORD).await;

    // Staff open an account; the tenant sends credential-create email on new accounts.
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
    let panel = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(panel.body["state"], "invited");
    assert_eq!(panel.body["offers"], json!(["send_create_email"]));

    // The email's link opens the create form, in the tenant's name.
    let mail = w.mail("jo@example.com", "credential-create").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Subject: Set up your acme Telecom portal access"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("text/html"));
    let link = w.link_token("jo@example.com", "credential-create").await;
    let inspected = w
        .call(
            "POST",
            "/v1/auth/links/inspect",
            "acme",
            Auth::None,
            Some(json!({"token": link})),
        )
        .await;
    assert_eq!(inspected.body["next"], "create");
    assert_eq!(inspected.body["name"], "Jo Bloggs");

    // A common password is refused, and the link stays usable.
    let weak = w
        .call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "jo", "password": "password123456"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.body["errors"][0]["field"], "/password");
    // A staff member's username is taken.
    let taken = w
        .call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "BOSS", "password": "a long and quiet river"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["type"], "/problems/username-taken");
    let chosen = w
        .call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "Jo", "password": "a long and quiet river"})),
        )
        .await;
    assert_eq!(chosen.status, StatusCode::CREATED, "{}", chosen.text);
    assert_eq!(chosen.body["username"], "jo");

    // Used once, the link leads to the sign-in page and cannot be used again.
    let again = w
        .call(
            "POST",
            "/v1/auth/links/inspect",
            "acme",
            Auth::None,
            Some(json!({"token": link})),
        )
        .await;
    assert_eq!(again.body["next"], "sign_in");
    let reuse = w
        .call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "jo2", "password": "another long password"})),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::GONE);
    assert_eq!(reuse.body["type"], "/problems/link-unusable");

    // Jo signs in and sees the account.
    let jo = w.token("acme", "jo", "a long and quiet river").await;
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&jo), None)
        .await;
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
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(panel.body["state"], "active");
    assert_eq!(panel.body["owner"]["username"], "jo");

    // Forgot password: the same answer and the same work for a stranger and for Jo;
    // only Jo gets mail.
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
    let inspected = w
        .call(
            "POST",
            "/v1/auth/links/inspect",
            "acme",
            Auth::None,
            Some(json!({"token": reset})),
        )
        .await;
    assert_eq!(inspected.body["next"], "reset");
    assert_eq!(inspected.body["username"], "jo");
    let done = w
        .call(
            "POST",
            "/v1/auth/reset-password",
            "acme",
            Auth::None,
            Some(json!({"token": reset, "password": "a new and longer river"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);

    // The old session has ended; the old password fails; the new one works.
    let old = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&jo), None)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(old.body["type"], "/problems/unauthenticated");
    let wrong = w.sign_in("acme", "jo", "a long and quiet river").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let jo = w.token("acme", "jo", "a new and longer river").await;
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&jo), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // The reset link is spent too.
    let reuse = w
        .call(
            "POST",
            "/v1/auth/reset-password",
            "acme",
            Auth::None,
            Some(json!({"token": reset, "password": "yet another river bank"})),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::GONE);

    // Sign-out ends the session.
    let out = w
        .call("POST", "/v1/auth/sign-out", "acme", Auth::Bearer(&jo), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&jo), None)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_login_locks_after_five_failures_and_its_owner_or_staff_unlock_it() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "sam",
            "sam's long password",
        )
        .await
        .unwrap();

    // A name no login has is answered the same way, attempt for attempt: the answers
    // tell a stranger nothing about which usernames exist.
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
    // Locked: even the right password is refused, and guessing stops.
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

    // The Locked Out Users report lists Sam, as JSON and as CSV.
    let staff = w.token("acme", "boss", STAFF_PASSWORD).await;
    let report = w
        .call(
            "GET",
            "/v1/console/reports/locked-out-users",
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let items = report.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["username"], "sam");
    assert_eq!(items[0]["failed_attempts"], 5);
    assert_eq!(items[0]["last_failed_from"], "unknown");
    let csv = w
        .call(
            "GET",
            "/v1/console/reports/locked-out-users?format=csv",
            "acme",
            Auth::Bearer(&staff),
            None,
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
    let panel = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(panel.body["state"], "locked");
    let login = panel.body["owner"]["id"].as_str().unwrap().to_owned();

    // Staff unlock; Sam signs in; the report is empty and the unlock is audited.
    w.clock.advance(time::Duration::seconds(1));
    let unlocked = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{account}/logins/{login}/unlock"),
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.text);
    assert_eq!(unlocked.body["locked"], false);
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::OK
    );
    let report = w
        .call(
            "GET",
            "/v1/console/reports/locked-out-users",
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(report.body["items"], json!([]));
    let trail = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/audit"),
            "acme",
            Auth::Bearer(&staff),
            None,
        )
        .await;
    assert_eq!(trail.body["items"][0]["action"], "login.unlocked");
    assert_eq!(trail.body["items"][0]["actor_username"], "boss");

    // Locked again by a stranger: the notice's link lets Sam back in without staff, once.
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
    // Another provider's address does not take it.
    w.tenant("bluewave").await;
    let crossed = w
        .call(
            "POST",
            "/v1/auth/unlock",
            "bluewave",
            Auth::None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(crossed.status, StatusCode::GONE);
    let unlocked = w
        .call(
            "POST",
            "/v1/auth/unlock",
            "acme",
            Auth::None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.text);
    assert_eq!(unlocked.body["username"], "sam");
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::OK
    );
    let again = w
        .call(
            "POST",
            "/v1/auth/unlock",
            "acme",
            Auth::None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE, "the link works once");
}

#[tokio::test]
async fn cookie_sessions_are_host_only_and_changes_need_the_csrf_token() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "sam",
            "sam's long password",
        )
        .await
        .unwrap();
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
    assert!(
        signed_in.body.get("token").is_none(),
        "the cookie's token never reaches script"
    );
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "__Host-selfcare_session=",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let token = cookie
        .trim_start_matches("__Host-selfcare_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = signed_in.body["csrf_token"].as_str().unwrap().to_owned();

    let read = w
        .call(
            "GET",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, None),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let forged = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, None),
            Some(json!({"name": "Forged Name"})),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.body["type"], "/problems/csrf-token-missing");
    let wrong = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, Some("not-the-token")),
            Some(json!({"name": "Forged Name"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let changed = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, Some(&csrf)),
            Some(json!({"name": "Sam Lee-Smith"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["name"], "Sam Lee-Smith");
    // Fields the provider sets are not the customer's to change.
    let group = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, Some(&csrf)),
            Some(json!({"group": "vip"})),
        )
        .await;
    assert_eq!(group.status, StatusCode::FORBIDDEN);
    assert_eq!(group.body["type"], "/problems/field-not-editable");
    // Bad input is a problem, and loses nothing.
    let bad = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, Some(&csrf)),
            Some(json!({"emails": ["not an address"]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "/emails/0");
    let read = w
        .call(
            "GET",
            "/v1/portal/account",
            "acme",
            Auth::Cookie(&token, None),
            None,
        )
        .await;
    assert_eq!(read.body["emails"], json!(["sam@example.com"]));
    assert_eq!(read.body["name"], "Sam Lee-Smith");
}

#[tokio::test]
async fn an_authenticated_read_costs_four_round_trips() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "sam",
            "sam's long password",
        )
        .await
        .unwrap();
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
    let sam = w
        .platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "sam",
            "sam's long password",
        )
        .await
        .unwrap();
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
async fn nobody_reaches_another_tenants_another_accounts_or_another_groups_data() {
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
    let identity = w.platform.identity();
    let north_login = identity
        .credentials
        .create_owner_with_password(
            &acme.id,
            &north.parse().unwrap(),
            "northie",
            "north's long password",
        )
        .await
        .unwrap();
    let south_login = identity
        .credentials
        .create_owner_with_password(
            &acme.id,
            &south.parse().unwrap(),
            "southie",
            "south's long password",
        )
        .await
        .unwrap();
    let blue_login = identity
        .credentials
        .create_owner_with_password(
            &blue.id,
            &theirs.parse().unwrap(),
            "bluey",
            "blue's long password",
        )
        .await
        .unwrap();
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
async fn an_owner_adds_limits_and_removes_the_accounts_other_logins() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w
        .account(&acme, "Fitzroy Bakery", "hello@bakery.example", None)
        .await;
    w.platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "owner",
            "the owner's long password",
        )
        .await
        .unwrap();
    let owner = w.token("acme", "owner", "the owner's long password").await;
    let invited = w
        .call(
            "POST",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&owner),
            Some(json!({"email": "books@bakery.example", "name": "Bea Books", "role": "billing", "language": "fr"})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let mail = w.mail("books@bakery.example", "credential-create").await;
    assert!(
        mail[0].contains("Bonjour Bea Books"),
        "mail in the login's language: {}",
        mail[0]
    );
    let link = w
        .link_token("books@bakery.example", "credential-create")
        .await;
    let made = w
        .call(
            "POST",
            "/v1/auth/credentials",
            "acme",
            Auth::None,
            Some(json!({"token": link, "username": "bea", "password": "bea keeps the books"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let bea_id = made.body["login"].as_str().unwrap().to_owned();
    let bea = w.token("acme", "bea", "bea keeps the books").await;
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&bea), None)
        .await;
    assert_eq!(me.body["role"], "billing");
    assert_eq!(me.body["language"], "fr");
    assert_eq!(me.body["allow_orders"], false);
    assert!(
        !me.body["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("orders_create"))
    );
    // Bea is not the owner: she cannot manage logins.
    let refused = w
        .call("GET", "/v1/portal/logins", "acme", Auth::Bearer(&bea), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "/problems/action-not-allowed");

    // The owner makes Bea read-only: her session ends, and her next one is read-only.
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
        w.call("GET", "/v1/portal/me", "acme", Auth::Bearer(&bea), None)
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

    // Removed, Bea's username is free and her session is over.
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
        w.call("GET", "/v1/portal/me", "acme", Auth::Bearer(&bea), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let logins = w
        .call(
            "GET",
            "/v1/portal/logins",
            "acme",
            Auth::Bearer(&owner),
            None,
        )
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
async fn the_readmes_demo_logins_sign_in_and_seeding_twice_adds_nothing() {
    let w = World::new().await;
    selfcare::demo::seed(&w.platform).await.unwrap();
    assert_eq!(selfcare::demo::seed(&w.platform).await.unwrap(), 0);
    let jo = w
        .token("acme", "jo", selfcare::demo::DEMO_PORTAL_PASSWORD)
        .await;
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&jo), None)
        .await;
    assert_eq!(me.body["account"]["number"], "100001");
    assert_eq!(me.body["provider"], "Acme Telecom");
    // Jo can order numbers from Acme's inventory (seeded once: 8 standard, 1 gold).
    let numbers = w
        .call(
            "GET",
            "/v1/portal/numbers?area=02&limit=50",
            "acme",
            Auth::Bearer(&jo),
            None,
        )
        .await;
    assert_eq!(
        numbers.body["items"].as_array().map(Vec::len),
        Some(9),
        "{}",
        numbers.text
    );
    assert_eq!(
        w.sign_in("bluewave", "sam", selfcare::demo::DEMO_PORTAL_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    for tenant in ["wholesale", "acme", "bluewave"] {
        let admin = w
            .token(tenant, "admin", selfcare::demo::DEMO_STAFF_PASSWORD)
            .await;
        let me = w
            .call("GET", "/v1/console/me", tenant, Auth::Bearer(&admin), None)
            .await;
        assert_eq!(me.status, StatusCode::OK, "{tenant}: {}", me.text);
    }
    // Acme's second account has no login, to try the credential-create email on.
    let admin = w
        .token("acme", "admin", selfcare::demo::DEMO_STAFF_PASSWORD)
        .await;
    let found = w
        .call(
            "GET",
            "/v1/console/accounts?number=100002",
            "acme",
            Auth::Bearer(&admin),
            None,
        )
        .await;
    let account = found.body["items"][0]["id"].as_str().unwrap().to_owned();
    let panel = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/portal-access"),
            "acme",
            Auth::Bearer(&admin),
            None,
        )
        .await;
    assert_eq!(panel.body["state"], "no_username");
}

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

#[tokio::test]
async fn a_providers_own_domain_finds_its_portal_and_no_other_provider_can_take_it() {
    use selfcare::domain::tenancy::TenantError;
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let bluewave = w.tenant("bluewave").await;
    let tenants = w.platform.tenants();
    let mapped = tenants
        .set_custom_domain(&acme.id, Some("Portal.Acme.example."))
        .await
        .unwrap();
    assert_eq!(mapped.custom_domain.as_deref(), Some("portal.acme.example"));
    assert!(matches!(
        tenants
            .set_custom_domain(&bluewave.id, Some("portal.acme.example"))
            .await,
        Err(TenantError::DomainTaken(_))
    ));
    assert!(matches!(
        tenants
            .set_custom_domain(&bluewave.id, Some("not a host"))
            .await,
        Err(TenantError::Invalid(_))
    ));

    // A sign-in page on the provider's own domain names no tenant: the host does.
    let on_host = |host: &'static str| {
        let app = w.app.clone();
        async move {
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/v1/auth/links/inspect")
                .header("host", host)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(r#"{"token":"nothing"}"#))
                .unwrap();
            tower::ServiceExt::oneshot(app, request)
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(on_host("portal.acme.example").await, StatusCode::OK);
    assert_eq!(
        on_host("portal.unknown.example").await,
        StatusCode::NOT_FOUND
    );

    // Moving to another domain frees the first.
    tenants
        .set_custom_domain(&acme.id, Some("my.acme.example"))
        .await
        .unwrap();
    assert_eq!(on_host("portal.acme.example").await, StatusCode::NOT_FOUND);
    assert_eq!(on_host("my.acme.example").await, StatusCode::OK);
    let taken = tenants
        .set_custom_domain(&bluewave.id, Some("portal.acme.example"))
        .await
        .unwrap();
    assert_eq!(taken.custom_domain.as_deref(), Some("portal.acme.example"));
    tenants.set_custom_domain(&acme.id, None).await.unwrap();
    assert_eq!(on_host("my.acme.example").await, StatusCode::NOT_FOUND);
}

/// Finds a staff member's login id in the console's staff list.
async fn staff_id(w: &World, token: &str, username: &str) -> String {
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
    assert_eq!(boss_now.body["permissions"].as_array().unwrap().len(), 11);

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
async fn a_session_answers_only_under_its_own_providers_address() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.tenant("bluewave").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "sam",
            "sam's long password",
        )
        .await
        .unwrap();
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

#[tokio::test]
async fn stored_settings_with_fields_this_version_does_not_know_still_read() {
    use selfcare::ports::table::{Key, Value};
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    // A newer version stored a field this one does not know, then was rolled back.
    for (sk, attribute, json) in [
        (
            "SETTINGS#ACCESS",
            "settings",
            r#"{"lockout_threshold": 7, "from_the_future": true}"#,
        ),
        (
            "SETTINGS#BRANDING",
            "branding",
            r##"{"brand_colour": "#0b5cad", "from_the_future": 1}"##,
        ),
    ] {
        let key = Key::new(format!("TENANT#{}", acme.id), sk);
        let mut item = w
            .platform
            .table
            .get(&key)
            .await
            .unwrap()
            .unwrap_or_default();
        item.insert("pk".into(), Value::S(key.pk.clone()));
        item.insert("sk".into(), Value::S(key.sk.clone()));
        item.insert(attribute.into(), Value::S(json.into()));
        w.platform.table.put(item, None).await.unwrap();
    }
    w.token("acme", "boss", STAFF_PASSWORD).await;
    let settings = w
        .call(
            "GET",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    assert_eq!(settings.body["lockout_threshold"], 7);
    let branding = w
        .call("GET", "/v1/branding", "acme", Auth::None, None)
        .await;
    assert_eq!(
        branding.body["brand_colour"], "#0b5cad",
        "{}",
        branding.text
    );
    // What clients send stays strict.
    let unknown = w
        .call(
            "PUT",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"lockout_threshold": 5, "lockout_threshhold": 9})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    assert_eq!(unknown.body["type"], "/problems/malformed-body");
    assert!(
        unknown.text.contains("lockout_threshhold"),
        "{}",
        unknown.text
    );
}

/// The id of an account's owner login, from the console's portal-access panel.
async fn owner_login(w: &World, staff: &str, account: &str) -> String {
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
async fn me(w: &World, token: &str) -> StatusCode {
    w.call("GET", "/v1/portal/me", "acme", Auth::Bearer(token), None)
        .await
        .status
}

/// Signs up Sam, owner of an account of acme, and Boss, staff with every permission.
async fn sam_and_boss(w: &World) -> (String, String) {
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.platform
        .identity()
        .credentials
        .create_owner_with_password(
            &acme.id,
            &account.parse().unwrap(),
            "sam",
            "sam's long password",
        )
        .await
        .unwrap();
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    (account, boss)
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
async fn an_inactive_accounts_logins_are_signed_out_and_cannot_sign_in_or_be_impersonated() {
    let w = World::new().await;
    let (account, boss) = sam_and_boss(&w).await;
    let sam = w.token("acme", "sam", "sam's long password").await;
    let console = |method: &'static str, path: String, body: Option<Json>| {
        let boss = boss.clone();
        let w = &w;
        async move {
            w.call(method, &path, "acme", Auth::Bearer(&boss), body)
                .await
        }
    };
    let closed = console(
        "POST",
        format!("/v1/console/accounts/{account}/deactivate"),
        None,
    )
    .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&sam), None)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "signed out at once");
    // A stranger learns nothing; Sam, with the right password, is told why.
    let wrong = w.sign_in("acme", "sam", "not sam's password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = w.sign_in("acme", "sam", "sam's long password").await;
    assert_eq!(right.status, StatusCode::FORBIDDEN, "{}", right.text);
    assert_eq!(right.body["type"], "/problems/account-inactive");
    let panel = console(
        "GET",
        format!("/v1/console/accounts/{account}/portal-access"),
        None,
    )
    .await;
    let login = panel.body["owner"]["id"].as_str().unwrap().to_owned();
    let impersonate = console(
        "POST",
        format!("/v1/console/accounts/{account}/logins/{login}/impersonate"),
        Some(json!({"read_only": true})),
    )
    .await;
    assert_eq!(
        impersonate.status,
        StatusCode::FORBIDDEN,
        "{}",
        impersonate.text
    );
    // Active again: Sam signs in.
    console(
        "POST",
        format!("/v1/console/accounts/{account}/reactivate"),
        None,
    )
    .await;
    assert_eq!(
        w.sign_in("acme", "sam", "sam's long password").await.status,
        StatusCode::OK
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
async fn an_accounts_kind_never_changes_and_deleting_one_says_what_to_do_instead() {
    let w = World::new().await;
    let (account, boss) = sam_and_boss(&w).await;
    let path = format!("/v1/console/accounts/{account}");
    let agent = w
        .call(
            "PATCH",
            &path,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"kind": "agent", "name": "Sam Lee Agency"})),
        )
        .await;
    assert_eq!(
        agent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        agent.text
    );
    assert_eq!(agent.body["type"], "/problems/kind-immutable");
    assert_eq!(agent.body["errors"][0]["field"], "/kind");
    assert!(agent.body["detail"].as_str().unwrap().contains("end-user"));
    // The whole account sent back, its own kind included, is fine; nothing was lost.
    let same = w
        .call(
            "PATCH",
            &path,
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"kind": "end_user", "name": "Sam Lee"})),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);
    assert_eq!(same.body["name"], "Sam Lee");

    let delete = w
        .call("DELETE", &path, "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(
        delete.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        delete.text
    );
    assert_eq!(delete.body["type"], "/problems/deletion-refused");
    assert!(
        delete.body["detail"]
            .as_str()
            .unwrap()
            .contains("make it inactive"),
        "{}",
        delete.text
    );
    // Another provider's staff, or an unknown account, find nothing to refuse.
    let bluewave = w.tenant("bluewave").await;
    w.staff(&bluewave, "rival", ALL).await;
    let rival = w.token("bluewave", "rival", STAFF_PASSWORD).await;
    let theirs = w
        .call("DELETE", &path, "bluewave", Auth::Bearer(&rival), None)
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
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

#[tokio::test]
async fn staff_define_the_attributes_accounts_carry_and_accounts_follow_them() {
    let w = World::new().await;
    let (account, boss) = sam_and_boss(&w).await;
    let call = |method: &'static str, path: &'static str, body: Option<Json>| {
        let (w, boss) = (&w, boss.clone());
        async move {
            w.call(method, path, "acme", Auth::Bearer(&boss), body)
                .await
        }
    };
    let none = call("GET", "/v1/console/settings/account-attributes", None).await;
    assert_eq!(none.body, json!([]));
    let set = call(
        "PUT",
        "/v1/console/settings/account-attributes",
        Some(json!([
            {"name": "region", "default": "north", "required": true},
            {"name": "contract_no"}
        ])),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let bad = call(
        "PUT",
        "/v1/console/settings/account-attributes",
        Some(json!([{"name": "sales region"}, {"name": "a"}, {"name": "a"}])),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/0/name", "/2/name"]);
    // A new account gets the default; an attribute the provider has not defined is refused.
    let opened = call(
        "POST",
        "/v1/console/accounts",
        Some(json!({"kind": "end_user", "name": "Kim Park", "emails": ["kim@example.com"]})),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    assert_eq!(opened.body["attributes"]["region"], "north");
    let unknown = w
        .call(
            "PATCH",
            &format!("/v1/console/accounts/{account}"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"attributes": {"colour": "blue"}})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["errors"][0]["field"], "/attributes/colour");
    // Another provider's staff see their own provider's (none); staff without the
    // settings permission see nothing.
    let bluewave = w.tenant("bluewave").await;
    w.staff(&bluewave, "rival", ALL).await;
    let rival = w.token("bluewave", "rival", STAFF_PASSWORD).await;
    let theirs = w
        .call(
            "GET",
            "/v1/console/settings/account-attributes",
            "bluewave",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(theirs.body, json!([]));
    // Staff who read accounts read the attributes (their forms show them) but cannot
    // change them; staff who do neither see nothing.
    let acme = w.platform.tenants().by_slug("acme").await.unwrap();
    w.staff(&acme, "clerk", &[Permission::AccountsRead]).await;
    w.staff(&acme, "auditor", &[Permission::AuditView]).await;
    let clerk = w.token("acme", "clerk", STAFF_PASSWORD).await;
    let auditor = w.token("acme", "auditor", STAFF_PASSWORD).await;
    let path = "/v1/console/settings/account-attributes";
    let read = w
        .call("GET", path, "acme", Auth::Bearer(&clerk), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body[0]["name"], "region");
    let change = w
        .call("PUT", path, "acme", Auth::Bearer(&clerk), Some(json!([])))
        .await;
    assert_eq!(change.status, StatusCode::FORBIDDEN);
    let refused = w
        .call("GET", path, "acme", Auth::Bearer(&auditor), None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_wholesaler_lists_its_retailers_and_nobody_elses() {
    use selfcare::domain::tenancy::{NewTenant, TenantKind};
    let w = World::new().await;
    let tenants = w.platform.tenants();
    let new = |kind, slug: &str, wholesaler| NewTenant {
        kind,
        name: format!("{slug} Networks"),
        slug: slug.into(),
        wholesaler,
    };
    let wholesale = tenants
        .create(new(TenantKind::Wholesale, "wholesale", None))
        .await
        .unwrap();
    let other = tenants
        .create(new(TenantKind::Wholesale, "otherwholesale", None))
        .await
        .unwrap();
    for slug in ["acme", "bluewave"] {
        tenants
            .create(new(TenantKind::Retail, slug, Some(wholesale.id)))
            .await
            .unwrap();
    }
    tenants
        .create(new(TenantKind::Retail, "elsewhere", Some(other.id)))
        .await
        .unwrap();
    w.staff(&wholesale, "boss", ALL).await;
    w.staff(&other, "rival", ALL).await;
    let list = |tenant: &'static str, token: String, query: &'static str| {
        let w = &w;
        async move {
            w.call(
                "GET",
                &format!("/v1/console/retailers{query}"),
                tenant,
                Auth::Bearer(&token),
                None,
            )
            .await
        }
    };
    let boss = w.token("wholesale", "boss", STAFF_PASSWORD).await;
    let first = list("wholesale", boss.clone(), "?limit=1").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["items"][0]["status"], "active");
    let first_slug = first.body["items"][0]["slug"].as_str().unwrap().to_owned();
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = w
        .call(
            "GET",
            &format!("/v1/console/retailers?limit=10&cursor={cursor}"),
            "wholesale",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    let mut slugs: Vec<&str> = rest.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["slug"].as_str().unwrap())
        .collect();
    slugs.push(&first_slug);
    slugs.sort();
    assert_eq!(slugs, ["acme", "bluewave"], "each once over the two pages");
    // Another wholesaler sees its own retailer only, and cannot carry this cursor over.
    let rival = w.token("otherwholesale", "rival", STAFF_PASSWORD).await;
    let theirs = list("otherwholesale", rival.clone(), "").await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(theirs.body["items"][0]["slug"], "elsewhere");
    let carried = w
        .call(
            "GET",
            &format!("/v1/console/retailers?cursor={cursor}"),
            "otherwholesale",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(carried.status, StatusCode::BAD_REQUEST);
    assert_eq!(carried.body["type"], "/problems/invalid-cursor");
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
