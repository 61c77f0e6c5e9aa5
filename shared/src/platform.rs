//! The ports of a process and the services built on them. The adapter crates fill it in
//! (`selfcare-aws` for a deployed function, `selfcare-embedded` for the local runtime);
//! everything else takes its ports from here.

use std::sync::Arc;

use crate::domain::accounts::Accounts;
use crate::domain::contact::EmailAddress;
use crate::domain::identity::passwords::Hasher;
use crate::domain::identity::{Identity, SiteLinks};
use crate::domain::tenancy::Tenants;
use crate::ports::{Blobs, Clock, Mailer, Table, TableError};
use crate::store::CursorCodec;

#[derive(Clone)]
pub struct Platform {
    pub table: Arc<dyn Table>,
    pub exports: Arc<dyn Blobs>,
    pub ingest: Arc<dyn Blobs>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub cursors: CursorCodec,
    /// Bounds the password hashes running at once (each holds 19 MiB).
    pub hasher: Hasher,
    /// Where mail links lead.
    pub links: SiteLinks,
    /// The platform's sender, for tenants without their own.
    pub sender: EmailAddress,
    /// How the tenant of a request is found from its host.
    pub hosts: TenantHosts,
    /// The card gateway (each provider connects its own account at it).
    pub gateway: Arc<dyn crate::ports::payments::PaymentGateway>,
    /// Seals the providers' gateway keys at rest.
    pub sealer: crate::domain::payments::sealing::Sealer,
    /// Rows a usage file's load takes at a time ([`crate::domain::usage::ingest::CHUNK_ROWS`]
    /// but where a test wants to see a load stopped between chunks).
    pub usage_chunk_rows: usize,
}

/// Maps request hosts to tenants: `{slug}.{portal_domain}`, else the tenant named by the
/// `x-selfcare-tenant` header (the local runtime, API clients on the API's own host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantHosts {
    pub portal_domain: Option<String>,
}

impl Platform {
    /// Opens the first connection to the table during start-up, so the first request does
    /// not pay for TLS (about 900 ms at 128 MB when left to it). A read of a key that
    /// never exists: the same permission the function already has.
    pub async fn warm_up(&self) -> Result<(), TableError> {
        self.table
            .get(&crate::ports::Key::new("WARM-UP", "WARM-UP"))
            .await
            .map(|_| ())
    }

    pub fn tenants(&self) -> Tenants {
        Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }

    pub fn audit(&self) -> crate::domain::audit::Audit {
        crate::domain::audit::Audit::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn settings(&self) -> crate::domain::settings::Settings {
        crate::domain::settings::Settings::new(self.table.clone(), self.clock.clone())
    }

    pub fn identity(&self) -> Identity {
        Identity::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.hasher.clone(),
            self.links.clone(),
            self.sender.clone(),
        )
    }

    pub fn catalogue(&self) -> crate::domain::catalogue::Catalogue {
        crate::domain::catalogue::Catalogue::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn services(&self) -> crate::domain::services::Services {
        crate::domain::services::Services::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn usage(&self) -> crate::domain::usage::UsageViews {
        crate::domain::usage::UsageViews::new(self.table.clone())
    }

    /// Rated records, read out of their blocks in the documents bucket.
    pub fn usage_records(&self) -> crate::domain::usage::records::UsageRecords {
        crate::domain::usage::records::UsageRecords::new(
            self.table.clone(),
            self.exports.clone(),
            self.cursors.clone(),
        )
    }

    pub fn ingest(&self) -> crate::domain::usage::ingest::Ingest {
        crate::domain::usage::ingest::Ingest::new(
            self.table.clone(),
            self.ingest.clone(),
            self.exports.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
        )
        .with_chunk_rows(self.usage_chunk_rows)
    }

    pub fn usage_exports(&self) -> crate::domain::usage::export::UsageExports {
        crate::domain::usage::export::UsageExports::new(
            self.table.clone(),
            self.exports.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn billing(&self) -> crate::domain::billing::Billing {
        crate::domain::billing::Billing::new(
            self.table.clone(),
            self.exports.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
        )
    }

    pub fn payments(&self) -> crate::domain::payments::Payments {
        crate::domain::payments::Payments::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.gateway.clone(),
            self.sealer.clone(),
            self.billing(),
            self.links.clone(),
            self.identity().credentials,
        )
    }

    pub fn invoice_files(&self) -> crate::domain::billing::files::InvoiceFiles {
        crate::domain::billing::files::InvoiceFiles::new(self.billing(), self.exports.clone())
    }

    pub fn cost_centres(&self) -> crate::domain::cost_centres::CostCentres {
        crate::domain::cost_centres::CostCentres::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn alerts(&self) -> crate::domain::usage::alerts::Alerts {
        crate::domain::usage::alerts::Alerts::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
        )
    }

    pub fn service_groups(&self) -> crate::domain::service_groups::ServiceGroups {
        crate::domain::service_groups::ServiceGroups::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
        )
    }

    pub fn orders(&self) -> crate::domain::orders::Orders {
        crate::domain::orders::Orders::new(
            self.table.clone(),
            self.clock.clone(),
            self.cursors.clone(),
            self.sender.clone(),
            self.links.clone(),
        )
    }

    pub fn accounts(&self) -> Accounts {
        Accounts::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
    }
}
