//! Services: what an account has (a phone number, a broadband circuit, a mobile), on a plan,
//! with its bolt-ons.
//!
//! Rules kept here: a service belongs to one account for life and lives in that account's
//! partition, so an account can only ever reach its own; a service's identifier (its phone
//! number, circuit id) is unique within the tenant, which is how usage finds it; its plan
//! is of its service type; a bolt-on is attached only if it names the service's plan.

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::Violations;
use super::catalogue::{BoltOn, Catalogue, CatalogueError, Plan, ServiceType};
use crate::ids::{AccountId, BoltOnId, CostCentreId, PlanId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Condition, Item, Key, Query, SortKey, Table, TableError, Value, Write};
use crate::store::{self, CursorCodec, Stamp, Transaction, TransactionError, keys};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    PendingProvisioning,
    ProvisioningHalted,
    Active,
    Suspended,
    Cancelled,
}

/// What a voice service's number does beyond ringing: each is changed by an order.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
// Strict although stored (inside orders and services): it also arrives inside the order
// request, an internally tagged enum, where the request extractor cannot see unknown
// fields. A newer version adding a field here must add it to the request type only.
#[serde(deny_unknown_fields)]
pub struct VoiceFeatures {
    /// Where every call goes instead (E.164), when set.
    #[serde(default)]
    pub forward_to: Option<String>,
    /// Where calls go when the service cannot be reached (E.164).
    #[serde(default)]
    pub failover_to: Option<String>,
    /// The name shown to the called party (up to 15 characters, as CNAM allows).
    #[serde(default)]
    pub caller_id_name: Option<String>,
    /// Faxes to this number arrive as PDF mail at this address.
    #[serde(default)]
    pub fax_to_email: Option<String>,
    /// The number hosts a conference bridge.
    #[serde(default)]
    pub conference: bool,
}

/// The address emergency services are sent to for a number (E911).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
// Strict although stored (inside orders and services): it also arrives inside the order
// request, an internally tagged enum, where the request extractor cannot see unknown
// fields. A newer version adding a field here must add it to the request type only.
#[serde(deny_unknown_fields)]
pub struct EmergencyAddress {
    /// The person or business at the address.
    pub name: String,
    pub street: String,
    /// Suite, floor, unit: what a responder needs inside the building.
    #[serde(default)]
    pub location: Option<String>,
    pub city: String,
    pub region: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2, `US`.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedBoltOn {
    pub bolt_on: BoltOnId,
    pub since: OffsetDateTime,
}

/// A bolt-on the service had: billing charges it up to `until` and credits what was billed
/// beyond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedBoltOn {
    pub bolt_on: BoltOnId,
    pub since: OffsetDateTime,
    pub until: OffsetDateTime,
}

/// How many ended bolt-ons a service keeps for billing (the oldest are long settled).
pub const ENDED_BOLT_ONS_KEPT: usize = 24;

impl Service {
    /// Takes a bolt-on off at `at`, keeping when it ran for billing. False when the service
    /// does not have it.
    pub fn end_bolt_on(&mut self, bolt_on: &str, at: OffsetDateTime) -> bool {
        let Some(position) = self
            .bolt_ons
            .iter()
            .position(|b| b.bolt_on.to_string() == bolt_on)
        else {
            return false;
        };
        let ended = self.bolt_ons.remove(position);
        self.ended_bolt_ons.push(EndedBoltOn {
            bolt_on: ended.bolt_on,
            since: ended.since,
            until: at,
        });
        let excess = self
            .ended_bolt_ons
            .len()
            .saturating_sub(ENDED_BOLT_ONS_KEPT);
        self.ended_bolt_ons.drain(..excess);
        true
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub tenant: TenantId,
    pub account: AccountId,
    pub service_type: ServiceType,
    pub plan: PlanId,
    /// The phone number, circuit id, ...: unique within the tenant.
    pub identifier: String,
    pub status: ServiceStatus,
    pub started_at: OffsetDateTime,
    pub attributes: BTreeMap<String, String>,
    pub bolt_ons: Vec<AttachedBoltOn>,
    /// Bolt-ons taken off, newest last, up to [`ENDED_BOLT_ONS_KEPT`].
    pub ended_bolt_ons: Vec<EndedBoltOn>,
    /// The account's cost centre the service is under, if any.
    pub cost_centre: Option<CostCentreId>,
    /// Voice services: the number's features.
    pub features: VoiceFeatures,
    /// Voice services: the emergency address provisioned for the number.
    pub emergency_address: Option<EmergencyAddress>,
    pub version: u64,
}

pub struct NewService {
    pub plan: PlanId,
    pub identifier: String,
    pub status: ServiceStatus,
    pub started_at: Option<OffsetDateTime>,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    #[error("the identifier {0:?} belongs to another service")]
    IdentifierTaken(String),
    #[error("the service changed meanwhile; try again")]
    Conflict,
    #[error(transparent)]
    Storage(#[from] TableError),
}

impl From<CatalogueError> for ServiceError {
    fn from(e: CatalogueError) -> Self {
        match e {
            CatalogueError::NotFound => ServiceError::NotFound,
            CatalogueError::Invalid(v) => ServiceError::Invalid(v),
            CatalogueError::Storage(e) => ServiceError::Storage(e),
            CatalogueError::Paging(e) => ServiceError::Storage(TableError::Invalid(e.to_string())),
        }
    }
}

/// Identifiers: 1 to 64 letters, digits and `+ . _ - :`, kept as given but for spaces.
pub fn normalise_identifier(text: &str) -> Result<String, String> {
    let id: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '_' | '-' | ':'));
    if ok {
        Ok(id)
    } else {
        Err("1 to 64 letters, digits and + . _ - :".into())
    }
}

mod record;

#[derive(Clone)]
pub struct Services {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    catalogue: Catalogue,
}

impl Services {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        Services {
            catalogue: Catalogue::new(table.clone(), clock.clone(), cursors),
            table,
            clock,
        }
    }

    /// Gives an account a service. The caller has checked the account is one it may touch.
    pub async fn create(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        new: NewService,
        stamp: &Stamp,
    ) -> Result<Service, ServiceError> {
        let mut v = Violations::default();
        let identifier = normalise_identifier(&new.identifier)
            .map_err(|m| v.add("/identifier", m))
            .unwrap_or_default();
        if new.attributes.len() > 20
            || new
                .attributes
                .iter()
                .any(|(k, val)| k.is_empty() || k.len() > 40 || val.len() > 200)
        {
            v.add(
                "/attributes",
                "up to 20, names of 1 to 40 and values up to 200 characters",
            );
        }
        let plan = match self.catalogue.plan(tenant, &new.plan).await {
            Ok(plan) => Some(plan),
            Err(CatalogueError::NotFound) => {
                v.add("/plan", "no such plan");
                None
            }
            Err(e) => return Err(e.into()),
        };
        v.clone().into_result().map_err(ServiceError::Invalid)?;
        let plan = plan.ok_or(ServiceError::Invalid(v))?;
        let now = self.clock.now();
        let (service, writes) = creation(
            tenant,
            account,
            &plan,
            identifier.clone(),
            new.status,
            new.started_at.unwrap_or(now),
            new.attributes,
            now,
        )?;
        let mut tx = Transaction::new();
        for (name, write) in writes {
            tx.add(name, write);
        }
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(service),
            Err(TransactionError::ConditionFailed(IDENTIFIER_CLAIM)) => {
                Err(ServiceError::IdentifierTaken(identifier))
            }
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// A service of an account: NotFound when it belongs to another.
    pub async fn get(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &ServiceId,
    ) -> Result<Service, ServiceError> {
        let item = self
            .table
            .get(&record::key(tenant, account, id))
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(record::from_item(&item)?)
    }

    /// Every service of an account (one query; an account has tens, not thousands).
    pub async fn of_account(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Vec<Service>, ServiceError> {
        let query = Query::partition(
            crate::ports::table::Index::Primary,
            keys::account(tenant, account),
        )
        .sort(SortKey::BeginsWith("SERVICE#".into()))
        .limit(100);
        let items = crate::store::query_all(self.table.as_ref(), query).await?;
        Ok(items
            .iter()
            .map(record::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// The service an identifier names, for usage.
    pub async fn by_identifier(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<Option<Service>, ServiceError> {
        let Ok(identifier) = normalise_identifier(identifier) else {
            return Ok(None);
        };
        let Some(claim) = self
            .table
            .get(&record::identifier_key(tenant, &identifier))
            .await?
        else {
            return Ok(None);
        };
        let ids = (
            claim
                .get("account")
                .and_then(Value::as_s)
                .and_then(|a| a.parse().ok()),
            claim
                .get("service")
                .and_then(Value::as_s)
                .and_then(|s| s.parse().ok()),
        );
        let (Some(account), Some(service)) = ids else {
            return Err(TableError::Unreadable("an identifier claim is unreadable".into()).into());
        };
        match self.get(tenant, &account, &service).await {
            Ok(s) => Ok(Some(s)),
            Err(ServiceError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Adds a bolt-on to a service (adding one it has is not an error).
    pub async fn attach_bolt_on(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &ServiceId,
        bolt_on: &BoltOnId,
        stamp: &Stamp,
    ) -> Result<Service, ServiceError> {
        let service = self.get(tenant, account, id).await?;
        let offer: BoltOn = match self.catalogue.bolt_on(tenant, bolt_on).await {
            Ok(b) => b,
            Err(CatalogueError::NotFound) => {
                let mut v = Violations::default();
                v.add("/bolt_on", "no such bolt-on");
                return Err(ServiceError::Invalid(v));
            }
            Err(e) => return Err(e.into()),
        };
        if !offer.plans.contains(&service.plan) {
            let mut v = Violations::default();
            v.add(
                "/bolt_on",
                "this bolt-on does not attach to the service's plan",
            );
            return Err(ServiceError::Invalid(v));
        }
        if service.bolt_ons.iter().any(|b| b.bolt_on == *bolt_on) {
            return Ok(service);
        }
        let mut next = service.clone();
        next.bolt_ons.push(AttachedBoltOn {
            bolt_on: *bolt_on,
            since: self.clock.now(),
        });
        self.save(next, stamp).await
    }

    /// Puts a service under one of its account's cost centres (the caller has checked the
    /// cost centre is the account's), or under none. Setting what is set is not an error.
    pub async fn set_cost_centre(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &ServiceId,
        cost_centre: Option<CostCentreId>,
        stamp: &Stamp,
    ) -> Result<Service, ServiceError> {
        let service = self.get(tenant, account, id).await?;
        if service.cost_centre == cost_centre {
            return Ok(service);
        }
        let mut next = service;
        next.cost_centre = cost_centre;
        self.save(next, stamp).await
    }

    /// Stores a changed service over the version it was read at.
    /// Saves `next` on the condition that it is still at the version read, with the
    /// audit entry of the change in the same transaction.
    async fn save(&self, next: Service, stamp: &Stamp) -> Result<Service, ServiceError> {
        let (next, write) = saving(next)?;
        let mut tx = Transaction::new();
        tx.add("service", write);
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(next),
            Err(TransactionError::ConditionFailed("service")) => Err(ServiceError::Conflict),
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// The plan and bolt-ons a service is rated with.
    pub async fn pricing(&self, service: &Service) -> Result<(Plan, Vec<BoltOn>), ServiceError> {
        let plan = self.catalogue.plan(&service.tenant, &service.plan).await?;
        let mut bolt_ons = Vec::with_capacity(service.bolt_ons.len());
        for attached in &service.bolt_ons {
            bolt_ons.push(
                self.catalogue
                    .bolt_on(&service.tenant, &attached.bolt_on)
                    .await?,
            );
        }
        Ok((plan, bolt_ons))
    }
}

/// The key of the claim a service holds on its identifier (absent: the identifier is free).
pub(crate) fn identifier_claim(tenant: &TenantId, identifier: &str) -> Key {
    record::identifier_key(tenant, identifier)
}

/// The writes that give an account a new service (the identifier's claim first, so a
/// failure of write 0 means the identifier is taken), for callers that add writes of
/// their own to the same transaction (an order fulfilled).
#[allow(clippy::too_many_arguments)]
pub(crate) fn creation(
    tenant: &TenantId,
    account: &AccountId,
    plan: &Plan,
    identifier: String,
    status: ServiceStatus,
    started_at: OffsetDateTime,
    attributes: BTreeMap<String, String>,
    now: OffsetDateTime,
) -> Result<(Service, Vec<store::NamedWrite>), TableError> {
    let service = Service {
        id: ServiceId::generate(now),
        tenant: *tenant,
        account: *account,
        service_type: plan.service_type,
        plan: plan.id,
        identifier: identifier.clone(),
        status,
        started_at,
        attributes,
        bolt_ons: Vec::new(),
        ended_bolt_ons: Vec::new(),
        cost_centre: None,
        features: VoiceFeatures::default(),
        emergency_address: None,
        version: 1,
    };
    let claim = record::identifier_key(tenant, &identifier);
    let writes = vec![
        (
            IDENTIFIER_CLAIM,
            Write::Put {
                item: store::keyed(
                    Item::from([
                        ("service".to_owned(), Value::S(service.id.to_string())),
                        ("account".to_owned(), Value::S(account.to_string())),
                    ]),
                    &[("pk", claim.pk), ("sk", claim.sk)],
                ),
                condition: Some(Condition::Absent),
            },
        ),
        (
            "service",
            Write::Put {
                item: record::to_item(&service)?,
                condition: Some(Condition::Absent),
            },
        ),
    ];
    Ok((service, writes))
}

/// The name of the write that claims a service identifier for one service of a provider.
pub(crate) const IDENTIFIER_CLAIM: &str = "identifier claim";

/// The write that stores a changed service over the version it was read at, and the
/// service as stored.
pub(crate) fn saving(mut next: Service) -> Result<(Service, Write), TableError> {
    let read_at = next.version;
    next.version += 1;
    let write = store::put_on_version(record::to_item(&next)?, read_at);
    Ok((next, write))
}
