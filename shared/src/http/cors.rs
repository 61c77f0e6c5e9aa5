//! Cross-origin calls from a provider's own sites (CORS): a page of an origin the provider
//! lists (Branding: `api_origins`) may call the API from the browser. The provider is the
//! one the request's host names (`{slug}.{portal domain}` or its own domain: a preflight
//! carries no header values, so the host must tell). Bearer sessions only: the answer never
//! allows credentials, so the session cookie is not sent across sites and a page that asks
//! for it is refused by the browser.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::access::{HostTenant, TenantName};
use super::problem::Problem;
use crate::platform::Platform;

/// What a provider's page may send beyond the safelisted headers.
const ALLOWED_HEADERS: &str =
    "authorization, content-type, accept-language, idempotency-key, x-selfcare-tenant";
const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// What a page may read of an answer beyond the safelisted headers.
const EXPOSED_HEADERS: &str = "retry-after, location";

/// A page of the site itself (the portal or the console): not a cross-origin call.
fn same_site(origin: &str, parts: &Parts, platform: &Platform) -> bool {
    let origin_host = origin
        .split_once("://")
        .and_then(|(_, host)| host.split(':').next());
    let viewer = TenantName::of(parts, platform).and_then(|name| name.viewer_host(platform));
    origin_host.is_some() && origin_host == viewer.as_deref()
}

pub async fn cors(State(platform): State<Platform>, request: Request, next: Next) -> Response {
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let (mut parts, body) = request.into_parts();
    if !preflight && same_site(&origin, &parts, &platform) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let allowed = match HostTenant::from_request_parts(&mut parts, &platform).await {
        Ok(HostTenant(tenant)) => {
            match crate::domain::branding::read(platform.table.as_ref(), &tenant.id).await {
                Ok(look) => look.api_origins.contains(&origin),
                Err(error) => return Problem::storage(&error).into_response(),
            }
        }
        // No provider at this address: no origin is allowed (the call itself answers why).
        Err(_) => false,
    };
    let origin_value = HeaderValue::from_str(&origin).ok();
    if preflight {
        let mut response = if allowed {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            response
        } else {
            Problem::new(
                StatusCode::FORBIDDEN,
                "origin-not-allowed",
                "Pages of this site may not call the API",
            )
            .detail("The provider lists the sites whose pages may call the API (Branding).")
            .into_response()
        };
        finish(&mut response, allowed.then_some(origin_value).flatten());
        return response;
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    finish(&mut response, allowed.then_some(origin_value).flatten());
    response
}

/// The answer varies by origin; an allowed one may read it (never with credentials).
fn finish(response: &mut Response, allowed: Option<HeaderValue>) {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}
