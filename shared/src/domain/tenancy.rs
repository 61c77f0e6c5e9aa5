//! Tenants: wholesale providers (WSP) and retail providers (RSP). An RSP may buy through a
//! wholesaler; a WSP has none above it. The platform operator sits above them all and is
//! not a tenant: it runs the stack and the operator tool.

use std::sync::Arc;

use time::OffsetDateTime;

use super::Violations;
use super::paging::{self, Page, PageRequest, PagingError};
use crate::ids::TenantId;
use crate::ports::Clock;
use crate::ports::table::{Condition, Index, Key, Query, Table, TableError, Update, Write};
use crate::store::{self, CursorCodec, Transaction, TransactionError, keys};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Wholesale,
    Retail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

/// How many attributes a provider may add to its accounts.
pub const MAX_ACCOUNT_ATTRIBUTES: usize = 30;

/// An attribute the tenant adds to every account (for example a sales region), with the
/// value new accounts get unless told otherwise.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttributeDefinition {
    pub name: String,
    pub default: Option<String>,
    pub required: bool,
}

impl AttributeDefinition {
    /// A name is 1 to 40 letters, digits, `-` and `_` (it is a key in every account).
    pub fn name_is_valid(name: &str) -> bool {
        (1..=40).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub kind: TenantKind,
    pub name: String,
    /// Unique; the tenant's portal answers at `{slug}.{portal domain}`.
    pub slug: String,
    pub wholesaler: Option<TenantId>,
    pub status: TenantStatus,
    pub account_attributes: Vec<AttributeDefinition>,
    /// A host name of the provider's own (`portal.acme.com`) where its portal also
    /// answers; unique across tenants.
    pub custom_domain: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    pub kind: TenantKind,
    pub name: String,
    pub slug: String,
    pub wholesaler: Option<TenantId>,
}

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("invalid tenant: {0}")]
    Invalid(Violations),
    #[error("the slug {0:?} is taken")]
    SlugTaken(String),
    #[error("the domain {0:?} belongs to another tenant")]
    DomainTaken(String),
    #[error("no such tenant")]
    NotFound,
    #[error("the cursor is not one this list issued")]
    InvalidCursor,
    #[error(transparent)]
    Storage(#[from] TableError),
}

/// A domain name: at least two labels of letters, digits and inner dashes, 253 characters
/// at most, in lower case.
pub fn check_domain(domain: &str) -> Result<(), String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err("a host name such as portal.example.com".into())
    }
}

/// A slug: 3 to 40 lower-case letters, digits and inner dashes (it becomes a host name).
pub fn check_slug(slug: &str) -> Result<(), String> {
    let ok = (3..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("use 3 to 40 lower-case letters, digits and inner dashes".into())
    }
}

pub struct Tenants {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
}

mod record;

impl Tenants {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        Tenants {
            table,
            clock,
            cursors,
        }
    }

    pub async fn create(&self, new: NewTenant) -> Result<Tenant, TenantError> {
        let mut violations = Violations::default();
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 120 {
            violations.add("name", "give a name of 1 to 120 characters");
        }
        if let Err(message) = check_slug(&new.slug) {
            violations.add("slug", message);
        }
        match (new.kind, new.wholesaler) {
            (TenantKind::Wholesale, Some(_)) => {
                violations.add("wholesaler", "a wholesale provider has no wholesaler");
            }
            (TenantKind::Retail, Some(wholesaler)) => match self.get(&wholesaler).await {
                Ok(w) if w.kind == TenantKind::Wholesale => {}
                Ok(_) => violations.add("wholesaler", "that tenant is not a wholesale provider"),
                Err(TenantError::NotFound) => violations.add("wholesaler", "no such tenant"),
                Err(e) => return Err(e),
            },
            _ => {}
        }
        violations.into_result().map_err(TenantError::Invalid)?;
        let now = self.clock.now();
        let tenant = Tenant {
            id: TenantId::generate(now),
            kind: new.kind,
            name,
            slug: new.slug.clone(),
            wholesaler: new.wholesaler,
            status: TenantStatus::Active,
            account_attributes: Vec::new(),
            custom_domain: None,
            created_at: now,
        };
        let slug_item = store::keyed(
            crate::ports::Item::from([("tenant".to_owned(), tenant.id.to_string().into())]),
            &[("pk", keys::slug(&tenant.slug)), ("sk", "SLUG".to_owned())],
        );
        let mut tx = Transaction::new();
        tx.add(
            "slug claim",
            Write::Put {
                item: slug_item,
                condition: Some(Condition::Absent),
            },
        )
        .add(
            "tenant",
            Write::Put {
                item: record::to_item(&tenant)?,
                condition: Some(Condition::Absent),
            },
        );
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(tenant),
            Err(TransactionError::ConditionFailed("slug claim")) => {
                Err(TenantError::SlugTaken(tenant.slug))
            }
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    pub async fn get(&self, id: &TenantId) -> Result<Tenant, TenantError> {
        let item = self
            .table
            .get(&Key::new(keys::tenant(id), keys::TENANT_SK))
            .await?
            .ok_or(TenantError::NotFound)?;
        Ok(record::from_item(&item)?)
    }

    /// The tenant a host name's first label names (`acme.portal.example` → `acme`).
    pub async fn by_slug(&self, slug: &str) -> Result<Tenant, TenantError> {
        if check_slug(slug).is_err() {
            return Err(TenantError::NotFound);
        }
        self.by_claim(Key::new(keys::slug(slug), "SLUG")).await
    }

    /// The tenant whose own domain `host` is.
    pub async fn by_domain(&self, host: &str) -> Result<Tenant, TenantError> {
        if check_domain(host).is_err() {
            return Err(TenantError::NotFound);
        }
        self.by_claim(Key::new(keys::custom_domain(host), "DOMAIN"))
            .await
    }

    /// The id of the tenant a slug names (one read: what a signed-in request checks).
    pub async fn id_by_slug(&self, slug: &str) -> Result<TenantId, TenantError> {
        if check_slug(slug).is_err() {
            return Err(TenantError::NotFound);
        }
        self.id_by_claim(Key::new(keys::slug(slug), "SLUG")).await
    }

    /// The id of the tenant whose own domain `host` is.
    pub async fn id_by_domain(&self, host: &str) -> Result<TenantId, TenantError> {
        if check_domain(host).is_err() {
            return Err(TenantError::NotFound);
        }
        self.id_by_claim(Key::new(keys::custom_domain(host), "DOMAIN"))
            .await
    }

    /// The tenant a claim item (a slug's, a domain's) names.
    async fn by_claim(&self, claim: Key) -> Result<Tenant, TenantError> {
        let id = self.id_by_claim(claim).await?;
        self.get(&id).await
    }

    async fn id_by_claim(&self, claim: Key) -> Result<TenantId, TenantError> {
        let item = self.table.get(&claim).await?.ok_or(TenantError::NotFound)?;
        Ok(item
            .get("tenant")
            .and_then(|v| v.as_s())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| TableError::Unavailable(format!("{claim} lacks its tenant")))?)
    }

    /// Maps a domain of the tenant's own to its portal (None: removes the mapping). The
    /// claim on the domain and the tenant's record change together; a domain another
    /// tenant holds is refused.
    pub async fn set_custom_domain(
        &self,
        id: &TenantId,
        domain: Option<&str>,
    ) -> Result<Tenant, TenantError> {
        let domain = domain.map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase());
        if let Some(domain) = &domain
            && let Err(message) = check_domain(domain)
        {
            let mut violations = Violations::default();
            violations.add("domain", message);
            return Err(TenantError::Invalid(violations));
        }
        let current = self.get(id).await?;
        if current.custom_domain == domain {
            return Ok(current);
        }
        let mut tx = Transaction::new();
        if let Some(domain) = &domain {
            tx.add(
                "domain claim",
                Write::Put {
                    item: store::keyed(
                        crate::ports::Item::from([("tenant".to_owned(), id.to_string().into())]),
                        &[
                            ("pk", keys::custom_domain(domain)),
                            ("sk", "DOMAIN".to_owned()),
                        ],
                    ),
                    condition: Some(Condition::Absent),
                },
            );
        }
        if let Some(old) = &current.custom_domain {
            tx.add(
                "old domain",
                Write::Delete {
                    key: Key::new(keys::custom_domain(old), "DOMAIN"),
                    condition: None,
                },
            );
        }
        let next = Tenant {
            custom_domain: domain.clone(),
            ..current.clone()
        };
        tx.add(
            "tenant",
            Write::Put {
                item: record::to_item(&next)?,
                // Unchanged meanwhile, when it had a domain (another mapping racing this one).
                condition: Some(match &current.custom_domain {
                    Some(old) => Condition::Equals("custom_domain".into(), old.as_str().into()),
                    None => Condition::Exists,
                }),
            },
        );
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(next),
            Err(TransactionError::ConditionFailed("domain claim")) => {
                Err(TenantError::DomainTaken(domain.unwrap_or_default()))
            }
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// Every tenant, oldest first (for the platform operator).
    pub async fn list(&self, page: &PageRequest) -> Result<Page<Tenant>, TenantError> {
        self.list_partition(Index::Gsi1, keys::ALL_TENANTS.to_owned(), page)
            .await
    }

    /// The retail providers that buy through a wholesaler.
    pub async fn retailers_of(
        &self,
        wholesaler: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Tenant>, TenantError> {
        self.list_partition(Index::Gsi2, keys::retailers_of(wholesaler), page)
            .await
    }

    async fn list_partition(
        &self,
        index: Index,
        partition: String,
        page: &PageRequest,
    ) -> Result<Page<Tenant>, TenantError> {
        let scope = format!("tenants:{partition}");
        let query = Query::partition(index, partition);
        paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &scope,
            query,
            page,
            record::from_item,
        )
        .await
        .map_err(|e| match e {
            PagingError::InvalidLimit(m) => {
                let mut v = Violations::default();
                v.add("limit", m);
                TenantError::Invalid(v)
            }
            PagingError::InvalidCursor => TenantError::InvalidCursor,
            PagingError::Storage(e) => TenantError::Storage(e),
        })
    }

    /// Replaces the attributes the tenant's accounts carry.
    pub async fn set_account_attributes(
        &self,
        id: &TenantId,
        definitions: Vec<AttributeDefinition>,
        stamp: &crate::store::Stamp,
    ) -> Result<Tenant, TenantError> {
        let mut violations = Violations::default();
        let mut seen = std::collections::BTreeSet::new();
        if definitions.len() > MAX_ACCOUNT_ATTRIBUTES {
            violations.add("", format!("at most {MAX_ACCOUNT_ATTRIBUTES} attributes"));
        }
        for (i, d) in definitions.iter().enumerate() {
            if !AttributeDefinition::name_is_valid(&d.name) {
                violations.add(format!("/{i}/name"), "use 1 to 40 letters, digits, - and _");
            }
            if !seen.insert(d.name.clone()) {
                violations.add(format!("/{i}/name"), "each attribute once");
            }
            if d.default.as_ref().is_some_and(|v| v.chars().count() > 200) {
                violations.add(format!("/{i}/default"), "at most 200 characters");
            }
        }
        violations.into_result().map_err(TenantError::Invalid)?;
        let mut tenant = self.get(id).await?;
        tenant.account_attributes = definitions;
        let item = record::to_item(&tenant)?;
        let attributes = item
            .get("account_attributes")
            .cloned()
            .unwrap_or(crate::ports::Value::L(vec![]));
        let mut writes = vec![crate::ports::table::Write::Update {
            key: Key::new(keys::tenant(id), keys::TENANT_SK),
            update: Update::default().set("account_attributes", attributes),
            condition: Some(Condition::Exists),
        }];
        writes.extend(stamp.writes());
        self.table.transact(writes).await?;
        Ok(tenant)
    }
}
