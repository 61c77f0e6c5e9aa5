//! Two-factor sign-in through the HTTP API, as an authenticator app and a portal site would
//! use it: set-up with a QR code, codes that work once, recovery codes, a tenant that
//! requires it, wrong codes that lock, and staff resetting a lost second factor.

use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use selfcare::domain::tenancy::Tenant;
use selfcare::ports::Clock;
use serde_json::{Value as Json, json};
use totp_rs::{Builder, Secret};

use crate::common::*;

const SAM_PASSWORD: &str = "sam's long password";

/// What the customer's authenticator app shows now for `secret`.
pub(crate) fn app_code(w: &World, secret: &str) -> String {
    Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(w.clock.now().unix_timestamp() as u64)
        .to_string()
}

/// A code the app would not show: the right one with its digits turned.
fn wrong_code(right: &str) -> String {
    right
        .chars()
        .map(|c| char::from_digit((c.to_digit(10).unwrap() + 5) % 10, 10).unwrap())
        .collect()
}

async fn with_sam(w: &World, tenant: &Tenant) -> (String, String) {
    let account = w.account(tenant, "Sam Lee", "sam@example.com", None).await;
    let sam = w
        .platform
        .identity()
        .credentials
        .create_owner_with_password(&tenant.id, &account.parse().unwrap(), "sam", SAM_PASSWORD)
        .await
        .unwrap();
    (account, sam.id.to_string())
}

/// Sets up two-factor sign-in for the holder of `token`; answers the secret and the
/// recovery codes.
pub(crate) async fn turn_on(w: &World, tenant: &str, token: &str) -> (String, Vec<String>) {
    let setup = w
        .call(
            "POST",
            "/v1/auth/two-factor/setup",
            tenant,
            Auth::Bearer(token),
            None,
        )
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    let confirmed = w
        .call(
            "POST",
            "/v1/auth/two-factor/confirm",
            tenant,
            Auth::Bearer(token),
            Some(json!({"code": app_code(w, &secret)})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// The password step; answers the challenge.
async fn challenge(w: &World, tenant: &str, username: &str, password: &str) -> String {
    let reply = w.sign_in(tenant, username, password).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_eq!(reply.body["next"], "second_factor");
    assert!(
        reply.body.get("token").is_none(),
        "no session before the code"
    );
    reply.body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(w: &World, tenant: &str, challenge: &str, proof: Json) -> Reply {
    let mut body = json!({"challenge": challenge, "session": "bearer"});
    body.as_object_mut()
        .unwrap()
        .extend(proof.as_object().unwrap().clone());
    w.call(
        "POST",
        "/v1/auth/sign-in/second-factor",
        tenant,
        Auth::None,
        Some(body),
    )
    .await
}

/// Sam, owner of an account of acme, signed in with the password alone: the world and the
/// session token.
async fn sam_signed_in() -> (World, String) {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    with_sam(&w, &acme).await;
    let token = w.token("acme", "sam", SAM_PASSWORD).await;
    (w, token)
}

/// Sam with two-factor sign-in on, signed in again with a code half a minute later: the
/// world, the secret, the recovery codes and the new session's token.
async fn sam_with_two_factor() -> (World, String, Vec<String>, String) {
    let (w, token) = sam_signed_in().await;
    let (secret, codes) = turn_on(&w, "acme", &token).await;
    w.clock.advance(time::Duration::seconds(30));
    let first = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let signed_in = second_step(&w, "acme", &first, json!({"code": app_code(&w, &secret)})).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let session = signed_in.body["token"].as_str().unwrap().to_owned();
    (w, secret, codes, session)
}

async fn two_factor_status(w: &World, token: &str) -> Reply {
    w.get("/v1/auth/two-factor", "acme", Auth::Bearer(token))
        .await
}

#[tokio::test]
async fn the_set_up_gives_what_an_authenticator_app_scans() {
    let (w, token) = sam_signed_in().await;
    let status = two_factor_status(&w, &token).await;
    assert_eq!(status.body["enabled"], false);
    assert_eq!(status.body["required"], false);
    let setup = w
        .call(
            "POST",
            "/v1/auth/two-factor/setup",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        Secret::try_from_base32(&secret).unwrap().as_bytes().len(),
        20,
        "160 random bits, as RFC 4226 recommends"
    );
    assert_eq!(
        setup.body["otpauth_uri"],
        format!("otpauth://totp/acme%20Telecom:sam?secret={secret}&issuer=acme%20Telecom")
    );
    let svg = setup.body["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
}

#[tokio::test]
async fn only_a_right_code_confirms_the_set_up_which_gives_ten_recovery_codes_and_mail() {
    let (w, token) = sam_signed_in().await;
    let setup = w
        .call(
            "POST",
            "/v1/auth/two-factor/setup",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    let confirm = |code: String| {
        let (w, token) = (&w, &token);
        async move {
            w.call(
                "POST",
                "/v1/auth/two-factor/confirm",
                "acme",
                Auth::Bearer(token),
                Some(json!({ "code": code })),
            )
            .await
        }
    };
    let wrong = confirm(wrong_code(&app_code(&w, &secret))).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["type"], "/problems/validation");
    let confirmed = confirm(app_code(&w, &secret)).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
    );
    assert_eq!(
        codes
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        10
    );
    let notice = w.mail("sam@example.com", "second-factor-changed").await;
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].contains("Two-factor sign-in is now on"),
        "{}",
        notice[0]
    );
    let again = w
        .call(
            "POST",
            "/v1/auth/two-factor/setup",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn with_two_factor_on_the_password_alone_opens_no_session_and_the_confirming_code_is_spent() {
    let (w, token) = sam_signed_in().await;
    let (secret, _) = turn_on(&w, "acme", &token).await;
    // The clock stands still: the app shows the code that confirmed the set-up.
    let confirm_code = app_code(&w, &secret);
    let first = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let replay = second_step(&w, "acme", &first, json!({"code": confirm_code})).await;
    assert_eq!(
        replay.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        replay.text
    );
    w.clock.advance(time::Duration::seconds(30));
    let signed_in = second_step(&w, "acme", &first, json!({"code": app_code(&w, &secret)})).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let session = signed_in.body["token"].as_str().unwrap().to_owned();
    let me = w.get("/v1/portal/me", "acme", Auth::Bearer(&session)).await;
    assert_eq!(me.body["username"], "sam");
}

#[tokio::test]
async fn a_challenge_works_once_and_a_code_once_even_on_a_new_challenge() {
    let (w, token) = sam_signed_in().await;
    let (secret, _) = turn_on(&w, "acme", &token).await;
    w.clock.advance(time::Duration::seconds(30));
    let first = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let code = app_code(&w, &secret);
    let signed_in = second_step(&w, "acme", &first, json!({"code": code})).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let spent = second_step(&w, "acme", &first, json!({"code": code})).await;
    assert_eq!(spent.status, StatusCode::UNAUTHORIZED);
    assert_eq!(spent.body["type"], "/problems/sign-in-challenge-unusable");
    let next = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let reused = second_step(&w, "acme", &next, json!({"code": code})).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_recovery_code_typed_in_capitals_without_its_dash_works_once() {
    let (w, _, codes, session) = sam_with_two_factor().await;
    let next = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let typed = codes[0].replace('-', "").to_uppercase();
    let recovered = second_step(&w, "acme", &next, json!({"recovery_code": typed})).await;
    assert_eq!(recovered.status, StatusCode::OK, "{}", recovered.text);
    let third = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let twice = second_step(&w, "acme", &third, json!({"recovery_code": codes[0]})).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    let status = two_factor_status(&w, &session).await;
    assert_eq!(status.body["enabled"], true);
    assert_eq!(status.body["recovery_codes_left"], 9);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let (w, secret, codes, session) = sam_with_two_factor().await;
    w.clock.advance(time::Duration::seconds(30));
    let renewed = w
        .call(
            "POST",
            "/v1/auth/two-factor/recovery-codes",
            "acme",
            Auth::Bearer(&session),
            Some(json!({"code": app_code(&w, &secret)})),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    let next = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
    let old = second_step(&w, "acme", &next, json!({"recovery_code": codes[1]})).await;
    assert_eq!(old.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fresh = renewed.body["recovery_codes"][0].as_str().unwrap();
    let by_fresh = second_step(&w, "acme", &next, json!({"recovery_code": fresh})).await;
    assert_eq!(by_fresh.status, StatusCode::OK, "{}", by_fresh.text);
}

#[tokio::test]
async fn turning_two_factor_off_takes_the_password_and_a_code_and_mails_the_owner() {
    let (w, secret, _, session) = sam_with_two_factor().await;
    w.clock.advance(time::Duration::seconds(30));
    let disable = |password: &'static str| {
        let (w, session, code) = (&w, &session, app_code(&w, &secret));
        async move {
            w.call(
                "POST",
                "/v1/auth/two-factor/disable",
                "acme",
                Auth::Bearer(session),
                Some(json!({ "password": password, "code": code })),
            )
            .await
        }
    };
    let no_password = disable("not the password at all").await;
    assert_eq!(no_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    let off = disable(SAM_PASSWORD).await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.text);
    let notices = w.mail("sam@example.com", "second-factor-changed").await;
    assert_eq!(notices.len(), 2, "on, then off");
    assert!(
        notices
            .iter()
            .any(|n| n.contains("Two-factor sign-in is now off"))
    );
    let plain = w.sign_in("acme", "sam", SAM_PASSWORD).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
    assert!(plain.body["token"].is_string());
}

#[tokio::test]
async fn a_tenant_that_requires_two_factor_holds_new_sessions_to_the_set_up() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    with_sam(&w, &acme).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let required = w
        .call(
            "PUT",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"two_factor_required_for_end_users": true})),
        )
        .await;
    assert_eq!(required.status, StatusCode::OK, "{}", required.text);

    let signed_in = w.sign_in("acme", "sam", SAM_PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    assert_eq!(signed_in.body["two_factor_enrolment_required"], true);
    let token = signed_in.body["token"].as_str().unwrap().to_owned();
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["two_factor_enrolment_required"], true);
    let held = w
        .call(
            "GET",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(held.status, StatusCode::FORBIDDEN);
    assert_eq!(held.body["type"], "/problems/two-factor-enrolment-required");

    let (secret, _) = turn_on(&w, "acme", &token).await;
    let account = w
        .call(
            "GET",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(account.status, StatusCode::OK, "{}", account.text);
    let status = w
        .call(
            "GET",
            "/v1/auth/two-factor",
            "acme",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(status.body["required"], true);
    w.clock.advance(time::Duration::seconds(30));
    let refused = w
        .call(
            "POST",
            "/v1/auth/two-factor/disable",
            "acme",
            Auth::Bearer(&token),
            Some(json!({"password": SAM_PASSWORD, "code": app_code(&w, &secret)})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Staff are not held: the tenant required it of end users only.
    let console = w
        .call(
            "GET",
            "/v1/console/accounts",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(console.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_codes_lock_the_login_and_staff_reset_a_lost_second_factor() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let bluewave = w.tenant("bluewave").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(&acme, "clerk", &[Permission::AccountsRead]).await;
    w.staff(&acme, "deputy", ALL).await;
    w.staff(&bluewave, "rival", ALL).await;
    let (account, sam) = with_sam(&w, &acme).await;
    let token = w.token("acme", "sam", SAM_PASSWORD).await;
    let (secret, _) = turn_on(&w, "acme", &token).await;

    // Wrong codes count like wrong passwords: the fifth in a row locks the login.
    let wrong = wrong_code(&app_code(&w, &secret));
    let mut last = None;
    for _ in 0..5 {
        let step = challenge(&w, "acme", "sam", SAM_PASSWORD).await;
        last = Some(second_step(&w, "acme", &step, json!({"code": wrong})).await);
    }
    let last = last.unwrap();
    assert_eq!(last.status, StatusCode::LOCKED, "{}", last.text);
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let report = w
        .call(
            "GET",
            "/v1/console/reports/locked-out-users",
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(report.body["items"][0]["username"], "sam");
    let unlock = format!("/v1/console/accounts/{account}/logins/{sam}/unlock");
    let unlocked = w
        .call("POST", &unlock, "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(unlocked.status, StatusCode::OK);

    // A lost phone: staff reset the second factor. Only those who manage logins, only
    // within their own tenant, and never for a login of another account.
    let reset = format!("/v1/console/accounts/{account}/logins/{sam}/two-factor/reset");
    let clerk = w.token("acme", "clerk", STAFF_PASSWORD).await;
    let by_clerk = w
        .call("POST", &reset, "acme", Auth::Bearer(&clerk), None)
        .await;
    assert_eq!(by_clerk.status, StatusCode::FORBIDDEN);
    let rival = w.token("bluewave", "rival", STAFF_PASSWORD).await;
    let by_rival = w
        .call("POST", &reset, "bluewave", Auth::Bearer(&rival), None)
        .await;
    assert_eq!(by_rival.status, StatusCode::NOT_FOUND);
    let other = w.account(&acme, "Kim Park", "kim@example.com", None).await;
    let crossed = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{other}/logins/{sam}/two-factor/reset"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    let as_staff = w
        .call(
            "POST",
            &format!("/v1/console/staff/{sam}/two-factor/reset"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    assert_eq!(
        as_staff.status,
        StatusCode::NOT_FOUND,
        "an end user is no staff member"
    );
    let done = w
        .call("POST", &reset, "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body["two_factor"], false);

    // Sam's sessions ended; Sam is told; the trail shows who did it.
    let old = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&token), None)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let notices = w.mail("sam@example.com", "second-factor-changed").await;
    assert_eq!(notices.len(), 2, "on, then reset");
    assert!(
        notices
            .iter()
            .any(|n| n.contains("reset the two-factor sign-in"))
    );
    let trail = w
        .call(
            "GET",
            &format!("/v1/console/accounts/{account}/audit"),
            "acme",
            Auth::Bearer(&boss),
            None,
        )
        .await;
    let actions: Vec<(&str, &str)> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["action"].as_str().unwrap(),
                i["actor_username"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("two_factor.reset", "boss")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("two_factor.enabled", "sam")),
        "{actions:?}"
    );
    let plain = w.sign_in("acme", "sam", SAM_PASSWORD).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);

    // Staff second factors: another staff member resets one, nobody their own.
    let deputy = w.token("acme", "deputy", STAFF_PASSWORD).await;
    turn_on(&w, "acme", &deputy).await;
    let deputy_id = w
        .call("GET", "/v1/console/me", "acme", Auth::Bearer(&deputy), None)
        .await
        .body["login"]
        .as_str()
        .unwrap()
        .to_owned();
    let staff_reset = format!("/v1/console/staff/{deputy_id}/two-factor/reset");
    let own = w
        .call("POST", &staff_reset, "acme", Auth::Bearer(&deputy), None)
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let by_boss = w
        .call("POST", &staff_reset, "acme", Auth::Bearer(&boss), None)
        .await;
    assert_eq!(by_boss.status, StatusCode::OK, "{}", by_boss.text);
    assert_eq!(by_boss.body["two_factor"], false);
}

#[tokio::test]
async fn an_impersonation_cannot_touch_the_customers_second_factor() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.staff(&acme, "boss", ALL).await;
    let (account, sam) = with_sam(&w, &acme).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let acting = w
        .call(
            "POST",
            &format!("/v1/console/accounts/{account}/logins/{sam}/impersonate"),
            "acme",
            Auth::Bearer(&boss),
            Some(json!({})),
        )
        .await;
    assert_eq!(acting.status, StatusCode::CREATED, "{}", acting.text);
    let token = acting.body["token"].as_str().unwrap();
    let setup = w
        .call(
            "POST",
            "/v1/auth/two-factor/setup",
            "acme",
            Auth::Bearer(token),
            None,
        )
        .await;
    assert_eq!(setup.status, StatusCode::FORBIDDEN);
    assert!(setup.body.get("secret").is_none());
}
