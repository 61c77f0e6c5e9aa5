//! The answer to a completed sign-in (password, or password and second factor): the
//! session in a `__Host-` cookie, or a bearer token for API clients.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::access::session_cookie;
use crate::domain::identity::Principal;
use crate::domain::identity::model::Started;
use crate::platform::Platform;

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionCarrier {
    /// A `__Host-` cookie (browsers); the token never reaches script.
    #[default]
    Cookie,
    /// The token in the response body, for `Authorization: Bearer` (API clients).
    Bearer,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    pub login: String,
    pub username: String,
    /// `end_user` (the portal) or `staff` (the console).
    pub kind: &'static str,
    /// Send it in `x-csrf-token` with every change made with the cookie.
    pub csrf_token: String,
    /// Only when a bearer session was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The provider requires two-factor sign-in and this login has not set it up: until it
    /// does, the session reaches only `me`, sign-out and `/v1/auth/two-factor`.
    pub two_factor_enrolment_required: bool,
}

fn kind_of(principal: &Principal) -> &'static str {
    match principal {
        Principal::EndUser { .. } => "end_user",
        Principal::Staff { .. } => "staff",
    }
}

/// The answer to a complete sign-in: the session in a cookie, or a bearer token.
pub fn signed_in(platform: &Platform, started: &Started, carrier: SessionCarrier) -> Response {
    let session = &started.session;
    let bearer = matches!(carrier, SessionCarrier::Bearer);
    let answer = SignedIn {
        login: session.login.to_string(),
        username: session.username.clone(),
        kind: kind_of(&session.principal),
        csrf_token: started.csrf_token.clone(),
        token: bearer.then(|| started.token.clone()),
        expires_at: session.expires_at,
        two_factor_enrolment_required: session.enrolment_only,
    };
    let mut response = Json(answer).into_response();
    if !bearer {
        let max_age = (session.expires_at - platform.clock.now()).whole_seconds();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, session_cookie(&started.token, max_age));
    }
    response
}
