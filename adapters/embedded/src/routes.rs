//! Routes only the local runtime serves: the outbox a person reads the product's mail in,
//! and the downloads behind the embedded blob store's presigned URLs. Never deployed.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::{EmbeddedBlobs, LocalOutbox};
use selfcare::http::problem::Problem;
use selfcare::ports::{BlobKey, Blobs};

#[derive(Deserialize)]
struct Presigned {
    expires: i64,
    signature: String,
}

fn denied() -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "link-expired-or-invalid",
        "This link has expired or is not valid",
    )
    .into_response()
}

async fn download(
    State(buckets): State<Arc<Vec<Arc<EmbeddedBlobs>>>>,
    Path((bucket, key)): Path<(String, String)>,
    Query(link): Query<Presigned>,
) -> Response {
    let Some(blobs) = buckets.iter().find(|b| b.bucket() == bucket) else {
        return denied();
    };
    let Ok(key) = BlobKey::parse(&key) else {
        return denied();
    };
    if !blobs.verify_presigned(&key, link.expires, &link.signature) {
        return denied();
    }
    match blobs.get(&key).await {
        // A file to save, named by its key, as the S3 links ask for.
        Ok(Some(download)) => (
            [
                (header::CONTENT_TYPE, download.info.content_type),
                (header::CONTENT_DISPOSITION, key.attachment()),
            ],
            Body::from_stream(download.body),
        )
            .into_response(),
        Ok(None) => Problem::not_found().into_response(),
        Err(e) => Problem::unavailable(&e).into_response(),
    }
}

/// Serves presigned downloads (GET) and uploads (PUT) for these buckets at
/// `/_local/blobs/{bucket}/{key}`, as S3 serves its presigned URLs.
pub fn blob_downloads(buckets: Vec<Arc<EmbeddedBlobs>>) -> Router {
    Router::new()
        .route("/_local/blobs/{bucket}/{*key}", get(download).put(upload))
        .with_state(Arc::new(buckets))
}

/// Stores the request's body under the key, streamed, when the URL's signature grants it.
async fn upload(
    State(buckets): State<Arc<Vec<Arc<EmbeddedBlobs>>>>,
    Path((bucket, key)): Path<(String, String)>,
    Query(link): Query<Presigned>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let Some(blobs) = buckets.iter().find(|b| b.bucket() == bucket) else {
        return denied();
    };
    let Ok(key) = BlobKey::parse(&key) else {
        return denied();
    };
    if !blobs.verify_presigned_put(&key, link.expires, &link.signature) {
        return denied();
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    use futures::TryStreamExt;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    match blobs.put(&key, Box::pin(stream), &content_type).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => Problem::unavailable(&e).into_response(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn outbox_index(State(outbox): State<Arc<LocalOutbox>>) -> Response {
    let entries = match outbox.entries().await {
        Ok(entries) => entries,
        Err(e) => return Problem::unavailable(&e).into_response(),
    };
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><a href=\"/_local/outbox/{}\">{}</a></td></tr>",
                escape(&e.sent_at),
                escape(&e.to.join(", ")),
                escape(&e.id),
                escape(&e.subject)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Local outbox</title>\
         <style>body{{font-family:system-ui;margin:2rem}}td{{padding:.3rem .8rem}}</style></head>\
         <body><h1>Local outbox</h1><p>{} message(s), newest first. \
         <a href=\"/_local/outbox.json\">JSON</a></p><table><thead><tr><th>Sent</th><th>To</th>\
         <th>Subject</th></tr></thead><tbody>{rows}</tbody></table></body></html>",
        entries.len()
    ))
    .into_response()
}

async fn outbox_json(State(outbox): State<Arc<LocalOutbox>>) -> Response {
    match outbox.entries().await {
        Ok(entries) => axum::Json(entries).into_response(),
        Err(e) => Problem::unavailable(&e).into_response(),
    }
}

async fn outbox_message(
    State(outbox): State<Arc<LocalOutbox>>,
    Path(id): Path<String>,
) -> Response {
    match outbox.raw(&id).await {
        Ok(Some(raw)) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], raw).into_response()
        }
        Ok(None) => Problem::not_found().into_response(),
        Err(e) => Problem::unavailable(&e).into_response(),
    }
}

/// The outbox: `/_local/outbox` (a page), `/_local/outbox.json`, `/_local/outbox/{id}` (raw).
pub fn outbox(outbox: Arc<LocalOutbox>) -> Router {
    Router::new()
        .route("/_local/outbox", get(outbox_index))
        .route("/_local/outbox.json", get(outbox_json))
        .route("/_local/outbox/{id}", get(outbox_message))
        .with_state(outbox)
}

/// The web sites, built by `npm run build` in `web/` into `dir`: the portal's pages at `/`
/// and the console's under `/console/`, each page path answering its site's `index.html`
/// (the site routes in the browser), the built assets under `/assets/`. Paths that are no
/// page of either site stay the API's 404 problem. Without a build, `/` says how to make one.
pub fn web_sites(dir: &std::path::Path, platform: selfcare::platform::Platform) -> Router {
    use tower_http::services::{ServeDir, ServeFile};
    let portal = dir.join("index.html");
    if !portal.exists() {
        return Router::new().route(
            "/",
            get(|| async {
                axum::response::Html(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>selfcare</title>\
                     </head><body><h1>The web sites are not built</h1><p>Run <code>infra/dev.sh</code> \
                     (or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>) and restart. \
                     The API is under <a href=\"/v1/openapi.json\">/v1</a>.</p></body></html>",
                )
            }),
        );
    }
    let console = ServeFile::new(dir.join("console/index.html"));
    let mut router = Router::new()
        .nest_service("/assets", ServeDir::new(dir.join("assets")))
        .route_service("/console", console.clone())
        .route_service("/console/", console.clone())
        .route_service("/console/{*page}", console);
    for page in [
        "/",
        "/services",
        "/services/{service}",
        "/usage",
        "/usage/alerts",
        "/orders",
        "/account",
        "/account/access",
        "/numbers",
        "/numbers/port",
        "/invoices",
        "/invoices/ledger",
        "/invoices/{invoice}",
        "/reports",
        "/payments",
        "/payments/cards",
        "/payments/{payment}",
        "/pay/{checkout}",
        "/forgot",
        "/credentials/create",
        "/credentials/reset",
        "/credentials/unlock",
        "/credentials/card",
    ] {
        router = router.route_service(page, ServeFile::new(&portal));
    }
    // Any other page path is the portal's too (as the deployed sites' edge function maps
    // every path without a dot), so the site answers its own "page not found"; API and
    // local-tool paths, and files, stay the API's 404 problem.
    let index = std::fs::read_to_string(&portal).unwrap_or_default();
    router = router.route(
        "/{*page}",
        axum::routing::any(move |request: axum::extract::Request| {
            let index = index.clone();
            async move {
                let path = request.uri().path();
                let page = matches!(
                    *request.method(),
                    axum::http::Method::GET | axum::http::Method::HEAD
                ) && !path.starts_with("/v1/")
                    && !path.starts_with("/_local/")
                    && !path.contains('.');
                if page {
                    axum::response::Html(index).into_response()
                } else {
                    selfcare::http::problem::Problem::route_not_found().into_response()
                }
            }
        }),
    );
    router.layer(axum::middleware::from_fn_with_state(platform, site_policy))
}

/// The sites' content security policy: their own scripts, styles and API only, and framed
/// by the origins the provider's branding allows (the provider from the host, or from
/// `?tenant=` locally).
async fn site_policy(
    State(platform): State<selfcare::platform::Platform>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::extract::FromRequestParts;
    let (mut parts, body) = request.into_parts();
    let slug = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("tenant="))
            .and_then(|s| axum::http::HeaderValue::from_str(s).ok())
    });
    if let Some(slug) = slug {
        parts
            .headers
            .insert(selfcare::http::access::TENANT_HEADER, slug);
    }
    let ancestors =
        match selfcare::http::access::HostTenant::from_request_parts(&mut parts, &platform).await {
            Ok(selfcare::http::access::HostTenant(tenant)) => {
                selfcare::domain::branding::read(platform.table.as_ref(), &tenant.id)
                    .await
                    .map(|b| b.frame_ancestors)
                    .unwrap_or_default()
            }
            Err(_) => Vec::new(),
        };
    let card_page = parts.uri.path().starts_with("/pay/");
    let mut response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    // The card pages alone may load Stripe.js and its frames (as the deployed sites'
    // `/pay/*` behaviour does).
    let (scripts, connect, frames) = if card_page {
        (
            " https://js.stripe.com",
            " https://api.stripe.com",
            "; frame-src https://js.stripe.com https://hooks.stripe.com",
        )
    } else {
        ("", "", "")
    };
    let policy = format!(
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'{scripts}; \
         connect-src 'self'{connect}{frames}; base-uri 'none'; form-action 'self'; frame-ancestors 'self'{}",
        ancestors
            .iter()
            .map(|origin| format!(" {origin}"))
            .collect::<String>()
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    // The same security headers as the deployed sites' response-headers policy (HSTS
    // aside: the local runtime speaks plain HTTP).
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        axum::http::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    response
}
