//! Usage alerts: thresholds on a month's spend or quantity, of one service or a whole
//! account, set by the end user; and providers' default alerts per plan, which apply to
//! every service on the plan. Reaching one sends one email per alert, service and month.
//!
//! Alerts are checked as usage is loaded: after each ingest chunk is stored, and before its
//! checkpoint moves, for the services the chunk touched. The email goes to the outbox in
//! one transaction with a marker (alert, service or account, month) that must be new, so a
//! chunk redone after a crash never sends twice. A tenant's alerts are read once per file
//! (one index query), so files of tenants without alerts pay nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::{MonthUsage, Period, UsageError, UsageViews};
use crate::domain::Violations;
use crate::domain::accounts::Accounts;
use crate::domain::catalogue::{UsageType, money};
use crate::domain::contact::{self, EmailAddress};
use crate::domain::identity::{MailTopic, mail_choices};
use crate::domain::notifications::{self as mail, AlertFacts, Mail, Notice};
use crate::domain::outbox;
use crate::domain::settings;
use crate::domain::tenancy::Tenants;
use crate::ids::{AccountId, AlertId, PlanId, ServiceId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{
    Condition, EXPIRES_AT, Index, Item, Key, Query, SortKey, Table, TableError, Value, Write,
};
use crate::store::{self, CursorCodec, Stamp, Transaction, TransactionError, keys};

/// An account has at most this many alerts; a plan, this many defaults.
pub const MAX_ALERTS: usize = 50;
/// Sent-markers outlive their month comfortably, then expire.
const MARKER_LIFETIME: Duration = Duration::days(100);

/// What an alert watches.
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
pub enum Measure {
    /// The month's charges, in minor units.
    Spend,
    /// The month's quantity of one usage type, in its unit (seconds, messages, bytes).
    Quantity,
}

/// Where an alert applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertScope {
    /// One service of the account.
    Service(AccountId, ServiceId),
    /// The whole account.
    Account(AccountId),
    /// Every service on a plan (a provider's default).
    Plan(PlanId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: AlertId,
    pub scope: AlertScope,
    pub measure: Measure,
    /// For quantity alerts.
    pub usage: Option<UsageType>,
    /// Minor units (spend) or the usage type's unit (quantity).
    pub threshold: i64,
    pub created_at: OffsetDateTime,
}

pub struct NewAlert {
    pub measure: Measure,
    pub usage: Option<UsageType>,
    pub threshold: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

impl From<AlertError> for UsageError {
    /// Checking alerts while a file loads: the failure as it is.
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Usage(e) => e,
            AlertError::Storage(e) => UsageError::Storage(e),
            other => UsageError::Storage(TableError::Unreadable(other.to_string())),
        }
    }
}

mod record;

/// A tenant's alerts, read once per usage file.
#[derive(Debug, Clone, Default)]
pub struct TenantAlerts {
    by_service: BTreeMap<ServiceId, Vec<Alert>>,
    by_account: BTreeMap<AccountId, Vec<Alert>>,
    by_plan: BTreeMap<PlanId, Vec<Alert>>,
}

impl TenantAlerts {
    pub fn is_empty(&self) -> bool {
        self.by_service.is_empty() && self.by_account.is_empty() && self.by_plan.is_empty()
    }
}

/// A service whose month changed: what the alerts are checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Touched {
    pub account: AccountId,
    pub service: ServiceId,
    pub plan: PlanId,
    pub period: Period,
}

#[derive(Clone)]
pub struct Alerts {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    views: UsageViews,
    sender: EmailAddress,
}

fn check_new(new: &NewAlert) -> Result<(), AlertError> {
    let mut v = Violations::default();
    match (new.measure, new.usage) {
        (Measure::Spend, Some(_)) => v.add("/usage", "a spend alert covers every usage type"),
        (Measure::Quantity, None) => v.add("/usage", "say which usage type: call, message, data"),
        _ => {}
    }
    if new.threshold <= 0 {
        v.add("/threshold", "a whole number above 0");
    }
    v.into_result().map_err(AlertError::Invalid)
}

impl Alerts {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        sender: EmailAddress,
    ) -> Self {
        Alerts {
            views: UsageViews::new(table.clone()),
            table,
            clock,
            cursors,
            sender,
        }
    }

    /// Adds an alert. The caller has checked the account (and the service is the
    /// account's) or the plan is the tenant's.
    pub async fn create(
        &self,
        tenant: &TenantId,
        scope: AlertScope,
        new: NewAlert,
        stamp: &Stamp,
    ) -> Result<Alert, AlertError> {
        check_new(&new)?;
        let existing = self.list(tenant, &scope).await?;
        // The same alert again (a retried request) is the one there.
        if let Some(same) = existing.iter().find(|a| {
            a.scope == scope
                && a.measure == new.measure
                && a.usage == new.usage
                && a.threshold == new.threshold
        }) {
            return Ok(same.clone());
        }
        if existing.len() >= MAX_ALERTS {
            let mut v = Violations::default();
            v.add("", format!("at most {MAX_ALERTS} alerts"));
            return Err(AlertError::Invalid(v));
        }
        let now = self.clock.now();
        let alert = Alert {
            id: AlertId::generate(now),
            scope,
            measure: new.measure,
            usage: new.usage,
            threshold: new.threshold,
            created_at: now,
        };
        let mut tx = Transaction::new();
        tx.add(
            "alert",
            Write::Put {
                item: record::to_item(tenant, &alert)?,
                condition: Some(Condition::Absent),
            },
        );
        tx.extend("audit entry", stamp.writes());
        tx.commit(self.table.as_ref())
            .await
            .map_err(TableError::from)?;
        Ok(alert)
    }

    /// The alerts of an account (its own and its services') or of a plan.
    pub async fn list(
        &self,
        tenant: &TenantId,
        scope: &AlertScope,
    ) -> Result<Vec<Alert>, AlertError> {
        let query = Query::partition(Index::Primary, record::partition(tenant, scope))
            .sort(SortKey::BeginsWith("ALERT#".into()))
            .limit(100);
        Ok(store::query_all(self.table.as_ref(), query)
            .await?
            .iter()
            .map(record::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// Removes one of the account's (or the plan's) alerts; one of another account, or one
    /// removed already, is not found.
    pub async fn delete(
        &self,
        tenant: &TenantId,
        scope: &AlertScope,
        id: &AlertId,
        stamp: &Stamp,
    ) -> Result<(), AlertError> {
        let key = Key::new(record::partition(tenant, scope), format!("ALERT#{id}"));
        let mut tx = Transaction::new();
        tx.add(
            "alert",
            Write::Delete {
                key,
                condition: Some(Condition::Exists),
            },
        );
        tx.extend("audit entry", stamp.writes());
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(()),
            Err(TransactionError::ConditionFailed("alert")) => Err(AlertError::NotFound),
            Err(e) => Err(TableError::from(e).into()),
        }
    }

    /// Every alert of the tenant (one index query a page).
    pub async fn of_tenant(&self, tenant: &TenantId) -> Result<TenantAlerts, AlertError> {
        let query = Query::partition(Index::Gsi1, record::tenant_alerts(tenant)).limit(1000);
        let mut out = TenantAlerts::default();
        for item in store::query_all(self.table.as_ref(), query).await? {
            let alert = record::from_item(&item)?;
            match alert.scope {
                AlertScope::Service(_, service) => {
                    out.by_service.entry(service).or_default().push(alert)
                }
                AlertScope::Account(account) => {
                    out.by_account.entry(account).or_default().push(alert)
                }
                AlertScope::Plan(plan) => out.by_plan.entry(plan).or_default().push(alert),
            }
        }
        Ok(out)
    }

    /// Checks the alerts that watch the touched services and their accounts, and mails
    /// the ones reached for the first time this month. Returns how many were sent.
    pub async fn check(
        &self,
        tenant: &TenantId,
        alerts: &TenantAlerts,
        touched: &BTreeSet<Touched>,
        identifiers: &BTreeMap<ServiceId, String>,
    ) -> Result<usize, AlertError> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let zone = crate::domain::settings::zone(self.table.as_ref(), tenant).await?;
        let today = zone.date_of(self.clock.now());
        let mut sent = 0;
        let mut accounts_done = BTreeSet::new();
        for t in touched {
            let service_alerts: Vec<&Alert> = alerts
                .by_service
                .get(&t.service)
                .into_iter()
                .flatten()
                .chain(alerts.by_plan.get(&t.plan).into_iter().flatten())
                .collect();
            let identifier = identifiers
                .get(&t.service)
                .cloned()
                .unwrap_or_else(|| t.service.to_string());
            if !service_alerts.is_empty() {
                let month = self
                    .views
                    .service_month(tenant, &t.service, t.period, today)
                    .await?;
                for alert in service_alerts {
                    let on = format!("{}#{}", t.service, t.period);
                    sent += self
                        .fire_if_reached(tenant, t.account, alert, &month, &on, Some(&identifier))
                        .await? as usize;
                }
            }
            if let Some(account_alerts) = alerts.by_account.get(&t.account)
                && accounts_done.insert((t.account, t.period))
            {
                let month = self
                    .views
                    .account_month(tenant, &t.account, t.period, today)
                    .await?;
                for alert in account_alerts {
                    let on = format!("ACCOUNT#{}", t.period);
                    sent += self
                        .fire_if_reached(tenant, t.account, alert, &month, &on, None)
                        .await? as usize;
                }
            }
        }
        Ok(sent)
    }

    async fn fire_if_reached(
        &self,
        tenant: &TenantId,
        account: AccountId,
        alert: &Alert,
        month: &MonthUsage,
        on: &str,
        // The service's number or identifier; none for the account's alerts.
        service: Option<&str>,
    ) -> Result<bool, AlertError> {
        let (value, currency_or_unit) = match (alert.measure, alert.usage) {
            (Measure::Spend, _) => (month.total_charge, None),
            (Measure::Quantity, Some(usage)) => (
                month.by_type.get(&usage).map(|t| t.quantity).unwrap_or(0),
                Some(usage),
            ),
            (Measure::Quantity, None) => return Ok(false),
        };
        if value < alert.threshold {
            return Ok(false);
        }
        let marker = Key::new(
            keys::account(tenant, &account),
            format!("ALERT_SENT#{}#{on}", alert.id),
        );
        if self.table.get(&marker).await?.is_some() {
            return Ok(false);
        }
        let accounts = Accounts::new(self.table.clone(), self.clock.clone(), self.cursors.clone());
        let account_record = match accounts.get(tenant, &account).await {
            Ok(a) => a,
            Err(e) => return Err(TableError::Unavailable(e.to_string()).into()),
        };
        let settings = settings::read(self.table.as_ref(), tenant)
            .await
            .map_err(|e| TableError::Unavailable(e.to_string()))?;
        let addressees = mail_choices::addressees(
            self.table.as_ref(),
            tenant,
            &account_record,
            MailTopic::UsageAlerts,
            &settings.default_language,
        )
        .await?;
        if addressees.is_empty() {
            return Ok(false);
        }
        let tenant_record =
            Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
                .get(tenant)
                .await
                .map_err(|e| TableError::Unavailable(e.to_string()))?;
        let mut messages = Vec::new();
        for addressee in &addressees {
            let french = addressee.language == "fr";
            let subject = match (service, french) {
                (Some(service), _) => contact::for_people(service),
                (None, false) => "your account".to_owned(),
                (None, true) => "votre compte".to_owned(),
            };
            let (what, threshold, reached) = match currency_or_unit {
                None if french => (
                    format!("les dépenses de {subject}"),
                    money::decimal(alert.threshold),
                    money::decimal(value),
                ),
                None => (
                    format!("spend on {subject}"),
                    money::decimal(alert.threshold),
                    money::decimal(value),
                ),
                Some(usage) => (
                    format!("{} {subject}", usage_words(usage, french)),
                    quantity_text(usage, alert.threshold, french),
                    quantity_text(usage, value, french),
                ),
            };
            messages.push(
                mail::compose(
                    &tenant_record,
                    &settings,
                    &self.sender,
                    &addressee.to,
                    Mail {
                        language: &addressee.language,
                        name: &addressee.name,
                        notice: Notice::UsageAlert(AlertFacts {
                            what,
                            threshold,
                            reached,
                            period: month.period.to_string(),
                        }),
                    },
                )
                .map_err(|e| TableError::Unavailable(e.to_string()))?,
            );
        }
        let now = self.clock.now();
        let mut tx = Transaction::new();
        tx.add(
            "sent marker",
            Write::Put {
                item: store::keyed(
                    Item::from([
                        ("value".to_owned(), Value::N(value)),
                        ("sent_at".to_owned(), Value::S(store::rfc3339(now))),
                        (
                            EXPIRES_AT.to_owned(),
                            Value::N((now + MARKER_LIFETIME).unix_timestamp()),
                        ),
                    ]),
                    &[("pk", marker.pk), ("sk", marker.sk)],
                ),
                condition: Some(Condition::Absent),
            },
        );
        for message in &messages {
            tx.add("mail", outbox::enqueue(message, now));
        }
        match tx.commit(self.table.as_ref()).await {
            Ok(()) => Ok(true),
            // Sent meanwhile by a twin run of the same chunk.
            Err(TransactionError::ConditionFailed("sent marker")) => Ok(false),
            Err(e) => Err(TableError::from(e).into()),
        }
    }
}

/// What an alert counts, before what it counts on.
fn usage_words(usage: UsageType, french: bool) -> &'static str {
    match (usage, french) {
        (UsageType::Call, false) => "calls on",
        (UsageType::Message, false) => "messages on",
        (UsageType::Data, false) => "data on",
        (UsageType::Call, true) => "les appels de",
        (UsageType::Message, true) => "les messages de",
        (UsageType::Data, true) => "les données de",
    }
}

/// Seconds as minutes, bytes as megabytes, messages as they are (a decimal comma in
/// French).
fn quantity_text(usage: UsageType, quantity: i64, french: bool) -> String {
    match usage {
        UsageType::Call => format!("{} min", (quantity + 59) / 60),
        UsageType::Message => format!("{quantity} messages"),
        UsageType::Data if french => format!("{:.1} Mo", quantity as f64 / 1e6).replace('.', ","),
        UsageType::Data => format!("{:.1} MB", quantity as f64 / 1e6),
    }
}
