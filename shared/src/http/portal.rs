//! The end user's own: who am I, my account's details, who accessed my account, and (for
//! the account's owner) the account's other logins. The `api-portal` function.
//!
//! Every endpoint takes the account from the session, never from the request: an end user
//! cannot name another account. Actions in an impersonated session are audited.

use super::access::{PortalAction, actions, require};
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access::PortalUser;
use super::problem::{JsonBody, Problem, QueryParams, parse_id};
use super::views::{AccountPatch, AccountView, LoginView, PageOf, Paging};
use crate::domain::audit::AuditEntry;
use crate::domain::identity::credentials::LoginInvitation;
use crate::domain::identity::logins::EndUserAccess;
use crate::domain::identity::mail_choices::MailChoices;
use crate::domain::identity::records::InvitedColleague;
use crate::domain::identity::{MailTopic, Principal, Role};
use crate::domain::settings::EditableField;
use crate::domain::settings::Module;
use crate::ids::LoginId;
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct ImpersonationView {
    pub by: String,
    pub read_only: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRef {
    pub id: String,
    pub number: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub login: String,
    pub username: String,
    pub language: String,
    pub role: Role,
    pub allow_orders: bool,
    pub account: AccountRef,
    pub provider: String,
    /// The portal modules the provider has turned on.
    pub modules: BTreeSet<Module>,
    /// What this login may do.
    pub actions: BTreeSet<PortalAction>,
    /// The account fields the provider lets customers change.
    pub editable_fields: BTreeSet<EditableField>,
    /// Present when staff are acting as this login.
    pub impersonation: Option<ImpersonationView>,
    #[serde(with = "time::serde::rfc3339")]
    pub session_expires_at: OffsetDateTime,
    /// The provider requires two-factor sign-in and it is not set up: show the set-up
    /// first; everything else answers `two-factor-enrolment-required` until then.
    pub two_factor_enrolment_required: bool,
    /// Signed in from a "fix your card" link: the card pages only (payments, cards,
    /// invoices), for half an hour; everything else answers `card-pages-only`.
    pub card_pages_only: bool,
}

/// Who am I, and what may I do here?
#[utoipa::path(get, path = "/v1/portal/me", tag = "portal",
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn portal_me(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Me>, Problem> {
    let session = &user.session;
    let Principal::EndUser {
        account,
        role,
        allow_orders,
    } = &session.principal
    else {
        return Err(Problem::not_found());
    };
    let _identity = platform.identity();
    let (account, settings, tenant) = tokio::try_join!(
        async {
            platform
                .accounts()
                .get(&session.tenant, account)
                .await
                .map_err(Problem::from)
        },
        async {
            platform
                .settings()
                .get(&session.tenant)
                .await
                .map_err(Problem::from)
        },
        async {
            platform
                .tenants()
                .get(&session.tenant)
                .await
                .map_err(|_| Problem::not_found())
        },
    )?;
    Ok(Json(Me {
        login: session.login.to_string(),
        username: session.username.clone(),
        language: session.language.clone(),
        role: *role,
        allow_orders: *allow_orders,
        account: AccountRef {
            id: account.id.to_string(),
            number: account.number,
            name: account.name,
        },
        provider: tenant.name,
        modules: settings.modules,
        actions: actions(session),
        editable_fields: settings.customer_editable_fields,
        impersonation: session.impersonator.as_ref().map(|i| ImpersonationView {
            by: i.username.clone(),
            read_only: session.read_only,
            ends_at: session.expires_at,
        }),
        session_expires_at: session.expires_at,
        two_factor_enrolment_required: session.enrolment_only,
        card_pages_only: session.card_only,
    }))
}

/// My account's details.
#[utoipa::path(get, path = "/v1/portal/account", tag = "portal",
    responses((status = 200, body = AccountView), (status = 401, body = Problem)))]
pub async fn own_account(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<AccountView>, Problem> {
    let account = require(&user.session, PortalAction::AccountView)?;
    let account = platform
        .accounts()
        .get(&user.session.tenant, &account)
        .await?;
    Ok(Json(account.into()))
}

/// Change my account's details (the fields the provider allows).
#[utoipa::path(patch, path = "/v1/portal/account", tag = "portal", request_body = AccountPatch,
    responses(
        (status = 200, body = AccountView),
        (status = 403, description = "The login's role may not edit, or a field is not editable", body = Problem),
        (status = 409, description = "Stale version", body = Problem),
        (status = 422, body = Problem),
    ))]
pub async fn update_own_account(
    State(platform): State<Platform>,
    user: PortalUser,
    JsonBody(patch): JsonBody<AccountPatch>,
) -> Result<Json<AccountView>, Problem> {
    let session = &user.session;
    let account = require(session, PortalAction::AccountEdit)?;
    let _identity = platform.identity();
    let settings = platform.settings().get(&session.tenant).await?;
    let mut refused = Problem::new(
        StatusCode::FORBIDDEN,
        "field-not-editable",
        "Your provider does not let customers change these fields",
    );
    let asked = [
        (patch.name.is_some(), EditableField::Name, "/name"),
        (
            patch.billing_address.is_some(),
            EditableField::BillingAddress,
            "/billing_address",
        ),
        (patch.phones.is_some(), EditableField::Phones, "/phones"),
        (patch.emails.is_some(), EditableField::Emails, "/emails"),
    ];
    for (given, field, pointer) in asked {
        if given && !settings.customer_editable_fields.contains(&field) {
            refused = refused.field(pointer, "not editable by customers");
        }
    }
    if patch.attributes.is_some() {
        refused = refused.field("/attributes", "set by your provider");
    }
    if patch.group.is_some() {
        refused = refused.field("/group", "set by your provider");
    }
    if !refused.errors.is_empty() {
        return Err(refused);
    }
    let tenant = platform
        .tenants()
        .get(&session.tenant)
        .await
        .map_err(|_| Problem::not_found())?;
    // A change made while impersonating is on the trail, in the change's transaction.
    let stamp = user.stamp(&platform, "PATCH /v1/portal/account")?;
    let updated = platform
        .accounts()
        .update(
            &tenant,
            &account,
            patch.changes(),
            patch.expected_version,
            &stamp,
        )
        .await?;
    Ok(Json(updated.into()))
}

/// Who accessed my account on my behalf (the provider's staff), newest first.
#[utoipa::path(get, path = "/v1/portal/access-history", tag = "portal", params(Paging),
    responses((status = 200, body = PageOf<AuditEntry>)))]
pub async fn access_history(
    State(platform): State<Platform>,
    user: PortalUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<PageOf<AuditEntry>>, Problem> {
    let account = require(&user.session, PortalAction::AccountView)?;
    let page = platform
        .audit()
        .access_history(&user.session.tenant, &account, &paging.request())
        .await?;
    Ok(Json(PageOf::from(page)))
}

/// The account's logins (owner).
#[utoipa::path(get, path = "/v1/portal/logins", tag = "portal",
    responses((status = 200, body = Vec<LoginView>)))]
pub async fn list_logins(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Vec<LoginView>>, Problem> {
    let account = require(&user.session, PortalAction::LoginsManage)?;
    let logins = platform
        .identity()
        .logins
        .logins_of_account(&user.session.tenant, &account)
        .await?;
    Ok(Json(logins.into_iter().map(Into::into).collect()))
}

/// The colleagues invited to the account who have not set up their access yet: their
/// link in force until `valid_until`, or run out (invite them again).
#[utoipa::path(get, path = "/v1/portal/logins/invitations", tag = "portal",
    responses((status = 200, body = Vec<InvitedColleague>), (status = 403, body = Problem)))]
pub async fn invited_logins(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<Vec<InvitedColleague>>, Problem> {
    let account = require(&user.session, PortalAction::LoginsManage)?;
    let invited = platform
        .identity()
        .logins
        .invited(&user.session.tenant, &account)
        .await?;
    Ok(Json(invited))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLogin {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub allow_orders: bool,
    /// `en` or `fr`; the provider's default when left out.
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    /// When the credential-create link sent expires.
    #[serde(with = "time::serde::rfc3339")]
    pub link_expires_at: OffsetDateTime,
}

/// Add a login to the account (owner): a credential-create link goes to its address.
#[utoipa::path(post, path = "/v1/portal/logins", tag = "portal", request_body = NewLogin,
    responses((status = 202, body = Invited), (status = 422, body = Problem)))]
pub async fn invite_login(
    State(platform): State<Platform>,
    user: PortalUser,
    JsonBody(body): JsonBody<NewLogin>,
) -> Result<(StatusCode, Json<Invited>), Problem> {
    let account = require(&user.session, PortalAction::LoginsManage)?;
    let expires = platform
        .identity()
        .credentials
        .invite_login(
            &user.session.tenant,
            &account,
            LoginInvitation {
                email: body.email,
                name: body.name,
                role: body.role,
                allow_orders: body.allow_orders,
                language: body.language,
            },
            (&user.session, &user.request_id),
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Invited {
            link_expires_at: expires,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginAccess {
    pub role: Role,
    pub allow_orders: bool,
}

/// Change a login's role and order permission (owner; not the owner's own).
#[utoipa::path(patch, path = "/v1/portal/logins/{login}", tag = "portal", request_body = LoginAccess,
    params(("login" = String, Path)),
    responses((status = 200, body = LoginView), (status = 404, body = Problem),
        (status = 409, description = "Your own login, or it changed meanwhile", body = Problem)))]
pub async fn update_own_login(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(login): Path<String>,
    JsonBody(body): JsonBody<LoginAccess>,
) -> Result<Json<LoginView>, Problem> {
    let account = require(&user.session, PortalAction::LoginsManage)?;
    let login: LoginId = parse_id(&login)?;
    if login == user.session.login {
        return Err(Problem::conflict(
            "you cannot change your own role; another owner or your provider can",
        ));
    }
    let stamp = user.stamp(&platform, &format!("PATCH /v1/portal/logins/{login}"))?;
    let identity = platform.identity();
    let updated = identity
        .logins
        .set_end_user_access(
            &user.session.tenant,
            &account,
            &login,
            EndUserAccess {
                role: body.role,
                allow_orders: body.allow_orders,
            },
            &stamp,
        )
        .await?;
    Ok(Json(updated.into()))
}

/// Remove a login from the account (owner; not the owner's own).
#[utoipa::path(delete, path = "/v1/portal/logins/{login}", tag = "portal",
    params(("login" = String, Path)),
    responses((status = 204), (status = 404, body = Problem),
        (status = 409, description = "Your own login, or it changed meanwhile", body = Problem)))]
pub async fn remove_own_login(
    State(platform): State<Platform>,
    user: PortalUser,
    Path(login): Path<String>,
) -> Result<StatusCode, Problem> {
    let account = require(&user.session, PortalAction::LoginsManage)?;
    let login: LoginId = parse_id(&login)?;
    if login == user.session.login {
        return Err(Problem::conflict("you cannot remove your own login"));
    }
    let identity = platform.identity();
    let found = identity
        .logins
        .login_of_account(&user.session.tenant, &account, &login)
        .await?;
    let stamp = user.stamp(&platform, &format!("DELETE /v1/portal/logins/{login}"))?;
    identity
        .logins
        .remove_login(&user.session.tenant, &found.id, &stamp)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailChoice {
    /// Every topic this login wants at its own address (the rest it does not).
    pub topics: BTreeSet<MailTopic>,
}

/// The mail the signed-in customer gets at their own address, in their language, beside
/// the account's addresses (sign-in and security mail always goes).
#[utoipa::path(get, path = "/v1/portal/notifications", tag = "portal",
    responses((status = 200, body = MailChoices), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub async fn own_notifications(
    State(platform): State<Platform>,
    user: PortalUser,
) -> Result<Json<MailChoices>, Problem> {
    Ok(Json(
        platform
            .identity()
            .logins
            .mail_choices(&user.session)
            .await?,
    ))
}

/// Choose which mail to get. The customer's own choice: staff acting as them cannot make
/// it, and bill mail is for roles that read bills.
#[utoipa::path(put, path = "/v1/portal/notifications", tag = "portal", request_body = MailChoice,
    responses((status = 200, body = MailChoices), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn choose_notifications(
    State(platform): State<Platform>,
    user: PortalUser,
    JsonBody(body): JsonBody<MailChoice>,
) -> Result<Json<MailChoices>, Problem> {
    Ok(Json(
        platform
            .identity()
            .logins
            .choose_mail(&user.session, &body.topics)
            .await?,
    ))
}

pub fn router() -> OpenApiRouter<Platform> {
    OpenApiRouter::new()
        .routes(routes!(portal_me))
        .routes(routes!(own_account, update_own_account))
        .routes(routes!(access_history))
        .routes(routes!(list_logins, invite_login))
        .routes(routes!(update_own_login, remove_own_login))
        .routes(routes!(invited_logins))
        .routes(routes!(own_notifications, choose_notifications))
}
