//! How this capability's records are keyed and mapped to items of the single table.

use std::collections::BTreeMap;

use super::{AttachedBoltOn, EmergencyAddress, EndedBoltOn, Service, ServiceStatus, VoiceFeatures};
use crate::domain::catalogue::ServiceType;
use crate::ids::{AccountId, ServiceId, TenantId};
use crate::ports::table::{Item, Key, TableError};
use crate::store::{self, keys};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct ServiceRecord {
    pub id: String,
    pub tenant: String,
    pub account: String,
    pub service_type: ServiceType,
    pub plan: String,
    pub identifier: String,
    pub status: ServiceStatus,
    pub started_at: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub bolt_ons: Vec<AttachedRecord>,
    #[serde(default)]
    pub ended_bolt_ons: Vec<EndedRecord>,
    #[serde(default)]
    pub cost_centre: Option<String>,
    #[serde(default)]
    pub features: VoiceFeatures,
    #[serde(default)]
    pub emergency_address: Option<EmergencyAddress>,
    pub version: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct AttachedRecord {
    pub bolt_on: String,
    pub since: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct EndedRecord {
    pub bolt_on: String,
    pub since: String,
    pub until: String,
}

pub fn key(tenant: &TenantId, account: &AccountId, id: &ServiceId) -> Key {
    Key::new(keys::account(tenant, account), format!("SERVICE#{id}"))
}

pub fn identifier_key(tenant: &TenantId, identifier: &str) -> Key {
    Key::new(
        keys::service_identifier(tenant, identifier),
        "SERVICE_IDENTIFIER",
    )
}

fn bad(what: &str) -> TableError {
    TableError::Unreadable(format!("a stored service has a bad {what}"))
}

pub fn to_item(s: &Service) -> Result<Item, TableError> {
    let record = ServiceRecord {
        id: s.id.to_string(),
        tenant: s.tenant.to_string(),
        account: s.account.to_string(),
        service_type: s.service_type,
        plan: s.plan.to_string(),
        identifier: s.identifier.clone(),
        status: s.status,
        started_at: store::rfc3339(s.started_at),
        attributes: s.attributes.clone(),
        bolt_ons: s
            .bolt_ons
            .iter()
            .map(|b| AttachedRecord {
                bolt_on: b.bolt_on.to_string(),
                since: store::rfc3339(b.since),
            })
            .collect(),
        ended_bolt_ons: s
            .ended_bolt_ons
            .iter()
            .map(|b| EndedRecord {
                bolt_on: b.bolt_on.to_string(),
                since: store::rfc3339(b.since),
                until: store::rfc3339(b.until),
            })
            .collect(),
        cost_centre: s.cost_centre.map(|c| c.to_string()),
        features: s.features.clone(),
        emergency_address: s.emergency_address.clone(),
        version: s.version as i64,
    };
    let k = key(&s.tenant, &s.account, &s.id);
    Ok(store::keyed(
        store::to_item(&record)?,
        &[("pk", k.pk), ("sk", k.sk)],
    ))
}

pub fn from_item(item: &Item) -> Result<Service, TableError> {
    let r: ServiceRecord = store::from_item(item)?;
    Ok(Service {
        id: r.id.parse().map_err(|_| bad("id"))?,
        tenant: r.tenant.parse().map_err(|_| bad("tenant"))?,
        account: r.account.parse().map_err(|_| bad("account"))?,
        service_type: r.service_type,
        plan: r.plan.parse().map_err(|_| bad("plan"))?,
        identifier: r.identifier,
        status: r.status,
        started_at: store::parse_rfc3339(&r.started_at).ok_or_else(|| bad("time"))?,
        attributes: r.attributes,
        bolt_ons: r
            .bolt_ons
            .iter()
            .map(|b| {
                Ok(AttachedBoltOn {
                    bolt_on: b.bolt_on.parse().map_err(|_| bad("bolt-on"))?,
                    since: store::parse_rfc3339(&b.since).ok_or_else(|| bad("time"))?,
                })
            })
            .collect::<Result<_, TableError>>()?,
        ended_bolt_ons: r
            .ended_bolt_ons
            .iter()
            .map(|b| {
                Ok(EndedBoltOn {
                    bolt_on: b.bolt_on.parse().map_err(|_| bad("bolt-on"))?,
                    since: store::parse_rfc3339(&b.since).ok_or_else(|| bad("time"))?,
                    until: store::parse_rfc3339(&b.until).ok_or_else(|| bad("time"))?,
                })
            })
            .collect::<Result<_, TableError>>()?,
        cost_centre: r
            .cost_centre
            .map(|c| c.parse().map_err(|_| bad("cost centre")))
            .transpose()?,
        features: r.features,
        emergency_address: r.emergency_address,
        version: u64::try_from(r.version).map_err(|_| bad("version"))?,
    })
}
