//! How this capability's records are keyed and mapped to items of the single table.

use super::{Alert, AlertScope, Measure};
use crate::domain::catalogue::UsageType;
use crate::ids::{AccountId, PlanId, ServiceId, TenantId};
use crate::ports::table::{Item, TableError};
use crate::store::{self, keys};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct AlertRecord {
    pub id: String,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    pub measure: Measure,
    #[serde(default)]
    pub usage: Option<UsageType>,
    pub threshold: i64,
    pub created_at: String,
}

pub fn partition(tenant: &TenantId, scope: &AlertScope) -> String {
    match scope {
        AlertScope::Service(account, _) | AlertScope::Account(account) => {
            keys::account(tenant, account)
        }
        AlertScope::Plan(plan) => keys::plan(tenant, plan),
    }
}

pub fn tenant_alerts(tenant: &TenantId) -> String {
    format!("TENANT#{tenant}#ALERTS")
}

pub fn to_item(tenant: &TenantId, a: &Alert) -> Result<Item, TableError> {
    let (account, service, plan) = match a.scope {
        AlertScope::Service(account, service) => (Some(account), Some(service), None),
        AlertScope::Account(account) => (Some(account), None, None),
        AlertScope::Plan(plan) => (None, None, Some(plan)),
    };
    let r = AlertRecord {
        id: a.id.to_string(),
        account: account.map(|x| x.to_string()),
        service: service.map(|x| x.to_string()),
        plan: plan.map(|x| x.to_string()),
        measure: a.measure,
        usage: a.usage,
        threshold: a.threshold,
        created_at: store::rfc3339(a.created_at),
    };
    Ok(store::keyed(
        store::to_item(&r)?,
        &[
            ("pk", partition(tenant, &a.scope)),
            ("sk", format!("ALERT#{}", a.id)),
            ("gsi1pk", tenant_alerts(tenant)),
            ("gsi1sk", a.id.to_string()),
        ],
    ))
}

pub fn from_item(item: &Item) -> Result<Alert, TableError> {
    let r: AlertRecord = store::from_item(item)?;
    let bad = |what: &str| TableError::Unreadable(format!("a stored alert has a bad {what}"));
    let account = r
        .account
        .map(|a| a.parse::<AccountId>().map_err(|_| bad("account")))
        .transpose()?;
    let service = r
        .service
        .map(|s| s.parse::<ServiceId>().map_err(|_| bad("service")))
        .transpose()?;
    let plan = r
        .plan
        .map(|p| p.parse::<PlanId>().map_err(|_| bad("plan")))
        .transpose()?;
    let scope = match (account, service, plan) {
        (Some(a), Some(s), None) => AlertScope::Service(a, s),
        (Some(a), None, None) => AlertScope::Account(a),
        (None, None, Some(p)) => AlertScope::Plan(p),
        _ => return Err(bad("scope")),
    };
    Ok(Alert {
        id: r.id.parse().map_err(|_| bad("id"))?,
        scope,
        measure: r.measure,
        usage: r.usage,
        threshold: r.threshold,
        created_at: store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
    })
}
