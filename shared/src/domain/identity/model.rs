//! Identity's model: who signs in (logins, their principals, roles and permissions), the
//! sessions they hold, and the rules on usernames and groups. No storage here: the items
//! are mapped in [`super::records`]; the operations are the services beside it.

use std::collections::BTreeSet;
use std::fmt;

use time::{Duration, OffsetDateTime};

use super::error::{IdentityError, invalid};
use super::tokens;
use crate::domain::contact::EmailAddress;
use crate::ids::{AccountId, LoginId, TenantId};

/// An end user's role within its account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including the account's other logins.
    Owner,
    /// Invoices, payments and the ledger.
    Billing,
    /// Services, usage and features.
    Technical,
    /// Looks, never changes.
    ReadOnly,
}

impl Role {
    /// Invoices, the ledger and billing mail are for every role but the technical one.
    pub fn reads_bills(self) -> bool {
        self != Role::Technical
    }

    /// Paying by card and keeping cards are for the owner and billing roles.
    pub fn pays(self) -> bool {
        matches!(self, Role::Owner | Role::Billing)
    }
}

/// The mail a customer's login may choose to get at its own address, in its own language,
/// beside the account's addresses (which get it whatever logins choose). Sign-in and
/// security mail (links, lock-outs, two-factor changes) is not a choice: it always goes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MailTopic {
    /// Each step of the account's orders.
    Orders,
    /// Usage alerts reaching their threshold.
    UsageAlerts,
    /// Invoices issued and overdue, card receipts and failed payments (roles that read
    /// bills only).
    Bills,
}

impl MailTopic {
    pub const ALL: [MailTopic; 3] = [MailTopic::Orders, MailTopic::UsageAlerts, MailTopic::Bills];

    /// Whether a login of `role` may have it.
    pub fn offered_to(self, role: Role) -> bool {
        self != MailTopic::Bills || role.reads_bills()
    }
}

/// What a staff member may do in the console.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    AccountsRead,
    AccountsWrite,
    LoginsManage,
    OrdersApprove,
    ProvisioningManage,
    BrandingManage,
    ReportsView,
    Impersonate,
    SettingsManage,
    StaffManage,
    AuditView,
    BillingManage,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::AccountsRead,
        Permission::AccountsWrite,
        Permission::LoginsManage,
        Permission::OrdersApprove,
        Permission::ProvisioningManage,
        Permission::BrandingManage,
        Permission::ReportsView,
        Permission::Impersonate,
        Permission::SettingsManage,
        Permission::StaffManage,
        Permission::AuditView,
        Permission::BillingManage,
    ];
}

/// Who a login is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    EndUser {
        account: AccountId,
        role: Role,
        allow_orders: bool,
    },
    Staff {
        permissions: BTreeSet<Permission>,
        /// None: every account of the tenant. Some: only accounts in these groups.
        groups: Option<BTreeSet<String>>,
    },
}

impl Principal {
    pub fn account(&self) -> Option<AccountId> {
        match self {
            Principal::EndUser { account, .. } => Some(*account),
            Principal::Staff { .. } => None,
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        matches!(self, Principal::Staff { permissions, .. } if permissions.contains(&permission))
    }

    /// Is everything `other` may do within this staff member's own reach: each of its
    /// permissions held, and every account it sees seen? Staff manage only staff within
    /// their reach (and never themselves), so nobody raises, removes or locks out a
    /// colleague who may do more, and the last who may manage staff always remains.
    pub fn reaches(&self, other: &Principal) -> bool {
        let (
            Principal::Staff {
                permissions: mine,
                groups: my_groups,
            },
            Principal::Staff {
                permissions: theirs,
                groups: their_groups,
            },
        ) = (self, other)
        else {
            return false;
        };
        let sees_theirs = match (my_groups, their_groups) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(theirs)) => theirs.is_subset(mine),
        };
        theirs.is_subset(mine) && sees_theirs
    }

    /// May this staff member see an account in `group`?
    pub fn sees_group(&self, group: Option<&str>) -> bool {
        match self {
            Principal::Staff { groups: None, .. } => true,
            Principal::Staff {
                groups: Some(groups),
                ..
            } => group.is_some_and(|g| groups.contains(g)),
            Principal::EndUser { .. } => false,
        }
    }
}

#[cfg(test)]
mod reach_tests {
    use super::*;

    fn staff(permissions: &[Permission], groups: Option<&[&str]>) -> Principal {
        Principal::Staff {
            permissions: permissions.iter().copied().collect(),
            groups: groups.map(|g| g.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    #[test]
    fn staff_reach_only_colleagues_within_their_permissions_and_accounts() {
        use Permission::*;
        let manager = staff(&[StaffManage, AccountsRead], None);
        let admin = staff(&Permission::ALL, None);
        let north = staff(&[StaffManage, AccountsRead], Some(&["north"]));
        assert!(admin.reaches(&manager));
        assert!(!manager.reaches(&admin), "more permissions");
        assert!(manager.reaches(&north));
        assert!(!north.reaches(&manager), "sees every account");
        assert!(north.reaches(&staff(&[AccountsRead], Some(&["north"]))));
        assert!(!north.reaches(&staff(&[AccountsRead], Some(&["north", "south"]))));
        assert!(manager.reaches(&manager.clone()), "equals are within reach");
        let end_user = Principal::EndUser {
            account: AccountId::generate(time::OffsetDateTime::UNIX_EPOCH),
            role: Role::Owner,
            allow_orders: true,
        };
        assert!(!admin.reaches(&end_user));
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: LoginId,
    pub tenant: TenantId,
    /// Lower case; unique within the tenant.
    pub username: String,
    pub email: EmailAddress,
    pub name: Option<String>,
    /// The language of its mail and pages (`en`, `fr`).
    pub language: String,
    pub principal: Principal,
    pub(super) password_hash: String,
    pub failed_attempts: u32,
    pub locked_at: Option<OffsetDateTime>,
    /// The client address of the last failed sign-in, for the Locked Out Users report.
    pub last_failed_from: Option<String>,
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Two-factor sign-in, when the login has turned it on.
    pub second_factor: Option<SecondFactor>,
    /// The mail it chose to get at its own address (customers' logins).
    pub mail_topics: std::collections::BTreeSet<MailTopic>,
    /// Sessions started under an earlier epoch are over: a change that must end the
    /// login's sessions (a new password, less access) moves it in its own write, so no
    /// session outlives the change even if cleaning them up fails.
    pub sessions_epoch: u64,
    pub version: u64,
    pub created_at: OffsetDateTime,
}

impl Login {
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

/// An account's portal access, as the console's panel shows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LoginState {
    /// No username and no live credential-create link: send one.
    NoUsername,
    /// A credential-create link is out and unused.
    Invited,
    Active,
    Locked,
}

/// Usernames: 2 to 64 letters, digits and `.`, `_`, `-`, `@`; compared after Unicode
/// compatibility normalisation (NFKC: `ａｄｍｉｎ` is `admin`) in lower case.
pub fn normalise_username(text: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let name = text.trim().nfkc().collect::<String>().to_lowercase();
    let ok = (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(name)
    } else {
        Err("use 2 to 64 letters, digits, and . _ - @".into())
    }
}

/// What a username looks like (its UTS #39 confusable skeleton, in lower case): two
/// usernames that look alike (`admin`, `аdmin` with a Cyrillic а, `adrnin`) have the same
/// one, and a tenant holds one username per look.
pub fn username_lookalike(username: &str) -> String {
    unicode_security::confusable_detection::skeleton(username)
        .collect::<String>()
        .to_lowercase()
}

pub(super) fn check_groups(groups: Option<&BTreeSet<String>>) -> Result<(), IdentityError> {
    if let Some(groups) = groups {
        if groups.is_empty() {
            return Err(invalid(
                "/groups",
                "give at least one group, or none to see every account",
            ));
        }
        for g in groups {
            crate::domain::accounts::check_group(g).map_err(|m| invalid("/groups", m))?;
        }
    }
    Ok(())
}

/// The staff member acting in an end user's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonator {
    pub login: LoginId,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub tenant: TenantId,
    pub login: LoginId,
    pub username: String,
    pub language: String,
    pub principal: Principal,
    pub impersonator: Option<Impersonator>,
    /// Looks only: every change is refused.
    pub read_only: bool,
    /// The tenant requires two-factor sign-in and this login has not set it up: the
    /// session may only set it up (or sign out).
    pub enrolment_only: bool,
    /// Started from a "fix your card" link: the card pages only (payments, cards, the
    /// invoices they pay), for half an hour.
    pub card_only: bool,
    pub started_at: OffsetDateTime,
    pub idle_expires_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// The login's sessions epoch when this session started (see [`Login::sessions_epoch`]).
    pub(super) epoch: u64,
    /// The impersonating staff member's, for an impersonation.
    pub(super) impersonator_epoch: Option<u64>,
    pub(super) idle: Duration,
    pub(super) hash: String,
    pub(super) csrf_hash: String,
    pub(super) last_seen_at: OffsetDateTime,
}

impl Session {
    /// Is `token` this session's CSRF token (required on changes made with the cookie)?
    pub fn csrf_matches(&self, token: &str) -> bool {
        tokens::same(&tokens::hash(token), &self.csrf_hash)
    }

    pub fn account(&self) -> Option<AccountId> {
        self.principal.account()
    }
}

/// A session just started: the secrets are shown here once and never again.
#[derive(Debug, Clone)]
pub struct Started {
    pub session: Session,
    pub token: String,
    pub csrf_token: String,
}

/// How a session is to be started.
pub(super) struct SessionSpec {
    pub idle: Duration,
    pub absolute: Duration,
    /// The staff member, and their sessions epoch, for an impersonation.
    pub impersonator: Option<(Impersonator, u64)>,
    pub read_only: bool,
    pub enrolment_only: bool,
    pub card_only: bool,
}

/// A login's second factor. Debug leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct SecondFactor {
    /// Base 32, as authenticator apps take it.
    pub(super) secret: String,
    /// The last time step whose code was accepted.
    pub(super) last_step: u64,
    pub(super) recovery_hashes: Vec<String>,
    pub enabled_at: OffsetDateTime,
}

impl SecondFactor {
    pub fn recovery_codes_left(&self) -> usize {
        self.recovery_hashes.len()
    }
}

impl fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondFactor")
            .field("last_step", &self.last_step)
            .field("recovery_codes_left", &self.recovery_hashes.len())
            .field("enabled_at", &self.enabled_at)
            .finish_non_exhaustive()
    }
}

/// The second step of a sign-in, waiting for a code.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub token: String,
    pub expires_at: OffsetDateTime,
}

/// What a correct password leads to.
#[derive(Debug, Clone)]
pub enum SignInOutcome {
    SignedIn(Box<Started>),
    SecondFactorRequired(Challenge),
}

/// Used links are kept (as "used") this long at least, so a second click is told so.
pub(super) const KEEP_USED: Duration = Duration::days(1);

/// The login a credential-create link makes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct NewLogin {
    pub(super) account: Option<String>,
    /// The account's owner login (one per account).
    pub(super) owner: bool,
    pub(super) role: Option<Role>,
    pub(super) allow_orders: bool,
    pub(super) permissions: Vec<Permission>,
    pub(super) groups: Option<Vec<String>>,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) language: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub(super) enum LinkPurpose {
    Create(NewLogin),
    Reset {
        login: String,
    },
    /// Lifts the lock of a login locked after failed sign-ins (sent in the lock notice).
    Unlock {
        login: String,
    },
    /// Signs a billing contact in to the portal's card page ("fix your card", sent when
    /// autopay fails): instead of the password, never instead of the second factor.
    CardSignIn {
        login: String,
        /// The login's sessions epoch when the link was made: a password changed or reset
        /// since (which ends its sessions) ends the link too.
        #[serde(default)]
        epoch: u64,
    },
}

pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
