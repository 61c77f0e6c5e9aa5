//! A provider's own set-up: the demo data, its own domain, settings stored by another version.

use axum::http::StatusCode;
use serde_json::json;

use super::*;

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

#[tokio::test]
async fn behind_the_distribution_a_providers_own_domain_arrives_as_a_header() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    w.tenant("bluewave").await;
    w.platform
        .tenants()
        .set_custom_domain(&acme.id, Some("portal.acme.example"))
        .await
        .unwrap();
    w.staff(&acme, "boss", ALL).await;
    // The host is the API's own (CloudFront sends its origin's); the distribution's
    // function names the viewer's host in x-selfcare-domain.
    let call = |domain: &'static str, slug: Option<&'static str>, body: serde_json::Value| {
        let app = w.app.clone();
        async move {
            let mut request = axum::http::Request::builder()
                .method("POST")
                .uri("/v1/auth/sign-in")
                .header("host", "abc123.execute-api.ap-southeast-2.amazonaws.com")
                .header("x-selfcare-domain", domain)
                .header("content-type", "application/json");
            if let Some(slug) = slug {
                request = request.header("x-selfcare-tenant", slug);
            }
            let request = request
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            tower::ServiceExt::oneshot(app, request)
                .await
                .unwrap()
                .status()
        }
    };
    let boss = json!({"username": "boss", "password": STAFF_PASSWORD, "session": "bearer"});
    assert_eq!(
        call("Portal.Acme.example", None, boss.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        call("portal.unknown.example", None, boss.clone()).await,
        StatusCode::NOT_FOUND
    );
    // A slug names the provider before a domain does: Bluewave has no such login.
    assert_eq!(
        call("portal.acme.example", Some("bluewave"), boss).await,
        StatusCode::UNAUTHORIZED
    );
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
    // A module with no pages yet cannot be offered to customers.
    let desk = w
        .call(
            "PUT",
            "/v1/console/settings/access",
            "acme",
            Auth::Bearer(&boss),
            Some(json!({"modules": ["services", "service_desk"]})),
        )
        .await;
    assert_eq!(
        desk.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        desk.text
    );
    assert_eq!(desk.body["errors"][0]["field"], "/modules");
}
