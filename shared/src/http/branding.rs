//! A provider's branding over HTTP: public for the sites (`/v1/branding`, the stylesheet at
//! `/v1/branding.css`, both before anyone signs in; served by `api-auth`), and for staff
//! with the branding permission to set (`/v1/console/branding`, served by
//! `api-console-admin`).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{HostTenant, StaffUser};
use super::problem::{JsonBody, Problem};
use crate::domain::branding::{self, Branding, on_brand};
use crate::domain::identity::Permission;
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct BrandingView {
    pub provider: String,
    pub logo_url: Option<String>,
    pub brand_colour: Option<String>,
    /// The text colour that reads on the brand colour.
    pub on_brand_colour: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    /// The brand colour as the sites' custom properties, then the provider's own CSS.
    pub stylesheet_url: String,
    /// The provider's time zone (IANA): the sites show every date and time in it.
    pub time_zone: String,
}

/// How the provider's portal looks: for a site to show before anyone signs in.
#[utoipa::path(get, path = "/v1/branding", tag = "auth",
    responses((status = 200, body = BrandingView), (status = 404, body = Problem)))]
pub async fn public_branding(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
) -> Result<Json<BrandingView>, Problem> {
    let (access, look) = tokio::try_join!(
        async {
            platform
                .settings()
                .get(&tenant.id)
                .await
                .map_err(Problem::from)
        },
        async {
            branding::read(platform.table.as_ref(), &tenant.id)
                .await
                .map_err(|e| Problem::storage(&e))
        },
    )?;
    Ok(Json(BrandingView {
        provider: tenant.name,
        logo_url: access.logo_url,
        on_brand_colour: look
            .brand_colour
            .as_deref()
            .and_then(on_brand)
            .map(str::to_owned),
        brand_colour: look.brand_colour,
        support_email: access.support_email,
        support_phone: access.support_phone,
        stylesheet_url: "/v1/branding.css".into(),
        time_zone: access.time_zone,
    }))
}

/// The provider's stylesheet for its sites.
#[utoipa::path(get, path = "/v1/branding.css", tag = "auth",
    responses((status = 200, description = "CSS", content_type = "text/css")))]
pub async fn public_stylesheet(
    State(platform): State<Platform>,
    HostTenant(tenant): HostTenant,
) -> Result<Response, Problem> {
    let look = branding::read(platform.table.as_ref(), &tenant.id)
        .await
        .map_err(|e| Problem::storage(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            // Revalidated on every load: a provider sees its change at once.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        look.stylesheet(),
    )
        .into_response())
}

/// The provider's brand colour, stylesheet and framing origins.
#[utoipa::path(get, path = "/v1/console/branding", tag = "console",
    responses((status = 200, body = Branding), (status = 403, body = Problem)))]
pub async fn console_branding(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<Branding>, Problem> {
    staff.require(Permission::BrandingManage)?;
    let look = branding::read(platform.table.as_ref(), &staff.session.tenant)
        .await
        .map_err(|e| Problem::storage(&e))?;
    Ok(Json(look))
}

/// Replace them. A brand colour that links and buttons could not be read in (under
/// 4.5:1 on white) is refused with the contrast it would have.
#[utoipa::path(put, path = "/v1/console/branding", tag = "console", request_body = Branding,
    responses((status = 200, body = Branding), (status = 422, body = Problem)))]
pub async fn set_branding(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(look): JsonBody<Branding>,
) -> Result<Json<Branding>, Problem> {
    staff.require(Permission::BrandingManage)?;
    let look = look.checked().map_err(Problem::from_violations)?;
    let stamp = staff.stamp(&platform, None, "branding.changed", "")?;
    branding::write(
        platform.table.as_ref(),
        &staff.session.tenant,
        &look,
        platform.clock.now(),
        &stamp,
    )
    .await
    .map_err(|e| Problem::storage(&e))?;
    Ok(Json(look))
}

pub fn public_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(public_branding))
        .routes(routes!(public_stylesheet))
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new().routes(routes!(console_branding, set_branding))
}
