//! Sign-in and the credential lifecycle: the `api-auth` function.

use super::signed_in::{SessionCarrier, SignedIn, signed_in};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{Authenticated, ClientAddress, HostTenant, cleared_cookie};
use super::problem::{JsonBody, Problem};
use crate::domain::identity::credentials::LinkView;
use crate::domain::identity::model::SignInOutcome;
use crate::domain::identity::sessions::OwnSession;
use crate::platform::Platform;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The username, or an email address only one login of the provider has.
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub session: SessionCarrier,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecondFactorRequired {
    /// Always `second_factor`: answer the challenge at `/v1/auth/sign-in/second-factor`.
    pub next: &'static str,
    /// Send it back with a code from the authenticator app (or a recovery code).
    pub challenge: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Sign in. A login with two-factor sign-in gets a challenge (202) to answer with a code.
#[utoipa::path(post, path = "/v1/auth/sign-in", tag = "auth", request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the cookie is set unless a bearer token was asked for", body = SignedIn),
        (status = 202, description = "The password is right; now a code from the authenticator app", body = SecondFactorRequired),
        (status = 401, description = "Wrong username or password", body = Problem),
        (status = 423, description = "The login is locked", body = Problem),
        (status = 429, description = "Too many failures from this address", body = Problem),
    ))]
pub async fn sign_in(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    ClientAddress(address): ClientAddress,
    JsonBody(body): JsonBody<SignIn>,
) -> Response {
    let outcome = platform
        .identity()
        .sign_in
        .sign_in(&tenant.id, &body.username, &body.password, &address)
        .await;
    answer_sign_in(&platform, outcome, body.session)
}

/// A session (200), or the second step still to take (202).
fn answer_sign_in(
    platform: &Platform,
    outcome: Result<SignInOutcome, crate::domain::identity::IdentityError>,
    carrier: SessionCarrier,
) -> Response {
    match outcome {
        Ok(SignInOutcome::SignedIn(started)) => signed_in(platform, &started, carrier),
        Ok(SignInOutcome::SecondFactorRequired(challenge)) => (
            StatusCode::ACCEPTED,
            Json(SecondFactorRequired {
                next: "second_factor",
                challenge: challenge.token,
                expires_at: challenge.expires_at,
            }),
        )
            .into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// Sign out: ends this session.
#[utoipa::path(post, path = "/v1/auth/sign-out", tag = "auth",
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
pub async fn sign_out(State(platform): State<Platform>, caller: Authenticated) -> Response {
    if let Err(e) = platform
        .identity()
        .sessions
        .end_session(&caller.session)
        .await
    {
        return Problem::from(e).into_response();
    }
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_cookie())],
    )
        .into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The token from the link's `#token=` fragment.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkInfo {
    /// `create` (show the credential-create form), `reset` (the new-password form),
    /// `unlock` (the unlock button of a lock notice), `card` (continue to the card page,
    /// from a failed-payment mail) or `sign_in` (the link is used,
    /// expired or unknown: show the sign-in page).
    pub next: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// What a one-time link leads to (the token stays out of URLs and logs).
#[utoipa::path(post, path = "/v1/auth/links/inspect", tag = "auth", request_body = LinkToken,
    responses((status = 200, description = "Where the link leads", body = LinkInfo)))]
pub async fn inspect_link(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    JsonBody(body): JsonBody<LinkToken>,
) -> Result<Json<LinkInfo>, Problem> {
    let view = platform
        .identity()
        .credentials
        .inspect_link(&tenant.id, &body.token)
        .await?;
    Ok(Json(match view {
        LinkView::Create { name, email } => LinkInfo {
            next: "create",
            name: Some(name),
            email: Some(email),
            username: None,
        },
        LinkView::Reset { username } => LinkInfo {
            next: "reset",
            name: None,
            email: None,
            username: Some(username),
        },
        LinkView::Unlock { username } => LinkInfo {
            next: "unlock",
            name: None,
            email: None,
            username: Some(username),
        },
        LinkView::CardSignIn { username } => LinkInfo {
            next: "card",
            name: None,
            email: None,
            username: Some(username),
        },
        LinkView::SignIn => LinkInfo {
            next: "sign_in",
            name: None,
            email: None,
            username: None,
        },
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCredentials {
    pub token: String,
    pub username: String,
    /// At least 12 characters, not a common password.
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialsCreated {
    pub login: String,
    pub username: String,
}

/// Use a credential-create link: choose a username and password.
#[utoipa::path(post, path = "/v1/auth/credentials", tag = "auth", request_body = CreateCredentials,
    responses(
        (status = 201, description = "The login exists; sign in with it", body = CredentialsCreated),
        (status = 409, description = "The username is taken", body = Problem),
        (status = 410, description = "The link is used or expired", body = Problem),
        (status = 422, description = "The username or password is refused", body = Problem),
    ))]
pub async fn create_credentials(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    JsonBody(body): JsonBody<CreateCredentials>,
) -> Result<(StatusCode, Json<CredentialsCreated>), Problem> {
    let login = platform
        .identity()
        .credentials
        .accept_create_link(&tenant.id, &body.token, &body.username, &body.password)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CredentialsCreated {
            login: login.id.to_string(),
            username: login.username,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    /// A username, or an email address.
    pub username: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub message: &'static str,
}

/// Forgot password: the same answer whether or not the login exists.
#[utoipa::path(post, path = "/v1/auth/forgot-password", tag = "auth", request_body = ForgotPassword,
    responses((status = 202, description = "If the login exists, a reset link is on its way", body = Accepted)))]
pub async fn forgot_password(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    JsonBody(body): JsonBody<ForgotPassword>,
) -> Result<(StatusCode, Json<Accepted>), Problem> {
    platform
        .identity()
        .credentials
        .forgot_password(&tenant.id, &body.username)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            message: "If that login exists, we have sent a reset link to its email address.",
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub token: String,
    pub password: String,
}

/// Use a reset link: set a new password; every session of the login ends.
#[utoipa::path(post, path = "/v1/auth/reset-password", tag = "auth", request_body = ResetPassword,
    responses(
        (status = 204, description = "The password is set; sign in with it"),
        (status = 410, description = "The link is used or expired", body = Problem),
        (status = 422, description = "The password is refused", body = Problem),
    ))]
pub async fn reset_password(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    JsonBody(body): JsonBody<ResetPassword>,
) -> Result<StatusCode, Problem> {
    platform
        .identity()
        .credentials
        .reset_password(&tenant.id, &body.token, &body.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unlocked {
    pub username: String,
}

/// Use the unlock link of a lock notice: the login is unlocked (the link works once).
#[utoipa::path(post, path = "/v1/auth/unlock", tag = "auth", request_body = LinkToken,
    responses(
        (status = 200, description = "Unlocked; sign in again", body = Unlocked),
        (status = 410, description = "The link is used or expired", body = Problem),
    ))]
pub async fn unlock(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    JsonBody(body): JsonBody<LinkToken>,
) -> Result<Json<Unlocked>, Problem> {
    let login = platform
        .identity()
        .credentials
        .unlock_with_link(&tenant.id, &body.token)
        .await?;
    Ok(Json(Unlocked {
        username: login.username,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardLink {
    pub token: String,
    #[serde(default)]
    pub session: SessionCarrier,
}

/// Use the "fix your card" link of a failed-payment mail: it signs its login in (in place
/// of the password; a login with two-factor sign-in then answers its challenge). The link
/// works once, for three days.
#[utoipa::path(post, path = "/v1/auth/card-link", tag = "auth", request_body = CardLink,
    responses(
        (status = 200, description = "Signed in; the cookie is set unless a bearer token was asked for", body = SignedIn),
        (status = 202, description = "Now a code from the authenticator app", body = SecondFactorRequired),
        (status = 403, description = "The account is inactive", body = Problem),
        (status = 410, description = "The link is used or expired", body = Problem),
        (status = 423, description = "The login is locked", body = Problem),
    ))]
pub async fn card_link(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    JsonBody(body): JsonBody<CardLink>,
) -> Response {
    let outcome = platform
        .identity()
        .sign_in
        .sign_in_with_card_link(&tenant.id, &body.token)
        .await;
    answer_sign_in(&platform, outcome, body.session)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Change the signed-in login's password; its other sessions end.
#[utoipa::path(post, path = "/v1/auth/change-password", tag = "auth", request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "The current password is wrong, or the new one refused", body = Problem),
    ))]
pub async fn change_password(
    State(platform): State<Platform>,
    caller: Authenticated,
    JsonBody(body): JsonBody<ChangePassword>,
) -> Result<StatusCode, Problem> {
    platform
        .identity()
        .credentials
        .change_password(&caller.session, &body.current_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageChoice {
    /// `en` or `fr`.
    pub language: String,
}

/// Choose the language of one's own pages and mail (kept on the login; this session shows
/// it at once). Staff acting as a customer cannot choose for them.
#[utoipa::path(put, path = "/v1/auth/language", tag = "auth", request_body = LanguageChoice,
    responses((status = 204, description = "Chosen"), (status = 422, body = Problem)))]
pub async fn choose_language(
    State(platform): State<Platform>,
    caller: Authenticated,
    JsonBody(body): JsonBody<LanguageChoice>,
) -> Result<StatusCode, Problem> {
    platform
        .identity()
        .sessions
        .set_language(&caller.session, &body.language)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in login's sessions in force, newest first.
#[utoipa::path(get, path = "/v1/auth/sessions", tag = "auth",
    responses((status = 200, body = Vec<OwnSession>), (status = 401, body = Problem)))]
pub async fn own_sessions(
    State(platform): State<Platform>,
    caller: Authenticated,
) -> Result<Json<Vec<OwnSession>>, Problem> {
    Ok(Json(
        platform
            .identity()
            .sessions
            .of_own_login(&caller.session)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsEnded {
    pub ended: usize,
}

/// Sign out everywhere else: every other session of the signed-in login ends (this one
/// stays). Doing it again ends nothing more.
#[utoipa::path(post, path = "/v1/auth/sessions/end-others", tag = "auth",
    responses((status = 200, body = SessionsEnded), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub async fn end_other_sessions(
    State(platform): State<Platform>,
    caller: Authenticated,
) -> Result<Json<SessionsEnded>, Problem> {
    let ended = platform
        .identity()
        .sessions
        .end_other_sessions(&caller.session)
        .await?;
    Ok(Json(SessionsEnded { ended }))
}

pub fn router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(inspect_link))
        .routes(routes!(create_credentials))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(unlock))
        .routes(routes!(card_link))
        .routes(routes!(change_password))
        .routes(routes!(choose_language))
        .routes(routes!(own_sessions))
        .routes(routes!(end_other_sessions))
        .merge(super::branding::public_routes())
}
