//! The console's accounts: list, search, open, change, deactivate; their portal access
//! (the panel, create and reset emails, usernames, unlock); impersonation; the account's
//! audit trail. The `api-console-accounts` function.
//!
//! Every account is looked up within the staff member's tenant, and must be in one of the
//! staff member's account groups when it is limited to some: otherwise it is not found.
//! Every change is audited.

use super::access::{group_to_list, visible_account};
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::{StaffUser, wire_name};
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{AccountPatch, AccountSummaryView, AccountView, LoginView, PageOf, Paging};
use crate::domain::accounts::{Account, AccountKind, AccountSearch, NewAccount};
use crate::domain::audit::AuditEntry;
use crate::domain::contact::PostalAddressInput;
use crate::domain::identity::logins::EndUserAccess;
use crate::domain::identity::model::LoginState;
use crate::domain::identity::{Permission, Principal, Role};
use crate::domain::paging::PageRequest;
use crate::domain::tenancy::Tenant;
use crate::ids::LoginId;
use crate::platform::Platform;

async fn own_tenant(platform: &Platform, staff: &StaffUser) -> Result<Tenant, Problem> {
    platform
        .tenants()
        .get(&staff.session.tenant)
        .await
        .map_err(|_| Problem::not_found())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountListing {
    /// One box for everything: a piece of the name anywhere in it, the account number,
    /// an email address or a phone number (national or international). A page may come
    /// back short with a cursor: go on from it to search further.
    pub q: Option<String>,
    /// Accounts whose name begins with this.
    pub name: Option<String>,
    pub email: Option<String>,
    pub number: Option<String>,
    /// Accounts of one account group.
    pub group: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// List or search the provider's accounts.
#[utoipa::path(get, path = "/v1/console/accounts", tag = "console", params(AccountListing),
    responses((status = 200, body = PageOf<AccountSummaryView>), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_accounts(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(q): QueryParams<AccountListing>,
) -> Result<Json<PageOf<AccountSummaryView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let tenant = staff.session.tenant;
    let page = PageRequest {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let accounts = platform.accounts();
    let search = if let Some(text) = &q.q {
        let groups = match &staff.session.principal {
            Principal::Staff { groups, .. } => groups.clone(),
            Principal::EndUser { .. } => Some(Default::default()),
        };
        Some(AccountSearch::Anything {
            text: text.clone(),
            groups,
        })
    } else if let Some(name) = &q.name {
        Some(AccountSearch::NamePrefix(name.clone()))
    } else if let Some(email) = &q.email {
        Some(AccountSearch::Email(email.clone()))
    } else {
        q.number.clone().map(AccountSearch::Number)
    };
    let result = match search {
        Some(search) => {
            let mut found = accounts.search(&tenant, &search, &page).await?;
            // A search's hits are few; those outside the staff member's groups are left out.
            found
                .items
                .retain(|a| staff.session.principal.sees_group(a.group.as_deref()));
            if let Some(group) = &q.group {
                found.items.retain(|a| a.group.as_ref() == Some(group));
            }
            found
        }
        None => match group_to_list(&staff, q.group.as_ref())? {
            Some(group) => accounts.list_in_group(&tenant, &group, &page).await?,
            None => accounts.list(&tenant, &page).await?,
        },
    };
    Ok(Json(PageOf::from(result)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    pub kind: AccountKind,
    /// Left out, the provider's next number.
    pub number: Option<String>,
    pub name: String,
    pub billing_address: Option<PostalAddressInput>,
    #[serde(default)]
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub group: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCreated {
    #[serde(flatten)]
    pub account: AccountView,
    /// True when a credential-create email went to the account's addresses.
    pub create_email_sent: bool,
}

/// Open an account. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(post, path = "/v1/console/accounts", tag = "console", request_body = NewAccountBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "8 to 128 characters; a retry with the same key and body returns the same account")),
    responses((status = 201, body = AccountCreated), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_account(
    State(platform): State<Platform>,
    staff: StaffUser,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewAccountBody>,
) -> Result<(StatusCode, Json<AccountCreated>), Problem> {
    staff.require(Permission::AccountsWrite)?;
    if !staff.session.principal.sees_group(body.group.as_deref()) {
        return Err(Problem::validation().field("/group", "choose one of your account groups"));
    }
    let tenant = own_tenant(&platform, &staff).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let new = NewAccount {
        kind: body.kind,
        number: body.number,
        name: body.name,
        billing_address: body.billing_address,
        phones: body.phones,
        emails: body.emails,
        attributes: body.attributes,
        group: body.group,
    };
    let account = platform
        .accounts()
        .create(&tenant, new, key.as_deref())
        .await?;
    let identity = platform.identity();
    let settings = platform.settings().get(&tenant.id).await?;
    // A replayed create finds the email already out (the account has its invitation).
    let mut create_email_sent = false;
    if settings.send_create_email_on_new_account
        && identity
            .logins
            .live_invitation(&tenant.id, &account.id)
            .await?
            .is_none()
    {
        identity
            .credentials
            .send_create_email(
                &tenant.id,
                &account.id,
                Some((&staff.session, &staff.request_id)),
            )
            .await?;
        create_email_sent = true;
    }
    staff
        .record(
            &platform,
            Some(account.id),
            "account.created",
            &account.number,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            account: account.into(),
            create_email_sent,
        }),
    ))
}

/// One account.
#[utoipa::path(get, path = "/v1/console/accounts/{account}", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
pub async fn get_account(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<AccountView>, Problem> {
    staff.require(Permission::AccountsRead)?;
    Ok(Json(
        visible_account(&platform, &staff, &account).await?.into(),
    ))
}

/// Change an account's details, attributes or group.
#[utoipa::path(patch, path = "/v1/console/accounts/{account}", tag = "console",
    params(("account" = String, Path)), request_body = AccountPatch,
    responses((status = 200, body = AccountView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_account(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    JsonBody(patch): JsonBody<AccountPatch>,
) -> Result<Json<AccountView>, Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(&platform, &staff, &account).await?;
    if let Some(group) = &patch.group
        && !staff.session.principal.sees_group(group.as_deref())
    {
        return Err(Problem::validation().field("/group", "choose one of your account groups"));
    }
    let tenant = own_tenant(&platform, &staff).await?;
    let stamp = staff.stamp(&platform, Some(account.id), "account.updated", "")?;
    let updated = platform
        .accounts()
        .update(
            &tenant,
            &account.id,
            patch.changes(),
            patch.expected_version,
            &stamp,
        )
        .await?;
    Ok(Json(updated.into()))
}

/// A retail provider that buys through the caller's provider (a wholesaler).
#[derive(Debug, Serialize, ToSchema)]
pub struct RetailerView {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// `active` or `suspended`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

/// The retailers that buy through this wholesaler, oldest first (a retailer has none).
#[utoipa::path(get, path = "/v1/console/retailers", tag = "console", params(Paging),
    responses((status = 200, body = PageOf<RetailerView>)))]
pub async fn retailers(
    State(platform): State<Platform>,
    staff: StaffUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<RetailerView>>, Problem> {
    staff.require(Permission::AccountsRead)?;
    let page = platform
        .tenants()
        .retailers_of(&staff.session.tenant, &paging.request())
        .await?;
    Ok(Json(PageOf {
        items: page
            .items
            .into_iter()
            .map(|t| RetailerView {
                id: t.id.to_string(),
                name: t.name,
                slug: t.slug,
                status: wire_name(&t.status),
                created_at: t.created_at,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Accounts are never deleted: this answers why, and what to do instead.
#[utoipa::path(delete, path = "/v1/console/accounts/{account}", tag = "console",
    params(("account" = String, Path)),
    responses((status = 403, body = Problem), (status = 404, body = Problem),
        (status = 405, description = "Accounts are made inactive, never deleted", body = Problem)))]
pub async fn delete_account(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(&platform, &staff, &account).await?;
    platform
        .accounts()
        .delete(&staff.session.tenant, &account.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivates (`active` false) or reactivates an account, audited.
async fn set_active(
    platform: &Platform,
    staff: &StaffUser,
    account: &str,
    active: bool,
) -> Result<Json<AccountView>, Problem> {
    staff.require(Permission::AccountsWrite)?;
    let account = visible_account(platform, staff, account).await?;
    let accounts = platform.accounts();
    let tenant = &staff.session.tenant;
    let action = if active {
        "account.reactivated"
    } else {
        "account.deactivated"
    };
    let stamp = staff.stamp(platform, Some(account.id), action, &account.number)?;
    let updated = if active {
        accounts.reactivate(tenant, &account.id, &stamp).await?
    } else {
        accounts.deactivate(tenant, &account.id, &stamp).await?
    };
    Ok(Json(updated.into()))
}

/// Deactivate an account (accounts are never deleted).
#[utoipa::path(post, path = "/v1/console/accounts/{account}/deactivate", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
pub async fn deactivate_account(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<AccountView>, Problem> {
    set_active(&platform, &staff, &account, false).await
}

/// Reactivate an account.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/reactivate", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
pub async fn reactivate_account(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<AccountView>, Problem> {
    set_active(&platform, &staff, &account, true).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalAccess {
    /// `no_username`, `invited`, `active` or `locked`: the owner login's.
    pub state: LoginState,
    pub owner: Option<LoginView>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub invitation_expires_at: Option<OffsetDateTime>,
    pub logins: Vec<LoginView>,
    /// What the panel offers now: `send_create_email` or `send_reset_email`, `unlock`.
    pub offers: Vec<&'static str>,
}

/// The portal access panel of an account.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/portal-access", tag = "console",
    params(("account" = String, Path)),
    responses((status = 200, body = PortalAccess), (status = 404, body = Problem)))]
pub async fn portal_access(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<Json<PortalAccess>, Problem> {
    staff.require(Permission::LoginsManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let panel = platform
        .identity()
        .logins
        .access_panel(&staff.session.tenant, &account.id)
        .await?;
    let offers = match panel.state {
        LoginState::NoUsername | LoginState::Invited => vec!["send_create_email"],
        LoginState::Active => vec!["send_reset_email"],
        LoginState::Locked => vec!["unlock", "send_reset_email"],
    };
    Ok(Json(PortalAccess {
        state: panel.state,
        owner: panel.owner.map(Into::into),
        invitation_expires_at: panel.invitation_expires_at,
        logins: panel.logins.into_iter().map(Into::into).collect(),
        offers,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreateEmailSent {
    #[serde(with = "time::serde::rfc3339")]
    pub link_expires_at: OffsetDateTime,
}

/// Send (again) the account's credential-create email; an earlier link stops working.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/portal-access/create-email", tag = "console",
    params(("account" = String, Path)),
    responses((status = 202, body = CreateEmailSent), (status = 409, description = "The account already has its username", body = Problem)))]
pub async fn send_create_email(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
) -> Result<(StatusCode, Json<CreateEmailSent>), Problem> {
    staff.require(Permission::LoginsManage)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let expires = platform
        .identity()
        .credentials
        .send_create_email(
            &staff.session.tenant,
            &account.id,
            Some((&staff.session, &staff.request_id)),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(CreateEmailSent {
            link_expires_at: expires,
        }),
    ))
}

async fn account_login(
    platform: &Platform,
    staff: &StaffUser,
    account: &str,
    login: &str,
) -> Result<(Account, crate::domain::identity::Login), Problem> {
    let account = visible_account(platform, staff, account).await?;
    let login: LoginId = parse_id(login)?;
    let login = platform
        .identity()
        .logins
        .login_of_account(&staff.session.tenant, &account.id, &login)
        .await?;
    Ok((account, login))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginChanges {
    pub username: Option<String>,
    pub role: Option<Role>,
    pub allow_orders: Option<bool>,
}

/// Rename a login's username, or change its role and order permission.
#[utoipa::path(patch, path = "/v1/console/accounts/{account}/logins/{login}", tag = "console",
    params(("account" = String, Path), ("login" = String, Path)), request_body = LoginChanges,
    responses((status = 200, body = LoginView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_login(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, login)): Path<(String, String)>,
    JsonBody(body): JsonBody<LoginChanges>,
) -> Result<Json<LoginView>, Problem> {
    staff.require(Permission::LoginsManage)?;
    let (account, mut login) = account_login(&platform, &staff, &account, &login).await?;
    let identity = platform.identity();
    if let Some(username) = &body.username {
        let stamp = staff.stamp(
            &platform,
            Some(account.id),
            "login.renamed",
            &format!("{} to {}", login.username, username.trim()),
        )?;
        login = identity
            .logins
            .rename(&staff.session.tenant, &login.id, username, &stamp)
            .await?;
    }
    if body.role.is_some() || body.allow_orders.is_some() {
        let Principal::EndUser {
            role, allow_orders, ..
        } = login.principal
        else {
            return Err(Problem::not_found());
        };
        let stamp = staff.stamp(
            &platform,
            Some(account.id),
            "login.access_changed",
            &login.username,
        )?;
        login = identity
            .logins
            .set_end_user_access(
                &staff.session.tenant,
                &account.id,
                &login.id,
                EndUserAccess {
                    role: body.role.unwrap_or(role),
                    allow_orders: body.allow_orders.unwrap_or(allow_orders),
                },
                &stamp,
            )
            .await?;
    }
    Ok(Json(login.into()))
}

/// Delete a login's username: the login is removed and its sessions end; the account can
/// then be sent a new credential-create email.
#[utoipa::path(delete, path = "/v1/console/accounts/{account}/logins/{login}", tag = "console",
    params(("account" = String, Path), ("login" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_login(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, login)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::LoginsManage)?;
    let (account, login) = account_login(&platform, &staff, &account, &login).await?;
    let stamp = staff.stamp(
        &platform,
        Some(account.id),
        "login.removed",
        &login.username,
    )?;
    platform
        .identity()
        .logins
        .remove_login(&staff.session.tenant, &login.id, &stamp)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a login its password-reset email.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/logins/{login}/reset-email", tag = "console",
    params(("account" = String, Path), ("login" = String, Path)),
    responses((status = 202), (status = 404, body = Problem), (status = 409, description = "One was sent minutes ago", body = Problem)))]
pub async fn send_reset_email(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, login)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    staff.require(Permission::LoginsManage)?;
    let (_, login) = account_login(&platform, &staff, &account, &login).await?;
    platform
        .identity()
        .credentials
        .send_reset_email(
            &staff.session.tenant,
            &login.id,
            (&staff.session, &staff.request_id),
        )
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Unlock a locked login.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/logins/{login}/unlock", tag = "console",
    params(("account" = String, Path), ("login" = String, Path)),
    responses((status = 200, body = LoginView), (status = 404, body = Problem)))]
pub async fn unlock_login(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, login)): Path<(String, String)>,
) -> Result<Json<LoginView>, Problem> {
    staff.require(Permission::LoginsManage)?;
    let (_, login) = account_login(&platform, &staff, &account, &login).await?;
    let login = platform
        .identity()
        .lockout
        .unlock(&staff.session, &login.id, &staff.request_id)
        .await?;
    Ok(Json(login.into()))
}

/// Turn off a login's second factor (the customer lost its phone): audited, its sessions
/// end, and the customer is told by mail.
#[utoipa::path(post, path = "/v1/console/accounts/{account}/logins/{login}/two-factor/reset", tag = "console",
    params(("account" = String, Path), ("login" = String, Path)),
    responses((status = 200, body = LoginView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_two_factor(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, login)): Path<(String, String)>,
) -> Result<Json<LoginView>, Problem> {
    staff.require(Permission::LoginsManage)?;
    let (_, login) = account_login(&platform, &staff, &account, &login).await?;
    let login = platform
        .identity()
        .two_factor
        .reset_two_factor(&staff.session, &login, &staff.request_id)
        .await?;
    Ok(Json(login.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Impersonate {
    /// Look only: every change is refused in the session.
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Impersonation {
    /// A bearer token for the portal, valid for 30 minutes at most.
    pub token: String,
    pub csrf_token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub read_only: bool,
}

/// Start a portal session as one of the account's logins (audited; 30 minutes at most).
#[utoipa::path(post, path = "/v1/console/accounts/{account}/logins/{login}/impersonate", tag = "console",
    params(("account" = String, Path), ("login" = String, Path)), request_body = Impersonate,
    responses((status = 201, body = Impersonation), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn impersonate(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path((account, login)): Path<(String, String)>,
    JsonBody(body): JsonBody<Impersonate>,
) -> Result<(StatusCode, Json<Impersonation>), Problem> {
    staff.require(Permission::Impersonate)?;
    let (account, login) = account_login(&platform, &staff, &account, &login).await?;
    let started = platform
        .identity()
        .impersonation
        .impersonate(
            &staff.session,
            &account.id,
            &login.id,
            body.read_only,
            &staff.request_id,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Impersonation {
            token: started.token,
            csrf_token: started.csrf_token,
            expires_at: started.session.expires_at,
            read_only: started.session.read_only,
        }),
    ))
}

/// The account's audit trail, newest first.
#[utoipa::path(get, path = "/v1/console/accounts/{account}/audit", tag = "console",
    params(("account" = String, Path), Paging),
    responses((status = 200, body = PageOf<AuditEntry>), (status = 404, body = Problem)))]
pub async fn account_audit(
    State(platform): State<Platform>,
    staff: StaffUser,
    Path(account): Path<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<AuditEntry>>, Problem> {
    staff.require(Permission::AuditView)?;
    let account = visible_account(&platform, &staff, &account).await?;
    let page = platform
        .audit()
        .account_trail(&staff.session.tenant, &account.id, &paging.request())
        .await?;
    Ok(Json(PageOf::from(page)))
}

pub fn router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
        .routes(routes!(retailers))
        .routes(routes!(deactivate_account))
        .routes(routes!(reactivate_account))
        .routes(routes!(portal_access))
        .routes(routes!(send_create_email))
        .routes(routes!(update_login, remove_login))
        .routes(routes!(send_reset_email))
        .routes(routes!(unlock_login))
        .routes(routes!(reset_two_factor))
        .routes(routes!(impersonate))
        .routes(routes!(account_audit))
}
