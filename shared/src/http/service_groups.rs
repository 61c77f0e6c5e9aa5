//! Service groups over HTTP (the console, `api-console-services`): a provider's groups of
//! services across its accounts. Groups span accounts, so staff limited to account groups
//! cannot list or make them; they may still add and remove services of accounts they see.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::StaffUser;
use super::access::visible_account;
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{PageOf, Paging};
use crate::domain::identity::Permission;
use crate::domain::service_groups::{Member, ServiceGroup};
use crate::ids::ServiceId;
use crate::platform::Platform;

fn every_account(staff: &StaffUser) -> Result<(), Problem> {
    if staff.session.principal.sees_group(None) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Service groups span accounts; staff limited to account groups cannot see them",
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: String,
    /// Your own kind of group, e.g. `number-group`, `e911`, `endpoint`.
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<ServiceGroup> for GroupView {
    fn from(g: ServiceGroup) -> Self {
        GroupView {
            id: g.id,
            name: g.name,
            kind: g.kind,
            created_at: g.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub service: String,
    pub account: String,
    pub identifier: String,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            service: m.service,
            account: m.account,
            identifier: m.identifier,
            added_at: m.added_at,
        }
    }
}

/// Make a service group (accounts_write). One of the same name is answered as it is, with
/// 200, so a retry never makes two.
#[utoipa::path(post, path = "/v1/console/service-groups", tag = "console",
    request_body = GroupInput,
    responses((status = 201, body = GroupView), (status = 200, body = GroupView),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_group(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(body): JsonBody<GroupInput>,
) -> Result<(StatusCode, Json<GroupView>), Problem> {
    staff.require(Permission::AccountsWrite)?;
    every_account(&staff)?;
    let stamp = staff.stamp(&platform, None, "service_group.created", body.name.trim())?;
    let (group, created) = platform
        .service_groups()
        .create(&staff.session.tenant, &body.name, &body.kind, &stamp)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(group.into())))
}

/// The tenant's service groups, by name.
#[utoipa::path(get, path = "/v1/console/service-groups", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<GroupView>), (status = 403, body = Problem)))]
pub async fn list_groups(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<GroupView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    every_account(&staff)?;
    let page = platform
        .service_groups()
        .list(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A group's services, by service id.
#[utoipa::path(get, path = "/v1/console/service-groups/{group}/members", tag = "console",
    params(("group" = String, Path), Paging),
    responses((status = 200, body = PageOf<MemberView>), (status = 404, body = Problem)))]
pub async fn group_members(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(group): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<MemberView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    every_account(&staff)?;
    let page = platform
        .service_groups()
        .members(&staff.session.tenant, &group, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Put one of an account's services in a group (accounts_write); again is not an error.
#[utoipa::path(put, path = "/v1/console/accounts/{account}/services/{service}/groups/{group}",
    tag = "console",
    params(("account" = String, Path), ("service" = String, Path), ("group" = String, Path)),
    responses((status = 200, body = MemberView), (status = 404, body = Problem)))]
pub async fn add_member(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, service, group)): Path<(String, String, String)>,
) -> Result<Json<MemberView>, Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let service: ServiceId = parse_id(&service)?;
    let stamp = staff.stamp(
        &platform,
        Some(account.id),
        "service_group.service_added",
        &format!("{service} to {group}"),
    )?;
    let member = platform
        .service_groups()
        .add(&staff.session.tenant, &group, &account.id, &service, &stamp)
        .await?;
    Ok(Json(member.into()))
}

/// Take one of an account's services out of a group (accounts_write).
#[utoipa::path(delete, path = "/v1/console/accounts/{account}/services/{service}/groups/{group}",
    tag = "console",
    params(("account" = String, Path), ("service" = String, Path), ("group" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_member(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, service, group)): Path<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let service: ServiceId = parse_id(&service)?;
    let stamp = staff.stamp(
        &platform,
        Some(account.id),
        "service_group.service_removed",
        &format!("{service} from {group}"),
    )?;
    platform
        .service_groups()
        .remove(&staff.session.tenant, &group, &account.id, &service, &stamp)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn console_routes() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(create_group, list_groups))
        .routes(routes!(group_members))
        .routes(routes!(add_member, remove_member))
}
