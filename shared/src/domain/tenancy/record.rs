//! How this capability's records are keyed and mapped to items of the single table.

use super::{AttributeDefinition, Tenant, TenantKind, TenantStatus};
use crate::ports::table::TableError;
use crate::store::{self, keys};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct TenantRecord {
    pub id: String,
    pub kind: TenantKind,
    pub name: String,
    pub slug: String,
    pub wholesaler: Option<String>,
    pub status: TenantStatus,
    #[serde(default)]
    pub account_attributes: Vec<AttributeDefinition>,
    pub custom_domain: Option<String>,
    pub created_at: String,
}

pub fn to_item(t: &Tenant) -> Result<crate::ports::Item, TableError> {
    let record = TenantRecord {
        id: t.id.to_string(),
        kind: t.kind,
        name: t.name.clone(),
        slug: t.slug.clone(),
        wholesaler: t.wholesaler.map(|w| w.to_string()),
        status: t.status,
        account_attributes: t.account_attributes.clone(),
        custom_domain: t.custom_domain.clone(),
        created_at: crate::store::rfc3339(t.created_at),
    };
    let mut attributes = vec![
        ("pk", keys::tenant(&t.id)),
        ("sk", keys::TENANT_SK.to_owned()),
        ("gsi1pk", keys::ALL_TENANTS.to_owned()),
        ("gsi1sk", t.id.to_string()),
    ];
    if let Some(wholesaler) = &t.wholesaler {
        attributes.push(("gsi2pk", keys::retailers_of(wholesaler)));
        attributes.push(("gsi2sk", t.id.to_string()));
    }
    Ok(store::keyed(store::to_item(&record)?, &attributes))
}

pub fn from_item(item: &crate::ports::Item) -> Result<Tenant, TableError> {
    let r: TenantRecord = store::from_item(item)?;
    let bad = |what: &str| TableError::Unavailable(format!("stored tenant has a bad {what}"));
    Ok(Tenant {
        id: r.id.parse().map_err(|_| bad("id"))?,
        kind: r.kind,
        name: r.name,
        slug: r.slug,
        wholesaler: r
            .wholesaler
            .map(|w| w.parse())
            .transpose()
            .map_err(|_| bad("wholesaler"))?,
        status: r.status,
        account_attributes: r.account_attributes,
        custom_domain: r.custom_domain,
        created_at: crate::store::parse_rfc3339(&r.created_at).ok_or_else(|| bad("time"))?,
    })
}
