//! Who is asking: the tenant a request is for (from its host), the session it carries
//! (a `__Host-` cookie for browsers, a bearer token for API clients), CSRF protection for
//! cookie-borne changes, and the mapping of the domain's refusals to problems.

use super::problem::parse_id;
use crate::domain::accounts::Account;
use crate::domain::identity::Role;
use crate::ids::AccountId;
use crate::store::Stamp;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;

use super::problem::Problem;
use super::request_id::RequestId;
use crate::domain::identity::{IdentityError, Permission, Principal, Session};
use crate::domain::settings::Module;
use crate::domain::tenancy::{Tenant, TenantError};
use crate::platform::Platform;

pub const SESSION_COOKIE: &str = "__Host-selfcare_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TENANT_HEADER: &str = "x-selfcare-tenant";
/// The host a request came to when it is a provider's own domain (the distribution's
/// function sets it; a direct caller naming a domain names a provider, as with the slug
/// header, and gains nothing: sessions are checked against the provider named).
pub const DOMAIN_HEADER: &str = "x-selfcare-domain";

/// Where the authentication extractor leaves the session a request was served in, for the
/// layers that act after the handler (the impersonation trail).
#[derive(Clone, Default)]
pub struct ServedSession(std::sync::Arc<std::sync::Mutex<Served>>);

#[derive(Default)]
struct Served {
    session: Option<Session>,
    /// The handler put the impersonated change's entry in its own transaction.
    stamped: bool,
}

impl ServedSession {
    fn keep(&self, session: &Session) {
        if let Ok(mut slot) = self.0.lock() {
            slot.session = Some(session.clone());
        }
    }
    fn mark_stamped(&self) {
        if let Ok(mut slot) = self.0.lock() {
            slot.stamped = true;
        }
    }
    /// The session served, unless its change was audited in its own transaction.
    fn unstamped(&self) -> Option<Session> {
        self.0
            .lock()
            .ok()
            .filter(|slot| !slot.stamped)
            .and_then(|mut slot| slot.session.take())
    }
}

/// Middleware: every change made in an impersonated session (a request other than a read
/// that succeeded) goes on the customer's access history and the audit trail as its method
/// and path, whatever endpoint made it, so the customer sees what was done and not only
/// that staff came in. Handlers that change the table put that entry in the change's own
/// transaction (`PortalUser::stamp`); this records the rest after the fact, the safety net
/// for an endpoint that forgot, and says so in the log.
pub async fn impersonation_trail(
    axum::extract::State(platform): axum::extract::State<Platform>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let slot = ServedSession::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    let changed = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
        && response.status().is_success();
    if let Some(session) = slot
        .unstamped()
        .filter(|s| s.impersonator.is_some() && changed)
    {
        let detail = format!("{method} {path}");
        tracing::warn!(%detail, "an impersonated change was audited after it was made");
        let written = platform
            .audit()
            .record_impersonated_change(&session, &detail, &request_id)
            .await;
        if let Err(error) = written {
            tracing::error!(%error, %detail, "an impersonated change was not put on the access history");
        }
    }
    response
}

/// The client's address, as the runtime saw it (API Gateway's source IP, or the socket's
/// peer locally); the runtimes put it in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddress>()
            .cloned()
            .unwrap_or_else(|| ClientAddress("unknown".into())))
    }
}

fn request_id(parts: &Parts) -> String {
    parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// The tenant the request is for, known before sign-in: `{slug}.{portal domain}` in the
/// host, else the `x-selfcare-tenant` header (a slug), else a domain a tenant has mapped
/// as its own (the `x-selfcare-domain` header behind the distribution, or the host).
pub struct HostTenant(pub Tenant);

/// How a request names its tenant.
pub(super) enum TenantName {
    Slug(String),
    Domain(String),
}

impl TenantName {
    pub(super) fn of(parts: &Parts, platform: &Platform) -> Option<TenantName> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
        let from_host = match (&platform.hosts.portal_domain, &host) {
            (Some(domain), Some(host)) => host
                .strip_suffix(domain.as_str())
                .and_then(|rest| rest.strip_suffix('.'))
                .filter(|slug| !slug.contains('.'))
                .map(str::to_owned),
            _ => None,
        };
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        };
        let slug = from_host.or_else(|| header(TENANT_HEADER));
        // Behind the distribution the host is the API's own: the distribution names a
        // provider's own domain in a header of its own.
        let domain = header(DOMAIN_HEADER)
            .map(|d| d.to_ascii_lowercase())
            .or(host);
        match (slug, domain) {
            (Some(slug), _) => Some(TenantName::Slug(slug)),
            (None, Some(domain)) => Some(TenantName::Domain(domain)),
            (None, None) => None,
        }
    }

    /// The host (no port) the viewer called: the provider's subdomain, or its own domain.
    pub(super) fn viewer_host(&self, platform: &Platform) -> Option<String> {
        match self {
            TenantName::Slug(slug) => platform
                .hosts
                .portal_domain
                .as_ref()
                .map(|domain| format!("{slug}.{domain}")),
            TenantName::Domain(domain) => Some(domain.clone()),
        }
    }
}

impl FromRequestParts<Platform> for HostTenant {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut Parts,
        platform: &Platform,
    ) -> Result<Self, Self::Rejection> {
        let found = match TenantName::of(parts, platform) {
            Some(TenantName::Slug(slug)) => platform.tenants().by_slug(&slug).await,
            Some(TenantName::Domain(host)) => platform.tenants().by_domain(&host).await,
            None => return Err(unknown_tenant()),
        };
        match found {
            Ok(tenant) => {
                // From here on, the request's table calls stay within this provider.
                crate::store::scope::enter(&tenant.id);
                Ok(HostTenant(tenant))
            }
            Err(TenantError::Storage(e)) => Err(Problem::storage(&e)),
            Err(_) => Err(unknown_tenant()),
        }
    }
}

fn unknown_tenant() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "tenant-unknown",
        "No provider answers at this address",
    )
    .detail(format!(
        "Use the provider's portal address, or name the provider in the {TENANT_HEADER} header."
    ))
}

/// The session token a request carries, and whether it came in the cookie.
fn token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    {
        return Some((bearer.trim().to_owned(), false));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value.to_owned(), true))
}

/// A signed-in caller, any kind. Changes made with the cookie must carry the session's
/// CSRF token in `x-csrf-token`; a read-only impersonation makes no changes at all.
pub struct Authenticated {
    pub session: Session,
    pub request_id: String,
}

impl FromRequestParts<Platform> for Authenticated {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut Parts,
        platform: &Platform,
    ) -> Result<Self, Self::Rejection> {
        let Some((token, from_cookie)) = token(&parts.headers) else {
            return Err(Problem::from(IdentityError::Unauthenticated));
        };
        let session = platform.identity().sessions.authenticate(&token).await?;
        // A session answers only under its own provider's address: a token (or cookie)
        // carried to another provider's host is not signed in there.
        // A host that is no provider's own domain (the API's default address, a loopback
        // address locally) names none: the session's own provider is meant.
        let named = match TenantName::of(parts, platform) {
            Some(TenantName::Slug(slug)) => Some(platform.tenants().id_by_slug(&slug).await),
            Some(TenantName::Domain(host)) => match platform.tenants().id_by_domain(&host).await {
                Err(TenantError::NotFound) => None,
                found => Some(found),
            },
            None => None,
        };
        match named {
            None => {}
            Some(Ok(id)) if id == session.tenant => {}
            Some(Err(TenantError::Storage(e))) => return Err(Problem::storage(&e)),
            Some(_) => return Err(Problem::from(IdentityError::Unauthenticated)),
        }
        // From here on, the request's table calls stay within the session's provider.
        crate::store::scope::enter(&session.tenant);
        if let Some(slot) = parts.extensions.get::<ServedSession>() {
            slot.keep(&session);
        }
        // Every later line of the request names whose it is (the request's span).
        let span = tracing::Span::current();
        span.record("tenant", tracing::field::display(&session.tenant));
        span.record("principal", tracing::field::display(&session.login));
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if from_cookie && !safe {
            let csrf = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            if !session.csrf_matches(csrf) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "csrf-token-missing",
                    "This change needs the session's CSRF token",
                )
                .detail(format!(
                    "Send the csrf_token from sign-in (or from `me`) in the {CSRF_HEADER} header."
                )));
            }
        }
        if session.read_only && !safe && parts.uri.path() != "/v1/auth/sign-out" {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "read-only-session",
                "This is a read-only impersonation: nothing can be changed in it",
            ));
        }
        if session.card_only && !allowed_on_card_pages(safe, parts.uri.path()) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "card-pages-only",
                "This session came from a payment link: it reaches the card pages only",
            )
            .detail("Sign in with your password for the rest of the portal."));
        }
        if session.enrolment_only && !allowed_before_enrolment(parts.uri.path()) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "two-factor-enrolment-required",
                "Set up two-factor sign-in first",
            )
            .detail(
                "Your provider requires it: POST /v1/auth/two-factor/setup, then confirm \
                 with a code from your authenticator app.",
            ));
        }
        Ok(Authenticated {
            session,
            request_id: request_id(parts),
        })
    }
}

/// What a session from a "fix your card" link reaches: paying, the cards, and reading the
/// invoices and ledger it pays against.
fn allowed_on_card_pages(safe: bool, path: &str) -> bool {
    let under = |base: &str| path == base || path.starts_with(&format!("{base}/"));
    path == "/v1/auth/sign-out"
        || under("/v1/portal/payments")
        || under("/v1/portal/wallet")
        || (safe
            && (path == "/v1/portal/me"
                || under("/v1/portal/invoices")
                || path == "/v1/portal/ledger"))
}

/// What a session that must set up its second factor first may still reach.
fn allowed_before_enrolment(path: &str) -> bool {
    path == "/v1/auth/sign-out"
        || path == "/v1/portal/me"
        || path == "/v1/console/me"
        || path == "/v1/auth/two-factor"
        || path.starts_with("/v1/auth/two-factor/")
}

/// An end user (or staff impersonating one), on the portal.
pub struct PortalUser {
    pub session: Session,
    pub request_id: String,
    served: Option<ServedSession>,
}

impl PortalUser {
    /// The audit entry of this request's change when staff make it as the customer (on
    /// the trail and the customer's access history), for the change's own transaction;
    /// nothing when the customer makes it. `asked` says what was asked, as the method and
    /// path do on the entries the middleware writes.
    pub fn stamp(&self, platform: &Platform, asked: &str) -> Result<Stamp, Problem> {
        if self.session.impersonator.is_none() {
            return Ok(Stamp::none());
        }
        let write = platform.audit().write(
            &self.session,
            self.session.account(),
            "impersonation.change",
            asked,
            &self.request_id,
            true,
        )?;
        if let Some(served) = &self.served {
            served.mark_stamped();
        }
        Ok(Stamp::of(write))
    }
}

impl FromRequestParts<Platform> for PortalUser {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut Parts,
        platform: &Platform,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated {
            session,
            request_id,
        } = Authenticated::from_request_parts(parts, platform).await?;
        if !matches!(session.principal, Principal::EndUser { .. }) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "portal-only",
                "The portal is for end users; staff use the console",
            ));
        }
        Ok(PortalUser {
            session,
            request_id,
            served: parts.extensions.get::<ServedSession>().cloned(),
        })
    }
}

/// A staff member, on the console (never an impersonated session).
pub struct StaffUser {
    pub session: Session,
    pub request_id: String,
}

impl StaffUser {
    /// The audit entry of this staff member's change, for the change's own transaction.
    pub fn stamp(
        &self,
        platform: &Platform,
        account: Option<AccountId>,
        action: &str,
        detail: &str,
    ) -> Result<Stamp, Problem> {
        let write = platform.audit().write(
            &self.session,
            account,
            action,
            detail,
            &self.request_id,
            false,
        )?;
        Ok(Stamp::of(write))
    }

    /// Records an action of this staff member after it was made, for actions that are not
    /// one transaction of their own (a file handed to the ingest, an export started).
    pub async fn record(
        &self,
        platform: &Platform,
        account: Option<AccountId>,
        action: &str,
        detail: &str,
    ) -> Result<(), Problem> {
        platform
            .audit()
            .record(&self.session, account, action, detail, &self.request_id)
            .await?;
        Ok(())
    }

    /// Refuses unless the staff member holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if self.session.principal.may(permission) {
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "permission-missing",
                "Your staff role does not allow this",
            )
            .detail(format!(
                "This needs the {} permission.",
                wire_name(&permission)
            )))
        }
    }
}

impl FromRequestParts<Platform> for StaffUser {
    type Rejection = Problem;
    async fn from_request_parts(
        parts: &mut Parts,
        platform: &Platform,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated {
            session,
            request_id,
        } = Authenticated::from_request_parts(parts, platform).await?;
        if !matches!(session.principal, Principal::Staff { .. }) || session.impersonator.is_some() {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "console-only",
                "The console is for the provider's staff",
            ));
        }
        Ok(StaffUser {
            session,
            request_id,
        })
    }
}

/// How a unit enum (a permission, a module, a tenant kind) is spelled in the API.
pub fn wire_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A portal endpoint of a module the tenant has turned off.
pub fn module_disabled(module: Module) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "module-disabled",
        "This part of the portal is not enabled by your provider",
    )
    .detail(format!("The {} module is off.", wire_name(&module)))
}

/// The session cookie: the `__Host-` prefix pins it to this host, over HTTPS, path `/`.
pub fn session_cookie(token: &str, max_age_seconds: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-selfcare_session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0",
    )
}

/// Middleware for the local runtime: the socket's peer is the client.
pub async fn client_from_socket(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    request
        .extensions_mut()
        .insert(ClientAddress(peer.ip().to_string()));
    next.run(request).await
}

/// The portal's account, once its module is on.
pub async fn portal_account(
    platform: &Platform,
    user: &PortalUser,
    module: Module,
) -> Result<AccountId, Problem> {
    let settings = platform.settings().get(&user.session.tenant).await?;
    if !settings.modules.contains(&module) {
        return Err(module_disabled(module));
    }
    user.session.account().ok_or_else(Problem::not_found)
}

/// The account, if this staff member may see it.
pub async fn visible_account(
    platform: &Platform,
    staff: &StaffUser,
    account: &str,
) -> Result<Account, Problem> {
    let id: AccountId = parse_id(account)?;
    let account = platform.accounts().get(&staff.session.tenant, &id).await?;
    if !staff.session.principal.sees_group(account.group.as_deref()) {
        return Err(Problem::not_found());
    }
    Ok(account)
}

/// What the signed-in end user may do, for a site to show only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortalAction {
    AccountView,
    /// Invoices, the ledger and their files: every role but the technical one.
    BillingView,
    AccountEdit,
    LoginsManage,
    OrdersCreate,
    /// Pay by card, keep cards, turn autopay on or off: the owner and billing roles, in
    /// their own sessions (staff impersonating never spend a customer's card).
    Pay,
}

/// What the session's end user may do.
pub fn actions(session: &Session) -> BTreeSet<PortalAction> {
    let mut out = BTreeSet::from([PortalAction::AccountView]);
    if let Principal::EndUser { role, .. } = &session.principal
        && role.reads_bills()
    {
        out.insert(PortalAction::BillingView);
    }
    if let Principal::EndUser {
        role, allow_orders, ..
    } = &session.principal
        && !session.read_only
    {
        if role.pays() {
            out.insert(PortalAction::AccountEdit);
            if session.impersonator.is_none() {
                out.insert(PortalAction::Pay);
            }
        }
        // Logins outlive an impersonation: staff acting as the owner must not give
        // themselves (or anyone) lasting access their own permissions do not.
        if *role == Role::Owner && session.impersonator.is_none() {
            out.insert(PortalAction::LoginsManage);
        }
        if *allow_orders && *role != Role::ReadOnly {
            out.insert(PortalAction::OrdersCreate);
        }
    }
    out
}

pub fn require(session: &Session, action: PortalAction) -> Result<AccountId, Problem> {
    let account = session.account().ok_or_else(Problem::not_found)?;
    if action == PortalAction::LoginsManage && session.impersonator.is_some() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "impersonation-cannot-manage-logins",
            "Logins cannot be added, changed or removed in an impersonation",
        )
        .detail("The account's owner manages its logins; staff do it from the console."));
    }
    if actions(session).contains(&action) {
        Ok(account)
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "action-not-allowed",
            "Your login may not do this",
        )
        .detail("Ask the account's owner to change your login's role."))
    }
}

/// Which account group a tenant-wide list shows the staff member: the one asked for (if
/// the staff member sees it), else their only group; None for every account. Staff limited
/// to several groups must choose one.
pub fn group_to_list(
    staff: &StaffUser,
    requested: Option<&String>,
) -> Result<Option<String>, Problem> {
    let limited = match &staff.session.principal {
        Principal::Staff {
            groups: Some(groups),
            ..
        } => Some(groups),
        _ => None,
    };
    match (requested, limited) {
        (Some(group), _) if !staff.session.principal.sees_group(Some(group)) => {
            Err(Problem::not_found())
        }
        (Some(group), _) => Ok(Some(group.clone())),
        (None, Some(groups)) if groups.len() == 1 => Ok(groups.iter().next().cloned()),
        (None, Some(_)) => Err(Problem::validation().field(
            "group",
            "you see several account groups: choose one to list",
        )),
        (None, None) => Ok(None),
    }
}
