//! What the API shows of accounts and logins, shared by the portal and the console.

use super::problem::Problem;
use crate::domain::catalogue::MonthlyPrice;
use crate::domain::catalogue::{ServiceType, UsageType, money};
use crate::domain::contact::for_people;
use crate::domain::services::{EmergencyAddress, Service, ServiceStatus, VoiceFeatures};
use crate::domain::usage::{Period, Totals};
use crate::ids::TenantId;
use crate::platform::Platform;
use std::collections::BTreeMap;
use time::Date;
use utoipa::IntoParams;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::domain::accounts::{
    Account, AccountChanges, AccountKind, AccountStatus, AccountSummary,
};
use crate::domain::contact::{PostalAddress, PostalAddressInput};
use crate::domain::identity::{Login, Permission, Principal, Role};

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub number: String,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub group: Option<String>,
    pub billing_address: Option<PostalAddressInput>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub attributes: BTreeMap<String, String>,
    /// Send it back as `expected_version` to update safely.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id.to_string(),
            number: a.number.clone(),
            name: a.name.clone(),
            kind: a.kind(),
            status: a.status,
            group: a.group.clone(),
            billing_address: a.billing_address.as_ref().map(PostalAddress::to_input),
            phones: a.phones.iter().map(|p| p.as_str().to_owned()).collect(),
            emails: a.emails.iter().map(|e| e.as_str().to_owned()).collect(),
            attributes: a.attributes.clone(),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountSummaryView {
    pub id: String,
    pub number: String,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub group: Option<String>,
}

impl From<AccountSummary> for AccountSummaryView {
    fn from(a: AccountSummary) -> Self {
        AccountSummaryView {
            id: a.id.to_string(),
            number: a.number,
            name: a.name,
            kind: a.kind,
            status: a.status,
            group: a.group,
        }
    }
}

/// `null` means "remove", absent means "leave as it is".
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to an account; fields left out stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// An account's kind never changes: the kind it has is accepted (a client sending the
    /// whole account back), any other is refused (`kind-immutable`).
    pub kind: Option<crate::domain::accounts::AccountKind>,
    pub name: Option<String>,
    /// `null` removes the address.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<PostalAddressInput>)]
    pub billing_address: Option<Option<PostalAddressInput>>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    pub attributes: Option<BTreeMap<String, String>>,
    /// Console only. `null` takes the account out of its group.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub group: Option<Option<String>>,
    /// The version read; a stale one is refused instead of overwriting someone's change.
    pub expected_version: Option<u64>,
}

impl AccountPatch {
    pub fn changes(&self) -> AccountChanges {
        AccountChanges {
            kind: self.kind,
            name: self.name.clone(),
            billing_address: self.billing_address.clone(),
            phones: self.phones.clone(),
            emails: self.emails.clone(),
            attributes: self.attributes.clone(),
            group: self.group.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub language: String,
    /// `end_user` or `staff`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_orders: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    /// Staff limited to account groups; absent: every account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    pub locked: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_at: Option<OffsetDateTime>,
    pub failed_attempts: u32,
    /// Signs in with a second factor (TOTP).
    pub two_factor: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Login> for LoginView {
    fn from(l: Login) -> Self {
        let (kind, role, allow_orders, permissions, groups) = match &l.principal {
            Principal::EndUser {
                role, allow_orders, ..
            } => ("end_user", Some(*role), Some(*allow_orders), None, None),
            Principal::Staff {
                permissions,
                groups,
            } => (
                "staff",
                None,
                None,
                Some(permissions.iter().copied().collect()),
                groups.as_ref().map(|g| g.iter().cloned().collect()),
            ),
        };
        LoginView {
            id: l.id.to_string(),
            username: l.username.clone(),
            email: l.email.to_string(),
            name: l.name.clone(),
            language: l.language.clone(),
            kind,
            role,
            allow_orders,
            permissions,
            groups,
            locked: l.is_locked(),
            locked_at: l.locked_at,
            failed_attempts: l.failed_attempts,
            two_factor: l.second_factor.is_some(),
            last_sign_in_at: l.last_sign_in_at,
            created_at: l.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    /// Send it as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl<T> PageOf<T> {
    pub fn from<U: Into<T>>(page: crate::domain::paging::Page<U>) -> Self {
        PageOf {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1 to 100; 25 when left out.
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Paging {
    pub fn request(&self) -> crate::domain::paging::PageRequest {
        crate::domain::paging::PageRequest {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// The instants a range of the provider's days covers: from the start of `from` to the
/// start of the day after `to` (either open). Refused when a day is no date or `from` is
/// after `to`.
pub(super) async fn day_range(
    platform: &Platform,
    tenant: &TenantId,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), Problem> {
    let day = |text: Option<&str>, field: &str| match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => crate::domain::billing::dates::parse(t)
            .map(Some)
            .ok_or_else(|| Problem::validation().field(field, "a date such as 2026-11-01")),
    };
    let (from, to) = (day(from, "from")?, day(to, "to")?);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(Problem::validation().field("from", "on or before `to`"));
    }
    let zone = crate::domain::settings::zone(platform.table.as_ref(), tenant)
        .await
        .map_err(|e| Problem::storage(&e))?;
    Ok((
        from.map(|d| zone.start_of(d)),
        to.and_then(|d| d.next_day()).map(|d| zone.start_of(d)),
    ))
}

/// What a service's bolt-ons include each month of one usage type.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncludedView {
    pub usage: UsageType,
    /// In the usage type's unit: seconds, messages or bytes.
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: String,
    pub service_type: ServiceType,
    pub plan: String,
    /// The plan's name (absent where the plan could not be read).
    pub plan_name: Option<String>,
    /// What the service costs a month: its plan and its bolt-ons.
    pub price: Option<MonthlyPrice>,
    /// What its bolt-ons include each month, by usage type (seconds, messages, bytes); the
    /// month's usage says how much of it is used (`covered`).
    pub allowances: Vec<IncludedView>,
    pub identifier: String,
    /// The identifier as people read it: a phone number spaced as its country writes it
    /// (`+61 2 5550 1234`), anything else as it is.
    pub identifier_shown: String,
    /// A phone number's country (ISO 3166-1 alpha-2), by its numbering plan.
    pub country: Option<String>,
    pub status: ServiceStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub attributes: BTreeMap<String, String>,
    pub bolt_ons: Vec<String>,
    /// The account's cost centre the service is under.
    pub cost_centre: Option<String>,
    /// Voice services: the number's features (changed by ordering).
    pub features: VoiceFeatures,
    /// The same with their numbers as people read them (`+61 2 5550 9999`).
    pub features_shown: VoiceFeatures,
    /// Voice services: the emergency address provisioned for the number.
    pub emergency_address: Option<EmergencyAddress>,
    pub version: u64,
}

impl From<Service> for ServiceView {
    fn from(s: Service) -> Self {
        ServiceView {
            id: s.id.to_string(),
            service_type: s.service_type,
            plan: s.plan.to_string(),
            plan_name: None,
            price: None,
            allowances: Vec::new(),
            identifier_shown: for_people(&s.identifier),
            country: crate::domain::contact::country_of(&s.identifier),
            identifier: s.identifier,
            status: s.status,
            started_at: s.started_at,
            attributes: s.attributes,
            bolt_ons: s.bolt_ons.iter().map(|b| b.bolt_on.to_string()).collect(),
            cost_centre: s.cost_centre.map(|c| c.to_string()),
            features_shown: VoiceFeatures {
                forward_to: s.features.forward_to.as_deref().map(for_people),
                failover_to: s.features.failover_to.as_deref().map(for_people),
                ..s.features.clone()
            },
            features: s.features,
            emergency_address: s.emergency_address,
            version: s.version,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A month, `2026-11`; the current month when left out.
    pub period: Option<String>,
}

/// The month asked for, or the provider's current one (`today` is the provider's date).
pub(super) fn period_of(text: Option<&str>, today: Date) -> Result<Period, Problem> {
    match text {
        None => Ok(Period::containing(today)),
        Some(text) => Period::parse(text)
            .ok_or_else(|| Problem::validation().field("period", "a month such as 2026-11")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsView {
    pub count: i64,
    /// Seconds, messages or bytes, as measured.
    pub quantity: i64,
    pub billable: i64,
    /// What allowances covered.
    pub covered: i64,
    /// A decimal amount, `12.34`.
    pub charge: String,
}

impl From<&Totals> for TotalsView {
    fn from(t: &Totals) -> Self {
        TotalsView {
            count: t.count,
            quantity: t.quantity,
            billable: t.billable,
            covered: t.covered,
            charge: money::decimal(t.charge),
        }
    }
}

/// Today in the provider's calendar (its time zone).
pub(super) async fn today(platform: &Platform, tenant: &TenantId) -> Result<Date, Problem> {
    let zone = crate::domain::settings::zone(platform.table.as_ref(), tenant)
        .await
        .map_err(|e| Problem::storage(&e))?;
    Ok(zone.date_of(platform.clock.now()))
}
