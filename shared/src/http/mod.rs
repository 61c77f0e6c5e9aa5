//! The HTTP API: one router per group of endpoints, each served by one Lambda function,
//! all merged by the local runtime; the layers every response goes through; problems.

pub mod access;
pub mod alerts;
pub mod auth;
pub mod billing;
pub mod branding;
pub mod card_reports;
pub mod catalogue;
pub mod console_accounts;
pub mod console_admin;
pub mod console_orders;
pub mod cors;
pub mod cost_centres;
pub mod document;
mod downloads;
pub mod errors;
pub mod exports;
pub mod granted_reports;
mod message_words;
pub mod meta;
pub mod order_views;
pub mod payments;
pub mod portal;
pub mod portal_orders;
pub mod problem;
pub mod problem_words;
pub mod reconciliation;
pub mod request_id;
pub mod service_groups;
pub mod services;
pub mod signed_in;
pub mod two_factor;
pub mod usage;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
#[cfg(panic = "unwind")]
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use problem::{FieldError, Problem};

use crate::platform::Platform;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "selfcare API",
        description = "The end-user portal and provider console API. Errors are RFC 9457 \
                       problem details (`application/problem+json`); amounts are decimal \
                       strings in the currency's major unit; times are RFC 3339; lists page \
                       with `limit` and an opaque `cursor`. The provider is named by the \
                       host (`{slug}.{portal domain}`, or a domain of the provider's own) or, \
                       on the API's own address, by the `x-selfcare-tenant` header (a slug) \
                       or the `x-selfcare-domain` header (a provider's own domain, as the \
                       distribution passes it); sessions are a bearer token or the \
                       `__Host-selfcare_session` cookie."
    ),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "auth", description = "Sign-in and the credential lifecycle"),
        (name = "portal", description = "The end user's own account (the session decides which)"),
        (name = "console", description = "The provider's staff: accounts, access, staff, audit, reports, settings"),
    )
)]
struct ApiDoc;

/// One group of endpoints and the Lambda function that serves it (its `_HANDLER`).
pub struct Group {
    pub function: &'static str,
    pub routes: fn() -> OpenApiRouter<Platform>,
}

/// The function of the API's own endpoints: health, the OpenAPI document, CORS preflights.
pub const META_FUNCTION: &str = "api-meta";

/// Every group of endpoints. The template declares one function per group; a structural
/// test holds the two together.
pub const GROUPS: &[Group] = &[
    Group {
        function: META_FUNCTION,
        routes: meta::router,
    },
    Group {
        function: "api-auth",
        routes: sign_in_and_credentials,
    },
    Group {
        function: "api-portal",
        routes: portal::router,
    },
    Group {
        function: "api-console-accounts",
        routes: console_accounts::router,
    },
    Group {
        function: "api-console-admin",
        routes: console_admin::router,
    },
    Group {
        function: "api-services",
        routes: portal_services,
    },
    Group {
        function: "api-console-services",
        routes: console_services,
    },
    Group {
        function: "api-orders",
        routes: portal_orders::routes,
    },
    Group {
        function: "api-console-orders",
        routes: console_orders::routes,
    },
    Group {
        function: "api-billing",
        routes: billing_and_reports,
    },
    Group {
        function: "api-payments",
        routes: payments_and_card_reports,
    },
];

/// The `api-billing` function: invoices, the ledger, payments and corrections, settings,
/// bill runs and reports, and the reports granted to customers.
fn billing_and_reports() -> OpenApiRouter<Platform> {
    billing::routes()
        .merge(granted_reports::routes())
        .merge(reconciliation::routes())
}

/// The `api-payments` function: card payments, the wallet, the gateway's webhook and the
/// card reports.
fn payments_and_card_reports() -> OpenApiRouter<Platform> {
    payments::routes().merge(card_reports::routes())
}

/// The `api-auth` function: sign-in (with its second factor), sign-out and the credential
/// links.
fn sign_in_and_credentials() -> OpenApiRouter<Platform> {
    auth::router().merge(two_factor::router())
}

/// The `api-services` function: an account's own services, catalogue, usage, exports,
/// cost centres and alerts.
fn portal_services() -> OpenApiRouter<Platform> {
    services::portal_routes()
        .merge(catalogue::portal_routes())
        .merge(usage::portal_routes())
        .merge(exports::portal_routes())
        .merge(cost_centres::portal_routes())
        .merge(alerts::portal_routes())
}

/// The `api-console-services` function: the catalogue, accounts' services and usage, usage
/// files, exports, cost centres, alerts and service groups, for staff.
fn console_services() -> OpenApiRouter<Platform> {
    services::console_routes()
        .merge(catalogue::console_routes())
        .merge(usage::console_routes())
        .merge(exports::console_routes())
        .merge(cost_centres::console_routes())
        .merge(alerts::console_routes())
        .merge(service_groups::console_routes())
}

/// The OpenAPI document as served: the handlers' annotations completed with what the
/// layers and extractors answer for every endpoint ([`document`]).
pub fn openapi_document() -> serde_json::Value {
    let mut document = serde_json::to_value(openapi()).unwrap_or_default();
    document::complete(&mut document);
    document
}

/// The OpenAPI document of the whole API, as the handlers' annotations describe it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut router: OpenApiRouter<Platform> = OpenApiRouter::with_openapi(ApiDoc::openapi());
    for group in GROUPS {
        router = router.merge((group.routes)());
    }
    let (_, mut document) = router.split_for_parts();
    document.merge(openapi_document_path());
    document
}

/// The document describes its own route too.
fn openapi_document_path() -> utoipa::openapi::OpenApi {
    #[derive(OpenApi)]
    #[openapi(paths(openapi_json))]
    struct Own;
    Own::openapi()
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn openapi_json() -> impl IntoResponse {
    // Built on the first request for it, not before the function's first poll: most of
    // the meta function's answers are health checks.
    static DOCUMENT: std::sync::OnceLock<bytes::Bytes> = std::sync::OnceLock::new();
    let body = DOCUMENT.get_or_init(|| {
        serde_json::to_vec(&openapi_document())
            .unwrap_or_default()
            .into()
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.clone(),
    )
}

/// The routes of the function named `function` (all of them for None), with the layers
/// every response goes through.
pub fn app(platform: Platform, function: Option<&str>) -> Router {
    // Every table and bucket call a request makes is checked against its provider (the
    // second wall: crate::store::scope).
    use crate::store::scope::{ScopedBlobs, ScopedTable};
    let platform = Platform {
        table: Arc::new(ScopedTable::new(platform.table.clone())),
        exports: Arc::new(ScopedBlobs::new(platform.exports.clone())),
        ingest: Arc::new(ScopedBlobs::new(platform.ingest.clone())),
        ..platform
    };
    let mut router = Router::new();
    for group in GROUPS
        .iter()
        .filter(|g| function.is_none_or(|f| f == g.function))
    {
        let (routes, _) = (group.routes)().split_for_parts();
        router = router.merge(routes.with_state(platform.clone()));
        if group.function == META_FUNCTION {
            router = router.merge(Router::new().route("/v1/openapi.json", get(openapi_json)));
        }
    }
    let router = router.layer(axum::middleware::from_fn_with_state(
        platform.clone(),
        access::impersonation_trail,
    ));
    // Providers' own sites calling from the browser, on every path (the fallbacks too: a
    // preflight is answered before any route, and API Gateway sends every OPTIONS to the
    // meta function, whose routes are few).
    let router =
        with_fallbacks(router).layer(axum::middleware::from_fn_with_state(platform, cors::cors));
    // Each request's work in a scope of its own (crate::store::scope).
    let router = router.layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| {
            crate::store::scope::serve(next.run(request))
        },
    ));
    // Outside the request's span, so the span can name the function serving it.
    with_outer_layers(router).layer(axum::Extension(request_id::ServingFunction(
        function.unwrap_or("every-group").to_owned(),
    )))
}

/// Problems for unknown routes and methods.
fn with_fallbacks(router: Router) -> Router {
    router
        .fallback(|| async { Problem::route_not_found() })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
}

/// The fallbacks and layers of every API response: problems for unknown routes and
/// methods, a request id and the security headers on everything, and, where panics unwind
/// (tests, the local runtime), a panic turned into a problem. Nothing the API answers is stored by a browser or a shared cache unless its
/// handler says so (the public branding stylesheet does): answers carry sessions, tokens
/// and customers' data.
pub fn with_layers(router: Router) -> Router {
    with_outer_layers(with_fallbacks(router))
}

/// [`with_layers`] but the fallbacks.
fn with_outer_layers(router: Router) -> Router {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    // A release build aborts on panic (`panic = "abort"`: a smaller package and a faster
    // start): a panic on Lambda is a bug that ends the process, its message logged by the
    // entry point's hook; Lambda starts a fresh one, so no request meets half-changed state.
    // Where panics unwind, the layer answers the request with a problem instead.
    #[cfg(panic = "unwind")]
    let router = router.layer(CatchPanicLayer::custom(
        |_: Box<dyn std::any::Any + Send>| Problem::internal(&"a handler panicked").into_response(),
    ));
    router
        .layer(axum::middleware::from_fn(problem_words::in_asked_language))
        .layer(axum::middleware::from_fn(request_id::assign))
}
