//! Orders: every change an end user asks for (a bolt-on, a number and its features, an
//! emergency address, a port, a new service), approved by the provider's settings or its
//! staff, fulfilled at once or by hand, and told by email at each step.
//!
//! Rules kept here: an order lives in its account's partition, so an account reaches only
//! its own; each step is checked against [`lifecycle::next`] and written on the condition
//! that the order is still at the version it was read, in one transaction with what the
//! step changes (the bolt-on attached, the number assigned, the mail queued), so a step
//! happens once and whole or not at all. A number is reserved when its order is submitted,
//! so of many customers ordering the last one, one gets it.

pub mod asked;
pub mod lifecycle;
pub mod numbers;
pub mod settings;

mod fulfil;
mod notices;
mod record;

use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use self::lifecycle::{OrderState, Step};
use self::record::{from_item, key, to_item};
use self::settings::OrderSettings;
use super::Violations;
use super::catalogue::MonthlyPrice;
use super::contact::EmailAddress;
use super::identity::SiteLinks;
use super::paging::{self, Page, PageRequest, PagingError};
use super::services::{EmergencyAddress, VoiceFeatures};
use crate::ids::{AccountId, LoginId, OrderId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Condition, Index, Query, SortKey, Table, TableError, Write};
use crate::store::Stamp;
use crate::store::{self, CursorCodec, Transaction, TransactionError, keys};

/// What narrows a list of orders: their state, and when they were placed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub state: Option<OrderState>,
    /// Placed from this instant on.
    pub since: Option<OffsetDateTime>,
    /// Placed before this instant.
    pub before: Option<OffsetDateTime>,
}

impl OrderFilter {
    pub fn keeps(&self, order: &Order) -> bool {
        self.state.is_none_or(|s| s == order.state)
            && self.since.is_none_or(|t| order.submitted_at >= t)
            && self.before.is_none_or(|t| order.submitted_at < t)
    }
}

/// The names of an order transaction's writes whose refusal means something of its own.
const NUMBER_RESERVATION: &str = "number reservation";
const IDEMPOTENCY_CLAIM: &str = "idempotency claim";
const OPEN_REQUEST: &str = "open request";

/// What an order asks for. Ids are as the API spells them; [`Orders::submit`] checks them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
// Strict although stored: request bodies arrive in it, and the extractor cannot see
// unknown fields inside an internally tagged enum (see `VoiceFeatures`).
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OrderRequest {
    /// Add a bolt-on or add-on to a service.
    SubscribeBoltOn { service: String, bolt_on: String },
    /// Remove one (once its minimum term is over).
    CancelBoltOn { service: String, bolt_on: String },
    /// A number of the provider's inventory, as a new voice service on a plan.
    Number { number: String, plan: String },
    /// The number features a voice service should have (all of them, as they should be).
    NumberFeatures {
        service: String,
        features: VoiceFeatures,
    },
    /// The emergency address of a voice service's number.
    EmergencyAddress {
        service: String,
        address: EmergencyAddress,
    },
    /// Bring a number from another carrier, as a new voice service on a plan.
    PortIn {
        number: String,
        plan: String,
        losing_carrier: String,
        /// The account number at the losing carrier.
        carrier_account: String,
        /// Who at the customer authorised the port.
        authorised_by: String,
    },
    /// A new service on a plan, set up by hand.
    NewService {
        plan: String,
        /// Where it is installed.
        #[serde(default)]
        site_address: Option<String>,
        #[serde(default)]
        notes: Option<String>,
    },
}

impl OrderRequest {
    pub fn kind(&self) -> &'static str {
        match self {
            OrderRequest::SubscribeBoltOn { .. } => "subscribe_bolt_on",
            OrderRequest::CancelBoltOn { .. } => "cancel_bolt_on",
            OrderRequest::Number { .. } => "number",
            OrderRequest::NumberFeatures { .. } => "number_features",
            OrderRequest::EmergencyAddress { .. } => "emergency_address",
            OrderRequest::PortIn { .. } => "port_in",
            OrderRequest::NewService { .. } => "new_service",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// The account's own login (or staff impersonating it: see `impersonator`).
    Customer,
    /// The provider's staff.
    Staff,
    /// The wholesaler's staff, provisioning a retailer's order.
    Wholesaler,
    /// The provider's order settings.
    Automatic,
}

/// Who took a step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub kind: ActorKind,
    pub login: Option<String>,
    pub username: Option<String>,
    /// The staff member acting as the customer, when impersonating.
    #[serde(default)]
    pub impersonator: Option<String>,
}

impl Actor {
    pub fn automatic() -> Self {
        Actor {
            kind: ActorKind::Automatic,
            login: None,
            username: None,
            impersonator: None,
        }
    }
    pub fn person(kind: ActorKind, login: &LoginId, username: &str) -> Self {
        Actor {
            kind,
            login: Some(login.to_string()),
            username: Some(username.to_owned()),
            impersonator: None,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Submitted,
    Approved,
    Rejected,
    RejectionUndone,
    ProvisioningStarted,
    DetailsUpdated,
    Halted,
    Resubmitted,
    Completed,
    Withdrawn,
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrderEvent {
    pub event: EventKind,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub reason: Option<String>,
}

/// Where an order fulfilled by hand has got to with the carrier or supplier (a port's
/// stages, a line order's), as the customer follows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningStage {
    /// Received; nothing sent to the carrier or supplier yet.
    Received,
    /// Sent to the losing carrier or the supplier.
    Submitted,
    /// The carrier or supplier accepted it (a port's firm order commitment).
    Confirmed,
    /// A date is set for the cut-over or the installation.
    Scheduled,
}

/// What the people fulfilling an order by hand record as they go.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct ProvisioningDetails {
    pub stage: Option<ProvisioningStage>,
    /// The carrier's or supplier's reference (a port's, a line order's).
    pub reference: Option<String>,
    /// When it should be done (`2026-12-01`), as the customer will see it.
    pub expected_on: Option<String>,
    /// A note for the people working on it (not shown to the customer).
    pub note: Option<String>,
}

impl ProvisioningDetails {
    fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::default();
        if self
            .reference
            .as_ref()
            .is_some_and(|r| r.chars().count() > 100)
        {
            v.add("/reference", "at most 100 characters");
        }
        if let Some(date) = &self.expected_on
            && time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE)
                .is_err()
        {
            v.add("/expected_on", "a date such as 2026-12-01");
        }
        if self.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            v.add("/note", "at most 2000 characters");
        }
        v.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    pub id: String,
    pub tenant: String,
    pub account: String,
    pub account_name: String,
    pub account_number: String,
    pub request: OrderRequest,
    /// The request in words, in English: `Bolt-on Data 10 GB on +61 2 5550 1234`.
    pub summary: String,
    /// The same as its parts, for words in the reader's language (absent on orders placed
    /// before they were kept: those read as `summary`).
    #[serde(default)]
    pub asked: Option<asked::Asked>,
    pub state: OrderState,
    /// Fulfilled by hand once approved.
    pub needs_hands: bool,
    /// Absent for orders that change no price (features, addresses, cancellations) and
    /// for orders placed before prices were kept.
    #[serde(default)]
    pub price: Option<MonthlyPrice>,
    /// The request's fingerprint: while the order is open, the account's claim on the same
    /// request names it (an undone rejection takes the claim again).
    #[serde(default)]
    pub same_request: Option<String>,
    /// The tenant whose queue it lands in when approved (the retailer or its wholesaler).
    pub fulfiller: Option<String>,
    /// The language of the login that ordered: its mail is written in it.
    pub language: String,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub completed_at: Option<OffsetDateTime>,
    /// Why it was rejected or halted, for the customer; cleared when it moves on.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub provisioning: ProvisioningDetails,
    /// The service it changed or created, once completed.
    #[serde(default)]
    pub service: Option<String>,
    pub events: Vec<OrderEvent>,
    pub version: u64,
}

impl Order {
    /// The order's reference for people: short enough to read out on the phone, from the
    /// random end of its id (`O-A7XK2M9QZ4`: 50 random bits, so a provider's references
    /// stay distinct well past millions of orders). For reading, not for finding orders.
    pub fn reference(&self) -> String {
        let id = self.id.as_str();
        format!("O-{}", &id[id.len().saturating_sub(10)..])
    }

    /// What it asks, in `language`.
    pub fn summary_in(&self, language: &str) -> String {
        match &self.asked {
            Some(asked) => asked.words(language),
            None => self.summary.clone(),
        }
    }

    /// Waiting for approval or being fulfilled: the same request again is refused.
    pub fn is_open(&self) -> bool {
        matches!(self.state, OrderState::Pending | OrderState::Provisioning)
    }

    pub fn id(&self) -> Result<OrderId, TableError> {
        self.id
            .parse()
            .map_err(|_| TableError::Unreadable("a stored order has a bad id".into()))
    }
    fn tenant_id(&self) -> Result<TenantId, TableError> {
        self.tenant
            .parse()
            .map_err(|_| TableError::Unreadable("a stored order has a bad tenant".into()))
    }
    fn account_id(&self) -> Result<AccountId, TableError> {
        self.account
            .parse()
            .map_err(|_| TableError::Unreadable("a stored order has a bad account".into()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    /// The provider's settings do not let customers order this.
    #[error("{0}")]
    NotOffered(String),
    #[error("not found")]
    NotFound,
    #[error("the number {0} is not available")]
    NumberUnavailable(String),
    #[error("{0} is already a service")]
    IdentifierTaken(String),
    /// The step does not follow from the state the order is in.
    #[error("the order is {state:?}: it cannot {step}")]
    WrongState {
        state: OrderState,
        step: &'static str,
    },
    #[error("the order changed meanwhile; try again")]
    Conflict,
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// The account has the same request open already (pending or being fulfilled): the
    /// order that has it.
    #[error("the same order {0} is already open")]
    AlreadyOpen(String),
    #[error(transparent)]
    Paging(PagingError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

impl From<PagingError> for OrderError {
    fn from(e: PagingError) -> Self {
        match e {
            PagingError::Storage(e) => OrderError::Storage(e),
            other => OrderError::Paging(other),
        }
    }
}

/// Who is ordering.
pub struct Requester<'a> {
    pub tenant: TenantId,
    pub account: AccountId,
    pub login: LoginId,
    pub username: &'a str,
    pub language: &'a str,
    /// The staff member's username when impersonating.
    pub impersonator: Option<&'a str>,
    /// The audit entry of a change staff make as the customer (none otherwise), written
    /// with the change.
    pub stamp: &'a Stamp,
}

impl Requester<'_> {
    fn actor(&self) -> Actor {
        Actor {
            impersonator: self.impersonator.map(str::to_owned),
            ..Actor::person(ActorKind::Customer, &self.login, self.username)
        }
    }
}

/// What staff send when activating an order fulfilled by hand.
#[derive(Debug, Clone, Default)]
pub struct Activation {
    /// The new service's identifier (a circuit id, ...): required for a new service,
    /// the ported number otherwise.
    pub identifier: Option<String>,
}

/// Where an order is, for the queues: the retailer, the account and the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRef {
    pub tenant: TenantId,
    pub account: AccountId,
    pub order: OrderId,
}

const ATTEMPTS: usize = 4;

#[derive(Clone)]
pub struct Orders {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    sender: EmailAddress,
    links: SiteLinks,
}

impl Orders {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        sender: EmailAddress,
        links: SiteLinks,
    ) -> Self {
        Orders {
            table,
            clock,
            cursors,
            sender,
            links,
        }
    }

    pub async fn settings(&self, tenant: &TenantId) -> Result<OrderSettings, OrderError> {
        Ok(settings::read(self.table.as_ref(), tenant).await?)
    }

    pub async fn set_settings(
        &self,
        tenant: &TenantId,
        new: OrderSettings,
        stamp: &Stamp,
    ) -> Result<OrderSettings, OrderError> {
        new.check().map_err(OrderError::Invalid)?;
        settings::write(self.table.as_ref(), tenant, &new, self.clock.now(), stamp).await?;
        Ok(new)
    }

    pub fn numbers(&self) -> numbers::NumberInventory {
        numbers::NumberInventory::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }

    fn fulfilment(&self) -> fulfil::Fulfilment {
        fulfil::Fulfilment::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }

    fn notices(&self) -> notices::Notices {
        notices::Notices::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
            self.links.clone(),
        )
    }

    /// Places an order. With an idempotency key, the same request again answers the same
    /// order. Approved at once (and fulfilled, when it needs no hands) when the provider's
    /// settings say so.
    pub async fn submit(
        &self,
        who: &Requester<'_>,
        request: OrderRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Order, OrderError> {
        if let Some(k) = idempotency_key
            && !(8..=128).contains(&k.len())
        {
            let mut v = Violations::default();
            v.add("idempotency-key", "8 to 128 characters");
            return Err(OrderError::Invalid(v));
        }
        let fingerprint = hex::encode(Sha256::digest(
            format!(
                "{}|{}|{}",
                who.account,
                who.login,
                serde_json::to_string(&request).unwrap_or_default()
            )
            .as_bytes(),
        ));
        if let Some(k) = idempotency_key
            && let Some(order) = self.replay(who, k, &fingerprint).await?
        {
            return Ok(order);
        }
        let settings = self.settings(&who.tenant).await?;
        let account = crate::domain::accounts::Accounts::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
        .get(&who.tenant, &who.account)
        .await
        .map_err(|_| OrderError::NotFound)?;
        let fulfilment = self.fulfilment();
        // The same request from the same account, whoever places it: one open order.
        let same_request = hex::encode(Sha256::digest(
            serde_json::to_string(&request)
                .unwrap_or_default()
                .as_bytes(),
        ));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let open_claim = self
                .open_request(&who.tenant, &who.account, &same_request)
                .await?;
            let prepared = fulfilment.prepare(who, &request, &settings).await?;
            let now = self.clock.now();
            let id = OrderId::generate(now);
            let r = OrderRef {
                tenant: who.tenant,
                account: who.account,
                order: id,
            };
            let mut order = Order {
                id: id.to_string(),
                tenant: who.tenant.to_string(),
                account: who.account.to_string(),
                account_name: account.name.clone(),
                account_number: account.number.clone(),
                request: prepared.request.clone(),
                summary: prepared.asked.words("en"),
                asked: Some(prepared.asked.clone()),
                state: OrderState::Pending,
                needs_hands: prepared.needs_hands,
                price: prepared.price.clone(),
                same_request: Some(same_request.clone()),
                fulfiller: prepared.fulfiller.map(|t| t.to_string()),
                language: who.language.to_owned(),
                submitted_at: now,
                decided_at: None,
                completed_at: None,
                reason: None,
                provisioning: ProvisioningDetails::default(),
                service: None,
                events: vec![OrderEvent {
                    event: EventKind::Submitted,
                    at: now,
                    actor: who.actor(),
                    reason: None,
                }],
                version: 1,
            };
            let mut effects = Vec::new();
            if let OrderRequest::Number { number, .. } = &order.request {
                effects.push((
                    NUMBER_RESERVATION,
                    numbers::reserve(&who.tenant, number, &id),
                ));
            }
            if prepared.auto_approve {
                let (next, writes) = self
                    .approval(order, &r, &Actor::automatic(), &Activation::default())
                    .await?;
                order = next;
                effects.extend(writes.into_iter().map(|w| ("approval", w)));
            }
            let mut tx = Transaction::new();
            tx.add(
                "order",
                Write::Put {
                    item: to_item(&order, &r)?,
                    condition: Some(Condition::Absent),
                },
            );
            for (name, write) in effects {
                tx.add(name, write);
            }
            if order.is_open() {
                tx.add(
                    OPEN_REQUEST,
                    Write::Put {
                        item: record::open_request_item(
                            &who.tenant,
                            &who.account,
                            &same_request,
                            &order.id,
                        ),
                        // No claim, or the claim of an order that is no longer open.
                        condition: Some(match &open_claim {
                            None => Condition::Absent,
                            Some(closed) => Condition::Equals(
                                "order".into(),
                                crate::ports::table::Value::S(closed.to_string()),
                            ),
                        }),
                    },
                );
            }
            if let Some(k) = idempotency_key {
                tx.add(
                    IDEMPOTENCY_CLAIM,
                    Write::Put {
                        item: record::idempotency_claim(
                            &who.tenant,
                            k,
                            &who.account,
                            &order.id,
                            &fingerprint,
                            now + time::Duration::days(1),
                        ),
                        condition: Some(Condition::Absent),
                    },
                );
            }
            let notices = self.notices();
            tx.extend(
                "mail",
                notices
                    .submitted(&order, &settings, prepared.auto_approve)
                    .await?,
            );
            tx.extend("audit entry", who.stamp.writes());
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok(order),
                Err(TransactionError::ConditionFailed(NUMBER_RESERVATION)) => {
                    if let OrderRequest::Number { number, .. } = &order.request {
                        return Err(OrderError::NumberUnavailable(number.clone()));
                    }
                }
                Err(TransactionError::ConditionFailed(IDEMPOTENCY_CLAIM)) => {
                    // A twin request with the same key won the race: answer its order.
                    let k = idempotency_key.unwrap_or_default();
                    return self
                        .replay(who, k, &fingerprint)
                        .await?
                        .ok_or(OrderError::IdempotencyKeyReused);
                }
                // A twin placed at the same moment: the next round finds it open.
                Err(TransactionError::ConditionFailed(OPEN_REQUEST)) if attempt < ATTEMPTS => {}
                Err(e) if e.is_contention() && attempt < ATTEMPTS => {}
                Err(e) if e.is_contention() => return Err(OrderError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
    }

    /// The write that gives the claim on `same` back to the order `id` (a rejection
    /// undone), or `AlreadyOpen` when another identical order holds it open.
    async fn reclaim(&self, r: &OrderRef, same: &str, id: &str) -> Result<Write, OrderError> {
        let held = self.open_request(&r.tenant, &r.account, same).await?;
        Ok(Write::Put {
            item: record::open_request_item(&r.tenant, &r.account, same, id),
            condition: Some(match held {
                None => Condition::Absent,
                Some(closed) => Condition::Equals(
                    "order".into(),
                    crate::ports::table::Value::S(closed.to_string()),
                ),
            }),
        })
    }

    /// The account's open order for the same request: refused as `AlreadyOpen` while it is
    /// open; the id of a closed one whose claim a new order may take over; none.
    async fn open_request(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        same_request: &str,
    ) -> Result<Option<OrderId>, OrderError> {
        let claim = record::open_request_key(tenant, account, same_request);
        let Some(item) = self.table.get(&claim).await? else {
            return Ok(None);
        };
        let Some(order) = record::open_request_order(&item) else {
            return Ok(None);
        };
        let existing = self
            .get(&OrderRef {
                tenant: *tenant,
                account: *account,
                order,
            })
            .await;
        match existing {
            Ok(existing) if existing.is_open() => Err(OrderError::AlreadyOpen(existing.id)),
            Ok(_) | Err(OrderError::NotFound) => Ok(Some(order)),
            Err(e) => Err(e),
        }
    }

    async fn replay(
        &self,
        who: &Requester<'_>,
        idempotency_key: &str,
        fingerprint: &str,
    ) -> Result<Option<Order>, OrderError> {
        let claim = record::idempotency_key(&who.tenant, idempotency_key, &who.account);
        let Some(item) = self.table.get(&claim).await? else {
            return Ok(None);
        };
        let claimed = record::claimed_order(&item)?;
        if claimed.fingerprint != fingerprint {
            return Err(OrderError::IdempotencyKeyReused);
        }
        let order = claimed.order;
        self.get(&OrderRef {
            tenant: who.tenant,
            account: who.account,
            order,
        })
        .await
        .map(Some)
    }

    /// An order of an account: NotFound when it is another's.
    pub async fn get(&self, r: &OrderRef) -> Result<Order, OrderError> {
        let item = self.table.get(&key(r)).await?.ok_or(OrderError::NotFound)?;
        Ok(from_item(&item)?)
    }

    /// One page of a list of orders; its cursors are good for that list only.
    async fn list(
        &self,
        scope: &str,
        query: Query,
        page: &PageRequest,
    ) -> Result<Page<Order>, OrderError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            scope,
            query,
            page,
            from_item,
        )
        .await?)
    }

    /// A list narrowed by `filter`: every order when it narrows nothing, else pages that
    /// can be short (see [`paging::fetch_where`]).
    async fn list_where(
        &self,
        scope: &str,
        query: Query,
        page: &PageRequest,
        filter: &OrderFilter,
    ) -> Result<Page<Order>, OrderError> {
        if *filter == OrderFilter::default() {
            return self.list(scope, query, page).await;
        }
        // A cursor belongs to its filter: one from another filter (or none) starts nowhere.
        let scope = format!(
            "{scope}|{:?}|{:?}|{:?}",
            filter.state, filter.since, filter.before
        );
        Ok(paging::fetch_where(
            self.table.as_ref(),
            &self.cursors,
            &scope,
            query,
            page,
            from_item,
            |order| filter.keeps(order),
        )
        .await?)
    }

    /// An account's orders, newest first.
    pub async fn of_account(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<Order>, OrderError> {
        self.of_account_where(tenant, account, page, &OrderFilter::default())
            .await
    }

    /// An account's orders narrowed by state and the day they were placed, newest first.
    pub async fn of_account_where(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        page: &PageRequest,
        filter: &OrderFilter,
    ) -> Result<Page<Order>, OrderError> {
        let partition = keys::account(tenant, account);
        let scope = format!("{partition}|ORDERS");
        let query = Query::partition(Index::Primary, partition)
            .sort(SortKey::BeginsWith("ORDER#".into()))
            .backward();
        self.list_where(&scope, query, page, filter).await
    }

    /// A tenant's orders waiting for approval, oldest first.
    pub async fn pending(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Order>, OrderError> {
        let partition = keys::orders_pending(tenant);
        self.list(
            &partition,
            Query::partition(Index::Gsi1, partition.clone()),
            page,
        )
        .await
    }

    /// A tenant's approved and rejected orders, most recently decided first, narrowed by
    /// state and the day they were placed.
    pub async fn decided(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
        filter: &OrderFilter,
    ) -> Result<Page<Order>, OrderError> {
        let partition = keys::orders_decided(tenant);
        let query = Query::partition(Index::Gsi1, partition.clone()).backward();
        self.list_where(&partition, query, page, filter).await
    }

    /// The orders `fulfiller` provisions by hand (its own and its retailers'), oldest
    /// first.
    pub async fn queue(
        &self,
        fulfiller: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Order>, OrderError> {
        let partition = keys::provisioning_queue(fulfiller);
        self.list(
            &partition,
            Query::partition(Index::Gsi2, partition.clone()),
            page,
        )
        .await
    }

    /// An order in `fulfiller`'s queue: NotFound unless `fulfiller` provisions it.
    pub async fn queued(&self, fulfiller: &TenantId, r: &OrderRef) -> Result<Order, OrderError> {
        let order = self.get(r).await?;
        if order.fulfiller.as_deref() != Some(fulfiller.to_string().as_str()) {
            return Err(OrderError::NotFound);
        }
        Ok(order)
    }

    /// The approved order and the writes that apply it (nothing yet for one fulfilled by
    /// hand: it joins the queue).
    async fn approval(
        &self,
        mut order: Order,
        r: &OrderRef,
        actor: &Actor,
        activation: &Activation,
    ) -> Result<(Order, Vec<Write>), OrderError> {
        let now = self.clock.now();
        let state = lifecycle::next(
            order.state,
            Step::Approve {
                needs_hands: order.needs_hands,
            },
        )
        .ok_or(OrderError::WrongState {
            state: order.state,
            step: "approve",
        })?;
        order.state = state;
        order.decided_at = Some(now);
        order.reason = None;
        order.events.push(OrderEvent {
            event: EventKind::Approved,
            at: now,
            actor: actor.clone(),
            reason: None,
        });
        if order.needs_hands {
            order.events.push(OrderEvent {
                event: EventKind::ProvisioningStarted,
                at: now,
                actor: actor.clone(),
                reason: None,
            });
            return Ok((order, Vec::new()));
        }
        let (service, writes) = self.fulfilment().apply(&order, r, activation).await?;
        order.service = Some(service.to_string());
        order.completed_at = Some(now);
        order.events.push(OrderEvent {
            event: EventKind::Completed,
            at: now,
            actor: actor.clone(),
            reason: None,
        });
        Ok((order, writes))
    }

    /// Takes `step` on the order at `r`: read, check, write on the version read, with the
    /// step's effects and mail in the same transaction; read again and retry when
    /// something else changed meanwhile.
    async fn take(
        &self,
        r: &OrderRef,
        step: Step,
        actor: &Actor,
        reason: Option<&str>,
        change: Change<'_>,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = self.get(r).await?;
            if let Change::Fulfil { fulfiller, .. } | Change::Details { fulfiller, .. } = &change
                && current.fulfiller.as_deref() != Some(fulfiller.to_string().as_str())
            {
                return Err(OrderError::NotFound);
            }
            let read_at = current.version;
            let now = self.clock.now();
            let mut effects = Vec::new();
            let mut order = match step {
                Step::Approve { .. } => {
                    let (order, writes) = self
                        .approval(current.clone(), r, actor, &Activation::default())
                        .await?;
                    effects = writes.into_iter().map(|w| ("approval", w)).collect();
                    order
                }
                _ => {
                    let state =
                        lifecycle::next(current.state, step).ok_or(OrderError::WrongState {
                            state: current.state,
                            step: step.name(),
                        })?;
                    let mut order = current.clone();
                    order.state = state;
                    let event = match step {
                        Step::Reject => {
                            order.decided_at = Some(now);
                            order.reason = reason.map(str::to_owned);
                            effects.extend(self.number_release(r, &order).await?);
                            EventKind::Rejected
                        }
                        Step::UndoRejection => {
                            order.decided_at = None;
                            order.reason = None;
                            // Open again, the order takes back its claim on the same
                            // request, unless an identical order was placed meanwhile.
                            if let Some(same) = &order.same_request {
                                effects
                                    .push((OPEN_REQUEST, self.reclaim(r, same, &order.id).await?));
                            }
                            if let OrderRequest::Number { number, .. } = &order.request {
                                effects.push((
                                    NUMBER_RESERVATION,
                                    numbers::reserve(&r.tenant, number, &r.order),
                                ));
                            }
                            EventKind::RejectionUndone
                        }
                        Step::Halt => {
                            order.reason = reason.map(str::to_owned);
                            EventKind::Halted
                        }
                        Step::Withdraw => {
                            order.decided_at = Some(now);
                            effects.extend(self.number_release(r, &order).await?);
                            EventKind::Withdrawn
                        }
                        Step::Resubmit => {
                            order.reason = None;
                            if let Change::Resubmit(Some((request, asked))) = &change {
                                order.request = (*request).clone();
                                // What it asks now, in words, for the customer and staff.
                                order.summary = asked.words("en");
                                order.asked = Some((*asked).clone());
                            }
                            EventKind::Resubmitted
                        }
                        Step::UpdateDetails => {
                            if let Change::Details { details, .. } = &change {
                                order.provisioning = (*details).clone();
                            }
                            EventKind::DetailsUpdated
                        }
                        Step::Activate => {
                            let activation = match &change {
                                Change::Fulfil { activation, .. } => (*activation).clone(),
                                _ => Activation::default(),
                            };
                            let (service, writes) =
                                self.fulfilment().apply(&order, r, &activation).await?;
                            effects = writes.into_iter().map(|w| ("fulfilment", w)).collect();
                            order.service = Some(service.to_string());
                            order.completed_at = Some(now);
                            order.reason = None;
                            EventKind::Completed
                        }
                        Step::Approve { .. } => EventKind::Approved,
                    };
                    order.events.push(OrderEvent {
                        event,
                        at: now,
                        actor: actor.clone(),
                        reason: reason.map(str::to_owned),
                    });
                    order
                }
            };
            order.version = read_at + 1;
            let mut tx = Transaction::new();
            tx.add("order", store::put_on_version(to_item(&order, r)?, read_at));
            for (name, write) in effects {
                tx.add(name, write);
            }
            tx.extend("mail", self.notices().after(&order, step).await?);
            tx.extend("audit entry", stamp.writes());
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok(order),
                Err(TransactionError::ConditionFailed(NUMBER_RESERVATION)) => {
                    if let OrderRequest::Number { number, .. } = &order.request {
                        return Err(OrderError::NumberUnavailable(number.clone()));
                    }
                }
                // Someone else moved the order, or the service it changes, meanwhile:
                // read again; the state check then says whether the step still applies.
                Err(e) if e.is_contention() && attempt < ATTEMPTS => {}
                Err(e) if e.is_contention() => return Err(OrderError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
    }

    pub async fn approve(
        &self,
        r: &OrderRef,
        actor: &Actor,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        self.take(
            r,
            Step::Approve { needs_hands: false },
            actor,
            None,
            Change::None,
            stamp,
        )
        .await
    }

    pub async fn reject(
        &self,
        r: &OrderRef,
        actor: &Actor,
        reason: &str,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        let reason = check_reason(reason)?;
        self.take(r, Step::Reject, actor, Some(&reason), Change::None, stamp)
            .await
    }

    pub async fn undo_rejection(
        &self,
        r: &OrderRef,
        actor: &Actor,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        self.take(r, Step::UndoRejection, actor, None, Change::None, stamp)
            .await
    }

    /// The customer sends a halted order back, changed or as it was. A changed request
    /// must be of the same kind and is checked as a new one would be.
    pub async fn resubmit(
        &self,
        who: &Requester<'_>,
        order: &OrderId,
        changed: Option<OrderRequest>,
    ) -> Result<Order, OrderError> {
        let r = OrderRef {
            tenant: who.tenant,
            account: who.account,
            order: *order,
        };
        let current = self.get(&r).await?;
        let changed = match changed {
            Some(request) => {
                if request.kind() != current.request.kind() {
                    let mut v = Violations::default();
                    v.add("/request/kind", "a resubmitted order keeps its kind");
                    return Err(OrderError::Invalid(v));
                }
                let settings = self.settings(&who.tenant).await?;
                let prepared = self.fulfilment().prepare(who, &request, &settings).await?;
                Some((prepared.request, prepared.asked))
            }
            None => None,
        };
        self.take(
            &r,
            Step::Resubmit,
            &who.actor(),
            None,
            Change::Resubmit(changed.as_ref().map(|(request, asked)| (request, asked))),
            who.stamp,
        )
        .await
    }

    /// The write that gives back the number a closing order reserved (none when it
    /// reserved none, or no longer holds it).
    async fn number_release(
        &self,
        r: &OrderRef,
        order: &Order,
    ) -> Result<Option<(&'static str, Write)>, OrderError> {
        if let OrderRequest::Number { number, .. } = &order.request
            && let Some(n) = self.numbers().get(&r.tenant, number).await?
            && n.order.as_deref() == Some(order.id.as_str())
        {
            return Ok(Some((
                "number release",
                numbers::release(&r.tenant, &n, &r.order),
            )));
        }
        Ok(None)
    }

    /// The customer takes back an order still waiting for approval (a number it reserved
    /// goes back to the inventory; the same request may be placed again).
    pub async fn withdraw(
        &self,
        who: &Requester<'_>,
        order: &OrderId,
    ) -> Result<Order, OrderError> {
        let r = OrderRef {
            tenant: who.tenant,
            account: who.account,
            order: *order,
        };
        self.take(
            &r,
            Step::Withdraw,
            &who.actor(),
            None,
            Change::None,
            who.stamp,
        )
        .await
    }

    /// The fulfiller's staff record provisioning progress.
    pub async fn update_details(
        &self,
        fulfiller: &TenantId,
        r: &OrderRef,
        actor: &Actor,
        details: &ProvisioningDetails,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        details.check().map_err(OrderError::Invalid)?;
        self.take(
            r,
            Step::UpdateDetails,
            actor,
            None,
            Change::Details {
                fulfiller: *fulfiller,
                details,
            },
            stamp,
        )
        .await
    }

    /// Fulfilled by hand: the service is created active and billing starts now.
    pub async fn activate(
        &self,
        fulfiller: &TenantId,
        r: &OrderRef,
        actor: &Actor,
        activation: &Activation,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        self.take(
            r,
            Step::Activate,
            actor,
            None,
            Change::Fulfil {
                fulfiller: *fulfiller,
                activation,
            },
            stamp,
        )
        .await
    }

    pub async fn halt(
        &self,
        fulfiller: &TenantId,
        r: &OrderRef,
        actor: &Actor,
        reason: &str,
        stamp: &Stamp,
    ) -> Result<Order, OrderError> {
        let reason = check_reason(reason)?;
        self.take(
            r,
            Step::Halt,
            actor,
            Some(&reason),
            Change::Fulfil {
                fulfiller: *fulfiller,
                activation: &Activation::default(),
            },
            stamp,
        )
        .await
    }
}

/// What a step carries beyond its reason.
enum Change<'a> {
    None,
    Resubmit(Option<(&'a OrderRequest, &'a asked::Asked)>),
    /// Taken by the fulfiller (checked before anything is read further).
    Fulfil {
        fulfiller: TenantId,
        activation: &'a Activation,
    },
    Details {
        fulfiller: TenantId,
        details: &'a ProvisioningDetails,
    },
}

/// A reason the customer will read: 1 to 500 characters.
fn check_reason(reason: &str) -> Result<String, OrderError> {
    let reason = reason.trim();
    if (1..=500).contains(&reason.chars().count()) {
        Ok(reason.to_owned())
    } else {
        let mut v = Violations::default();
        v.add("/reason", "1 to 500 characters: the customer reads it");
        Err(OrderError::Invalid(v))
    }
}
