//! What identity's services share: the process's ports, how passwords are hashed, where
//! mail links lead, the platform's sender, and the other capabilities identity reads.

use std::sync::Arc;

use super::error::IdentityError;
use super::model::Login;
use super::passwords;
use crate::domain::notifications::{self, Mail, Notice};
use crate::domain::outbox::Message;
use crate::domain::tenancy::{Tenant, TenantError, Tenants};
use crate::ids::TenantId;
use crate::ports::{Clock, Table};
use crate::store::CursorCodec;

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

    /// A page of the tenant's site (its own domain when it has one mapped).
    pub fn page(&self, tenant: &Tenant, page: &str) -> String {
        let slug = &tenant.slug;
        match (self, &tenant.custom_domain) {
            (SiteLinks::Subdomains { .. }, Some(own)) => format!("https://{own}/{page}"),
            (SiteLinks::Subdomains { domain }, None) => format!("https://{slug}.{domain}/{page}"),
            (SiteLinks::Single { base_url }, _) => {
                format!("{}/{page}?tenant={slug}", base_url.trim_end_matches('/'))
            }
        }
    }

    /// A page of the tenant's site (its own domain when it has one mapped), with a secret
    /// in the fragment (never sent to a server, so it stays out of access logs and Referer
    /// headers).
    pub fn page_with_secret(&self, tenant: &Tenant, page: &str, secret: &str) -> String {
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

/// What identity's services share: the ports of the process, how passwords are hashed,
/// where mail links lead and the platform's sender.
pub(crate) struct Context {
    pub(crate) table: Arc<dyn Table>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cursors: CursorCodec,
    pub(crate) hasher: passwords::Hasher,
    pub(crate) links: SiteLinks,
    /// The platform's sender, for tenants that have not set their own.
    pub(crate) sender: crate::domain::contact::EmailAddress,
}

impl Context {
    /// A message to one login, at its address, in its language, greeting it by name.
    pub(crate) fn mail_to_login(
        &self,
        tenant: &Tenant,
        settings: &crate::domain::settings::AccessSettings,
        login: &Login,
        notice: Notice<'_>,
    ) -> Result<Message, IdentityError> {
        Ok(notifications::compose(
            tenant,
            settings,
            &self.sender,
            std::slice::from_ref(&login.email),
            Mail {
                language: &login.language,
                name: login.name.as_deref().unwrap_or(&login.username),
                notice,
            },
        )?)
    }

    pub(crate) fn audit(&self) -> crate::domain::audit::Audit {
        crate::domain::audit::Audit::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    /// The tenant's settings, the defaults where it has chosen none.
    pub(crate) async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<crate::domain::settings::AccessSettings, IdentityError> {
        Ok(crate::domain::settings::read(self.table.as_ref(), tenant).await?)
    }

    pub(crate) fn tenants(&self) -> Tenants {
        Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }

    pub(crate) async fn tenant(&self, id: &TenantId) -> Result<Tenant, IdentityError> {
        self.tenants().get(id).await.map_err(|e| match e {
            TenantError::Storage(e) => IdentityError::Storage(e),
            _ => IdentityError::NotFound,
        })
    }

    pub(crate) fn accounts(&self) -> crate::domain::accounts::Accounts {
        crate::domain::accounts::Accounts::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }
}
