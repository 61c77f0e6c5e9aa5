//! Who an account's billing mail goes to: the logins staff chose as its billing contacts
//! (of a role that reads bills), each at its own address and in its own language; or, when
//! none is chosen or none of them is left, the account's addresses in the provider's
//! default language.

use super::settings::AccountBillingSettings;
pub use super::settings::MOST_CONTACTS;
use super::{Billing, BillingError};
use crate::domain::accounts::Account;
use crate::domain::contact::EmailAddress;
use crate::domain::identity::{Login, MailTopic, mail_choices};
use crate::ids::{AccountId, LoginId, TenantId};
use crate::ports::table::{Index, Query};
use crate::store::keys;

/// One message's addressees, the language it is written in and the name it greets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub to: Vec<EmailAddress>,
    pub language: String,
    pub name: String,
    /// The login it is written to, when it is a chosen contact who may pay by card (not
    /// the account's own addresses).
    pub paying_login: Option<LoginId>,
}

impl Billing {
    /// The account's logins (an account has a handful).
    pub(super) async fn logins_of(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<Login>, BillingError> {
        let page = self
            .table
            .query(Query::partition(Index::Gsi1, keys::logins_of(tenant, account)).limit(100))
            .await?;
        Ok(page
            .items
            .iter()
            .map(crate::domain::identity::records::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// Who the account's billing mail goes to (none: nobody to write to).
    pub async fn billing_recipients(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<Recipient>, BillingError> {
        let account = self.accounts.get(tenant, account).await?;
        let own = super::settings::read_account(self.table.as_ref(), tenant, &account.id).await?;
        let access = crate::domain::settings::read(self.table.as_ref(), tenant).await?;
        self.recipients(tenant, &account, &own, &access.default_language)
            .await
    }

    pub(super) async fn recipients(
        &self,
        tenant: &TenantId,
        account: &Account,
        own: &AccountBillingSettings,
        default_language: &str,
    ) -> Result<Vec<Recipient>, BillingError> {
        let logins = self.logins_of(tenant, &account.id).await?;
        let recipient = |l: &Login| Recipient {
            to: vec![l.email.clone()],
            language: l.language.clone(),
            name: l.name.clone().unwrap_or_else(|| l.username.clone()),
            paying_login: match &l.principal {
                crate::domain::identity::Principal::EndUser { role, .. } if role.pays() => {
                    Some(l.id)
                }
                _ => None,
            },
        };
        let chosen: Vec<Recipient> = logins
            .iter()
            .filter(|l| own.contacts.contains(&l.id) && reads_bills(l))
            .map(recipient)
            .collect();
        // Logins that chose bill mail for themselves get it too, once.
        let opted_in = logins.iter().filter(|l| {
            mail_choices::choices_of(l)
                .topics
                .contains(&MailTopic::Bills)
                && !chosen
                    .iter()
                    .any(|c| c.paying_login == Some(l.id) || c.to == [l.email.clone()])
        });
        let opted_in: Vec<Recipient> = opted_in.map(recipient).collect();
        // None chosen by staff, or every one chosen since removed or moved to a role that
        // does not read bills: the account's own addresses too, so the mail is never
        // silently dropped (less the addresses a login took in its own language).
        let mut out = chosen;
        let staff_chose = !out.is_empty();
        out.extend(opted_in);
        if staff_chose {
            return Ok(out);
        }
        let rest: Vec<EmailAddress> = account
            .emails
            .iter()
            .filter(|e| {
                !out.iter()
                    .any(|r| r.to.iter().any(|t| t.folded() == e.folded()))
            })
            .cloned()
            .collect();
        if !rest.is_empty() {
            out.push(Recipient {
                to: rest,
                language: default_language.to_owned(),
                name: account.name.clone(),
                paying_login: None,
            });
        }
        Ok(out)
    }
    /// The outbox writes of a billing message to the account's billing contacts, each in
    /// its own language (`notice` builds the message's facts for a language).
    pub async fn mail_to_billing_contacts(
        &self,
        tenant: &TenantId,
        account: &crate::ids::AccountId,
        notice: impl Fn(&Recipient) -> crate::domain::notifications::Notice<'static>,
    ) -> Result<Vec<crate::ports::table::Write>, BillingError> {
        use crate::ports::table::TableError;
        let account = self.accounts.get(tenant, account).await?;
        let own = super::settings::read_account(self.table.as_ref(), tenant, &account.id).await?;
        let provider = crate::domain::tenancy::Tenants::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
        .get(tenant)
        .await
        .map_err(|e| TableError::Unavailable(e.to_string()))?;
        let access = crate::domain::settings::read(self.table.as_ref(), tenant).await?;
        let now = self.clock.now();
        let mut writes = Vec::new();
        for recipient in self
            .recipients(tenant, &account, &own, &access.default_language)
            .await?
        {
            let message = crate::domain::notifications::compose(
                &provider,
                &access,
                &self.sender,
                &recipient.to,
                crate::domain::notifications::Mail {
                    language: &recipient.language,
                    name: &recipient.name,
                    notice: notice(&recipient),
                },
            )
            .map_err(|e| TableError::Unavailable(e.to_string()))?;
            writes.push(crate::domain::outbox::enqueue(&message, now));
        }
        Ok(writes)
    }
}

/// Whether the login's role reads bills (the technical role does not).
pub(super) fn reads_bills(login: &Login) -> bool {
    matches!(
        &login.principal,
        crate::domain::identity::Principal::EndUser { role, .. } if role.reads_bills()
    )
}
