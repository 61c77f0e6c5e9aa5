//! What the layers every endpoint goes through add to the OpenAPI document. The handlers'
//! annotations describe what each endpoint answers on its own; the extractors and layers
//! answer more, the same way for every endpoint they guard, and this module writes that
//! down once, from the same rules:
//!
//! - every problem is `application/problem+json` ([`super::Problem`]'s `IntoResponse`);
//! - a body that is not the endpoint's JSON, or query parameters that do not parse, are 400
//!   ([`super::problem::JsonBody`], [`super::problem::QueryParams`], invalid cursors), and a
//!   value the rules refuse is 422;
//! - a request without a live session is 401, and one from the wrong side (staff on the
//!   portal, an end user on the console), without the permission or role, without the CSRF
//!   token, or from a read-only impersonation is 403 ([`super::access`]);
//! - an id in the path that is not the caller's, a portal module that is off, or a provider
//!   that does not answer at the address is 404;
//! - and the constraints the paging and month parameters are checked against.
//!
//! The sessions' routes are the ones not in [`PUBLIC`]: a test calls each route without a
//! session and holds the list to what the server does.

use serde_json::{Value, json};

/// The routes that answer without a session (all others need one).
pub const PUBLIC: &[&str] = &[
    "/v1/health",
    "/v1/openapi.json",
    "/v1/branding",
    "/v1/branding.css",
    "/v1/auth/sign-in",
    "/v1/auth/sign-in/second-factor",
    "/v1/auth/links/inspect",
    "/v1/auth/credentials",
    "/v1/auth/forgot-password",
    "/v1/auth/reset-password",
    "/v1/auth/unlock",
    "/v1/auth/card-link",
    // Signed by the gateway with the provider's secret, not a session.
    "/v1/webhooks/stripe/{provider}",
];

/// Routes that name no provider (they answer the same at any address).
const NO_TENANT: &[&str] = &[
    "/v1/health",
    "/v1/openapi.json",
    // The provider is in the path: the gateway posts to the API's own address.
    "/v1/webhooks/stripe/{provider}",
];

const PROBLEM_TYPE: &str = "application/problem+json";

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { PROBLEM_TYPE: { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// Completes the generated document (see the module's description).
pub fn complete(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, operations) in paths.iter_mut() {
        let Some(operations) = operations.as_object_mut() else {
            continue;
        };
        for (_, operation) in operations.iter_mut() {
            complete_operation(path, operation);
        }
    }
}

fn complete_operation(path: &str, operation: &mut Value) {
    let public = PUBLIC.contains(&path);
    let names_tenant = !NO_TENANT.contains(&path);
    let mut has_path_id = false;
    let mut has_query = false;
    let mut has_header = false;
    if let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for parameter in parameters.iter_mut() {
            let place = parameter["in"].as_str().unwrap_or_default().to_owned();
            let name = parameter["name"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match place.as_str() {
                "path" => has_path_id = true,
                "query" => has_query = true,
                "header" => has_header = true,
                _ => {}
            }
            constrain(&place, &name, parameter);
        }
    }
    let has_body = operation.get("requestBody").is_some();
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for response in responses.values_mut() {
        problems_as_problem_json(response);
    }
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    };
    if has_body || has_query {
        add(
            "400",
            "The body or the query parameters are not what this endpoint takes, or the \
             cursor was not issued by this list (malformed-body, malformed-query, invalid-cursor)",
        );
    }
    if has_body || has_query || has_header {
        add(
            "422",
            "A value is refused; every field is listed (validation)",
        );
    }
    if !public {
        add(
            "401",
            "Not signed in, or the session has ended (unauthenticated)",
        );
        add(
            "403",
            "Not for this caller: the other site's session, a missing permission or role, a \
             missing CSRF token, a read-only impersonation, or two-factor set-up first",
        );
    }
    if has_path_id || path.starts_with("/v1/portal/") || (public && names_tenant) {
        add(
            "404",
            "Not found for this caller, a portal module that is off, or no provider at this \
             address",
        );
    }
}

/// Problems the handlers documented as `application/json` are `application/problem+json`.
fn problems_as_problem_json(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let is_problem = content
        .get("application/json")
        .and_then(|c| c.pointer("/schema/$ref"))
        .and_then(Value::as_str)
        == Some("#/components/schemas/Problem");
    if is_problem && let Some(body) = content.remove("application/json") {
        content.insert(PROBLEM_TYPE.to_owned(), body);
    }
}

/// The constraints the server checks, on the parameters every list and month view shares.
fn constrain(place: &str, name: &str, parameter: &mut Value) {
    let schema = match (place, name) {
        ("query", "limit") => {
            json!({ "type": "integer", "minimum": 1, "maximum": crate::domain::paging::MAX_LIMIT })
        }
        ("query", "cursor") => json!({ "type": "string", "minLength": 1, "maxLength": 4096 }),
        ("query", "period") => json!({
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
            "examples": ["2026-11"]
        }),
        ("header", "idempotency-key") => {
            json!({ "type": "string", "minLength": 8, "maxLength": 128 })
        }
        _ => return,
    };
    parameter["schema"] = schema;
}
