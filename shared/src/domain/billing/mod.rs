//! Billing: a provider's billing settings, invoices issued once per account and period,
//! the transaction ledger and its balance, and payments received outside a card gateway.
//!
//! Rules kept here: an invoice is worked out by [`invoice::compose`] from what the account
//! has (its services' plans and bolt-ons, its rated usage) and what earlier invoices billed,
//! and issued in ONE transaction with its period's claim (so a retried, crashed or
//! concurrent run issues it once), the provider's counter (so numbers have no gaps), the
//! ledger entry and balance, and what each charge is now billed up to (so nothing is billed
//! twice). An issued invoice never changes except for what is paid of it.

pub mod adjustments;
pub mod amounts;
pub mod batches;
pub mod contacts;
pub mod corrections;
pub mod dates;
pub mod files;
pub mod granted;
pub mod invoice;
pub mod itemised;
pub mod ledger;
pub mod payments;
pub mod pdf;
pub mod reconciliation;
pub mod reminders;
pub mod reports;
pub mod run;
pub mod settings;

mod record;

use std::collections::BTreeMap;
use std::sync::Arc;

use time::Date;

use self::invoice::{
    BillPeriod, Composed, DayUsage, Invoice, InvoiceLine, LineKind, Recurring, ServiceUsage,
};
use self::ledger::{EntryKind, LedgerEntry};
use self::payments::{Payment, PaymentMethod};
use self::settings::BillingSettings;
use super::Violations;
use super::accounts::{Account, AccountError, Accounts};
use super::calendar::{ProviderZone, add_months};
use super::catalogue::Catalogue;
use super::cost_centres::{CostCentreError, CostCentres};
use super::paging::{self, Page, PageRequest, PagingError};
use super::services::{ServiceError, ServiceStatus, Services};
use super::usage::{Period, UsageError, UsageViews};
use crate::ids::{AccountId, InvoiceId, PaymentId, TenantId};
use crate::ports::Clock;
use crate::ports::table::{Table, TableError};
use crate::store::Stamp;
use crate::store::{CursorCodec, NamedWrite, Transaction, TransactionError};

/// How many months back an invoice looks for usage that arrived late.
pub const LATE_USAGE_MONTHS: u32 = 3;

/// DynamoDB takes at most 100 writes in one transaction.
const MAX_WRITES: usize = 100;

/// Tries at a transaction others may be racing for (the provider's invoice counter when
/// many accounts are billed at once).
const ATTEMPTS: usize = 12;

/// The largest payment staff may enter: 100,000,000.00.
pub const MAX_PAYMENT: i64 = 10_000_000_000;

/// A short wait before trying again, longer each time and never the same for two runs, so
/// that runs racing for the counter spread out.
async fn back_off(attempt: usize) {
    use rand::Rng;
    let ceiling = 5 * attempt as u64;
    let millis = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("invalid: {0}")]
    Invalid(Violations),
    #[error("not found")]
    NotFound,
    /// The account has nothing to bill for the period.
    #[error("nothing to bill")]
    NothingToBill,
    /// A plan or bolt-on is priced in another currency than the provider bills in.
    #[error("{0} is priced in {1}, not the provider's {2}")]
    CurrencyMismatch(String, String, String),
    /// An invoice of this many charges does not fit one transaction (not built yet: a
    /// long invoice written in parts).
    #[error("{0} charges are more than one invoice can hold")]
    TooManyCharges(usize),
    /// A payment with this reference was recorded before with another amount, date or
    /// method.
    #[error("the reference {0} belongs to another payment")]
    PaymentReferenceUsed(String),
    /// A one-off charge already on an invoice cannot be taken back (a credit note can).
    #[error("the charge is on an invoice already")]
    ChargeInvoiced,
    /// The currency cannot change once invoices are issued in it.
    #[error("the currency cannot change once invoices are issued")]
    CurrencyFixed,
    /// Others kept changing the same records; try again.
    #[error("conflict")]
    Conflict,
    /// This idempotency key was sent before with another request.
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// The bucket the invoice files are kept in could not be reached.
    #[error("the invoice files are unavailable: {0}")]
    Files(String),
    #[error(transparent)]
    Paging(#[from] PagingError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

impl From<AccountError> for BillingError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => BillingError::NotFound,
            AccountError::Storage(e) => BillingError::Storage(e),
            other => BillingError::Storage(TableError::Unreadable(other.to_string())),
        }
    }
}

impl From<ServiceError> for BillingError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Storage(e) => BillingError::Storage(e),
            other => BillingError::Storage(TableError::Unreadable(other.to_string())),
        }
    }
}

impl From<UsageError> for BillingError {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::Storage(e) => BillingError::Storage(e),
            other => BillingError::Storage(TableError::Unreadable(other.to_string())),
        }
    }
}

impl From<CostCentreError> for BillingError {
    fn from(e: CostCentreError) -> Self {
        match e {
            CostCentreError::Storage(e) => BillingError::Storage(e),
            other => BillingError::Storage(TableError::Unreadable(other.to_string())),
        }
    }
}

/// What an account's next invoice would hold, worked out without issuing it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub period: BillPeriod,
    pub currency: String,
    pub tax_name: String,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub credit_applied: i64,
    pub amount_due: i64,
}

/// An account's balance: what it owes (negative: credit) and how many entries made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub owed: i64,
    pub entries: i64,
}

/// A card payment the gateway confirmed.
#[derive(Debug, Clone, Copy)]
pub struct CardReceipt<'a> {
    /// The gateway's id of the payment: one payment a reference.
    pub reference: &'a str,
    pub amount: i64,
    /// The invoice the payer chose, settled first.
    pub invoice: Option<&'a str>,
    /// The card, in words: "Visa ending 4242".
    pub description: &'a str,
}

/// A refund the gateway made.
#[derive(Debug, Clone, Copy)]
pub struct RefundReceipt<'a> {
    /// The payment's reference (the gateway's id of the payment).
    pub payment_reference: &'a str,
    /// The gateway's id of the refund: one ledger entry a refund.
    pub refund: &'a str,
    pub amount: i64,
}

/// A payment as staff enter it.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub method: PaymentMethod,
    pub amount: i64,
    pub received_on: Date,
    pub reference: String,
}

/// Everything a draft is made from, with the versions the bill run read it at.
struct Gathered {
    /// The provider's date the invoice would be issued on.
    on: Date,
    /// What the mail telling the account of its invoice needs: the provider, its mail
    /// settings and who to write to (None: the account wants no invoice mail).
    mail: Option<(
        crate::domain::tenancy::Tenant,
        crate::domain::settings::AccessSettings,
        Vec<contacts::Recipient>,
    )>,
    /// The one-off charges the invoice takes.
    charges: Vec<adjustments::OneOffCharge>,
    settings: BillingSettings,
    account: Account,
    period: BillPeriod,
    composed: Composed,
    counter: (i64, Option<u64>),
    balance: (i64, i64, Option<u64>),
    /// Payments with money no invoice took, oldest first, and the versions read: the
    /// credit an invoice applies is taken from them first.
    unallocated_payments: Vec<(Payment, u64)>,
    billed_through_read: BTreeMap<String, Option<u64>>,
    usage_read: BTreeMap<(String, String), (record::BilledDays, Option<u64>)>,
}

pub struct Billing {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    accounts: Accounts,
    services: Services,
    usage: UsageViews,
    records: crate::domain::usage::records::UsageRecords,
    cost_centres: CostCentres,
    catalogue: Catalogue,
    /// Where the provider's billing mail comes from unless it chose an address.
    sender: crate::domain::contact::EmailAddress,
}

impl Billing {
    pub fn new(
        table: Arc<dyn Table>,
        records: Arc<dyn crate::ports::Blobs>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        sender: crate::domain::contact::EmailAddress,
    ) -> Self {
        Billing {
            sender,
            accounts: Accounts::new(table.clone(), clock.clone(), cursors.clone()),
            services: Services::new(table.clone(), clock.clone(), cursors.clone()),
            usage: UsageViews::new(table.clone()),
            records: crate::domain::usage::records::UsageRecords::new(
                table.clone(),
                records,
                cursors.clone(),
            ),
            cost_centres: CostCentres::new(table.clone(), clock.clone(), cursors.clone()),
            catalogue: Catalogue::new(table.clone(), clock.clone(), cursors.clone()),
            table,
            clock,
            cursors,
        }
    }

    pub async fn settings(&self, tenant: &TenantId) -> Result<BillingSettings, BillingError> {
        Ok(settings::read(self.table.as_ref(), tenant).await?)
    }

    pub async fn set_settings(
        &self,
        tenant: &TenantId,
        settings: BillingSettings,
        stamp: &Stamp,
    ) -> Result<BillingSettings, BillingError> {
        settings.check().map_err(BillingError::Invalid)?;
        let current = settings::read(self.table.as_ref(), tenant).await?;
        if current.currency != settings.currency {
            let counter = self.table.get(&record::counter_key(tenant)).await?;
            if record::counter_from(counter.as_ref()).0 > 1 {
                return Err(BillingError::CurrencyFixed);
            }
        }
        settings::write(
            self.table.as_ref(),
            tenant,
            &settings,
            self.clock.now(),
            stamp,
        )
        .await?;
        Ok(settings)
    }

    /// The provider's settings as they apply to one account (its own bill day, its tax
    /// exemption).
    pub async fn settings_for(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<BillingSettings, BillingError> {
        let provider = settings::read(self.table.as_ref(), tenant).await?;
        let own = settings::read_account(self.table.as_ref(), tenant, account).await?;
        Ok(own.over(&provider))
    }

    pub async fn account_settings(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<settings::AccountBillingSettings, BillingError> {
        self.accounts.get(tenant, account).await?;
        Ok(settings::read_account(self.table.as_ref(), tenant, account).await?)
    }

    pub async fn set_account_settings(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        own: settings::AccountBillingSettings,
        stamp: &Stamp,
    ) -> Result<settings::AccountBillingSettings, BillingError> {
        own.check().map_err(BillingError::Invalid)?;
        self.accounts.get(tenant, account).await?;
        if !own.contacts.is_empty() {
            let logins = self.logins_of(tenant, account).await?;
            let mut v = Violations::default();
            for (n, contact) in own.contacts.iter().enumerate() {
                match logins.iter().find(|l| l.id == *contact) {
                    None => v.add(format!("/contacts/{n}"), "not a login of this account"),
                    Some(login) if !contacts::reads_bills(login) => v.add(
                        format!("/contacts/{n}"),
                        "this login's role does not read bills",
                    ),
                    Some(_) => {}
                }
            }
            v.into_result().map_err(BillingError::Invalid)?;
        }
        settings::write_account(
            self.table.as_ref(),
            tenant,
            account,
            &own,
            self.clock.now(),
            stamp,
        )
        .await?;
        Ok(own)
    }

    /// The provider's date today.
    pub async fn today(&self, tenant: &TenantId) -> Result<Date, BillingError> {
        Ok(self.zone(tenant).await?.date_of(self.clock.now()))
    }

    async fn zone(&self, tenant: &TenantId) -> Result<ProviderZone, BillingError> {
        Ok(super::settings::zone(self.table.as_ref(), tenant).await?)
    }

    /// What the account's invoice for the period holding `on` would be, if issued now.
    pub async fn preview(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        on: Date,
    ) -> Result<Draft, BillingError> {
        // The period holding `on` invoiced already: the next invoice is the next period's.
        let period = self.period_of(tenant, account, on).await?;
        let on = match self.invoice_of_period(tenant, account, period).await? {
            Some(_) => period.end,
            None => on,
        };
        let g = self.gather(tenant, account, on).await?;
        Ok(draft(&g))
    }

    /// The billing period of the account that holds `on`.
    async fn period_of(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        on: Date,
    ) -> Result<BillPeriod, BillingError> {
        let settings = self.settings_for(tenant, account).await?;
        let zone = self.zone(tenant).await?;
        let opened = zone.date_of(self.accounts.get(tenant, account).await?.created_at);
        Ok(BillPeriod::containing(
            on,
            settings.bill_day.day_for(opened),
        ))
    }

    /// Issues the account's invoice for the billing period holding `on`, once: asked again
    /// (a retried or concurrent run, "bill now" twice), it answers the invoice already
    /// issued, with `false`.
    pub async fn bill(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        on: Date,
    ) -> Result<(Invoice, bool), BillingError> {
        let period = self.period_of(tenant, account, on).await?;
        for attempt in 1..=ATTEMPTS {
            // Asked again: the invoice issued, whatever has changed since.
            if let Some(existing) = self.invoice_of_period(tenant, account, period).await? {
                return Ok((existing, false));
            }
            let g = self.gather(tenant, account, on).await?;
            let d = draft(&g);
            if d.lines.is_empty() {
                // Another run may have issued it while this one read.
                if let Some(existing) = self.invoice_of_period(tenant, account, period).await? {
                    return Ok((existing, false));
                }
                return Err(BillingError::NothingToBill);
            }
            let (invoice, writes) = self.issue(tenant, &g, d)?;
            if writes.len() > MAX_WRITES {
                return Err(BillingError::TooManyCharges(writes.len()));
            }
            let mut tx = Transaction::new();
            for (name, write) in writes {
                tx.add(name, write);
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => {
                    tracing::info!(tenant = %tenant, account = %account, invoice = %invoice.number,
                        total = invoice.total, "invoice issued");
                    return Ok((invoice, true));
                }
                Err(TransactionError::ConditionFailed(record::PERIOD_CLAIM)) => {
                    if let Some(existing) =
                        self.invoice_of_period(tenant, account, g.period).await?
                    {
                        return Ok((existing, false));
                    }
                }
                Err(e) if e.is_contention() && attempt < ATTEMPTS => back_off(attempt).await,
                Err(e) if e.is_contention() => return Err(BillingError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(BillingError::Conflict)
    }

    async fn invoice_of_period(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        period: BillPeriod,
    ) -> Result<Option<Invoice>, BillingError> {
        let claim = self
            .table
            .get(&record::period_key(tenant, account, period.start))
            .await?;
        match claim.as_ref().and_then(record::claimed_invoice) {
            Some(id) => Ok(Some(self.invoice(tenant, account, id).await?)),
            None => Ok(None),
        }
    }

    /// Reads everything the account's invoice for the period holding `on` is made from.
    async fn gather(
        &self,
        tenant: &TenantId,
        account_id: &AccountId,
        on: Date,
    ) -> Result<Gathered, BillingError> {
        let settings = self.settings_for(tenant, account_id).await?;
        let zone = self.zone(tenant).await?;
        let account = self.accounts.get(tenant, account_id).await?;
        let opened = zone.date_of(account.created_at);
        let day = settings.bill_day.day_for(opened);
        let period = BillPeriod::containing(on, day);
        let centres: BTreeMap<String, String> = self
            .cost_centres
            .list(tenant, account_id)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let mut services = self.services.of_account(tenant, account_id).await?;
        // An invoice lists its services by identifier, the same way every time.
        services.sort_by(|a, b| a.identifier.cmp(&b.identifier));
        let mut recurring = Vec::new();
        let mut usage = Vec::new();
        let mut billed_through_read = BTreeMap::new();
        let mut usage_read = BTreeMap::new();
        let today = zone.date_of(self.clock.now());
        for service in &services {
            let cost_centre = service.cost_centre.map(|c| {
                centres
                    .get(&c.to_string())
                    .cloned()
                    .unwrap_or(c.to_string())
            });
            // (kind, key, name, currency, price, started, stopped)
            let mut charges = Vec::new();
            if matches!(
                service.status,
                ServiceStatus::Active | ServiceStatus::Suspended
            ) {
                let (plan, bolt_ons) = self.services.pricing(service).await?;
                charges.push((
                    LineKind::Plan,
                    service.id.to_string(),
                    plan.name.clone(),
                    plan.currency.to_string(),
                    plan.recurring_minor,
                    service.started_at,
                    None,
                ));
                for (attached, bolt_on) in service.bolt_ons.iter().zip(&bolt_ons) {
                    charges.push((
                        LineKind::BoltOn,
                        bolt_on_key(service, &bolt_on.id, attached.since),
                        bolt_on.name.clone(),
                        bolt_on.currency.to_string(),
                        bolt_on.price_minor,
                        attached.since,
                        None,
                    ));
                }
            }
            // Bolt-ons taken off: billed up to the day they stopped, credited beyond it.
            for ended in &service.ended_bolt_ons {
                let bolt_on = self
                    .catalogue
                    .bolt_on(tenant, &ended.bolt_on)
                    .await
                    .map_err(|e| BillingError::Storage(TableError::Unreadable(e.to_string())))?;
                charges.push((
                    LineKind::BoltOn,
                    bolt_on_key(service, &bolt_on.id, ended.since),
                    bolt_on.name.clone(),
                    bolt_on.currency.to_string(),
                    bolt_on.price_minor,
                    ended.since,
                    Some(ended.until),
                ));
            }
            for (kind, charge_key, name, currency, price, since, until) in charges {
                if currency != settings.currency {
                    return Err(BillingError::CurrencyMismatch(
                        name,
                        currency,
                        settings.currency.clone(),
                    ));
                }
                let item = self
                    .table
                    .get(&record::billed_through_key(tenant, account_id, &charge_key))
                    .await?;
                let (billed_through, read) = record::billed_through_from(item.as_ref());
                billed_through_read.insert(charge_key.clone(), read);
                recurring.push(Recurring {
                    kind,
                    charge_key,
                    name,
                    service: service.id.to_string(),
                    identifier: service.identifier.clone(),
                    cost_centre: cost_centre.clone(),
                    price,
                    // Billing starts the day the service or bolt-on started and stops the
                    // day it was taken off, in the provider's calendar.
                    from: zone.date_of(since),
                    until: until.map(|u| zone.date_of(u)),
                    billed_through,
                });
            }
            // Usage of every month from a few before the period up to the one it starts
            // in: what is rated now, and what earlier invoices billed of it.
            let mut now = BTreeMap::new();
            let mut billed = BTreeMap::new();
            let first = add_months_back(period.start, LATE_USAGE_MONTHS);
            let mut month = Period::containing(first);
            while month.first_day() < period.start {
                let rated = self
                    .usage
                    .service_month(tenant, &service.id, month, today)
                    .await?;
                for (date, by_type) in &rated.days {
                    let day = DayUsage {
                        records: by_type.values().map(|t| t.count).sum(),
                        charge: by_type.values().map(|t| t.charge).sum(),
                    };
                    if day != DayUsage::default() {
                        now.insert(*date, day);
                    }
                }
                let key = record::usage_billed_key(
                    tenant,
                    account_id,
                    &service.id.to_string(),
                    &month.to_string(),
                );
                let item = self.table.get(&key).await?;
                let (days, read) = record::usage_billed_from(item.as_ref())?;
                billed.extend(days.clone());
                usage_read.insert((service.id.to_string(), month.to_string()), (days, read));
                month = Period::containing(add_months(month.first_day(), 1));
            }
            usage.push(ServiceUsage {
                service: service.id.to_string(),
                identifier: service.identifier.clone(),
                cost_centre,
                now,
                billed,
            });
        }
        let mut composed = invoice::compose(
            period,
            settings.bill_day,
            opened,
            &settings.tax,
            &recurring,
            &usage,
        );
        // One-off charges and credits waiting for an invoice.
        let mut charges: Vec<adjustments::OneOffCharge> = self
            .charges(tenant, account_id)
            .await?
            .into_iter()
            .filter(record::is_pending)
            .collect();
        // In the order they were added (the same instant: by description), every time.
        charges.sort_by(|a, b| (a.added_at, &a.description).cmp(&(b.added_at, &b.description)));
        composed.lines.extend(
            charges
                .iter()
                .map(|c| adjustments::one_off_line(c, &settings.tax)),
        );
        let counter =
            record::counter_from(self.table.get(&record::counter_key(tenant)).await?.as_ref());
        let balance = record::balance_from(
            self.table
                .get(&record::balance_key(tenant, account_id))
                .await?
                .as_ref(),
        );
        let mut unallocated_payments = Vec::new();
        if balance.0 < 0 {
            let query = record::payments_of(tenant, account_id).limit(1000);
            for item in crate::store::query_all(self.table.as_ref(), query).await? {
                let (payment, version) = record::payment_with_version(&item)?;
                if payment.unallocated > 0 {
                    unallocated_payments.push((payment, version));
                }
            }
            unallocated_payments.sort_by(|(a, _), (b, _)| {
                (a.received_on, a.recorded_at).cmp(&(b.received_on, b.recorded_at))
            });
        }
        let own = settings::read_account(self.table.as_ref(), tenant, account_id).await?;
        let mail = if own.portal_only {
            None
        } else {
            let provider = crate::domain::tenancy::Tenants::new(
                self.table.clone(),
                self.clock.clone(),
                self.cursors.clone(),
            )
            .get(tenant)
            .await
            .map_err(|e| TableError::Unavailable(e.to_string()))?;
            let access = crate::domain::settings::read(self.table.as_ref(), tenant).await?;
            let recipients = self
                .recipients(tenant, &account, &own, &access.default_language)
                .await?;
            Some((provider, access, recipients))
        };
        Ok(Gathered {
            on,
            mail,
            charges,
            settings,
            account,
            period,
            composed,
            counter,
            balance,
            unallocated_payments,
            billed_through_read,
            usage_read,
        })
    }

    /// The invoice a draft becomes, and every write that issues it.
    fn issue(
        &self,
        tenant: &TenantId,
        g: &Gathered,
        d: Draft,
    ) -> Result<(Invoice, Vec<NamedWrite>), BillingError> {
        let now = self.clock.now();
        let account = &g.account.id;
        let (sequence, counter_read) = g.counter;
        let (owed, entries, balance_read) = g.balance;
        let issued_on = g.on;
        let invoice = Invoice {
            id: InvoiceId::generate(now).to_string(),
            number: g.settings.invoice_number(sequence),
            sequence,
            account: account.to_string(),
            account_name: g.account.name.clone(),
            account_number: g.account.number.clone(),
            period_start: d.period.start,
            period_end: d.period.last_day(),
            issued_on,
            due_on: issued_on + time::Duration::days(i64::from(g.settings.payment_terms_days)),
            currency: d.currency,
            tax_name: d.tax_name,
            lines: d.lines,
            subtotal: d.subtotal,
            tax: d.tax,
            total: d.total,
            credit_applied: d.credit_applied,
            amount_due: d.amount_due,
            paid: 0,
            credited: 0,
            written_off: 0,
            reminded_at_days: 0,
            issued_at: now,
        };
        let entry = LedgerEntry {
            sequence: entries + 1,
            kind: EntryKind::Invoice,
            date: issued_on,
            reference: invoice.number.clone(),
            description: format!(
                "Invoice for {} to {}",
                dates::text(invoice.period_start),
                dates::text(invoice.period_end)
            ),
            amount: invoice.total,
            balance: owed + invoice.total,
            invoice: Some(invoice.id.clone()),
            payment: None,
            credit_note: None,
            recorded_at: now,
        };
        let mut writes: Vec<NamedWrite> = vec![
            (
                record::PERIOD_CLAIM,
                record::period_claim(tenant, account, g.period.start, &invoice.id),
            ),
            ("invoice", record::invoice_write(tenant, account, &invoice)?),
            (
                "invoice counter",
                record::counter_write(tenant, sequence + 1, counter_read),
            ),
            (
                "balance",
                record::balance_write(tenant, account, entry.balance, entry.sequence, balance_read),
            ),
            (
                "ledger entry",
                record::entry_write(tenant, account, &entry)?,
            ),
        ];
        if let Some((provider, access, recipients)) = &g.mail {
            for recipient in recipients {
                let message = crate::domain::notifications::compose(
                    provider,
                    access,
                    &self.sender,
                    &recipient.to,
                    crate::domain::notifications::Mail {
                        language: &recipient.language,
                        name: &recipient.name,
                        notice: crate::domain::notifications::Notice::InvoiceIssued(
                            crate::domain::notifications::InvoiceFacts {
                                number: invoice.number.clone(),
                                outstanding: format!(
                                    "{} {}",
                                    invoice.currency,
                                    crate::domain::catalogue::money::decimal(invoice.amount_due)
                                ),
                                due_on: dates::text(invoice.due_on),
                                days_late: 0,
                            },
                        ),
                    },
                )
                .map_err(|e| TableError::Unavailable(e.to_string()))?;
                writes.push(("mail", crate::domain::outbox::enqueue(&message, now)));
            }
        }
        // The credit it uses comes first from payments no invoice took, oldest first: they
        // say which invoice used their money, so it cannot be spread over invoices again.
        let mut credit = invoice.credit_applied;
        for (payment, version) in &g.unallocated_payments {
            if credit == 0 {
                break;
            }
            let used = credit.min(payment.unallocated);
            credit -= used;
            let mut spent = payment.clone();
            spent.unallocated -= used;
            spent.credit_used.push(payments::Allocation {
                invoice: invoice.id.clone(),
                number: invoice.number.clone(),
                amount: used,
            });
            writes.push((
                "payment used as credit",
                record::payment_reallocated_write(tenant, account, &spent, *version)?,
            ));
        }
        for charge in &g.charges {
            let taken = adjustments::OneOffCharge {
                state: adjustments::ChargeState::Invoiced,
                invoice: Some(invoice.id.clone()),
                ..charge.clone()
            };
            writes.push((
                "one-off charge",
                record::charge_write(tenant, account, &taken, Some(()))?,
            ));
        }
        for (charge, through) in &g.composed.billed_through {
            let read = g.billed_through_read.get(charge).copied().flatten();
            writes.push((
                "billed through",
                record::billed_through_write(tenant, account, charge, *through, read),
            ));
        }
        for (service, days) in &g.composed.usage_billed {
            // One item a service and month: fold this invoice's days into what each held.
            let mut by_month: BTreeMap<String, record::BilledDays> = BTreeMap::new();
            for (date, day) in days {
                by_month
                    .entry(Period::containing(*date).to_string())
                    .or_default()
                    .insert(*date, *day);
            }
            for (month, new_days) in by_month {
                let (mut held, read) = g
                    .usage_read
                    .get(&(service.clone(), month.clone()))
                    .cloned()
                    .unwrap_or_default();
                held.extend(new_days);
                let key = record::usage_billed_key(tenant, account, service, &month);
                writes.push((
                    "usage billed",
                    record::usage_billed_write(key, &held, read)?,
                ));
            }
        }
        Ok((invoice, writes))
    }

    /// One of the account's invoices; NotFound for another account's.
    pub async fn invoice(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<Invoice, BillingError> {
        Ok(self.invoice_versioned(tenant, account, id).await?.0)
    }

    async fn invoice_versioned(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        id: &str,
    ) -> Result<(Invoice, u64), BillingError> {
        if id.parse::<InvoiceId>().is_err() {
            return Err(BillingError::NotFound);
        }
        let item = self
            .table
            .get(&record::invoice_key(tenant, account, id))
            .await?
            .ok_or(BillingError::NotFound)?;
        Ok(record::invoice_from_item(&item)?)
    }

    /// The account's invoices, newest first, a page at a time.
    pub async fn invoices(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<Invoice>, BillingError> {
        fn read(item: &crate::ports::Item) -> Result<Invoice, TableError> {
            record::invoice_from_item(item).map(|(i, _)| i)
        }
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("invoices:{tenant}:{account}"),
            record::invoices_of(tenant, account),
            page,
            read,
        )
        .await?)
    }

    pub async fn balance(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Balance, BillingError> {
        let item = self
            .table
            .get(&record::balance_key(tenant, account))
            .await?;
        let (owed, entries, _) = record::balance_from(item.as_ref());
        Ok(Balance { owed, entries })
    }

    /// The provider's date the account is next billed on.
    pub async fn next_bill_on(
        &self,
        tenant: &TenantId,
        account: &AccountId,
    ) -> Result<Date, BillingError> {
        let today = self.today(tenant).await?;
        Ok(self.period_of(tenant, account, today).await?.end)
    }

    /// The account's ledger, newest first, a page at a time.
    pub async fn ledger(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<LedgerEntry>, BillingError> {
        Ok(paging::fetch(
            self.table.as_ref(),
            &self.cursors,
            &format!("ledger:{tenant}:{account}"),
            record::ledger_of(tenant, account),
            page,
            record::entry_from_item,
        )
        .await?)
    }

    /// The account's ledger entries dated from `from` to `to` (either open), oldest first,
    /// up to the last 10,000 entries: for a statement or a CSV.
    pub async fn ledger_between(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<LedgerEntry>, BillingError> {
        let query = record::ledger_of(tenant, account).limit(10_000);
        let mut entries: Vec<LedgerEntry> = crate::store::query_all(self.table.as_ref(), query)
            .await?
            .iter()
            .map(record::entry_from_item)
            .collect::<Result<_, _>>()?;
        entries.retain(|e| from.is_none_or(|f| e.date >= f) && to.is_none_or(|t| e.date <= t));
        entries.sort_by_key(|e| e.sequence);
        Ok(entries)
    }

    /// Records a payment received outside a card gateway and spreads it over the account's
    /// unpaid invoices, oldest first; what is left is a credit the next invoices use. A
    /// payment whose reference the account already has is answered as it was, with
    /// `false`, so entering it twice records it once.
    pub async fn record_payment(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        input: NewPayment,
        recorded_by: &str,
    ) -> Result<(Payment, bool), BillingError> {
        if input.method == PaymentMethod::Card {
            let mut v = Violations::default();
            v.add(
                "/method",
                "card payments are recorded by the gateway, not entered",
            );
            return Err(BillingError::Invalid(v));
        }
        let description = format!("Payment received ({})", method_words(input.method));
        self.receive(tenant, account, input, recorded_by, None, description)
            .await
    }

    /// Records a card payment the gateway confirmed, under its reference at the gateway (so
    /// the page that saw it succeed and the webhook that said so record it once), settling
    /// `invoice` first when the payer chose one.
    pub async fn record_card_payment(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        card: CardReceipt<'_>,
    ) -> Result<(Payment, bool), BillingError> {
        let today = self.today(tenant).await?;
        let input = NewPayment {
            method: PaymentMethod::Card,
            amount: card.amount,
            received_on: today,
            reference: card.reference.to_owned(),
        };
        self.receive(
            tenant,
            account,
            input,
            "card",
            card.invoice,
            format!("Card payment ({})", card.description),
        )
        .await
    }

    async fn receive(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        input: NewPayment,
        recorded_by: &str,
        preferred: Option<&str>,
        description: String,
    ) -> Result<(Payment, bool), BillingError> {
        let reference = input.reference.trim().to_owned();
        let mut v = Violations::default();
        if input.amount <= 0 {
            v.add("/amount_minor", "more than zero");
        }
        if input.amount > MAX_PAYMENT {
            v.add("/amount_minor", "at most 100,000,000.00");
        }
        if !(1..=60).contains(&reference.chars().count()) {
            v.add("/reference", "1 to 60 characters");
        }
        let today = self.today(tenant).await?;
        if input.received_on > today + time::Duration::days(1)
            || input.received_on < today - time::Duration::days(366)
        {
            v.add(
                "/received_on",
                "a day of the last year, and not after tomorrow",
            );
        }
        v.into_result().map_err(BillingError::Invalid)?;
        // The account must be the tenant's (and so the caller's to reach).
        self.accounts.get(tenant, account).await?;
        // Entered twice, a payment is recorded once; another payment under the same
        // reference is refused rather than silently dropped.
        // A card payment's reference is the gateway's payment id: the same id is the same
        // payment whatever day it is told again (the webhook, the result page, a retry).
        let again = |existing: Payment| {
            if existing.amount == input.amount
                && existing.method == input.method
                && (existing.received_on == input.received_on
                    || input.method == PaymentMethod::Card)
            {
                Ok((existing, false))
            } else {
                Err(BillingError::PaymentReferenceUsed(existing.reference))
            }
        };
        for attempt in 1..=ATTEMPTS {
            if let Some(existing) = self
                .payment_by_reference(tenant, account, &reference)
                .await?
            {
                return again(existing);
            }
            let now = self.clock.now();
            let mut open = Vec::new();
            let query = record::invoices_of(tenant, account).limit(1000);
            for item in crate::store::query_all(self.table.as_ref(), query).await? {
                let (invoice, version) = record::invoice_from_item(&item)?;
                if invoice.outstanding() > 0 {
                    open.push((invoice, version));
                }
            }
            // Oldest first, as many as one transaction can settle beside the payment's own
            // writes; what is left is credit the next invoices use.
            open.sort_by_key(|(i, _)| i.sequence);
            open.truncate(MAX_WRITES - 10);
            let invoices: Vec<Invoice> = open.iter().map(|(i, _)| i.clone()).collect();
            let (allocations, unallocated) =
                payments::allocate_preferring(input.amount, &invoices, preferred);
            let payment = Payment {
                id: PaymentId::generate(now).to_string(),
                method: input.method,
                amount: input.amount,
                received_on: input.received_on,
                reference: reference.clone(),
                allocations,
                unallocated,
                credit_used: Vec::new(),
                recorded_by: recorded_by.to_owned(),
                recorded_at: now,
                refunded: 0,
            };
            let (owed, entries, balance_read) = record::balance_from(
                self.table
                    .get(&record::balance_key(tenant, account))
                    .await?
                    .as_ref(),
            );
            let entry = LedgerEntry {
                sequence: entries + 1,
                kind: EntryKind::Payment,
                date: input.received_on,
                reference: reference.clone(),
                description: description.clone(),
                amount: -input.amount,
                balance: owed - input.amount,
                invoice: None,
                payment: Some(payment.id.clone()),
                credit_note: None,
                recorded_at: now,
            };
            let mut tx = Transaction::new();
            tx.add(
                "payment reference",
                record::payment_reference_claim(tenant, account, &reference, &payment.id),
            );
            tx.add("payment", record::payment_write(tenant, account, &payment)?);
            tx.add(
                "balance",
                record::balance_write(tenant, account, entry.balance, entry.sequence, balance_read),
            );
            tx.add(
                "ledger entry",
                record::entry_write(tenant, account, &entry)?,
            );
            for allocation in &payment.allocations {
                if let Some((invoice, version)) =
                    open.iter().find(|(i, _)| i.id == allocation.invoice)
                {
                    let mut paid = invoice.clone();
                    paid.paid += allocation.amount;
                    tx.add(
                        "invoice",
                        record::invoice_paid_write(tenant, account, &paid, *version)?,
                    );
                }
            }
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok((payment, true)),
                Err(TransactionError::ConditionFailed("payment reference")) => {
                    if let Some(existing) = self
                        .payment_by_reference(tenant, account, &reference)
                        .await?
                    {
                        return again(existing);
                    }
                }
                Err(e) if e.is_contention() && attempt < ATTEMPTS => back_off(attempt).await,
                Err(e) if e.is_contention() => return Err(BillingError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(BillingError::Conflict)
    }

    /// Records a refund of a card payment, once per refund id: the ledger says the account
    /// owes that much more, the credit the payment left is taken back first, then what it
    /// paid of its invoices, the newest first (they are owed again). Answers false when it
    /// was recorded before; `NotFound` while the payment itself is not recorded yet.
    pub async fn record_refund(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        refund: RefundReceipt<'_>,
    ) -> Result<bool, BillingError> {
        let today = self.today(tenant).await?;
        for attempt in 1..=ATTEMPTS {
            if self
                .table
                .get(&record::refund_key(tenant, account, refund.refund))
                .await?
                .is_some()
            {
                return Ok(false);
            }
            let Some(claim) = self
                .table
                .get(&record::payment_reference_key(
                    tenant,
                    account,
                    refund.payment_reference,
                ))
                .await?
            else {
                return Err(BillingError::NotFound);
            };
            let payment_id = record::claimed_payment(&claim)
                .ok_or_else(|| TableError::Unreadable("a payment claim names no payment".into()))?
                .to_owned();
            let item = self
                .table
                .get(&record::payment_key(tenant, account, &payment_id))
                .await?
                .ok_or(BillingError::NotFound)?;
            let (mut payment, payment_version) = record::payment_with_version(&item)?;
            let amount = refund.amount.min(payment.amount - payment.refunded);
            if amount <= 0 {
                return Ok(false);
            }
            let (from_credit, parts) = payments::unallocate(&payment, amount);
            let now = self.clock.now();
            let (owed, entries, balance_read) = record::balance_from(
                self.table
                    .get(&record::balance_key(tenant, account))
                    .await?
                    .as_ref(),
            );
            let entry = LedgerEntry {
                sequence: entries + 1,
                kind: EntryKind::Refund,
                date: today,
                reference: refund.payment_reference.to_owned(),
                description: "Refund to card".to_owned(),
                amount,
                balance: owed + amount,
                invoice: None,
                payment: Some(payment.id.clone()),
                credit_note: None,
                recorded_at: now,
            };
            let mut tx = Transaction::new();
            tx.add(
                "refund claim",
                record::refund_claim(tenant, account, refund.refund, amount),
            );
            payment.refunded += amount;
            payment.unallocated -= from_credit;
            for part in &parts {
                if let Some(a) = payment
                    .allocations
                    .iter_mut()
                    .find(|a| a.invoice == part.invoice)
                {
                    a.amount -= part.amount;
                }
                let invoice_item = self
                    .table
                    .get(&record::invoice_key(tenant, account, &part.invoice))
                    .await?
                    .ok_or(BillingError::NotFound)?;
                let (mut invoice, version) = record::invoice_from_item(&invoice_item)?;
                invoice.paid -= part.amount;
                tx.add(
                    "invoice",
                    record::invoice_paid_write(tenant, account, &invoice, version)?,
                );
            }
            payment.allocations.retain(|a| a.amount > 0);
            tx.add(
                "payment",
                record::payment_reallocated_write(tenant, account, &payment, payment_version)?,
            );
            tx.add(
                "balance",
                record::balance_write(tenant, account, entry.balance, entry.sequence, balance_read),
            );
            tx.add(
                "ledger entry",
                record::entry_write(tenant, account, &entry)?,
            );
            match tx.commit(self.table.as_ref()).await {
                Ok(()) => return Ok(true),
                Err(TransactionError::ConditionFailed("refund claim")) => return Ok(false),
                Err(e) if e.is_contention() && attempt < ATTEMPTS => back_off(attempt).await,
                Err(e) if e.is_contention() => return Err(BillingError::Conflict),
                Err(e) => return Err(TableError::from(e).into()),
            }
        }
        Err(BillingError::Conflict)
    }

    async fn payment_by_reference(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        reference: &str,
    ) -> Result<Option<Payment>, BillingError> {
        let claim = self
            .table
            .get(&record::payment_reference_key(tenant, account, reference))
            .await?;
        let Some(id) = claim.as_ref().and_then(record::claimed_payment) else {
            return Ok(None);
        };
        let item = self
            .table
            .get(&record::payment_key(tenant, account, id))
            .await?
            .ok_or_else(|| {
                TableError::Unreadable("a payment's reference names no payment".into())
            })?;
        Ok(Some(record::payment_from_item(&item)?))
    }
}

/// What a bolt-on's charge is known by: the service, the bolt-on and when it was put on
/// (taken off and put on again, it is another charge, the first credited).
fn bolt_on_key(
    service: &crate::domain::services::Service,
    bolt_on: &crate::ids::BoltOnId,
    since: time::OffsetDateTime,
) -> String {
    format!("{}/{}/{}", service.id, bolt_on, since.unix_timestamp())
}

fn method_words(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::BankTransfer => "bank transfer",
        PaymentMethod::Cheque => "cheque",
        PaymentMethod::Cash => "cash",
        PaymentMethod::Card => "card",
    }
}

/// The date `months` months before `date`.
fn add_months_back(date: Date, months: u32) -> Date {
    let mut out = date;
    for _ in 0..months {
        out = out
            .replace_day(1)
            .ok()
            .and_then(Date::previous_day)
            .and_then(|d| d.replace_day(1).ok())
            .unwrap_or(out);
    }
    out
}

fn draft(g: &Gathered) -> Draft {
    let (subtotal, tax, total) = invoice::totals(&g.composed.lines);
    let (owed, _, _) = g.balance;
    let credit = (-owed).max(0);
    let credit_applied = credit.min(total.max(0));
    Draft {
        period: g.period,
        currency: g.settings.currency.clone(),
        tax_name: g.settings.tax.name.clone(),
        lines: g.composed.lines.clone(),
        subtotal,
        tax,
        total,
        credit_applied,
        amount_due: total - credit_applied,
    }
}
