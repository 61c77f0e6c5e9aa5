//! Identity and access: who signs in (end users of an account, a provider's staff), how
//! they get and keep their credentials, their sessions, what each may do, and the audit
//! trail of what was done.
//!
//! Rules kept here: usernames are unique within a tenant; passwords follow
//! [`passwords::check_policy`] and are stored with argon2id; every secret handed out
//! (session, one-time link) is stored only as a hash; one-time links are used once and
//! expire; after the tenant's number of failed sign-ins in a row a login is locked until
//! staff unlock it; a password change or reset ends the login's other sessions; staff see
//! only accounts of their own tenant, and of their account groups when limited to some;
//! a login with a second factor signs in with a code as well, each code used once.

pub mod credentials;
mod error;
pub mod impersonation;
pub mod lockout;
pub mod logins;
pub mod model;
pub mod passwords;
pub mod records;
pub mod sessions;
pub mod sign_in;
pub mod tokens;
pub mod two_factor;

use std::sync::Arc;

use crate::ids::TenantId;
use crate::ports::{Clock, Table};
use crate::store::CursorCodec;

pub use error::IdentityError;
pub(crate) use error::invalid;
pub use model::{Login, LoginState, Permission, Principal, Role, Session};

/// Where people follow the links in their mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteLinks {
    /// `https://{slug}.{domain}`: each tenant's portal on its own subdomain.
    Subdomains { domain: String },
    /// One site for every tenant, told the tenant in the query (the local runtime).
    Single { base_url: String },
}

impl SiteLinks {
    pub fn portal(&self, slug: &str) -> String {
        match self {
            SiteLinks::Subdomains { domain } => format!("https://{slug}.{domain}"),
            SiteLinks::Single { base_url } => {
                format!("{}/?tenant={slug}", base_url.trim_end_matches('/'))
            }
        }
    }

    /// A page of the tenant's site (its own domain when it has one mapped), with a secret
    /// in the fragment (never sent to a server, so it stays out of access logs and Referer
    /// headers).
    pub fn page_with_secret(
        &self,
        tenant: &super::tenancy::Tenant,
        page: &str,
        secret: &str,
    ) -> String {
        let slug = &tenant.slug;
        match (self, &tenant.custom_domain) {
            (SiteLinks::Subdomains { .. }, Some(own)) => {
                format!("https://{own}/{page}#token={secret}")
            }
            (SiteLinks::Subdomains { domain }, None) => {
                format!("https://{slug}.{domain}/{page}#token={secret}")
            }
            (SiteLinks::Single { base_url }, _) => format!(
                "{}/{page}?tenant={slug}#token={secret}",
                base_url.trim_end_matches('/')
            ),
        }
    }
}

/// The identity service: every operation of this module hangs off it.
#[derive(Clone)]
pub struct Identity {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    hasher: passwords::Hasher,
    links: SiteLinks,
    /// The platform's sender, for tenants that have not set their own.
    sender: crate::domain::contact::EmailAddress,
}

impl Identity {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        hasher: passwords::Hasher,
        links: SiteLinks,
        sender: crate::domain::contact::EmailAddress,
    ) -> Self {
        Identity {
            table,
            clock,
            cursors,
            hasher,
            links,
            sender,
        }
    }

    fn audit(&self) -> crate::domain::audit::Audit {
        crate::domain::audit::Audit::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    /// The tenant's settings, the defaults where it has chosen none.
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<crate::domain::settings::AccessSettings, IdentityError> {
        Ok(crate::domain::settings::read(self.table.as_ref(), tenant).await?)
    }

    fn tenants(&self) -> super::tenancy::Tenants {
        super::tenancy::Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }

    async fn tenant(&self, id: &TenantId) -> Result<super::tenancy::Tenant, IdentityError> {
        self.tenants().get(id).await.map_err(|e| match e {
            super::tenancy::TenantError::Storage(e) => IdentityError::Storage(e),
            _ => IdentityError::NotFound,
        })
    }

    fn accounts(&self) -> super::accounts::Accounts {
        super::accounts::Accounts::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenancy::{Tenant, TenantKind, TenantStatus};

    #[test]
    fn links_lead_to_the_providers_own_domain_when_it_has_one() {
        let mut tenant = Tenant {
            id: TenantId::generate(time::OffsetDateTime::UNIX_EPOCH),
            kind: TenantKind::Retail,
            name: "Acme".into(),
            slug: "acme".into(),
            wholesaler: None,
            status: TenantStatus::Active,
            account_attributes: vec![],
            custom_domain: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let links = SiteLinks::Subdomains {
            domain: "portal.example.com".into(),
        };
        assert_eq!(
            links.page_with_secret(&tenant, "credentials/reset", "s3cr3t"),
            "https://acme.portal.example.com/credentials/reset#token=s3cr3t"
        );
        tenant.custom_domain = Some("my.acme.example".into());
        assert_eq!(
            links.page_with_secret(&tenant, "credentials/reset", "s3cr3t"),
            "https://my.acme.example/credentials/reset#token=s3cr3t"
        );
    }
}
