//! A provider's order settings: what its customers may order and what is approved without
//! waiting for staff. Kept as one item per tenant; the defaults are the cautious ones
//! (everything may be asked for, nothing is approved automatically).

use std::collections::BTreeSet;

use crate::domain::Violations;
use crate::domain::contact::EmailAddress;
use crate::ids::TenantId;
use crate::ports::table::{Key, Table, TableError};
use crate::store::Stamp;
use crate::store::{self, keys};

/// A number feature a customer may change by ordering.
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
pub enum Feature {
    CallForwarding,
    Failover,
    CallerIdName,
    FaxToEmail,
    Conference,
}

impl Feature {
    pub const ALL: [Feature; 5] = [
        Feature::CallForwarding,
        Feature::Failover,
        Feature::CallerIdName,
        Feature::FaxToEmail,
        Feature::Conference,
    ];

    /// As the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Feature::CallForwarding => "call_forwarding",
            Feature::Failover => "failover",
            Feature::CallerIdName => "caller_id_name",
            Feature::FaxToEmail => "fax_to_email",
            Feature::Conference => "conference",
        }
    }
}

/// The kinds of order fulfilled by hand, which a retailer may leave to its wholesaler.
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
pub enum ManualKind {
    PortIn,
    NewService,
}

#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct AutoApproval {
    pub call_forwarding: bool,
    pub failover: bool,
    pub emergency_address: bool,
    /// Bolt-on subscriptions whose monthly price is at most this (minor units) are
    /// approved at once; none when absent.
    pub bolt_ons_up_to_minor: Option<i64>,
    /// Bolt-on cancellations are approved at once.
    pub bolt_on_cancellations: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrderSettings {
    /// Customers may order numbers from the provider's inventory.
    pub number_ordering: bool,
    /// The number tiers customers may order (`standard`, `gold`, ...).
    pub orderable_tiers: BTreeSet<String>,
    /// The number features customers may change.
    pub editable_features: BTreeSet<Feature>,
    /// Customers may order emergency (E911) addresses for their numbers.
    pub emergency_addresses: bool,
    /// The countries (ISO 3166-1 alpha-2) whose numbers take an emergency address: a
    /// number's country is its numbering plan's (E911 is the United States' and
    /// Canada's, the default).
    pub emergency_address_countries: BTreeSet<String>,
    /// Customers may ask to port numbers in.
    pub port_ins: bool,
    /// Customers may order new services.
    pub new_services: bool,
    pub auto_approve: AutoApproval,
    /// The kinds of hand-fulfilled order this retailer's wholesaler provisions; the
    /// rest land in the retailer's own queue. Ignored for a tenant with no wholesaler.
    pub wholesaler_provisions: BTreeSet<ManualKind>,
    /// Where the provider hears of every new order.
    pub alert_email: Option<String>,
}

impl Default for OrderSettings {
    fn default() -> Self {
        OrderSettings {
            number_ordering: true,
            orderable_tiers: BTreeSet::from(["standard".to_owned()]),
            editable_features: Feature::ALL.into_iter().collect(),
            emergency_addresses: true,
            emergency_address_countries: BTreeSet::from(["CA".to_owned(), "US".to_owned()]),
            port_ins: true,
            new_services: true,
            auto_approve: AutoApproval::default(),
            wholesaler_provisions: BTreeSet::new(),
            alert_email: None,
        }
    }
}

/// A tier name: 1 to 20 lower-case letters, digits and dashes.
pub fn check_tier(tier: &str) -> Result<(), String> {
    if (1..=20).contains(&tier.len())
        && tier
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err("1 to 20 lower-case letters, digits and dashes".into())
    }
}

impl OrderSettings {
    /// Whether the number (or identifier) `identifier` takes an emergency address.
    pub fn emergency_address_applies(&self, identifier: &str) -> bool {
        crate::domain::contact::country_of(identifier)
            .is_some_and(|c| self.emergency_address_countries.contains(&c))
    }

    pub fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        if self.orderable_tiers.len() > 20 {
            v.add("/orderable_tiers", "at most 20 tiers");
        }
        for tier in &self.orderable_tiers {
            if let Err(m) = check_tier(tier) {
                v.add("/orderable_tiers", format!("{tier:?}: {m}"));
            }
        }
        for country in &self.emergency_address_countries {
            if country.len() != 2 || country.parse::<phonenumber::country::Id>().is_err() {
                v.add(
                    "/emergency_address_countries",
                    "a country's two capital letters, as in AU or GB",
                );
            }
        }
        if let Some(limit) = self.auto_approve.bolt_ons_up_to_minor
            && limit < 0
        {
            v.add("/auto_approve/bolt_ons_up_to_minor", "zero or more");
        }
        if let Some(address) = &self.alert_email
            && let Err(m) = EmailAddress::parse(address)
        {
            v.add("/alert_email", m);
        }
        v.into_result()
    }
}

fn key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "SETTINGS#ORDERS")
}

/// A tenant's order settings, the defaults where it has chosen none.
pub async fn read(table: &dyn Table, tenant: &TenantId) -> Result<OrderSettings, TableError> {
    store::read_settings(table, &key(tenant), "settings").await
}

pub async fn write(
    table: &dyn Table,
    tenant: &TenantId,
    settings: &OrderSettings,
    now: time::OffsetDateTime,
    stamp: &Stamp,
) -> Result<(), TableError> {
    store::write_settings(
        table,
        &key(tenant),
        "settings",
        settings,
        now,
        stamp.writes(),
    )
    .await
}
