//! Two-factor sign-in over HTTP (part of the `api-auth` function): the sign-in's second
//! step, and a login setting up, using and turning off its own second factor.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{Authenticated, ClientAddress, HostTenant};
use super::problem::{JsonBody, Problem};
use super::signed_in::{SessionCarrier, signed_in};
use crate::domain::identity::two_factor::{Proof, RecoveryCodes};
use crate::platform::Platform;

/// Either a code from the authenticator app or a recovery code.
fn proof<'a>(code: &'a Option<String>, recovery: &'a Option<String>) -> Result<Proof<'a>, Problem> {
    match (code, recovery) {
        (Some(code), None) => Ok(Proof::Code(code)),
        (None, Some(recovery)) => Ok(Proof::RecoveryCode(recovery)),
        _ => Err(Problem::validation().field(
            "/code",
            "send code (from the app) or recovery_code, one of them",
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondStep {
    /// The challenge the password step answered.
    pub challenge: String,
    /// Six digits from the authenticator app.
    pub code: Option<String>,
    /// Or one of the recovery codes (each works once).
    pub recovery_code: Option<String>,
    #[serde(default)]
    pub session: SessionCarrier,
}

/// The sign-in's second step: the challenge and a code.
#[utoipa::path(post, path = "/v1/auth/sign-in/second-factor", tag = "auth", request_body = SecondStep,
    responses(
        (status = 200, description = "Signed in", body = super::signed_in::SignedIn),
        (status = 401, description = "The challenge expired or ran out of tries: sign in again", body = Problem),
        (status = 422, description = "The code is wrong or already used", body = Problem),
        (status = 423, description = "Too many wrong codes: the login is locked", body = Problem),
        (status = 429, description = "Too many failures from this address", body = Problem),
    ))]
pub async fn second_step(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
    ClientAddress(address): ClientAddress,
    JsonBody(body): JsonBody<SecondStep>,
) -> Result<Response, Problem> {
    let proof = proof(&body.code, &body.recovery_code)?;
    let started = platform
        .identity()
        .two_factor
        .complete_sign_in(&tenant.id, &body.challenge, proof, &address)
        .await;
    Ok(match started {
        Ok(started) => signed_in(&platform, &started, body.session),
        Err(e) => Problem::from(e).into_response(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub enabled_at: Option<OffsetDateTime>,
    pub recovery_codes_left: usize,
    /// The provider requires it: it cannot be turned off.
    pub required: bool,
}

/// The signed-in login's second factor.
#[utoipa::path(get, path = "/v1/auth/two-factor", tag = "auth",
    responses((status = 200, body = TwoFactorStatus), (status = 401, body = Problem)))]
pub async fn status(
    State(platform): State<Platform>,
    caller: Authenticated,
) -> Result<Json<TwoFactorStatus>, Problem> {
    let status = platform
        .identity()
        .two_factor
        .two_factor_status(&caller.session)
        .await?;
    Ok(Json(TwoFactorStatus {
        enabled: status.enabled,
        enabled_at: status.enabled_at,
        recovery_codes_left: status.recovery_codes_left,
        required: status.required,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// The secret in base 32, for typing into an app that cannot scan.
    pub secret: String,
    /// The `otpauth://totp/...` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code: an SVG document to show as is.
    pub qr_svg: String,
    /// Confirm with a code before this.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Start setting up two-factor sign-in: a new secret to scan, confirmed with a code.
#[utoipa::path(post, path = "/v1/auth/two-factor/setup", tag = "auth",
    responses(
        (status = 200, body = TwoFactorSetup),
        (status = 403, description = "An impersonation cannot", body = Problem),
        (status = 409, description = "Already on", body = Problem),
    ))]
pub async fn setup(
    State(platform): State<Platform>,
    caller: Authenticated,
) -> Result<Json<TwoFactorSetup>, Problem> {
    let setup = platform
        .identity()
        .two_factor
        .begin_two_factor(&caller.session)
        .await?;
    Ok(Json(TwoFactorSetup {
        secret: setup.secret,
        otpauth_uri: setup.uri,
        qr_svg: setup.qr_svg,
        expires_at: setup.expires_at,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrentCode {
    /// Six digits from the authenticator app.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// Shown this once: each signs in once when the phone is not at hand.
    pub recovery_codes: Vec<String>,
}

impl From<RecoveryCodes> for RecoveryCodesView {
    fn from(codes: RecoveryCodes) -> Self {
        RecoveryCodesView {
            recovery_codes: codes.0,
        }
    }
}

/// Confirm the set-up with the app's current code: two-factor sign-in is on.
#[utoipa::path(post, path = "/v1/auth/two-factor/confirm", tag = "auth", request_body = CurrentCode,
    responses(
        (status = 200, description = "On; the recovery codes, shown once", body = RecoveryCodesView),
        (status = 409, description = "No set-up waiting, or already on", body = Problem),
        (status = 422, description = "Not the app's current code", body = Problem),
    ))]
pub async fn confirm(
    State(platform): State<Platform>,
    caller: Authenticated,
    JsonBody(body): JsonBody<CurrentCode>,
) -> Result<Json<RecoveryCodesView>, Problem> {
    let codes = platform
        .identity()
        .two_factor
        .confirm_two_factor(&caller.session, &body.code, &caller.request_id)
        .await?;
    Ok(Json(codes.into()))
}

/// New recovery codes; the old ones stop working.
#[utoipa::path(post, path = "/v1/auth/two-factor/recovery-codes", tag = "auth", request_body = CurrentCode,
    responses(
        (status = 200, body = RecoveryCodesView),
        (status = 409, description = "Two-factor sign-in is off", body = Problem),
        (status = 422, description = "The code is wrong", body = Problem),
    ))]
pub async fn recovery_codes(
    State(platform): State<Platform>,
    caller: Authenticated,
    JsonBody(body): JsonBody<CurrentCode>,
) -> Result<Json<RecoveryCodesView>, Problem> {
    let codes = platform
        .identity()
        .two_factor
        .new_recovery_codes(&caller.session, &body.code, &caller.request_id)
        .await?;
    Ok(Json(codes.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TurnOff {
    pub password: String,
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

/// Turn two-factor sign-in off (password and a code); refused where the provider requires it.
#[utoipa::path(post, path = "/v1/auth/two-factor/disable", tag = "auth", request_body = TurnOff,
    responses(
        (status = 204, description = "Off"),
        (status = 403, description = "The provider requires it", body = Problem),
        (status = 422, description = "Wrong password or code", body = Problem),
    ))]
pub async fn disable(
    State(platform): State<Platform>,
    caller: Authenticated,
    JsonBody(body): JsonBody<TurnOff>,
) -> Result<StatusCode, Problem> {
    let proof = proof(&body.code, &body.recovery_code)?;
    platform
        .identity()
        .two_factor
        .disable_two_factor(&caller.session, &body.password, proof, &caller.request_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(second_step))
        .routes(routes!(status))
        .routes(routes!(setup))
        .routes(routes!(confirm))
        .routes(routes!(recovery_codes))
        .routes(routes!(disable))
}
