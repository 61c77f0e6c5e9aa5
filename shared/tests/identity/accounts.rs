//! Accounts as identity sees them: inactive accounts, kinds that never change, attributes, wholesalers.

use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use serde_json::{Value as Json, json};

use super::*;

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
