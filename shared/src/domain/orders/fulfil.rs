//! Each kind of order: what it must satisfy to be placed (the provider's settings, the
//! account's own services, the catalogue), whether it is approved at once, and the writes
//! that put it into effect, for the caller to commit with the order's own step.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::asked::Asked;
use super::numbers::{self, NumberState, normalise_e164};
use super::settings::{Feature, ManualKind, OrderSettings};
use super::{Activation, Order, OrderError, OrderRef, OrderRequest, Requester};
use crate::domain::Violations;
use crate::domain::catalogue::MonthlyPrice;
use crate::domain::catalogue::{BoltOn, Catalogue, CatalogueError, Plan, ServiceType};
use crate::domain::contact::{EmailAddress, for_people};
use crate::domain::services::{
    self, EmergencyAddress, Service, ServiceError, ServiceStatus, Services, VoiceFeatures,
};
use crate::domain::tenancy::Tenants;
use crate::ids::{BoltOnId, PlanId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Table, TableError, Write};
use crate::store::CursorCodec;

/// An order checked and ready to store.
pub(super) struct Prepared {
    /// The request with its values normalised (numbers in E.164, text trimmed).
    pub request: OrderRequest,
    pub asked: Asked,
    pub needs_hands: bool,
    pub price: Option<MonthlyPrice>,
    /// Who provisions it by hand, when it needs hands.
    pub fulfiller: Option<TenantId>,
    pub auto_approve: bool,
}

fn invalid(field: &str, message: impl Into<String>) -> OrderError {
    let mut v = Violations::default();
    v.add(field, message);
    OrderError::Invalid(v)
}

/// Written out whole, so each sentence can be found (and translated) as it is sent.
fn not_offered(sentence: &str) -> OrderError {
    OrderError::NotOffered(sentence.to_owned())
}

fn text(field: &str, value: &str, max: usize, v: &mut Violations) -> String {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        v.add(field, format!("1 to {max} characters"));
    }
    value.to_owned()
}

fn optional_text(
    field: &str,
    value: &Option<String>,
    max: usize,
    v: &mut Violations,
) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| text(field, s, max, v))
}

/// The features that differ between what a number has and what is asked.
fn changed_features(current: &VoiceFeatures, wanted: &VoiceFeatures) -> Vec<Feature> {
    let mut out = Vec::new();
    if current.forward_to != wanted.forward_to {
        out.push(Feature::CallForwarding);
    }
    if current.failover_to != wanted.failover_to {
        out.push(Feature::Failover);
    }
    if current.caller_id_name != wanted.caller_id_name {
        out.push(Feature::CallerIdName);
    }
    if current.fax_to_email != wanted.fax_to_email {
        out.push(Feature::FaxToEmail);
    }
    if current.conference != wanted.conference {
        out.push(Feature::Conference);
    }
    out
}

fn normalise_features(
    wanted: &VoiceFeatures,
    region: Option<&str>,
) -> Result<VoiceFeatures, OrderError> {
    let mut v = Violations::default();
    let number = |field: &str, value: &Option<String>, v: &mut Violations| {
        value
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|n| normalise_e164(n, region).map_err(|m| v.add(field, m)).ok())
    };
    let out = VoiceFeatures {
        forward_to: number("/request/features/forward_to", &wanted.forward_to, &mut v),
        failover_to: number("/request/features/failover_to", &wanted.failover_to, &mut v),
        caller_id_name: wanted
            .caller_id_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                if name.chars().count() > 15 || name.chars().any(|c| c.is_control()) {
                    v.add(
                        "/request/features/caller_id_name",
                        "up to 15 printable characters",
                    );
                }
                name.to_owned()
            }),
        fax_to_email: wanted
            .fax_to_email
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|address| match EmailAddress::parse(address) {
                Ok(a) => Some(a.as_str().to_owned()),
                Err(m) => {
                    v.add("/request/features/fax_to_email", m);
                    None
                }
            }),
        conference: wanted.conference,
    };
    v.into_result().map_err(OrderError::Invalid)?;
    Ok(out)
}

fn normalise_address(a: &EmergencyAddress) -> Result<EmergencyAddress, OrderError> {
    let mut v = Violations::default();
    let f = "/request/address";
    let out = EmergencyAddress {
        name: text(&format!("{f}/name"), &a.name, 100, &mut v),
        street: text(&format!("{f}/street"), &a.street, 200, &mut v),
        location: optional_text(&format!("{f}/location"), &a.location, 100, &mut v),
        city: text(&format!("{f}/city"), &a.city, 100, &mut v),
        region: text(&format!("{f}/region"), &a.region, 100, &mut v),
        postcode: text(&format!("{f}/postcode"), &a.postcode, 20, &mut v),
        country: a.country.trim().to_ascii_uppercase(),
    };
    if out.country.len() != 2 || !out.country.bytes().all(|b| b.is_ascii_uppercase()) {
        v.add(format!("{f}/country"), "two letters, such as US");
    }
    v.into_result().map_err(OrderError::Invalid)?;
    Ok(out)
}

pub(super) struct Fulfilment {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    services: Services,
    catalogue: Catalogue,
}

impl Fulfilment {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, cursors: CursorCodec) -> Self {
        Fulfilment {
            services: Services::new(table.clone(), clock.clone(), cursors.clone()),
            catalogue: Catalogue::new(table.clone(), clock.clone(), cursors.clone()),
            table,
            clock,
            cursors,
        }
    }

    /// The account's own service: another account's id is "no such service".
    async fn own_service(
        &self,
        who: &Requester<'_>,
        id: &str,
        voice_only: bool,
    ) -> Result<Service, OrderError> {
        let id: ServiceId = id
            .parse()
            .map_err(|_| invalid("/request/service", "not a service id"))?;
        let service = match self.services.get(&who.tenant, &who.account, &id).await {
            Ok(s) => s,
            Err(ServiceError::NotFound) => {
                return Err(invalid(
                    "/request/service",
                    "no such service on your account",
                ));
            }
            Err(e) => return Err(service_failure(e)),
        };
        if voice_only && service.service_type != ServiceType::Voice {
            return Err(invalid("/request/service", "this is not a voice service"));
        }
        if matches!(service.status, ServiceStatus::Cancelled) {
            return Err(invalid("/request/service", "this service is cancelled"));
        }
        Ok(service)
    }

    async fn plan(&self, tenant: &TenantId, id: &str, voice: bool) -> Result<Plan, OrderError> {
        let id: PlanId = id
            .parse()
            .map_err(|_| invalid("/request/plan", "not a plan id"))?;
        let plan = match self.catalogue.plan(tenant, &id).await {
            Ok(p) => p,
            Err(CatalogueError::NotFound) => return Err(invalid("/request/plan", "no such plan")),
            Err(e) => return Err(catalogue_failure(e)),
        };
        if voice && plan.service_type != ServiceType::Voice {
            return Err(invalid("/request/plan", "a number needs a voice plan"));
        }
        Ok(plan)
    }

    async fn bolt_on(&self, tenant: &TenantId, id: &str) -> Result<BoltOn, OrderError> {
        let id: BoltOnId = id
            .parse()
            .map_err(|_| invalid("/request/bolt_on", "not a bolt-on id"))?;
        match self.catalogue.bolt_on(tenant, &id).await {
            Ok(b) => Ok(b),
            Err(CatalogueError::NotFound) => Err(invalid("/request/bolt_on", "no such bolt-on")),
            Err(e) => Err(catalogue_failure(e)),
        }
    }

    async fn identifier_free(&self, tenant: &TenantId, identifier: &str) -> Result<(), OrderError> {
        match self
            .table
            .get(&services::identifier_claim(tenant, identifier))
            .await?
        {
            Some(_) => Err(OrderError::IdentifierTaken(identifier.to_owned())),
            None => Ok(()),
        }
    }

    /// Who provisions an order of `kind` by hand: the retailer, or its wholesaler when the
    /// settings leave that kind to it.
    async fn fulfiller(
        &self,
        tenant: &TenantId,
        kind: ManualKind,
        settings: &OrderSettings,
    ) -> Result<TenantId, OrderError> {
        if !settings.wholesaler_provisions.contains(&kind) {
            return Ok(*tenant);
        }
        let tenants = Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone());
        let own = tenants
            .get(tenant)
            .await
            .map_err(|e| TableError::Unavailable(e.to_string()))?;
        Ok(own.wholesaler.unwrap_or(*tenant))
    }

    /// Checks an order as its customer placed it.
    pub async fn prepare(
        &self,
        who: &Requester<'_>,
        request: &OrderRequest,
        settings: &OrderSettings,
    ) -> Result<Prepared, OrderError> {
        let automatic = |request, asked, auto_approve| Prepared {
            request,
            asked,
            needs_hands: false,
            price: None,
            fulfiller: None,
            auto_approve,
        };
        // Numbers people write in national form are the provider's country's.
        let region = crate::domain::settings::read(self.table.as_ref(), &who.tenant)
            .await?
            .phone_country;
        let monthly = |minor: i64, currency: &crate::domain::catalogue::Currency| {
            Some(MonthlyPrice {
                monthly_minor: minor,
                currency: currency.to_string(),
            })
        };
        match request {
            OrderRequest::SubscribeBoltOn { service, bolt_on } => {
                let s = self.own_service(who, service, false).await?;
                let offer = self.bolt_on(&who.tenant, bolt_on).await?;
                if !offer.plans.contains(&s.plan) {
                    return Err(invalid(
                        "/request/bolt_on",
                        "this bolt-on is not offered on the service's plan",
                    ));
                }
                if s.bolt_ons.iter().any(|b| b.bolt_on == offer.id) {
                    return Err(invalid("/request/bolt_on", "the service already has it"));
                }
                let auto = settings
                    .auto_approve
                    .bolt_ons_up_to_minor
                    .is_some_and(|limit| offer.price_minor <= limit);
                Ok(Prepared {
                    price: monthly(offer.price_minor, &offer.currency),
                    ..automatic(
                        OrderRequest::SubscribeBoltOn {
                            service: s.id.to_string(),
                            bolt_on: offer.id.to_string(),
                        },
                        Asked::BoltOn {
                            name: offer.name.clone(),
                            on: for_people(&s.identifier),
                        },
                        auto,
                    )
                })
            }
            OrderRequest::CancelBoltOn { service, bolt_on } => {
                let s = self.own_service(who, service, false).await?;
                let offer = self.bolt_on(&who.tenant, bolt_on).await?;
                let Some(attached) = s.bolt_ons.iter().find(|b| b.bolt_on == offer.id) else {
                    return Err(invalid("/request/bolt_on", "the service does not have it"));
                };
                // Calendar months in the provider's time zone, from the day it was added.
                let zone = crate::domain::settings::zone(self.table.as_ref(), &who.tenant).await?;
                let term_ends = crate::domain::calendar::add_months(
                    zone.date_of(attached.since),
                    offer.term_months,
                );
                if term_ends > zone.date_of(self.clock.now()) {
                    return Err(invalid(
                        "/request/bolt_on",
                        format!("it has a minimum term until {term_ends}"),
                    ));
                }
                Ok(automatic(
                    OrderRequest::CancelBoltOn {
                        service: s.id.to_string(),
                        bolt_on: offer.id.to_string(),
                    },
                    Asked::BoltOnCancellation {
                        name: offer.name.clone(),
                        on: for_people(&s.identifier),
                    },
                    settings.auto_approve.bolt_on_cancellations,
                ))
            }
            OrderRequest::Number { number, plan } => {
                if !settings.number_ordering {
                    return Err(not_offered(
                        "Your provider does not take orders for numbers here.",
                    ));
                }
                let number = normalise_e164(number, region.as_deref())
                    .map_err(|m| invalid("/request/number", m))?;
                let plan = self.plan(&who.tenant, plan, true).await?;
                let held = numbers::NumberInventory::new(
                    self.table.clone(),
                    self.clock.clone(),
                    self.cursors.clone(),
                )
                .get(&who.tenant, &number)
                .await?;
                match held {
                    Some(n)
                        if n.state == NumberState::Available
                            && settings.orderable_tiers.contains(&n.tier) => {}
                    _ => return Err(OrderError::NumberUnavailable(number)),
                }
                Ok(Prepared {
                    price: monthly(plan.recurring_minor, &plan.currency),
                    ..automatic(
                        OrderRequest::Number {
                            number: number.clone(),
                            plan: plan.id.to_string(),
                        },
                        Asked::Number {
                            number: for_people(&number),
                            plan: plan.name.clone(),
                        },
                        false,
                    )
                })
            }
            OrderRequest::NumberFeatures { service, features } => {
                let s = self.own_service(who, service, true).await?;
                let wanted = normalise_features(features, region.as_deref())?;
                let changed = changed_features(&s.features, &wanted);
                if changed.is_empty() {
                    return Err(invalid("/request/features", "the number has these already"));
                }
                let mut v = Violations::default();
                for feature in &changed {
                    if !settings.editable_features.contains(feature) {
                        v.add(
                            format!("/request/features/{}", feature.name()),
                            "your provider does not let customers change this",
                        );
                    }
                }
                v.into_result().map_err(OrderError::Invalid)?;
                let auto = changed.iter().all(|f| match f {
                    Feature::CallForwarding => settings.auto_approve.call_forwarding,
                    Feature::Failover => settings.auto_approve.failover,
                    _ => false,
                });
                Ok(automatic(
                    OrderRequest::NumberFeatures {
                        service: s.id.to_string(),
                        features: wanted,
                    },
                    Asked::Features {
                        features: changed.clone(),
                        on: for_people(&s.identifier),
                    },
                    auto,
                ))
            }
            OrderRequest::EmergencyAddress { service, address } => {
                if !settings.emergency_addresses {
                    return Err(not_offered(
                        "Your provider does not take orders for emergency addresses here.",
                    ));
                }
                let s = self.own_service(who, service, true).await?;
                if !settings.emergency_address_applies(&s.identifier) {
                    return Err(invalid(
                        "/request/service",
                        "numbers of this country take no emergency address here",
                    ));
                }
                let address = normalise_address(address)?;
                Ok(automatic(
                    OrderRequest::EmergencyAddress {
                        service: s.id.to_string(),
                        address,
                    },
                    Asked::EmergencyAddress {
                        on: for_people(&s.identifier),
                    },
                    settings.auto_approve.emergency_address,
                ))
            }
            OrderRequest::PortIn {
                number,
                plan,
                losing_carrier,
                carrier_account,
                authorised_by,
            } => {
                if !settings.port_ins {
                    return Err(not_offered(
                        "Your provider does not take orders for ports here.",
                    ));
                }
                let mut v = Violations::default();
                let number = normalise_e164(number, region.as_deref())
                    .map_err(|m| v.add("/request/number", m))
                    .unwrap_or_default();
                let losing_carrier = text("/request/losing_carrier", losing_carrier, 100, &mut v);
                let carrier_account = text("/request/carrier_account", carrier_account, 64, &mut v);
                let authorised_by = text("/request/authorised_by", authorised_by, 100, &mut v);
                v.into_result().map_err(OrderError::Invalid)?;
                let plan = self.plan(&who.tenant, plan, true).await?;
                self.identifier_free(&who.tenant, &number).await?;
                Ok(Prepared {
                    price: monthly(plan.recurring_minor, &plan.currency),
                    asked: Asked::PortIn {
                        number: for_people(&number),
                        from: losing_carrier.clone(),
                    },
                    request: OrderRequest::PortIn {
                        number,
                        plan: plan.id.to_string(),
                        losing_carrier,
                        carrier_account,
                        authorised_by,
                    },
                    needs_hands: true,
                    fulfiller: Some(
                        self.fulfiller(&who.tenant, ManualKind::PortIn, settings)
                            .await?,
                    ),
                    auto_approve: false,
                })
            }
            OrderRequest::NewService {
                plan,
                site_address,
                notes,
            } => {
                if !settings.new_services {
                    return Err(not_offered(
                        "Your provider does not take orders for new services here.",
                    ));
                }
                let mut v = Violations::default();
                let site_address =
                    optional_text("/request/site_address", site_address, 300, &mut v);
                let notes = optional_text("/request/notes", notes, 1000, &mut v);
                v.into_result().map_err(OrderError::Invalid)?;
                let plan = self.plan(&who.tenant, plan, false).await?;
                Ok(Prepared {
                    price: monthly(plan.recurring_minor, &plan.currency),
                    asked: Asked::NewService {
                        plan: plan.name.clone(),
                    },
                    request: OrderRequest::NewService {
                        plan: plan.id.to_string(),
                        site_address,
                        notes,
                    },
                    needs_hands: true,
                    fulfiller: Some(
                        self.fulfiller(&who.tenant, ManualKind::NewService, settings)
                            .await?,
                    ),
                    auto_approve: false,
                })
            }
        }
    }

    /// The writes that put an approved order into effect, and the service it touches.
    /// Each is conditional on what was read (the service's version, the number's
    /// reservation, the identifier's absence), so a retried step never applies twice.
    pub async fn apply(
        &self,
        order: &Order,
        r: &OrderRef,
        activation: &Activation,
    ) -> Result<(ServiceId, Vec<Write>), OrderError> {
        let tenant = &r.tenant;
        let existing = |id: &str| -> Result<ServiceId, OrderError> {
            id.parse().map_err(|_| {
                TableError::Unreadable("a stored order names a bad service".into()).into()
            })
        };
        let now = self.clock.now();
        let change = |service: Service| -> Result<(ServiceId, Vec<Write>), OrderError> {
            let id = service.id;
            let (_, write) = services::saving(service)?;
            Ok((id, vec![write]))
        };
        match &order.request {
            OrderRequest::SubscribeBoltOn { service, bolt_on } => {
                let mut s = self.stored_service(r, &existing(service)?).await?;
                let offer = self.bolt_on(tenant, bolt_on).await?;
                if s.bolt_ons.iter().any(|b| b.bolt_on == offer.id) {
                    return Ok((s.id, Vec::new()));
                }
                if !offer.plans.contains(&s.plan) {
                    return Err(invalid(
                        "/request/bolt_on",
                        "this bolt-on is no longer offered on the service's plan",
                    ));
                }
                s.bolt_ons.push(services::AttachedBoltOn {
                    bolt_on: offer.id,
                    since: now,
                });
                change(s)
            }
            OrderRequest::CancelBoltOn { service, bolt_on } => {
                let mut s = self.stored_service(r, &existing(service)?).await?;
                if !s.end_bolt_on(bolt_on, now) {
                    return Ok((s.id, Vec::new()));
                }
                change(s)
            }
            OrderRequest::NumberFeatures { service, features } => {
                let mut s = self.stored_service(r, &existing(service)?).await?;
                s.features = features.clone();
                change(s)
            }
            OrderRequest::EmergencyAddress { service, address } => {
                let mut s = self.stored_service(r, &existing(service)?).await?;
                s.emergency_address = Some(address.clone());
                change(s)
            }
            OrderRequest::Number { number, plan } => {
                let plan = self.plan(tenant, plan, true).await?;
                let id = order.id()?;
                let (service, mut writes) = self.creation(r, &plan, number.clone()).await?;
                writes.push(numbers::assign(tenant, number, &id));
                Ok((service, writes))
            }
            OrderRequest::PortIn { number, plan, .. } => {
                let plan = self.plan(tenant, plan, true).await?;
                self.creation(r, &plan, number.clone()).await
            }
            OrderRequest::NewService { plan, .. } => {
                let plan = self.plan(tenant, plan, false).await?;
                let Some(identifier) = activation.identifier.as_deref() else {
                    return Err(invalid(
                        "/identifier",
                        "name the new service's identifier (its circuit id, number, ...)",
                    ));
                };
                let identifier = services::normalise_identifier(identifier)
                    .map_err(|m| invalid("/identifier", m))?;
                self.creation(r, &plan, identifier).await
            }
        }
    }

    async fn stored_service(&self, r: &OrderRef, id: &ServiceId) -> Result<Service, OrderError> {
        match self.services.get(&r.tenant, &r.account, id).await {
            Ok(s) => Ok(s),
            Err(ServiceError::NotFound) => Err(invalid(
                "/request/service",
                "the service is no longer on the account",
            )),
            Err(e) => Err(service_failure(e)),
        }
    }

    /// A new active service whose billing starts now.
    async fn creation(
        &self,
        r: &OrderRef,
        plan: &Plan,
        identifier: String,
    ) -> Result<(ServiceId, Vec<Write>), OrderError> {
        self.identifier_free(&r.tenant, &identifier).await?;
        let now = self.clock.now();
        let (service, writes) = services::creation(
            &r.tenant,
            &r.account,
            plan,
            identifier,
            ServiceStatus::Active,
            now,
            BTreeMap::new(),
            now,
        )?;
        Ok((service.id, writes.into_iter().map(|(_, w)| w).collect()))
    }
}

fn service_failure(e: ServiceError) -> OrderError {
    match e {
        ServiceError::Storage(e) => OrderError::Storage(e),
        ServiceError::Invalid(v) => OrderError::Invalid(v),
        ServiceError::NotFound => OrderError::NotFound,
        ServiceError::IdentifierTaken(id) => OrderError::IdentifierTaken(id),
        ServiceError::Conflict => OrderError::Conflict,
    }
}

fn catalogue_failure(e: CatalogueError) -> OrderError {
    match e {
        CatalogueError::Storage(e) => OrderError::Storage(e),
        CatalogueError::Invalid(v) => OrderError::Invalid(v),
        CatalogueError::NotFound => OrderError::NotFound,
        CatalogueError::Paging(e) => OrderError::Paging(e),
    }
}
