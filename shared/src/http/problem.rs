//! RFC 9457 problem details: every error the API returns. Each kind has a stable `type`
//! (`/problems/{slug}`), listed in docs/http-conventions.md; internals are logged with the
//! request id, never returned.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON pointer into the request body or the parameter's name.
    pub field: String,
    pub message: String,
}

/// The body of every error response (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of error, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// What already does what was asked (the open order with the same request).
    #[serde(skip_serializing_if = "Option::is_none")]
    // Boxed: problems travel in every `Result`, so they stay small.
    #[schema(value_type = Option<String>)]
    pub existing: Option<Box<String>>,
    /// Seconds to wait before trying again (throttling): sent as `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            existing: None,
            retry_after: None,
        }
    }

    pub fn existing(mut self, id: &str) -> Self {
        self.existing = Some(Box::new(id.to_owned()));
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(u32::try_from(seconds).unwrap_or(u32::MAX));
        self
    }

    pub fn field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
        self
    }

    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
    }

    /// A page cursor this list did not give out (or one of another list or tenant).
    pub fn invalid_cursor() -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-cursor",
            "The cursor is not one this list gave out",
        )
    }

    pub fn route_not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "route-not-found", "No such endpoint")
    }

    pub fn method_not_allowed() -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "This endpoint does not take that method",
        )
    }

    pub fn validation() -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request has invalid fields",
        )
    }

    /// Every refused field of a request, as a validation problem.
    pub fn from_violations(violations: crate::domain::Violations) -> Self {
        violations
            .0
            .into_iter()
            .fold(Problem::validation(), |p, (field, message)| {
                p.field(&field, message)
            })
    }

    /// A retried write whose `Idempotency-Key` was first used for another request.
    pub fn idempotency_key_reused() -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "This idempotency key was used for a different request",
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            "conflict",
            "The request conflicts with the current state",
        )
        .detail(detail)
    }

    /// An internal failure: the cause goes to the log, never to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side",
        )
        .detail("Quote the x-request-id header of this response when you contact support.")
    }

    /// A storage failure: a request that can never succeed or an unreadable record is ours
    /// to fix (500, logged with the request id); an outage or a lost race is worth a retry.
    pub fn storage(error: &crate::ports::TableError) -> Self {
        use crate::ports::TableError;
        match error {
            TableError::Invalid(_) | TableError::Unreadable(_) => Problem::internal(error),
            _ => Problem::unavailable(error),
        }
    }

    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is briefly unavailable; try again",
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after;
        let mut response = (status, Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A JSON request body; a body that is not JSON of the right shape is a problem
/// (`/problems/malformed-body`, naming what is wrong), never axum's plain-text rejection.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    /// Fields the endpoint does not take are refused here, for every request body: the
    /// domain's types tolerate unknown fields, since what they stored yesterday must still
    /// read after a rollback.
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        let malformed = |detail: String| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-body",
                "The request body is not the JSON this endpoint takes",
            )
            .detail(detail)
        };
        let Json(value) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|rejection| malformed(rejection.body_text()))?;
        let mut unknown = Vec::new();
        let parsed: Result<T, _> =
            serde_ignored::deserialize(value, |path| unknown.push(path.to_string()));
        match parsed {
            Err(e) => Err(malformed(format!(
                "Failed to deserialize the JSON body into the target type: {e}"
            ))),
            Ok(_) if !unknown.is_empty() => Err(malformed(format!(
                "Unknown field{}: {}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", ")
            ))),
            Ok(body) => Ok(JsonBody(body)),
        }
    }
}

/// Query parameters; ones that do not parse are a problem (`/problems/malformed-query`).
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-query",
                "The query parameters are not the ones this endpoint takes",
            )
            .detail(rejection.body_text())),
        }
    }
}

/// A path parameter that must be one of our ids; anything else finds nothing.
pub fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, Problem> {
    text.parse().map_err(|_| Problem::not_found())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::TableError;

    #[test]
    fn storage_failures_that_cannot_succeed_are_ours_and_outages_are_worth_a_retry() {
        for ours in [
            TableError::Invalid("item too large".into()),
            TableError::Unreadable("a stored login has a bad id".into()),
        ] {
            let problem = Problem::storage(&ours);
            assert_eq!(problem.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(problem.kind, "/problems/internal");
            assert!(
                !serde_json::to_string(&problem).unwrap().contains("login"),
                "internals stay in the log"
            );
        }
        for retry in [
            TableError::Unavailable("throttled".into()),
            TableError::TransactionConflict,
        ] {
            assert_eq!(
                Problem::storage(&retry).status(),
                StatusCode::SERVICE_UNAVAILABLE
            );
        }
    }
}
