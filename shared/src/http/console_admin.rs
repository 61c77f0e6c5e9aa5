//! The console's administration: who am I, staff and their permissions, the audit trail,
//! the Locked Out Users report, and the access settings. The `api-console-admin` function.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::visible_account;
use super::access::{StaffUser, wire_name};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{LoginView, PageOf, Paging};
use crate::domain::audit::{AuditEntry, TrailFilter};
use crate::domain::identity::credentials::StaffInvitation;
use crate::domain::identity::logins::StaffAccess;
use crate::domain::identity::{Permission, Principal};
use crate::domain::outbox;
use crate::domain::paging::PageRequest;
use crate::domain::settings::AccessSettings;
use crate::domain::tenancy::AttributeDefinition;
use crate::ids::LoginId;
use crate::platform::Platform;
use crate::store::{Transaction, TransactionError};

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffMe {
    pub login: String,
    pub username: String,
    pub language: String,
    pub provider: String,
    pub provider_kind: String,
    pub permissions: BTreeSet<Permission>,
    /// Absent: every account.
    pub groups: Option<BTreeSet<String>>,
    #[serde(with = "time::serde::rfc3339")]
    pub session_expires_at: OffsetDateTime,
    /// The provider requires two-factor sign-in for staff and it is not set up yet.
    pub two_factor_enrolment_required: bool,
}

/// Who am I in the console, and what may I do?
#[utoipa::path(get, path = "/v1/console/me", tag = "console",
    responses((status = 200, body = StaffMe), (status = 401, body = Problem)))]
pub async fn staff_me(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<StaffMe>, Problem> {
    let tenant = platform
        .tenants()
        .get(&staff.session.tenant)
        .await
        .map_err(|_| Problem::not_found())?;
    let Principal::Staff {
        permissions,
        groups,
    } = &staff.session.principal
    else {
        return Err(Problem::not_found());
    };
    Ok(Json(StaffMe {
        login: staff.session.login.to_string(),
        username: staff.session.username.clone(),
        language: staff.session.language.clone(),
        provider: tenant.name,
        provider_kind: wire_name(&tenant.kind),
        permissions: permissions.clone(),
        groups: groups.clone(),
        session_expires_at: staff.session.expires_at,
        two_factor_enrolment_required: staff.session.enrolment_only,
    }))
}

/// The provider's staff.
#[utoipa::path(get, path = "/v1/console/staff", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<LoginView>), (status = 403, body = Problem)))]
pub async fn list_staff(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<LoginView>>, Problem> {
    staff.require(Permission::StaffManage)?;
    let page = platform
        .identity()
        .logins
        .staff(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf::from(page)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    /// Limit to these account groups; left out, every account.
    pub groups: Option<BTreeSet<String>>,
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffInvited {
    #[serde(with = "time::serde::rfc3339")]
    pub link_expires_at: OffsetDateTime,
}

/// Invite a staff member: a credential-create link goes to their address. Nobody grants
/// a permission they do not hold.
#[utoipa::path(post, path = "/v1/console/staff", tag = "console", request_body = NewStaff,
    responses((status = 202, body = StaffInvited), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn invite_staff(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(body): JsonBody<NewStaff>,
) -> Result<(StatusCode, Json<StaffInvited>), Problem> {
    staff.require(Permission::StaffManage)?;
    grantable(&staff, &body.permissions, body.groups.as_ref())?;
    let expires = platform
        .identity()
        .credentials
        .invite_staff(
            &staff.session.tenant,
            StaffInvitation {
                email: body.email,
                name: body.name,
                permissions: body.permissions,
                groups: body.groups,
                language: body.language,
            },
            Some((&staff.session, &staff.request_id)),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StaffInvited {
            link_expires_at: expires,
        }),
    ))
}

/// Staff grant only what they hold, and limited staff only within their own groups.
fn grantable(
    staff: &StaffUser,
    permissions: &BTreeSet<Permission>,
    groups: Option<&BTreeSet<String>>,
) -> Result<(), Problem> {
    let Principal::Staff {
        permissions: held,
        groups: own_groups,
    } = &staff.session.principal
    else {
        return Err(Problem::not_found());
    };
    let mut problem = Problem::new(
        StatusCode::FORBIDDEN,
        "permission-not-grantable",
        "You cannot grant more than you hold",
    );
    for p in permissions.difference(held) {
        problem = problem.field("/permissions", wire_name(p));
    }
    if let Some(own) = own_groups {
        match groups {
            None => problem = problem.field("/groups", "you may only grant your own groups"),
            Some(g) if !g.is_subset(own) => {
                problem = problem.field("/groups", "you may only grant your own groups")
            }
            _ => {}
        }
    }
    if problem.errors.is_empty() {
        Ok(())
    } else {
        Err(problem)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffChanges {
    pub permissions: BTreeSet<Permission>,
    pub groups: Option<BTreeSet<String>>,
}

/// Change a staff member's permissions and groups; their sessions end.
#[utoipa::path(patch, path = "/v1/console/staff/{login}", tag = "console",
    params(("login" = String, Path)), request_body = StaffChanges,
    responses((status = 200, body = LoginView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Your own permissions, or they changed meanwhile", body = Problem)))]
pub async fn update_staff(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(login): Path<String>,
    JsonBody(body): JsonBody<StaffChanges>,
) -> Result<Json<LoginView>, Problem> {
    staff.require(Permission::StaffManage)?;
    let login = staff_login(&platform, &staff, &login).await?;
    if login.id == staff.session.login {
        return Err(Problem::conflict("you cannot change your own permissions"));
    }
    grantable(&staff, &body.permissions, body.groups.as_ref())?;
    let stamp = staff.stamp(&platform, None, "staff.access_changed", &login.username)?;
    let identity = platform.identity();
    let updated = identity
        .logins
        .set_staff_access(
            &staff.session.tenant,
            &login.id,
            StaffAccess {
                permissions: body.permissions,
                groups: body.groups,
            },
            &stamp,
        )
        .await?;
    Ok(Json(updated.into()))
}

async fn staff_login(
    platform: &Platform,
    staff: &StaffUser,
    login: &str,
) -> Result<crate::domain::identity::Login, Problem> {
    let id: LoginId = parse_id(login)?;
    let login = platform
        .identity()
        .logins
        .login(&staff.session.tenant, &id)
        .await?;
    if !matches!(login.principal, Principal::Staff { .. }) {
        return Err(Problem::not_found());
    }
    if !staff.session.principal.reaches(&login.principal) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "staff-beyond-reach",
            "This staff member may do more than you may",
        )
        .detail(
            "You manage only staff whose permissions and accounts are within your own; \
             ask a staff member who holds all of theirs.",
        ));
    }
    Ok(login)
}

/// Remove a staff member; their sessions end.
#[utoipa::path(delete, path = "/v1/console/staff/{login}", tag = "console",
    params(("login" = String, Path)),
    responses((status = 204), (status = 404, body = Problem),
        (status = 409, description = "Yourself, or the login changed meanwhile", body = Problem)))]
pub async fn remove_staff(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(login): Path<String>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::StaffManage)?;
    let login = staff_login(&platform, &staff, &login).await?;
    if login.id == staff.session.login {
        return Err(Problem::conflict("you cannot remove yourself"));
    }
    let stamp = staff.stamp(&platform, None, "staff.removed", &login.username)?;
    platform
        .identity()
        .logins
        .remove_login(&staff.session.tenant, &login.id, &stamp)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlock a locked staff member.
#[utoipa::path(post, path = "/v1/console/staff/{login}/unlock", tag = "console",
    params(("login" = String, Path)),
    responses((status = 200, body = LoginView), (status = 404, body = Problem)))]
pub async fn unlock_staff(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(login): Path<String>,
) -> Result<Json<LoginView>, Problem> {
    staff.require(Permission::StaffManage)?;
    let login = staff_login(&platform, &staff, &login).await?;
    let login = platform
        .identity()
        .lockout
        .unlock(&staff.session, &login.id, &staff.request_id)
        .await?;
    Ok(Json(login.into()))
}

/// Turn off a staff member's second factor (a lost phone): audited, their sessions end,
/// and they are told by mail. Nobody resets their own.
#[utoipa::path(post, path = "/v1/console/staff/{login}/two-factor/reset", tag = "console",
    params(("login" = String, Path)),
    responses((status = 200, body = LoginView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_staff_two_factor(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(login): Path<String>,
) -> Result<Json<LoginView>, Problem> {
    staff.require(Permission::StaffManage)?;
    let login = staff_login(&platform, &staff, &login).await?;
    let login = platform
        .identity()
        .two_factor
        .reset_two_factor(&staff.session, &login, &staff.request_id)
        .await?;
    Ok(Json(login.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailedMailView {
    pub id: String,
    /// What the message was about: `credential-create`, `password-reset`, `locked-out`, ...
    pub purpose: String,
    pub to: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    pub attempts: i64,
    /// Why the last attempt failed, as the mail service said it.
    pub last_error: Option<String>,
}

/// Staff who see every account (failed mail names any account's addresses) and manage
/// the provider's settings (mail settings are where most failures are fixed).
fn may_handle_failed_mail(staff: &StaffUser) -> Result<(), Problem> {
    staff.require(Permission::SettingsManage)?;
    if !staff.session.principal.sees_group(None) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Failed mail is for staff who see every account",
        ));
    }
    Ok(())
}

/// Mail that could not be sent, newest first.
#[utoipa::path(get, path = "/v1/console/mail/failed", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<FailedMailView>), (status = 403, body = Problem)))]
pub async fn failed_mail(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<FailedMailView>>, Problem> {
    may_handle_failed_mail(&staff)?;
    let page = outbox::failed_page(
        platform.table.as_ref(),
        &platform.cursors,
        &staff.session.tenant,
        &paging.request(),
    )
    .await
    .map_err(Problem::from)?;
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|m| FailedMailView {
                id: m.id,
                purpose: m.purpose,
                to: m.to,
                created_at: m.created_at,
                attempts: m.attempts,
                last_error: m.last_error,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Send a failed message again (after fixing its cause): it goes within a minute.
#[utoipa::path(post, path = "/v1/console/mail/failed/{id}/retry", tag = "console",
    params(("id" = String, Path)),
    responses((status = 202, description = "Back in line"), (status = 404, body = Problem)))]
pub async fn retry_failed_mail(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    may_handle_failed_mail(&staff)?;
    let Some(retry) = outbox::retry_write(&staff.session.tenant, &id, platform.clock.now()) else {
        return Err(Problem::not_found());
    };
    let audit = platform.audit().write(
        &staff.session,
        None,
        "mail.retried",
        &id,
        &staff.request_id,
        false,
    )?;
    let mut tx = Transaction::new();
    tx.add("failed mail", retry).add("audit entry", audit);
    match tx.commit(platform.table.as_ref()).await {
        Ok(()) => {}
        Err(TransactionError::ConditionFailed("failed mail")) => {
            return Err(Problem::not_found());
        }
        Err(e) => return Err(Problem::storage(&e.into())),
    }
    Ok(StatusCode::ACCEPTED)
}

/// What the audit trail is narrowed to, and how it is answered.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrailQuery {
    /// Only this account's entries (its id).
    pub account: Option<String>,
    /// Only what this staff member did (their login id), also while impersonating.
    pub actor: Option<String>,
    /// From this day on (the provider's date, `2026-11-01`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Up to this day, included.
    #[param(format = Date)]
    pub to: Option<String>,
    /// `json` (the default: a page) or `csv` (every matching entry, up to 5,000; more is
    /// refused with `export-too-large`: narrow the days).
    pub format: Option<String>,
    /// 1 to 100; 25 when left out (JSON only).
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The most entries one CSV file holds, and the most pages read for it (a filter by staff
/// member reads more than it keeps): a file that would hold more is refused, never cut.
const TRAIL_CSV_ROWS: usize = 5_000;
const TRAIL_CSV_PAGES: usize = 50;

/// The provider's audit trail, newest first, narrowed by account, staff member and the
/// provider's days; as pages of JSON or one CSV file. Staff limited to some account
/// groups read it one account at a time.
#[utoipa::path(get, path = "/v1/console/audit", tag = "console", params(TrailQuery),
    responses((status = 200, description = "A page as JSON, or every entry as CSV with `format=csv`",
            content((PageOf<AuditEntry> = "application/json"), (String = "text/csv"))),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn audit_trail(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<TrailQuery>,
) -> Result<Response, Problem> {
    staff.require(Permission::AuditView)?;
    let csv = super::downloads::wants_csv(q.format.as_deref())?;
    let account = match q.account.as_deref() {
        Some(id) => Some(visible_account(&platform, &staff, id).await?.id),
        None if !staff.session.principal.sees_group(None) => {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The whole trail is for staff who see every account",
            )
            .detail("Open an account's own trail instead."));
        }
        None => None,
    };
    let (since, before) = super::views::day_range(
        &platform,
        &staff.session.tenant,
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await?;
    let filter = TrailFilter {
        account,
        actor: q.actor.clone().filter(|a| !a.trim().is_empty()),
        since,
        before,
    };
    let audit = platform.audit();
    let tenant = &staff.session.tenant;
    let zone = crate::domain::settings::zone(platform.table.as_ref(), tenant)
        .await
        .map_err(|e| Problem::storage(&e))?;
    if !csv {
        let paging = Paging {
            limit: q.limit,
            cursor: q.cursor.clone(),
        };
        let page = audit.search(tenant, &filter, &paging.request()).await?;
        return Ok(Json(PageOf::<AuditEntry>::from(page)).into_response());
    }
    let mut rows = Vec::new();
    let mut cursor = None;
    for page_read in 1.. {
        let page = audit
            .search(tenant, &filter, &PageRequest::after(100, cursor))
            .await?;
        rows.extend(page.items.into_iter().map(|e| {
            vec![
                zone.local(e.at)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                e.actor_username,
                e.on_behalf_of_username.unwrap_or_default(),
                e.account.unwrap_or_default(),
                e.action,
                e.detail,
                e.request_id,
            ]
        }));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
        if rows.len() >= TRAIL_CSV_ROWS || page_read >= TRAIL_CSV_PAGES {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "export-too-large",
                "More entries match than one file holds",
            )
            .detail("Choose fewer days (from and to), or one staff member or account."));
        }
    }
    super::downloads::csv_response(
        "audit-trail.csv",
        &[
            "at",
            "staff member",
            "acting as",
            "account",
            "action",
            "detail",
            "request id",
        ],
        rows,
    )
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LockedOutUser {
    pub login: String,
    pub username: String,
    pub email: String,
    /// The account, for an end user; absent for staff.
    pub account: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_at: Option<OffsetDateTime>,
    pub failed_attempts: u32,
    /// Where the last failed attempt came from.
    pub last_failed_from: Option<String>,
}

/// The Locked Out Users report, longest locked first, as JSON or CSV.
#[utoipa::path(get, path = "/v1/console/reports/locked-out-users", tag = "console", params(ReportQuery),
    responses(
        (status = 200, description = "JSON, or CSV with `format=csv`",
            content((PageOf<LockedOutUser> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem),
    ))]
pub async fn locked_out_users(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<ReportQuery>,
) -> Result<Response, Problem> {
    staff.require(Permission::ReportsView)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(Problem::validation().field("format", "json or csv")),
    };
    let page = platform
        .identity()
        .lockout
        .locked_logins(
            &staff.session,
            &crate::domain::paging::PageRequest {
                limit: q.limit,
                cursor: q.cursor,
            },
        )
        .await?;
    let rows: Vec<LockedOutUser> = page
        .items
        .into_iter()
        .map(|l| LockedOutUser {
            login: l.id.to_string(),
            account: l.principal.account().map(|a| a.to_string()),
            username: l.username,
            email: l.email.to_string(),
            locked_at: l.locked_at,
            failed_attempts: l.failed_attempts,
            last_failed_from: l.last_failed_from,
        })
        .collect();
    if !csv {
        return Ok(Json(PageOf {
            items: rows,
            next_cursor: page.next_cursor,
        })
        .into_response());
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: &dyn std::fmt::Display| Problem::internal(e);
    writer
        .write_record([
            "login",
            "username",
            "email",
            "account",
            "locked_at",
            "failed_attempts",
            "last_failed_from",
        ])
        .map_err(|e| fail(&e))?;
    for row in &rows {
        writer
            .write_record([
                row.login.as_str(),
                &crate::export::csv_safe(&row.username),
                &crate::export::csv_safe(&row.email),
                row.account.as_deref().unwrap_or(""),
                &row.locked_at.map(crate::store::rfc3339).unwrap_or_default(),
                &row.failed_attempts.to_string(),
                &crate::export::csv_safe(row.last_failed_from.as_deref().unwrap_or("")),
            ])
            .map_err(|e| fail(&e))?;
    }
    let body = writer.into_inner().map_err(|e| fail(&e))?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"locked-out-users.csv\"",
            ),
        ],
        body,
    )
        .into_response();
    if let Some(next) = page.next_cursor
        && let Ok(value) = header::HeaderValue::from_str(&next)
    {
        response.headers_mut().insert("x-next-cursor", value);
    }
    Ok(response)
}

/// The access settings: portal access, links, lock-out, sessions, modules, mail details.
#[utoipa::path(get, path = "/v1/console/settings/access", tag = "console",
    responses((status = 200, body = AccessSettings), (status = 403, body = Problem)))]
pub async fn get_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<AccessSettings>, Problem> {
    staff.require(Permission::SettingsManage)?;
    Ok(Json(platform.settings().get(&staff.session.tenant).await?))
}

/// Replace the access settings (fields left out take their defaults).
#[utoipa::path(put, path = "/v1/console/settings/access", tag = "console", request_body = AccessSettings,
    responses((status = 200, body = AccessSettings), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(settings): JsonBody<AccessSettings>,
) -> Result<Json<AccessSettings>, Problem> {
    staff.require(Permission::SettingsManage)?;
    let detail = format!(
        "modules {}, two-factor for staff {}, for customers {}, lock-out after {}",
        serde_json::to_string(&settings.modules).unwrap_or_default(),
        settings.two_factor_required_for_staff,
        settings.two_factor_required_for_end_users,
        settings.lockout_threshold
    );
    let stamp = staff.stamp(&platform, None, "settings.access_changed", &detail)?;
    let saved = platform
        .settings()
        .set(&staff.session.tenant, settings, &stamp)
        .await?;
    Ok(Json(saved))
}

/// An attribute every account of the provider carries (a sales region, a contract number).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountAttribute {
    /// 1 to 40 letters, digits, `-` and `_`.
    pub name: String,
    /// What new accounts get when they are opened without it (200 characters at most).
    #[serde(default)]
    pub default: Option<String>,
    /// New and changed accounts must have it (from their next change: existing accounts
    /// keep what they have).
    #[serde(default)]
    pub required: bool,
}

impl From<AttributeDefinition> for AccountAttribute {
    fn from(d: AttributeDefinition) -> Self {
        AccountAttribute {
            name: d.name,
            default: d.default,
            required: d.required,
        }
    }
}

fn attribute_views(definitions: Vec<AttributeDefinition>) -> Vec<AccountAttribute> {
    definitions.into_iter().map(Into::into).collect()
}

/// The attributes the provider's accounts carry (for staff who read accounts, whose forms
/// show them, and for those who set them).
#[utoipa::path(get, path = "/v1/console/settings/account-attributes", tag = "console",
    responses((status = 200, body = Vec<AccountAttribute>)))]
pub async fn get_account_attributes(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<Vec<AccountAttribute>>, Problem> {
    if !staff.session.principal.may(Permission::AccountsRead) {
        staff.require(Permission::SettingsManage)?;
    }
    let tenant = platform.tenants().get(&staff.session.tenant).await?;
    Ok(Json(attribute_views(tenant.account_attributes)))
}

/// Replace the attributes the provider's accounts carry (at most 30; values accounts hold
/// for an attribute taken away stay on them until they are changed).
#[utoipa::path(put, path = "/v1/console/settings/account-attributes", tag = "console",
    request_body = Vec<AccountAttribute>,
    responses((status = 200, body = Vec<AccountAttribute>)))]
pub async fn put_account_attributes(
    State(platform): State<Platform>,
    staff: StaffUser,
    JsonBody(attributes): JsonBody<Vec<AccountAttribute>>,
) -> Result<Json<Vec<AccountAttribute>>, Problem> {
    staff.require(Permission::SettingsManage)?;
    let definitions = attributes
        .into_iter()
        .map(|a| AttributeDefinition {
            name: a.name.trim().to_owned(),
            default: a.default.filter(|d| !d.trim().is_empty()),
            required: a.required,
        })
        .collect::<Vec<AttributeDefinition>>();
    let names = definitions
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let stamp = staff.stamp(
        &platform,
        None,
        "settings.account_attributes_changed",
        &names,
    )?;
    let tenant = platform
        .tenants()
        .set_account_attributes(&staff.session.tenant, definitions, &stamp)
        .await?;
    Ok(Json(attribute_views(tenant.account_attributes)))
}

pub fn router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(staff_me))
        .routes(routes!(list_staff, invite_staff))
        .routes(routes!(update_staff, remove_staff))
        .routes(routes!(unlock_staff))
        .routes(routes!(reset_staff_two_factor))
        .routes(routes!(failed_mail))
        .routes(routes!(retry_failed_mail))
        .routes(routes!(audit_trail))
        .routes(routes!(locked_out_users))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(get_account_attributes, put_account_attributes))
        .merge(super::branding::console_routes())
}
