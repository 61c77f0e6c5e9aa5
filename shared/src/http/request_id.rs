//! Every request gets an id of ours (a ULID): in the `x-request-id` response header, on
//! every log line of the request (through the span, with the function serving it, the
//! tenant and the principal: a login id, or `anonymous`), and in audit records.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// The function serving the request (its handler name; `every-group` locally), named on
/// every log line of the request: the functions share one log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServingFunction(pub String);

/// The id of the request being served, for handlers that record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Middleware: assigns the id, opens the request's span, and stamps the response.
/// A client's own `x-request-id` is not trusted as ours; it is logged beside it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = ulid::Ulid::new().to_string();
    let client_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(128).collect::<String>());
    request.extensions_mut().insert(RequestId(id.clone()));
    let function = request
        .extensions()
        .get::<ServingFunction>()
        .map(|f| f.0.clone())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        function = %function,
        // Filled in once the session is read; a request without one stays anonymous.
        tenant = tracing::field::Empty,
        principal = "anonymous",
        client_request_id = client_id.as_deref().unwrap_or(""),
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let mut response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
    .instrument(span)
    .await
}
