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

mod context;
pub mod credentials;
mod error;
pub mod impersonation;
pub mod lockout;
pub mod logins;
pub mod mail_choices;
pub mod model;
pub mod passwords;
pub mod records;
pub mod sessions;
pub mod sign_in;
pub mod tokens;
pub mod two_factor;

use std::sync::Arc;

use crate::ports::{Clock, Table};
use crate::store::CursorCodec;

pub(crate) use context::Context;
pub use context::SiteLinks;
pub use credentials::Credentials;
pub use error::IdentityError;
pub(crate) use error::invalid;
pub use impersonation::Impersonation;
pub use lockout::Lockout;
pub use logins::Logins;
pub use model::{Login, LoginState, MailTopic, Permission, Principal, Role, Session};
pub use sessions::Sessions;
pub use sign_in::SignIn;
pub use two_factor::TwoFactor;

/// Identity's services, each with one job. They share a [`Context`] and call each other
/// one way only: sign-in → two-factor → lock-out and sessions → logins; credentials and
/// impersonation → logins and sessions.
#[derive(Clone)]
pub struct Identity {
    pub logins: Logins,
    pub credentials: Credentials,
    pub sessions: Sessions,
    pub sign_in: SignIn,
    pub two_factor: TwoFactor,
    pub lockout: Lockout,
    pub impersonation: Impersonation,
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
        let cx = Arc::new(Context {
            table,
            clock,
            cursors,
            hasher,
            links,
            sender,
        });
        Identity {
            logins: Logins { cx: cx.clone() },
            credentials: Credentials { cx: cx.clone() },
            sessions: Sessions { cx: cx.clone() },
            sign_in: SignIn { cx: cx.clone() },
            two_factor: TwoFactor { cx: cx.clone() },
            lockout: Lockout { cx: cx.clone() },
            impersonation: Impersonation { cx: cx.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenancy::{Tenant, TenantKind, TenantStatus};
    use crate::ids::TenantId;

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
